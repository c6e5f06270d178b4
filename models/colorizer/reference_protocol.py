"""The reference-colorization protocol of `python -m latent_studio.models.evaluate colorizer --reference`.

Each held-out photo is colorized with its own colour original as the reference, but mirrored left-right and
with 15 % of its width cropped off one side (left on even photos, right on odd ones), so copying pixels by
position cannot work and matching by content must. Rows: the lightness-level baseline (each lightness level
-> the reference's mean colour at that level, no content matching at all), our content matching alone, and
our matching fed to the network as dense hints (what the app ships).
"""

from __future__ import annotations

import numpy as np
import torch

from latent_studio.models.color import lab_to_rgb, rgb_to_lab
from latent_studio.models.colorizer.inference import resize, spatial_shape, working_shape
from latent_studio.models.colorizer.reference import (
    match_chroma,
    predict_ab_with_reference,
    prepare_reference_rgb,
    thinning_step,
)

CROP = 0.15
LEVELS = 50  # lightness bins of the baseline (2 L units each)
BASELINE = "lightness-level baseline"
MATCHED = "reference matching"
FUSED = "reference matching + network"


def reference_view(photo: np.ndarray, index: int) -> np.ndarray:
    """The protocol's reference: the photo mirrored left-right, 15 % of its width cropped off one side."""
    mirrored = photo[:, ::-1]
    cut = round(photo.shape[1] * CROP)
    kept = mirrored[:, cut:] if index % 2 == 0 else mirrored[:, : photo.shape[1] - cut]
    return np.ascontiguousarray(kept)


def level_baseline(lightness: torch.Tensor, reference_rgb: torch.Tensor) -> torch.Tensor:
    """(1,1,H,W) L -> (1,2,H,W) ab: the reference's mean ab at each lightness level (empty levels: nearest)."""
    lab = rgb_to_lab(reference_rgb)
    bins = (lab[:, 0].flatten() / 100 * LEVELS).long().clamp(0, LEVELS - 1)
    count = torch.zeros(LEVELS, device=lab.device).index_add_(0, bins, torch.ones_like(bins, dtype=torch.float32))
    sums = torch.zeros(LEVELS, 2, device=lab.device).index_add_(0, bins, lab[0, 1:].flatten(1).T)
    filled = torch.nonzero(count > 0).flatten()
    means = sums[filled] / count[filled, None]
    nearest = (torch.arange(LEVELS, device=lab.device)[:, None] - filled[None]).abs().argmin(dim=1)
    table = means[nearest]  # (LEVELS, 2)
    index = (lightness / 100 * LEVELS).long().clamp(0, LEVELS - 1)
    return table[index[0, 0]].permute(2, 0, 1)[None]


def reference_results(
    model, photo: np.ndarray, index: int, lightness: torch.Tensor, size: int
) -> dict[str, torch.Tensor]:
    """The RGB results (1,3,H,W) of each reference method for one photo (lightness: its full-resolution L)."""
    device = lightness.device
    view = reference_view(photo, index)
    view_rgb = torch.from_numpy(view).to(device).permute(2, 0, 1)[None].float() / 255.0
    step = thinning_step(*spatial_shape(view_rgb), size)  # as the app prepares a reference photo
    prepared = prepare_reference_rgb(view_rgb[..., ::step, ::step], model, size, photo_shape=spatial_shape(view_rgb))
    small = resize(lightness, working_shape(*spatial_shape(lightness), size))
    matched, _ = match_chroma(prepared, model, small)
    abs_ = {
        BASELINE: level_baseline(lightness, view_rgb),
        MATCHED: resize(matched, spatial_shape(lightness)),
        FUSED: predict_ab_with_reference(model, lightness, prepared, size),
    }
    return {name: lab_to_rgb(torch.cat([lightness, ab], dim=1)) for name, ab in abs_.items()} | {"reference": view_rgb}


def evaluate_reference(
    photos: list[np.ndarray], model, size: int, device: torch.device, samples: int = 6
) -> tuple[dict, list[list[torch.Tensor]]]:
    """Mean scores of gray, the baseline and our two methods under the protocol, and montage rows
    (gray | automatic | ours with the reference's thumbnail in a corner | original) of the first `samples`."""
    from latent_studio.models.colorizer.inference import colorize_lightness
    from latent_studio.models.colorizer.metrics import image_scores, summarize
    from latent_studio.models.colorizer.validate import photo_tensor

    rows: dict[str, list] = {"gray": []}
    montage: list[list[torch.Tensor]] = []
    for index, photo in enumerate(photos):
        rgb = photo_tensor(photo, device)
        lightness = rgb_to_lab(rgb)[:, :1]
        gray = lab_to_rgb(torch.cat([lightness, torch.zeros_like(rgb[:, :2])], dim=1))
        rows["gray"].append(image_scores(gray, rgb))
        results = reference_results(model, photo, index, lightness, size)
        for name in (BASELINE, MATCHED, FUSED):
            rows.setdefault(name, []).append(image_scores(results[name], rgb))
        if len(montage) < samples:
            montage.append(
                [
                    gray,
                    colorize_lightness(model, lightness, (), size),
                    _with_inset(results[FUSED], results["reference"]),
                    rgb,
                ]
            )
    report = {}
    for name, values in rows.items():
        report[name] = summarize(values)
        report[name]["psnr_over_gray"] = report[name]["psnr"] - (
            sum(r["psnr"] for r in rows["gray"]) / len(rows["gray"])
        )
        report[name]["colourfulness_ratio"] = report[name]["colourfulness"] / report[name]["colourfulness_original"]
    return report, montage


def _with_inset(result: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """The result with the reference's thumbnail (a third of its height, white-framed) in its top-left corner."""
    out = result.clone()
    h = max(8, result.shape[-2] // 3)
    w = max(8, round(reference.shape[-1] * h / reference.shape[-2]))
    thumb = torch.nn.functional.interpolate(reference, size=(h, w), mode="bilinear", antialias=True)
    out[..., : h + 4, : w + 4] = 1.0
    out[..., 2 : h + 2, 2 : w + 2] = thumb
    return out
