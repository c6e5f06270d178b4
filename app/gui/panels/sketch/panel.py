"""Sketch: draw black lines (and coarse colour strokes) on the panel's own paper; the model paints a picture.

The drawing lives in numpy buffers (`sketch.state`) shown by `SketchCanvas` on a large `SketchSurface` that
covers the image area while the Sketch tab is raised: drawing and result side by side, or the result under
the drawing (overlay), zoomed together; this dock holds the controls (paper size, tools, width, view, zoom,
undo, files). Paper takes any aspect up to 512 px on the long side; a loaded drawing keeps its shape. Every
change re-runs the model as one "sketch-generate" job (the newest request wins: throttled by superqt while a
stroke is drawn, at once when it ends or after undo/clear/load), at a working size whose long side is at most
256 px, and the result comes back at the paper's shape. "Send to editor" opens the
result as a new untitled, unsaved document (in a new window when a picture is open, which it never replaces:
Ctrl+S once wrote the 256x256 result over the user's photo). A sketch can be
loaded from a file or extracted from the open photo ("sketch-load" / "sketch-extract" jobs). The Subject choice
(scene, face, clothing: `app.core.sketch_flow.SUBJECTS`) picks the generator every job runs, and the line style
a photo is traced in; changing it re-draws the picture. The Model choice below it offers the shipped generator of
that subject and the user's own fine-tunes of it (Tools ▸ Train on My Photos…, `train sketch`), renamed or
deleted with Manage… (`model_choice.ModelChoice`); the job names the chosen one and the core loads it.

No torch here: the work is `app.core.sketch` run by the worker through `sketch.jobs`.
"""

from __future__ import annotations

import os
from functools import partial

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled

from latent_studio.app.core.imageio import Picture, save_image
from latent_studio.app.core.jobs import Job
from latent_studio.app.core.sketch_flow import DEFAULT_SUBJECT, SUBJECTS
from latent_studio.app.core.sketch_flow import subject as sketch_subject
from latent_studio.app.gui.context import EditorContext
from latent_studio.app.gui.files import SAVE_FILTERS, ask_open_file, ask_save_file
from latent_studio.app.gui.image_convert import to_qimage
from latent_studio.app.gui.model_choice import ModelChoice
from latent_studio.app.gui.panels.base_panel import ToolPanel
from latent_studio.app.gui.panels.sketch.canvas import SketchCanvas
from latent_studio.app.gui.panels.sketch.jobs import extract_job, generate_job, load_job
from latent_studio.app.gui.panels.sketch.state import (
    COLOUR,
    ERASER,
    MAX_SIDE,
    PAPER_SIZES,
    PEN,
    SIZE,
    SketchBuffers,
    Snapshot,
    StrokeHistory,
)
from latent_studio.app.gui.panels.sketch.surface import OVERLAY, SIDE_BY_SIDE, SketchSurface
from latent_studio.models.errors import LatentStudioError

GENERATE, EXTRACT, LOAD = "sketch-generate", "sketch-extract", "sketch-load"
KINDS = (GENERATE, EXTRACT, LOAD)
LABEL = "Sketch to image"


def shipped_label(subject_name: str) -> str:
    """The Model choice's name for a subject's shipped generator."""
    return f"Shipped {SUBJECTS[subject_name].label.lower()} model"


