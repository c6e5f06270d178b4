"""Bad input to `models.evaluate sketch`: one clear line, exit 2, no report or grid written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_studio.models.datapack import encode, save_blobs
from latent_studio.models.evaluate import main


@pytest.fixture
def val_pack(tmp_path: Path) -> Path:
    photos = [np.full((32, 32, 3), 100 + 40 * i, np.uint8) for i in range(2)]
    blobs = [encode(Image.fromarray(p), "PNG") for p in photos]
    return save_blobs(tmp_path / "held_out.npz", ["a.png", "b.png"], blobs)


def _fails(argv: list[str], tmp_path: Path, capsys) -> str:
    out, grid = tmp_path / "report.json", tmp_path / "grid.png"
    assert main(["sketch", *argv, "--out", str(out), "--grid", str(grid)]) == 2
    assert not out.exists() and not grid.exists()
    printed = capsys.readouterr()
    assert printed.out.count("\n") == 1 and not printed.err
    return printed.out


def test_unknown_subject_is_one_line(val_pack, tmp_path, capsys):
    message = _fails(["--subject", "dog", "--data", str(val_pack)], tmp_path, capsys)
    assert message == "error: There is no sketch subject called 'dog'; choose one of: scene, face, clothing.\n"


def test_unknown_subject_in_the_montage_is_one_line(val_pack, tmp_path, capsys):
    out = tmp_path / "montage.png"
    assert main(["sketch", "--subjects-montage", str(out), "--montage-data", f"cats={val_pack}"]) == 2
    assert capsys.readouterr().out == (
        "error: There is no sketch subject called 'cats'; choose one of: scene, face, clothing.\n"
    )
    assert not out.exists()


def test_subject_without_training_photos_is_one_line(val_pack, tmp_path, capsys):
    message = _fails(["--subject", "face", "--data", str(val_pack)], tmp_path, capsys)
    assert message == (
        "error: No training photos for the mean-image baseline: pass --train-data (the subject's training pack).\n"
    )


def test_missing_training_pack_is_one_line(val_pack, tmp_path, capsys):
    missing = tmp_path / "nowhere_train.npz"
    argv = ["--subject", "clothing", "--data", str(val_pack), "--train-data", str(missing)]
    assert _fails(argv, tmp_path, capsys) == f"error: The data source {missing} does not exist.\n"


def test_weights_that_are_not_a_generator_are_one_line(val_pack, tmp_path, capsys):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file at all")
    argv = ["--subject", "face", "--data", str(val_pack), "--train-data", str(val_pack), "--weights", str(junk)]
    message = _fails(argv, tmp_path, capsys)
    assert message.startswith(f"error: Weights file {junk} is not a sketch-face generator (")
    assert message.endswith(").\n")


def test_baseline_weights_with_the_scene_protocol_is_one_line(val_pack, tmp_path, capsys):
    argv = ["--data", str(val_pack), "--baseline-weights", str(tmp_path / "old.safetensors")]
    assert _fails(argv, tmp_path, capsys) == "error: --baseline-weights is for the face and clothing subjects.\n"
