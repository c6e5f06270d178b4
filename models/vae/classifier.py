"""The face-attribute classifier that judges the VAE's attribute directions (and nothing else).

A small CNN at 64x64 predicting, from one face in [0, 1]: the logit of "female", the logit of "young"
(age <= 30 vs age >= 50) and the age / 50 (a regression head for reports). It is trained separately on
the UTKFace labels, with blur augmentation so it can score VAE decodes, which are softer than photos.
"""

from __future__ import annotations

import torch
from torch import nn

OUTPUTS = ("female", "young", "age")


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
        nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
        nn.MaxPool2d(2),
    )


class FaceAttributeNet(nn.Module):
    """(N,3,S,S) in [0, 1] -> (N, 3): female logit, young logit, age / 50."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 96, 128), image_size: int = 64, dropout: float = 0.2) -> None:
        super().__init__()
        self.image_size = image_size
        layers, cin = [], 3
        for cout in widths:
            layers.append(_block(cin, cout))
            cin = cout
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(cin, len(OUTPUTS)))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images * 2 - 1))

    @torch.no_grad()
    def attributes(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Probabilities of female and young, and the age in years, per image (resized to the judge's size)."""
        if images.shape[-1] != self.image_size:
            images = torch.nn.functional.interpolate(images, size=(self.image_size, self.image_size), mode="area")
        out = self(images).float()
        return {"female": out[:, 0].sigmoid(), "young": out[:, 1].sigmoid(), "age": out[:, 2] * 50}
