"""Colour hints in the Colorize panel (issue #13): a new hint starts with the model's top suggestion at its point
(not the last colour used), and Shift+drag draws a scribble, one hint along a polyline."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from latent_studio.app.gui.panels.colorize import panel as panel_module
from latent_studio.app.gui.panels.colorize.hints import MAX_SCRIBBLE_POINTS, HintSet
from latent_studio.app.gui.panels.colorize.panel import PREVIEW_KIND, SUGGEST_KIND
from tests.test_colorize_panel import (  # noqa: F401 (fixtures)
    colorize_panel,
    gray_file,
    open_image,
    wait_for,
    window,
)

BLUE = (30, 60, 230)


# --- the hint model, synchronously ----------------------------------------------------------------------


def test_a_provisional_hint_adopts_the_suggestion_once_and_a_chosen_colour_is_kept():
    hints = HintSet()
    hints.press(10, 10, radius=3, rgb=(1, 2, 3), provisional=True)
    assert hints.adopt(0, (9, 9, 9)) and hints.points[0].rgb == (9, 9, 9)
    assert not hints.adopt(0, (7, 7, 7))  # only the first suggestion; later ones are the palette's business
    hints.press(40, 40, radius=3, rgb=(1, 2, 3), provisional=True)
    hints.recolour(1, BLUE)  # the user chose before the suggestion arrived
    assert not hints.adopt(1, (9, 9, 9)) and hints.points[1].rgb == BLUE


def test_a_scribble_is_drawn_by_the_drag_moved_whole_and_kept_short():
    hints = HintSet()
    assert hints.press(5, 5, radius=3, rgb=BLUE, scribble=True)
    assert hints.drag(10, 6) and hints.drag(20, 9) and not hints.drag(20, 9)
    assert hints.release() and hints.points[0].path == ((5, 5), (10, 6), (20, 9))
    assert not hints.press(5.5, 5, radius=3, rgb=(0, 0, 0))  # grabbing its start moves the whole line
    assert hints.drag(6, 7) and hints.release()
    assert hints.points[0].path == ((6, 7), (11, 8), (21, 11))
    hints.press(50, 50, radius=3, rgb=BLUE, scribble=True)
    for step in range(2 * MAX_SCRIBBLE_POINTS):
        hints.drag(50 + step, 50)
    assert len(hints.points[1].path) == MAX_SCRIBBLE_POINTS


# --- the real window --------------------------------------------------------------------------------------


def test_a_new_hint_starts_with_the_models_top_suggestion_not_the_last_colour(qtbot, window, tmp_path):  # noqa: F811
    open_image(qtbot, window, gray_file(tmp_path))
    panel = colorize_panel(qtbot, window)
    canvas = window.canvas
    panel.set_colour(BLUE)  # the last colour used: it must not leak into the next hint
    with wait_for(qtbot, window, SUGGEST_KIND, PREVIEW_KIND):
        canvas.clicked.emit(30.0, 54.0, Qt.MouseButton.LeftButton)
        canvas.released.emit(30.0, 54.0, Qt.MouseButton.LeftButton)
    point = panel.hints.points[0]
    assert panel.ui.palette.colours and point.rgb == panel.ui.palette.colours[0] != BLUE
    assert not point.provisional and panel.result_key == panel.request_key()  # the preview shows that colour


def test_shift_drag_draws_a_scribble_hint(qtbot, window, tmp_path, monkeypatch):  # noqa: F811
    open_image(qtbot, window, gray_file(tmp_path))
    panel = colorize_panel(qtbot, window)
    canvas = window.canvas
    monkeypatch.setattr(QGuiApplication, "keyboardModifiers", staticmethod(lambda: panel_module.SCRIBBLE_MODIFIER))
    with wait_for(qtbot, window, SUGGEST_KIND, PREVIEW_KIND):
        canvas.clicked.emit(10.0, 50.0, Qt.MouseButton.LeftButton)
        for x in (20.0, 30.0, 40.0):
            canvas.dragged.emit(x, 55.0, Qt.MouseButton.LeftButton)
        canvas.released.emit(40.0, 55.0, Qt.MouseButton.LeftButton)
    assert len(panel.hints) == 1
    assert panel.hints.points[0].path == ((10, 50), (20, 55), (30, 55), (40, 55))
    assert panel.result_key == panel.request_key()


@pytest.fixture(autouse=True)
def _plain_modifiers(monkeypatch):
    """No key is held unless a test says so (the offscreen platform may remember one from another test)."""
    monkeypatch.setattr(QGuiApplication, "keyboardModifiers", staticmethod(lambda: Qt.KeyboardModifier.NoModifier))
