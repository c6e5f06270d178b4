"""The Sketch panel: its drawing model and undo on their own, and the real window driven with the shipped model.

The window test draws with real mouse events on the panel's drawing widget, waits on the worker's signals
(never sleeping) for the generated picture, undoes the stroke, traces an opened photo, and sends the result
to the editor. The model runs at 256x256 on the CPU (about 35 ms a pass), so the test takes seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from latent_studio.app.core.imageio import Picture, load_image, save_image
from latent_studio.app.gui.main_window import MainWindow
from latent_studio.app.gui.panels.sketch.jobs import sketch_from_pixels
from latent_studio.app.gui.panels.sketch.panel import EXTRACT, GENERATE, LOAD, SketchPanel
from latent_studio.app.gui.panels.sketch.state import COLOUR, ERASER, PAPER, PEN, SketchBuffers, StrokeHistory
from tests.conftest import running_window

TIMEOUT = 20_000


# --- the drawing and its history, synchronously ----------------------------------------------------------


def test_pen_eraser_colour_and_stroke_history():
    buffers, history = SketchBuffers(64), StrokeHistory(limit=2)
    blank = buffers.snapshot()
    history.record(buffers.snapshot())
    assert buffers.draw((10, 32), (50, 32), PEN, 4)
    assert buffers.lines[32, 30] == 0 and buffers.lines[20, 30] == PAPER and not buffers.is_blank
    drawn = buffers.snapshot()
    history.record(buffers.snapshot())
    buffers.draw((30, 20), (30, 44), ERASER, 6)
    assert buffers.lines[32, 30] == PAPER and buffers.lines[32, 12] == 0
    history.record(buffers.snapshot())
    buffers.draw((5, 5), (20, 5), COLOUR, 5, (10, 200, 30))
    assert tuple(buffers.colour[5, 10]) == (10, 200, 30, 255) and buffers.colour_strokes() is not None
    assert not buffers.draw((-50, -50), (-40, -40), PEN, 3)  # wholly outside: nothing drawn

    buffers.restore(history.undo(buffers.snapshot()))  # the colour stroke
    buffers.restore(history.undo(buffers.snapshot()))  # the eraser
    assert np.array_equal(buffers.lines, drawn.lines) and buffers.colour_strokes() is None
    assert not history.can_undo  # limit=2: the first stroke's snapshot was dropped
    buffers.restore(history.redo(buffers.snapshot()))
    assert buffers.lines[32, 30] == PAPER
    history.record(buffers.snapshot())  # a new stroke drops the redo steps
    assert not history.can_redo and history.undo(buffers.snapshot()) is not None
    buffers.restore(blank)
    assert buffers.is_blank


def test_a_loaded_drawing_keeps_its_shape():
    pixels = np.zeros((20, 40, 3), np.uint8)  # a small black 2:1 picture: brought up to a 256 px long side
    assert sketch_from_pixels(pixels).shape == (128, 256)
    assert sketch_from_pixels(np.zeros((1000, 600, 3), np.uint8)).shape == (512, 307)  # down to 512
    lines = sketch_from_pixels(np.full((300, 400, 3), 255, np.uint8))
    assert lines.shape == (300, 400) and (lines == PAPER).all()  # within 256..512: as it is


# --- the real window ------------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, monkeypatch):
    with running_window(qtbot, monkeypatch, size=(1100, 800)) as window:
        yield window


def finished(qtbot, window: MainWindow, kind: str):
    return qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda done, _: done == kind)


def sketch_panel(qtbot, window: MainWindow) -> SketchPanel:
    """Raise the Sketch tab and wait for its first picture (of blank paper)."""
    index = next(i for i, panel in enumerate(window.panels) if isinstance(panel, SketchPanel))
    panel = window.panels[index]
    with finished(qtbot, window, GENERATE):
        window.docks[index].show()
        window.docks[index].raise_()
    qtbot.waitUntil(lambda: panel.is_shown)
    return panel


def draw(qtbot, widget, points: list[tuple[int, int]]) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
    for point in points[1:]:
        qtbot.mouseMove(widget, QPoint(*point))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


def photo_file(tmp_path, size: int = 96):
    """A synthetic photo: a dark disc and a bright box on a mid-gray ground (clear edges to trace)."""
    y, x = np.mgrid[0:size, 0:size]
    pixels = np.full((size, size, 3), 128, np.uint8)
    pixels[(y - 40) ** 2 + (x - 35) ** 2 < 20**2] = (40, 30, 20)
    pixels[55:85, 55:85] = (230, 220, 200)
    path = tmp_path / "photo.png"
    save_image(Picture(pixels), path)
    return path


def test_draw_generate_undo_extract_send(qtbot, window, tmp_path, monkeypatch):
    panel = sketch_panel(qtbot, window)
    blank_result = panel.result.copy()
    assert blank_result.shape == (256, 256, 3) and panel.buffers.is_blank

    # 1. a stroke drawn with the mouse: ink in the buffer, and a new picture
    with finished(qtbot, window, GENERATE):
        draw(qtbot, panel.canvas, [(40, 200), (90, 120), (140, 60), (200, 140), (220, 210)])
    assert (panel.buffers.lines < 128).sum() > 200
    assert np.abs(panel.result.astype(int) - blank_result).mean() > 1.0
    assert panel.undo_button.isEnabled() and window.document.picture is None

    # 2. Ctrl+Z in the drawing undoes the stroke (not the editor), and the picture follows
    with finished(qtbot, window, GENERATE):
        qtbot.keyClick(panel.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.buffers.is_blank and np.array_equal(panel.result, blank_result)
    assert panel.redo_button.isEnabled()

    # 3. photo -> sketch on an opened picture: dark lines on mostly white paper
    with finished(qtbot, window, "open"):
        window.open_path(str(photo_file(tmp_path)))
    with finished(qtbot, window, EXTRACT), finished(qtbot, window, GENERATE):
        qtbot.mouseClick(panel.extract_button, Qt.MouseButton.LeftButton)
    lines = panel.buffers.lines.copy()
    assert (lines > 200).mean() > 0.8 and (lines < 100).sum() > 100
    assert panel.history.can_undo

    # 4. send to editor: a new untitled window with the result; the photo's window keeps its picture and file
    photo, photo_path = window.document.picture, window.document.path
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    new = next(w for w in windows if w is not window)
    try:
        assert window.document.picture is photo and window.document.path == photo_path
        assert new.document.path is None and new.document.is_dirty
        assert np.array_equal(new.document.picture.pixels, panel.result)
    finally:
        new.document.history.set_clean()
        new.close()

    # 5. save the sketch, then load it back as a new drawing
    path = tmp_path / "drawn.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), "PNG (*.png)"))
    qtbot.mouseClick(panel.save_sketch_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(load_image(path).pixels[..., 0], lines)
    panel.clear()
    with finished(qtbot, window, LOAD):
        panel.load_sketch(str(path))
    assert np.array_equal(panel.buffers.lines, lines)


def test_send_without_a_document_opens_an_untitled_picture(qtbot, window):
    panel = sketch_panel(qtbot, window)
    panel.send_to_editor()
    assert window.document.is_open and window.document.path is None and window.document.is_dirty
    assert np.array_equal(window.document.picture.pixels, panel.result)
