"""The editor window end to end (offscreen): open, zoom, operate through the worker, undo/redo, save, errors."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from latent_studio.app.core.imageio import Picture, load_image, save_image
from latent_studio.app.gui.actions import shortcuts_html
from latent_studio.app.gui.compare import CompareMode
from latent_studio.app.gui.image_convert import from_qimage
from latent_studio.app.gui.main_window import MainWindow
from latent_studio.models.errors import ImageReadError

TIMEOUT = 5000


@pytest.fixture
def dialogs(monkeypatch):
    """Record message boxes instead of blocking on them; `answers` feeds QMessageBox.question."""
    record = {"critical": [], "question": [], "answers": []}

    def critical(parent, title, text, *args, **kwargs):
        record["critical"].append(text)
        return QMessageBox.StandardButton.Ok

    def question(parent, title, text, *args, **kwargs):
        record["question"].append(text)
        return record["answers"].pop(0) if record["answers"] else QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "critical", critical)
    monkeypatch.setattr(QMessageBox, "question", question)
    return record


@pytest.fixture
def window(qtbot, dialogs):
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(900, 640)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.runner.cancel()
    window.runner.wait_for_done(TIMEOUT)
    window.document.history.set_clean()  # no unsaved-changes prompt at teardown
    window.close()


def open_image(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, _: kind == "open"):
        window.open_path(str(path))


def run_operation(qtbot, window: MainWindow, name: str) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, _: kind == "image"):
        window.editor_actions.operations[name].trigger()


def solid_png(path: Path, rgb: tuple[int, int, int], width: int = 8, height: int = 6) -> Path:
    save_image(Picture(np.full((height, width, 3), rgb, dtype=np.uint8)), path)
    return path


def shown_colour(window: MainWindow, x: float, y: float) -> tuple[int, int, int]:
    """The colour on screen at image point (x, y)."""
    window.canvas.viewport().update()
    frame = window.canvas.viewport().grab().toImage()
    point = window.canvas.mapFromScene(QPointF(x, y))
    colour = frame.pixelColor(point.x(), point.y())
    return colour.red(), colour.green(), colour.blue()


def test_open_zoom_operate_undo_redo_save(qtbot, window, tiny_rgb, tmp_path):
    path = tiny_rgb(width=40, height=30)
    original = load_image(path).pixels
    open_image(qtbot, window, path)
    assert np.array_equal(window.document.picture.pixels, original)
    assert np.array_equal(from_qimage(window.canvas.displayed_image()), original)
    assert "tiny_rgb" in window.windowTitle() and not window.isWindowModified()

    fitted = window.canvas.zoom
    window.editor_actions.zoom_in.trigger()
    assert window.canvas.zoom == pytest.approx(fitted * 1.25)
    assert not window.canvas.view_state().fit
    window.editor_actions.zoom_100.trigger()
    assert window.canvas.zoom == 1.0
    window.editor_actions.zoom_fit.trigger()
    assert window.canvas.zoom == pytest.approx(fitted) and window.canvas.view_state().fit

    run_operation(qtbot, window, "rotate_left")
    rotated = np.rot90(original)
    assert np.array_equal(window.document.picture.pixels, rotated)
    assert np.array_equal(from_qimage(window.canvas.displayed_image()), rotated)
    assert window.isWindowModified()

    window.editor_actions.undo.trigger()
    assert np.array_equal(window.document.picture.pixels, original)
    assert np.array_equal(from_qimage(window.canvas.displayed_image()), original)
    assert not window.document.is_dirty
    window.editor_actions.redo.trigger()
    assert np.array_equal(window.document.picture.pixels, rotated)

    out = tmp_path / "out.png"
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, _: kind == "save"):
        window.files.save_to(out)
    assert np.array_equal(load_image(out).pixels, rotated)
    assert not window.document.is_dirty and window.document.path == out
    assert str(out) == window.preferences.recent_files[0]


def test_desaturate_reports_progress_and_keeps_alpha_and_depth(qtbot, window, tiny_rgba):
    path = tiny_rgba(width=9, height=5, dtype=np.uint16)
    open_image(qtbot, window, path)
    before = window.document.picture.pixels
    fractions = []
    window.runner.progress.connect(lambda kind, fraction, message: fractions.append(fraction))
    run_operation(qtbot, window, "desaturate")
    after = window.document.picture.pixels
    assert after.dtype == np.uint16 and after.shape == before.shape
    assert np.array_equal(after[..., 3], before[..., 3])
    assert np.array_equal(after[..., 0], after[..., 1]) and np.array_equal(after[..., 1], after[..., 2])
    assert fractions and fractions[-1] == 1.0
    assert window.status.progress_bar.isHidden()  # the progress group goes away when the job is done


def test_opening_a_corrupt_file_shows_the_imageio_message(qtbot, window, dialogs, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    with pytest.raises(ImageReadError) as expected:
        load_image(bad)
    with qtbot.waitSignal(window.runner.failed, timeout=TIMEOUT):
        window.open_path(str(bad))
    assert dialogs["critical"] == [str(expected.value)]
    assert not window.document.is_open


def test_dropping_a_file_url_opens_it(qtbot, window, tiny_rgb):
    path = tiny_rgb(name="dropped.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        window.dropEvent(event)
    assert event.isAccepted()
    assert window.document.path == path


def test_before_after_shows_the_original_pixels(qtbot, window, tmp_path):
    open_image(qtbot, window, solid_png(tmp_path / "red.png", (200, 30, 30)))
    run_operation(qtbot, window, "desaturate")
    gray = int(0.2126 * 200 + 0.7152 * 30 + 0.0722 * 30 + 0.5)
    assert shown_colour(window, 4, 3) == (gray, gray, gray)

    window.editor_actions.show_before.trigger()
    assert window.canvas.is_showing_before()
    assert shown_colour(window, 4, 3) == (200, 30, 30)
    zoom = window.canvas.view_state()
    window.editor_actions.show_before.trigger()
    assert shown_colour(window, 4, 3) == (gray, gray, gray)
    assert window.canvas.view_state() == zoom  # the comparison never moves the view

    window.editor_actions.split_view.trigger()
    assert window.canvas.compare_mode is CompareMode.SPLIT
    assert shown_colour(window, 1.5, 3) == (200, 30, 30)  # left of the divider: before
    assert shown_colour(window, 6.5, 3) == (gray, gray, gray)  # right of it: after


def test_unsaved_changes_are_never_lost_silently(qtbot, window, dialogs, tiny_rgb):
    first, second = tiny_rgb(seed=1), tiny_rgb(seed=2)
    open_image(qtbot, window, first)
    run_operation(qtbot, window, "flip_horizontal")
    dialogs["answers"].append(QMessageBox.StandardButton.Cancel)
    assert window.open_path(str(second)) is None
    assert window.document.path == first and window.document.is_dirty
    assert len(dialogs["question"]) == 1

    dialogs["answers"].append(QMessageBox.StandardButton.Save)
    open_image(qtbot, window, second)
    assert window.document.path == second
    assert np.array_equal(
        load_image(first).pixels, np.asarray(load_image(tiny_rgb(name="x.png", seed=1)).pixels)[:, ::-1]
    )


def test_image_operations_wait_for_each_other(qtbot, window, tiny_rgb):
    open_image(qtbot, window, tiny_rgb())
    window.editor_actions.operations["rotate_right"].trigger()
    assert not window.editor_actions.operations["rotate_left"].isEnabled()  # no lost or stale second rotation
    assert window.runner.wait_for_done(TIMEOUT)
    assert window.editor_actions.operations["rotate_left"].isEnabled()
    assert window.document.history.stack.count() == 1


def test_a_result_for_a_picture_that_changed_meanwhile_is_discarded(qtbot, window, tiny_rgb):
    open_image(qtbot, window, tiny_rgb())
    run_operation(qtbot, window, "flip_vertical")
    gate = threading.Event()

    def slow_invert(picture, progress):
        while not gate.wait(0.005):
            progress.check()
        return picture.with_pixels(255 - picture.pixels)

    window.context.run_operation("slow", slow_invert, "Invert")
    window.editor_actions.undo.trigger()  # the picture the job started from is no longer current
    undone = window.document.picture
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        gate.set()
    assert window.document.picture is undone
    assert "discarded" in window.status.currentMessage()


def test_a_preview_is_shown_but_not_recorded(qtbot, window, tiny_rgb):
    open_image(qtbot, window, tiny_rgb())
    picture = window.document.picture
    preview = picture.with_pixels(255 - picture.pixels)
    window.context.show_preview(preview)
    assert np.array_equal(from_qimage(window.canvas.displayed_image()), preview.pixels)
    assert window.document.picture is picture and not window.document.is_dirty
    window.context.show_preview(None)
    assert np.array_equal(from_qimage(window.canvas.displayed_image()), picture.pixels)


def test_keyboard_shortcuts(qtbot, window, tiny_rgb):
    open_image(qtbot, window, tiny_rgb(width=40, height=30))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)  # shortcuts only reach the active window
    window.canvas.setFocus()
    qtbot.waitUntil(window.canvas.hasFocus, timeout=TIMEOUT)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backslash)
    assert window.canvas.is_showing_before()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backslash)
    assert not window.canvas.is_showing_before()
    qtbot.keyClick(window.canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.zoom == 1.0
    qtbot.keyClick(window.canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.view_state().fit
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT):
        qtbot.keyClick(
            window.canvas, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
    assert window.document.history.stack.count() == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.history.stack.index() == 0
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.document.history.stack.index() == 1


def test_closing_with_unsaved_changes_asks_first(qtbot, window, dialogs, tiny_rgb):
    path = tiny_rgb()
    open_image(qtbot, window, path)
    run_operation(qtbot, window, "rotate_right")
    dialogs["answers"].append(QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert window.isVisible() and window.document.is_dirty
    dialogs["answers"].append(QMessageBox.StandardButton.Save)
    assert window.close()
    assert np.array_equal(load_image(path).pixels, window.document.picture.pixels)
    assert len(dialogs["question"]) == 2


def test_a_panel_returning_bad_pixels_gets_a_message_not_a_broken_history(qtbot, window, dialogs, tiny_rgb):
    open_image(qtbot, window, tiny_rgb())

    def broken(picture, progress):
        return picture.with_pixels(picture.pixels.astype(np.float32))

    with qtbot.waitSignal(window.runner.failed, timeout=TIMEOUT) as blocker:
        window.context.run_operation("broken", broken, "Broken Tool")
    assert blocker.args[1].startswith("Unexpected error in Broken Tool: ValueError: Broken Tool produced float32")
    assert dialogs["critical"] == [blocker.args[1]]
    assert window.document.history.stack.count() == 0


def test_the_shortcut_list_names_the_main_shortcuts(window):
    text = shortcuts_html(window)
    for entry in ("Open", "Ctrl+O", "Undo", "Ctrl+Shift+Z", "Fit to Window", "Show Original", "Mouse wheel"):
        assert entry in text
