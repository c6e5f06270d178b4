"""The editor's preferences, kept with QSettings, and the dialog that edits them.

`Preferences` is a thin typed wrapper: QSettings returns strings (INI) or native types (registry, plist)
depending on the platform, so every getter converts and validates. Set LATENT_STUDIO_SETTINGS to an .ini
path to keep the settings there instead of the user's profile (the tests do, so they never touch it).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

ORGANIZATION = "LatentStudio"
APPLICATION = "Latent Studio"
SETTINGS_ENV = "LATENT_STUDIO_SETTINGS"

DEVICE_CHOICES = ("auto", "cpu", "cuda")
WORKING_SIZES = (256, 512)
MAX_RECENT = 10
DEFAULT_UNDO_MIB = 2048


def open_settings() -> QSettings:
    """The settings store: the file named by LATENT_STUDIO_SETTINGS, else the user's profile."""
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


class Preferences:
    """Typed access to the stored preferences."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else open_settings()

    # --- compute ------------------------------------------------------------------------------------------

    @property
    def device(self) -> str:
        value = str(self.qsettings.value("compute/device", "auto")).lower()
        return value if value in DEVICE_CHOICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self.qsettings.setValue("compute/device", value if value in DEVICE_CHOICES else "auto")

    @property
    def working_size(self) -> int:
        value = _to_int(self.qsettings.value("compute/working_size", 256), 256)
        return value if value in WORKING_SIZES else 256

    @working_size.setter
    def working_size(self, value: int) -> None:
        self.qsettings.setValue("compute/working_size", int(value))

    @property
    def max_undo_mib(self) -> int:
        return max(64, _to_int(self.qsettings.value("history/max_mib", DEFAULT_UNDO_MIB), DEFAULT_UNDO_MIB))

    @max_undo_mib.setter
    def max_undo_mib(self, value: int) -> None:
        self.qsettings.setValue("history/max_mib", int(value))

    # --- files and window ---------------------------------------------------------------------------------

    @property
    def recent_files(self) -> list[str]:
        value = self.qsettings.value("files/recent", [])
        if isinstance(value, str):  # INI stores a one-item list as a plain string
            value = [value] if value else []
        if not isinstance(value, list | tuple):
            return []
        return [str(item) for item in value][:MAX_RECENT]

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        files = [path] + [item for item in self.recent_files if item != path]
        self.qsettings.setValue("files/recent", files[:MAX_RECENT])

    def remove_recent(self, path: str) -> None:
        self.qsettings.setValue("files/recent", [item for item in self.recent_files if item != path])

    def clear_recent(self) -> None:
        self.qsettings.setValue("files/recent", [])

    @property
    def last_directory(self) -> str:
        return str(self.qsettings.value("files/last_directory", os.path.expanduser("~")))

    @last_directory.setter
    def last_directory(self, value: str) -> None:
        self.qsettings.setValue("files/last_directory", value)

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        """(geometry, dock/toolbar state) as saved by `save_window_state`, or None when never saved."""
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def sync(self) -> None:
        self.qsettings.sync()


def _to_int(value: object, default: int) -> int:
    if not isinstance(value, str | bytes | int | float):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class PreferencesDialog(QDialog):
    """Edit the compute device, the working size and the undo memory; `apply_to` stores the choices."""

    def __init__(self, preferences: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(420)
        self.device = QComboBox()
        for choice, label in (("auto", "Automatic (GPU when available)"), ("cpu", "CPU"), ("cuda", "CUDA GPU")):
            self.device.addItem(label, choice)
        self.device.setCurrentIndex(DEVICE_CHOICES.index(preferences.device))
        self.working_size = QComboBox()
        for size in WORKING_SIZES:
            self.working_size.addItem(f"{size} px", size)
        self.working_size.setCurrentIndex(WORKING_SIZES.index(preferences.working_size))
        self.undo_memory = QSpinBox()
        self.undo_memory.setRange(64, 65536)
        self.undo_memory.setSingleStep(256)
        self.undo_memory.setSuffix(" MiB")
        self.undo_memory.setValue(preferences.max_undo_mib)

        form = QFormLayout()
        form.setSpacing(10)
        form.addRow("Compute device:", self.device)
        form.addRow("Working size:", self.working_size)
        form.addRow("Undo memory:", self.undo_memory)
        note = QLabel("The working size is the resolution the neural tools run at; larger is slower.")
        note.setWordWrap(True)
        note.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addSpacing(6)
        layout.addWidget(buttons)

    def apply_to(self, preferences: Preferences) -> None:
        preferences.device = self.device.currentData()
        preferences.working_size = self.working_size.currentData()
        preferences.max_undo_mib = self.undo_memory.value()
        preferences.sync()
