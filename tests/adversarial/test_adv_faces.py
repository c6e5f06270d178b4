"""Odd pictures through face detection and alignment: smaller than P-Net's window, a 1-pixel strip, a box
hanging past the edges; each gives a crop of the model's size (or the CLI's one line), never a crash."""

from __future__ import annotations

import numpy as np
import pytest

from latent_studio.app.core.faces import Box, crop_face, paste_back


@pytest.mark.parametrize("shape", [(5, 5, 3), (1, 300, 3), (300, 1, 3), (11, 2000, 4)])
def test_adv_tiny_and_thin_pictures_give_a_crop_and_paste_back_in_place(shape):
    picture = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    crop = crop_face(picture, 64)
    assert crop.pixels.shape == (64, 64, 3) and not crop.detected
    pasted = paste_back(picture, np.zeros((64, 64, 3), np.uint8), crop, reference=np.zeros((64, 64, 3), np.uint8))
    assert np.array_equal(pasted, picture)


def test_adv_a_box_past_the_edges_is_edge_padded():
    picture = np.random.default_rng(1).integers(0, 256, (80, 60, 3), dtype=np.uint8)
    crop = crop_face(picture, 32, Box(-40, 50, 90))
    assert crop.pixels.shape == (32, 32, 3) and crop.box == Box(-40, 50, 90)
    assert paste_back(picture, np.full((32, 32, 3), 255, np.uint8), crop).shape == picture.shape
