"""The single-picture commands (colorize, sketch, edit, interpolate) never destroy a file and refuse bad numbers.

Each case runs the real CLI entry in-process and expects exit code 2, the exact one-line message on stderr,
and the folder byte-identical afterwards (the original untouched, nothing half-written). Refusals of the
output and of the numbers come before any model is loaded: the registry is replaced by one that fails the
test if it is touched.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import latent_studio.models.registry
from latent_studio.app.cli import main


class _NoModels:
    """A registry that fails the test if the command reaches for a model."""

    def __getattr__(self, name):
        raise AssertionError(f"a model was loaded (registry.{name}) before the bad input was refused")


@pytest.fixture
def no_models(monkeypatch):
    monkeypatch.setattr(latent_studio.models.registry, "_DEFAULT", _NoModels())


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A working folder with in.png (8 x 6) and b.png, as the current directory; user directions kept apart."""
    work = tmp_path / "work"
    work.mkdir()
    rng = np.random.default_rng(0)
    for name in ("in.png", "b.png"):
        Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).save(work / name)
    monkeypatch.chdir(work)
    monkeypatch.setenv("LATENT_STUDIO_DIRECTIONS", str(tmp_path / "directions"))
    return work


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else b"<link or dir>")
        for p in sorted(root.rglob("*"))
    }


