"""GUI soak on the real window (issue #12): tens of thousands of events must neither crash it nor leak.

PySide6 6.12.0 on Python 3.11 killed the editor with "Fatal Python error: none_dealloc" after about 20k mouse
moves over the canvas, because each signal delivered to a Python slot released a reference to None or True.
This drives the shown MainWindow the way a long session does: posted mouse moves (hover, and drags that place
and move colour hints), Vividness and Latent slider drags, and jobs through the worker (Auto colorize, face
sampling and previews, Image-menu operations, undo/redo). The window must still be there, every move must
have reached the canvas, the results must have arrived, and None/True/False must not have lost references.
The references are checked every thousand moves, so a leaking binding fails here with the numbers (6.12.0:
None -2014, True -1001 after the first thousand) before the interpreter aborts and takes pytest with it.
"""

from __future__ import annotations

import gc
import sys

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent

from latent_studio.app.core.imageio import Picture, save_image
from latent_studio.app.gui.panels.colorize.panel import PREVIEW_KIND, ColorizePanel
from latent_studio.app.gui.panels.latent.panel import LatentPanel
from tests.conftest import running_window

HOVER_MOVES = 20_000  # the crash came after about 20k
DRAG_MOVES = 500
TIMEOUT = 30_000
#: A reference lost per delivered signal would show as tens of thousands; objects that come and go hold a few.
SLACK = 1_000


def counts(collect: bool = True) -> dict[str, int]:
    if collect:
        gc.collect()
    return {"None": sys.getrefcount(None), "True": sys.getrefcount(True), "False": sys.getrefcount(False)}


def assert_kept(before: dict[str, int], collect: bool = True) -> None:
    """Fail (instead of letting the interpreter abort at zero) once None/True/False lost more than SLACK."""
    after = counts(collect)
    fell = {name: before[name] - after[name] for name in before}
    assert all(value < SLACK for value in fell.values()), f"references lost during the soak: {fell}"


def panel_of(qtbot, window, kind):
    index = next(i for i, panel in enumerate(window.panels) if isinstance(panel, kind))
    window.docks[index].show()
    window.docks[index].raise_()
    qtbot.waitUntil(window.panels[index].isVisible)
    return window.panels[index]


def wait_for(qtbot, window, *kinds: str):
    checks = [lambda kind, _, wanted=wanted: kind == wanted for wanted in kinds]
    return qtbot.waitSignals(
        [window.runner.finished] * len(kinds), timeout=TIMEOUT, check_params_cbs=checks, order="none"
    )


def post_moves(viewport, points, before: dict[str, int], buttons=Qt.MouseButton.NoButton) -> None:
    """Queue mouse moves on the canvas viewport, as the window system does, draining (and checking) every 1000."""
    for index, (x, y) in enumerate(points):
        position = QPointF(x, y)
        event = QMouseEvent(
            QEvent.Type.MouseMove, position, position, Qt.MouseButton.NoButton, buttons, Qt.KeyboardModifier.NoModifier
        )
        QCoreApplication.postEvent(viewport, event)
        if index % 1000 == 999:
            QCoreApplication.processEvents()
            assert_kept(before, collect=False)
    QCoreApplication.processEvents()


def drag_slider(slider, values) -> None:
    slider.setSliderDown(True)
    for value in values:
        slider.setValue(value)
        QCoreApplication.processEvents()
    slider.setSliderDown(False)


def test_the_window_survives_a_long_session_without_losing_references(qtbot, monkeypatch, tmp_path):
    y, x = np.mgrid[0:72, 0:96]
    level = (120 + 80 * np.sin(x / 9.0) * np.cos(y / 7.0)).clip(0, 255).astype(np.uint8)
    path = tmp_path / "gray.png"
    save_image(Picture(np.repeat(level[..., None], 3, axis=2), is_gray=True), path)

    with running_window(qtbot, monkeypatch, size=(1000, 700)) as window:
        window.preferences.working_size = 256
        with wait_for(qtbot, window, "open"):
            window.open_path(str(path))
        colorize = panel_of(qtbot, window, ColorizePanel)
        qtbot.waitUntil(lambda: not window.canvas.hand_tool)  # the Colorize panel takes the left button
        with wait_for(qtbot, window, PREVIEW_KIND):  # one round trip first, so lazy imports are not counted
            qtbot.mouseClick(colorize.ui.auto_button, Qt.MouseButton.LeftButton)
        before = counts()

        # 1. hovering: every move reaches the canvas (and the status bar's pixel readout)
        canvas, viewport = window.canvas, window.canvas.viewport()
        hovered = [0]
        canvas.hovered.connect(lambda x, y: hovered.__setitem__(0, hovered[0] + 1))
        width, height = viewport.width(), viewport.height()
        points = (((i * 7) % (width - 4) + 2, (i * 3) % (height - 4) + 2) for i in range(HOVER_MOVES))
        post_moves(viewport, points, before)
        assert hovered[0] == HOVER_MOVES

        # 2. a drag with the left button places a colour hint and moves it; the previews follow
        start = canvas.mapFromScene(QPointF(30.5, 40.5))
        with wait_for(qtbot, window, PREVIEW_KIND):
            qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
            post_moves(
                viewport,
                ((start.x() + (i % 40), start.y() + (i % 25)) for i in range(DRAG_MOVES)),
                before,
                Qt.MouseButton.LeftButton,
            )
            qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start)
        assert len(colorize.hints) == 1

        # 3. Vividness dragged back and forth: throttled previews, the last one for the final value
        drag_slider(colorize.ui.vividness_slider, [*range(0, 101, 2), *range(100, -1, -2)])
        colorize.ui.vividness_slider.setValue(40)
        # a preview asked for during the drag may finish first (and is dropped); the throttled one for 40 follows
        qtbot.waitUntil(lambda: colorize.result_key == colorize.request_key(), timeout=TIMEOUT)
        assert colorize.result is not None and colorize.vividness == 0.4

        # 4. Image-menu round trips through the worker, then undo and redo them all
        for name in ["rotate_left", "flip_horizontal", "rotate_right", "flip_vertical"] * 3:
            with wait_for(qtbot, window, "image"):
                window.run_image_operation(name)
        steps = window.document.history.stack.count()
        assert steps >= 12
        for _ in range(steps):
            window.editor_actions.undo.trigger()
        for _ in range(steps):
            window.editor_actions.redo.trigger()
        assert window.document.history.stack.index() == steps

        # 5. Latent: a sampled face, its sliders dragged; each drag ends with a decoded preview
        latent = panel_of(qtbot, window, LatentPanel)
        qtbot.waitUntil(lambda: "young" in latent.ui.directions.sliders, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)
        from latent_studio.app.gui.panels.latent.session import Mode

        qtbot.mouseClick(latent.ui.mode_buttons[Mode.RANDOM], Qt.MouseButton.LeftButton)  # a sample is Random's
        with wait_for(qtbot, window, "latent-sample", "latent-preview"):
            latent.sample_face(7)
        sampled = latent.ui.face_view.pixels.copy()
        for name in ("young", "female", "pc1"):
            slider = latent.ui.directions.sliders[name]
            values = np.linspace(slider.minimum(), slider.maximum(), 60)
            drag_slider(slider, [*values, *values[::-1], 0.5 * slider.maximum()])
        # the sliders' throttled preview may still be on its timer when the worker is idle: wait for the face
        qtbot.waitUntil(lambda: not np.array_equal(latent.ui.face_view.pixels, sampled), timeout=TIMEOUT)

        assert window.isVisible() and window.document.is_open
        assert_kept(before)
