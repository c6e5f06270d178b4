"""The one face-edit flow (app.core.face_edit): the CLI, the batch EditTool and the Latent panel's paste job
give the same pixels, and a gray photo stays gray in all three (issue #18: only the GUI copy kept it gray)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from latent_studio.app.core.face_edit import edit_picture, face_code, gray_face
from latent_studio.app.core.imageio import Picture, load_image, save_image
from tests.test_latent import editor, tiny_registry  # noqa: F401 (fixtures)


def _gray_photo(seed=3, height=64, width=48) -> Picture:
    rng = np.random.default_rng(seed)
    level = (rng.integers(40, 220, (height // 8, width // 8)).repeat(8, 0).repeat(8, 1)).astype(np.uint8)
    return Picture(np.repeat(level[..., None], 3, axis=2), is_gray=True)


def _three_ways(editor, tmp_path, monkeypatch, picture: Picture, sliders: dict[str, float]):  # noqa: F811
    from latent_studio.app import cli
    from latent_studio.app.commands import edit as edit_command
    from latent_studio.app.core.batch_tools import EditTool
    from latent_studio.app.core.device import ComputeSettings
    from latent_studio.app.core.jobs import Progress, run_sync
    from latent_studio.app.gui.panels.latent.jobs import LatentModel, Recipe, encode_job, paste_job

    # the CLI
    save_image(picture, tmp_path / "in.png")
    monkeypatch.setattr(edit_command, "_editor", lambda args: editor)
    attrs = [item for name, amount in sliders.items() for item in ("--attr", f"{name}={amount}")]
    assert cli.main(["edit", str(tmp_path / "in.png"), str(tmp_path / "out.png"), *attrs]) == 0
    by_cli = load_image(tmp_path / "out.png").pixels
    # the batch tool (the file as the batch engine reads it)
    by_batch = EditTool(editor, dict(sliders)).process([load_image(tmp_path / "in.png")], Progress())[0].pixels
    # the panel's jobs
    model, settings = LatentModel(), ComputeSettings(device="cpu")
    model._editor, model._device = editor, settings.device
    photo = load_image(tmp_path / "in.png")
    encoded = run_sync(encode_job(model, settings, photo, None))
    recipe = Recipe(encoded.code, sliders=tuple(sorted(sliders.items())))
    by_gui = run_sync(paste_job(model, settings, recipe, photo, encoded, True)).pixels
    return by_cli, by_batch, by_gui


def _is_gray(pixels: np.ndarray) -> bool:
    return bool((pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all())


def test_a_gray_photo_stays_gray_and_cli_batch_and_gui_agree(editor, tmp_path, monkeypatch):  # noqa: F811
    picture = _gray_photo()
    by_cli, by_batch, by_gui = _three_ways(editor, tmp_path, monkeypatch, picture, {"young": 3.0})
    assert not np.array_equal(by_gui, picture.pixels)  # the edit did something
    assert np.array_equal(by_cli, by_batch) and np.array_equal(by_batch, by_gui)
    for pixels in (by_cli, by_batch, by_gui):
        assert _is_gray(pixels)


def test_a_colour_photo_gives_the_same_pixels_three_ways(editor, tmp_path, monkeypatch):  # noqa: F811
    rng = np.random.default_rng(8)
    picture = Picture(rng.integers(0, 256, (56, 40, 3), dtype=np.uint8))
    by_cli, by_batch, by_gui = _three_ways(editor, tmp_path, monkeypatch, picture, {"young": -2.0})
    assert np.array_equal(by_cli, by_batch) and np.array_equal(by_batch, by_gui)


def test_face_code_blends_then_moves_and_gray_face_is_luma(editor):  # noqa: F811
    import torch

    a, b = torch.zeros(editor.latent_dim), torch.ones(editor.latent_dim)
    assert torch.allclose(face_code(editor, a, {}, b, 0.25), torch.full((editor.latent_dim,), 0.25))
    assert torch.allclose(face_code(editor, a, {"young": 1.0}), editor.offset({"young": 1.0}))
    assert torch.allclose(editor.interpolate(a, b, 5)[1], face_code(editor, a, {}, b, 0.25))
    assert gray_face(np.array([[[255, 0, 0]]], np.uint8)).tolist() == [[[54, 54, 54]]]


def test_a_16_bit_photo_with_alpha_keeps_depth_and_alpha(editor):  # noqa: F811
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 65536, (40, 40, 4), dtype=np.uint16)
    edit = edit_picture(editor, Picture(pixels), {"young": 2.0})
    assert edit.picture.pixels.dtype == np.uint16 and np.array_equal(edit.picture.pixels[..., 3], pixels[..., 3])


def test_an_unknown_paste_mode_is_refused(editor):  # noqa: F811
    from latent_studio.models.errors import LatentStudioError

    with pytest.raises(LatentStudioError, match=re.escape("The paste mode must be one of delta, face, not 'ghost'.")):
        edit_picture(editor, _gray_photo(), {}, paste="ghost")