def cli(argv: list[str], capsys) -> tuple[int, str]:
    """Exit code and stderr of `latent-studio ARGV` (argparse's own refusals exit through SystemExit)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


def refused(argv: list[str], message: str, root: Path, capsys) -> None:
    before = snapshot(root)
    code, err = cli(argv, capsys)
    assert (code, err) == (2, f"latent-studio: error: {message}\n")
    assert snapshot(root) == before


# --- the output must not be the input, by path or by identity ------------------------------------------


def _same(name):
    return f"Cannot write {name}: it is the input in.png; add --in-place to replace the original."


@pytest.mark.parametrize("command", [["colorize"], ["sketch"], ["sketch", "--extract"], ["edit", "--attr", "young=1"]])
@pytest.mark.parametrize("output", ["in.png", "./in.png", "../work/in.png"])
def test_writing_over_the_input_is_refused(folder, no_models, capsys, command, output):
    refused([*command[:1], "in.png", output, *command[1:]], _same(Path(output)), folder, capsys)


@pytest.mark.parametrize("link", [os.symlink, os.link])
def test_a_link_to_the_input_is_the_input(folder, no_models, capsys, link):
    link("in.png", "alias.png")
    refused(["colorize", "in.png", "alias.png"], _same("alias.png"), folder, capsys)
    refused(["edit", "in.png", "alias.png", "--attr", "young=1"], _same("alias.png"), folder, capsys)


def test_sketch_output_over_its_colour_strokes_is_refused(folder, no_models, capsys):
    refused(
        ["sketch", "in.png", "b.png", "--colors", "b.png"],
        "Cannot write b.png: it is the input b.png; add --in-place to replace the original.",
        folder,
        capsys,
    )


@pytest.mark.parametrize("output", ["in.png", "b.png"])
def test_interpolate_over_either_input_is_refused(folder, no_models, capsys, output):
    refused(
        ["interpolate", "in.png", "b.png", output],
        f"Cannot write {output}: it is the input {output}; add --in-place to replace the original.",
        folder,
        capsys,
    )


def test_in_place_replaces_the_original_when_asked(folder, capsys):
    before = (folder / "in.png").read_bytes()
    code, _ = cli(
        ["edit", "in.png", "in.png", "--attr", "young=1", "--box", "0,0,6,6", "--in-place", "--device", "cpu"], capsys
    )
    assert code == 0 and (folder / "in.png").read_bytes() != before
    assert sorted(p.name for p in folder.iterdir()) == ["b.png", "in.png"]  # nothing left beside it
    assert Image.open(folder / "in.png").size == (8, 6)


# --- the output path is checked before any work -----------------------------------------------------------


@pytest.mark.parametrize("command", [["colorize"], ["sketch"], ["edit", "--attr", "young=1"]])
def test_bad_output_paths_are_refused_first(folder, no_models, capsys, command):
    (folder / "sub").mkdir()
    cases = {
        "sub": "Cannot write sub: it is a folder, not a file name (give e.g. sub/out.png).",
        "missing/out.png": "Cannot write missing/out.png: the folder missing does not exist.",
        "out.gif": "Cannot write out.gif: unknown extension '.gif' (use one of .png, .jpg, .jpeg, .webp, .tif, .tiff).",
        "out": "Cannot write out: unknown extension '' (use one of .png, .jpg, .jpeg, .webp, .tif, .tiff).",
    }
    for output, message in cases.items():
        refused([command[0], "in.png", output, *command[1:]], message, folder, capsys)


def test_a_folder_that_takes_no_files_is_refused(folder, no_models, capsys):
    if not _creating_fails("/sys"):
        pytest.skip("/sys takes new files here")
    refused(
        ["colorize", "in.png", "/sys/out.png"],
        "Cannot write /sys/out.png: the folder /sys is not writable (Permission denied).",
        folder,
        capsys,
    )


def _creating_fails(folder: str) -> bool:
    try:
        Path(folder, ".latent-studio-test").touch()
    except OSError:
        return True
    Path(folder, ".latent-studio-test").unlink()
    return False


def test_interpolate_frames_into_a_file_is_refused(folder, no_models, capsys):
    (folder / "frames").write_bytes(b"not a folder")
    refused(
        ["interpolate", "in.png", "b.png", "frames"],
        "Cannot write frames into frames: it is a file, not a folder.",
        folder,
        capsys,
    )


# --- numbers: non-finite and out of range -----------------------------------------------------------------

BAD_NUMBERS = [
    (["colorize", "in.png", "o.png", "--vividness", "nan"], "The vividness must be between 0 and 1, not nan."),
    (["colorize", "in.png", "o.png", "--vividness", "inf"], "The vividness must be between 0 and 1, not inf."),
    (["colorize", "in.png", "o.png", "--vividness", "1.5"], "The vividness must be between 0 and 1, not 1.5."),
    (
        ["colorize", "in.png", "o.png", "--size", "100000"],
        "The working size must be between 64 and 1024 pixels, not 100000.",
    ),
    (["colorize", "in.png", "o.png", "--size", "0"], "The working size must be between 64 and 1024 pixels, not 0."),
    (
        ["colorize", "in.png", "o.png", "--hint", "500,3,#ff0000"],
        "A colour hint at (500, 3) lies outside the 8 x 6 picture.",
    ),
    (
        ["colorize", "in.png", "o.png", "--hint", "nan,3,#ff0000"],
        "The hint 'nan,3,#ff0000' is not of the form X,Y,#RRGGBB (for example 120,80,#3a7bd5).",
    ),
    (["sketch", "in.png", "o.png", "--resolution", "100000"], "--resolution must be at most 2048 pixels, not 100000."),
    (
        ["sketch", "in.png", "o.png", "--resolution", "-5"],
        "--resolution must be 0 (the sketch's own size) or a positive number of pixels.",
    ),
    (
        ["edit", "in.png", "o.png", "--attr", "young=nan"],
        "--attr 'young=nan': the amount must be a number from -10 to +10 (sigmas).",
    ),
    (
        ["edit", "in.png", "o.png", "--attr", "young=inf"],
        "--attr 'young=inf': the amount must be a number from -10 to +10 (sigmas).",
    ),
    (
        ["edit", "in.png", "o.png", "--attr", "young=-1e9"],
        "--attr 'young=-1e9': the amount must be a number from -10 to +10 (sigmas).",
    ),
    (
        ["edit", "in.png", "o.png", "--box", "nan,0,4,4"],
        "--box 'nan,0,4,4' must be four finite numbers X,Y,W,H in pixels.",
    ),
    (
        ["edit", "in.png", "o.png", "--box", "0,0,inf,4"],
        "--box '0,0,inf,4' must be four finite numbers X,Y,W,H in pixels.",
    ),
    (
        ["edit", "in.png", "o.png", "--box", "500,500,4,4"],
        "--box '500,500,4,4' must overlap the 8 x 6 picture and be at most 16 pixels wide and high.",
    ),
    (
        ["edit", "in.png", "o.png", "--box=-20,0,10,4"],
        "--box '-20,0,10,4' must overlap the 8 x 6 picture and be at most 16 pixels wide and high.",
    ),
    (
        ["edit", "in.png", "o.png", "--box", "0,0,1e9,1e9"],
        "--box '0,0,1e9,1e9' must overlap the 8 x 6 picture and be at most 16 pixels wide and high.",
    ),
    (
        ["interpolate", "in.png", "b.png", "s.png", "--steps", "100000"],
        "Interpolation takes 2 to 256 steps, not 100000.",
    ),
    (["interpolate", "in.png", "b.png", "s.png", "--steps", "1"], "Interpolation takes 2 to 256 steps, not 1."),
    (["edit", "in.png", "o.png", "--refine-steps", "501"], "--refine-steps must be from 0 to 500, not 501."),
    (
        ["interpolate", "in.png", "b.png", "s.png", "--refine-steps", "-1"],
        "--refine-steps must be from 0 to 500, not -1.",
    ),
    (["interpolate", "in.png", "b.png", "s.png", "--scale", "100000"], "--scale must be from 1 to 16, not 100000."),
    (["interpolate", "in.png", "b.png", "s.png", "--scale", "0"], "--scale must be from 1 to 16, not 0."),
]


@pytest.mark.parametrize(("argv", "message"), BAD_NUMBERS, ids=[" ".join(a[:1] + a[3:]) for a, _ in BAD_NUMBERS])
def test_bad_numbers_are_refused_before_any_model(folder, no_models, capsys, argv, message):
    refused(argv, message, folder, capsys)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["colorize", "in.png", "o.png", "--size", "nan"],
            "latent-studio colorize: error: argument --size: invalid int value: 'nan' "
            "(see latent-studio colorize --help).",
        ),
        (
            ["interpolate", "in.png", "b.png", "s.png", "--steps", "1e9"],
            "latent-studio interpolate: error: argument --steps: invalid int value: '1e9' "
            "(see latent-studio interpolate --help).",
        ),
    ],
)
def test_numbers_argparse_cannot_read_are_one_line_too(folder, no_models, capsys, argv, message):
    before = snapshot(folder)
    assert cli(argv, capsys) == (2, message + "\n")
    assert snapshot(folder) == before


def test_interpolate_checks_the_total_size_before_decoding(folder, capsys):
    refused(
        ["interpolate", "in.png", "b.png", "s.png", "--steps", "256", "--scale", "16", "--device", "cpu"],
        "256 faces of 2048 x 2048 pixels are 1074 megapixels; the limit is 50 "
        "(use fewer --steps or a smaller --scale).",
        folder,
        capsys,
    )


def test_a_bad_output_is_refused_before_torch_is_imported(folder):
    """The refusal costs the interpreter's start, not a torch import (15 s on a loaded 2-core machine)."""
    import subprocess
    import sys

    code = (
        "import sys; from latent_studio.app.cli import main; "
        "codes = [main(['colorize', 'in.png', 'out.gif']), main(['sketch', 'in.png', 'in.png']), "
        "main(['edit', 'in.png', './in.png', '--attr', 'young=1'])]; print(codes, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=120)
    assert result.stdout == "[2, 2, 2] False\n"
