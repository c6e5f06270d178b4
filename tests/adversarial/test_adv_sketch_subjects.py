"""Bad sketch subjects: an unknown name, or --subject given to a batch tool that has none, is one line and exit 2
before any picture is read or written; the core refuses an unknown name with the same line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.core.sketch import photo_to_sketch
from latent_studio.app.core.sketch_flow import SketchOptions, check_options
from latent_studio.models.errors import LatentStudioError

UNKNOWN = "latent-studio: error: There is no sketch subject called 'dog'; choose one of: scene, face, clothing.\n"


def run(capsys, *argv: str) -> tuple[int, str]:
    from latent_studio.app.cli import main

    code = main([*argv, "--device", "cpu"])
    return code, capsys.readouterr().err


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "in").mkdir()
    Image.fromarray(np.full((32, 32), 255, np.uint8)).save(tmp_path / "in" / "one.png")
    return tmp_path


@pytest.mark.parametrize("extract", [False, True])
def test_sketch_unknown_subject_is_one_line_and_writes_nothing(folder, capsys, extract):
    out = folder / "out.png"
    argv = ["sketch", *(["--extract"] if extract else []), str(folder / "in" / "one.png"), str(out)]
    assert run(capsys, *argv, "--subject", "dog") == (2, UNKNOWN)
    assert not out.exists()


def test_batch_sketch_unknown_subject_is_one_line_before_any_picture(folder, capsys):
    argv = ["batch", "sketch", str(folder / "in"), str(folder / "out"), "--no-progress", "--subject", "dog"]
    assert run(capsys, *argv) == (2, UNKNOWN)
    assert not (folder / "out" / "one.png").exists()


def test_batch_subject_belongs_to_sketch_only(folder, capsys):
    argv = ["batch", "colorize", str(folder / "in"), str(folder / "out"), "--no-progress", "--subject", "face"]
    assert run(capsys, *argv) == (
        2,
        "latent-studio: error: --subject is an option of batch sketch, not of batch colorize.\n",
    )


def test_core_refuses_an_unknown_subject_with_the_same_line():
    message = "There is no sketch subject called 'Dog '; choose one of: scene, face, clothing."
    with pytest.raises(LatentStudioError) as raised:
        check_options(SketchOptions(subject="Dog "))
    assert str(raised.value) == message
    with pytest.raises(LatentStudioError) as raised:
        photo_to_sketch(np.zeros((8, 8, 3), np.uint8), subject="Dog ")
    assert str(raised.value) == message
