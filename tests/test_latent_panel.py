"""The Latent panel: its slider and crop-box state on their own, and the real window driven end to end with the
shipped face VAE (encode, slide, apply, undo; repeatable sampling; interpolation; a user-defined direction).

The window tests open small synthetic pictures (no face is found, so the crop falls back to a centred
square, or the detector's box if it sees one) and wait on the worker's signals, never sleeping. They skip
until the VAE is shipped in weights/.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from latent_studio.app.core.imageio import Picture, save_image
from latent_studio.app.gui.image_convert import from_qimage
from latent_studio.app.gui.panels.latent.state import MIN_BOX, CropBox, SliderState
from latent_studio.app.gui.panels.latent.widgets import NewDirectionDialog
from latent_studio.models.manifest import read_manifest, weights_dir
from latent_studio.models.vae.spec import VAE
from tests.conftest import running_window

TIMEOUT = 20_000


# --- state, synchronously ---------------------------------------------------------------------------------


def test_slider_state_clamps_keys_and_describes():
    state = SliderState(["young", "female", "pc1"])
    assert state.set("young", 1.234) and state.values["young"] == 1.23
    assert not state.set("young", 1.23) and not state.set("unknown", 1.0)
    assert state.set("female", -7) and state.values["female"] == -3.0
    assert state.active() == {"young": 1.23, "female": -3.0}
    assert state.key() == (("female", -3.0), ("young", 1.23))
    assert state.describe() == "female -3.00, young +1.23"
    state.set_names(["young", "pc1", "smiling"])  # a user direction appears, one disappears
    assert state.values == {"young": 1.23, "pc1": 0.0, "smiling": 0.0}
    assert state.reset() and not state.reset() and state.key() == ()
    assert SliderState.from_ticks(SliderState.to_ticks(-1.5)) == -1.5


def test_crop_box_moves_resizes_about_the_far_corner_and_draws():
    crop = CropBox(200, 100)
    crop.set_box((50, 20, 60))
    assert crop.press(80, 50, radius=4) == "move"
    assert crop.drag(90, 55) and crop.box == (60, 25, 60)
    assert crop.release() and not crop.dragging
    assert crop.press(121, 86, radius=4) == "resize"  # bottom-right corner: the top-left one stays put
    crop.drag(140, 100)
    assert crop.release() and crop.box == (60, 25, 80)
    assert crop.press(62, 27, radius=4) == "resize"  # top-left corner: the bottom-right one stays put
    crop.drag(100, 60)
    crop.release()
    assert crop.box == (95, 60, 45)  # the longer of the two moves sets the side
    assert crop.press(10, 10, radius=4) == "draw"
    crop.drag(12, 11)  # tiny: the minimum size
    crop.release()
    assert crop.box == (10, 10, MIN_BOX)
    assert crop.press(-50, -50, radius=4) is None  # outside the picture and the box: nothing
    assert crop.set_size(500) and crop.box[2] == 200  # at most the picture's longer side
    crop.set_box((1000, 1000, 40))  # the centre stays on the picture
    assert crop.box == (180, 80, 40)


def test_session_keys_follow_what_the_user_set_and_name_the_step():
    from latent_studio.app.gui.panels.latent.jobs import Encoded
    from latent_studio.app.gui.panels.latent.session import LatentSession, Mode

    session = LatentSession()
    session.set_names(["young", "female"])
    assert session.recipe() is None and session.paste_key(True) is None
    sampled = object()
    session.use_sample(5, sampled)
    assert session.recipe() is None  # Edit mode: the photo's face only, and none is encoded
    session.mode = Mode.RANDOM
    assert session.recipe().base is sampled and session.paste_key(True) is None  # no photo face to paste into
    photo = Encoded(object(), (0, 0, 32), "", np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8), ())
    session.use_photo(photo)
    assert session.recipe().base is sampled and session.step_label() == "Latent edit (random face 5)"
    session.mode = Mode.EDIT
    key = session.paste_key(True)
    assert key is not None and key != session.paste_key(False)
    session.sliders.set("young", 1.5)
    assert session.paste_key(True) != key and session.step_label() == "Latent edit (young +1.50)"
    session.t = 0.5
    assert session.recipe().t == 0.0  # Edit mode: t means nothing
    session.other = photo
    assert session.recipe().other is None and session.recipe().t == 0.0
    session.mode = Mode.INTERPOLATE  # A towards B, without the Edit sliders
    assert session.recipe().t == 0.5 and session.recipe().sliders == ()
    assert session.step_label() == "Latent edit (50% towards B)"
    session.mode = Mode.RANDOM  # its own sliders, untouched by Edit's
    assert session.recipe().sliders == () and session.random_sliders.set("young", -1.0)
    assert session.recipe().sliders == (("young", -1.0),) and session.edit_sliders.values["young"] == 1.5
    session.forget_photo()
    assert session.describe() == "Random face 5." and session.paste_key(True) is None


def test_new_direction_dialog_needs_a_valid_name_and_two_folders(qtbot):
    dialog = NewDirectionDialog()
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.name_edit.setText("smiling")
    dialog.with_edit.setText("/a")
    assert not ok.isEnabled()
    dialog.without_edit.setText("/b")
    assert ok.isEnabled() and dialog.values() == ("smiling", "/a", "/b")
    dialog.name_edit.setText("1bad")  # the validator refuses a leading digit
    assert dialog.name_edit.text() != "1bad" or not ok.isEnabled()


# --- the real window with the shipped VAE -------------------------------------------------------------------

shipped = VAE.weights_file in read_manifest(weights_dir()).get("files", {})
needs_vae = pytest.mark.skipif(not shipped, reason="the face VAE is not shipped in weights/ yet")


@pytest.fixture
def window(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("LATENT_STUDIO_DIRECTIONS", str(tmp_path / "directions"))
    with running_window(qtbot, monkeypatch) as window:
        yield window


def face_like(seed: int = 0, width: int = 120, height: int = 96) -> np.ndarray:
    """A gray backdrop with a skin-coloured oval, two eyes and a mouth (not necessarily a detectable face)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.empty((height, width, 3), np.float32)
    pixels[:] = rng.uniform(60, 160, 3)
    cx, cy = width / 2 + rng.uniform(-4, 4), height / 2
    oval = ((x - cx) / 28) ** 2 + ((y - cy) / 36) ** 2 < 1
    pixels[oval] = np.array((205, 160, 130)) + rng.uniform(-30, 30, 3)
    for ex in (cx - 11, cx + 11):
        pixels[((x - ex) / 5) ** 2 + ((y - cy + 8) / 3) ** 2 < 1] = (40, 30, 30)
    pixels[(np.abs(x - cx) < 10) & (np.abs(y - cy - 16) < 2)] = (150, 60, 60)
    return np.clip(pixels + rng.normal(0, 4, pixels.shape), 0, 255).astype(np.uint8)


