"""MTCNN detection on real faces, the 5-point alignment, and the paste-back without ghosts (issue #14.2)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.core import face_align
from latent_studio.app.core.faces import Box, FaceCrop, crop_face, detect_landmarks, paste_back
from latent_studio.models.manifest import weights_dir

UTKFACE = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "utkface" / "images"
needs_mtcnn = pytest.mark.skipif(not (weights_dir() / "mtcnn-v1.safetensors").is_file(), reason="MTCNN not shipped")
needs_faces = pytest.mark.skipif(not UTKFACE.is_dir(), reason="no UTKFace faces here")


def _placed(index: int, x: int, y: int, side: int, size=(700, 900), seed=0):
    """A UTKFace training crop resized to `side` and pasted at (x, y) into a random picture."""
    files = sorted(UTKFACE.glob("*.jpg"))
    face = Image.open(files[index]).convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
    picture = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    picture[y : y + side, x : x + side] = np.asarray(face)
    return picture


@needs_mtcnn
@needs_faces
@pytest.mark.parametrize("index, x, y, side", [(0, 300, 150, 240), (500, 40, 380, 180), (3000, 600, 60, 280)])
def test_a_face_placed_in_a_picture_is_found_there_with_its_landmarks(index, x, y, side):
    found = detect_landmarks(_placed(index, x, y, side))
    assert len(found) == 1
    expected = face_align.TEMPLATE * side + (x, y)  # the training frame's landmarks, at this place and scale
    ocular = side * (face_align.TEMPLATE[1, 0] - face_align.TEMPLATE[0, 0])
    assert np.linalg.norm(found[0].landmarks - expected, axis=1).max() < 0.3 * ocular
    x1, _y1, x2, _y2 = found[0].box
    assert abs((x1 + x2) / 2 - x - side / 2) < 0.15 * side and 0.6 * side < x2 - x1 < 1.2 * side


@needs_mtcnn
def test_a_picture_without_a_face_gives_no_detection():
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    ramp = np.repeat(np.linspace(0, 255, 640, dtype=np.uint8)[None, :, None], 480, 0).repeat(3, 2)
    assert detect_landmarks(noise) == [] and detect_landmarks(ramp) == []


@needs_mtcnn
@needs_faces
def test_an_aligned_crop_puts_the_landmarks_on_the_template_and_a_box_restricts_detection():
    picture = _placed(0, 300, 150, 240)
    crop = crop_face(picture, 64)
    assert crop.detected and crop.landmarks is not None and "aligned" in crop.note
    in_crop = face_align.apply(crop.matrix, crop.landmarks)
    assert np.abs(in_crop - face_align.TEMPLATE * 64).max() < 4
    assert abs(crop.box.x - 300) < 30 and abs(crop.box.size - 240) < 40
    # the box restricts detection: around the face it is found (and aligned), elsewhere the box is the crop
    assert crop_face(picture, 64, Box(280, 130, 280)).detected
    empty = crop_face(picture, 64, Box(0, 0, 200))
    assert not empty.detected and empty.box == Box(0, 0, 200) and "given crop box" in empty.note
    # the size is a parameter (the face model will move to 128)
    assert crop_face(picture, 128).pixels.shape == (128, 128, 3)
    # an exact box (`edit --box`) is the framing as it is, even around a detectable face
    exact = crop_face(picture, 120, Box(300, 150, 240), exact=True)
    assert not exact.detected and exact.box == Box(300, 150, 240) and "given crop box" in exact.note
    resized = np.asarray(Image.fromarray(picture[150:390, 300:540]).resize((120, 120), Image.Resampling.BILINEAR))
    assert np.abs(exact.pixels.astype(int) - resized.astype(int)).mean() < 6


def test_similarity_recovers_a_known_transform():
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -5.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = face_align.TEMPLATE * 100
    matrix = face_align.similarity(points, points @ rotation.T + shift)
    assert np.allclose(matrix[:, :2], rotation) and np.allclose(matrix[:, 2], shift)


def _crop_with_landmarks(picture_side=300) -> FaceCrop:
    landmarks = face_align.TEMPLATE * 160 + (70, 60)
    return FaceCrop(
        np.zeros((64, 64, 3), np.uint8), Box(70, 60, 160), True, "", face_align.alignment(landmarks, 64), landmarks
    )


def test_keep_detail_with_no_change_leaves_every_pixel_and_a_face_replaces_only_the_mask():
    photo = np.random.default_rng(2).integers(0, 256, (300, 320, 3), dtype=np.uint8)
    crop = _crop_with_landmarks()
    decoded = np.random.default_rng(3).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert np.array_equal(paste_back(photo, decoded, crop, reference=decoded), photo)  # no ghost at all
    replaced = paste_back(photo, np.full((64, 64, 3), 250, np.uint8), crop)
    weight = face_align.mask_in_photo(crop.matrix, crop.mask(), 300, 320)
    assert np.array_equal(replaced[weight == 0], photo[weight == 0])  # outside the mask: untouched
    assert (replaced[weight >= 1] == 250).all()  # inside: the new face, cleanly
    assert (weight == 0).mean() > 0.6 and (weight >= 1).sum() > 2000  # the mask covers the face, not the picture


@needs_mtcnn
def test_detection_of_a_1_2_megapixel_photo_takes_well_under_a_second():
    picture = np.random.default_rng(4).integers(0, 256, (960, 1280, 3), dtype=np.uint8)
    detect_landmarks(picture[:100, :100])  # load the model
    started = time.perf_counter()
    detect_landmarks(picture)
    assert time.perf_counter() - started < 1.5  # ~0.1-0.3 s on 2 busy CPU cores


@needs_mtcnn
@needs_faces
def test_the_shipped_editor_with_sliders_at_zero_leaves_the_photo_and_young_changes_only_the_face():
    from latent_studio.app.core.face_edit import edit_picture
    from latent_studio.app.core.imageio import Picture
    from latent_studio.app.core.latent import LatentEditor
    from latent_studio.models.vae.spec import VAE

    if not (weights_dir() / VAE.weights_file).is_file():
        pytest.skip("the VAE is not shipped")
    editor = LatentEditor.load(user_dir=Path("/nonexistent"))
    picture = Picture(_placed(10, 200, 100, 220, size=(480, 640)))
    unchanged = edit_picture(editor, picture, {})
    assert np.abs(unchanged.picture.pixels.astype(int) - picture.pixels).max() <= 2  # no ghost
    older = edit_picture(editor, picture, {"young": -2.0})
    changed = np.any(older.picture.pixels != picture.pixels, axis=2)
    assert changed.any() and not changed[:, :150].any() and not changed[:60].any()  # the face, not the picture
