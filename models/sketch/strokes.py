"""Local colour strokes for Sketch: each stroke recolours the region it is drawn in, up to the drawn lines.

Feeding the strokes to the network (the old way) let one blue stroke in the sky turn the whole picture blue.
Now the network draws the picture from the lines alone, and each stroke's correction (its colour minus the
generated colour under it, in Lab ab) is spread over the generated picture by the colorizer's geodesic
weighting (`models.colorizer.hint_spread.spread_hints`, called, not copied). The path costs are guided by the
generated picture's lightness and by the drawn lines, which are barriers: crossing ink costs as much as
crossing `BARRIER` lightness units, so a stroke stops at the line that closes its region.

A stroke is a connected part (4-neighbour) of one colour of the RGBA colour layer on the spreading grid (half
the network's size, as the colorizer's decoded chroma). The result is a function of the colour layer alone:
no stroke changes nothing, and deleting a stroke restores the picture exactly.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from latent_studio.models.color import lab_to_rgb, rgb_to_lab
from latent_studio.models.colorizer.hint_spread import DEFAULT, SpreadSettings, Stroke, spread_hints

BARRIER = 400.0  # lightness units a fully inked grid pixel adds to the path-cost guide
MAX_COLOURS = 64  # a colour layer with more distinct colours (an anti-aliased file) is quantised to 32 levels
COVERED = 0.25  # a grid pixel belongs to a stroke when the stroke covers this much of it
MAX_STROKES = 64  # beyond this many parts only the largest are spread (each costs a shortest-path search)


def spread_strokes(
    picture: torch.Tensor, ink: torch.Tensor, colour_strokes: np.ndarray, settings: SpreadSettings = DEFAULT
) -> torch.Tensor:
    """(1,3,h,w) generated sRGB in [0,1], (1,1,h,w) ink in [0,1] at the same size and the canvas's HxWx4 uint8
    colour layer -> (1,3,h,w) sRGB with every colour stroke's correction spread over its region."""
    height, width = picture.shape[-2:]
    grid = (max(1, height // 2), max(1, width // 2))
    # 1. the strokes on the grid: (points, a, b) per connected part of each colour
    strokes = grid_strokes(colour_strokes, grid)
    if not strokes:
        return picture
    # 2. the guide: the generated picture's lightness, raised where the lines are (a line is an edge)
    lab = _lab(picture)
    small = F.interpolate(lab, size=grid, mode="area")
    factor = height / grid[0]
    small_ink = (F.interpolate(ink.float().cpu(), size=grid, mode="area") * factor).clamp(0, 1)
    guide = (small[0, 0] + BARRIER * small_ink[0, 0]).numpy()
    ab = small[0, 1:].numpy()
    # 3. spread each stroke's correction, and add the correction field (upsampled) to the full-size ab, converting
    #    back only the box it reaches (a stroke's cost stays small on a large picture)
    change = spread_hints(guide, ab, strokes, (1.0, 1.0), settings) - ab
    rows, cols = np.nonzero(np.abs(change).max(axis=0) > 1e-3)
    if not len(rows):
        return picture
    top, bottom = max(rows.min() - 1, 0), min(rows.max() + 2, grid[0])
    left, right = max(cols.min() - 1, 0), min(cols.max() + 2, grid[1])
    correction = F.interpolate(
        torch.from_numpy(change)[None].float(), size=(height, width), mode="bilinear", align_corners=False
    )
    box = np.s_[
        ...,
        round(top * height / grid[0]) : round(bottom * height / grid[0]),
        round(left * width / grid[1]) : round(right * width / grid[1]),
    ]
    out = picture.float().cpu().clone()
    patch = lab[box].clone()
    patch[:, 1:] += correction[box]
    out[box] = lab_to_rgb(patch)
    return out.to(picture.device, picture.dtype)


_LAST_LAB: list[tuple[torch.Tensor, torch.Tensor]] = []  # the newest generated picture and its Lab


def _lab(picture: torch.Tensor) -> torch.Tensor:
    """The generated picture in Lab, reused while it is the same tensor (the core's cached network result)."""
    for cached, lab in _LAST_LAB:
        if cached is picture:
            return lab
    lab = rgb_to_lab(picture.float().cpu().clamp(0, 1))
    _LAST_LAB[:] = [(picture, lab)]
    return lab


def grid_strokes(colour_strokes: np.ndarray, grid: tuple[int, int]) -> list[Stroke]:
    """The colour layer's strokes on a `grid` (h, w): one per connected part of each colour, in a fixed order
    (colours sorted, parts by position), each with its points as a walk through its grid pixels."""
    rgba = np.asarray(colour_strokes)
    painted = rgba[..., 3] > 127
    if not painted.any():
        return []
    rgb = rgba[..., :3][painted]
    keys = np.unique(_keys(rgb))  # sorted 24-bit colour keys (faster than unique rows)
    if len(keys) > MAX_COLOURS:
        rgb = (rgb // 32) * 32 + 16
        keys = np.unique(_keys(rgb))
    colours = np.stack([keys >> 16, (keys >> 8) & 255, keys & 255], axis=1)
    lab = rgb_to_lab(torch.from_numpy(colours.astype(np.float32) / 255.0).T[None, :, :, None])[0, :, :, 0].numpy()
    codes = np.full(painted.shape, -1, np.int64)
    codes[painted] = np.searchsorted(keys, _keys(rgb))
    parts: list[tuple[int, int, np.ndarray, int]] = []  # (pixels, order, part mask, colour index)
    for index in range(len(colours)):
        mask = torch.from_numpy((codes == index).astype(np.float32))[None, None]
        covered = F.interpolate(mask, size=grid, mode="area")[0, 0].numpy() >= COVERED
        labels, count = ndimage.label(covered)
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        parts += [(int(sizes[part]), len(parts), labels == part, index) for part in range(1, count + 1)]
    if len(parts) > MAX_STROKES:  # a photo given as the colour layer: its largest parts, not thousands of specks
        parts = sorted(sorted(parts, key=lambda p: (-p[0], p[1]))[:MAX_STROKES], key=lambda p: p[1])
    return [(_walk(part), float(lab[1, index]), float(lab[2, index])) for _, _, part, index in parts]


def _keys(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


def _walk(part: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Pixel centres (x, y) of a 4-connected part as a walk that steps only between 4-neighbours (a depth-first
    tour, returning along its way), so the spreading's polyline rasterisation covers exactly these pixels."""
    cells = {(int(y), int(x)) for y, x in zip(*np.nonzero(part), strict=True)}
    start = min(cells)
    seen, stack, walk = {start}, [start], [start]
    while stack:
        y, x = stack[-1]
        for step in ((y, x + 1), (y + 1, x), (y, x - 1), (y - 1, x)):
            if step in cells and step not in seen:
                seen.add(step)
                stack.append(step)
                walk.append(step)
                break
        else:
            stack.pop()
            if stack:
                walk.append(stack[-1])
    return tuple((x + 0.5, y + 0.5) for y, x in walk)
