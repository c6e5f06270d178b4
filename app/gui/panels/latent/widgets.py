"""The Latent panel's widgets: the direction sliders, the crisp face view, the morph strip, the box overlay and
the "New direction" dialog. They show state and emit what the user did; the panel decides what to run.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRectF, QRegularExpression, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QPixmap, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from latent_studio.app.gui.files import ask_folder
from latent_studio.app.gui.image_convert import to_qimage
from latent_studio.app.gui.panels.latent.jobs import DirectionInfo
from latent_studio.app.gui.panels.latent.names import SliderNames
from latent_studio.app.gui.panels.latent.state import SIGMA_RANGE, BoxTuple
from latent_studio.app.gui.preferences import Preferences

FACE_VIEW = 192  # the preview shows the decode enlarged (a 128 px face at 1.5x)
THUMB = 40  # the morph strip's faces (six of them fit the narrowest dock)
KIND_ORDER = {"attribute": 0, "user": 1, "pca": 2}
BOX_COLOUR, STALE_COLOUR = QColor(255, 196, 64), QColor(230, 230, 230)
HANDLE = 7.0  # screen pixels


def face_pixmap(pixels: np.ndarray, side: int) -> QPixmap:
    """A face array as a pixmap `side` pixels wide: pixel-exact when enlarged (crisp), smooth when reduced."""
    mode = (
        Qt.TransformationMode.FastTransformation
        if side >= pixels.shape[1]
        else Qt.TransformationMode.SmoothTransformation
    )
    return QPixmap.fromImage(
        to_qimage(np.ascontiguousarray(pixels)).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, mode)
    )


class FaceView(QLabel):
    """A fixed-size square showing one face, or a hint of how to get one."""

    def __init__(self, side: int = FACE_VIEW, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self.pixels: np.ndarray | None = None
        self.setFixedSize(side, side)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setStyleSheet("QLabel { background: #202226; border: 1px solid #1a1b1e; color: #8e949e; }")

    def show_face(self, pixels: np.ndarray | None, empty_text: str = "") -> None:
        self.pixels = pixels
        if pixels is None:
            self.clear()
            self.setText(empty_text)
        else:
            self.setPixmap(face_pixmap(pixels, self.side))


class SliderLabel(QLabel):
    """A slider's name: double-click renames it, the context menu renames it or resets every name."""

    def __init__(self, sliders: DirectionSliders, name: str) -> None:
        super().__init__()
        self.sliders, self.name = sliders, name
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_menu)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.sliders.ask_rename(self.name)
        event.accept()

    def _on_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.sliders.ask_rename(self.name))
        menu.addAction("Reset Names", self.sliders.reset_names)
        menu.exec(self.mapToGlobal(position))


class DirectionSliders(QWidget):
    """One labelled slider per direction (attributes, then the user's, then principal components), in sigmas.
    Each label shows the user's name for the slider, else the shipped one; double-click or the context menu
    renames it (kept in the settings), Reset Names restores the shipped names."""

    moved = Signal(str, float)  # name, value in sigma units

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sliders: dict[str, QLabeledDoubleSlider] = {}
        self.labels: dict[str, SliderLabel] = {}
        self.names = SliderNames()  # the panel hands over the one kept in the settings
        self._directions: dict[str, DirectionInfo] = {}
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(2)
        self._grid.setColumnStretch(1, 1)

    def set_directions(self, directions: tuple[DirectionInfo, ...], values: dict[str, float]) -> None:
        """Rebuild the rows (a direction was added, or the model loaded), keeping the given values."""
        while self._grid.count():
            widget = self._grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.sliders, self.labels = {}, {}
        self._directions = {d.name: d for d in directions}
        ordered = sorted(directions, key=lambda d: (KIND_ORDER.get(d.kind, 3), directions.index(d)))
        for row, direction in enumerate(ordered):
            label = SliderLabel(self, direction.name)
            self.labels[direction.name] = label
            self._show_name(direction.name)
            slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
            slider.setRange(-SIGMA_RANGE, SIGMA_RANGE)
            # superqt annotates its proxied setSingleStep as QSlider's int, but the double slider takes floats
            slider.setSingleStep(0.05)  # type: ignore[arg-type]
            slider.setDecimals(2)
            slider.setValue(values.get(direction.name, 0.0))
            slider.setToolTip(label.toolTip())
            slider.valueChanged.connect(lambda value, name=direction.name: self.moved.emit(name, float(value)))
            self._grid.addWidget(label, row, 0)
            self._grid.addWidget(slider, row, 1)
            self.sliders[direction.name] = slider

    def shown_name(self, name: str) -> str:
        """What the slider of direction `name` is called now."""
        direction = self._directions.get(name)
        return self.names.shown(name, direction.label if direction is not None else "")

    def _show_name(self, name: str) -> None:
        label, direction = self.labels[name], self._directions[name]
        shown = self.shown_name(name)
        label.setText(shown)
        shipped = direction.label or direction.name
        renamed = f" You named it; shipped name: {shipped}." if shown != shipped else ""
        label.setToolTip(
            f"{shown} ({direction.name}): {direction.description} ({direction.kind} direction; in standard "
            f"deviations of the training faces).{renamed} Double-click to rename."
        )
        if name in self.sliders:
            self.sliders[name].setToolTip(label.toolTip())

    def rename(self, name: str, text: str) -> None:
        """Call the slider of `name` `text` (empty: its shipped name again), kept in the settings."""
        self.names.rename(name, text)
        if name in self.labels:
            self._show_name(name)

    def reset_names(self) -> None:
        """Every slider back to its shipped name."""
        self.names.reset()
        for name in self.labels:
            self._show_name(name)

    def ask_rename(self, name: str) -> None:
        text, ok = QInputDialog.getText(
            self,
            "Rename Slider",
            f"Name for the slider '{name}' (empty: the shipped name):",
            text=self.shown_name(name),
        )
        if ok:
            self.rename(name, text)

    def set_values(self, values: dict[str, float]) -> None:
        """Show `values` without emitting `moved` (a reset)."""
        for name, slider in self.sliders.items():
            slider.blockSignals(True)
            slider.setValue(values.get(name, 0.0))
            slider.blockSignals(False)


