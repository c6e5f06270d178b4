"""Bad scribble hints on the command line and in the core: one clear line (exit 2), no output written."""

from __future__ import annotations

import numpy as np
import pytest

from latent_studio.app.cli import main
from latent_studio.app.commands.exit_codes import EXIT_USAGE
from latent_studio.app.core.imageio import Picture, save_image


@pytest.fixture
def gray(tmp_path):
    path = tmp_path / "gray.png"
    save_image(Picture(np.full((24, 32, 3), 120, np.uint8), is_gray=True), path)
    return path


@pytest.mark.parametrize(
    "text",
    ["10,5,#00ff00", "10,5;20,#00ff00", "a,b;20,5,#00ff00", "10,5;20,5;#00ff00", ";".join(["1,1"] * 300) + ",#00ff00"],
)
def test_a_malformed_scribble_is_one_line_and_writes_nothing(capsys, gray, tmp_path, text):
    out = tmp_path / "out.png"
    assert main(["colorize", str(gray), str(out), "--scribble", text]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == (
        f"latent-studio: error: The scribble '{text}' is not of the form X1,Y1;X2,Y2;...,#RRGGBB "
        "(2 to 256 points, for example 10,20;60,25,#3a7bd5).\n"
    )
    assert not out.exists()


def test_a_scribble_leaving_the_picture_is_one_line_and_writes_nothing(capsys, gray, tmp_path):
    out = tmp_path / "out.png"
    assert main(["colorize", str(gray), str(out), "--scribble", "5,5;40,10,#00ff00"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == "latent-studio: error: A colour hint at (40, 10) lies outside the 32 x 24 picture.\n"
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_a_good_scribble_colours_its_line(gray, tmp_path):
    out = tmp_path / "out.png"
    assert main(["colorize", str(gray), str(out), "--scribble", "2,12;30,12,#00c000", "--device", "cpu"]) == 0
    from latent_studio.app.core.imageio import load_image

    pixels = load_image(out).pixels.astype(int)
    assert (pixels[12, 2:30, 1] - pixels[12, 2:30, 0]).mean() > 20  # green along the line