def write(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(Picture(pixels), path)
    return path


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return int(np.abs(a.astype(int) - b).max()) <= 2


def wait_for(qtbot, window, *kinds: str):
    signals = [window.runner.finished] * len(kinds)
    checks = [lambda kind, _, wanted=wanted: kind == wanted for wanted in kinds]
    return qtbot.waitSignals(signals, timeout=TIMEOUT, check_params_cbs=checks, order="none")


def latent_panel(qtbot, window):
    """Show the panel and wait until its sliders are built (and the face box found, with a picture open)."""
    from latent_studio.app.gui.panels.latent.panel import LatentPanel

    index = next(i for i, panel in enumerate(window.panels) if isinstance(panel, LatentPanel))
    window.docks[index].show()
    window.docks[index].raise_()
    panel = window.panels[index]
    qtbot.waitUntil(lambda: "young" in panel.ui.directions.sliders, timeout=TIMEOUT)
    if window.document.picture is not None:
        qtbot.waitUntil(lambda: panel.cropper.box is not None, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.runner.is_busy() and not window.canvas.hand_tool, timeout=TIMEOUT)
    return panel


def switch_mode(qtbot, panel, mode: str) -> None:
    """Click the mode selector's button (edit, interpolate or random)."""
    from latent_studio.app.gui.panels.latent.session import Mode

    qtbot.mouseClick(panel.ui.mode_buttons[Mode(mode)], Qt.MouseButton.LeftButton)
    assert panel.session.mode is Mode(mode)


def open_image(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, _: kind == "open"):
        window.open_path(str(path))


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    """An empty weights folder; request it before `window`, so no job ever sees the real one."""
    import latent_studio.models.registry as registry

    (tmp_path / "no-weights").mkdir()
    monkeypatch.setattr(registry, "_DEFAULT", registry.Registry(tmp_path / "no-weights"))


def test_without_weights_the_panel_says_so_and_encode_reports_it(no_weights, qtbot, window, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: errors.append(text))
    open_image(qtbot, window, write(tmp_path / "face.png", face_like()))
    from latent_studio.app.gui.panels.latent.panel import LatentPanel

    index = next(i for i, panel in enumerate(window.panels) if isinstance(panel, LatentPanel))
    panel = window.panels[index]
    window.docks[index].raise_()
    qtbot.waitUntil(lambda: "manifest" in panel.ui.state_label.text(), timeout=TIMEOUT)  # no dialog just for looking
    assert errors == [] and panel.ui.directions.sliders == {}
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)
    with qtbot.waitSignal(window.runner.failed, timeout=TIMEOUT):
        qtbot.mouseClick(panel.ui.encode_button, Qt.MouseButton.LeftButton)
    assert len(errors) == 1 and errors[0].startswith(f"No shipped weights in {tmp_path / 'no-weights'}: ")
    assert window.document.history.stack.count() == 0


