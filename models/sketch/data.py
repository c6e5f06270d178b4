"""Training and evaluation data for the sketch model, held in device memory as uint8 and cropped on the device.

Two kinds of source:
- sketch packs (`python -m latent_studio.models.sketch.pack`) or a BSDS500 folder: photos with people's boundary maps;
- photo packs (`models.datapack`) or plain folders of photos: lines are extracted on the device each step.
Every image of a set is padded into one (N, C, S, S) uint8 tensor with its true size kept beside it, so a
batch of random crops (scale, position, flip) is one `grid_sample` call instead of a DataLoader.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from latent_studio.models.datapack import decode, iter_photos, load_blobs
from latent_studio.models.errors import LatentStudioError

MAX_ASPECT = 2.0  # longer sides are centre-cropped to this ratio so padding stays small


@dataclass
class SketchSet:
    """Photos (HxWx3 uint8) and, for some of them, human line maps (HxW uint8 ink, 255 = line)."""

    photos: list[np.ndarray] = field(default_factory=list)
    lines: list[np.ndarray] = field(default_factory=list)
    line_owner: list[int] = field(default_factory=list)  # index into photos of each line map

    def extend(self, other: SketchSet) -> None:
        base = len(self.photos)
        self.photos += other.photos
        self.lines += other.lines
        self.line_owner += [base + i for i in other.line_owner]


def _read_pack(path: Path) -> SketchSet:
    _names, blobs, extra = load_blobs(path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        arrays = list(pool.map(decode, blobs))
    result = SketchSet()
    if "kind" not in extra:  # a plain photo pack
        result.photos = [a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2) for a in arrays]
        return result
    photo_of_blob: dict[int, int] = {}
    for array, kind, owner in zip(arrays, extra["kind"], extra["photo_index"], strict=True):
        if kind == 0:
            photo_of_blob[int(owner)] = len(result.photos)
            result.photos.append(array)
    for array, kind, owner in zip(arrays, extra["kind"], extra["photo_index"], strict=True):
        if kind == 1 and int(owner) in photo_of_blob:
            result.lines.append(array if array.ndim == 2 else array[..., 0])
            result.line_owner.append(photo_of_blob[int(owner)])
    return result


def _read_bsds(root: Path, split: str, short_side: int) -> SketchSet:
    from latent_studio.models.sketch.pack import iter_split

    result = SketchSet()
    for _, photo, lines in iter_split(root, split, short_side):
        for ink in lines:
            result.lines.append(ink)
            result.line_owner.append(len(result.photos))
        result.photos.append(photo)
    return result


def load_sources(sources: list[str | Path], bsds_split: str = "val", short_side: int = 192) -> SketchSet:
    """Everything under `sources` (packs, BSDS500 roots or photo folders) as one SketchSet."""
    result = SketchSet()
    for entry in sources:
        source = Path(entry)
        if not source.exists():
            raise LatentStudioError(f"The data source {source} does not exist.")
        if source.suffix == ".npz":
            result.extend(_read_pack(source))
        elif (source / "groundTruth").is_dir() and (source / "images").is_dir():
            result.extend(_read_bsds(source, bsds_split, short_side))
        else:
            result.extend(SketchSet(photos=[a for _, a in iter_photos([source], short_side)]))
    if not result.photos:
        raise LatentStudioError(f"No photos were found in {', '.join(map(str, sources))}.")
    return result


def _centre_crop(array: np.ndarray) -> np.ndarray:
    h, w = array.shape[:2]
    if w > MAX_ASPECT * h:
        x = (w - int(MAX_ASPECT * h)) // 2
        return array[:, x : x + int(MAX_ASPECT * h)]
    if h > MAX_ASPECT * w:
        y = (h - int(MAX_ASPECT * w)) // 2
        return array[y : y + int(MAX_ASPECT * w)]
    return array


@dataclass
class Bank:
    """Images padded into one uint8 tensor (N, C, S, S) on a device, with each one's true (h, w)."""

    images: torch.Tensor
    sizes: torch.Tensor  # (N, 2) long: height, width

    @classmethod
    def build(cls, arrays: list[np.ndarray], device: torch.device, side: int | None = None) -> Bank:
        arrays = [_centre_crop(a) for a in arrays]
        side = side or max(max(a.shape[:2]) for a in arrays)
        channels = 1 if arrays[0].ndim == 2 else arrays[0].shape[2]
        images = torch.zeros(len(arrays), channels, side, side, dtype=torch.uint8)
        for i, array in enumerate(arrays):
            tensor = torch.from_numpy(np.array(array, copy=True))
            tensor = tensor[None] if tensor.ndim == 2 else tensor.permute(2, 0, 1)
            images[i, :, : tensor.shape[1], : tensor.shape[2]] = tensor
        sizes = torch.tensor([a.shape[:2] for a in arrays], dtype=torch.long)
        return cls(images.to(device), sizes.to(device))

    @staticmethod
    def side_for(*groups: list[np.ndarray]) -> int:
        return max(max(_centre_crop(a).shape[:2]) for group in groups for a in group)


def random_crops(
    images: torch.Tensor, sizes: torch.Tensor, crop: int, zoom: tuple[float, float] = (0.6, 1.3)
) -> torch.Tensor:
    """Square crops (B, C, crop, crop) float in [0, 1] of padded uint8 `images` (B, C, S, S) with true `sizes`.

    Each crop covers `crop * u` source pixels, u uniform in `zoom` (capped by the image's short side), at a
    random position, mirrored half of the time: one affine `grid_sample` for the whole batch.
    """
    b, _, side_h, side_w = images.shape
    device = images.device
    h, w = sizes[:, 0].float(), sizes[:, 1].float()
    span = crop * (zoom[0] + torch.rand(b, device=device) * (zoom[1] - zoom[0]))
    span = torch.minimum(span, torch.minimum(h, w))
    y0 = torch.rand(b, device=device) * (h - span)
    x0 = torch.rand(b, device=device) * (w - span)
    flip = torch.where(torch.rand(b, device=device) < 0.5, -1.0, 1.0)
    theta = torch.zeros(b, 2, 3, device=device)
    theta[:, 0, 0] = span / side_w * flip
    theta[:, 0, 2] = (2 * x0 + span) / side_w - 1
    theta[:, 1, 1] = span / side_h
    theta[:, 1, 2] = (2 * y0 + span) / side_h - 1
    grid = F.affine_grid(theta, [b, 1, crop, crop], align_corners=False)
    return F.grid_sample(images.float() / 255.0, grid, mode="bilinear", padding_mode="border", align_corners=False)
