"""Fine-tune a shipped model on a folder of the user's own photos: the headless job behind
`latent-studio train colorizer|sketch` and Tools > Train on My Photos.

`run(request, progress, on_update) -> FinetuneResult`. It starts from the shipped weights (or resumes the
user model's checkpoint), holds out about 10 % of the folder by a fixed rule (the hash of each file's name,
so the split is the same on every resume and never trained on), trains with the tool's step and measures
PSNR and colourfulness on the held-out photos before (the shipped model) and after. What differs by tool is
a small adapter (`tuning(request)`): the colorizer's (`finetune_state.ColorizerTuning`: the recipe's own step,
automatic colorization of the held-out photos) or a sketch subject's (`finetune_sketch.SketchTuning`: lines
extracted in the subject's style -> picture, L1); the split, the loop, the checkpoint and resume, the budget
and the user-model manifest are this module's, the same for both. `on_update` receives a `TrainUpdate` every few
seconds (loss curve, ETA) and, at each held-out evaluation, the metrics and a before/after strip.
Cancelling (the GUI's pause/cancel, Ctrl-C) writes the checkpoint first; every file is written atomically.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latent_studio.app.core import user_models
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.jobs import COMPUTE_LOCK, Progress
from latent_studio.models.errors import LatentStudioError

BASE_MODEL = "colorizer"
TOOLS = ("colorizer", "sketch")
HELD_OUT_EVERY = 10  # a file is held out when the hash of its name is 0 modulo this
MIN_PHOTOS = 4
STRIP_PHOTOS = 4
EVAL_LIMIT = 40  # held-out photos measured at most (the first by hash)
QUICK_EVAL = 6  # held-out photos in the periodic check during training (the strip's among them); the final measure
# uses all EVAL_LIMIT: on 2 loaded CPU cores 18 photos took 11 s, a quarter of a 3-minute budget at three checks


@dataclass(frozen=True)
class FinetuneRequest:
    data: Path
    name: str
    minutes: float = 10.0  # wall-clock budget of this run, evaluations included
    steps: int = 0  # a step budget for this run instead (tests, equal-work comparisons)
    device: str = "auto"
    batch_size: int = 0  # 0: 4 crops on a CPU (2 for a sketch subject: larger crops), 32 beside a GPU
    crop: int = 0  # 0: the tool's (colorizer 128; sketch: the subject's resolution, to a multiple of 32)
    short_side: int = 0  # photos are shrunk to this short side once, when read (0: colorizer 144, sketch the subject's)
    lr: float = 0.0  # 0: the tool's (colorizer 3e-4, sketch 1e-4)
    tool: str = "colorizer"  # or "sketch"
    subject: str | None = None  # the sketch subject (models.sketch.subjects; None: scene)
    eval_seconds: float = 60.0  # held-out evaluation (and before/after strip) at most this often
    update_seconds: float = 2.0
    checkpoint_seconds: float = 60.0
    command: str = ""
    seed: int = 0


@dataclass
class TrainUpdate:
    step: int
    fraction: float
    eta_seconds: float | None
    losses: list[tuple[int, float]]  # the whole curve so far (resumes included)
    crops_per_second: float
    held_out: dict | None = None  # {"before": {...}, "after": {...}} when just measured
    strip: list[list[np.ndarray]] | None = None  # rows of (gray, before, after, original) uint8 HxWx3


@dataclass
class FinetuneResult:
    name: str
    steps: int
    crops: int
    before: dict
    after: dict
    training_photos: int
    held_out_photos: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): unreadable files
    gray_photos: list[str] = field(default_factory=list)
    crops_per_second: float = 0.0
    model_path: Path | None = None
    strip: list[list[np.ndarray]] = field(default_factory=list)


@dataclass
class PhotoFolder:
    train: list[np.ndarray]
    held_out: list[np.ndarray]
    held_out_names: list[str]
    skipped: list[tuple[str, str]]
    gray: list[str]


def is_held_out(name: str) -> bool:
    return _name_hash(name) % HELD_OUT_EVERY == 0


def _name_hash(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:12], 16)


def read_folder(folder: Path, short_side: int = 144) -> PhotoFolder:
    """The folder's colour photos, split into training and held-out ones; unreadable files and gray photos are
    listed, not fatal. Raises a LatentStudioError when too few colour photos are left to train on."""
    from latent_studio.models.datapack import is_grayscale, list_images, open_rgb, resize_short_side

    folder = Path(folder)
    if not folder.is_dir():
        raise LatentStudioError(f"The training folder {folder} does not exist or is not a folder.")
    files = list_images(folder)
    photos: dict[str, np.ndarray] = {}
    skipped, gray = [], []
    for file in files:
        name = str(file.relative_to(folder))
        try:
            array = np.asarray(resize_short_side(open_rgb(file), short_side))
        except Exception as error:  # noqa: BLE001 - any undecodable file is skipped and listed
            first = str(error).splitlines()[0] if str(error) else "unreadable"
            skipped.append((name, f"{type(error).__name__}: {first}"))
            continue
        if min(array.shape[:2]) < 16:
            skipped.append((name, f"too small ({array.shape[1]}x{array.shape[0]})"))
        elif is_grayscale(array):
            gray.append(name)
        else:
            photos[name] = array
    if not files:
        raise LatentStudioError(f"The folder {folder} holds no pictures (PNG, JPEG, WebP, TIFF, BMP).")
    if not photos:
        why = f"all {len(gray)} readable ones are grayscale" if gray else "none of them could be read"
        raise LatentStudioError(
            f"The folder {folder} holds no colour photos to learn colours from ({why}; {len(skipped)} unreadable)."
        )
    if len(photos) < MIN_PHOTOS:
        raise LatentStudioError(
            f"The folder {folder} holds only {len(photos)} colour photo(s); fine-tuning needs "
            f"at least {MIN_PHOTOS} (about 10 % are held out to measure it)."
        )
    held = sorted((n for n in photos if is_held_out(n)), key=_name_hash)
    if not held:  # a tiny folder: the one with the smallest hash, by the same fixed rule
        held = [min(photos, key=_name_hash)]
    held_set = set(held)
    return PhotoFolder(
        [a for n, a in photos.items() if n not in held_set], [photos[n] for n in held], held, skipped, gray
    )


def tuning(request: FinetuneRequest):
    """The tool's adapter (see the module's docstring); an unknown tool or subject is one line."""
    if request.tool == "colorizer":
        from latent_studio.app.core.finetune_state import ColorizerTuning

        return ColorizerTuning()
    if request.tool == "sketch":
        from latent_studio.app.core.finetune_sketch import SketchTuning

        return SketchTuning(request.subject)
    raise LatentStudioError(f"There is no fine-tuning for '{request.tool}'; choose one of: {', '.join(TOOLS)}.")


def run(
    request: FinetuneRequest, progress: Progress | None = None, on_update: Callable[[TrainUpdate], None] | None = None
) -> FinetuneResult:
    from latent_studio.app.core.finetune_state import Checkpoint, build_models, save_model
    from latent_studio.models.training import fast_device

    progress = progress or Progress()
    start = time.monotonic()
    budget = request.minutes * 60.0
    user_models.check_name(request.name)
    tool = tuning(request)
    crop = request.crop or tool.crop
    if request.steps < 0 or not (0 < request.minutes <= 24 * 60) or crop % tool.crop_step or not 32 <= crop <= 512:
        raise LatentStudioError(
            f"Training needs --minutes in (0, 1440], --steps >= 0 and a --crop of 32-512 in steps of {tool.crop_step}."
        )
    folder = Path(request.data).resolve()
    device = ComputeSettings(request.device).torch_device
    batch = request.batch_size or (32 if device.type == "cuda" else tool.cpu_batch)
    fast_device(device)
    # 1. the photos, split by the fixed rule
    progress.report(0.0, "Reading photos")
    photos = read_folder(folder, request.short_side or tool.short_side)
    checkpoint = Checkpoint(user_models.model_dir(request.name) / "checkpoint.safetensors")
    checkpoint.check_data(folder)
    checkpoint.check_base(tool.base)
    # 2. the shipped model (before), the trainable copy, resumed from the checkpoint if there is one
    lr = request.lr or tool.lr
    base, model, optimizer = build_models(tool.base, device, lr)
    facts = checkpoint.load(model, optimizer)
    eval_start = time.monotonic()
    held_out = photos.held_out[:EVAL_LIMIT]
    with COMPUTE_LOCK:  # the quick subset first: its numbers are the periodic checks' "before"
        before_quick, before_rows = tool.evaluate(base, held_out[:QUICK_EVAL])
        before = before_quick
        if len(held_out) > QUICK_EVAL:
            before = merge_means(before_quick, tool.evaluate(base, held_out[QUICK_EVAL:])[0])
    eval_cost = time.monotonic() - eval_start
    tool.prepare(model, photos.train, device, request.seed * 100_003 + facts["step"])  # new crops on resume
    # 3. train until the step or time budget (leaving time for the last evaluation)
    step0, loop_start = facts["step"], time.monotonic()
    deadline = start + budget - 1.5 * eval_cost - 2.0
    last_update = last_eval = last_save = loop_start
    window_loss, window_steps, rate = 0.0, 0, 0.0
    after = before
    strip_rows = before_rows

    def fraction() -> float:
        if request.steps:
            return (facts["step"] - step0) / request.steps
        return min(1.0, (time.monotonic() - start) / max(budget, 1e-6))

    def save() -> None:
        checkpoint.save(
            model,
            optimizer,
            {
                **facts,
                "seconds": facts["seconds"] + time.monotonic() - loop_start,
                "data": str(folder),
                "base": tool.base,
            },
        )

    try:
        while (facts["step"] - step0 < request.steps) if request.steps else (time.monotonic() < deadline):
            progress.check()
            warm = min(1.0, (facts["step"] + 1) / 50)  # a short warm-up: Adam's moments start at zero
            for group in optimizer.param_groups:
                group["lr"] = lr * warm
            with COMPUTE_LOCK:
                loss = tool.step(model, optimizer, batch, crop)
            facts["step"] += 1
            facts["crops"] += batch
            window_loss, window_steps = window_loss + loss, window_steps + 1
            now = time.monotonic()
            rate = (facts["step"] - step0) * batch / max(now - loop_start, 1e-6)
            measured = None
            if now - last_eval >= request.eval_seconds:
                with COMPUTE_LOCK:
                    after, strip_rows = tool.evaluate(model, held_out[:QUICK_EVAL], before_rows)
                measured, last_eval = {"before": before_quick, "after": after}, time.monotonic()
            first = facts["step"] == step0 + 1
            if now - last_update >= request.update_seconds or measured or first:
                facts["losses"].append((facts["step"], window_loss / window_steps))
                window_loss, window_steps, last_update = 0.0, 0, now
                done = fraction()
                eta = (now - loop_start) * (1 - done) / max(done, 1e-6) if request.steps else max(0.0, deadline - now)
                progress.report(done * 0.95, f"Step {facts['step']}, loss {facts['losses'][-1][1]:.3f}")
                if on_update is not None:
                    on_update(
                        TrainUpdate(
                            facts["step"],
                            done,
                            eta,
                            list(facts["losses"]),
                            rate,
                            measured,
                            strip_rows if measured or first else None,  # the strip shows from the first step on
                        )
                    )
            if now - last_save >= request.checkpoint_seconds:
                save()
                last_save = time.monotonic()
    except BaseException:  # Cancelled (pause/cancel in the window), KeyboardInterrupt (Ctrl-C): keep the work
        if facts["step"] > step0:
            save()
        raise
    save()
    # 4. the final held-out measure, the model file and its manifest entry
    progress.report(0.96, "Measuring on the held-out photos")
    with COMPUTE_LOCK:
        after, strip_rows = tool.evaluate(model, held_out, before_rows)
    path = save_model(model, user_models.model_dir(request.name) / "model.safetensors")
    user_models.record(
        request.name,
        {
            "tool": tool.tool,
            **({"subject": tool.subject} if tool.subject else {}),
            "base": tool.base,
            "base_sha256": user_models.weights_key(tool.base),
            "config": tool.config(model),
            "data": str(folder),
            "command": request.command,
            "steps": facts["step"],
            "crops": facts["crops"],
            "train_minutes": round((facts["seconds"] + time.monotonic() - loop_start) / 60, 2),
            "training_photos": len(photos.train),
            "held_out_photos": len(photos.held_out),
            "metrics": {"held_out_before": before, "held_out_after": after},
        },
    )
    if on_update is not None:
        on_update(
            TrainUpdate(
                facts["step"], 1.0, 0.0, list(facts["losses"]), rate, {"before": before, "after": after}, strip_rows
            )
        )
    return FinetuneResult(
        request.name,
        facts["step"],
        facts["crops"],
        before,
        after,
        len(photos.train),
        len(photos.held_out),
        photos.skipped,
        photos.gray,
        rate,
        path,
        strip_rows,
    )


def merge_means(a: dict, b: dict) -> dict:
    """The means of `evaluate` over two disjoint sets of photos, as if measured together."""
    na, nb = a["photos"], b["photos"]
    merged = {k: (a[k] * na + b[k] * nb) / (na + nb) for k in ("psnr", "colourfulness", "colourfulness_original")}
    merged["delta_colourfulness"] = merged["colourfulness"] - merged["colourfulness_original"]
    return {k: round(v, 3) for k, v in merged.items()} | {"photos": na + nb}


def describe(result: FinetuneResult) -> str:
    """The result in a few lines (the CLI prints it; the dialog shows it)."""
    b, a = result.before, result.after
    lines = [
        f"{result.name}: {result.steps} steps, {result.crops} crops ({result.crops_per_second:.1f} crops/s); "
        f"{result.training_photos} photos trained on, {result.held_out_photos} held out",
        f"held out, before -> after: PSNR {b['psnr']:.2f} -> {a['psnr']:.2f} dB ({a['psnr'] - b['psnr']:+.2f}), "
        f"colourfulness {b['colourfulness']:.1f} -> {a['colourfulness']:.1f} "
        f"(originals {a['colourfulness_original']:.1f})",
    ]
    if result.gray_photos:
        lines.append(f"skipped {len(result.gray_photos)} grayscale photo(s)")
    for name, reason in result.skipped:
        lines.append(f"skipped {name}: {reason}")
    return "\n".join(lines)


def summary_json(result: FinetuneResult) -> str:
    return json.dumps({"name": result.name, "steps": result.steps, "before": result.before, "after": result.after})
