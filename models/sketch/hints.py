"""Simulated colour strokes for training and scoring (Scribbler, Sangkloy et al. 2017).

A user paints a few coarse strokes of flat colour over the sketch. Training imitates that: each sample gets
0..`max_strokes` capsule-shaped strokes (a disk when the length is 0) of random width and direction, each
filled with one colour taken from a heavily blurred copy of the target at the stroke's middle. Many samples
get no strokes at all, so the model works without hints and learns to follow them when they exist.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def simulate_strokes(
    target: torch.Tensor, p_none: float = 0.4, max_strokes: int = 10, max_radius: float = 6.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(hint_rgb (N,3,H,W), mask (N,1,H,W)) of random coarse strokes coloured from `target` (N,3,H,W in [0,1])."""
    n, _, h, w = target.shape
    device = target.device
    k = max_strokes
    # 1. Stroke geometry in pixels: start point, direction, length (0 = a dab), radius.
    start = torch.rand(n, k, 2, device=device) * torch.tensor([w - 1, h - 1], device=device)
    angle = torch.rand(n, k, device=device) * 2 * torch.pi
    length = torch.rand(n, k, device=device) ** 2 * 0.3 * min(h, w)
    end = start + torch.stack([angle.cos(), angle.sin()], dim=-1) * length[..., None]
    end = torch.minimum(end.clamp_min(0), torch.tensor([w - 1, h - 1], device=device, dtype=end.dtype))
    radius = 1.0 + torch.rand(n, k, device=device) * (max_radius - 1.0)
    count = torch.randint(1, k + 1, (n,), device=device)
    count = torch.where(torch.rand(n, device=device) < p_none, torch.zeros_like(count), count)
    active = torch.arange(k, device=device)[None, :] < count[:, None]  # (n, k)
    # 2. Distance of every pixel to every stroke's segment.
    ys = torch.arange(h, device=device, dtype=torch.float32)
    xs = torch.arange(w, device=device, dtype=torch.float32)
    px = xs.view(1, 1, 1, w)
    py = ys.view(1, 1, h, 1)
    ax, ay = start[..., 0, None, None], start[..., 1, None, None]
    dx, dy = (end - start)[..., 0, None, None], (end - start)[..., 1, None, None]
    t = (((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy).clamp_min(1e-6)).clamp(0, 1)
    dist = torch.sqrt((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2)  # (n, k, h, w)
    inside = (dist <= radius[..., None, None]) & active[..., None, None]
    mask = inside.any(dim=1, keepdim=True).float()
    # 3. One flat colour per stroke: the blurred target at the stroke's middle; overlaps take the nearest.
    coarse = F.avg_pool2d(target.float(), 9, 1, 4, count_include_pad=False)
    middle = (start + end) / 2
    grid = torch.stack([middle[..., 0] / max(w - 1, 1), middle[..., 1] / max(h - 1, 1)], dim=-1) * 2 - 1
    colours = F.grid_sample(coarse, grid[:, :, None, :], mode="bilinear", align_corners=True)[..., 0]  # (n,3,k)
    nearest = dist.masked_fill(~inside, float("inf")).argmin(dim=1)  # (n, h, w)
    hint = torch.gather(colours, 2, nearest.view(n, 1, -1).expand(n, 3, -1)).view(n, 3, h, w)
    return hint * mask, mask
