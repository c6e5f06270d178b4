"""Colorize: automatic colorization of a gray picture, then guided by colour hints placed on the canvas.

A session starts from the document's picture (the *source*; a colour one is reduced to its lightness by the
model, and the panel says so). "Auto" shows the automatic result; every click on the canvas adds a hint
(drag to move it, right-click to delete it), and every hint change re-runs the model as a
"colorize-preview" job (the newest request wins) whose full-resolution result is shown as a preview, not
recorded. "Apply" records the current result as one undoable step. The palette offers the model's own most
likely colours at the selected hint (a "colorize-suggest" job, computed without that hint).

No torch here: the work is `app.core.colorize` functions run by the worker (imported inside the jobs, so
opening the editor does not load torch).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import QColorDialog, QWidget
from superqt.utils import qthrottled

from latent_studio.app.core.imageio import Picture, load_image
from latent_studio.app.core.jobs import Job
from latent_studio.app.gui.context import EditorContext
from latent_studio.app.gui.panels.base_panel import ToolPanel
from latent_studio.app.gui.panels.colorize.hints import (
    GRAB_RADIUS,
    RGB,
    HintPoint,
    HintSet,
    clamp_to,
    paint_hints,
    rgb8,
)
from latent_studio.app.gui.panels.colorize.jobs import colour_at, preview_job, suggest_job
from latent_studio.app.gui.panels.colorize.layout import PALETTE_SIZE, ColorizeControls
from latent_studio.app.gui.panels.colorize.palette import swatch_style
from latent_studio.models.errors import LatentStudioError

PREVIEW_KIND, SUGGEST_KIND, APPLY_KIND = "colorize-preview", "colorize-suggest", "colorize"
SCRIBBLE_MODIFIER = Qt.KeyboardModifier.ShiftModifier  # Shift+drag draws a scribble hint


class ColorizePanel(ToolPanel):
    title = "Colorize"
    shortcut = "Ctrl+Alt+C"
    wants_canvas_clicks = True

    def __init__(self, context: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.hints = HintSet()
        self.source: Picture | None = None  # the picture the session colorizes
        self.result = None  # the newest ColorizeResult, for `result_key`
        self.result_key: tuple | None = None
        self.reference: Picture | None = None  # a colour photo whose colours are matched by content
        self.brush: RGB | None = None  # the colour last chosen (the colour dialog's start; new hints take the model's)
        self._applied: Picture | None = None
        self._active = False  # a result is being shown as a preview
        self.ui = ColorizeControls(self, context.working_size)
        self._connect()
        self._throttled_preview = qthrottled(self.run_preview, timeout=150, leading=False, parent=self)
        canvas = context.canvas
        canvas.clicked.connect(self._on_canvas_clicked)
        canvas.dragged.connect(self._on_canvas_dragged)
        canvas.released.connect(self._on_canvas_released)
        canvas.add_overlay(self._paint_overlay)
        context.document.changed.connect(self._on_document_changed)
        self._update_controls()

    def _connect(self) -> None:
        ui = self.ui
        ui.auto_button.clicked.connect(self._on_auto)
        ui.apply_button.clicked.connect(self._on_apply)
        ui.hint_mode.toggled.connect(self._on_hint_mode)
        ui.colour_button.clicked.connect(self._on_choose_colour)
        ui.delete_button.clicked.connect(self._on_delete)
        ui.clear_button.clicked.connect(self._on_clear)
        ui.size_box.currentIndexChanged.connect(self._on_size_changed)
        ui.vividness_slider.valueChanged.connect(self._on_vividness_changed)
        ui.palette.picked.connect(self.set_colour)
        ui.reference_button.clicked.connect(self._on_choose_reference)
        ui.reference_remove.clicked.connect(self._on_remove_reference)
        ui.model_choice.chosen.connect(self._on_model_changed)

    @property
    def working_size(self) -> int:
        return self.ui.working_size

    @property
    def vividness(self) -> float:
        return self.ui.vividness

    @property
    def model_name(self) -> str:
        return self.ui.model_choice.name

    # --- the session ---------------------------------------------------------------------------------------

    def request_key(self) -> tuple:
        """What a result depends on: the source, the hints, the working size, the vividness, the reference and the
        model."""
        return (
            id(self.source),
            tuple(self.hints.points),
            self.working_size,
            self.vividness,
            id(self.reference),
            self.model_name,
        )

    def _ensure_source(self) -> Picture | None:
        if self.source is None:
            self.source = self.context.document.picture
        return self.source

    def run_preview(self) -> Job | None:
        """Re-run the model on the source with the current hints; the result is shown when it arrives."""
        source = self._ensure_source()
        if source is None:
            self.context.status("Open an image first.")
            return None
        self._active = True
        key = self.request_key()
        count = len(self.hints)
        self.ui.state_label.setText(f"Colorizing with {count} hint{'s' * (count != 1)}…" if count else "Colorizing…")
        job = self._colorize_job(PREVIEW_KIND, source, "Colorize preview")
        return self.context.runner.submit(
            job, on_result=partial(self._on_preview_ready, key), on_error=self.context.show_error
        )

    def _colorize_job(self, kind: str, source: Picture, description: str) -> Job:
        run = preview_job(
            source,
            self.hints.points,
            self.working_size,
            self.context.settings,
            self.vividness,
            self.reference,
            self.model_name,
        )
        return Job(kind, run, description)

    def _on_preview_ready(self, key: tuple, result) -> None:
        if key != self.request_key() or not self._active:
            return  # the hints changed meanwhile: a newer request is on its way
        self.result, self.result_key = result, key
        count = len(self.hints)
        self.ui.state_label.setText(
            f"Preview with {count} hint{'s' * (count != 1)}." if count else "Automatic preview."
        )
        self.ui.note_label.setText(result.note)
        self.ui.note_label.setVisible(bool(result.note))
        if self.is_shown:
            self.context.show_preview(result.picture)
        self._update_controls()

    def request_suggestions(self) -> Job | None:
        """Ask the model for its likeliest colours at the selected hint (ignoring that hint itself)."""
        point, source = self.hints.selected_point, self.source
        if point is None or source is None:
            self.ui.palette.set_colours([])
            return None
        others = self.hints.without(self.hints.selected)
        model = self.model_name  # the model the preview runs: its suggestions, not the shipped one's
        run = suggest_job(
            source, point.x, point.y, others, PALETTE_SIZE, self.working_size, self.context.settings, model
        )
        return self.context.runner.submit(
            Job(SUGGEST_KIND, run, "Suggest colours"),
            on_result=partial(self._on_suggestions, point, model),
            on_error=self.context.show_error,
        )

    def _on_suggestions(self, point: HintPoint, model: str, colours: list[RGB]) -> None:
        selected = self.hints.selected_point
        if model != self.model_name:
            return  # another model was chosen meanwhile: its own suggestions are on their way
        if selected is not None and (selected.x, selected.y) == (point.x, point.y):
            self.ui.palette.set_colours(colours)
            index = self.hints.selected
            if colours and index is not None and self.hints.adopt(index, colours[0]):  # a new hint: the top suggestion
                self._hints_changed()

    def set_colour(self, rgb: RGB) -> None:
        """The chosen colour goes to the selected hint (re-running the model); new hints start with the model's
        top suggestion at their point instead (see `HintSet.adopt`)."""
        brush = self.brush = rgb8(rgb)
        self.ui.colour_button.setStyleSheet(swatch_style(brush))
        if self.hints.selected is not None and self.hints.recolour(self.hints.selected, brush):
            self._hints_changed()

    def _hints_changed(self) -> None:
        self.context.canvas.update_overlays()
        self._update_controls()
        self.run_preview()

    def _end_session(self) -> None:
        self.context.runner.cancel(PREVIEW_KIND)
        self.context.runner.cancel(SUGGEST_KIND)
        self.hints.clear()
        self.source, self.result, self.result_key, self._active = None, None, None, False
        self.ui.palette.set_colours([])
        self.ui.note_label.clear()
        self.ui.note_label.hide()
        self.ui.state_label.clear()
        self.context.canvas.update_overlays()

    # --- slots ---------------------------------------------------------------------------------------------

    def _on_auto(self) -> None:
        self.hints.clear()
        self.ui.palette.set_colours([])
        self.context.canvas.update_overlays()
        self.run_preview()
        self._update_controls()

    def _on_apply(self) -> None:
        source = self._ensure_source()
        if source is None:
            return
        count = len(self.hints)
        label = f"Colorize ({count} hint{'s' * (count != 1)})" if count else "Colorize"
        if self.result is not None and self.result_key == self.request_key():
            self._apply(self.result.picture, label)
            return
        job = self._colorize_job(APPLY_KIND, source, label)
        self.context.runner.submit(
            job, on_result=lambda result: self._apply(result.picture, label), on_error=self.context.show_error
        )

    def _apply(self, picture: Picture, label: str) -> None:
        if self.context.document.picture is not self.source and self.context.document.picture is not self._applied:
            self.context.status(f"{label}: result discarded because the picture changed meanwhile.")
            return
        self._applied = picture
        self.context.apply_result(picture, label)

    def _on_document_changed(self) -> None:
        """Our own Apply (or an undo back to the source) keeps the hints; anything else starts afresh."""
        picture = self.context.document.picture
        self._active = False
        if picture is None or (picture is not self._applied and picture is not self.source):
            self._end_session()
        self._update_controls()

    def _on_canvas_clicked(self, x: float, y: float, button) -> None:
        source = self._ensure_source() if self._takes_clicks() else None
        if source is None:
            return
        radius = GRAB_RADIUS / self.context.canvas.zoom
        if button == Qt.MouseButton.RightButton:
            if self.hints.right_press(x, y, radius):
                self.request_suggestions()
                self._hints_changed()
            return
        if button != Qt.MouseButton.LeftButton or not (0 <= x < source.width and 0 <= y < source.height):
            return
        x, y = clamp_to(x, y, source.width, source.height)
        scribble = bool(QGuiApplication.keyboardModifiers() & SCRIBBLE_MODIFIER)
        # a new hint shows the colour under it until the model's suggestion there replaces it (then it runs)
        self.hints.press(x, y, radius, self._shown_colour(x, y), provisional=True, scribble=scribble)
        self.context.canvas.update_overlays()
        self._update_controls()
        if not scribble:  # a scribble asks once it is drawn
            self.request_suggestions()

    def _on_canvas_dragged(self, x: float, y: float, buttons) -> None:
        source = self.source
        if source is None or not self._takes_clicks() or not buttons & Qt.MouseButton.LeftButton:
            return
        if self.hints.drag(*clamp_to(x, y, source.width, source.height)):
            self.context.canvas.update_overlays()
            if not self.hints.scribbling:
                self._throttled_preview()

    def _on_canvas_released(self, x: float, y: float, button) -> None:
        drawn = self.hints.scribbling  # a scribble asks for its colour when released, even if never dragged
        if button == Qt.MouseButton.LeftButton and (self.hints.release() or drawn):
            self._throttled_preview.cancel()
            self.request_suggestions()
            point = self.hints.selected_point
            if point is None or not point.provisional:  # a provisional one runs when its colour arrives
                self.run_preview()

    def _on_choose_colour(self) -> None:
        point = self.hints.selected_point
        initial = QColor(*(point.rgb if point is not None else self.brush or (128, 128, 128)))
        colour = QColorDialog.getColor(initial, self, "Hint colour")
        if colour.isValid():
            self.set_colour((colour.red(), colour.green(), colour.blue()))

    def _on_delete(self) -> None:
        if self.hints.selected is not None and self.hints.remove(self.hints.selected):
            self.ui.palette.set_colours([])
            self._hints_changed()

    def _on_clear(self) -> None:
        if self.hints.clear():
            self.ui.palette.set_colours([])
            self._hints_changed()

    def _on_size_changed(self, _index: int) -> None:
        if self._active:
            self.run_preview()

    def _on_model_changed(self, _name: str) -> None:
        if self.hints.selected_point is not None:
            self.request_suggestions()  # the palette shows the chosen model's colours
        if self._active:
            self.run_preview()

    def _on_vividness_changed(self, _value: int) -> None:
        self.ui.show_vividness()
        if self._active:
            self._throttled_preview()

    def _on_choose_reference(self) -> None:
        from latent_studio.app.gui.files import ask_open_file
        from latent_studio.app.gui.image_convert import to_qimage

        path = ask_open_file(self, self.context.preferences, "Reference photo")
        if not path:
            return
        try:
            self.reference = load_image(path)
        except LatentStudioError as error:
            self.context.show_error(str(error))
            return
        self.ui.show_reference(to_qimage(self.reference.pixels))
        if self._ensure_source() is not None:
            self.run_preview()

    def _on_remove_reference(self) -> None:
        self.reference = None
        self.ui.show_reference(None)
        if self._active:
            self.run_preview()

    def _on_hint_mode(self, on: bool) -> None:
        self.wants_canvas_clicks = on
        self.context.canvas.set_hand_tool(not on)

    # --- panel life ----------------------------------------------------------------------------------------

    def panel_shown(self) -> None:
        if self._active and self.result is not None and self.result_key == self.request_key():
            self.context.show_preview(self.result.picture)
        self.context.canvas.update_overlays()

    def panel_hidden(self) -> None:
        if self._active:
            self.context.show_preview(None)  # other tools work on the document's picture, not our preview
        self.context.canvas.update_overlays()

    def shutdown(self) -> None:
        self._throttled_preview.cancel()
        for kind in (PREVIEW_KIND, SUGGEST_KIND, APPLY_KIND):
            self.context.runner.cancel(kind)

    # --- helpers -------------------------------------------------------------------------------------------

    def _takes_clicks(self) -> bool:
        return self.is_shown and self.ui.hint_mode.isChecked() and self.context.document.picture is not None

    def _shown_colour(self, x: float, y: float) -> RGB:
        """The colour the canvas shows there: a new hint keeps it until the user picks another."""
        shown = self.result.picture if self._active and self.result is not None else self.source
        if shown is None:  # no picture yet: a neutral gray until there is one
            return (128, 128, 128)
        return colour_at(shown, x, y)

    def _update_controls(self) -> None:
        has_picture = self.context.document.picture is not None
        for button in (self.ui.auto_button, self.ui.apply_button, self.ui.colour_button):
            button.setEnabled(has_picture)
        self.ui.delete_button.setEnabled(self.hints.selected is not None)
        self.ui.clear_button.setEnabled(len(self.hints) > 0)

    def _paint_overlay(self, painter: QPainter, zoom: float) -> None:
        if self.is_shown and self.hints.points:
            paint_hints(painter, zoom, self.hints)