class FaceStrip(QWidget):
    """A row of small faces from A to B, a navigator: clicking one picks its blend; the one nearest the current t
    is framed."""

    picked = Signal(float)  # t in [0, 1]

    def __init__(self, count: int = 6, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.count = count
        self.views: list[QToolButton] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        for index in range(count):
            button = QToolButton()
            button.setFixedSize(THUMB + 4, THUMB + 4)
            button.setIconSize(QPixmap(THUMB, THUMB).size())
            button.setToolTip(f"t = {index / (count - 1):.2f}")
            button.clicked.connect(lambda _=False, t=index / (count - 1): self.picked.emit(t))
            row.addWidget(button)
            self.views.append(button)
        row.addStretch(1)
        self.faces: np.ndarray | None = None
        self.current = 0  # the thumbnail nearest t

    def show_faces(self, faces: np.ndarray | None) -> None:
        self.faces = faces
        for index, button in enumerate(self.views):
            button.setIcon(face_pixmap(faces[index], THUMB) if faces is not None else QPixmap())
            button.setEnabled(faces is not None)

    def mark(self, t: float) -> None:
        """Frame the thumbnail nearest `t`."""
        self.current = round(min(max(t, 0.0), 1.0) * (self.count - 1))
        for index, button in enumerate(self.views):
            button.setStyleSheet("QToolButton { border: 2px solid #ffc440; }" if index == self.current else "")


def paint_box(painter: QPainter, zoom: float, box: BoxTuple, current: bool) -> None:
    """The crop box on the canvas: solid when it is the encoded one, dashed when it waits for Encode."""
    x, y, side = box
    pen = QPen(BOX_COLOUR if current else STALE_COLOUR, 2.0 / zoom)
    if not current:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(0, 0, 0, 150), 4.0 / zoom))
    painter.drawRect(QRectF(x, y, side, side))
    painter.setPen(pen)
    painter.drawRect(QRectF(x, y, side, side))
    handle = HANDLE / zoom
    painter.setBrush(BOX_COLOUR if current else STALE_COLOUR)
    painter.setPen(QPen(QColor(0, 0, 0), 1.0 / zoom))
    for cx, cy in ((x, y), (x + side, y), (x, y + side), (x + side, y + side)):
        painter.drawRect(QRectF(cx - handle / 2, cy - handle / 2, handle, handle))


class NewDirectionDialog(QDialog):
    """Name a direction and pick a folder of pictures with the property and one without it."""

    def __init__(self, parent: QWidget | None = None, preferences: Preferences | None = None) -> None:
        super().__init__(parent)
        self._preferences = preferences if preferences is not None else Preferences()
        self.setWindowTitle("New Direction")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "A new slider from your own pictures: one folder of faces that have a property (e.g. smiling), "
            "one of faces that do not. The direction is the difference of their average codes."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. smiling")
        self.name_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"[A-Za-z][A-Za-z0-9_-]{0,39}")))
        form.addRow("Name:", self.name_edit)
        self.with_edit, self.without_edit = QLineEdit(), QLineEdit()
        form.addRow("With it:", self._folder_row(self.with_edit, "Pictures that have the property"))
        form.addRow("Without it:", self._folder_row(self.without_edit, "Pictures that do not have it"))
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for edit in (self.name_edit, self.with_edit, self.without_edit):
            edit.textChanged.connect(self._update_ok)
        self._update_ok()
        self.resize(460, self.sizeHint().height())

    def _folder_row(self, edit: QLineEdit, caption: str) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        edit.setPlaceholderText("a folder of pictures")
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(edit, caption))
        layout.addWidget(edit, 1)
        layout.addWidget(browse)
        return row

    def _browse(self, edit: QLineEdit, caption: str) -> None:
        folder = ask_folder(self, self._preferences, caption, edit.text())
        if folder:
            edit.setText(folder)

    def _update_ok(self) -> None:
        ok = self.name_edit.hasAcceptableInput() and bool(
            self.with_edit.text().strip() and self.without_edit.text().strip()
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def values(self) -> tuple[str, str, str]:
        return self.name_edit.text().strip(), self.with_edit.text().strip(), self.without_edit.text().strip()


def muted(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setStyleSheet("color: #8e949e;")
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label