@needs_vae
def test_encode_slide_apply_undo_in_the_real_window(qtbot, window, tmp_path):
    open_image(qtbot, window, write(tmp_path / "face.png", face_like()))
    original = window.document.picture
    panel = latent_panel(qtbot, window)
    assert {"young", "female", "pc1"} <= set(panel.ui.directions.sliders)
    assert panel.cropper.box is not None and panel.session.encoded is None

    # 1. drag the box a little on the canvas (not encoded yet: nothing runs), then Encode
    x, y, side = panel.cropper.box
    canvas = window.canvas
    canvas.clicked.emit(x + side / 2, y + side / 2, Qt.MouseButton.LeftButton)
    canvas.dragged.emit(x + side / 2 + 3, y + side / 2 + 2, Qt.MouseButton.LeftButton)
    canvas.released.emit(x + side / 2 + 3, y + side / 2 + 2, Qt.MouseButton.LeftButton)
    assert panel.cropper.box == (x + 3, y + 2, side) and not window.runner.is_busy()
    with wait_for(qtbot, window, "latent-encode", "latent-preview", "latent-paste"):
        qtbot.mouseClick(panel.ui.encode_button, Qt.MouseButton.LeftButton)
    assert panel.session.encoded.box == (x + 3, y + 2, side)
    unedited = panel.ui.face_view.pixels.copy()
    assert unedited.shape == (128, 128, 3) and panel.ui.face_view.pixmap().width() == 192
    assert np.array_equal(unedited, panel.session.encoded.decoded)

    # 2. drag a slider: decodes follow in the panel (the newest request wins), then the pasted photo on the
    #    canvas a moment after the last move (a later job than the last decode), the document untouched
    with wait_for(qtbot, window, "latent-paste"):
        for value in (0.5, 1.0, 1.5, 2.0, 2.5):
            panel.ui.directions.sliders["young"].setValue(value)
    edited = panel.ui.face_view.pixels.copy()
    assert np.abs(edited.astype(int) - unedited).mean() > 2
    with wait_for(qtbot, window, "latent-preview"):
        panel.request_preview()  # the view already showed the final position's face
    assert np.array_equal(panel.ui.face_view.pixels, edited)
    pasted = panel.pasted[1]
    assert np.array_equal(from_qimage(canvas.displayed_image(), with_alpha=False), pasted.pixels)
    assert window.document.picture is original

    # 3. Apply: one undoable step that changed the box and nothing outside it; undo restores the photo
    qtbot.mouseClick(panel.ui.apply_button, Qt.MouseButton.LeftButton)
    assert window.document.history.stack.undoText() == "Latent edit (young +2.50)"
    after, before = window.document.picture.pixels, original.pixels
    bx, by, bside = panel.session.encoded.box
    inside = np.zeros(before.shape[:2], bool)
    inside[max(0, by) : by + bside, max(0, bx) : bx + bside] = True
    assert np.array_equal(after[~inside], before[~inside])
    assert np.abs(after[inside].astype(int) - before[inside]).mean() > 1
    window.editor_actions.undo.trigger()
    assert window.document.picture is original
    assert np.array_equal(from_qimage(canvas.displayed_image(), with_alpha=False), before)

    # 4. Reset puts every slider back and the face view shows the unedited decode again
    with wait_for(qtbot, window, "latent-preview", "latent-paste"):
        qtbot.mouseClick(panel.ui.reset_button, Qt.MouseButton.LeftButton)
    assert panel.ui.directions.sliders["young"].value() == 0
    assert np.array_equal(panel.ui.face_view.pixels, unedited)


