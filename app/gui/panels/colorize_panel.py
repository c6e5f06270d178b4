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
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QCheckBox, QColorDialog, QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget,
)
from superqt.utils import qthrottled

from app.core.imageio import Picture
from app.core.jobs import Job
from app.gui.context import EditorContext
from app.gui.panels.base_panel import ToolPanel
from app.gui.panels.colorize_hints import GRAB_RADIUS, RGB, HintPoint, HintSet, clamp_to, paint_hints
from app.gui.panels.colorize_jobs import colour_at, preview_job, suggest_job
from app.gui.panels.colorize_palette import SwatchPalette, swatch_style

WORKING_SIZES = (256, 512)
PALETTE_SIZE = 8
PREVIEW_KIND, SUGGEST_KIND, APPLY_KIND = "colorize-preview", "colorize-suggest", "colorize"
VIVIDNESS_HELP = ("0 %: natural colours, the model's most accurate (measured on held-out photos). Higher: more "
                  "colourful, close to real photos at 100 %, with more wrong guesses.")
HELP = "Click the picture to add a colour hint, drag a hint to move it, right-click a hint to delete it."


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
        self.brush: RGB | None = None  # the colour chosen for new hints (None: the colour shown there)
        self._applied: Picture | None = None
        self._active = False  # a result is being shown as a preview
        self._build()
        self._throttled_preview = qthrottled(self.run_preview, timeout=150, leading=False, parent=self)
        canvas = context.canvas
        canvas.clicked.connect(self._on_canvas_clicked)
        canvas.dragged.connect(self._on_canvas_dragged)
        canvas.released.connect(self._on_canvas_released)
        canvas.add_overlay(self._paint_overlay)
        context.document.changed.connect(self._on_document_changed)
        self._update_controls()

    # --- widgets -----------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        self.auto_button = QPushButton("Auto")
        self.auto_button.setToolTip("Colorize automatically, without hints (removes the hints)")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Make the colorized picture the current one (undoable)")
        row = QHBoxLayout()
        row.addWidget(self.auto_button)
        row.addWidget(self.apply_button)
        layout.addLayout(row)

        self.hint_mode = QCheckBox("Place hints")
        self.hint_mode.setChecked(True)
        self.hint_mode.setToolTip(HELP + " Turn off to pan with the left button.")
        self.colour_button = QPushButton("Hint colour…")
        self.colour_button.setToolTip("Choose the colour of the selected hint and of new hints")
        row = QHBoxLayout()
        row.addWidget(self.hint_mode)
        row.addWidget(self.colour_button)
        layout.addLayout(row)

        layout.addWidget(QLabel("Suggested colours at the selected hint:"))
        self.palette = SwatchPalette(PALETTE_SIZE)
        layout.addWidget(self.palette)

        self.delete_button = QPushButton("Delete hint")
        self.clear_button = QPushButton("Clear hints")
        row = QHBoxLayout()
        row.addWidget(self.delete_button)
        row.addWidget(self.clear_button)
        layout.addLayout(row)

        self.size_box = QComboBox()
        for size in WORKING_SIZES:
            self.size_box.addItem(f"{size} px (short side)", size)
        preferred = min(WORKING_SIZES, key=lambda size: abs(size - self.context.working_size))
        self.size_box.setCurrentIndex(WORKING_SIZES.index(preferred))
        self.size_box.setToolTip("The size the model works at: 256 is faster, 512 keeps finer colour detail. "
                                 "The result always has the picture's full size.")
        row = QHBoxLayout()
        row.addWidget(QLabel("Working size:"))
        row.addWidget(self.size_box, 1)
        layout.addLayout(row)

        self.vividness_slider = QSlider(Qt.Orientation.Horizontal)
        self.vividness_slider.setRange(0, 100)
        self.vividness_slider.setSingleStep(5)
        self.vividness_slider.setPageStep(25)
        self.vividness_slider.setToolTip(VIVIDNESS_HELP)
        self.vividness_label = QLabel()
        self.vividness_label.setMinimumWidth(36)
        row = QHBoxLayout()
        row.addWidget(QLabel("Vividness:"))
        row.addWidget(self.vividness_slider, 1)
        row.addWidget(self.vividness_label)
        layout.addLayout(row)
        self._show_vividness()

        self.help_label = QLabel(HELP)
        self.note_label = QLabel()
        self.state_label = QLabel()
        for label in (self.help_label, self.note_label, self.state_label):
            label.setWordWrap(True)
        self.help_label.setStyleSheet("color: #8e949e;")
        self.note_label.setStyleSheet("color: #f0b450;")
        self.note_label.hide()
        layout.addWidget(self.state_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.help_label)
        layout.addStretch(1)

        self.auto_button.clicked.connect(self._on_auto)
        self.apply_button.clicked.connect(self._on_apply)
        self.hint_mode.toggled.connect(self._on_hint_mode)
        self.colour_button.clicked.connect(self._on_choose_colour)
        self.delete_button.clicked.connect(self._on_delete)
        self.clear_button.clicked.connect(self._on_clear)
        self.size_box.currentIndexChanged.connect(self._on_size_changed)
        self.vividness_slider.valueChanged.connect(self._on_vividness_changed)
        self.palette.picked.connect(self.set_colour)

    @property
    def working_size(self) -> int:
        return int(self.size_box.currentData())

    @property
    def vividness(self) -> float:
        return self.vividness_slider.value() / 100

    # --- the session ---------------------------------------------------------------------------------------

    def request_key(self) -> tuple:
        """What a result depends on: the source, the hints, the working size and the vividness."""
        return (id(self.source), tuple(self.hints.points), self.working_size, self.vividness)

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
        self.state_label.setText(f"Colorizing with {count} hint{'s' * (count != 1)}…" if count else "Colorizing…")
        job = self._colorize_job(PREVIEW_KIND, source, "Colorize preview")
        return self.context.runner.submit(job, on_result=partial(self._on_preview_ready, key),
                                          on_error=self.context.show_error)

    def _colorize_job(self, kind: str, source: Picture, description: str) -> Job:
        run = preview_job(source, self.hints.points, self.working_size, self.context.settings, self.vividness)
        return Job(kind, run, description)

    def _on_preview_ready(self, key: tuple, result) -> None:
        if key != self.request_key() or not self._active:
            return  # the hints changed meanwhile: a newer request is on its way
        self.result, self.result_key = result, key
        count = len(self.hints)
        self.state_label.setText(f"Preview with {count} hint{'s' * (count != 1)}." if count else "Automatic preview.")
        self.note_label.setText(result.note)
        self.note_label.setVisible(bool(result.note))
        if self.is_shown:
            self.context.show_preview(result.picture)
        self._update_controls()

    def request_suggestions(self) -> Job | None:
        """Ask the model for its likeliest colours at the selected hint (ignoring that hint itself)."""
        point, source = self.hints.selected_point, self.source
        if point is None or source is None:
            self.palette.set_colours([])
            return None
        others = self.hints.without(self.hints.selected)
        job = Job(SUGGEST_KIND, suggest_job(source, point.x, point.y, others, PALETTE_SIZE, self.working_size,
                                            self.context.settings), "Suggest colours")
        return self.context.runner.submit(job, on_result=partial(self._on_suggestions, point),
                                          on_error=self.context.show_error)

    def _on_suggestions(self, point: HintPoint, colours: list[RGB]) -> None:
        selected = self.hints.selected_point
        if selected is not None and (selected.x, selected.y) == (point.x, point.y):
            self.palette.set_colours(colours)

    def set_colour(self, rgb: RGB) -> None:
        """The chosen colour goes to the selected hint (re-running the model) and to new hints."""
        self.brush = tuple(int(v) for v in rgb)
        self.colour_button.setStyleSheet(swatch_style(self.brush))
        if self.hints.selected is not None and self.hints.recolour(self.hints.selected, self.brush):
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
        self.palette.set_colours([])
        self.note_label.clear()
        self.note_label.hide()
        self.state_label.clear()
        self.context.canvas.update_overlays()

    # --- slots ---------------------------------------------------------------------------------------------

    def _on_auto(self) -> None:
        self.hints.clear()
        self.palette.set_colours([])
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
        self.context.runner.submit(job, on_result=lambda result: self._apply(result.picture, label),
                                   on_error=self.context.show_error)

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
        if self.hints.press(x, y, radius, self.brush or self._shown_colour(x, y)):
            self._hints_changed()
        self.context.canvas.update_overlays()
        self._update_controls()
        self.request_suggestions()

    def _on_canvas_dragged(self, x: float, y: float, buttons) -> None:
        source = self.source
        if source is None or not self._takes_clicks() or not buttons & Qt.MouseButton.LeftButton:
            return
        if self.hints.drag(*clamp_to(x, y, source.width, source.height)):
            self.context.canvas.update_overlays()
            self._throttled_preview()

    def _on_canvas_released(self, x: float, y: float, button) -> None:
        if button == Qt.MouseButton.LeftButton and self.hints.release():
            self._throttled_preview.cancel()
            self.request_suggestions()
            self.run_preview()

    def _on_choose_colour(self) -> None:
        point = self.hints.selected_point
        initial = QColor(*(point.rgb if point is not None else self.brush or (128, 128, 128)))
        colour = QColorDialog.getColor(initial, self, "Hint colour")
        if colour.isValid():
            self.set_colour((colour.red(), colour.green(), colour.blue()))

    def _on_delete(self) -> None:
        if self.hints.selected is not None and self.hints.remove(self.hints.selected):
            self.palette.set_colours([])
            self._hints_changed()

    def _on_clear(self) -> None:
        if self.hints.clear():
            self.palette.set_colours([])
            self._hints_changed()

    def _on_size_changed(self, _index: int) -> None:
        if self._active:
            self.run_preview()

    def _on_vividness_changed(self, _value: int) -> None:
        self._show_vividness()
        if self._active:
            self._throttled_preview()

    def _show_vividness(self) -> None:
        self.vividness_label.setText(f"{self.vividness_slider.value()} %")

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
        return self.is_shown and self.hint_mode.isChecked() and self.context.document.picture is not None

    def _shown_colour(self, x: float, y: float) -> RGB:
        """The colour the canvas shows there: a new hint keeps it until the user picks another."""
        shown = self.result.picture if self._active and self.result is not None else self.source
        return colour_at(shown, x, y)

    def _update_controls(self) -> None:
        has_picture = self.context.document.picture is not None
        for button in (self.auto_button, self.apply_button, self.colour_button):
            button.setEnabled(has_picture)
        self.delete_button.setEnabled(self.hints.selected is not None)
        self.clear_button.setEnabled(len(self.hints) > 0)

    def _paint_overlay(self, painter: QPainter, zoom: float) -> None:
        if self.is_shown and self.hints.points:
            paint_hints(painter, zoom, self.hints)
