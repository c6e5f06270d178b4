"""Image quality measures shared by every evaluation: PSNR, SSIM and a sharpness measure, in torch.

All take (N,C,H,W) float tensors in [0, 1] and return one value per image (N,), so callers can average,
take medians or compare per image. SSIM uses the standard 11x11 Gaussian window (sigma 1.5, Wang et al.
2004) on each channel, averaged over channels; it runs on whatever device the tensors are on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def psnr(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB for images in [0, 1]."""
    mse = (a.float() - b.float()).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / (mse + eps))


def _gaussian_window(size: int, sigma: float, channels: int, device: torch.device) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()


def ssim(a: torch.Tensor, b: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Structural similarity (gaussian window, valid region only, C1=(0.01)^2, C2=(0.03)^2)."""
    a, b = a.float(), b.float()
    channels = a.shape[1]
    w = _gaussian_window(window, sigma, channels, a.device)
    conv = lambda x: F.conv2d(x, w, groups=channels)  # noqa: E731
    mu_a, mu_b = conv(a), conv(b)
    var_a = conv(a * a) - mu_a**2
    var_b = conv(b * b) - mu_b**2
    cov = conv(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    score = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return score.flatten(1).mean(1)


def gradient_magnitude(images: torch.Tensor) -> torch.Tensor:
    """Mean gradient magnitude of the luma (finite differences): a blur measure, higher is sharper."""
    x = images.float()
    luma = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    dx = luma[:, :, 1:] - luma[:, :, :-1]
    dy = luma[:, 1:, :] - luma[:, :-1, :]
    return (dx[:, :-1, :] ** 2 + dy[:, :, :-1] ** 2).sqrt().flatten(1).mean(1)


def high_frequency_energy(images: torch.Tensor, cutoff: float = 0.25) -> torch.Tensor:
    """Share of the luma spectrum's energy above `cutoff` x Nyquist radius (mean removed)."""
    x = images.float()
    luma = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    luma = luma - luma.mean(dim=(1, 2), keepdim=True)
    power = torch.fft.fftshift(torch.fft.fft2(luma), dim=(-2, -1)).abs() ** 2
    h, w = luma.shape[-2:]
    fy = torch.linspace(-1, 1, h, device=x.device)[:, None]
    fx = torch.linspace(-1, 1, w, device=x.device)[None, :]
    mask = (fy**2 + fx**2).sqrt() > cutoff
    return (power * mask).flatten(1).sum(1) / power.flatten(1).sum(1).clamp_min(1e-12)
