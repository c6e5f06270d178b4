"""Batch set-up (app.core.batch_setup): a tool option out of range is the set-up's one line (exit 2) before any
model loads or picture is read, with the same check and words as the single-picture command."""

from __future__ import annotations

import pytest
from PIL import Image

from latent_studio.app.cli import main


@pytest.mark.parametrize(
    ("tool", "size", "message"),
    [
        ("colorize", "5000", "The working size must be between 64 and 1024 pixels, not 5000."),
        ("colorize", "0", "The working size must be between 64 and 1024 pixels, not 0."),
        ("sketch", "5000", "--size must be at most 2048 pixels, not 5000."),
        ("sketch", "-1", "--size must be 0 (the sketch's own size) or a positive number of pixels."),
    ],
)
def test_adv_batch_size_out_of_range_is_one_line_exit_2_nothing_written(tmp_path, capsys, tool, size, message):
    (tmp_path / "in").mkdir()
    Image.new("RGB", (8, 6), (10, 20, 30)).save(tmp_path / "in" / "a.png")
    code = main(
        ["batch", tool, str(tmp_path / "in"), str(tmp_path / "out"), "--size", size, "--device", "cpu", "--no-progress"]
    )
    assert (code, capsys.readouterr().err) == (2, f"latent-studio: error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_adv_the_dialogs_request_is_checked_like_the_cli(tmp_path):
    from latent_studio.app.core.batch_setup import BatchRequest, prepare_batch
    from latent_studio.models.errors import LatentStudioError

    (tmp_path / "in").mkdir()
    with pytest.raises(LatentStudioError) as raised:
        prepare_batch(
            BatchRequest("sketch", str(tmp_path / "in"), str(tmp_path / "out"), reference="x.png", device="cpu")
        )
    assert str(raised.value) == "--reference is an option of batch colorize, not of batch sketch."
    assert not (tmp_path / "out").exists()
