"""`python -m latent_studio.models.train colorizer [--loss l2] --data PACK_OR_DIR --val-data PACK --out DIR`.

Trains the hint-guided colorizer from scratch within a wall-clock budget. All photos live on the device;
each step draws random crops/scales/flips, converts them to Lab, simulates user hints (often none, so one
model does automatic and guided colorization) and trains either the rebalanced classification over ab bins
(default) or the plain-L2 baseline (`--loss l2`, same backbone). The bin prior is measured on the training
data here and stored in the model file. Resumable from <out>/checkpoint.safetensors; SIGTERM writes it.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from latent_studio.models.color import rgb_to_lab
from latent_studio.models.colorizer.data import PhotoBank, read_photos
from latent_studio.models.colorizer.hints import simulate_hints
from latent_studio.models.colorizer.losses import (
    decoded_l1,
    hint_emphasis,
    l2_regression,
    rebalanced_cross_entropy,
    target_ab,
)
from latent_studio.models.colorizer.network import Colorizer, make_input
from latent_studio.models.colorizer.quantize import empirical_prior, gamut_bins, rebalance_weights
from latent_studio.models.colorizer.validate import save_grid, validate
from latent_studio.models.training import (
    SIGTERM_EXIT,
    Budget,
    Checkpoint,
    JsonLog,
    SigtermFlag,
    fast_device,
    save_inference,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.train colorizer", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", nargs="+", required=True, help="folders of photos and/or .npz packs")
    parser.add_argument("--val-data", nargs="*", default=[], help="held-out photos (folders/packs)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--loss", choices=["classify", "l2"], default="classify")
    parser.add_argument("--minutes", type=float, default=7.0, help="wall-clock budget, everything included")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after N steps (smoke tests)")
    parser.add_argument(
        "--steps",
        type=int,
        default=0,
        help="a step budget instead of --minutes (for equal-work comparisons; not a smoke run)",
    )
    parser.add_argument(
        "--init", type=Path, default=None, help="start from this model.safetensors (fine-tuning; its config must match)"
    )
    parser.add_argument(
        "--l1-weight",
        type=float,
        default=0.0,
        help="classify only: add this weight x L1 of the decoded ab (annealed mean) vs the truth",
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=0, help="default 128 on CUDA, 4 on CPU")
    parser.add_argument("--crop", type=int, default=128, help="training crop size (multiple of 16)")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--deep", type=int, default=192)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--short-side", type=int, default=144, help="shrink photos read from folders to this")
    parser.add_argument("--checkpoint-minutes", type=float, default=2.0)
    parser.add_argument("--val-limit", type=int, default=100, help="at most this many validation photos")
    parser.add_argument("--working-size", type=int, default=256, help="validation working size")
    return parser.parse_args(argv)


def learning_rate(base: float, step: int, progress: float, warmup: int = 150) -> float:
    """Linear warm-up, then cosine decay to 3% over the budget (progress in [0, 1])."""
    warm = min(1.0, (step + 1) / warmup)
    return base * warm * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def measure_prior(bank: PhotoBank) -> torch.Tensor:
    """The training data's ab-bin prior, from a fixed set of crops (same data -> same prior)."""
    generator = torch.Generator(device=bank.device).manual_seed(1234)
    crops = [rgb_to_lab(bank.sample(64, 32, generator))[:, 1:] for _ in range(4)]
    return empirical_prior(crops, gamut_bins().to(bank.device))


def build_model(args: argparse.Namespace, head: str, prior: torch.Tensor | None, device: torch.device) -> Colorizer:
    """A fresh model: the --init run's weights (its prior and bins included) when fine-tuning, else a seeded
    initialisation with the measured `prior`."""
    torch.manual_seed(args.seed)  # the same initial weights however often a model is built
    model = Colorizer(width=args.width, head=head, deep=args.deep).to(device)
    if args.init is not None:
        model.load_state_dict(load_file(str(args.init), device=str(device)), strict=True)
    elif prior is not None:
        model.prior.copy_(prior)
    return model


def train_step(model, optimizer, bank, generator, args, batch, weights, autocast) -> torch.Tensor:
    """One optimisation step on fresh augmented crops with simulated hints; returns the detached loss."""
    with torch.no_grad():
        lab = rgb_to_lab(bank.sample(batch, args.crop, generator))
        hint_ab, mask = simulate_hints(lab[:, 1:], generator)
        x = make_input(lab[:, :1], hint_ab, mask).contiguous(memory_format=torch.channels_last)
    with autocast:
        output = model(x)
    size = tuple(output.shape[-2:])
    target, emphasis = target_ab(lab[:, 1:], size), hint_emphasis(mask, size)
    if weights is not None:
        loss = rebalanced_cross_entropy(output, target, model.ab_bins, weights, emphasis)
        if args.l1_weight:
            loss = loss + args.l1_weight * decoded_l1(model.decode(output), target, emphasis)
    else:
        loss = l2_regression(output, target, emphasis)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


