"""Sketch subjects (issue #15 point 1): scene, face and clothing, each its own generator and line style, chosen
the same way in `latent-studio sketch`, `batch sketch`, the core and the Sketch panel.

The core's logic runs on two tiny random nets registered under the scene's and the face's names; the CLI, the
batch resume key and the panel use the shipped weights at small sizes.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt
from safetensors.torch import save_file

from latent_studio.app.core import sketch as sketch_core
from latent_studio.app.core.batch_tools import SketchTool
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import load_image
from latent_studio.app.core.sketch import SketchSettings, photo_to_sketch, sketch_to_image
from latent_studio.app.core.sketch_flow import SketchOptions, sketch_settings
from latent_studio.models.manifest import sha256_of, write_manifest
from latent_studio.models.registry import ModelSpec, Registry
from latent_studio.models.sketch.network import SketchUNet
from latent_studio.models.sketch.spec import SPEC
from latent_studio.models.sketch.subjects import SUBJECTS

TINY = {"channels": [4, 8], "blocks": [0, 1]}
CPU = ComputeSettings(device="cpu")


def drawing(height: int = 64, width: int = 80) -> np.ndarray:
    """Black lines on white: a box and a diagonal."""
    lines = np.full((height, width), 255, np.uint8)
    lines[12, 10:60] = lines[50, 10:60] = 0
    lines[12:51, 10] = lines[12:51, 59] = 0
    index = np.arange(12, 51)
    lines[index, index + 5] = 0
    return lines


def textured_photo(size: int = 200) -> np.ndarray:
    """A photo with edges of every strength: a disc, a gradient and fine noise."""
    y, x = np.mgrid[0:size, 0:size]
    rng = np.random.default_rng(3)
    disc = ((x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2) * 120
    gray = 60 + disc + 40 * x / size + rng.normal(0, 12, (size, size))
    return np.clip(np.stack([gray, gray * 0.9, gray * 0.7], axis=2), 0, 255).astype(np.uint8)


@pytest.fixture()
def two_subjects(tmp_path):
    """A registry with tiny random generators under the scene's and the face's model names (different seeds)."""
    files, specs = {}, {}
    for seed, name in enumerate((SUBJECTS["scene"].model, SUBJECTS["face"].model)):
        torch.manual_seed(seed)
        spec = ModelSpec(
            **{**SPEC.__dict__, "name": name, "weights_file": f"{name}.safetensors", "default_config": TINY}
        )
        save_file(SketchUNet(**TINY).state_dict(), tmp_path / spec.weights_file)
        files[spec.weights_file] = {"sha256": sha256_of(tmp_path / spec.weights_file), "config": TINY}
        specs[name] = spec
    write_manifest({"format": 1, "files": files}, tmp_path)
    return Registry(tmp_path, specs)


# --- the core ------------------------------------------------------------------------------------------


def test_options_run_each_subject_s_model_at_its_own_size():
    scene, face = sketch_settings(SketchOptions(), CPU), sketch_settings(SketchOptions(subject="face"), CPU)
    assert (scene.model, scene.resolution) == ("sketch", 256)  # the default is unchanged
    assert (face.model, face.resolution) == ("sketch-face", 128)
    clothing = sketch_settings(SketchOptions(subject="Clothing"), CPU)
    assert (clothing.model, clothing.resolution) == ("sketch-clothing", 144)
    assert sketch_settings(SketchOptions(0, "face"), CPU).resolution is None  # 0: the drawing's own size
    assert sketch_settings(SketchOptions(96, "face"), CPU).resolution == 96  # a number given wins


def test_switching_subject_draws_anew_instead_of_reusing_the_cached_picture(two_subjects):
    lines = drawing()
    scene = SketchSettings(compute=CPU, resolution=64)
    face = SketchSettings(compute=CPU, resolution=64, model="sketch-face")
    first = sketch_to_image(lines, None, scene, registry=two_subjects)
    with_face = sketch_to_image(lines, None, face, registry=two_subjects)
    assert sketch_core._LAST_GENERATED[0][0][0] == "sketch-face"  # the cache now holds the face model's picture
    assert not np.array_equal(first, with_face)
    assert np.array_equal(sketch_to_image(lines, None, scene, registry=two_subjects), first)  # and back again


def test_extraction_follows_the_subject_s_line_style():
    photo = textured_photo(200)
    scene, face = photo_to_sketch(photo), photo_to_sketch(photo, subject="face")
    assert scene.shape == face.shape == (200, 200)
    # face's model works at 128 px: on a 200 px photo its lines are blurred and drawn as at 128 (wider, fewer)
    assert not np.array_equal(scene, face)
    assert (face < 128).mean() != pytest.approx((scene < 128).mean(), abs=1e-4)
    small = textured_photo(100)  # at or under every subject's size the contours agree; face adds solid fills
    assert (photo_to_sketch(small, subject="face") <= photo_to_sketch(small)).all()


def test_face_and_clothing_fill_dark_areas_solid_and_scene_does_not():
    photo = np.full((128, 128, 3), 200, np.uint8)
    photo[32:96, 32:96] = 10  # a dark square: hair, a black shirt
    scene, face = photo_to_sketch(photo), photo_to_sketch(photo, subject="face")
    inside = (slice(40, 88), slice(40, 88))
    assert (scene[inside] > 250).all()  # contours only: the square's inside stays paper
    assert (face[inside] < 5).all()  # spot blacks: filled solid
    assert (face[:20, :20] > 250).all()  # the light paper stays paper


# --- the CLI and the batch (the shipped weights) -------------------------------------------------------


def test_cli_subject_face_writes_a_picture_unlike_scene(tmp_path):
    from latent_studio.app.cli import main

    Image.fromarray(drawing()).save(tmp_path / "lines.png")
    for name in ("scene", "face"):
        argv = ["sketch", str(tmp_path / "lines.png"), str(tmp_path / f"{name}.png"), "--device", "cpu"]
        assert main([*argv, "--subject", name]) == 0
    scene, face = load_image(tmp_path / "scene.png"), load_image(tmp_path / "face.png")
    assert face.pixels.shape == (64, 80, 3) and not face.is_gray
    assert np.abs(face.pixels.astype(int) - scene.pixels).mean() > 5


def test_cli_extract_with_subject_face_differs_from_scene(tmp_path):
    from latent_studio.app.cli import main

    Image.fromarray(textured_photo(200)).save(tmp_path / "photo.png")
    for name in ("scene", "face"):
        argv = ["sketch", "--extract", str(tmp_path / "photo.png"), str(tmp_path / f"{name}.png")]
        assert main([*argv, "--subject", name]) == 0
    scene, face = load_image(tmp_path / "scene.png"), load_image(tmp_path / "face.png")
    assert scene.is_gray and face.is_gray and not np.array_equal(scene.pixels, face.pixels)


def test_batch_resume_key_and_re_run_follow_the_subject(tmp_path, capsys):
    from latent_studio.app.cli import main

    keys = {name: SketchTool(CPU, subject=name).settings_key() for name in SUBJECTS}
    assert len(set(keys.values())) == 3 and "subject=face" in keys["face"] and "resolution=128" in keys["face"]
    (tmp_path / "in").mkdir()
    Image.fromarray(drawing()).save(tmp_path / "in" / "one.png")

    def batch(*extra: str) -> str:
        argv = ["batch", "sketch", str(tmp_path / "in"), str(tmp_path / "out"), "--device", "cpu", "--no-progress"]
        assert main([*argv, *extra]) == 0
        return capsys.readouterr().out

    assert "1 done, 0 skipped" in batch()
    scene = load_image(tmp_path / "out" / "one.png").pixels
    assert "1 done, 0 skipped" in batch("--subject", "face")  # another subject: the item is redone
    assert not np.array_equal(load_image(tmp_path / "out" / "one.png").pixels, scene)
    assert "0 done, 1 skipped" in batch("--subject", "face")  # the same subject again: resumed


# --- the Sketch panel (the real window, the shipped weights) -------------------------------------------


@pytest.fixture
def window(qtbot, monkeypatch):
    from tests.conftest import running_window

    with running_window(qtbot, monkeypatch, size=(1100, 800)) as window:
        yield window


def test_panel_subject_face_redraws_with_the_face_model_and_traces_in_its_style(qtbot, window, tmp_path, monkeypatch):
    from latent_studio.app.core import sketch_flow
    from latent_studio.app.gui.panels.sketch.panel import EXTRACT, GENERATE
    from tests.test_sketch_panel import draw, finished, photo_file, sketch_panel

    asked: list[tuple[str, int | None]] = []
    run_one, extract = sketch_flow.run_one, sketch_core.photo_to_sketch

    def spy_run_one(lines, colour, options, *rest):
        asked.append((options.subject, options.resolution))
        return run_one(lines, colour, options, *rest)

    def spy_extract(photo, settings, progress, subject=None):
        asked.append((f"extract:{subject}", None))
        return extract(photo, settings, progress, subject)

    monkeypatch.setattr(sketch_flow, "run_one", spy_run_one)  # the jobs import them when they run
    monkeypatch.setattr(sketch_core, "photo_to_sketch", spy_extract)
    panel = sketch_panel(qtbot, window)
    assert panel.subject == "scene" and [panel.subject_box.itemData(i) for i in range(3)] == list(SUBJECTS)
    with finished(qtbot, window, GENERATE):
        draw(qtbot, panel.canvas, [(40, 200), (90, 120), (140, 60), (200, 140), (220, 210)])
    scene = panel.result.copy()
    assert asked[-1] == ("scene", 256)

    # 1. Face: the live picture is re-drawn by the face model at its own 128 px, on the same drawing
    with finished(qtbot, window, GENERATE):
        panel.subject_box.setCurrentIndex(panel.subject_box.findData("face"))
    assert asked[-1] == ("face", 128) and panel.subject_box.toolTip() == SUBJECTS["face"].description
    assert panel.result.shape == scene.shape and np.abs(panel.result.astype(int) - scene).mean() > 5

    # 2. Photo -> sketch traces in the face's line style, and the face model draws the traced lines
    with finished(qtbot, window, "open"):
        window.open_path(str(photo_file(tmp_path)))
    with finished(qtbot, window, EXTRACT), finished(qtbot, window, GENERATE):
        qtbot.mouseClick(panel.extract_button, Qt.MouseButton.LeftButton)
    assert ("extract:face", None) in asked and asked[-1] == ("face", 128)


def test_batch_dialog_offers_the_subject_for_sketch_and_its_own_size(qtbot, tmp_path):
    from latent_studio.app.gui.batch_dialog import BatchDialog
    from latent_studio.app.gui.preferences import Preferences

    dialog = BatchDialog(Preferences(), device="cpu")
    qtbot.addWidget(dialog)
    assert not dialog._form.isRowVisible(dialog.subject) and dialog.request().subject == "scene"  # colorize
    dialog.tool.setCurrentIndex(dialog.tool.findData("sketch"))
    assert dialog._form.isRowVisible(dialog.subject) and dialog.working_size.value() == 256
    dialog.subject.setCurrentIndex(dialog.subject.findData("face"))
    request = dialog.request()
    assert (request.tool, request.subject, request.working_size) == ("sketch", "face", 128)
    dialog.tool.setCurrentIndex(dialog.tool.findData("colorize"))
    assert dialog.request().subject == "scene"  # another tool never gets a subject (it would be refused)
