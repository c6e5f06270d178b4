"""Bad reference photos for `colorize --reference` and `batch colorize --reference`: one line, exit 2, nothing
written (the batch refuses before touching any item)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.cli import main
from latent_studio.app.commands.exit_codes import EXIT_USAGE


@pytest.fixture
def gray_input(tmp_path):
    path = tmp_path / "in" / "gray.png"
    path.parent.mkdir()
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8)[None], (48, 1))).save(path)
    return path


def _reference(tmp_path, kind: str):
    path = tmp_path / f"ref-{kind}.png"
    if kind == "tiny":
        Image.new("RGB", (20, 40), (200, 30, 30)).save(path)
    elif kind == "gray":
        Image.new("L", (64, 64), 128).save(path)
    elif kind == "flat-gray-rgb":
        Image.new("RGB", (64, 64), (90, 90, 90)).save(path)
    elif kind == "garbage":
        path.write_bytes(b"this is not an image")
    return path


MESSAGES = {
    "tiny": "The reference picture is too small (20 x 40): it needs at least 32 pixels on each side.",
    "gray": "The reference picture is gray: it has no colours to give.",
    "flat-gray-rgb": "The reference picture is gray: it has no colours to give.",
    "garbage": "ref-garbage.png is not an image Latent Studio can read (supported: PNG, JPEG, WebP, TIFF, BMP, GIF).",
    "missing": "{path} does not exist.",
}


@pytest.mark.parametrize("kind", list(MESSAGES))
def test_adv_bad_reference_is_one_line_and_writes_nothing(tmp_path, gray_input, capsys, kind):
    reference = _reference(tmp_path, kind)
    out = tmp_path / "out.png"
    assert main(["colorize", str(gray_input), str(out), "--size", "64", "--reference", str(reference)]) == EXIT_USAGE
    assert capsys.readouterr().err == f"latent-studio: error: {MESSAGES[kind].format(path=reference)}\n"
    assert not out.exists() and list(tmp_path.glob("*.part")) == []


def test_adv_batch_bad_reference_stops_before_any_item(tmp_path, gray_input, capsys):
    out_dir = tmp_path / "out"
    reference = _reference(tmp_path, "tiny")
    code = main(
        ["batch", "colorize", str(gray_input.parent), str(out_dir), "--reference", str(reference), "--no-progress"]
    )
    assert code == EXIT_USAGE
    assert capsys.readouterr().err == f"latent-studio: error: {MESSAGES['tiny']}\n"
    assert not out_dir.exists() or not any(out_dir.rglob("*.png"))


def test_adv_reference_with_another_batch_tool_is_refused(tmp_path, gray_input, capsys):
    reference = _reference(tmp_path, "tiny")
    code = main(["batch", "sketch", str(gray_input.parent), str(tmp_path / "out"), "--reference", str(reference)])
    assert code == EXIT_USAGE
    assert (
        capsys.readouterr().err
        == "latent-studio: error: --reference is an option of batch colorize, not of batch sketch.\n"
    )
