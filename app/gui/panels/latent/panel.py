"""Latent: edit the face in a photo by moving its face-VAE code along named directions.

A session starts from the document's picture (the *source*). The face box the core would choose is drawn on
the canvas; the user drags it (inside: move, a corner: resize, elsewhere: draw a new one) or sets its size,
then presses "Encode". Each slider (attribute, user and PCA directions, in sigma units) re-runs one decode
as a "latent-preview" job (the newest request wins, throttled by superqt), shown crisp in the panel; a
moment after the last change the pasted-back photo follows on the canvas ("latent-paste", debounced).
"Apply" records that photo as one undoable step; the box is the only part of the photo that changes.

Three explicit modes, chosen with the segmented selector at the top, each showing only its own controls:
**Edit** (the photo's face and its sliders), **Interpolate** (the photo's face A towards a second photo's face B
by t; the big face view follows t live, throttled, and the strip of thumbnails is a navigator: a click sets t)
and **Random** (a seed's face and its own sliders). As in the InterFaceGAN and StyleFlow demos, each mode keeps
its own state while another is shown and gets it back on return (`LatentSession`): nothing of one mode ever
enters another's face - the Edit sliders do not move an interpolated or a random face - and the face view, the
canvas preview and Apply always show or paste the current mode's result alone. Reset starts every mode over
(all sliders, t, the random face); face B stays loaded.

No torch here: the work is `app.core.latent` run by the worker through `latent.jobs`, and codes are opaque
objects handed from one job to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget
from superqt.utils import qdebounced, qthrottled

from latent_studio.app.core.face_edit import gray_face
from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Job, Progress
from latent_studio.app.gui.context import EditorContext
from latent_studio.app.gui.files import ask_open_file
from latent_studio.app.gui.panels.base_panel import ToolPanel
from latent_studio.app.gui.panels.latent.crop import CropTool
from latent_studio.app.gui.panels.latent.jobs import (
    DirectionInfo,
    Encoded,
    LatentModel,
    define_job,
    detect_job,
    encode_job,
    load_face_job,
    load_job,
    paste_job,
    preview_job,
    sample_job,
    strip_job,
)
from latent_studio.app.gui.panels.latent.layout import LatentControls
from latent_studio.app.gui.panels.latent.names import SliderNames
from latent_studio.app.gui.panels.latent.session import LatentSession, Mode, PasteKey
from latent_studio.app.gui.panels.latent.state import BoxTuple
from latent_studio.app.gui.panels.latent.widgets import NewDirectionDialog

LOAD, DETECT, ENCODE, LOAD_B = "latent-load", "latent-detect", "latent-encode", "latent-load-b"
PREVIEW, PASTE, APPLY, STRIP, SAMPLE, DEFINE = (
    "latent-preview",
    "latent-paste",
    "latent-apply",
    "latent-strip",
    "latent-sample",
    "latent-define",
)
KINDS = (LOAD, DETECT, ENCODE, LOAD_B, PREVIEW, PASTE, APPLY, STRIP, SAMPLE, DEFINE)


class LatentPanel(ToolPanel):
    title = "Latent"
    shortcut = "Ctrl+Alt+F"  # F for face: Ctrl+Alt+L is Rotate 90° Left
    wants_canvas_clicks = True

    def __init__(self, context: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.model = LatentModel()
        self.session = LatentSession()
        self.directions: tuple[DirectionInfo, ...] = ()
        self.source: Picture | None = None  # the picture this session edits
        self._pastes: dict[Mode, tuple[PasteKey, Picture]] = {}  # each mode's newest paste: (paste key, photo)
        self._strip_key: tuple[int, int] | None = None  # (id(A), id(B)) of the strip shown or coming
        self._applied: Picture | None = None
        self._loading = False
        self._closing = False
        self.ui = LatentControls(self)
        self.ui.directions.names = SliderNames(context.preferences.qsettings)  # the user's slider names
        self.cropper = CropTool(context.canvas, self.ui, self._takes_clicks, self._encoded_box, self)
        self._throttled_preview = qthrottled(self.request_preview, timeout=30, leading=True, parent=self)
        self._debounced_paste = qdebounced(self.request_paste, timeout=180, parent=self)
        self._debounced_encode = qdebounced(self.encode, timeout=250, parent=self)
        self.ui.show_mode(self.session.mode)
        self._connect()
        self._recipe_changed()

    def _connect(self) -> None:
        ui = self.ui
        ui.encode_button.clicked.connect(self.encode)
        ui.detect_button.clicked.connect(self.detect)
        self.cropper.edited.connect(self._box_edited)
        ui.apply_button.clicked.connect(self.apply)
        ui.reset_button.clicked.connect(self.reset_sliders)
        ui.show_on_photo.toggled.connect(self._on_show_on_photo)
        ui.keep_detail.toggled.connect(lambda _on: self._recipe_changed())
        ui.directions.moved.connect(self._on_slider_moved)
        ui.new_direction_button.clicked.connect(self._on_new_direction)
        ui.sample_button.clicked.connect(lambda: self.sample_face(ui.seed_box.value()))
        ui.load_b_button.clicked.connect(self._on_load_b)
        ui.clear_b_button.clicked.connect(self.clear_b)
        ui.t_slider.valueChanged.connect(self._on_t_changed)
        ui.strip.picked.connect(lambda t: ui.t_slider.setValue(round(t * 100)))
        for mode, button in ui.mode_buttons.items():
            button.clicked.connect(partial(self.set_mode, mode))
        self.context.document.changed.connect(self._on_document_changed)
        self.context.runner.cancelled.connect(self._on_cancelled)

    # --- jobs ----------------------------------------------------------------------------------------------

    @property
    def pasted(self) -> tuple[PasteKey, Picture] | None:
        """The current mode's newest paste (each mode keeps its own, so coming back shows it at once)."""
        return self._pastes.get(self.session.mode)

    @pasted.setter
    def pasted(self, value: tuple[PasteKey, Picture] | None) -> None:
        if value is None:
            self._pastes.pop(self.session.mode, None)
        else:
            self._pastes[self.session.mode] = value

    def _submit(
        self,
        kind: str,
        run: Callable[[Progress], Any],
        description: str,
        on_result: Callable[[Any], None],
        on_error: Callable[[str], None] | None = None,
    ) -> Job:
        job = Job(kind, run, description)
        return self.context.runner.submit(job, on_result=on_result, on_error=on_error or self._on_error)

    def load_model(self) -> None:
        """Load the VAE in the background so the sliders appear (errors go to the panel, not a dialog)."""
        if self.directions or self._loading:
            return
        self._loading = True
        self.ui.state_label.setText("Loading the face model…")
        self._submit(
            LOAD,
            load_job(self.model, self.context.settings),
            "Loading the face model",
            self._set_directions,
            self._on_load_failed,
        )

    def detect(self) -> None:
        source = self._ensure_source()
        if source is not None:
            self._submit(DETECT, detect_job(source), "Finding the face", self._on_detected)

    def encode(self) -> None:
        """Encode the face in the box (detected first if there is no box yet)."""
        source = self._ensure_source()
        if source is None:
            self.context.status("Open an image first.")
            return
        self.ui.state_label.setText("Encoding the face…")
        self._submit(
            ENCODE,
            encode_job(self.model, self.context.settings, source, self.cropper.box),
            "Encoding the face",
            partial(self._on_encoded, source),
        )

    def sample_face(self, seed: int) -> None:
        self._submit(
            SAMPLE,
            sample_job(self.model, self.context.settings, int(seed)),
            "Sampling a face",
            partial(self._on_sampled, int(seed)),
        )

    def load_b(self, path: str) -> None:
        self._submit(
            LOAD_B,
            load_face_job(self.model, self.context.settings, path),
            "Encoding face B",
            partial(self._on_b_loaded, path),
        )

    def define_direction(self, name: str, folder_with: str, folder_without: str) -> None:
        self.ui.state_label.setText(f"Computing the direction '{name}'…")
        self._submit(
            DEFINE,
            define_job(self.model, self.context.settings, name, folder_with, folder_without),
            f"New direction '{name}'",
            partial(self._on_defined, name),
        )

    def paste_key(self) -> PasteKey | None:
        return self.session.paste_key(self.ui.keep_detail.isChecked())

    def request_preview(self) -> None:
        """Decode the current recipe for the panel's face view (newest request wins)."""
        recipe = self.session.recipe()
        key = self.session.recipe_key()
        if recipe is not None and key is not None:
            self._submit(
                PREVIEW,
                preview_job(self.model, self.context.settings, recipe),
                "Latent preview",
                partial(self._on_preview, key),
            )

    def request_paste(self) -> None:
        """Paste the current recipe into the photo, for the canvas preview."""
        key = self.paste_key()
        run = self._paste_run()
        if key is None or run is None or not self._editing_source() or not self.ui.show_on_photo.isChecked():
            return
        if self.pasted is not None and self.pasted[0] == key:
            self._show_pasted()
            return
        self._submit(PASTE, run, "Latent paste preview", partial(self._on_pasted, self.session.mode, key))

    def _paste_run(self) -> Callable[[Progress], Picture] | None:
        recipe, source, encoded = self.session.recipe(), self.source, self.session.encoded
        if recipe is None or source is None or encoded is None:
            return None
        return paste_job(self.model, self.context.settings, recipe, source, encoded, self.ui.keep_detail.isChecked())

    def apply(self) -> None:
        """Record the current mode's pasted face as an undoable step (computed now if its newest paste is not
        current)."""
        key = self.paste_key()
        run = self._paste_run()
        if key is None or run is None:
            self.context.status(
                "Load a face B first." if self.session.encoded is not None else "Encode the face first."
            )
            return
        label = self.session.step_label()
        if self.pasted is not None and self.pasted[0] == key:
            self._apply(self.pasted[1], label)
            return
        self._submit(APPLY, run, label, lambda picture: self._apply(picture, label))

    def set_mode(self, mode: Mode) -> None:
        """Show `mode`'s controls and its own face, sliders and paste; the other modes keep theirs unchanged."""
        mode = Mode(mode)
        self.ui.show_mode(mode)
        if mode is self.session.mode:
            return
        self.session.mode = mode
        self.ui.directions.set_values(self.session.sliders.values)
        if self.is_shown and (self.pasted is None or self.pasted[0] != self.paste_key()):
            self.context.show_preview(None)  # never another mode's photo, even for the moment its paste takes
        self._recipe_changed()
        self.request_paste()  # at once: a mode switch is one click, not a drag

    def reset_sliders(self) -> None:
        """Reset: every slider of every mode, the interpolation's t and the random face (face B stays)."""
        self.session.reset()
        self.ui.directions.set_values(self.session.sliders.values)
        blocked = self.ui.t_slider.blockSignals(True)
        self.ui.t_slider.setValue(0)
        self.ui.t_slider.blockSignals(blocked)
        self.ui.t_value.setText(f"{self.session.t:.2f}")
        self.ui.strip.mark(self.session.t)
        self._recipe_changed()

    def clear_b(self) -> None:
        self.context.runner.cancel(LOAD_B)
        self.session.other = None
        self.ui.show_b(None, "")
        self._recipe_changed()

    # --- results ---------------------------------------------------------------------------------------------

    def _set_directions(self, directions: tuple[DirectionInfo, ...]) -> None:
        """Every model job's result carries the directions: the model is loaded, and the panel idle again."""
        self._loading = False
        self.ui.state_label.clear()
        if directions != self.directions:
            self.directions = directions
            self.session.set_names([d.name for d in directions])
            self.ui.directions.set_directions(directions, self.session.sliders.values)
        self._update_controls()

    def _on_load_failed(self, message: str) -> None:
        self._loading = False
        self.ui.state_label.setText(message)

    def _on_detected(self, result: tuple[BoxTuple, str]) -> None:
        box, note = result
        self._set_box(box)
        self.ui.note_label.setText(note)

    def _on_encoded(self, source: Picture, encoded: Encoded) -> None:
        if source is not self.source:
            self.ui.state_label.clear()
            return
        self.session.use_photo(encoded)
        self.pasted = None
        self._set_directions(encoded.directions)
        self._set_box(encoded.box)
        if not self.ui.note_label.text():  # encoded without a box first: the detector's note
            self.ui.note_label.setText(encoded.note)
        self.ui.crop_view.show_face(encoded.face)
        self._recipe_changed()

    def _on_sampled(self, seed: int, result: tuple[Any, tuple[DirectionInfo, ...]]) -> None:
        code, directions = result
        self.session.use_sample(seed, code)
        self._set_directions(directions)
        self._recipe_changed()

    def _on_b_loaded(self, path: str, encoded: Encoded) -> None:
        self.session.other = encoded
        self.ui.show_b(encoded.face, f"{Path(path).name}: {encoded.note}")
        self._recipe_changed()

    def _on_defined(self, name: str, directions: tuple[DirectionInfo, ...]) -> None:
        self._set_directions(directions)
        self.context.status(f"New direction '{name}' added; it is saved with your directions.")
        self._recipe_changed()

    def _on_preview(self, key: tuple[Any, ...], face: Any) -> None:
        if key == self.session.recipe_key():
            gray_photo = self.source is not None and self.source.is_gray
            self.ui.face_view.show_face(gray_face(face) if gray_photo else face)  # as it will be pasted

    def _on_pasted(self, mode: Mode, key: PasteKey, picture: Picture) -> None:
        if mode is self.session.mode and key == self.paste_key():
            self.pasted = (key, picture)
            self._show_pasted()

    def _show_pasted(self) -> None:
        if self.is_shown and self.pasted is not None and self._editing_source() and self.ui.show_on_photo.isChecked():
            self.context.show_preview(self.pasted[1])

    def _apply(self, picture: Picture, label: str) -> None:
        if not self._editing_source():
            self.context.status(f"{label}: result discarded because the picture changed meanwhile.")
            return
        self._applied = picture
        self.context.apply_result(picture, label)

    def _on_error(self, message: str) -> None:
        self.ui.state_label.setText("")
        self.context.show_error(message)

    def _on_cancelled(self, kind: str) -> None:
        if kind in (LOAD, ENCODE, DEFINE):
            self.ui.state_label.clear()
        if kind == STRIP:
            self._strip_key = None  # decoded again at the next change
        if kind == LOAD:  # e.g. opening a file cancels every picture job: the model does not depend on it
            self._loading = False
            if self.is_shown and not self._closing:
                self.load_model()

    # --- slots -------------------------------------------------------------------------------------------------

    def _on_slider_moved(self, name: str, value: float) -> None:
        if self.session.sliders.set(name, value):
            self._recipe_changed(throttled=True)

    def _on_t_changed(self, ticks: int) -> None:
        """t moved (the slider, or a click on the strip): the big face view follows, throttled."""
        self.session.t = ticks / 100
        self.ui.t_value.setText(f"{self.session.t:.2f}")
        self.ui.strip.mark(self.session.t)
        if self.session.other is not None and self.session.mode is Mode.INTERPOLATE:
            self._recipe_changed(throttled=True)

    def _on_show_on_photo(self, on: bool) -> None:
        if on:
            self.request_paste()
        else:
            self.context.show_preview(None)

    def _on_new_direction(self) -> None:
        dialog = NewDirectionDialog(self, self.context.preferences)
        if dialog.exec():
            self.define_direction(*dialog.values())

    def _on_load_b(self) -> None:
        path = ask_open_file(self, self.context.preferences, "Face B")
        if path:
            self.load_b(path)

    def _on_document_changed(self) -> None:
        """Our own Apply (or an undo back to the source) keeps the session; any other picture starts a new one."""
        picture = self.context.document.picture
        if picture is not None and (picture is self.source or picture is self._applied):
            return
        for kind in (DETECT, ENCODE, PASTE, APPLY):
            self.context.runner.cancel(kind)
        self.source, self._applied = None, None
        self._pastes.clear()
        self.session.forget_photo()
        self.cropper.start(0, 0)
        self.ui.crop_view.show_face(None, "")
        self.ui.note_label.clear()
        if picture is not None and self.is_shown:
            self._ensure_source()
            self.detect()
        self._recipe_changed()

    # --- helpers -------------------------------------------------------------------------------------------------

    def _ensure_source(self) -> Picture | None:
        if self.source is None and self.context.document.picture is not None:
            self.source = self.context.document.picture
            self.cropper.start(self.source.width, self.source.height)
        return self.source

    def _editing_source(self) -> bool:
        picture = self.context.document.picture
        return self.source is not None and (picture is self.source or picture is self._applied)

    def _set_box(self, box: BoxTuple | None) -> None:
        self.cropper.set_box(box)
        self._update_controls()

    def _takes_clicks(self) -> bool:
        return self.is_shown and self._editing_source()

    def _encoded_box(self) -> BoxTuple | None:
        return self.session.encoded.box if self.session.encoded is not None else None

    def _box_edited(self, debounce: bool = False) -> None:
        """A new box: once a face was encoded, encode the new crop too (the sliders then move that face)."""
        self._update_controls()
        self.ui.note_label.setText(
            "Using your box." + ("" if self.session.encoded is not None else " Press Encode when it frames the face.")
        )
        if self.session.encoded is not None:
            if debounce:
                self._debounced_encode()
            else:
                self.encode()

    def _recipe_changed(self, throttled: bool = False) -> None:
        self.pasted = None if self.pasted is not None and self.pasted[0] != self.paste_key() else self.pasted
        recipe = self.session.recipe()
        if recipe is None:
            self.ui.face_view.show_face(None, self.session.empty_text())
        elif throttled:
            self._throttled_preview()
        else:
            self.request_preview()
        if self.paste_key() is not None:
            self._debounced_paste()
        elif self.is_shown:
            self.context.show_preview(None)  # nothing of this mode to paste: the canvas shows the document
        self._update_strip()
        self._update_controls()

    def _update_strip(self) -> None:
        """The A-to-B thumbnails, decoded again only when A or B changes (not when t moves)."""
        a, b = self.session.encoded, self.session.other
        if a is None or b is None:
            if self._strip_key is not None:
                self._strip_key = None
                self.context.runner.cancel(STRIP)
                self.ui.strip.show_faces(None)
            return
        key = (id(a.code), id(b.code))
        if key == self._strip_key:
            return
        self._strip_key = key
        self._submit(
            STRIP,
            strip_job(self.model, self.context.settings, a.code, b.code, self.ui.strip.count),
            "Interpolation strip",
            partial(self._on_strip, key),
        )

    def _on_strip(self, key: tuple[int, int], faces: Any) -> None:
        if key == self._strip_key:
            self.ui.strip.show_faces(faces)
            self.ui.strip.mark(self.session.t)

    def _update_controls(self) -> None:
        self.ui.update_enabled(
            has_picture=self.context.document.picture is not None,
            has_box=self.cropper.box is not None,
            can_apply=self.paste_key() is not None,
            has_model=bool(self.directions),
            has_b=self.session.other is not None,
            describe=self.session.describe(),
            has_face=self.session.base is not None,
            sliders_hint=self.session.sliders_hint(),
        )

    # --- panel life ----------------------------------------------------------------------------------------------

    def panel_shown(self) -> None:
        self.load_model()
        if self._ensure_source() is not None and self.cropper.box is None:
            self.detect()
        self._show_pasted()
        self.context.canvas.update_overlays()

    def panel_hidden(self) -> None:
        if self.pasted is not None:
            self.context.show_preview(None)  # other tools work on the document's picture, not our preview
        self.context.canvas.update_overlays()

    def shutdown(self) -> None:
        self._closing = True
        for throttle in (self._throttled_preview, self._debounced_paste, self._debounced_encode):
            throttle.cancel()
        for kind in KINDS:
            self.context.runner.cancel(kind)
