"""Held-out scoring of a sketch generator against trivial baselines, and the sample grid (shared by train and evaluate).

Each held-out pair is one person's boundary map of a BSDS500 val photo and that photo. Scores: L1, PSNR and
SSIM (models.metrics) of
- ours: the generator from the sketch alone;
- ours + hints: the generator with simulated colour strokes taken from the photo (fixed seed), which shows
  whether the model follows hints;
- mean image: the per-pixel mean of the training photos (resized to each photo), the best guess without
  looking at the sketch;
- flat mean colour: one colour, the training photos' mean RGB, as a flat picture (the weakest guess);
- sketch: the drawing itself (black lines on white) as an image.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from latent_studio.models.metrics import psnr, ssim
from latent_studio.models.sketch.data import SketchSet
from latent_studio.models.sketch.hints import simulate_strokes
from latent_studio.models.sketch.network import SketchUNet, make_input

MEAN_SIZE = 64


def mean_image(photos: list[np.ndarray]) -> torch.Tensor:
    """(1,3,64,64) per-pixel mean of `photos`, each resized (aspect ignored) to 64x64."""
    total = torch.zeros(1, 3, MEAN_SIZE, MEAN_SIZE)
    for photo in photos:
        tensor = torch.from_numpy(np.array(photo, copy=True)).permute(2, 0, 1)[None].float() / 255.0
        total += F.interpolate(tensor, size=(MEAN_SIZE, MEAN_SIZE), mode="area")
    return total / max(1, len(photos))


def flat_colour(photos: list[np.ndarray]) -> torch.Tensor:
    """(1,3,1,1) the mean RGB in [0, 1] of every pixel of `photos` (each pixel counts once)."""
    total = np.zeros(3, np.float64)
    pixels = 0
    for photo in photos:
        total += np.asarray(photo, np.float64).reshape(-1, 3).sum(axis=0)
        pixels += photo.shape[0] * photo.shape[1]
    return torch.from_numpy(total / max(1, pixels) / 255.0).float().view(1, 3, 1, 1)


def pad_to_stride(x: torch.Tensor, stride: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Zero-pad (paper / no hint) on the right and bottom to multiples of `stride`; returns the original size."""
    h, w = x.shape[-2:]
    return F.pad(x, (0, (-w) % stride, 0, (-h) % stride)), (h, w)


@torch.inference_mode()
def generate(model: SketchUNet, inputs: torch.Tensor) -> torch.Tensor:
    """Run the generator on (N,5,H,W) inputs of any size (padded to its stride and cropped back)."""
    param = next(model.parameters())
    padded, (h, w) = pad_to_stride(inputs.to(param.device, param.dtype), model.stride)
    return model(padded)[..., :h, :w].float()


def image_scores(pred: torch.Tensor, real: torch.Tensor) -> tuple[float, float, float]:
    """(L1, PSNR dB, SSIM) of one (1,3,H,W) picture against the real one."""
    return (
        float((pred - real).abs().mean()),
        float(psnr(pred.clamp(0, 1), real).mean()),
        float(ssim(pred.clamp(0, 1), real).mean()),
    )


#: The scene report's reference row: each photo's own mean colour, which no drawing tells (see `score`).
ORACLE = "own mean colour (oracle)"


