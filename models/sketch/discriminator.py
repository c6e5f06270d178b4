"""PatchGAN discriminator (pix2pix, Isola et al. 2017): judges overlapping patches, not whole images.

It sees the generator's input beside a real or generated photo, so it penalises outputs that do not fit the
sketch as well as outputs that look fake. With three stride-2 layers and two 4x4 layers at 1/8 resolution,
each output cell sees about a 70x70 patch, which keeps it about textures and local structure and leaves
the global layout to the L1 loss. Spectral normalisation keeps training stable without tuning.
Training only: the app never loads it.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 5 + 3, width: int = 64) -> None:
        super().__init__()
        widths = [width, width * 2, width * 4, width * 4]
        layers: list[nn.Module] = []
        cin = in_channels
        for i, cout in enumerate(widths):
            stride = 2 if i < 3 else 1
            layers += [spectral_norm(nn.Conv2d(cin, cout, 4, stride, 1)), nn.LeakyReLU(0.2, inplace=True)]
            cin = cout
        layers.append(spectral_norm(nn.Conv2d(cin, 1, 4, 1, 1)))
        self.body = nn.Sequential(*layers)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([condition, image], dim=1))
