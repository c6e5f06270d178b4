"""The latent-editing VAE (64x64 faces) and the discriminator whose features sharpen it (VAE-GAN).

Small on purpose: decode + display conversion must stay well under 30 ms on a 2-core CPU while a slider
moves, and the whole training run has ~7 minutes of a shared GPU. Images are in [0, 1] at the interface
and [-1, 1] inside. The registry model is `FaceVAE`: `forward` is a deterministic reconstruction (the
posterior mean), `encode` returns the mean (and log-variance on request), `decode` maps codes to images.
"""

from __future__ import annotations

import itertools
from typing import Literal, overload

import torch
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
    """Convolutional VAE: (N,3,S,S) in [0,1] <-> (N, latent_dim) codes, S = 4 * 2**len(widths)."""

    def __init__(
        self,
        latent_dim: int = 128,
        widths: tuple[int, ...] = (32, 64, 128, 128),
        image_size: int = 64,
        code_channels: int = 32,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.image_size = image_size
        levels = len(widths)
        self.base = image_size // 2**levels
        if self.base * 2**levels != image_size:
            raise ValueError(f"image_size {image_size} is not 2**{levels} times an integer")
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

    @overload
    def encode(self, images: torch.Tensor, with_logvar: Literal[False] = False) -> torch.Tensor: ...
    @overload
    def encode(self, images: torch.Tensor, with_logvar: Literal[True]) -> tuple[torch.Tensor, torch.Tensor]: ...
    def encode(
        self, images: torch.Tensor, with_logvar: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Codes of images in [0, 1]: the posterior mean (deterministic), plus the log-variance if asked."""
        stats = self.to_stats(self.encoder(images * 2 - 1))
        mean, logvar = stats.chunk(2, dim=1)
        return (mean, logvar.clamp(-12, 8)) if with_logvar else mean

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) codes -> (N,3,S,S) images in [0, 1]."""
        grid = self.from_code(codes).view(-1, self.top, self.base, self.base)
        return self.decoder(grid) * 0.5 + 0.5

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
