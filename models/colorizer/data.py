"""Training photos held on the training device, and random crops/scales/flips drawn from them there.

The whole training set (a couple of thousand photos at a 144-pixel short side) fits in GPU memory as uint8,
so augmentation is one batched `grid_sample` per step instead of a DataLoader: every step sees new random
crops, scales and flips without the CPU becoming the bottleneck. Photos are stored with their short side
along the canvas height (portrait ones transposed, with a flag), so one canvas holds them all compactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from latent_studio.models.datapack import decode, is_grayscale, iter_photos, load_blobs


def read_photos(
    sources: list[str | Path], short_side: int = 144, drop_gray: bool = True, threads: int = 8
) -> list[np.ndarray]:
    """HxWx3 uint8 photos from folders and/or .npz packs (packs decoded by a thread pool)."""
    photos: list[np.ndarray] = []
    for given in sources:
        source = Path(given)
        if source.suffix == ".npz":
            _, blobs, _ = load_blobs(source)
            with ThreadPoolExecutor(threads) as pool:
                arrays = list(pool.map(decode, blobs))
            arrays = [a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2) for a in arrays]
        elif source.is_dir():
            arrays = [array for _, array in iter_photos([source], short_side)]
        else:
            raise FileNotFoundError(f"{source} is neither a folder of photos nor a .npz pack.")
        photos.extend(a for a in arrays if min(a.shape[:2]) >= 16 and not (drop_gray and is_grayscale(a)))
    return photos


class PhotoBank:
    """All photos on one device as a uint8 canvas, sampled as random augmented crops."""

    def __init__(self, photos: list[np.ndarray], device: torch.device) -> None:
        if not photos:
            raise ValueError("no usable colour photos in the training data")
        short = max(min(p.shape[:2]) for p in photos)
        long = max(max(p.shape[:2]) for p in photos)
        canvas = np.zeros((len(photos), short, long, 3), dtype=np.uint8)
        sizes = np.zeros((len(photos), 2), dtype=np.float32)  # original (height, width)
        transposed = np.zeros(len(photos), dtype=bool)
        for i, given in enumerate(photos):
            sizes[i] = given.shape[:2]
            photo = given
            if photo.shape[0] > photo.shape[1]:
                photo, transposed[i] = photo.transpose(1, 0, 2), True
            canvas[i, : photo.shape[0], : photo.shape[1]] = photo
        self.canvas = torch.from_numpy(canvas).to(device).permute(0, 3, 1, 2).contiguous()  # (N,3,S,L) uint8
        self.sizes = torch.from_numpy(sizes).to(device)
        self.transposed = torch.from_numpy(transposed).to(device)
        self.device = device

    def __len__(self) -> int:
        return int(self.canvas.shape[0])

    def sample(self, batch: int, crop: int, generator: torch.Generator, max_scale: float = 2.0) -> torch.Tensor:
        """(batch, 3, crop, crop) float RGB in [0, 1]: random photo, scale in [fit, max_scale], offset, flip."""
        device = self.device
        index = torch.randint(0, len(self), (batch,), generator=generator, device=device)
        h, w = self.sizes[index, 0], self.sizes[index, 1]
        min_scale = crop / torch.minimum(h, w)
        u = torch.rand(batch, generator=generator, device=device)
        scale = torch.maximum(min_scale, min_scale + u * (max_scale - min_scale)).clamp_min(min_scale)
        window = crop / scale  # crop size in source pixels
        y0 = torch.rand(batch, generator=generator, device=device) * (h - window).clamp_min(0)
        x0 = torch.rand(batch, generator=generator, device=device) * (w - window).clamp_min(0)
        flip = torch.rand(batch, generator=generator, device=device) < 0.5
        steps = (torch.arange(crop, device=device, dtype=torch.float32) + 0.5) / crop  # (crop,)
        ys = y0[:, None] + steps[None] * window[:, None]  # source rows, (B, crop)
        frac = torch.where(flip[:, None], 1 - steps[None], steps[None])
        xs = x0[:, None] + frac * window[:, None]
        gy = ys[:, :, None].expand(-1, -1, crop)
        gx = xs[:, None, :].expand(-1, crop, -1)
        # stored coordinates: portrait photos are stored transposed
        t = self.transposed[index].view(-1, 1, 1)
        sx, sy = torch.where(t, gy, gx), torch.where(t, gx, gy)
        height, width = self.canvas.shape[2], self.canvas.shape[3]
        grid = torch.stack([2 * sx / width - 1, 2 * sy / height - 1], dim=-1)
        images = self.canvas[index].float().div_(255.0)
        out = F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
        return out.clamp_(0.0, 1.0)
