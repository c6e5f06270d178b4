"""The colorize issue's automatic numbers as models.evaluate colorizer reports them: neutral chroma is what a
sepia cast costs on the originals' neutral pixels, the median over photos with enough of them."""

from __future__ import annotations

import math

import torch

from latent_studio.models.color import lab_to_rgb
from latent_studio.models.colorizer.metrics import image_scores, neutral_chroma, summarize


def lab_picture(lightness: float, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return lab_to_rgb(torch.stack([torch.full_like(a, lightness), a, b])[None]).clamp(0, 1)


def test_a_warm_cast_on_gray_shows_as_neutral_chroma_and_a_gray_result_scores_zero() -> None:
    zeros = torch.zeros(16, 16)
    gray = lab_picture(60.0, zeros, zeros)
    sepia = lab_picture(60.0, zeros + 3.0, zeros + 8.0)  # chroma about 8.5
    assert neutral_chroma(gray, gray) < 0.5
    assert 7.5 < neutral_chroma(sepia, gray) < 9.5


def test_photos_with_too_few_neutral_pixels_are_left_out_of_the_median() -> None:
    zeros = torch.zeros(16, 16)
    colourful = lab_picture(60.0, zeros + 40.0, zeros)  # no neutral pixel
    assert math.isnan(neutral_chroma(colourful, colourful))
    gray = lab_picture(60.0, zeros, zeros)
    rows = [image_scores(lab_picture(60.0, zeros + c, zeros), gray) for c in (2.0, 4.0, 10.0)] + [
        image_scores(colourful, colourful)
    ]
    report = summarize(rows)
    assert report["neutral_photos"] == 3 and 3.5 < report["neutral_chroma"] < 4.5  # the median of 2, 4, 10
    assert math.isfinite(report["psnr"]) and "delta_colourfulness" in report
