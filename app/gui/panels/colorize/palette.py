"""A row of colour swatches (the model's suggestions at the selected hint); clicking one emits its colour."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QToolButton, QWidget

from latent_studio.app.gui.panels.colorize.hints import RGB, rgb8


def swatch_style(rgb: RGB | None) -> str:
    """A button filled with `rgb` (text in black or white, whichever reads); an empty dashed slot for None."""
    if rgb is None:
        return "QToolButton { background: transparent; border: 1px dashed #5d626b; border-radius: 4px; }"
    text = "#000" if sum(rgb) > 380 else "#fff"
    return (
        f"QToolButton, QPushButton {{ background: rgb{tuple(rgb)}; border: 1px solid #1a1b1e; "
        f"border-radius: 4px; color: {text}; }}"
    )


class SwatchPalette(QWidget):
    """`count` swatches in rows of `columns`; `set_colours` fills them in order, the rest stay empty."""

    picked = Signal(object)  # the (r, g, b) of the clicked swatch

    def __init__(self, count: int = 8, columns: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        grid.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.colours: list[RGB] = []
        self.swatches: list[QToolButton] = []
        for index in range(count):
            swatch = QToolButton()
            swatch.setFixedSize(30, 30)
            swatch.clicked.connect(partial(self._on_clicked, index))
            grid.addWidget(swatch, index // columns, index % columns)
            self.swatches.append(swatch)
        self.set_colours([])

    def set_colours(self, colours: list[RGB]) -> None:
        self.colours = [rgb8(colour) for colour in colours[: len(self.swatches)]]
        for index, swatch in enumerate(self.swatches):
            colour = self.colours[index] if index < len(self.colours) else None
            swatch.setEnabled(colour is not None)
            swatch.setStyleSheet(swatch_style(colour))
            swatch.setToolTip("#{:02x}{:02x}{:02x}".format(*colour) if colour else "")

    def _on_clicked(self, index: int) -> None:
        if index < len(self.colours):
            self.picked.emit(self.colours[index])
