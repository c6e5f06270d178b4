"""What the VAE and face-attribute recipes share: face data on the device, augmentation, budget, log, checkpoint.

Both recipes follow the project's GPU contract: all faces are decoded once (thread pool) into one uint8
tensor on the device, augmentation runs there in torch, training stops early enough for validation and
outputs to fit the wall-clock budget, checkpoints are written atomically every few minutes and on SIGTERM,
and a run resumes from <out>/checkpoint.safetensors when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from latent_studio.models.checkpoint import load_modules, read_metadata, save_modules, save_weights
from latent_studio.models.datapack import decode, list_images, load_blobs
from latent_studio.models.vae.split import OLD_MIN_AGE, YOUNG_MAX_AGE, is_val, parse_labels

START = time.monotonic()


@dataclass
class Faces:
    """Faces as (N,3,S,S) uint8 on a device plus their labels (age -1 where unknown)."""

    images: torch.Tensor
    age: torch.Tensor
    gender: torch.Tensor
    names: list[str]

    def __len__(self) -> int:
        return self.images.shape[0]

    def young(self) -> torch.Tensor:
        """1 young (<= 30), 0 old (>= 50), -1 neither/unknown."""
        out = torch.full_like(self.age, -1)
        out[(self.age >= 0) & (self.age <= YOUNG_MAX_AGE)] = 1
        out[self.age >= OLD_MIN_AGE] = 0
        return out

    def floats(self, index: torch.Tensor) -> torch.Tensor:
        return self.images[index].float().div_(255)


def common_arguments(parser: argparse.ArgumentParser, batch_size: int) -> None:
    """The options every recipe of the GPU contract takes."""
    parser.add_argument("--data", nargs="+", required=True, help="UTKFace folders or faces .npz packs")
    parser.add_argument("--val-data", nargs="*", default=None, help="held-out faces (default: the val split of --data)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=7.0, help="wall-clock budget, everything included")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after N steps (smoke tests)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=64, help="working size (faces are resized to it)")
    parser.add_argument("--checkpoint-minutes", type=float, default=2.0)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N faces (smoke tests)")


def setup(args: argparse.Namespace) -> torch.device:
    """Seeds, fast GPU settings, the output folder."""
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    args.out.mkdir(parents=True, exist_ok=True)
    return device


def _read_file(path: Path, size: int) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image)


def _items(sources: list[str]) -> list[tuple[str, object, bool]]:
    """(name, blob-or-path, is_val) of every labelled face in folders and packs."""
    items = []
    for source in map(Path, sources):
        if source.suffix == ".npz":
            names, blobs, extra = load_blobs(source)
            flags = extra.get("is_val", np.array([is_val(n) for n in names]))
            items += [(n, b, bool(v)) for n, b, v in zip(names, blobs, flags)]
        else:
            items += [(str(p.name), p, is_val(p.name)) for p in list_images(source)]
    return items


def load_faces(sources: list[str], size: int, device: torch.device, want_val: bool, limit: int = 0) -> Faces:
    """The train (or val) split of `sources`, decoded in a thread pool and moved to `device` as uint8."""
    items = [it for it in _items(sources) if it[2] == want_val]
    if limit:
        items = items[:limit]
    if not items:
        raise SystemExit(f"no {'val' if want_val else 'train'} faces in {sources}")

    def load(item):
        name, blob, _ = item
        array = _read_file(blob, size) if isinstance(blob, Path) else decode(blob)
        if array.shape[0] != size:
            array = np.asarray(Image.fromarray(array).resize((size, size), Image.Resampling.LANCZOS))
        return array

    with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 1)) as pool:
        arrays = list(pool.map(load, items))
    labels = [parse_labels(name) or (-1, -1, -1) for name, _, _ in items]
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    return Faces(
        images=images.to(device),
        age=torch.tensor([l[0] for l in labels], device=device),
        gender=torch.tensor([l[1] for l in labels], device=device),
        names=[name for name, _, _ in items],
    )


def augment(images: torch.Tensor, generator: torch.Generator, shift: float = 0.04, scale: float = 0.04) -> torch.Tensor:
    """Random flips, small shifts and scales (reflection padded) on the device: the framing stays UTKFace's."""
    n = images.shape[0]
    rand = torch.rand(n, 4, device=images.device, generator=generator)
    flip = torch.where(rand[:, 0] < 0.5, -1.0, 1.0)
    s = 1 + (rand[:, 1] * 2 - 1) * scale
    theta = torch.zeros(n, 2, 3, device=images.device)
    theta[:, 0, 0] = s * flip
    theta[:, 1, 1] = s
    theta[:, 0, 2] = (rand[:, 2] * 2 - 1) * shift * 2
    theta[:, 1, 2] = (rand[:, 3] * 2 - 1) * shift * 2
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


