"""Pixels (numpy, uint8/uint16, HxWxC) <-> tensors (torch, float, NxCxHxW in [0, 1]).

Alpha never goes through a network: `split_alpha` takes it off before a model runs and `merge_alpha`
puts it back on the result, resized if the model changed the size.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def pixels_to_tensor(pixels: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """HxWxC uint8/uint16 -> 1xCxHxW float32 in [0, 1] on `device`."""
    scale = 65535.0 if pixels.dtype == np.uint16 else 255.0
    array = np.ascontiguousarray(pixels)
    if array.dtype == np.uint16:
        array = array.astype(np.int32)  # torch has limited uint16 support
    tensor = torch.from_numpy(array).to(device).permute(2, 0, 1).unsqueeze(0)
    return tensor.float().div_(scale)


def tensor_to_pixels(tensor: torch.Tensor, dtype: type = np.uint8) -> np.ndarray:
    """1xCxHxW (or CxHxW) float in [0, 1] -> HxWxC uint8/uint16 (rounded)."""
    if tensor.dim() == 4:
        if tensor.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of {tensor.shape[0]}")
        tensor = tensor[0]
    scale = 65535.0 if dtype == np.uint16 else 255.0
    values = tensor.detach().float().clamp(0, 1).mul(scale).add_(0.5)
    if dtype == np.uint8:  # narrowed on the device: a quarter of the bytes cross to the host, no numpy pass
        return values.to(torch.uint8).permute(1, 2, 0).contiguous().cpu().numpy()
    return values.to(torch.int32).permute(1, 2, 0).cpu().numpy().astype(dtype)


def split_alpha(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(RGB, alpha or None) of an HxWx3/4 array."""
    if pixels.shape[2] == 4:
        return pixels[..., :3], pixels[..., 3:]
    return pixels, None


def merge_alpha(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Put `alpha` back on `rgb`, converting its depth and size to match."""
    if alpha is None:
        return rgb
    if alpha.dtype != rgb.dtype:
        alpha = (alpha.astype(np.float32) * (257.0 if rgb.dtype == np.uint16 else 1 / 257.0) + 0.5).astype(rgb.dtype)
    if alpha.shape[:2] != rgb.shape[:2]:
        resized = F.interpolate(
            torch.from_numpy(alpha.astype(np.float32)).permute(2, 0, 1)[None],
            size=rgb.shape[:2],
            mode="bilinear",
            align_corners=False,
        )
        alpha = resized[0].permute(1, 2, 0).round().numpy().astype(rgb.dtype)
    return np.concatenate([rgb, alpha], axis=2)
