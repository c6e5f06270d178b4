"""Lab conversion against known reference values, and tensor <-> pixel conversion."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_studio.app.core.tensors import merge_alpha, pixels_to_tensor, split_alpha, tensor_to_pixels
from latent_studio.models.color import lab_to_rgb, lab_to_srgb8, rgb_to_gray, rgb_to_lab


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
    assert tensor.min() >= 0.0 and tensor.max() <= 1.0
    np.testing.assert_array_equal(tensor_to_pixels(tensor, dtype), pixels)


def test_alpha_split_and_merge_resizes_alpha():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 200
    _rgb, alpha = split_alpha(rgba)
    merged = merge_alpha(np.zeros((8, 8, 3), np.uint16), alpha)
    assert merged.shape == (8, 8, 4) and merged.dtype == np.uint16
    assert int(merged[..., 3].min()) == 200 * 257


@pytest.mark.parametrize(
    ("lab", "rgb8"),
    [
        ((100.0, 0.0, 0.0), (255, 255, 255)),
        ((0.0, 0.0, 0.0), (0, 0, 0)),
        ((53.24, 80.09, 67.20), (255, 0, 0)),
        ((32.30, 79.19, -107.86), (0, 0, 255)),
        ((50.0, 0.0, 0.0), (119, 119, 119)),
    ],
)
def test_8bit_output_reference_values(lab, rgb8):
    lightness = torch.tensor(lab[:1]).view(1, 1, 1, 1)
    ab = torch.tensor(lab[1:]).view(1, 2, 1, 1)
    assert tuple(lab_to_srgb8(lightness, ab).view(3).tolist()) == rgb8


def float_path(lightness: torch.Tensor, ab: torch.Tensor) -> np.ndarray:
    return np.stack(
        [
            tensor_to_pixels(lab_to_rgb(torch.cat([lightness[i : i + 1], ab[i : i + 1]], dim=1)))
            for i in range(len(lightness))
        ]
    )


def test_8bit_output_matches_the_float_path_within_one_level():
    """Out-of-gamut colours, a batch of two, and a strip of rows (a strided view, as `_finish` passes)."""
    generator = torch.Generator().manual_seed(0)
    lightness = torch.rand(2, 1, 120, 90, generator=generator) * 100
    ab = torch.randn(2, 2, 120, 90, generator=generator) * 40
    for rows in (slice(None), slice(30, 70)):
        fast = lab_to_srgb8(lightness[:, :, rows], ab[:, :, rows]).numpy().astype(int)
        difference = np.abs(fast - float_path(lightness[:, :, rows], ab[:, :, rows]))
        assert fast.shape == (2, 120 if rows == slice(None) else 40, 90, 3)
        assert difference.max() <= 1 and (difference > 0).mean() < 0.01


def test_8bit_output_keeps_neutral_colours_exactly_gray():
    lightness = torch.linspace(0, 100, 20001).view(1, 1, 1, -1)
    rgb = lab_to_srgb8(lightness, torch.zeros(1, 2, 1, 20001))[0, 0].numpy()
    assert (rgb[:, 0] == rgb[:, 1]).all() and (rgb[:, 1] == rgb[:, 2]).all()
    assert np.all(np.diff(rgb[:, 0].astype(int)) >= 0) and rgb[0, 0] == 0 and rgb[-1, 0] == 255
