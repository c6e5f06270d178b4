"""Local colour hints: each hint's correction spreads over the region it sits in, up to that region's edges.

The network colorizes the picture without hints (the automatic result). Each hint (a point, or a short
scribble) then asks for a correction, its colour minus the automatic colour under it, and that correction is
spread over the picture with a weight that falls off with the *geodesic* distance from the hint: a path's
length costs its pixel steps plus a price per unit of lightness it crosses, so the weight stays high inside
the hint's region and drops at its edges (Criminisi et al.'s geodesic weighting, in the spirit of Levin et al.
2004 and Yatziv & Sapiro 2006). The work is at the decoded chroma's size (half the working size), and the
result is upsampled like the chroma already is.

The result is a function of the hint list only: no hint changes nothing, deleting a hint removes its effect
exactly, and several hints combine (where their weights overlap their corrections are averaged, so a second
hint in the same region shares it rather than doubling it). Parameters were chosen on BSDS500 *train*
photos (see models/colorizer/evaluate.py, `--hint-tune`).
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

#: A hint as the spreading takes it: its points ((x, y) in full-resolution pixel coordinates, continuous, pixel i
#: covering [i, i + 1); one point, or a scribble's polyline) and its (a, b).
Stroke = tuple[tuple[tuple[float, float], ...], float, float]


@dataclass(frozen=True)
class SpreadSettings:
    """How far a correction reaches: `sigma` (a fraction of the short side) of geodesic distance gives a weight
    of exp(-1); crossing lightness costs `edge` short sides per 100 L units; L is smoothed by `blur` grid pixels."""

    sigma: float = 1.8
    edge: float = 1.0
    blur: float = 1.0
    threshold: float = 3.0  # lightness steps up to this many L units cost nothing (texture, noise)
    chroma: float = 3.0  # crossing the automatic result's ab costs this much per unit, as L does
    power: float = 6.0  # weight = exp(-(d / sigma) ** power): flat near the hint, falling fast past sigma


DEFAULT = SpreadSettings()


def spread_hints(
    lightness: np.ndarray,
    ab: np.ndarray,
    strokes: Sequence[Stroke],
    scale: tuple[float, float],
    settings: SpreadSettings = DEFAULT,
) -> np.ndarray:
    """(h,w) lightness and (2,h,w) automatic ab on the same grid -> ab with every stroke's correction spread.

    `scale` = (sy, sx) maps full-resolution coordinates onto the grid."""
    if not strokes:
        return ab
    height, width = lightness.shape
    # 1. the graph: 8-neighbour steps priced by length + lightness crossed (in short sides)
    smooth = ndimage.gaussian_filter(lightness.astype(np.float64), settings.blur) if settings.blur else lightness
    graph = _graph(
        smooth.astype(np.float64),
        settings.edge,
        settings.threshold,
        ab.astype(np.float64) if settings.chroma else None,
        settings.chroma,
    )
    limit = settings.sigma * math.log(1000.0) ** (1.0 / settings.power)  # weights below 1e-3 are left out
    total = np.zeros((2, height * width))
    weights = np.zeros(height * width)
    flat_ab = ab.reshape(2, -1).astype(np.float64)
    for points, a, b in strokes:
        # 2. the stroke's grid pixels and its correction there (hint colour - automatic colour)
        sources = _rasterize(points, scale, height, width)
        distance, _, nearest = dijkstra(
            graph, directed=False, indices=sources, limit=limit, min_only=True, return_predecessors=True
        )
        reached = np.isfinite(distance)
        weight = np.exp(-((distance[reached] / settings.sigma) ** settings.power))
        correction = np.array([a, b])[:, None] - flat_ab[:, nearest[reached]]
        # 3. accumulate: weighted corrections and their weights
        total[:, reached] += weight * correction
        weights[reached] += weight
    # 4. where hints overlap their corrections are averaged (a weight sum over 1 is normalised, under 1 fades)
    spread = total / np.maximum(weights, 1.0)
    return (flat_ab + spread).reshape(ab.shape).astype(ab.dtype)


def local_hint_ab(
    model,
    lightness: torch.Tensor,
    strokes: Sequence[Stroke],
    working_size: int = 256,
    correction: float | None = None,
    settings: SpreadSettings = DEFAULT,
    network_hints: bool = False,
) -> torch.Tensor:
    """(1,1,H,W) L -> (1,2,H,W) ab: the automatic result with every stroke's correction spread locally.

    `network_hints=True` also gives the strokes' points to the network (the old behaviour) and spreads what
    correction is left; the evaluation measures both."""
    from latent_studio.models.colorizer.inference import network_output, resize

    height, width = lightness.shape[-2:]
    if network_hints:
        fed = [(x, y, a, b) for points, a, b in strokes for x, y in points]
        with torch.inference_mode():
            auto = model.decode(network_output(model, lightness, fed, working_size)[0], correction=correction)
    else:
        auto = _automatic(model, lightness, working_size, correction)
    with torch.inference_mode():
        return resize(spread_on_grid(auto, lightness, strokes, settings), (height, width))


_LAST_AUTOMATIC: list[tuple[tuple, torch.Tensor]] = []  # the newest automatic result and what it depends on


def _automatic(model, lightness: torch.Tensor, working_size: int, correction: float | None) -> torch.Tensor:
    """The network's automatic (no-hint) ab at the decode grid, reused while the picture and settings stay the
    same: a hint change then costs only the spreading (the GUI re-runs on every hint change)."""
    from latent_studio.models.colorizer.inference import network_output, resize, spatial_shape, working_shape

    with torch.inference_mode():
        small = resize(lightness.float(), working_shape(*spatial_shape(lightness), working_size))
        digest = hashlib.blake2b(small.cpu().numpy().tobytes(), digest_size=16).digest()
        key = (
            model,
            getattr(model, "temperature", None),
            next(model.parameters()).dtype,
            str(lightness.device),
            tuple(lightness.shape),
            working_size,
            correction,
            digest,
        )
        for cached_key, cached in _LAST_AUTOMATIC:
            if cached_key == key:
                return cached
        auto = model.decode(network_output(model, lightness, (), working_size)[0], correction=correction)
        _LAST_AUTOMATIC[:] = [(key, auto)]
        return auto


def spread_on_grid(
    ab_small: torch.Tensor, lightness: torch.Tensor, strokes: Sequence[Stroke], settings: SpreadSettings = DEFAULT
) -> torch.Tensor:
    """(1,2,h,w) decoded ab and the full-resolution (1,1,H,W) L -> (1,2,h,w) ab with the strokes spread on it."""
    from latent_studio.models.colorizer.inference import resize, spatial_shape

    if not strokes:
        return ab_small
    height, width = lightness.shape[-2:]
    grid = spatial_shape(ab_small)
    with torch.inference_mode():
        small_l = resize(lightness.float(), grid)[0, 0].cpu().numpy()
    spread = spread_hints(
        small_l, ab_small[0].float().cpu().numpy(), strokes, (grid[0] / height, grid[1] / width), settings
    )
    return torch.from_numpy(spread)[None].to(ab_small.device)


# --- helpers -----------------------------------------------------------------------------------------


def _graph(
    lightness: np.ndarray, edge: float, threshold: float = 0.0, ab: np.ndarray | None = None, chroma: float = 0.0
):
    """The grid's 8-neighbour graph; a step costs its length plus `edge` x (the lightness it crosses less
    `threshold`, plus `chroma` x the automatic ab it crosses) / 100, all in units of the grid's short side."""
    height, width = lightness.shape
    index = np.arange(height * width).reshape(height, width)
    short = float(min(height, width))
    rows, cols, costs = [], [], []
    for (src, dst), step in (
        ((np.s_[:, :-1], np.s_[:, 1:]), 1.0),
        ((np.s_[:-1, :], np.s_[1:, :]), 1.0),
        ((np.s_[:-1, :-1], np.s_[1:, 1:]), math.sqrt(2.0)),
        ((np.s_[:-1, 1:], np.s_[1:, :-1]), math.sqrt(2.0)),
    ):
        rows.append(index[src].ravel())
        cols.append(index[dst].ravel())
        crossed = np.maximum(np.abs(lightness[src] - lightness[dst]) - threshold, 0.0)
        if ab is not None:
            crossed = crossed + chroma * np.hypot(ab[0][src] - ab[0][dst], ab[1][src] - ab[1][dst])
        costs.append((step + edge * short / 100.0 * crossed).ravel() / short)
    return coo_matrix(
        (np.concatenate(costs), (np.concatenate(rows), np.concatenate(cols))), shape=(height * width,) * 2
    ).tocsr()


def _rasterize(
    points: Sequence[tuple[float, float]], scale: tuple[float, float], height: int, width: int
) -> np.ndarray:
    """A stroke's grid pixels (flat indices): its points, and a polyline's segments sampled every half pixel."""
    sy, sx = scale
    grid = [(x * sx, y * sy) for x, y in points]
    samples = [grid[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(grid):
        steps = max(1, math.ceil(2 * max(abs(x1 - x0), abs(y1 - y0))))
        samples += [(x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps) for t in range(1, steps + 1)]
    cells = {min(max(math.floor(y), 0), height - 1) * width + min(max(math.floor(x), 0), width - 1) for x, y in samples}
    return np.array(sorted(cells), dtype=np.int64)
