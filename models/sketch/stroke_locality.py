"""Sketch colour-stroke locality on people's drawings (BSDS500 val): does a stroke stay in its region?

Protocol (issue #15, the colorizer's hint-locality measure carried over to drawings): for each val photo take
the annotator with the fewest segments; their Boundaries, shrunk to the network's short side (256) as the
training data was, are the sketch; their Segmentation gives the regions. One saturated colour stroke (8 px
wide, up to 60 px long, horizontal through the deepest pixel of the largest segment and kept inside it): of 12
hues at chroma 60, L 60, the one farthest from the generated picture's mean ab there. The picture with the
stroke is compared with the same method's picture without it:

- inside = mean |Δab| over the segment eroded by 4 px (strength; target median >= 30),
- locality = mean |Δab| over the pixels more than 12 px from the segment / inside (target median <= 0.25).

Methods: the network fed the stroke (the old way) and what the app ships (`app.core.sketch.sketch_to_image`:
the network's picture of the lines alone, then the stroke's correction spread with the lines as barriers by
`models.sketch.strokes`). `python -m latent_studio.models.evaluate sketch --stroke-locality DIR`.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from latent_studio.models.color import lab_to_rgb, rgb_to_lab
from latent_studio.models.colorizer.hint_locality import AWAY, CHROMA, ERODE, HUES, locality_scores, summary
from latent_studio.models.errors import LatentStudioError
from latent_studio.models.sketch.inference import network_picture
from latent_studio.models.sketch.pack import shrink_lines
from latent_studio.models.sketch.strokes import spread_strokes

SHORT_SIDE = 256
WIDTH, LENGTH = 8, 60  # the stroke, in canvas pixels


def read_drawings(segmentations: Path, limit: int = 0) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, HxW uint8 sketch (0 = ink), HxW segment labels) per .mat, the coarsest annotator's, at SHORT_SIDE."""
    from scipy.io import loadmat

    paths = sorted(Path(segmentations).glob("*.mat"))[: limit or None]
    if not paths:
        raise LatentStudioError(f"There are no BSDS500 ground-truth .mat files in {segmentations}.")
    items = []
    for path in paths:
        truth = loadmat(str(path))["groundTruth"][0]
        k = min(range(truth.shape[0]), key=lambda i: len(np.unique(truth[i]["Segmentation"][0, 0])))
        labels = truth[k]["Segmentation"][0, 0].astype(np.int32)
        scale = SHORT_SIDE / min(labels.shape)
        size = (round(labels.shape[1] * scale), round(labels.shape[0] * scale))  # (w, h)
        ink = shrink_lines(np.asarray(truth[k]["Boundaries"][0, 0], np.uint8), size)
        rows = (np.arange(size[1]) / scale).astype(int).clip(0, labels.shape[0] - 1)
        cols = (np.arange(size[0]) / scale).astype(int).clip(0, labels.shape[1] - 1)
        items.append((path.stem, 255 - ink, labels[np.ix_(rows, cols)]))
    return items


