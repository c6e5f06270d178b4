"""The sketch -> image generator: a small pix2pix-style U-Net (Isola et al. 2017) with Scribbler-style colour hints.

Input (N, 5, H, W), H and W multiples of `SketchUNet.stride`:
  channel 0    ink in [0, 1] (0 = paper, 1 = full ink), so empty paper is all zeros;
  channels 1-3 colour hints as RGB in [0, 1] multiplied by the mask;
  channel 4    hint mask in {0, 1} (where the user painted colour).
Output (N, 3, H, W): RGB in [0, 1].

Why this shape: the model must preview live on a 2-core CPU (about 100 ms at 256x256), so the full- and
half-resolution levels are thin and the capacity sits at 1/8-1/32 resolution, where it is cheap. Strided
4x4 convolutions go down (as in pix2pix); bilinear upsampling + 3x3 convolution comes back up, which avoids
the checkerboard of transposed convolutions. GroupNorm (not BatchNorm) keeps training and inference
identical for any batch size and canvas size.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

IN_CHANNELS = 5


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels // 4) or 1, channels)


class Down(nn.Module):
    """Halve the resolution: 4x4 stride-2 conv, then `blocks` 3x3 convs."""

    def __init__(self, cin: int, cout: int, blocks: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, 2, 1), _norm(cout), nn.SiLU()]
        for _ in range(blocks):
            layers += [nn.Conv2d(cout, cout, 3, 1, 1), _norm(cout), nn.SiLU()]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Up(nn.Module):
    """Double the resolution, join the skip connection, mix with 3x3 convs."""

    def __init__(self, cin: int, cskip: int, cout: int, blocks: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(cin + cskip, cout, 3, 1, 1), _norm(cout), nn.SiLU()]
        for _ in range(blocks - 1):
            layers += [nn.Conv2d(cout, cout, 3, 1, 1), _norm(cout), nn.SiLU()]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.body(torch.cat([x, skip], dim=1))


class SketchUNet(nn.Module):
    """U-Net generator; `channels[i]` is the width at 1/2**(i+1) resolution."""

    def __init__(
        self,
        channels: tuple[int, ...] | list[int] = (16, 32, 80, 144, 160),
        blocks: tuple[int, ...] | list[int] = (0, 1, 2, 2, 2),
        in_channels: int = IN_CHANNELS,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        channels, blocks = list(channels), list(blocks)
        if len(channels) != len(blocks):
            raise ValueError("channels and blocks need one entry per level")
        self.in_channels = in_channels
        self.stride = 2 ** len(channels)
        widths = [in_channels, *channels]
        self.downs = nn.ModuleList(Down(widths[i], widths[i + 1], blocks[i]) for i in range(len(channels)))
        self.ups = nn.ModuleList(
            Up(channels[i + 1], channels[i], channels[i], max(1, blocks[i])) for i in reversed(range(len(channels) - 1))
        )
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        # Full resolution: upsample the 1/2-resolution features and look at the input once more, so thin lines
        # land exactly where they were drawn.
        self.head = nn.Sequential(
            nn.Conv2d(channels[0] + in_channels, 16, 3, 1, 1), nn.SiLU(), nn.Conv2d(16, 3, 3, 1, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % self.stride or x.shape[-2] % self.stride:
            raise ValueError(f"height and width must be multiples of {self.stride}, got {tuple(x.shape[-2:])}")
        skips = []
        h = x
        for down in self.downs:
            h = down(h)
            skips.append(h)
        h = self.dropout(skips.pop())
        for up in self.ups:
            h = up(h, skips.pop())
        h = F.interpolate(h, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return torch.sigmoid(self.head(torch.cat([h, x], dim=1)))


def make_input(
    ink: torch.Tensor, hint_rgb: torch.Tensor | None = None, hint_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Assemble the 5-channel input from ink (N,1,H,W) and optional hints (N,3,H,W) + mask (N,1,H,W)."""
    if hint_rgb is None or hint_mask is None:
        zeros = ink.new_zeros(ink.shape[0], 4, *ink.shape[-2:])
        return torch.cat([ink, zeros], dim=1)
    return torch.cat([ink, hint_rgb * hint_mask, hint_mask], dim=1)
