"""Validation of a colorizer on held-out photos, automatic and with simulated user hints, plus a sample grid.

Used at the end of the training recipe (on the packed BSDS500 val split) so every trained file comes with
numbers measured through the same pipeline the app uses (`models.colorizer.inference`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from latent_studio.models.color import lab_to_rgb, rgb_to_lab
from latent_studio.models.colorizer.inference import colorize_lightness
from latent_studio.models.colorizer.metrics import image_scores, summarize
from latent_studio.models.colorizer.network import Colorizer


def photo_tensor(photo: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.array(photo, copy=True)).to(device).permute(2, 0, 1)[None].float() / 255.0


def true_hints(lab: torch.Tensor, count: int, seed: int) -> list[tuple[float, float, float, float]]:
    """`count` hints at random pixels holding the true colour (what an attentive user would give)."""
    generator = np.random.default_rng(seed)
    height, width = lab.shape[-2:]
    hints = []
    for _ in range(count):
        y, x = int(generator.integers(0, height)), int(generator.integers(0, width))
        hints.append((x + 0.5, y + 0.5, float(lab[0, 1, y, x]), float(lab[0, 2, y, x])))
    return hints


def validate(
    model: Colorizer,
    photos: list[np.ndarray],
    device: torch.device,
    working_size: int = 256,
    hint_count: int = 10,
    deadline: float | None = None,
) -> tuple[dict[str, float], list[list[torch.Tensor]]]:
    """Mean scores of automatic and hinted colorization, and (gray, auto, hinted, original) rows for samples.

    Past `deadline` (time.monotonic()) it stops early, after at least one photo: a training budget is a promise.
    """
    auto_rows: list[dict[str, float]] = []
    hint_rows: list[dict[str, float]] = []
    samples: list[list[torch.Tensor]] = []
    model.eval()
    for index, photo in enumerate(photos):
        if deadline is not None and index > 0 and time.monotonic() > deadline:
            break
        rgb = photo_tensor(photo, device)
        lab = rgb_to_lab(rgb)
        lightness = lab[:, :1]
        auto = colorize_lightness(model, lightness, (), working_size)
        hinted = colorize_lightness(model, lightness, true_hints(lab, hint_count, index), working_size)
        auto_rows.append(image_scores(auto, rgb))
        hint_rows.append(image_scores(hinted, rgb))
        if len(samples) < 6:
            gray = lab_to_rgb(torch.cat([lightness, torch.zeros_like(lab[:, 1:])], dim=1))
            samples.append([gray, auto, hinted, rgb])
    metrics = {f"auto_{k}": v for k, v in summarize(auto_rows).items()}
    metrics.update({f"hints{hint_count}_{k}": v for k, v in summarize(hint_rows).items()})
    metrics["val_images"] = len(auto_rows)
    return metrics, samples


def save_grid(rows: list[list[torch.Tensor]], path: Path, height: int = 112) -> None:
    """One row per image: gray input | automatic | with hints | original, each `height` pixels tall."""
    tiles = []
    for row in rows:
        resized = []
        for image in row:
            h, w = image.shape[-2:]
            size = (height, max(1, round(w * height / h)))
            scaled = torch.nn.functional.interpolate(image.float(), size=size, mode="bilinear", antialias=True)
            resized.append((scaled[0].clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8))
        tiles.append(np.concatenate(resized, axis=1))
    width = max(tile.shape[1] for tile in tiles)
    tiles = [np.pad(tile, ((0, 2), (0, width - tile.shape[1]), (0, 0))) for tile in tiles]
    Image.fromarray(np.concatenate(tiles, axis=0)).save(path, optimize=True)
