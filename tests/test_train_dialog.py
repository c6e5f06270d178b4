"""Tools ▸ Train on My Photos… (issue #16, the window's half): the dialog trains a tiny budget on the CPU in the
real window, pauses, resumes (also from a fresh dialog, as after a restart), finishes with its chart; the user
model then is in the Colorize panel's and the Batch dialog's model choice, colorizes differently from the
shipped model, and is renamed and deleted from the window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QInputDialog, QMessageBox

from latent_studio.app.core import user_models
from latent_studio.app.core.imageio import Picture, save_image
from latent_studio.app.gui.main_window import MainWindow
from latent_studio.app.gui.panels.colorize.panel import PREVIEW_KIND, ColorizePanel
from latent_studio.app.gui.train_dialog import TrainDialog
from tests.conftest import colour_folder, running_window

TIMEOUT = 60_000
TINY = {"crop": 32, "batch_size": 2, "update_seconds": 0.0}


def colorize_panel(window: MainWindow) -> ColorizePanel:
    return next(panel for panel in window.panels if isinstance(panel, ColorizePanel))


def combo_names(choice) -> list[str]:
    return [choice.combo.itemData(i) for i in range(choice.combo.count())]


def finish(qtbot, dialog: TrainDialog, click) -> list:
    with qtbot.waitSignal(dialog.training_finished, timeout=TIMEOUT) as blocker:
        click()
    return blocker.args


def test_train_pause_resume_finish_and_the_model_choice(qtbot, monkeypatch, tmp_path: Path) -> None:
    data = colour_folder(tmp_path / "photos")
    with running_window(qtbot, monkeypatch) as window:
        window.preferences.working_size = 256
        dialog = window.open_train_dialog()
        assert window.editor_actions.train in window.tools_menu.actions()
        dialog.folder.setText(str(data))
        dialog.name.setText("family")
        dialog.extra = {**TINY, "steps": 100_000}  # runs until paused
        ticks: list[int] = []
        timer = QTimer(dialog)
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(10)
        # 1. start: progress text, the loss curve grows while the event loop keeps running
        dialog.start_button.click()
        assert dialog.state == "running" and not dialog.start_button.isEnabled()
        qtbot.waitUntil(lambda: len(dialog.loss_chart.points) >= 2, timeout=TIMEOUT)
        assert "Step" in dialog.eta.text() and "crops/s" in dialog.eta.text() and "ETA" in dialog.eta.text()
        assert len(ticks) > 5  # the GUI thread ran its timer during the start-up read and the training steps
        # 2. pause: stops at a checkpoint, the button becomes Resume, the run is listed as unfinished
        outcome, _ = finish(qtbot, dialog, dialog.pause_button.click)
        assert outcome == "paused" and dialog.state == "paused" and dialog.pause_button.text() == "Resume"
        paused_at = int(user_models.checkpoint_facts("family")["step"])
        assert paused_at >= 2 and [name for name, _ in user_models.unfinished()] == ["family"]
        # 3. a fresh dialog (as after restarting the app) offers it under Unfinished and resumes it
        fresh = TrainDialog(window.preferences, "cpu", window)
        assert fresh.unfinished.count() == 1 and "family" in fresh.unfinished.itemText(0)
        fresh.extra = {**TINY, "steps": 2}
        outcome, message = finish(qtbot, fresh, fresh.resume_unfinished_button.click)
        assert outcome == "done", message
        assert user_models.entry("family")["steps"] == paused_at + 2 and user_models.unfinished() == []
        # 4. the first dialog's Resume continues the same name again, then shows the chart and the strip
        dialog.extra = {**TINY, "steps": 2}
        outcome, message = finish(qtbot, dialog, dialog.pause_button.click)
        assert outcome == "done" and "held out, before -> after: PSNR" in message
        assert user_models.entry("family")["steps"] == paused_at + 4
        assert dialog.chart.isVisible() and [title for title, _, _ in dialog.chart.groups()] == [
            "Held-out PSNR (dB)",
            "Colourfulness",
        ]
        assert dialog.progress.value() == 1000 and dialog.strip_labels
        assert not dialog.strip_labels[0][2].pixmap().isNull()
        # 5. every model choice lists it now (refreshed when training finished)
        assert combo_names(colorize_panel(window).ui.model_choice) == ["colorizer", "family"]
        assert combo_names(window.open_batch_dialog().model_choice) == ["colorizer", "family"]
        timer.stop()


def gray_picture(tmp_path: Path) -> Path:
    y, x = np.mgrid[0:48, 0:64]
    level = (60 + 120 * y / 48 + 20 * np.sin(x / 4)).clip(0, 255).astype(np.uint8)
    path = tmp_path / "gray.png"
    save_image(Picture(np.repeat(level[..., None], 3, axis=2), is_gray=True), path)
    return path


def test_colorize_with_the_user_model_rename_and_delete(qtbot, monkeypatch, tmp_path: Path) -> None:
    from latent_studio.app.cli import main

    data = colour_folder(tmp_path / "photos")
    assert (
        main(
            [
                "train",
                "colorizer",
                "--data",
                str(data),
                "--name",
                "family",
                "--steps",
                "3",
                "--crop",
                "32",
                "--batch-size",
                "2",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    with running_window(qtbot, monkeypatch) as window:
        window.preferences.working_size = 256
        with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda k, _: k == "open"):
            window.open_path(str(gray_picture(tmp_path)))
        panel = colorize_panel(window)
        choice = panel.ui.model_choice
        assert combo_names(choice) == ["colorizer", "family"] and choice.name == "colorizer"

        def colorized() -> np.ndarray:
            with qtbot.waitSignal(
                window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, _: kind == PREVIEW_KIND
            ):
                panel.run_preview()
            return panel.result.picture.pixels

        # 1. the user's model gives other colours than the shipped one, through the panel's own job
        shipped = colorized()
        choice.set_name("family")
        assert panel.model_name == "family"
        mine = colorized()
        assert shipped.shape == mine.shape and np.abs(shipped.astype(int) - mine.astype(int)).max() > 0
        # 2. rename from the window: every choice follows, the panel keeps the renamed model
        batch = window.open_batch_dialog()
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("holidays", True))
        choice.ask_rename("family")
        assert user_models.list_models() == ["holidays"] and panel.model_name == "holidays"
        assert combo_names(batch.model_choice) == ["colorizer", "holidays"]
        # 3. delete from the window (confirmed): the selected model falls back to the shipped one
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        with qtbot.waitSignal(
            window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, _: kind == PREVIEW_KIND
        ):
            choice.ask_delete("holidays")  # the shown preview re-runs with the shipped model
        assert user_models.list_models() == [] and not user_models.model_dir("holidays").exists()
        assert panel.model_name == "colorizer" and combo_names(batch.model_choice) == ["colorizer"]
        assert np.array_equal(panel.result.picture.pixels, shipped)
        assert batch.request().model == "colorizer"


# --- sketch subjects: the Tool choice ---------------------------------------------------------------------


def choose_tool(dialog: TrainDialog, key: str) -> None:
    dialog.tool.setCurrentIndex(dialog.tool.findData(key))


def test_train_a_sketch_face_model_from_the_dialog(qtbot, tmp_path: Path) -> None:
    from latent_studio.app.gui.model_choice import ModelChoice
    from latent_studio.app.gui.preferences import Preferences

    data = colour_folder(tmp_path / "photos", count=6)
    dialog = TrainDialog(Preferences(), "cpu")
    qtbot.addWidget(dialog)
    faces, colorizers = ModelChoice(base="sketch-face", shipped_label="Shipped face model"), ModelChoice()
    labels = [dialog.tool.itemText(i) for i in range(dialog.tool.count())]
    assert labels == ["Colorizer", "Sketch: Scene", "Sketch: Face", "Sketch: Clothing"]
    choose_tool(dialog, "sketch:face")
    dialog.folder.setText(str(data))
    dialog.name.setText("faces")
    dialog.extra = {**TINY, "steps": 2}
    request = dialog.request()
    assert (request.tool, request.subject) == ("sketch", "face")
    outcome, message = finish(qtbot, dialog, dialog.start_button.click)
    # the user model is a sketch model of subject face, shown with its strip of lines | before | after | photo
    assert outcome == "done", message
    entry = user_models.entry("faces")
    assert (entry["tool"], entry["subject"], entry["base"], entry["steps"]) == ("sketch", "face", "sketch-face", 2)
    assert user_models.describe_tool(entry) == "sketch:face"
    assert "held out, before -> after: PSNR" in message and "Sketch panel's Model choice (subject Face)" in message
    assert dialog.strip_titles[0].text() == "Lines" and not dialog.strip_labels[0][2].pixmap().isNull()
    assert not dialog.chart.isHidden() and dialog.chart.groups()[0][0] == "Held-out PSNR (dB)"
    # the face sketch choices list it now (refreshed when training finished); the colorizer's do not
    assert combo_names(faces) == ["sketch-face", "faces"] and combo_names(colorizers) == ["colorizer"]


def test_a_sketch_checkpoint_resumes_as_sketch_whatever_the_tool_shows(qtbot, tmp_path: Path, monkeypatch) -> None:
    from latent_studio.app.gui.preferences import Preferences

    data = colour_folder(tmp_path / "photos", count=6)
    dialog = TrainDialog(Preferences(), "cpu")
    qtbot.addWidget(dialog)
    choose_tool(dialog, "sketch:face")
    dialog.folder.setText(str(data))
    dialog.name.setText("faces")
    dialog.extra = {**TINY, "steps": 100_000}  # runs until paused
    dialog.start_button.click()
    assert dialog.eta.text().startswith("Reading the photos and measuring the shipped face sketch model")
    qtbot.waitUntil(lambda: len(dialog.loss_chart.points) >= 1, timeout=TIMEOUT)
    outcome, _ = finish(qtbot, dialog, dialog.pause_button.click)
    assert outcome == "paused" and user_models.checkpoint_facts("faces")["base"] == "sketch-face"
    paused_at = int(user_models.checkpoint_facts("faces")["step"])
    # 1. a fresh dialog (as after a restart; its Tool shows Colorizer) lists it as a face sketch model and resumes
    #    it as one (it failed: "The model 'faces' is a fine-tune of sketch-face, not of colorizer; ...")
    fresh = TrainDialog(Preferences(), "cpu")
    qtbot.addWidget(fresh)
    assert fresh.chosen_tool == ("colorizer", None)
    assert fresh.unfinished.itemText(0).startswith(f"faces (Sketch: Face): step {paused_at}, ")
    fresh.extra = {**TINY, "steps": 2}
    outcome, message = finish(qtbot, fresh, fresh.resume_unfinished_button.click)
    assert outcome == "done", message
    assert fresh.chosen_tool == ("sketch", "face") and user_models.entry("faces")["steps"] == paused_at + 2
    assert user_models.describe_tool(user_models.entry("faces")) == "sketch:face" and user_models.unfinished() == []
    # 2. a name in use, resumed from Start while the Tool shows Colorizer: it continues as what it is
    choose_tool(fresh, "colorizer")
    monkeypatch.setattr(fresh, "ask_existing", lambda name: True)
    outcome, message = finish(qtbot, fresh, fresh.start_button.click)
    assert outcome == "done", message
    assert fresh.chosen_tool == ("sketch", "face") and user_models.entry("faces")["steps"] == paused_at + 4
