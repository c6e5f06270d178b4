"""User colour hints as network input: simulated ones for training, real ones for inference.

A hint is a small square patch (1, 3 or 5 pixels at the network's working size) holding one ab colour, plus
a mask marking where hints are. Training simulates what a user does (Zhang et al. 2017): often no hint at
all, so the same model colorizes automatically, otherwise a geometrically distributed number of points,
each holding the mean true colour of its patch. Everything runs batched on the training device.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

PATCH_SIZES = (1, 3, 5)


def _spread(centres: torch.Tensor, values: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Paint `values` (N,2,H,W, read at the centres) into size x size squares: (sum of ab, count)."""
    kernel = torch.ones(1, 1, size, size, device=centres.device, dtype=centres.dtype)
    count = F.conv2d(centres, kernel, padding=size // 2)
    painted = F.conv2d((values * centres).reshape(-1, 1, *centres.shape[-2:]), kernel, padding=size // 2)
    return painted.view_as(values), count


def simulate_hints(
    ab: torch.Tensor,
    generator: torch.Generator,
    p_none: float = 0.5,
    p_geometric: float = 0.125,
    max_hints: int = 24,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(N,2,H,W) true ab -> (hint ab, hint mask) with random hints of the true colours."""
    n, _, h, w = ab.shape
    device = ab.device
    uniform = torch.rand(n, generator=generator, device=device)
    # number of hints: 0 with probability p_none, else Geometric(p) >= 1, capped
    count = (
        torch.floor(
            torch.log(torch.rand(n, generator=generator, device=device).clamp_min(1e-6))
            / torch.log(torch.tensor(1 - p_geometric, device=device))
        )
        + 1
    )
    count = torch.where(uniform < p_none, torch.zeros_like(count), count.clamp(max=max_hints))
    slots = torch.arange(max_hints, device=device).view(1, -1)
    valid = slots < count.view(-1, 1)
    positions = torch.randint(0, h * w, (n, max_hints), generator=generator, device=device)
    sizes = torch.randint(0, len(PATCH_SIZES), (n, max_hints), generator=generator, device=device)
    total = torch.zeros_like(ab)
    total_count = torch.zeros(n, 1, h, w, device=device, dtype=ab.dtype)
    for index, size in enumerate(PATCH_SIZES):
        chosen = (valid & (sizes == index)).to(ab.dtype)
        centres = torch.zeros(n, h * w, device=device, dtype=ab.dtype).scatter_add_(1, positions, chosen)
        centres = centres.clamp_(max=1.0).view(n, 1, h, w)
        mean_ab = F.avg_pool2d(ab, size, stride=1, padding=size // 2, count_include_pad=False)
        painted, covered = _spread(centres, mean_ab, size)
        total += painted
        total_count += covered
    mask = (total_count > 0).to(ab.dtype)
    return total / total_count.clamp_min(1.0), mask


def rasterize_hints(
    points: list[tuple[float, float, float, float]],
    height: int,
    width: int,
    size: int = 3,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Real hints -> (1,2,H,W) hint ab and (1,1,H,W) mask at the working size.

    `points` are (x, y, a, b) with x, y continuous working-size coordinates (pixel i covers [i, i + 1)); a later hint
    painted over an earlier one wins, as a user would expect when correcting a hint.
    """
    hint = torch.zeros(1, 2, height, width, device=device)
    mask = torch.zeros(1, 1, height, width, device=device)
    half = size // 2
    for x, y, a, b in points:
        cx = min(max(math.floor(x), 0), width - 1)
        cy = min(max(math.floor(y), 0), height - 1)
        y0, y1 = max(cy - half, 0), min(cy + half + 1, height)
        x0, x1 = max(cx - half, 0), min(cx + half + 1, width)
        hint[0, 0, y0:y1, x0:x1] = a
        hint[0, 1, y0:y1, x0:x1] = b
        mask[0, 0, y0:y1, x0:x1] = 1.0
    return hint, mask
