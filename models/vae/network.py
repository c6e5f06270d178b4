"""The latent-editing VAE (64x64 or 128x128 faces) and the discriminator whose features sharpen it (VAE-GAN).

Small on purpose: decode + display conversion must stay well under 30 ms on a 2-core CPU while a slider
moves, and the whole training run has ~7 minutes of a shared GPU. Images are in [0, 1] at the interface
and [-1, 1] inside. The registry model is `FaceVAE`: `forward` is a deterministic reconstruction (the
posterior mean), `encode` returns the mean (and log-variance on request), `decode` maps codes to images.

Two things keep identity at 128 px without training a bigger network from scratch on a CPU:
- `core_size` < `image_size`: the code and the decoder trunk stay the 64 px model (so the code space, and
  every direction fitted in it, are unchanged); the encoder sees the face area-averaged to the core size and
  a small upsampling head adds 128 px detail to the trunk's picture (a residual over its bilinear
  enlargement, zero at initialisation, so the head starts as exactly the 64 px model).
- `decode(codes, detail)`: an optional per-face feature map added to the trunk's last features before the
  output layers. Zero for every code a slider, a blend or a random draw makes up; `models.vae.refine` fits
  it (with the code) to one face, as GAN-inversion tools fit StyleGAN's noise maps, so the face that comes
  back is that person and edits move the code under it.
"""

from __future__ import annotations

import itertools
from typing import Literal, overload

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True))


def _up(cin: int, cout: int) -> nn.Sequential:
    """Nearest upsampling + 3x3 conv: no checkerboard artefacts, unlike transposed convs."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.2, True),
    )


class FaceVAE(nn.Module):
    """Convolutional VAE: (N,3,S,S) in [0,1] <-> (N, latent_dim) codes; S = image_size.

    The trunk works at `core_size` (= 4 * 2**len(widths) times an integer); `image_size` is the core size or
    twice it (then an upsampling head of `head_width` channels makes the last doubling).
    """

    def __init__(
        self,
        latent_dim: int = 128,
        widths: tuple[int, ...] = (32, 64, 128, 128),
        image_size: int = 64,
        code_channels: int = 32,
        core_size: int | None = None,
        head_width: int = 16,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.core_size = core_size = core_size or image_size
        if image_size not in (core_size, 2 * core_size):
            raise ValueError(f"image_size {image_size} must be core_size {core_size} or twice it")
        levels = len(widths)
        self.base = core_size // 2**levels
        if self.base * 2**levels != core_size:
            raise ValueError(f"core_size {core_size} is not 2**{levels} times an integer")
        enc: list[nn.Module] = [nn.Conv2d(3, widths[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for cin, cout in itertools.pairwise(widths):
            enc.append(_down(cin, cout))
        enc += [nn.Conv2d(widths[-1], code_channels, 1), nn.LeakyReLU(0.2, True), nn.Flatten()]
        self.encoder = nn.Sequential(*enc)
        self.to_stats = nn.Linear(code_channels * self.base**2, 2 * latent_dim)
        self.from_code = nn.Linear(latent_dim, widths[-1] * self.base**2)
        dec: list[nn.Module] = [nn.BatchNorm2d(widths[-1]), nn.LeakyReLU(0.2, True)]
        rev = list(reversed(widths))
        for cin, cout in zip(rev, [*rev[1:], widths[0] // 2 or 1], strict=True):
            dec.append(_up(cin, cout))
        dec += [nn.Conv2d(widths[0] // 2 or 1, 3, 3, 1, 1), nn.Tanh()]
        self.decoder = nn.Sequential(*dec)
        self.top = widths[-1]
        self.feature_channels = widths[0] // 2 or 1
        self.head: nn.Sequential | None = None
        if image_size != core_size:
            c = self.feature_channels
            self.head = nn.Sequential(
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(c, head_width, 3, 1, 1),
                nn.LeakyReLU(0.2, True),
                nn.Conv2d(head_width, head_width, 3, 1, 1),
                nn.LeakyReLU(0.2, True),
                last := nn.Conv2d(head_width, 3, 3, 1, 1),
            )
            assert last.bias is not None
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)  # the head starts as "no detail": exactly the core model, enlarged

    def detail_shape(self) -> tuple[int, int, int]:
        """The shape of one face's detail map: (C, core, core), the trunk's last features."""
        return (self.feature_channels, self.core_size, self.core_size)

    @overload
    def encode(self, images: torch.Tensor, with_logvar: Literal[False] = False) -> torch.Tensor: ...
    @overload
    def encode(self, images: torch.Tensor, with_logvar: Literal[True]) -> tuple[torch.Tensor, torch.Tensor]: ...
    def encode(
        self, images: torch.Tensor, with_logvar: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Codes of images in [0, 1]: the posterior mean (deterministic), plus the log-variance if asked."""
        if images.shape[-1] != self.core_size:
            images = F.interpolate(images, size=(self.core_size, self.core_size), mode="area")
        stats = self.to_stats(self.encoder(images * 2 - 1))
        mean, logvar = stats.chunk(2, dim=1)
        return (mean, logvar.clamp(-12, 8)) if with_logvar else mean

    def decode(self, codes: torch.Tensor, detail: torch.Tensor | None = None) -> torch.Tensor:
        """(N, latent_dim) codes [+ (N, *detail_shape()) detail maps] -> (N,3,S,S) images in [0, 1]."""
        grid = self.from_code(codes).view(-1, self.top, self.base, self.base)
        features = self.decoder[:-2](grid)
        if detail is not None:
            features = features + detail.to(features.dtype)
        low = self.decoder[-1](self.decoder[-2](features))
        if self.head is None:
            return low * 0.5 + 0.5
        up = F.interpolate(low, scale_factor=2, mode="bilinear", align_corners=False)
        return (up + self.head(features)) * 0.5 + 0.5

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))


class FaceDiscriminator(nn.Module):
    """Spectrally normalised conv critic; its intermediate features are the learned similarity (Larsen 2016)."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 128), image_size: int = 64) -> None:
        super().__init__()
        blocks, cin = [], 3
        for cout in widths:
            blocks.append(nn.Sequential(spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2, True)))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        side = image_size // 2 ** len(widths)
        self.head = spectral_norm(nn.Linear(cin * side * side, 1))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(logits (N,), features of every block) for images in [0, 1]."""
        x, features = images * 2 - 1, []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return self.head(x.flatten(1)).squeeze(1), features
