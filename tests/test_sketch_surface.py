"""The Sketch drawing surface (issue #15, point 3) in the real window: non-square paper drawn on with the mouse,
side by side and overlaid, zoomed, a wider pen, the eraser, undo, and a result in the paper's shape."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from latent_studio.app.gui.panels.sketch.jobs import working_resolution
from latent_studio.app.gui.panels.sketch.panel import GENERATE
from latent_studio.app.gui.panels.sketch.state import ERASER, PAPER, SketchBuffers
from latent_studio.app.gui.panels.sketch.surface import OVERLAY, SIDE_BY_SIDE
from tests.conftest import running_window
from tests.test_sketch_panel import draw, finished, sketch_panel


def on_screen(panel, x: float, y: float) -> QPoint:
    """A paper pixel -> the drawing widget's position at its zoom."""
    zoom = panel.canvas.zoom
    return QPoint(round((x + 0.5) * zoom), round((y + 0.5) * zoom))


def wheel(widget, notches: int) -> None:
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        centre,
        widget.mapToGlobal(centre),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_non_square_paper_drawn_zoomed_overlaid_erased_and_undone(qtbot, monkeypatch):
    with running_window(qtbot, monkeypatch, size=(1100, 800)) as window:
        panel = sketch_panel(qtbot, window)
        surface = panel.surface
        # the surface covers the image area while the tab is raised: drawing and result side by side
        assert surface.isVisible() and surface.geometry() == window.canvas.rect()
        assert surface.result_pane.isVisible() and surface.drawing_pane.width() > 300

        # 1. new 512x384 paper (wide), fitted to its pane; the picture comes back in the paper's shape
        panel.paper_box.setCurrentIndex(panel.paper_box.findData([384, 512]))
        with finished(qtbot, window, GENERATE):
            qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
        assert panel.buffers.shape == (384, 512) and panel.buffers.is_blank
        assert panel.result.shape == (384, 512, 3) and working_resolution((384, 512)) == 192
        assert surface.drawing_pane.viewport().width() >= panel.canvas.width()  # fitted: no scrolling
        assert panel.canvas.size() == surface.result_view.size()

        # 2. zoom: the wheel over the drawing steps both views; a line drawn at 2x lands on the same paper pixels
        surface.set_zoom(0.87)  # a fitted zoom between the steps: the wheel goes to the next step either way
        surface.zoom_by(1)
        assert surface.zoom == 1.0
        surface.zoom_by(-1)
        assert surface.zoom == 0.75
        surface.set_zoom(1.0)
        wheel(panel.canvas, 2)
        assert surface.zoom == 1.5 and panel.canvas.width() == 768 and surface.result_view.width() == 768
        assert panel.zoom_label.text() == "150%"
        qtbot.mouseClick(panel.zoom_in_button, Qt.MouseButton.LeftButton)
        assert surface.zoom == 2.0
        panel.width_box.setValue(9)  # a wider pen
        with finished(qtbot, window, GENERATE):
            draw(
                qtbot,
                panel.canvas,
                [
                    (on_screen(panel, 40, 300).x(), on_screen(panel, 40, 300).y()),
                    (on_screen(panel, 200, 300).x(), on_screen(panel, 200, 300).y()),
                ],
            )
        lines = panel.buffers.lines
        assert lines[300, 120] == 0 and lines[304, 120] < 64 and lines[310, 120] == PAPER  # 9 px wide, paper units
        assert lines[300, 300] == PAPER and panel.result.shape == (384, 512, 3)

        # 3. overlay: one view, the result under the drawing; back to side by side
        qtbot.mouseClick(panel.overlay_button, Qt.MouseButton.LeftButton)
        assert surface.mode == OVERLAY and not surface.result_pane.isVisible()
        assert panel.canvas.underlay is surface.result_image is not None
        shown = panel.canvas.grab().toImage()
        assert shown.pixelColor(on_screen(panel, 120, 300)).lightness() < 80  # the line, over the picture
        panel.set_view_mode(SIDE_BY_SIDE)
        assert surface.result_pane.isVisible() and panel.canvas.underlay is None and panel.side_button.isChecked()

        # 4. the eraser (tool button) cuts the line; Ctrl+Z in the drawing restores it
        panel.tools.buttons()[1].click()
        assert panel.canvas.tool == ERASER
        with finished(qtbot, window, GENERATE):
            draw(
                qtbot,
                panel.canvas,
                [
                    (on_screen(panel, 120, 280).x(), on_screen(panel, 120, 280).y()),
                    (on_screen(panel, 120, 320).x(), on_screen(panel, 120, 320).y()),
                ],
            )
        assert panel.buffers.lines[300, 120] == PAPER and panel.buffers.lines[300, 60] == 0
        with finished(qtbot, window, GENERATE):
            qtbot.keyClick(panel.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert panel.buffers.lines[300, 120] == 0

        # 5. undo back past the new paper: the square paper returns, and the views follow its shape
        while panel.history.can_undo:
            with finished(qtbot, window, GENERATE):
                panel.undo()
        assert panel.buffers.shape == (256, 256) and surface.result_view.size() == panel.canvas.size()
        assert panel.paper_box.currentData() == [256, 256] and panel.paper_box.count() == 6
        panel.set_lines(np.full((200, 300), PAPER, np.uint8))  # a drawing of its own shape is named in the box
        assert panel.paper_box.currentText() == "300 × 200 (drawing)" and panel.canvas.size().width() > 0
        assert panel.result.shape == (256, 256, 3)

        # 6. another tab hides the surface; the image area is the editor's again
        window.docks[0].raise_()
        qtbot.waitUntil(lambda: not surface.isVisible())


def test_snapshots_carry_the_paper_shape():
    buffers = SketchBuffers(96, 160)
    assert buffers.shape == (96, 160) and buffers.colour.shape == (96, 160, 4)
    before = buffers.snapshot()
    buffers.new_paper(64, 32)
    buffers.draw((0, 10), (40, 10), "pen", 3)
    buffers.restore(before)
    assert buffers.shape == (96, 160) and buffers.is_blank
    rgba = SketchBuffers(20, 30)
    rgba.draw((2, 5), (25, 5), "pen", 3)
    overlay = rgba.display_rgba()
    assert overlay[5, 10, 3] == 255 and overlay[15, 10, 3] == 0  # ink opaque, paper transparent
