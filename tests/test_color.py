"""Lab conversion against known reference values, and tensor <-> pixel conversion."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.color import lab_to_rgb, rgb_to_gray, rgb_to_lab
from app.core.tensors import merge_alpha, pixels_to_tensor, split_alpha, tensor_to_pixels


def swatch(*rgb: float) -> torch.Tensor:
    return torch.tensor(rgb, dtype=torch.float64).view(1, 3, 1, 1)


@pytest.mark.parametrize(
    ("rgb", "lab"),
    [
        ((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)),
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
        ((1.0, 0.0, 0.0), (53.24, 80.09, 67.20)),  # sRGB red, standard reference value
        ((0.0, 0.0, 1.0), (32.30, 79.19, -107.86)),
    ],
)
def test_rgb_to_lab_reference_values(rgb, lab):
    result = rgb_to_lab(swatch(*rgb)).flatten().tolist()
    assert result == pytest.approx(lab, abs=0.05)


def test_lab_round_trip_on_random_colours():
    rgb = torch.rand(2, 3, 16, 16, dtype=torch.float64)
    assert torch.allclose(lab_to_rgb(rgb_to_lab(rgb)), rgb, atol=1e-6)


def test_gray_has_no_chroma():
    gray = rgb_to_gray(torch.rand(1, 3, 8, 8))
    assert torch.allclose(gray[:, 0], gray[:, 1], atol=1e-4)
    assert torch.allclose(rgb_to_lab(gray)[:, 1:], torch.zeros(1, 2, 8, 8), atol=0.05)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_pixels_tensor_round_trip(dtype):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, np.iinfo(dtype).max + 1, size=(5, 7, 3)).astype(dtype)
    tensor = pixels_to_tensor(pixels)
    assert tensor.shape == (1, 3, 5, 7) and tensor.dtype == torch.float32
    assert 0.0 <= tensor.min() and tensor.max() <= 1.0
    np.testing.assert_array_equal(tensor_to_pixels(tensor, dtype), pixels)


def test_alpha_split_and_merge_resizes_alpha():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 200
    rgb, alpha = split_alpha(rgba)
    merged = merge_alpha(np.zeros((8, 8, 3), np.uint16), alpha)
    assert merged.shape == (8, 8, 4) and merged.dtype == np.uint16
    assert int(merged[..., 3].min()) == 200 * 257
