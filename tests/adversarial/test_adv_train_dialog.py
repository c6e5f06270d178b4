"""Bad input to Tools ▸ Train on My Photos…: the dialog shows the core's one line, starts nothing it should not,
and leaves no model folder behind; an existing name asks first and "choose another name" trains nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.core import user_models
from latent_studio.app.gui.preferences import Preferences
from latent_studio.app.gui.train_dialog import TrainDialog

TIMEOUT = 30_000


@pytest.fixture
def dialog(qtbot) -> TrainDialog:
    dialog = TrainDialog(Preferences(), "cpu")
    qtbot.addWidget(dialog)
    dialog.extra = {"steps": 2, "crop": 32, "batch_size": 2}
    return dialog


def run_to_end(qtbot, dialog: TrainDialog, folder: Path, name: str) -> tuple[str, str]:
    dialog.folder.setText(str(folder))
    dialog.name.setText(name)
    with qtbot.waitSignal(dialog.training_finished, timeout=TIMEOUT) as blocker:
        dialog.start_button.click()
    return tuple(blocker.args)


def test_gray_only_and_empty_folders_are_one_line(qtbot, dialog: TrainDialog, tmp_path: Path) -> None:
    gray = tmp_path / "gray"
    gray.mkdir()
    for i in range(5):
        Image.fromarray(np.full((40, 50, 3), 30 * i, np.uint8)).save(gray / f"g{i}.png")
    outcome, message = run_to_end(qtbot, dialog, gray, "grays")
    assert outcome == "failed" and message == (
        f"The folder {gray.resolve()} holds no colour photos to learn colours from (all 5 readable ones are "
        "grayscale; 0 unreadable)."
    )
    assert dialog.summary.text() == message and dialog.state == "idle" and dialog.start_button.isEnabled()
    empty = tmp_path / "empty"
    empty.mkdir()
    outcome, message = run_to_end(qtbot, dialog, empty, "grays")
    assert message == f"The folder {empty.resolve()} holds no pictures (PNG, JPEG, WebP, TIFF, BMP)."
    assert not user_models.model_dir("grays").exists() and user_models.unfinished() == []


def test_bad_names_and_an_existing_name(qtbot, dialog: TrainDialog, tmp_path: Path, monkeypatch) -> None:
    dialog.folder.setText(str(tmp_path))
    for name, expected in [
        ("my model", "The model name 'my model' is not allowed: use 1-40 letters, digits, '-' or '_'."),
        ("colorizer", "The name 'colorizer' belongs to a shipped model; choose another name."),
        ("", "The model name '' is not allowed: use 1-40 letters, digits, '-' or '_'."),
    ]:
        dialog.name.setText(name)
        dialog.start_button.click()
        assert dialog.summary.text() == expected and dialog.state == "idle" and not dialog.runner.is_busy()
    dialog.folder.setText("")
    dialog.start_button.click()
    assert dialog.summary.text() == "Choose a folder of your photos first."
    # an existing model: the question comes first; "choose another name" starts nothing and touches nothing
    user_models.model_dir("family").mkdir(parents=True)
    (user_models.model_dir("family") / "model.safetensors").write_bytes(b"mine")
    asked: list[str] = []
    monkeypatch.setattr(dialog, "ask_existing", lambda name: asked.append(name) or False)
    dialog.folder.setText(str(tmp_path))
    dialog.name.setText("family")
    dialog.start_button.click()
    assert asked == ["family"] and dialog.state == "idle" and not dialog.runner.is_busy()
    assert dialog.summary.text() == "Choose another name (or resume that model)."
    assert (user_models.model_dir("family") / "model.safetensors").read_bytes() == b"mine"
