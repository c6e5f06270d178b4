"""The Colorize panel: its hint model on its own, and the real window driven end to end with the shipped colorizer.

The window test opens a small gray picture, presses Auto, places a hint with a real mouse click, and applies
and undoes the result, waiting on the worker's signals (never sleeping). It uses the shipped weights at a
small size, so it runs in a few seconds on a CPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog

from latent_studio.app.core.imageio import Picture, save_image
from latent_studio.app.gui.image_convert import from_qimage
from latent_studio.app.gui.main_window import MainWindow
from latent_studio.app.gui.panels.colorize.hints import HintSet
from latent_studio.app.gui.panels.colorize.panel import PREVIEW_KIND, SUGGEST_KIND, ColorizePanel
from latent_studio.models.color import rgb_to_lab
from tests.conftest import running_window

TIMEOUT = 20_000
BLUE = (40, 90, 200)


# --- the hint model, synchronously ----------------------------------------------------------------------


def test_press_adds_or_grabs_drag_moves_right_click_deletes():
    hints = HintSet()
    assert hints.press(10, 10, radius=3, rgb=(1, 2, 3))  # empty spot: a new hint, selected and grabbed
    assert len(hints) == 1 and hints.selected == 0
    assert not hints.release()  # a click without a drag moves nothing
    assert hints.press(30, 5, radius=3, rgb=(4, 5, 6)) and hints.selected == 1
    hints.release()
    assert not hints.press(11, 9, radius=3, rgb=(9, 9, 9))  # near the first one: grabbed, not added
    assert len(hints) == 2 and hints.selected == 0
    assert hints.drag(20, 20) and hints.release()
    assert (hints.points[0].x, hints.points[0].y) == (20, 20) and hints.points[0].rgb == (1, 2, 3)
    assert not hints.right_press(50, 50, radius=3)  # nothing there
    assert hints.right_press(30, 6, radius=3) and len(hints) == 1 and hints.selected == 0
    assert hints.recolour(0, BLUE) and hints.points[0].rgb == BLUE
    assert hints.without(0) == [] and hints.clear() and hints.selected is None


def test_the_newest_hint_wins_a_hit_and_removing_keeps_the_selection_right():
    hints = HintSet()
    hints.add(5, 5, (0, 0, 0))
    hints.add(6, 5, (255, 255, 255))
    hints.add(40, 40, (9, 9, 9))
    assert hints.hit(5.5, 5, radius=2) == 1
    hints.select(2)
    hints.remove(0)
    assert hints.selected == 1 and hints.selected_point.rgb == (9, 9, 9)


# --- the real window ------------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, monkeypatch):
    with running_window(qtbot, monkeypatch, size=(1000, 700)) as window:
        window.preferences.working_size = 256
        yield window


def colorize_panel(qtbot, window: MainWindow) -> ColorizePanel:
    index = next(i for i, panel in enumerate(window.panels) if isinstance(panel, ColorizePanel))
    window.docks[index].show()
    window.docks[index].raise_()
    panel = window.panels[index]
    qtbot.waitUntil(panel.isVisible)
    qtbot.waitUntil(lambda: not window.canvas.hand_tool)  # the panel takes the left button
    return panel


def gray_file(tmp_path, height: int = 72, width: int = 96):
    """A gray picture with some structure: a bright sky-like band, a dark ground, a mid-gray block."""
    y, x = np.mgrid[0:height, 0:width]
    level = 200 - 90 * (y / height) + 10 * np.sin(x / 5.0)
    level[height // 2 :, :] = 70 + 15 * np.cos(x[height // 2 :, :] / 3.0)
    level[10:30, 60:85] = 120
    pixels = np.repeat(level.clip(0, 255).astype(np.uint8)[..., None], 3, axis=2)
    path = tmp_path / "gray.png"
    save_image(Picture(pixels, is_gray=True), path)
    return path


def open_image(qtbot, window: MainWindow, path) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, _: kind == "open"):
        window.open_path(str(path))


def shown_pixels(window: MainWindow) -> np.ndarray:
    return from_qimage(window.canvas.displayed_image(), with_alpha=False)


def chroma(pixels: np.ndarray) -> float:
    rgb = pixels[..., :3].astype(np.int32)
    return float((rgb.max(axis=2) - rgb.min(axis=2)).mean())


def ab_near(pixels: np.ndarray, x: int, y: int) -> torch.Tensor:
    patch = torch.from_numpy(pixels[y - 2 : y + 3, x - 2 : x + 3, :3].astype(np.float32) / 255).permute(2, 0, 1)[None]
    return rgb_to_lab(patch)[0, 1:].mean(dim=(1, 2))


def wait_for(qtbot, window: MainWindow, *kinds: str):
    signals = [window.runner.finished] * len(kinds)
    checks = [lambda kind, _, wanted=wanted: kind == wanted for wanted in kinds]
    return qtbot.waitSignals(signals, timeout=TIMEOUT, check_params_cbs=checks, order="none")


def test_auto_hint_apply_undo_in_the_real_window(qtbot, window, tmp_path):
    open_image(qtbot, window, gray_file(tmp_path))
    gray = window.document.picture
    panel = colorize_panel(qtbot, window)
    assert chroma(shown_pixels(window)) < 1.0

    # 1. Auto: the canvas shows a coloured preview, the document is unchanged
    with wait_for(qtbot, window, PREVIEW_KIND):
        qtbot.mouseClick(panel.ui.auto_button, Qt.MouseButton.LeftButton)
    auto = shown_pixels(window)
    assert chroma(auto) > 3.0
    assert window.document.picture is gray and panel.ui.note_label.text() == ""

    # 1b. the Vividness slider re-runs the preview with more colour; back to 0 gives the first result again
    with wait_for(qtbot, window, PREVIEW_KIND):
        panel.ui.vividness_slider.setValue(100)
    assert panel.ui.vividness_label.text() == "100 %"
    assert chroma(shown_pixels(window)) > 1.3 * chroma(auto)
    with wait_for(qtbot, window, PREVIEW_KIND):
        panel.ui.vividness_slider.setValue(0)
    assert np.array_equal(shown_pixels(window), auto)

    # 2. click the ground: a hint there in the model's top suggestion, and a palette; choose blue: a new
    #    preview bluer at that spot
    x, y = 30, 54
    with wait_for(qtbot, window, PREVIEW_KIND, SUGGEST_KIND):
        qtbot.mouseClick(
            window.canvas.viewport(),
            Qt.MouseButton.LeftButton,
            pos=window.canvas.mapFromScene(QPointF(x + 0.5, y + 0.5)),
        )
    assert [(p.x, p.y, p.rgb) for p in panel.hints.points] == [(x, y, panel.ui.palette.colours[0])]
    with wait_for(qtbot, window, PREVIEW_KIND):
        panel.set_colour(BLUE)
    assert [(p.x, p.y, p.rgb) for p in panel.hints.points] == [(x, y, BLUE)]
    target = rgb_to_lab(torch.tensor(BLUE, dtype=torch.float32).view(1, 3, 1, 1) / 255)[0, 1:, 0, 0]
    hinted = shown_pixels(window)
    assert (ab_near(hinted, x, y) - target).norm() < 0.6 * (ab_near(auto, x, y) - target).norm()
    colours = panel.ui.palette.colours
    assert 1 <= len(colours) <= 8 and all(swatch.isEnabled() for swatch in panel.ui.palette.swatches[: len(colours)])

    # 3. Apply records the preview as one step; undo restores the gray picture, and the hint survives it
    qtbot.mouseClick(panel.ui.apply_button, Qt.MouseButton.LeftButton)
    assert window.document.history.stack.undoText() == "Colorize (1 hint)"
    assert np.array_equal(window.document.picture.pixels[..., :3], hinted)
    window.editor_actions.undo.trigger()
    assert window.document.picture is gray and chroma(shown_pixels(window)) < 1.0
    assert len(panel.hints) == 1


def test_drag_moves_right_click_deletes_and_colour_input_gets_a_note(qtbot, window, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    path = tmp_path / "colour.png"
    save_image(Picture(rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)), path)
    open_image(qtbot, window, path)
    panel = colorize_panel(qtbot, window)
    canvas = window.canvas
    monkeypatch.setattr(QColorDialog, "getColor", lambda *args, **kwargs: QColor(*BLUE))
    qtbot.mouseClick(panel.ui.colour_button, Qt.MouseButton.LeftButton)  # no hint yet: the colour for new ones
    assert panel.brush == BLUE

    with wait_for(qtbot, window, PREVIEW_KIND, SUGGEST_KIND):
        canvas.clicked.emit(10.0, 12.0, Qt.MouseButton.LeftButton)
        canvas.released.emit(10.0, 12.0, Qt.MouseButton.LeftButton)
    assert "colour picture" in panel.ui.note_label.text()
    with wait_for(qtbot, window, PREVIEW_KIND, SUGGEST_KIND):
        canvas.clicked.emit(10.4, 12.3, Qt.MouseButton.LeftButton)  # on the marker: grab it
        canvas.dragged.emit(30.0, 20.0, Qt.MouseButton.LeftButton)
        canvas.released.emit(30.0, 20.0, Qt.MouseButton.LeftButton)
    assert [(p.x, p.y) for p in panel.hints.points] == [(30, 20)]
    with wait_for(qtbot, window, PREVIEW_KIND):
        canvas.clicked.emit(30.2, 20.2, Qt.MouseButton.RightButton)
    assert len(panel.hints) == 0 and not panel.ui.clear_button.isEnabled()