class WindowLoss:
    """The mean loss since the last log line (summed on the device: read only when a line is written)."""

    def __init__(self) -> None:
        self.total: torch.Tensor | None = None
        self.steps, self.last = 0, float("nan")

    def add(self, loss: torch.Tensor) -> None:
        self.total = loss if self.total is None else self.total + loss
        self.steps += 1

    def take(self) -> float:
        assert self.total is not None
        self.last = float(self.total) / self.steps
        self.total, self.steps = None, 0
        return self.last


def main(argv: list[str] | None = None) -> int:
    start = time.monotonic()
    args = parse_args(argv)
    with SigtermFlag() as stop:
        return _train(args, stop, start)


def _train(args: argparse.Namespace, stop: SigtermFlag, start: float) -> int:
    device = torch.device(args.device)
    reserve = 20.0 + 0.06 * args.minutes * 60.0  # validation, samples, files, exit
    budget = Budget(args.minutes, reserve_s=reserve, start=start)
    torch.manual_seed(args.seed)
    fast_device(device)
    batch = args.batch_size or (128 if device.type == "cuda" else 4)
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. data on the device
    bank = PhotoBank(read_photos(args.data, args.short_side), device)
    val_photos = read_photos(args.val_data, args.short_side)[: args.val_limit] if args.val_data else []
    generator = torch.Generator(device=device).manual_seed(args.seed)
    print(
        f"colorizer[{args.loss}]: {len(bank)} training photos, {len(val_photos)} validation, batch {batch}, "
        f"data ready after {time.monotonic() - start:.1f} s",
        flush=True,
    )

    # 2. model (+ the bin prior of the training data, measured on a fixed set of crops), resumed if possible
    head = "classify" if args.loss == "classify" else "regress"
    prior = measure_prior(bank) if head == "classify" and args.init is None else None
    model = build_model(args, head, prior, device)
    weights = rebalance_weights(model.prior) if head == "classify" else None
    if args.init is not None:
        print(f"starting from {args.init}", flush=True)
    checkpoint = Checkpoint(args.out, {"": model}, args.max_steps, args.checkpoint_minutes)
    meta = checkpoint.load()
    facts: dict[str, Any] = {
        "step": int(meta.get("step", 0)),
        "images": int(meta.get("images", 0)),
        "progress": float(meta.get("progress", 0.0)),
        "seconds": float(meta.get("seconds", 0.0)),
    }
    model = model.to(memory_format=torch.channels_last).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")

    # 3. train until the budget (minus the reserve), --steps or --max-steps is reached
    log, window = JsonLog(args.out, start), WindowLoss()
    first_progress, step0 = facts["progress"], facts["step"]
    budget.begin(step0)
    loop_start = time.monotonic()
    while not stop.requested:
        if args.max_steps:
            progress = (facts["step"] - step0) / args.max_steps
        elif args.steps:
            progress = facts["step"] / args.steps
        else:
            progress = first_progress + (1 - first_progress) * budget.fraction()
        if progress >= 1.0:
            break
        lr = learning_rate(args.lr, facts["step"], progress)
        for group in optimizer.param_groups:
            group["lr"] = lr
        window.add(train_step(model, optimizer, bank, generator, args, batch, weights, autocast))
        facts.update(step=facts["step"] + 1, images=facts["images"] + batch, progress=progress)
        log.count(batch)
        if log.due():
            log.write(facts["step"], {"loss": window.take(), "lr": lr})
        if checkpoint.due():
            checkpoint.save({**facts, "seconds": facts["seconds"] + time.monotonic() - loop_start})
    if window.steps:
        log.write(facts["step"], {"loss": window.take(), "lr": optimizer.param_groups[0]["lr"]})
    facts["seconds"] += time.monotonic() - loop_start
    checkpoint.save(facts)
    if stop.requested:
        print(f"stopped by SIGTERM at step {facts['step']}; checkpoint written", flush=True)
        return SIGTERM_EXIT

    # 4. validation, samples, inference weights
    finish(
        model,
        args,
        val_photos,
        device,
        {
            "loss": args.loss,
            "steps": facts["step"],
            "images_seen": facts["images"],
            "train_minutes": round(facts["seconds"] / 60, 2),
            "final_loss": window.last,
            "batch_size": batch,
            "crop": args.crop,
            "training_photos": len(bank),
            "l1_weight": args.l1_weight,
            "init": str(args.init) if args.init else None,
        },
        start,
        deadline=budget.deadline(8.0),
    )
    return 0


def finish(
    model: Colorizer,
    args: argparse.Namespace,
    val_photos: list,
    device: torch.device,
    facts: dict,
    start: float,
    deadline: float,
) -> None:
    """Validate (until `deadline`), draw samples, write model.safetensors (fp32, inference keys), config, metrics."""
    model.eval()
    metrics: dict = {}
    if val_photos:
        metrics, rows = validate(model, val_photos, device, args.working_size, deadline=deadline)
        save_grid(rows, args.out / "samples.png")
    metrics.update(facts, total_minutes=round((time.monotonic() - start) / 60, 2))
    save_inference(args.out, model.to(memory_format=torch.contiguous_format), model.config())
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    rounded = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}
    print("metrics: " + json.dumps(rounded), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
