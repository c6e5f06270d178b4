"""The status bar: messages on the left; job progress (with Cancel), pixel readout, size, zoom, device on the right.

It only displays what it is told; the main window connects it to the runner, the canvas and the document.
The progress group is hidden while no job runs, so the bar stays quiet.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from latent_studio.app.core.imageio import Picture
from latent_studio.app.gui.theme import icon


class EditorStatusBar(QStatusBar):
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.job_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedWidth(160)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("cancel"))
        self.cancel_button.setIconSize(QSize(16, 16))
        self.cancel_button.setToolTip("Cancel the running job (Esc)")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.pixel_label = QLabel()
        self.pixel_label.setMinimumWidth(230)
        self.size_label = QLabel()
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(80)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.device_label = QLabel("Device: …")
        self.device_label.setObjectName("device")
        for widget in (self.job_label, self.progress_bar, self.cancel_button):
            self.addPermanentWidget(widget)
        for widget in (self.pixel_label, self.size_label, self.zoom_label, self.device_label):
            self.addPermanentWidget(widget)
        self.show_job(None)

    # --- job progress ---------------------------------------------------------------------------------

    def show_job(self, description: str | None) -> None:
        """Show the progress group for `description`, or hide it (None)."""
        visible = description is not None
        self.job_label.setText(description or "")
        self.progress_bar.setRange(0, 0)  # "busy" until the job reports a fraction
        self.progress_bar.setValue(0)
        for widget in (self.job_label, self.progress_bar, self.cancel_button):
            widget.setVisible(visible)

    def set_progress(self, fraction: float, message: str = "") -> None:
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(round(min(max(fraction, 0.0), 1.0) * 1000))
        if message:
            self.job_label.setText(message)

    # --- readouts ----------------------------------------------------------------------------------------

    def set_device(self, text: str, tooltip: str = "") -> None:
        self.device_label.setText(text)
        self.device_label.setToolTip(tooltip or text)

    def set_zoom(self, zoom: float | None) -> None:
        self.zoom_label.setText("" if zoom is None else f"{zoom * 100:.0f}%")

    def set_picture(self, picture: Picture | None) -> None:
        if picture is None:
            self.size_label.setText("")
            return
        kind = "Gray" if picture.is_gray else "RGB"
        kind += "A" if picture.has_alpha else ""
        self.size_label.setText(f"{picture.width} × {picture.height}  ·  {picture.bit_depth}-bit {kind}")

    def set_pixel(self, picture: Picture | None, x: float, y: float) -> None:
        self.pixel_label.setText(pixel_readout(picture, x, y))


def pixel_readout(picture: Picture | None, x: float, y: float) -> str:
    """ "x 12  y 40   R 120 G 80 B 33" for the pixel under the cursor, or "" outside the picture."""
    if picture is None or x < 0 or y < 0:
        return ""
    column, row = int(x), int(y)
    if column >= picture.width or row >= picture.height:
        return ""
    values = [int(value) for value in picture.pixels[row, column]]
    names = "RGBA"[: len(values)]
    channels = "  ".join(f"{name} {value}" for name, value in zip(names, values, strict=False))
    return f"x {column}  y {row}    {channels}"
