"""Bad input to `latent-studio train colorizer` (issue #16): one clear line, exit 2, nothing half-written."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
from PIL import Image

from latent_studio.app.cli import main

TINY = ["--steps", "1", "--crop", "32", "--batch-size", "2", "--device", "cpu"]


def photos(folder: Path, count: int, gray: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for i in range(count):
        pixels = rng.integers(0, 255, (40, 48, 3)).astype(np.uint8)
        if gray:
            pixels[:] = pixels[..., :1]
        Image.fromarray(pixels).save(folder / f"p{i}.png")
    return folder


def error_of(capsys, args: list[str]) -> str:
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_folder_without_pictures(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    line = error_of(capsys, ["train", "colorizer", "--data", str(tmp_path / "empty"), "--name", "x", *TINY])
    assert line == (
        f"latent-studio: error: The folder {tmp_path / 'empty'} holds no pictures (PNG, JPEG, WebP, TIFF, BMP)."
    )
    assert not (tmp_path / "user-data" / "models").exists()


def test_grayscale_only_folder(tmp_path: Path, capsys) -> None:
    folder = photos(tmp_path / "gray", 5, gray=True)
    line = error_of(capsys, ["train", "colorizer", "--data", str(folder), "--name", "x", *TINY])
    assert line == (
        f"latent-studio: error: The folder {folder} holds no colour photos to learn colours from "
        "(all 5 readable ones are grayscale; 0 unreadable)."
    )


def test_unreadable_files_are_skipped_and_listed(tmp_path: Path, capsys) -> None:
    folder = photos(tmp_path / "mixed", 6)
    (folder / "broken.jpg").write_bytes(b"not a jpeg at all")
    photos(folder / "sub", 1, gray=True)
    assert main(["train", "colorizer", "--data", str(folder), "--name", "mixed", *TINY]) == 0
    out = capsys.readouterr().out
    assert "skipped broken.jpg: " in out and "skipped 1 grayscale photo(s)" in out


def test_shipped_and_bad_names_are_refused(tmp_path: Path, capsys) -> None:
    folder = photos(tmp_path / "ok", 5)
    line = error_of(capsys, ["train", "colorizer", "--data", str(folder), "--name", "colorizer", *TINY])
    assert line == "latent-studio: error: The name 'colorizer' belongs to a shipped model; choose another name."
    line = error_of(capsys, ["train", "colorizer", "--data", str(folder), "--name", "../evil", *TINY])
    assert line == (
        "latent-studio: error: The model name '../evil' is not allowed: use 1-40 letters, digits, '-' or '_'."
    )


def test_resume_on_another_folder_is_refused(tmp_path: Path, capsys) -> None:
    first, second = photos(tmp_path / "a", 5), photos(tmp_path / "b", 5)
    assert main(["train", "colorizer", "--data", str(first), "--name", "fam", *TINY]) == 0
    capsys.readouterr()
    line = error_of(capsys, ["train", "colorizer", "--data", str(second), "--name", "fam", *TINY])
    assert line == (
        f"latent-studio: error: The model 'fam' was trained on {first}; train on that folder to "
        "continue it, or choose another name."
    )


def test_full_disk_leaves_no_half_written_checkpoint(tmp_path: Path, capsys, monkeypatch) -> None:
    from latent_studio.app.core import user_models

    folder = photos(tmp_path / "ok", 5)
    assert main(["train", "colorizer", "--data", str(folder), "--name", "fam", *TINY]) == 0
    checkpoint = user_models.model_dir("fam") / "checkpoint.safetensors"
    before = checkpoint.read_bytes()
    real_fsync = user_models.os.fsync

    def full_disk(fd: int) -> None:  # the data is "written"; the disk refuses it when it is flushed
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(user_models.os, "fsync", full_disk)
    capsys.readouterr()
    line = error_of(capsys, ["-q", "train", "colorizer", "--data", str(folder), "--name", "fam", *TINY])
    assert line == (
        f"latent-studio: error: Could not write {checkpoint} (No space left on device); the previous file is kept."
    )
    monkeypatch.setattr(user_models.os, "fsync", real_fsync)
    assert checkpoint.read_bytes() == before
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == ["checkpoint.safetensors", "model.safetensors"]


def test_unknown_model_for_colorize(tmp_path: Path, capsys) -> None:
    picture = photos(tmp_path / "in", 1) / "p0.png"
    line = error_of(capsys, ["colorize", str(picture), str(tmp_path / "o.png"), "--model", "nobody"])
    assert line == "latent-studio: error: There is no user model called 'nobody' (yours: none yet)."
