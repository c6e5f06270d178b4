"""The Batch dialog's "Replace the originals (in place)" (the window's `batch --in-place`, issue #12 follow-up): off
by default; ticked, the output folder and format are not needed (disabled), a question says how many originals
will be replaced, and the batch replaces each picture in its own file, as the command line does."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from latent_studio.app.core.batch import DONE_LOG, REPORT
from latent_studio.app.gui.batch_dialog import BatchDialog, in_place_question
from latent_studio.app.gui.preferences import Preferences

TIMEOUT_MS = 60_000


def photos(root: Path, count: int = 2) -> Path:
    root.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(root / f"photo{i}.png")
    return root


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def in_place_dialog(qtbot, folder: Path) -> BatchDialog:
    dialog = BatchDialog(Preferences(), device="cpu")
    qtbot.addWidget(dialog)
    dialog.in_dir.setText(str(folder))
    dialog.working_size.setValue(64)
    return dialog


def answer(monkeypatch, reply: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return reply

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_the_option_is_off_by_default_and_ticking_it_needs_no_output_folder(qtbot, tmp_path):
    dialog = in_place_dialog(qtbot, tmp_path)
    dialog.out_dir.setText(str(tmp_path / "out"))
    dialog.output_format.setCurrentIndex(dialog.output_format.findData("jpg"))
    out_browse = dialog._browse_buttons[1]
    # unticked (the default): the request is what it was, output folder and format the user's
    request = dialog.request()
    assert not dialog.in_place.isChecked() and not request.in_place
    assert (request.out_dir, request.output_format) == (str(tmp_path / "out"), "jpg")
    assert dialog.out_dir.isEnabled() and out_browse.isEnabled() and dialog.output_format.isEnabled()
    # ticked: the output folder is the input folder, each picture in its own format; their fields are disabled
    dialog.in_place.setChecked(True)
    request = dialog.request()
    assert request.in_place and (request.out_dir, request.output_format) == (str(tmp_path), "same")
    assert not (dialog.out_dir.isEnabled() or out_browse.isEnabled() or dialog.output_format.isEnabled())
    dialog.in_place.setChecked(False)
    assert dialog.out_dir.isEnabled() and dialog.request().out_dir == str(tmp_path / "out")


def test_in_place_asks_then_replaces_each_picture_in_its_own_file(qtbot, tmp_path, monkeypatch):
    from latent_studio.app.cli import main

    src = photos(tmp_path / "in")
    originals = {path.name: pixels(path) for path in src.iterdir()}
    by_cli = tmp_path / "cli"
    shutil.copytree(src, by_cli)
    asked = answer(monkeypatch, QMessageBox.StandardButton.Yes)
    dialog = in_place_dialog(qtbot, src)
    dialog.output_format.setCurrentIndex(dialog.output_format.findData("jpg"))  # not used in place
    dialog.in_place.setChecked(True)

    with qtbot.waitSignal(dialog.batch_finished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert asked == [in_place_question(2, str(src))] and "2 pictures in" in asked[0]
    assert "cannot be recovered" in asked[0]
    assert blocker.args[0] == "done" and blocker.args[1].startswith("2 done, 0 skipped, 0 failed")
    # the same names, new pixels; nothing else written but the batch's done-log and report (as the CLI's)
    assert sorted(p.name for p in src.iterdir()) == sorted([DONE_LOG, REPORT, *originals])
    for name, before in originals.items():
        after = pixels(src / name)
        assert after.shape == before.shape and np.abs(after.astype(int) - before.astype(int)).mean() > 5
    # the same results as `latent-studio batch colorize IN IN --in-place`
    args = ["batch", "colorize", str(by_cli), str(by_cli), "--in-place", "--size", "64", "--device", "cpu"]
    assert main([*args, "--no-progress"]) == 0
    assert all(np.array_equal(pixels(src / name), pixels(by_cli / name)) for name in originals)


def test_declining_the_question_replaces_nothing(qtbot, tmp_path, monkeypatch):
    src = photos(tmp_path / "in")
    before = {path.name: path.read_bytes() for path in src.iterdir()}
    asked = answer(monkeypatch, QMessageBox.StandardButton.No)
    dialog = in_place_dialog(qtbot, src)
    dialog.in_place.setChecked(True)
    dialog.start()
    assert len(asked) == 1 and dialog.summary.text() == "Nothing was replaced."
    assert not dialog.session.is_running() and dialog.start_button.isEnabled()
    assert {path.name: path.read_bytes() for path in src.iterdir()} == before
