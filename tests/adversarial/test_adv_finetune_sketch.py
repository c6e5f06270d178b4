"""Bad input to `latent-studio train sketch` (issue #16): the same one-line messages as `train colorizer`, exit 2,
nothing half-written; a name, subject or tool that does not fit is one line too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from latent_studio.app.cli import main

TINY = ["--steps", "1", "--crop", "32", "--batch-size", "2", "--device", "cpu"]


def photos(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3)).astype(np.uint8)).save(folder / f"p{i}.png")
    return folder


def error_of(capsys, args: list[str]) -> str:
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_empty_folder_is_the_colorizers_message(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    args = ["train", "sketch", "--subject", "face", "--data", str(tmp_path / "empty"), "--name", "x", *TINY]
    assert error_of(capsys, args) == (
        f"latent-studio: error: The folder {tmp_path / 'empty'} holds no pictures (PNG, JPEG, WebP, TIFF, BMP)."
    )
    assert not (tmp_path / "user-data" / "models").exists()


def test_unreadable_files_are_listed(tmp_path: Path, capsys) -> None:
    folder = photos(tmp_path / "mixed", 5)
    (folder / "broken.png").write_bytes(b"not a png")
    assert main(["train", "sketch", "--data", str(folder), "--name", "mixed", *TINY]) == 0
    assert "skipped broken.png: " in capsys.readouterr().out


def test_names_subjects_and_tools_that_do_not_fit(tmp_path: Path, capsys) -> None:
    folder = photos(tmp_path / "ok", 5)
    base = ["train", "sketch", "--data", str(folder), *TINY]
    assert error_of(capsys, [*base, "--name", "sketch-face"]) == (
        "latent-studio: error: The name 'sketch-face' belongs to a shipped model; choose another name."
    )
    assert error_of(capsys, [*base, "--subject", "cars", "--name", "c"]) == (
        "latent-studio: error: There is no sketch subject called 'cars'; choose one of: scene, face, clothing."
    )
    colorizer = ["train", "colorizer", "--data", str(folder), "--name", "fam", *TINY]
    assert error_of(capsys, [*colorizer[:2], "--subject", "face", *colorizer[2:]]) == (
        "latent-studio: error: --subject only applies to train sketch (the colorizer has no subjects)."
    )
    # an existing name of another kind is refused, not resumed with weights that do not fit
    assert main(colorizer) == 0
    capsys.readouterr()
    assert error_of(capsys, [*base, "--subject", "face", "--name", "fam"]) == (
        "latent-studio: error: The model 'fam' is a fine-tune of colorizer, not of sketch-face; train it as that "
        "to continue it, or choose another name."
    )
    assert main([*base, "--subject", "face", "--name", "faces"]) == 0
    capsys.readouterr()
    assert error_of(capsys, [*base, "--subject", "clothing", "--name", "faces"]) == (
        "latent-studio: error: The model 'faces' is a fine-tune of sketch-face, not of sketch-clothing; train it as "
        "that to continue it, or choose another name."
    )
    assert error_of(capsys, [*base, "--crop", "48", "--name", "c"]) == (
        "latent-studio: error: Training needs --minutes in (0, 1440], --steps >= 0 and a --crop of 32-512 in "
        "steps of 32."
    )


def test_sketch_model_that_does_not_fit(tmp_path: Path, capsys) -> None:
    folder = photos(tmp_path / "ok", 5)
    drawing = folder / "p0.png"
    out = tmp_path / "out.png"
    assert main(["train", "sketch", "--subject", "face", "--data", str(folder), "--name", "faces", *TINY]) == 0
    assert main(["train", "colorizer", "--data", str(folder), "--name", "fam", *TINY]) == 0
    capsys.readouterr()
    assert error_of(capsys, ["sketch", str(drawing), str(out), "--model", "faces", "--subject", "scene"]) == (
        "latent-studio: error: The model 'faces' was fine-tuned for the subject 'face', not 'scene'; leave --subject "
        "out or choose another model."
    )
    assert error_of(capsys, ["sketch", str(drawing), str(out), "--model", "fam"]) == (
        "latent-studio: error: The user model 'fam' is a colorizer model, not a sketch model; use it with "
        "`latent-studio colorize`."
    )
    assert error_of(capsys, ["sketch", str(drawing), str(out), "--model", "nobody"]) == (
        "latent-studio: error: There is no user model called 'nobody' (yours: faces, fam)."
    )
    assert not out.exists()
