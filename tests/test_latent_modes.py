"""The Latent panel's three modes (Edit, Interpolate, Random) in the real window with the shipped face VAE: each
transition shows that mode's own face (the panel's view and the canvas preview) and Apply writes that mode's
result alone into the document, undoably; in Interpolate the big face view follows t and the strip navigates.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.jobs import run_sync
from latent_studio.app.gui.image_convert import from_qimage
from latent_studio.app.gui.panels.latent.jobs import LatentModel, Recipe, paste_job, preview_job
from tests.test_latent_panel import (
    TIMEOUT,
    close,
    face_like,
    latent_panel,
    needs_vae,
    open_image,
    switch_mode,
    wait_for,
    write,
)
from tests.test_latent_panel import window as window

pytestmark = needs_vae


@pytest.fixture(scope="module")
def reference():
    """A second copy of the VAE to compute what each mode should show, apart from the panel's worker."""
    return LatentModel(), ComputeSettings(device="cpu")


def shown(window) -> np.ndarray:
    return from_qimage(window.canvas.displayed_image(), with_alpha=False)


def idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)


def settles(qtbot, window, view, expected: np.ndarray | None) -> None:
    """Wait until `view` (the face view's pixels, or the canvas when `view` is None) shows `expected`: throttled
    previews and debounced pastes land a moment after the last change."""

    def now():
        return shown(window) if view is None else view.pixels

    qtbot.waitUntil(
        lambda: not window.runner.is_busy() and now() is not None and np.array_equal(now(), expected), timeout=TIMEOUT
    )


def test_each_mode_shows_and_applies_its_own_face(qtbot, window, tmp_path, reference):
    model, settings = reference
    open_image(qtbot, window, write(tmp_path / "face.png", face_like()))
    original = window.document.picture
    panel = latent_panel(qtbot, window)
    history = window.document.history.stack

    # 1. Edit: encode, move a slider; the view and the canvas show the edited face
    with wait_for(qtbot, window, "latent-encode", "latent-preview", "latent-paste"):
        qtbot.mouseClick(panel.ui.encode_button, Qt.MouseButton.LeftButton)
    a = panel.session.encoded
    panel.ui.directions.sliders["young"].setValue(2.0)
    edit_face = run_sync(preview_job(model, settings, Recipe(a.code, sliders=(("young", 2.0),))))
    settles(qtbot, window, panel.ui.face_view, edit_face)
    edit_photo = run_sync(
        paste_job(model, settings, Recipe(a.code, sliders=(("young", 2.0),)), original, a, True)
    ).pixels
    settles(qtbot, window, None, edit_photo)
    assert not np.array_equal(edit_photo, original.pixels)

    # 2. Edit -> Interpolate: no sliders; until B is loaded the view shows A unedited and the canvas the document
    switch_mode(qtbot, panel, "interpolate")
    assert not panel.ui.directions_box.isVisibleTo(panel) and panel.ui.load_b_button.isVisibleTo(panel)
    assert np.array_equal(shown(window), original.pixels)  # at once, not after Interpolate's paste
    settles(qtbot, window, panel.ui.face_view, a.decoded)
    assert not panel.ui.apply_button.isEnabled()
    with wait_for(qtbot, window, "latent-load-b", "latent-strip", "latent-preview"):
        panel.load_b(str(write(tmp_path / "b.png", face_like(seed=3))))
    panel.ui.t_slider.setValue(50)
    b = panel.session.other
    blend = Recipe(a.code, b.code, 0.5)
    blend_face = run_sync(preview_job(model, settings, blend))  # no Edit slider in it
    settles(qtbot, window, panel.ui.face_view, blend_face)
    expected = run_sync(paste_job(model, settings, blend, original, a, True)).pixels
    settles(qtbot, window, None, expected)
    qtbot.mouseClick(panel.ui.apply_button, Qt.MouseButton.LeftButton)
    assert history.undoText() == "Latent edit (50% towards B)"
    assert np.array_equal(window.document.picture.pixels, expected)
    window.editor_actions.undo.trigger()
    assert window.document.picture is original

    # 3. Interpolate -> Random: no face until Sample; then its own sliders (at 0, not Edit's +2)
    switch_mode(qtbot, panel, "random")
    assert panel.ui.face_view.pixels is None and np.array_equal(shown(window), original.pixels)
    assert not panel.ui.apply_button.isEnabled() and panel.ui.directions.sliders["young"].value() == 0
    panel.ui.seed_box.setValue(7)
    with wait_for(qtbot, window, "latent-sample", "latent-preview"):
        qtbot.mouseClick(panel.ui.sample_button, Qt.MouseButton.LeftButton)
    seed_code = panel.session.sample[1]
    settles(qtbot, window, panel.ui.face_view, run_sync(preview_job(model, settings, Recipe(seed_code))))
    random_photo = run_sync(paste_job(model, settings, Recipe(seed_code), original, a, True)).pixels
    settles(qtbot, window, None, random_photo)
    qtbot.mouseClick(panel.ui.apply_button, Qt.MouseButton.LeftButton)
    assert history.undoText() == "Latent edit (random face 7)"
    assert np.array_equal(window.document.picture.pixels, random_photo)
    window.editor_actions.undo.trigger()

    # 4. Random -> Edit: the Edit slider, face and photo come back as they were; Apply writes the edit alone
    switch_mode(qtbot, panel, "edit")
    assert panel.ui.directions.sliders["young"].value() == pytest.approx(2.0)
    assert np.array_equal(shown(window), edit_photo)  # its own paste, kept: at once
    settles(qtbot, window, panel.ui.face_view, edit_face)
    qtbot.mouseClick(panel.ui.apply_button, Qt.MouseButton.LeftButton)
    assert history.undoText() == "Latent edit (young +2.00)"
    assert np.array_equal(window.document.picture.pixels, edit_photo)
    window.editor_actions.undo.trigger()
    assert window.document.picture is original

    # 5. Edit -> Random -> Interpolate -> Edit: each keeps its own state
    switch_mode(qtbot, panel, "random")
    assert panel.session.sample[1] is seed_code
    settles(qtbot, window, None, random_photo)
    switch_mode(qtbot, panel, "interpolate")
    assert panel.ui.t_slider.value() == 50
    settles(qtbot, window, panel.ui.face_view, blend_face)
    settles(qtbot, window, None, expected)
    switch_mode(qtbot, panel, "edit")
    settles(qtbot, window, panel.ui.face_view, edit_face)


