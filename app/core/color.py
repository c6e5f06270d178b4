"""sRGB <-> CIE Lab (D65) in torch, so colour conversion runs on the same device as the models.

Tensors are (N, 3, H, W). RGB is gamma-encoded sRGB in [0, 1]; Lab has L in [0, 100] and a, b roughly in
[-110, 110]. The colorizer works in Lab because lightness and chroma separate cleanly there: the network
predicts (a, b) and the full-resolution L of the original is kept.
"""

from __future__ import annotations

import torch

# sRGB (linear) -> XYZ, D65 white.
_RGB_TO_XYZ = torch.tensor(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
_WHITE_D65 = torch.tensor([0.950456, 1.0, 1.088754])
_EPSILON = 0.008856  # (6/29)^3
_KAPPA = 7.787  # (29/6)^2 / 3


def srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    return torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055).clamp_min(0) ** 2.4, rgb / 12.92)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    linear = linear.clamp(0.0, 1.0)
    return torch.where(linear > 0.0031308, 1.055 * linear.clamp_min(1e-12) ** (1 / 2.4) - 0.055, 12.92 * linear)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """(N,3,H,W) sRGB in [0,1] -> Lab."""
    matrix = _RGB_TO_XYZ.to(rgb.device, rgb.dtype)
    white = _WHITE_D65.to(rgb.device, rgb.dtype).view(1, 3, 1, 1)
    xyz = torch.einsum("ij,njhw->nihw", matrix, srgb_to_linear(rgb)) / white
    f = torch.where(xyz > _EPSILON, xyz.clamp_min(1e-12) ** (1 / 3), _KAPPA * xyz + 16 / 116)
    lightness = 116 * f[:, 1:2] - 16
    a = 500 * (f[:, 0:1] - f[:, 1:2])
    b = 200 * (f[:, 1:2] - f[:, 2:3])
    return torch.cat([lightness, a, b], dim=1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab -> (N,3,H,W) sRGB in [0,1] (out-of-gamut colours are clipped)."""
    lightness, a, b = lab[:, 0:1], lab[:, 1:2], lab[:, 2:3]
    fy = (lightness + 16) / 116
    fx = fy + a / 500
    fz = fy - b / 200
    f = torch.cat([fx, fy, fz], dim=1)
    xyz = torch.where(f > 6 / 29, f**3, (f - 16 / 116) / _KAPPA)
    xyz = xyz * _WHITE_D65.to(lab.device, lab.dtype).view(1, 3, 1, 1)
    inverse = torch.linalg.inv(_RGB_TO_XYZ.double()).to(lab.device, lab.dtype)
    linear = torch.einsum("ij,njhw->nihw", inverse, xyz)
    return linear_to_srgb(linear).clamp(0.0, 1.0)


def rgb_to_gray(rgb: torch.Tensor) -> torch.Tensor:
    """Lab lightness rendered back to sRGB gray: the 'gray version' of a colour photo, (N,3,H,W)."""
    lab = rgb_to_lab(rgb)
    return lab_to_rgb(torch.cat([lab[:, :1], torch.zeros_like(lab[:, 1:])], dim=1))
