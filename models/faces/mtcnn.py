"""The three MTCNN networks (Zhang, Zhang, Li, Qiao: "Joint Face Detection and Alignment using Multi-task
Cascaded Convolutional Networks", IEEE SPL 2016), written from the paper's figure 2 and the authors' Caffe
layouts: 3x3 convolutions with PReLU, max pooling, and per-task heads.

    P-Net (12x12, fully convolutional): conv3 10 - pool2 - conv3 16 - conv3 32 - {1x1: face 2, box 4}
    R-Net (24x24): conv3 28 - pool3/2 - conv3 48 - pool3/2 - conv2 64 - fc 128 - {face 2, box 4}
    O-Net (48x48): conv3 32 - pool3/2 - conv3 64 - pool3/2 - conv3 64 - pool2 - conv2 128 - fc 256
                   - {face 2, box 4, landmarks 10}

The released weights were trained in Caffe on transposed images, so the fully connected layers read their
input flattened width-first (W, H, C); `_flatten` does that. Inputs are RGB scaled as (x - 127.5) / 128.
Landmark outputs are 5 x-fractions then 5 y-fractions of the box (left eye, right eye, nose, left and
right mouth corner, as seen in the picture).
"""

from __future__ import annotations

import torch
from torch import nn


def _flatten(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)


class PNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)  # face / not face
        self.conv4_2 = nn.Conv2d(32, 4, 1)  # box offsets

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return torch.softmax(self.conv4_1(x), dim=1)[:, 1], self.conv4_2(x)


class RNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(64 * 3 * 3, 128), nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu4(self.dense4(_flatten(self.prelu3(self.conv3(x)))))
        return torch.softmax(self.dense5_1(x), dim=1)[:, 1], self.dense5_2(x)


class ONet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(128 * 3 * 3, 256), nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu5(self.dense5(_flatten(self.prelu4(self.conv4(x)))))
        return torch.softmax(self.dense6_1(x), dim=1)[:, 1], self.dense6_2(x), self.dense6_3(x)


class MTCNN(nn.Module):
    """The three stages in one module, so one safetensors file and one registry entry hold them."""

    def __init__(self) -> None:
        super().__init__()
        self.pnet, self.rnet, self.onet = PNet(), RNet(), ONet()