def test_interpolation_shows_the_face_at_t_large_and_the_strip_navigates(qtbot, window, tmp_path, reference):
    model, settings = reference
    open_image(qtbot, window, write(tmp_path / "face.png", face_like()))
    panel = latent_panel(qtbot, window)
    with wait_for(qtbot, window, "latent-encode", "latent-preview", "latent-paste"):
        qtbot.mouseClick(panel.ui.encode_button, Qt.MouseButton.LeftButton)
    switch_mode(qtbot, panel, "interpolate")
    with wait_for(qtbot, window, "latent-load-b", "latent-strip", "latent-preview"):
        panel.load_b(str(write(tmp_path / "b.png", face_like(seed=3))))
    a, b = panel.session.encoded, panel.session.other
    strip = panel.ui.strip.faces
    assert strip.shape == (6, 128, 128, 3) and close(strip[0], a.decoded) and close(strip[-1], b.decoded)
    assert panel.ui.face_view.pixmap().width() == 192  # the big view, not a thumbnail

    # 1. dragging t: the big view follows (throttled) and ends on the face at the final t
    with wait_for(qtbot, window, "latent-preview"):
        for ticks in range(6, 67, 6):
            panel.ui.t_slider.setValue(ticks)
    settles(qtbot, window, panel.ui.face_view, run_sync(preview_job(model, settings, Recipe(a.code, b.code, 0.66))))
    assert panel.ui.strip.current == 3  # 0.66 is nearest the fourth thumbnail (0.6)

    # 2. a click on a thumbnail jumps t there; the big view shows that face, the strip is not decoded again
    qtbot.mouseClick(panel.ui.strip.views[2], Qt.MouseButton.LeftButton)
    assert panel.ui.t_slider.value() == 40 and panel.session.t == pytest.approx(0.4) and panel.ui.strip.current == 2
    settles(qtbot, window, panel.ui.face_view, run_sync(preview_job(model, settings, Recipe(a.code, b.code, 0.4))))
    assert close(panel.ui.face_view.pixels, strip[2]) and panel.ui.strip.faces is strip
    qtbot.mouseClick(panel.ui.strip.views[5], Qt.MouseButton.LeftButton)
    settles(qtbot, window, panel.ui.face_view, b.decoded)  # t = 1 is face B itself
