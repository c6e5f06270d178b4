"""What the VAE and face-attribute recipes share: their options, face data on the device, augmentation, grids.

Both recipes follow the project's GPU contract: all faces are decoded once (thread pool) into one uint8
tensor on the device and augmentation runs there in torch. The budget, log and checkpoint bookkeeping every
recipe shares lives in models.training.
"""

from __future__ import annotations

import argparse
import os
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from latent_studio.models.datapack import decode, list_images, load_blobs
from latent_studio.models.training import fast_device
from latent_studio.models.vae.split import OLD_MIN_AGE, YOUNG_MAX_AGE, is_val, parse_labels


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
    fast_device(device)
    args.out.mkdir(parents=True, exist_ok=True)
    return device


def _read_file(path: Path, size: int) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image)


def _items(sources: list[str]) -> list[tuple[str, object, bool]]:
    """(name, blob-or-path, is_val) of every labelled face in folders and packs."""
    items: list[tuple[str, object, bool]] = []
    for source in map(Path, sources):
        if source.suffix == ".npz":
            names, blobs, extra = load_blobs(source)
            flags = extra.get("is_val", np.array([is_val(n) for n in names]))
            items += [(n, b, bool(v)) for n, b, v in zip(names, blobs, flags, strict=True)]
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
        _, blob, _ = item
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
        age=torch.tensor([label[0] for label in labels], device=device),
        gender=torch.tensor([label[1] for label in labels], device=device),
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


def save_grid(rows: list[torch.Tensor], path: Path) -> None:
    """Rows of (N,3,S,S) images in [0, 1] -> one PNG (short rows padded with black)."""
    strips = [torch.cat(list(row.float().clamp(0, 1).cpu()), dim=2) for row in rows if len(row)]
    width = max(strip.shape[2] for strip in strips)
    grid = torch.cat([torch.nn.functional.pad(strip, (0, width - strip.shape[2])) for strip in strips], dim=1)
    Image.fromarray((grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)).save(path)
