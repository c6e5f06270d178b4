"""Synthetic test pictures with photo-like structure (smooth shading, edges, texture), made on the fly.

Benchmarks never read or write images inside the repository; these are generated in memory (or written to a
temporary folder by the batch benchmark), deterministic for a seed.
"""

from __future__ import annotations

import numpy as np


def synthetic_photo(height: int, width: int, seed: int = 0, gray: bool = True) -> np.ndarray:
    """HxWx3 uint8: a lit gradient, a few discs and bars, and fine noise; gray (R=G=B) by default."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    base = 0.35 + 0.4 * (x * rng.uniform(0.2, 1) + y * rng.uniform(0.2, 1)) / 2
    image = np.repeat(base[..., None], 3, axis=2) if not gray else base[..., None]
    image = np.broadcast_to(image, (height, width, image.shape[2])).copy()
    for _ in range(6):
        cy, cx, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
        disc = ((y - cy) ** 2 + ((x - cx) * width / height) ** 2) < r * r
        image[disc] = rng.uniform(0, 1, image.shape[2])
    bars = (np.sin(x * rng.uniform(20, 80)) > 0.7) & (y > 0.7)
    image[bars] *= 0.5
    image += rng.normal(0, 0.03, (height, width, 1)).astype(np.float32)
    pixels = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    return np.repeat(pixels, 3, axis=2) if pixels.shape[2] == 1 else pixels


def sketch_lines(size: int, seed: int = 0) -> np.ndarray:
    """HxW uint8 line drawing (0 = ink, 255 = paper): a few circles and strokes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    ink = np.zeros((size, size), bool)
    for _ in range(5):
        cy, cx, r = rng.uniform(0.2, 0.8, 3) * [1, 1, 0.4]
        ink |= np.abs(np.hypot(y - cy, x - cx) - r) < 1.5 / size
    ink |= np.abs(y - 0.6 - 0.1 * np.sin(x * 9)) < 1.5 / size
    return np.where(ink, 0, 255).astype(np.uint8)


def colour_strokes(size: int) -> np.ndarray:
    """HxWx4 RGBA layer with two painted blobs (what a user's colour strokes look like)."""
    layer = np.zeros((size, size, 4), np.uint8)
    q = max(1, size // 8)
    layer[q : 2 * q, q : 3 * q] = (200, 60, 40, 255)
    layer[5 * q : 6 * q, 4 * q : 7 * q] = (40, 90, 200, 255)
    return layer
