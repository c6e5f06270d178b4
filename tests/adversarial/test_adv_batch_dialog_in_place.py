"""The Batch dialog's in-place option against awkward folders: no folder chosen, nothing it can replace, and a
question that counts what the batch will really replace (sub-folders only when they are included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from latent_studio.app.gui.batch_dialog import BatchDialog, in_place_question
from latent_studio.app.gui.preferences import Preferences

TIMEOUT_MS = 60_000


def save(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (16, 20, 3), dtype=np.uint8)).save(path)
    return path


def dialog_for(qtbot, folder: str, monkeypatch, reply=QMessageBox.StandardButton.No) -> tuple[BatchDialog, list]:
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a, **k: asked.append(text) or reply)
    dialog = BatchDialog(Preferences(), device="cpu")
    qtbot.addWidget(dialog)
    dialog.in_dir.setText(folder)
    dialog.working_size.setValue(64)
    dialog.in_place.setChecked(True)
    return dialog, asked


def test_no_folder_is_one_line_and_asks_nothing(qtbot, monkeypatch):
    dialog, asked = dialog_for(qtbot, "  ", monkeypatch)
    dialog.start()
    assert dialog.summary.text() == "Choose the folder whose pictures to replace first."
    assert asked == [] and not dialog.session.is_running()


def test_the_question_counts_what_will_be_replaced(qtbot, tmp_path, monkeypatch):
    save(tmp_path / "a.png"), save(tmp_path / "b.jpg", 1), save(tmp_path / "sub" / "c.png", 2)
    save(tmp_path / "d.bmp", 3)  # not written by Latent Studio: reported, not replaced, not counted
    (tmp_path / "notes.txt").write_text("not a picture")
    dialog, asked = dialog_for(qtbot, str(tmp_path), monkeypatch)
    dialog.start()
    dialog.recursive.setChecked(True)
    dialog.start()
    assert asked == [in_place_question(2, str(tmp_path)), in_place_question(3, str(tmp_path))]
    assert asked[0].startswith(f"Replace the originals: 2 pictures in {tmp_path} will be overwritten")
    assert in_place_question(1, "F").startswith("Replace the originals: 1 picture in F will")
    assert dialog.summary.text() == "Nothing was replaced." and not dialog.session.is_running()


def test_nothing_replaceable_runs_without_asking_and_reports_each_file(qtbot, tmp_path, monkeypatch):
    gif = tmp_path / "d.gif"
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(gif)
    before = gif.read_bytes()
    dialog, asked = dialog_for(qtbot, str(tmp_path), monkeypatch)
    with qtbot.waitSignal(dialog.batch_finished, timeout=TIMEOUT_MS) as blocker:
        dialog.start()
    assert asked == [] and blocker.args[0] == "done"
    assert dialog.failures.rowCount() == 1 and dialog.failures.item(0, 0).text() == "d.gif"
    assert dialog.failures.item(0, 1).text() == (
        "d.gif cannot be replaced in place: Latent Studio does not write .gif files; "
        "write the results into another folder instead."
    )
    assert dialog.summary.text().endswith(f"the reasons are also in {tmp_path / 'latent-studio-report.csv'}")
    assert gif.read_bytes() == before