@torch.inference_mode()
def score(
    model: SketchUNet,
    val: SketchSet,
    mean: torch.Tensor | None,
    limit: int | None = None,
    seed: int = 0,
    deadline: float | None = None,
    flat: torch.Tensor | None = None,
) -> tuple[dict, list[tuple[torch.Tensor, ...]]]:
    """({method: {l1, psnr, ssim, pairs}} averaged over pairs, a few (sketch, ours, hints, ours+hints, real) samples).

    `mean` (a mean_image) and `flat` (a flat_colour) add the "mean image" and "flat mean colour" baselines. The
    ORACLE row paints each photo its own mean colour: a line drawing says nothing of how bright or what colour
    its scene is, so this is about the best a flat-looking guess could do, and it bounds what the scene target
    (flat mean colour + 1 dB) asks of a generator that sees lines only.

    With a `deadline` (time.monotonic() seconds) scoring stops there, after at least two pairs, so a
    training run's budget holds; `pairs` says how many were scored.
    """
    if not val.lines:
        raise ValueError("the held-out data has no human line maps to score against")
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    # One drawing of every photo first, then the second drawings...: a limit or deadline still covers all photos.
    counts: dict[int, int] = {}
    rank = []
    for owner in val.line_owner:
        rank.append(counts.get(owner, 0))
        counts[owner] = rank[-1] + 1
    order = sorted(range(len(val.lines)), key=lambda i: (rank[i], val.line_owner[i]))[: limit or None]
    every = max(1, min(len(order), len(counts)) // 6)  # samples from six different photos
    totals: dict[str, np.ndarray] = {}
    samples: list[tuple[torch.Tensor, ...]] = []
    for position, i in enumerate(order):
        if deadline is not None and time.monotonic() > deadline and totals.get("ours", np.zeros(4))[3] >= 2:
            break
        real = torch.from_numpy(np.array(val.photos[val.line_owner[i]], copy=True)).permute(2, 0, 1)[None]
        real = real.float().div(255.0).to(device)
        ink = torch.from_numpy(np.array(val.lines[i], copy=True))[None, None].float().div(255.0).to(device)
        if ink.shape[-2:] != real.shape[-2:]:
            continue
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        hint, mask = simulate_strokes(real, p_none=0.0)
        ours = generate(model, make_input(ink))
        hinted = generate(model, make_input(ink, hint, mask))
        sketch = (1 - ink).expand(-1, 3, -1, -1)
        rows = {"ours": ours, "ours + hints": hinted, "sketch": sketch}
        if mean is not None:
            rows["mean image"] = F.interpolate(
                mean.to(device), size=real.shape[-2:], mode="bilinear", align_corners=False
            )
        if flat is not None:
            rows["flat mean colour"] = flat.to(device).expand_as(real)
        # not a method: what knowing each photo's own mean colour would score, a yardstick for the flat +1 dB target
        rows[ORACLE] = real.mean(dim=(2, 3), keepdim=True).expand_as(real)
        for name, pred in rows.items():
            totals[name] = totals.get(name, np.zeros(4)) + np.array([*image_scores(pred, real), 1.0])
        if len(samples) < 6 and position % every == 0:
            overlay = torch.where(mask > 0, hint, sketch)
            samples.append(tuple(t[0].cpu() for t in (sketch, ours, overlay, hinted, real)))
    report = {
        name: {"l1": v[0] / v[3], "psnr": v[1] / v[3], "ssim": v[2] / v[3], "pairs": int(v[3])}
        for name, v in totals.items()
    }
    return report, samples


def save_grid(samples: list[tuple[torch.Tensor, ...]], path, tile: int = 160) -> None:
    """One row per sample: sketch | ours | colour hints | ours with hints | real photo."""
    rows = []
    for sample in samples:
        tiles = []
        for t in sample:
            h, w = t.shape[-2:]
            scale = tile / max(h, w)
            small = F.interpolate(t[None], size=(round(h * scale), round(w * scale)), mode="area")[0]
            canvas = torch.ones(3, tile, tile)
            canvas[:, : small.shape[1], : small.shape[2]] = small
            tiles.append(canvas)
        rows.append(torch.cat(tiles, dim=2))
    grid = torch.cat(rows, dim=1).clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()
    Image.fromarray(grid).save(path)


def _fit(t: torch.Tensor, tile: int) -> torch.Tensor:
    """(3,h,w) in [0,1] -> (3,tile,tile): scaled to fit (aspect kept), centred on white."""
    h, w = t.shape[-2:]
    scale = tile / max(h, w)
    small = F.interpolate(t[None].float(), size=(max(1, round(h * scale)), max(1, round(w * scale))), mode="area")[0]
    canvas = torch.ones(3, tile, tile)
    y, x = (tile - small.shape[1]) // 2, (tile - small.shape[2]) // 2
    canvas[:, y : y + small.shape[1], x : x + small.shape[2]] = small.clamp(0, 1)
    return canvas


def save_labelled_grid(
    rows: list[list[torch.Tensor]],
    path,
    row_labels: list[str] | None = None,
    column_labels: list[str] | None = None,
    tile: int = 128,
) -> None:
    """A montage of (3,h,w) pictures in [0,1], one list per row, each fitted into a `tile` square; optional
    labels left of each row and above each column (PIL's built-in font)."""
    from PIL import ImageDraw

    left = 150 if row_labels else 0
    top = 16 if column_labels else 0
    columns = max(len(row) for row in rows)
    grid = Image.new("RGB", (left + columns * tile, top + len(rows) * tile), "white")
    draw = ImageDraw.Draw(grid)
    for r, row in enumerate(rows):
        for c, picture in enumerate(row):
            pixels = _fit(picture.cpu(), tile).mul(255).round().byte().permute(1, 2, 0).numpy()
            grid.paste(Image.fromarray(pixels), (left + c * tile, top + r * tile))
        if row_labels:
            draw.multiline_text((4, top + r * tile + 4), row_labels[r], fill="black")
    for c, label in enumerate(column_labels or []):
        draw.text((left + c * tile + 4, 2), label, fill="black")
    grid.save(path)


def markdown_table(report: dict) -> str:
    lines = ["| method | L1 | PSNR (dB) | SSIM |", "|---|---|---|---|"]
    for name, row in report.items():
        lines.append(f"| {name} | {row['l1']:.4f} | {row['psnr']:.2f} | {row['ssim']:.4f} |")
    return "\n".join(lines)