@needs_vae
def test_sampling_with_a_seed_is_repeatable(qtbot, window):
    panel = latent_panel(qtbot, window)
    switch_mode(qtbot, panel, "random")
    assert panel.ui.sample_button.isVisibleTo(panel) and not panel.ui.load_b_button.isVisibleTo(panel)

    def sample(seed: int) -> np.ndarray:
        panel.ui.seed_box.setValue(seed)
        with wait_for(qtbot, window, "latent-sample", "latent-preview"):
            qtbot.mouseClick(panel.ui.sample_button, Qt.MouseButton.LeftButton)
        return panel.ui.face_view.pixels.copy()

    first, other, again = sample(7), sample(8), sample(7)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert not panel.ui.apply_button.isEnabled()  # no photo face to paste into yet


@needs_vae
def test_a_new_direction_from_two_folders_adds_a_slider(qtbot, window, tmp_path):
    panel = latent_panel(qtbot, window)
    for i in range(3):
        write(tmp_path / "bright" / f"{i}.png", np.clip(face_like(seed=i).astype(int) + 60, 0, 255).astype(np.uint8))
        write(tmp_path / "dark" / f"{i}.png", (face_like(seed=10 + i) // 2).astype(np.uint8))
    assert "bright" not in panel.ui.directions.sliders
    panel.ui.directions.sliders["female"].setValue(1.0)
    with wait_for(qtbot, window, "latent-define"):
        panel.define_direction("bright", str(tmp_path / "bright"), str(tmp_path / "dark"))
    assert "bright" in panel.ui.directions.sliders
    assert panel.ui.directions.sliders["female"].value() == pytest.approx(1.0)  # other values survive the rebuild
    assert (tmp_path / "directions" / "bright.safetensors").is_file()
    switch_mode(qtbot, panel, "random")
    with wait_for(qtbot, window, "latent-sample", "latent-preview"):
        qtbot.mouseClick(panel.ui.sample_button, Qt.MouseButton.LeftButton)
    plain = panel.ui.face_view.pixels.copy()
    with wait_for(qtbot, window, "latent-preview"):
        panel.ui.directions.sliders["bright"].setValue(3.0)
    assert panel.ui.face_view.pixels.astype(int).mean() > plain.astype(int).mean()


@needs_vae
def test_a_gray_photo_stays_gray_and_only_its_box_changes():
    from latent_studio.app.core.device import ComputeSettings
    from latent_studio.app.core.jobs import run_sync
    from latent_studio.app.gui.panels.latent.jobs import LatentModel, Recipe, encode_job, paste_job

    pixels = face_like(seed=5)
    gray = np.repeat(pixels.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    photo, model, settings = Picture(gray, is_gray=True), LatentModel(), ComputeSettings(device="cpu")
    encoded = run_sync(encode_job(model, settings, photo, (20, 10, 70)))
    assert encoded.box == (20, 10, 70)
    pasted = run_sync(
        paste_job(model, settings, Recipe(encoded.code, sliders=(("young", 3.0),)), photo, encoded, True)
    ).pixels
    assert (
        pasted.dtype == np.uint8
        and (pasted[..., 0] == pasted[..., 1]).all()
        and (pasted[..., 1] == pasted[..., 2]).all()
    )
    inside = np.zeros(gray.shape[:2], bool)
    inside[10:80, 20:90] = True
    assert np.array_equal(pasted[~inside], gray[~inside]) and not np.array_equal(pasted, gray)


@needs_vae
def test_sliders_wait_for_a_face_and_reset_clears_sliders_t_and_the_random_face(qtbot, window, tmp_path):
    open_image(qtbot, window, write(tmp_path / "face.png", face_like()))
    panel = latent_panel(qtbot, window)
    # 1. no face encoded yet: the sliders are disabled and one line says why
    assert not panel.ui.directions.isEnabled() and panel.ui.sliders_hint.isVisibleTo(panel)
    assert panel.ui.sliders_hint.text() == "Encode a face to use the sliders." and not panel.ui.reset_button.isEnabled()
    with wait_for(qtbot, window, "latent-encode", "latent-preview", "latent-paste"):
        qtbot.mouseClick(panel.ui.encode_button, Qt.MouseButton.LeftButton)
    assert panel.ui.directions.isEnabled() and not panel.ui.sliders_hint.isVisibleTo(panel)
    own = panel.ui.face_view.pixels.copy()
    with wait_for(qtbot, window, "latent-preview"):
        panel.ui.directions.sliders["young"].setValue(2.0)
    # 2. Random: no face yet, so its sliders wait too; a sampled face and a slider of its own
    switch_mode(qtbot, panel, "random")
    assert not panel.ui.directions.isEnabled() and panel.ui.sliders_hint.text() == "Sample a face to use the sliders."
    panel.ui.seed_box.setValue(11)
    with wait_for(qtbot, window, "latent-sample", "latent-preview"):
        qtbot.mouseClick(panel.ui.sample_button, Qt.MouseButton.LeftButton)
    with wait_for(qtbot, window, "latent-preview"):
        panel.ui.directions.sliders["female"].setValue(1.0)
    # 3. Interpolate: a second face B at t = 0.6; then Reset undoes every mode's state
    switch_mode(qtbot, panel, "interpolate")
    with wait_for(qtbot, window, "latent-load-b", "latent-strip", "latent-preview"):
        panel.load_b(str(write(tmp_path / "b.png", face_like(seed=3))))
    with wait_for(qtbot, window, "latent-preview"):
        panel.ui.t_slider.setValue(60)
    assert panel.session.sample is not None and panel.session.t == 0.6
    with wait_for(qtbot, window, "latent-preview"):
        qtbot.mouseClick(panel.ui.reset_button, Qt.MouseButton.LeftButton)
    assert panel.session.sample is None and panel.session.t == 0 and panel.ui.t_slider.value() == 0
    assert not panel.session.edit_sliders.active() and not panel.session.random_sliders.active()
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)
    assert np.array_equal(panel.ui.face_view.pixels, own)  # t = 0: the photo's own face (A)
    switch_mode(qtbot, panel, "edit")
    assert panel.ui.directions.sliders["young"].value() == 0
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=TIMEOUT)
    assert np.array_equal(panel.ui.face_view.pixels, own)  # the photo's own face again
    switch_mode(qtbot, panel, "random")
    assert panel.ui.face_view.pixels is None and panel.ui.face_view.text() == "Press Sample for a random face."
