"""The Latent panel's widgets laid out: the mode selector, crop, preview, and each mode's own controls.

A segmented selector (Edit | Interpolate | Random) shows only the current mode's controls: the direction
sliders (Edit, Random), the seed (Random), face B, t and the strip (Interpolate). Only construction and display
here (which widget shows what, which buttons are enabled); the panel connects the signals and decides what
runs. Everything sits in a scroll area, since eleven or more sliders and the strip do not fit a short dock.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from latent_studio.app.gui.panels.latent.session import Mode
from latent_studio.app.gui.panels.latent.state import MIN_BOX, CropBox
from latent_studio.app.gui.panels.latent.widgets import DirectionSliders, FaceStrip, FaceView, muted

BOX_HELP = "Drag the box on the picture to move it, a corner to resize it, or draw a new one."
MODES = (
    (Mode.EDIT, "Edit", "Move the photo's face along the directions"),
    (Mode.INTERPOLATE, "Interpolate", "Blend the photo's face (A) towards a second face (B)"),
    (Mode.RANDOM, "Random", "Sample new faces and move them along the directions"),
)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    label.setContentsMargins(0, 8, 0, 0)
    return label


class LatentControls:
    """Builds the panel's widgets inside `panel` and keeps references to the ones the panel drives."""

    def __init__(self, panel: QWidget) -> None:
        outer = QVBoxLayout(panel)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        self.layout = layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(6)
        self._build_modes(layout)
        self._build_crop(layout)
        self._build_preview(layout)
        self.random_box = self._section(layout, self._build_sample)
        self.interpolate_box = self._section(layout, self._build_interpolation)
        self.directions_box = self._section(layout, self._build_directions)
        self.state_label = muted(QLabel())
        layout.addWidget(self.state_label)
        layout.addStretch(1)

    @staticmethod
    def _section(layout: QVBoxLayout, build: Callable[[QVBoxLayout], None]) -> QWidget:
        """One mode's controls in a widget of their own, so they are shown or hidden together."""
        box = QWidget()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(6)
        build(inner)
        layout.addWidget(box)
        return box

    def _build_modes(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        row.setSpacing(0)
        self.mode_group = QButtonGroup(layout.parentWidget())
        self.mode_group.setExclusive(True)
        self.mode_buttons: dict[Mode, QToolButton] = {}
        for mode, text, tip in MODES:
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            row.addWidget(button)
        self.mode_buttons[Mode.EDIT].setChecked(True)
        layout.addLayout(row)

    def _build_crop(self, layout: QVBoxLayout) -> None:
        layout.addWidget(muted(QLabel(BOX_HELP)))
        row = QHBoxLayout()
        row.addWidget(QLabel("Box size:"))
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(MIN_BOX, MIN_BOX)
        self.size_slider.setToolTip("The side of the face crop, in picture pixels (keeps its centre)")
        self.size_value = QLabel("–")
        self.size_value.setMinimumWidth(44)
        self.size_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.size_slider, 1)
        row.addWidget(self.size_value)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.detect_button = QPushButton("Detect Face")
        self.detect_button.setToolTip("Put the box back where the face detector finds the face")
        self.encode_button = QPushButton("Encode")
        self.encode_button.setToolTip("Encode the face in the box: the sliders then edit it")
        row.addWidget(self.detect_button)
        row.addWidget(self.encode_button)
        layout.addLayout(row)
        self.note_label = muted(QLabel())
        layout.addWidget(self.note_label)

    def _build_preview(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.face_view = FaceView()
        self.face_view.setToolTip("The edited face as the model decodes it (at the model's size, enlarged)")
        row.addWidget(self.face_view, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(6)
        self.crop_view = FaceView(64)
        self.crop_view.setToolTip("The crop the model encoded")
        column.addWidget(muted(QLabel("Crop:")))
        column.addWidget(self.crop_view)
        column.addStretch(1)
        self.show_on_photo = QCheckBox("On photo")
        self.show_on_photo.setChecked(True)
        self.show_on_photo.setToolTip("Preview the edit pasted into the photo on the canvas")
        self.keep_detail = QCheckBox("Keep detail")
        self.keep_detail.setChecked(True)
        self.keep_detail.setToolTip(
            "Add only what the edit changes to the photo, keeping its own detail; off: paste the decoded face itself"
        )
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Every slider (in every mode) back to 0, t back to 0, no random face")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Paste the edited face into the photo (undoable)")
        for widget in (self.show_on_photo, self.keep_detail, self.reset_button, self.apply_button):
            column.addWidget(widget)
        row.addLayout(column, 1)
        layout.addLayout(row)
        self.base_label = muted(QLabel())
        layout.addWidget(self.base_label)

    def _build_directions(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        row.addWidget(_heading("Directions"))
        row.addStretch(1)
        unit = muted(QLabel("in σ"))
        unit.setToolTip("Slider values are standard deviations of the training faces along each direction")
        unit.setContentsMargins(0, 8, 0, 0)
        row.addWidget(unit)
        layout.addLayout(row)
        self.sliders_hint = muted(QLabel("Encode a face to use the sliders."))
        layout.addWidget(self.sliders_hint)
        self.directions = DirectionSliders()
        layout.addWidget(self.directions)
        self.new_direction_button = QPushButton("New Direction…")
        self.new_direction_button.setToolTip("Make a slider from two folders of your own pictures")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.new_direction_button)
        layout.addLayout(row)

    def _build_sample(self, layout: QVBoxLayout) -> None:
        layout.addWidget(_heading("Random Face"))
        row = QHBoxLayout()
        row.addWidget(QLabel("Seed:"))
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setToolTip("The same seed always gives the same face")
        self.sample_button = QPushButton("Sample")
        self.sample_button.setToolTip("Edit a random face instead of the photo's")
        row.addWidget(self.seed_box, 1)
        row.addWidget(self.sample_button)
        layout.addLayout(row)

    def _build_interpolation(self, layout: QVBoxLayout) -> None:
        """t and the strip first, right under the face view they drive (a short dock still shows them), then B."""
        grid = QGridLayout()
        grid.addWidget(QLabel("t:"), 0, 0)
        self.t_slider = QSlider(Qt.Orientation.Horizontal)
        self.t_slider.setRange(0, 100)
        self.t_slider.setToolTip("0: the photo's face (A), 1: face B")
        self.t_value = QLabel("0.00")
        grid.addWidget(self.t_slider, 0, 1)
        grid.addWidget(self.t_value, 0, 2)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.strip = FaceStrip()
        self.strip.setToolTip("From A to B: click a face to go there")
        layout.addWidget(self.strip)
        row = QHBoxLayout()
        self.b_view = FaceView(46)
        self.b_view.setToolTip("Face B")
        self.b_label = muted(QLabel("Load a second photo (B) to blend the face towards it."))
        column = QVBoxLayout()
        self.load_b_button = QPushButton("Load B…")
        self.clear_b_button = QPushButton("Clear B")
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_b_button)
        buttons.addWidget(self.clear_b_button)
        column.addLayout(buttons)
        column.addWidget(self.b_label)
        row.addWidget(self.b_view, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        layout.addLayout(row)

    # --- display -----------------------------------------------------------------------------------------

    def show_mode(self, mode: Mode) -> None:
        """Check the mode's button and show only its controls."""
        self.mode_buttons[mode].setChecked(True)
        self.directions_box.setVisible(mode is not Mode.INTERPOLATE)
        self.random_box.setVisible(mode is Mode.RANDOM)
        self.interpolate_box.setVisible(mode is Mode.INTERPOLATE)
        tips = {
            Mode.EDIT: "The edited face as the model decodes it (at the model's size, enlarged)",
            Mode.INTERPOLATE: "The blend of A and B at t, as the model decodes it (at the model's size, enlarged)",
            Mode.RANDOM: "The random face as the model decodes it (at the model's size, enlarged)",
        }
        self.face_view.setToolTip(tips[mode])

    def show_box(self, crop: CropBox) -> None:
        self.size_slider.blockSignals(True)
        self.size_slider.setRange(MIN_BOX, crop.max_size)
        if crop.box is not None:
            self.size_slider.setValue(crop.box[2])
        self.size_slider.blockSignals(False)
        self.size_value.setText(f"{crop.box[2]} px" if crop.box is not None else "–")

    def show_b(self, face: np.ndarray | None, text: str) -> None:
        self.b_view.show_face(face)
        self.b_label.setText(text or "Load a second photo (B) to blend the face towards it.")
        if face is None:
            self.strip.show_faces(None)

    def update_enabled(
        self,
        has_picture: bool,
        has_box: bool,
        can_apply: bool,
        has_model: bool,
        has_b: bool,
        describe: str,
        has_face: bool = True,
        sliders_hint: str = "",
    ) -> None:
        self.directions.setEnabled(has_face)  # a slider moves a face: none until one is encoded or sampled
        self.sliders_hint.setVisible(not has_face)
        if sliders_hint:
            self.sliders_hint.setText(sliders_hint)
        self.encode_button.setEnabled(has_picture)
        self.detect_button.setEnabled(has_picture)
        self.size_slider.setEnabled(has_box)
        self.apply_button.setEnabled(can_apply)
        self.reset_button.setEnabled(has_model and has_face)
        self.new_direction_button.setEnabled(True)
        self.clear_b_button.setEnabled(has_b)
        self.t_slider.setEnabled(has_b)
        self.base_label.setText(describe)
