"""The Colorize panel's widgets laid out: Auto/Apply, hint tools, suggested colours, working size, vividness.

Only construction and display here; the panel connects the signals and decides what runs (the same split as
the Latent panel's `latent.layout`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from latent_studio.app.gui.model_choice import ModelChoice
from latent_studio.app.gui.panels.colorize.palette import SwatchPalette

WORKING_SIZES = (256, 512)
PALETTE_SIZE = 8
THUMBNAIL_HEIGHT = 48
VIVIDNESS_HELP = (
    "0 %: natural colours, the model's most accurate (measured on held-out photos). Higher: more "
    "colourful, close to real photos at 100 %, with more wrong guesses."
)
HELP = (
    "Click the picture to add a colour hint (Shift+drag: a scribble), drag a hint to move it, right-click a hint "
    "to delete it. A hint recolours its region only."
)


class ColorizeControls:
    """Builds the panel's widgets inside `panel` (working size preselected nearest to `working_size`)."""

    def __init__(self, panel: QWidget, working_size: int) -> None:
        layout = QVBoxLayout(panel)
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

        self.reference_button = QPushButton("Reference…")
        self.reference_button.setToolTip(
            "Colour like this photo: its colours are matched to the picture by content; hints still apply on top"
        )
        self.reference_thumb = QLabel()
        self.reference_thumb.setToolTip("The reference photo")
        self.reference_remove = QToolButton()
        self.reference_remove.setText("×")
        self.reference_remove.setToolTip("Remove the reference (back to automatic colours)")
        row = QHBoxLayout()
        row.addWidget(self.reference_button)
        row.addWidget(self.reference_thumb)
        row.addWidget(self.reference_remove)
        row.addStretch(1)
        layout.addLayout(row)
        self.show_reference(None)

        self.delete_button = QPushButton("Delete hint")
        self.clear_button = QPushButton("Clear hints")
        row = QHBoxLayout()
        row.addWidget(self.delete_button)
        row.addWidget(self.clear_button)
        layout.addLayout(row)

        self.model_choice = ModelChoice()
        row = QHBoxLayout()
        row.addWidget(QLabel("Model:"))
        row.addWidget(self.model_choice, 1)
        layout.addLayout(row)

        self.size_box = QComboBox()
        for size in WORKING_SIZES:
            self.size_box.addItem(f"{size} px (short side)", size)
        preferred = min(WORKING_SIZES, key=lambda size: abs(size - working_size))
        self.size_box.setCurrentIndex(WORKING_SIZES.index(preferred))
        self.size_box.setToolTip(
            "The size the model works at: 256 is faster, 512 keeps finer colour detail. "
            "The result always has the picture's full size."
        )
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
        self.show_vividness()

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

    @property
    def working_size(self) -> int:
        return int(self.size_box.currentData())

    @property
    def vividness(self) -> float:
        return self.vividness_slider.value() / 100

    def show_reference(self, image: QImage | None) -> None:
        """The reference's thumbnail and its remove button, or neither."""
        if image is None:
            self.reference_thumb.clear()
        else:
            self.reference_thumb.setPixmap(QPixmap.fromImage(image.scaledToHeight(THUMBNAIL_HEIGHT)))
        self.reference_thumb.setVisible(image is not None)
        self.reference_remove.setVisible(image is not None)

    def show_vividness(self) -> None:
        self.vividness_label.setText(f"{self.vividness_slider.value()} %")
