"""The Batch Process dialog: runs the real colorizer over a tiny folder off the GUI thread, lists bad files
with their reasons, pauses and cancels; plus the rate/ETA logic and the File menu entry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from latent_studio.app.gui.batch_dialog import BatchDialog, parse_attrs
from latent_studio.app.gui.batch_runner import RateMeter, format_eta
from latent_studio.app.gui.preferences import Preferences

TIMEOUT_MS = 60_000


def make_folder(root: Path, count: int = 3) -> Path:
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(root / f"photo{i}.png")
    (root / "notes.png").write_text("a text file with an image's name")
    return root


def make_dialog(qtbot, src: Path, out: Path) -> BatchDialog:
    dialog = BatchDialog(Preferences(), device="cpu")
    qtbot.addWidget(dialog)
    dialog.in_dir.setText(str(src))
    dialog.out_dir.setText(str(out))
    dialog.working_size.setValue(64)
    return dialog


def test_dialog_runs_a_batch_and_lists_the_bad_file_with_its_reason(qtbot, tmp_path):
    src, out = make_folder(tmp_path / "in"), tmp_path / "out"
    dialog = make_dialog(qtbot, src, out)
    dialog.show()

    with qtbot.waitSignal(dialog.batch_finished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()

    outcome, summary = blocker.args
    assert outcome == "done"
    assert summary.startswith("3 done, 0 skipped, 1 failed")
    assert dialog.failures.rowCount() == 1
    assert dialog.failures.item(0, 0).text() == "notes.png"
    assert "is not an image" in dialog.failures.item(0, 1).text()
    assert all((out / f"photo{i}.png").exists() for i in range(3))
    assert dialog.progress.value() == dialog.progress.maximum() == 4
    assert "finished" in dialog.rate.text()
    assert dialog.start_button.isEnabled() and not dialog.pause_button.isEnabled()


def test_vividness_is_offered_for_colorize_only_and_reaches_the_request(qtbot, tmp_path):
    dialog = make_dialog(qtbot, tmp_path, tmp_path / "out")
    dialog.vividness.setValue(40)
    assert dialog._form.isRowVisible(dialog.vividness) and dialog.request().vividness == 0.4
    dialog.tool.setCurrentIndex(dialog.tool.findData("edit"))
    assert not dialog._form.isRowVisible(dialog.vividness) and dialog.request().vividness == 0.0


def test_pause_then_cancel_stops_the_batch(qtbot, tmp_path):
    src, out = make_folder(tmp_path / "in", count=12), tmp_path / "out"
    dialog = make_dialog(qtbot, src, out)
    # Pause on the worker thread the moment the plan is made, so the engine waits before its first chunk
    # (deterministic: a pause from the GUI thread could come after this tiny batch had already finished).
    dialog.session._relay.planned.connect(
        lambda total: dialog.session.set_paused(True), Qt.ConnectionType.DirectConnection
    )
    with qtbot.waitSignal(dialog.session.planned, timeout=TIMEOUT_MS):
        dialog.start()
    dialog.pause_button.setChecked(True)
    assert dialog.session.is_paused() and dialog.pause_button.text() == "Resume"
    with qtbot.waitSignal(dialog.batch_finished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "cancelled"
    assert dialog.summary.text() == "Cancelled after 0 of 13 pictures; start again to resume."
    assert not list(out.glob("photo*.png"))
    assert not dialog.session.is_paused() and dialog.pause_button.text() == "Pause"


def test_a_bad_attribute_is_reported_in_the_dialog(qtbot, tmp_path):
    dialog = make_dialog(qtbot, make_folder(tmp_path / "in", count=1), tmp_path / "out")
    dialog.tool.setCurrentIndex(dialog.tool.findData("edit"))
    dialog.attrs.setText("nope=1")
    with qtbot.waitSignal(dialog.batch_finished, timeout=TIMEOUT_MS) as blocker:
        dialog.start()
    assert blocker.args[0] == "failed"
    assert "There is no direction called 'nope'" in dialog.summary.text()
    assert not (tmp_path / "out").exists()


def test_rate_meter_does_not_count_paused_time():
    now = [0.0]
    meter = RateMeter(clock=lambda: now[0])
    meter.start()
    now[0], meter.count = 2.0, 4
    meter.pause()
    now[0] = 100.0
    assert meter.rate() == 2.0
    meter.resume()
    now[0] = 102.0
    meter.count = 8
    assert meter.rate() == 2.0 and meter.eta(10) == 5.0
    assert format_eta(None) == "–" and format_eta(65) == "1:05" and format_eta(3725) == "1:02:05"


def test_parse_attrs_splits_on_commas():
    assert parse_attrs(" young=+1.5, female=-1;child=0.5 ,") == ("young=+1.5", "female=-1", "child=0.5")


def test_file_menu_opens_the_batch_dialog(qtbot):
    from latent_studio.app.gui.main_window import MainWindow

    window = MainWindow(Preferences(), device_override="cpu", panel_classes=[])
    qtbot.addWidget(window)
    action = window.editor_actions.batch
    assert action.shortcut().toString() == "Ctrl+B"
    # keep the File action alive: PySide6 6.10 invalidates a menu() wrapper taken from a temporary QAction
    file_action = window.menuBar().actions()[0]
    file_menu = file_action.menu()
    assert action in file_menu.actions()
    action.trigger()
    assert window.batch_dialog is not None and window.batch_dialog.isVisible()
    window.batch_dialog.close()
    assert window.open_batch_dialog() is window.batch_dialog