def stroke_case(plain_lab: torch.Tensor, labels: np.ndarray) -> dict:
    """The RGBA stroke layer in the largest segment, and the inside/outside masks."""
    ids, counts = np.unique(labels, return_counts=True)
    segment = labels == ids[counts.argmax()]
    depth = ndimage.distance_transform_edt(np.pad(segment, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(depth.argmax()), depth.shape)
    mean_ab = plain_lab[0, 1:, torch.from_numpy(segment)].mean(dim=1).numpy()
    angles = 2 * math.pi * np.arange(HUES) / HUES
    candidates = CHROMA * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    a, b = candidates[np.linalg.norm(candidates - mean_ab, axis=1).argmax()]
    rgb = lab_to_rgb(torch.tensor([60.0, a, b]).view(1, 3, 1, 1))[0, :, 0, 0].numpy()
    inner = depth > WIDTH / 2 + 1  # the stroke stays inside its segment
    layer = np.zeros((*labels.shape, 4), np.uint8)
    half = LENGTH // 2
    span = np.zeros_like(segment)
    span[max(y - WIDTH // 2, 0) : y + WIDTH // 2, max(x - half, 0) : x + half] = True
    row = inner[y]
    left, right = x, x
    while left > 0 and row[left - 1] and x - left < half:
        left -= 1
    while right < len(row) - 1 and row[right + 1] and right - x < half:
        right += 1
    span[:, :left] = span[:, right + 1 :] = False
    layer[span] = (*np.rint(rgb * 255).astype(np.uint8), 255)
    inside = ndimage.binary_erosion(segment, iterations=ERODE)
    outside = ndimage.distance_transform_edt(~segment) > AWAY
    return {"layer": layer, "inside": inside, "outside": outside}


def _lab(pixels: np.ndarray) -> torch.Tensor:
    return rgb_to_lab(torch.from_numpy(pixels.copy()).permute(2, 0, 1)[None].float() / 255.0)


def _ink(lines: np.ndarray) -> torch.Tensor:
    """(1,1,h,w) ink in [0, 1] of a canvas (0 = ink, 255 = paper), already at the network's size."""
    return 1.0 - torch.from_numpy(lines.copy())[None, None].float() / 255.0


def _network_hints(layer: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """The canvas's HxWx4 uint8 colour layer -> (hint_rgb, mask), the network's own hint input (the old way)."""
    rgba = torch.from_numpy(np.array(layer, copy=True)).permute(2, 0, 1)[None].float() / 255.0
    mask = (rgba[:, 3:4] > 0.5).float()
    return rgba[:, :3] * mask, mask


def _old(model, lines: np.ndarray, layer: np.ndarray | None) -> np.ndarray:
    """The network fed the stroke as its hint input (the behaviour before issue #15), at the canvas size."""
    size = tuple(lines.shape)
    if layer is None:
        rgb, mask = torch.zeros(1, 3, *size), torch.zeros(1, 1, *size)
    else:
        rgb, mask = _network_hints(layer)
    out = network_picture(model, _ink(lines), rgb, mask, torch.device("cpu"))
    return (out[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def _generated(model, lines: np.ndarray) -> torch.Tensor:
    """The network's (1,3,h,w) picture of the lines alone, as the app draws before it spreads colour strokes
    (`app.core.sketch.sketch_to_image` on a canvas already at the network's size)."""
    size = tuple(lines.shape)
    return network_picture(model, _ink(lines), torch.zeros(1, 3, *size), torch.zeros(1, 1, *size), torch.device("cpu"))


def _pixels(picture: torch.Tensor) -> np.ndarray:
    """(1,3,h,w) float in [0, 1] -> HxWx3 uint8, rounded as the app's pictures are."""
    return picture[0].float().clamp(0, 1).mul(255.0).add_(0.5).to(torch.uint8).permute(1, 2, 0).numpy()


def measure(items: list, registry=None, montage: list | None = None) -> dict[str, dict]:
    """Median locality and inside change per method over the drawings."""
    from latent_studio.models.registry import default_registry

    registry = registry or default_registry()
    model = registry.load_model("sketch", torch.device("cpu"))
    scores: dict[str, list[tuple[float, float]]] = {}
    for index, (_, lines, labels) in enumerate(items):
        generated = _generated(model, lines)
        plain = _pixels(generated)
        case = stroke_case(_lab(plain), labels)
        stroked = _pixels(spread_strokes(generated, _ink(lines), case["layer"]))
        pictures = {
            "network fed the stroke (old)": (_old(model, lines, None), _old(model, lines, case["layer"])),
            "spread, lines as barriers (new)": (plain, stroked),
        }
        for method, (before, after) in pictures.items():
            change = (_lab(after)[:, 1:] - _lab(before)[:, 1:]).norm(dim=1)[0].numpy()
            scores.setdefault(method, []).append(locality_scores(change, case))
        if montage is not None and len(montage) < 6:
            montage.append((lines, case["layer"], pictures))
        if (index + 1) % 20 == 0:
            print(f"  stroke locality: {index + 1}/{len(items)} drawings", file=sys.stderr, flush=True)
    return {method: summary(values) for method, values in scores.items()}


def markdown(report: dict) -> str:
    rows = [
        "| stroke method (one saturated stroke, largest segment) | median locality (out/in) | median inside |Δab| |",
        "|---|---|---|",
    ]
    rows += [f"| {m} | {r['median_locality']:.3f} | {r['median_inside_dab']:.1f} |" for m, r in report.items()]
    return "\n".join(rows)


def save_montage(samples: list, path: Path) -> None:
    """Rows: sketch with the stroke | old without | old with | new without | new with (each 192 px high)."""
    from PIL import Image

    tiles = []
    for lines, layer, pictures in samples:
        drawing = np.repeat(lines[..., None], 3, axis=2)
        painted = layer[..., 3] > 0
        drawing[painted] = layer[painted][:, :3]
        row = [drawing] + [p for pair in pictures.values() for p in pair]
        height = 192
        row = [np.asarray(Image.fromarray(t).resize((round(t.shape[1] * height / t.shape[0]), height))) for t in row]
        tiles.append(np.concatenate(row, axis=1))
    width = max(t.shape[1] for t in tiles)
    tiles = [np.pad(t, ((0, 4), (0, width - t.shape[1]), (0, 0)), constant_values=255) for t in tiles]
    Image.fromarray(np.concatenate(tiles, axis=0)).save(path)
