"""Colorization measures: accuracy (PSNR, SSIM from models.metrics) and colourfulness.

Colourfulness is Hasler & Suesstrunk's 2003 measure on 8-bit RGB: with rg = R - G and yb = (R + G)/2 - B,
CF = sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2). Washed-out colorizations score low;
comparing the results' mean CF with the originals' (ΔCF) shows whether a method keeps colours vivid.
"""

from __future__ import annotations

import torch

from latent_studio.models.metrics import psnr, ssim


def colourfulness(rgb: torch.Tensor) -> torch.Tensor:
    """(N,3,H,W) RGB in [0, 1] -> (N,) Hasler-Suesstrunk colourfulness (0-255 scale)."""
    x = rgb.float() * 255.0
    rg = x[:, 0] - x[:, 1]
    yb = 0.5 * (x[:, 0] + x[:, 1]) - x[:, 2]
    std = (rg.flatten(1).var(1, unbiased=False) + yb.flatten(1).var(1, unbiased=False)).sqrt()
    mean = (rg.flatten(1).mean(1).square() + yb.flatten(1).mean(1).square()).sqrt()
    return std + 0.3 * mean


def image_scores(result: torch.Tensor, original: torch.Tensor) -> dict[str, float]:
    """PSNR, SSIM and colourfulness of one (1,3,H,W) result against its original."""
    return {
        "psnr": float(psnr(result, original)[0]),
        "ssim": float(ssim(result, original)[0]),
        "colourfulness": float(colourfulness(result)[0]),
        "colourfulness_original": float(colourfulness(original)[0]),
    }


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    """Means over images, plus ΔCF = mean CF of results - mean CF of originals."""
    keys = rows[0].keys() if rows else []
    means = {key: sum(row[key] for row in rows) / len(rows) for key in keys}
    if "colourfulness" in means:
        means["delta_colourfulness"] = means["colourfulness"] - means["colourfulness_original"]
    return means
