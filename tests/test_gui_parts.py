"""The editor's parts on their own: pixel conversion, history budget, operations, canvas, panels, preferences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout

from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import run_sync
from latent_studio.app.core.operations import (
    IMAGE_OPERATIONS,
    desaturate,
    flip_horizontal,
    flip_vertical,
    rotate_left,
    rotate_right,
)
from latent_studio.app.gui.canvas import ImageCanvas, ViewState
from latent_studio.app.gui.history import History
from latent_studio.app.gui.image_convert import from_qimage, from_qimage16, to_qimage
from latent_studio.app.gui.main_window import MainWindow
from latent_studio.app.gui.panels import ToolPanel
from latent_studio.app.gui.preferences import Preferences
from latent_studio.app.gui.status_bar import pixel_readout


def random_pixels(height: int, width: int, channels: int, dtype=np.uint8, seed: int = 0) -> np.ndarray:
    top = np.iinfo(dtype).max
    return np.random.default_rng(seed).integers(0, top + 1, (height, width, channels)).astype(dtype)


# --- numpy <-> QImage ----------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [3, 4])
def test_qimage_round_trip_with_odd_width(qapp, channels):
    pixels = random_pixels(5, 7, channels)  # 7*3 = 21 bytes per row: QImage pads rows to 4 bytes
    image = to_qimage(pixels)
    assert (image.width(), image.height()) == (7, 5)
    assert np.array_equal(from_qimage(image), pixels)


def test_qimage_is_a_copy(qapp):
    pixels = random_pixels(4, 4, 3)
    image = to_qimage(pixels)
    pixels[:] = 0
    assert from_qimage(image).any()


def test_sixteen_bit_pixels_keep_their_depth(qapp):
    pixels = random_pixels(3, 5, 4, np.uint16)
    assert np.array_equal(from_qimage16(to_qimage(pixels)), pixels)
    rgb = random_pixels(3, 5, 3, np.uint16)
    assert np.array_equal(from_qimage16(to_qimage(rgb))[..., :3], rgb)


# --- history --------------------------------------------------------------------------------------------


def test_history_drops_the_oldest_steps_beyond_its_budget(qapp):
    shown = []
    pictures = [Picture(np.full((16, 16, 4), value, np.uint8)) for value in range(6)]  # 1 KiB each
    history = History(shown.append, max_bytes=3 * 1024)
    for before, after in itertools.pairwise(pictures):
        history.push(before, after, f"step {after.pixels[0, 0, 0]}")
    assert history.total_bytes() <= 3 * 1024
    assert [step.label for step in history.steps] == ["step 4", "step 5"]
    assert shown[-1] is pictures[5]
    history.undo()
    history.undo()
    assert shown[-1] is pictures[3]
    assert not history.stack.canUndo()
    history.redo()
    history.redo()
    assert shown[-1] is pictures[5]


def test_history_keeps_the_saved_point_through_a_trim(qapp):
    pictures = [Picture(np.full((16, 16, 4), value, np.uint8)) for value in range(5)]
    history = History(lambda picture: None, max_bytes=3 * 1024)
    history.push(pictures[0], pictures[1], "a")
    history.push(pictures[1], pictures[2], "b")
    history.set_clean()
    history.push(pictures[2], pictures[3], "c")
    history.push(pictures[3], pictures[4], "d")  # drops "a" and "b"; the saved state (after b) is still reachable
    assert not history.is_clean
    history.undo()
    history.undo()
    assert history.is_clean


# --- operations -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_operations_keep_alpha_and_depth(dtype):
    pixels = random_pixels(3, 5, 4, dtype)
    picture = Picture(pixels)
    expected = {
        rotate_left: np.rot90(pixels),
        rotate_right: np.rot90(pixels, -1),
        flip_horizontal: pixels[:, ::-1],
        flip_vertical: pixels[::-1],
    }
    for operation, result in expected.items():
        out = run_sync(lambda progress, op=operation: op(picture, progress))
        assert out.pixels.dtype == dtype and np.array_equal(out.pixels, result)
    gray = run_sync(lambda progress: desaturate(picture, progress))
    assert gray.pixels.dtype == dtype and gray.is_gray
    assert np.array_equal(gray.pixels[..., 3], pixels[..., 3])
    assert np.array_equal(pixels, picture.pixels)  # the input is untouched
    assert {op.name for op in IMAGE_OPERATIONS} >= {"rotate_left", "desaturate"}


# --- canvas ----------------------------------------------------------------------------------------------


@pytest.fixture
def canvas(qtbot):
    canvas = ImageCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_image(to_qimage(random_pixels(30, 40, 3)))
    return canvas


def test_canvas_reports_clicks_in_image_pixels(qtbot, canvas):
    canvas.set_hand_tool(False)
    target = canvas.mapFromScene(QPointF(12.5, 7.5))
    with qtbot.waitSignal(canvas.clicked) as blocker:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=target)
    x, y, button = blocker.args
    assert int(x) == 12 and int(y) == 7 and button == Qt.MouseButton.LeftButton


def test_canvas_view_state_round_trip(canvas):
    canvas.set_zoom(3.0)
    canvas.centerOn(QPointF(10, 20))
    state = canvas.view_state()
    assert not state.fit and state.zoom == pytest.approx(3.0)
    canvas.fit()
    canvas.set_view_state(state)
    again = canvas.view_state()
    assert again.zoom == pytest.approx(3.0)
    assert (again.center_x, again.center_y) == pytest.approx((state.center_x, state.center_y), abs=1.0)
    canvas.set_view_state(ViewState(fit=True))
    assert canvas.view_state().fit


def test_canvas_overlays_paint_in_image_coordinates(canvas):
    seen = []
    canvas.add_overlay(lambda painter, zoom: seen.append(painter.transform().map(QPointF(40, 30))))
    canvas.viewport().grab()
    corner = canvas.mapFromScene(QPointF(40, 30))
    assert seen and seen[-1].toPoint() == corner


def test_pixel_readout():
    picture = Picture(np.array([[[1, 2, 3, 4]]], np.uint8))
    assert pixel_readout(picture, 0.5, 0.2) == "x 0  y 0    R 1  G 2  B 3  A 4"
    assert pixel_readout(picture, 1.5, 0) == "" and pixel_readout(None, 0, 0) == ""


# --- panels and preferences -----------------------------------------------------------------------------


class ProbePanel(ToolPanel):
    title = "Probe"
    wants_canvas_clicks = True

    def __init__(self, context, parent=None):
        super().__init__(context, parent)
        QVBoxLayout(self).addWidget(QLabel("probe"))


def test_a_tool_panel_is_docked_and_applies_results(qtbot, tiny_rgb, monkeypatch):
    window = MainWindow(panel_classes=[ProbePanel])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    panel = window.panels[0]
    assert isinstance(panel, ProbePanel) and window.docks[0].windowTitle() == "Probe"
    assert "Probe" in [action.text() for action in window.tools_menu.actions()]
    qtbot.waitUntil(lambda: not window.canvas.hand_tool)  # the panel wants clicks while shown
    assert not window.editor_actions.hand_tool.isChecked()  # and the toolbar says so
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        window.open_path(str(tiny_rgb()))
    inverted = window.document.picture.with_pixels(255 - window.document.picture.pixels)
    panel.context.apply_result(inverted, "Invert")
    assert window.document.picture is inverted
    assert window.document.history.stack.undoText() == "Invert"
    window.docks[0].toggleViewAction().trigger()  # hide the panel: the left button pans again
    qtbot.waitUntil(lambda: window.canvas.hand_tool)
    window.document.history.set_clean()
    window.close()


def test_preferences_live_in_the_test_file(tmp_path):
    preferences = Preferences()
    assert preferences.working_size == 256  # the default: the size the models were designed for, fastest preview
    preferences.device = "cpu"
    preferences.working_size = 512
    preferences.add_recent(str(tmp_path / "a.png"))
    preferences.sync()
    assert (tmp_path / "settings.ini").is_file()
    again = Preferences()
    assert (again.device, again.working_size, again.recent_files) == ("cpu", 512, [str(tmp_path / "a.png")])
    again.device = "quantum"
    assert again.device == "auto"


def test_wheel_zooms_around_the_cursor(qtbot, canvas):
    cursor = canvas.mapFromScene(QPointF(30, 20))
    before = canvas.zoom
    event = QWheelEvent(
        QPointF(cursor),
        QPointF(canvas.viewport().mapToGlobal(cursor)),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)
    assert canvas.zoom > before
    under_cursor = canvas.mapToScene(cursor)
    assert (under_cursor.x(), under_cursor.y()) == pytest.approx((30, 20), abs=1.0)
