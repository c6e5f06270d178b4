"""Colorization measures: accuracy (PSNR, SSIM from models.metrics) and colourfulness.

Colourfulness is Hasler & Suesstrunk's 2003 measure on 8-bit RGB: with rg = R - G and yb = (R + G)/2 - B,
CF = sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2). Washed-out colorizations score low;
comparing the results' mean CF with the originals' (ΔCF) shows whether a method keeps colours vivid.

Neutral chroma: where the original is (nearly) neutral (CIELAB chroma below 6: white sky, gray stone), the
result's mean chroma; a sepia cast shows here even when PSNR looks fine. Reported as the median over photos with
more than 5 % such pixels (the colorize issue's third target: at most 4).
"""

from __future__ import annotations

import math
import statistics

import torch

from latent_studio.models.color import rgb_to_lab
from latent_studio.models.metrics import psnr, ssim

NEUTRAL_CHROMA = 6.0  # an original pixel with less CIELAB chroma than this counts as neutral
NEUTRAL_SHARE = 0.05  # a photo enters the neutral median only when more of its pixels than this are neutral


def colourfulness(rgb: torch.Tensor) -> torch.Tensor:
    """(N,3,H,W) RGB in [0, 1] -> (N,) Hasler-Suesstrunk colourfulness (0-255 scale)."""
    x = rgb.float() * 255.0
    rg = x[:, 0] - x[:, 1]
    yb = 0.5 * (x[:, 0] + x[:, 1]) - x[:, 2]
    std = (rg.flatten(1).var(1, unbiased=False) + yb.flatten(1).var(1, unbiased=False)).sqrt()
    mean = (rg.flatten(1).mean(1).square() + yb.flatten(1).mean(1).square()).sqrt()
    return std + 0.3 * mean


def neutral_chroma(result: torch.Tensor, original: torch.Tensor) -> float:
    """Mean CIELAB chroma of a (1,3,H,W) result where its original is neutral; NaN when too little of it is."""
    neutral = rgb_to_lab(original.float())[:, 1:].norm(dim=1) < NEUTRAL_CHROMA
    if float(neutral.float().mean()) <= NEUTRAL_SHARE:
        return float("nan")
    return float(rgb_to_lab(result.float().clamp(0, 1))[:, 1:].norm(dim=1)[neutral].mean())


def image_scores(result: torch.Tensor, original: torch.Tensor) -> dict[str, float]:
    """PSNR, SSIM, colourfulness and neutral chroma of one (1,3,H,W) result against its original."""
    return {
        "psnr": float(psnr(result, original)[0]),
        "ssim": float(ssim(result, original)[0]),
        "colourfulness": float(colourfulness(result)[0]),
        "colourfulness_original": float(colourfulness(original)[0]),
        "neutral_chroma": neutral_chroma(result, original),
    }


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    """Means over images, plus ΔCF = mean CF of results - mean CF of originals; neutral chroma is the median over
    the photos that have enough neutral pixels (NaN when none has), with their count."""
    keys = [key for key in (rows[0].keys() if rows else []) if key != "neutral_chroma"]
    means = {key: sum(row[key] for row in rows) / len(rows) for key in keys}
    if "colourfulness" in means:
        means["delta_colourfulness"] = means["colourfulness"] - means["colourfulness_original"]
    if rows and "neutral_chroma" in rows[0]:
        neutral = [row["neutral_chroma"] for row in rows if not math.isnan(row["neutral_chroma"])]
        means["neutral_chroma"] = statistics.median(neutral) if neutral else math.nan
        means["neutral_photos"] = float(len(neutral))
    return means