class Budget:
    """Wall-clock budget from process start; keeps `reserve_s` for validation and writing outputs."""

    def __init__(self, minutes: float, reserve_s: float) -> None:
        self.end = START + minutes * 60 - reserve_s
        self.train_start = time.monotonic()

    def left(self) -> float:
        return self.end - time.monotonic()

    def fraction(self) -> float:
        total = self.end - self.train_start
        return 1.0 if total <= 0 else min(1.0, (time.monotonic() - self.train_start) / total)


class JsonLog:
    """<out>/log.jsonl every `every_s` seconds plus a short stdout line."""

    def __init__(self, out: Path, every_s: float = 15.0, fresh: bool = False) -> None:
        self.path, self.every_s, self.last = out / "log.jsonl", every_s, 0.0
        if fresh and self.path.exists():
            self.path.unlink()  # a fresh start (not a resume): the old log belongs to another run
        self.images_since, self.t_since = 0, time.monotonic()

    def step(self, step: int, images: int, losses: dict[str, torch.Tensor | float], force: bool = False) -> None:
        """Count `images`; losses may be GPU tensors: they are read (a device sync) only when a line is due."""
        self.images_since += images
        now = time.monotonic()
        if not force and now - self.last < self.every_s:
            return
        rate = self.images_since / max(1e-6, now - self.t_since)
        record = {"step": step, "seconds": round(now - START, 1), "images_per_s": round(rate, 1)}
        record.update({k: round(float(v), 5) for k, v in losses.items()})
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        print(" ".join(f"{k}={v}" for k, v in record.items()), flush=True)
        self.last, self.images_since, self.t_since = now, 0, now


def save_checkpoint(out: Path, modules: dict[str, torch.nn.Module], meta: dict) -> None:
    """All weights needed to continue (fp32), scalars in the metadata; atomic."""
    save_modules(out / "checkpoint.safetensors", modules, meta)


SMOKE_STEPS = 100  # a run capped at this many steps or fewer is a smoke test


def is_smoke(max_steps: int) -> bool:
    return 0 < max_steps <= SMOKE_STEPS


def load_checkpoint(out: Path, modules: dict[str, torch.nn.Module], max_steps: int = 0) -> dict[str, str]:
    """Restore weights from <out>/checkpoint.safetensors if present; returns its metadata ({} if none).

    A checkpoint left by a smoke test (a few steps, e.g. `train_all --smoke` in the same runs folder) is
    ignored by a real run, so the real run starts fresh with its warm-up phases."""
    path = out / "checkpoint.safetensors"
    if not path.exists():
        return {}
    if read_metadata(path).get("smoke") == "True" and not is_smoke(max_steps):
        print(f"ignoring {path}: it was left by a smoke test", flush=True)
        return {}
    meta = load_modules(path, modules)
    print(f"resuming from {path} at step {meta.get('step', '?')}", flush=True)
    return meta


def save_inference(out: Path, module: torch.nn.Module, config: dict) -> None:
    """model.safetensors (fp32, keys exactly the architecture's state_dict) and config.json."""
    save_weights(out / "model.safetensors", module)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def save_grid(rows: list[torch.Tensor], path: Path) -> None:
    """Rows of (N,3,S,S) images in [0, 1] -> one PNG (short rows padded with black)."""
    strips = [torch.cat(list(row.float().clamp(0, 1).cpu()), dim=2) for row in rows if len(row)]
    width = max(strip.shape[2] for strip in strips)
    grid = torch.cat([torch.nn.functional.pad(strip, (0, width - strip.shape[2])) for strip in strips], dim=1)
    Image.fromarray((grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)).save(path)