class SketchPanel(ToolPanel):
    title = "Sketch"
    shortcut = "Ctrl+Alt+K"

    def __init__(self, context: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.buffers = SketchBuffers()
        self.history = StrokeHistory()
        self.result: np.ndarray | None = None  # the newest generated picture, HxWx3 uint8
        self._revision = 0  # bumped on every change of the drawing
        self._result_revision = -1
        self.canvas = SketchCanvas(self.buffers, self.history)
        self.surface = SketchSurface(self.canvas, context.canvas)
        self._fitted = False  # the surface is fitted to the room it has the first time it is shown
        self._build()
        self._throttled_generate = qthrottled(self.generate, timeout=80, leading=False, parent=self)
        self.canvas.changed.connect(self._on_drawing_changed)
        self.canvas.stroke_finished.connect(self._on_stroke_finished)
        self.canvas.undo_requested.connect(self.undo)
        self.canvas.redo_requested.connect(self.redo)
        context.document.changed.connect(self._update_controls)
        self._update_controls()

    # --- widgets -----------------------------------------------------------------------------------------

    def _button(self, text: str, tip: str, slot, checkable: bool = False, grow: bool = True) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        if grow:
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.clicked.connect(slot)
        return button

    def _choice(self, items, on_pick, checked) -> tuple[QButtonGroup, list[QToolButton]]:
        """Exclusive checkable buttons, one per (value, text, tip); `checked` starts checked, a click calls
        `on_pick(value)`."""
        group = QButtonGroup(self)
        buttons = []
        for value, text, tip in items:
            button = self._button(text, tip, partial(on_pick, value), checkable=True)
            button.setChecked(value == checked)
            group.addButton(button)
            buttons.append(button)
        return group, buttons

    def _row(self, layout: QVBoxLayout, *widgets: QWidget) -> None:
        row = QHBoxLayout()
        row.setSpacing(4)
        for widget in widgets:
            row.addWidget(widget)
        layout.addLayout(row)

    def _build(self) -> None:
        """Drawing and picture first, so both stay in sight on a short dock; the file buttons below them."""
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.subject_box = QComboBox()
        for index, choice in enumerate(SUBJECTS.values()):
            self.subject_box.addItem(choice.label, choice.name)
            self.subject_box.setItemData(index, choice.description, Qt.ItemDataRole.ToolTipRole)
        self.subject_box.setCurrentIndex(self.subject_box.findData(DEFAULT_SUBJECT))
        self.subject_box.setToolTip(SUBJECTS[DEFAULT_SUBJECT].description)
        self.subject_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.subject_box.currentIndexChanged.connect(self._on_subject)
        self._row(layout, QLabel("Subject:"), self.subject_box)
        self.model_choice = ModelChoice(
            base=SUBJECTS[DEFAULT_SUBJECT].model,
            shipped_label=shipped_label(DEFAULT_SUBJECT),
            tooltip="The generator that draws: the subject's shipped one, or one you fine-tuned on your photos "
            "for this subject (Tools ▸ Train on My Photos…)",
        )
        self.model_choice.chosen.connect(self._on_model)
        self._row(layout, QLabel("Model:"), self.model_choice)
        tools = (
            (PEN, "Pen", "Black lines"),
            (ERASER, "Eraser", "Erase lines and colour"),
            (COLOUR, "Colour", "Coarse colour strokes the picture should follow"),
        )
        self.tools, tool_buttons = self._choice(tools, self._on_tool, PEN)
        self.colour_button = self._button("", "Choose the colour brush's colour", self._on_choose_colour, grow=False)
        self.colour_button.setFixedWidth(28)
        self.width_box = QSpinBox()
        self.width_box.setRange(1, 40)
        self.width_box.setValue(int(self.canvas.pen_width))
        self.width_box.setSuffix(" px")
        self.width_box.setToolTip("Line width")
        self.width_box.valueChanged.connect(lambda value: setattr(self.canvas, "pen_width", float(value)))
        self._row(layout, *tool_buttons, self.colour_button, self.width_box)

        views = (
            (SIDE_BY_SIDE, "Side by side", "The drawing and the picture next to each other"),
            (OVERLAY, "Overlay", "The picture under a see-through drawing"),
        )
        self.views, view_buttons = self._choice(views, self.set_view_mode, SIDE_BY_SIDE)
        self.side_button, self.overlay_button = view_buttons
        self._row(layout, *view_buttons)
        self.zoom_out_button = self._button("-", "Zoom out (wheel over the drawing)", partial(self.surface.zoom_by, -1))
        self.zoom_in_button = self._button("+", "Zoom in (wheel over the drawing)", partial(self.surface.zoom_by, 1))
        self.fit_button = self._button("Fit", "Zoom so the paper fills the drawing area", self.surface.fit)
        self.zoom_label = QLabel("100%")
        self.zoom_label.setMinimumWidth(44)
        self.surface.zoom_changed.connect(lambda zoom: self.zoom_label.setText(f"{zoom:.0%}"))
        self._row(layout, self.zoom_out_button, self.fit_button, self.zoom_in_button, self.zoom_label)
        self.paper_box = QComboBox()
        for width, height in PAPER_SIZES:
            self.paper_box.addItem(f"{width} × {height}", [height, width])
        self.paper_box.setToolTip("The size of new paper (a loaded drawing keeps its own)")
        self.new_button = self._button(
            "New paper", "Start again on blank paper of this size (undoable)", self._on_new_paper
        )
        self._row(layout, self.paper_box, self.new_button)

        self.undo_button = self._button("Undo", "Undo the last stroke (Ctrl+Z in the drawing)", self.undo)
        self.redo_button = self._button("Redo", "Redo the stroke (Ctrl+Shift+Z in the drawing)", self.redo)
        self.clear_button = self._button("Clear", "Start again on blank paper (undoable)", self.clear)
        self._row(layout, self.undo_button, self.redo_button, self.clear_button)
        self.load_button = self._button("Load sketch…", "Draw on a line drawing from a file", self._on_load)
        self.extract_button = self._button("Photo → sketch", "Trace the open picture's lines", self.extract)
        self._row(layout, self.load_button, self.extract_button)
        self.save_sketch_button = self._button("Save sketch…", "Save the drawing's lines", self._on_save_sketch)
        self.save_result_button = self._button("Save result…", "Save the generated picture", self._on_save_result)
        self._row(layout, self.save_sketch_button, self.save_result_button)
        self.send_button = QPushButton("Send to editor")
        self.send_button.setToolTip("Open the picture as a new, untitled document")
        self.send_button.clicked.connect(self.send_to_editor)
        layout.addWidget(self.send_button)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setStyleSheet("color: #8e949e;")
        layout.addWidget(self.state_label)
        layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._show_brush_colour()

    # --- drawing -------------------------------------------------------------------------------------------

    def _on_tool(self, tool: str) -> None:
        self.canvas.tool = tool

    @property
    def subject(self) -> str:
        """The chosen sketch subject's name (scene, face, clothing)."""
        return str(self.subject_box.currentData())

    def set_subject(self, name: str) -> None:
        """Choose a subject by name (the combo follows; the picture is re-drawn with its model)."""
        self.subject_box.setCurrentIndex(self.subject_box.findData(sketch_subject(name).name))

    @property
    def model(self) -> str | None:
        """The user's sketch model chosen for this subject, or None for the subject's shipped generator."""
        return None if self.model_choice.is_shipped else self.model_choice.name

    def set_model(self, name: str) -> None:
        """Choose one of the user's models of the current subject by name (or the shipped one: its registry name)."""
        self.model_choice.set_name(name)

    def _on_subject(self, _index: int) -> None:
        self.subject_box.setToolTip(SUBJECTS[self.subject].description)
        self.model_choice.set_base(SUBJECTS[self.subject].model, shipped_label(self.subject))
        self._on_model()

    def _on_model(self, _name: str = "") -> None:
        self._revision += 1  # the picture shown is another model's: stale like after a stroke
        self.generate()

    def _on_choose_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(*self.canvas.rgb), self, "Colour brush")
        if colour.isValid():
            self.canvas.rgb = (colour.red(), colour.green(), colour.blue())
            self._show_brush_colour()
            self.tools.buttons()[2].click()  # choosing a colour means painting with it

    def _show_brush_colour(self) -> None:
        self.colour_button.setStyleSheet("background: rgb({}, {}, {});".format(*self.canvas.rgb))

    def _restore(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self.buffers.restore(snapshot)
            self.canvas.refresh()

    def undo(self) -> None:
        self._restore(self.history.undo(self.buffers.snapshot()))

    def redo(self) -> None:
        self._restore(self.history.redo(self.buffers.snapshot()))

    def clear(self) -> None:
        if not self.buffers.is_blank:
            self.history.record(self.buffers.snapshot())
            self.buffers.clear()
            self.canvas.refresh()

    def set_lines(self, lines: np.ndarray) -> None:
        """Replace the drawing's lines (a loaded or extracted sketch, in its own shape) as one undoable step."""
        self.history.record(self.buffers.snapshot())
        self.buffers.set_lines(lines)
        self.canvas.refresh()

    def new_paper(self, height: int, width: int) -> None:
        """Blank paper of this size, as one undoable step."""
        self.history.record(self.buffers.snapshot())
        self.buffers.new_paper(height, width)
        self.canvas.refresh()
        self.surface.fit()

    def _show_paper_size(self) -> None:
        """The size box names the paper in use: a listed size, or the drawing's own (a loaded one) added last."""
        shape = self.buffers.shape
        if self.paper_box.count() > len(PAPER_SIZES):
            self.paper_box.removeItem(len(PAPER_SIZES))
        index = self.paper_box.findData(list(shape))
        if index < 0:
            self.paper_box.addItem(f"{shape[1]} × {shape[0]} (drawing)", list(shape))
            index = self.paper_box.count() - 1
        self.paper_box.setCurrentIndex(index)

    def _on_new_paper(self) -> None:
        self.new_paper(*self.paper_box.currentData())

    def set_view_mode(self, mode: str) -> None:
        """SIDE_BY_SIDE or OVERLAY (the buttons follow)."""
        (self.side_button if mode == SIDE_BY_SIDE else self.overlay_button).setChecked(True)
        self.surface.set_mode(mode)

    def _on_drawing_changed(self) -> None:
        self._revision += 1
        if self.surface.result_view.shape != self.buffers.shape:
            self.surface.paper_changed()
            self._show_paper_size()
        self._update_controls()
        if self.canvas.is_drawing:
            self._throttled_generate()
        else:
            self.generate()

    def _on_stroke_finished(self) -> None:
        self._throttled_generate.cancel()
        self.generate()

    # --- jobs ----------------------------------------------------------------------------------------------

    def generate(self) -> Job:
        """Run the model on the drawing as it is now; the newest request wins."""
        revision = self._revision
        self.state_label.setText("Drawing the picture…")
        job = Job(
            GENERATE,
            generate_job(
                self.buffers.lines, self.buffers.colour_strokes(), self.context.settings, self.subject, self.model
            ),
            LABEL,
        )
        return self.context.runner.submit(job, on_result=partial(self._on_generated, revision), on_error=self._on_error)

    def _on_generated(self, revision: int, pixels: np.ndarray) -> None:
        self.result = pixels
        self._result_revision = revision
        self.surface.show_result(to_qimage(pixels))
        self.state_label.setText("Blank paper: draw lines to shape the picture." if self.buffers.is_blank else "")
        self._update_controls()

    def extract(self) -> Job | None:
        """Replace the drawing with the lines of the open picture."""
        picture = self.context.document.picture
        if picture is None:
            self.context.status("Open a photo first to trace its lines.")
            return None
        self.state_label.setText("Tracing the photo's lines…")
        long_side = min(max(*self.buffers.shape, SIZE), MAX_SIDE)
        job = Job(EXTRACT, extract_job(picture, long_side, self.context.settings, self.subject), "Photo to sketch")
        return self.context.runner.submit(job, on_result=self.set_lines, on_error=self._on_error)

    def load_sketch(self, path: str) -> Job:
        self.state_label.setText(f"Loading {os.path.basename(path)}…")
        job = Job(LOAD, load_job(path), "Load sketch")
        return self.context.runner.submit(job, on_result=self.set_lines, on_error=self._on_error)

    def _on_error(self, message: str) -> None:
        self.state_label.setText("")
        self.context.show_error(message)

    # --- results -------------------------------------------------------------------------------------------

    def send_to_editor(self) -> None:
        """The generated picture becomes a new untitled document; the open one and its file stay as they are."""
        if self.result is None:
            return
        self.context.open_untitled(Picture(self.result.copy()), LABEL)

    def _on_load(self) -> None:
        path = ask_open_file(self, self.context.preferences, "Load Sketch")
        if path:
            self.load_sketch(path)

    def _ask_save_path(self, title: str, name: str) -> str | None:
        path, selected = ask_save_file(
            self, self.context.preferences, title, name, ";;".join(SAVE_FILTERS), next(iter(SAVE_FILTERS))
        )
        if path and not os.path.splitext(path)[1]:
            path += SAVE_FILTERS.get(selected, ".png")
        return path or None

    def save(self, picture: Picture, path: str) -> bool:
        try:
            save_image(picture, path)
        except LatentStudioError as error:
            self.context.show_error(str(error))
            return False
        self.context.status(f"Saved {os.path.basename(path)}")
        return True

    def _on_save_sketch(self) -> None:
        path = self._ask_save_path("Save Sketch", "sketch.png")
        if path:
            self.save(Picture(np.repeat(self.buffers.lines[..., None], 3, axis=2), is_gray=True), path)

    def _on_save_result(self) -> None:
        path = self._ask_save_path("Save Result", "sketch-result.png") if self.result is not None else None
        if path and self.result is not None:
            self.save(Picture(self.result.copy()), path)

    # --- panel life ----------------------------------------------------------------------------------------

    def panel_shown(self) -> None:
        self.surface.show()
        self.surface.raise_()
        if not self._fitted:
            self._fitted = True
            self.surface.fit()
        if self._result_revision != self._revision and not self.context.runner.is_busy(GENERATE):
            self.generate()

    def panel_hidden(self) -> None:
        self.surface.hide()

    def shutdown(self) -> None:
        self._throttled_generate.cancel()
        for kind in KINDS:
            self.context.runner.cancel(kind)

    def _update_controls(self) -> None:
        self.undo_button.setEnabled(self.history.can_undo)
        self.redo_button.setEnabled(self.history.can_redo)
        self.clear_button.setEnabled(not self.buffers.is_blank)
        self.extract_button.setEnabled(self.context.document.picture is not None)
        for button in (self.send_button, self.save_result_button):
            button.setEnabled(self.result is not None)
