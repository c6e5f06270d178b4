"""The names the user gave the Latent panel's sliders, kept in the app's settings (QSettings).

A slider is known by its direction's name (`pc2`, `young`, a user direction's name), which the command line
and the recipes use and which never changes; what the slider *shows* is the user's name for it if there is
one, else the shipped label ("pc2 · light from the left"). Renaming to an empty text, or Reset Names, goes
back to the shipped label.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings

KEY = "latent/slider_names"
MAX_LENGTH = 60


class SliderNames:
    """Direction name -> the user's name for its slider, read from and written to `settings` at once."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings
        self.names: dict[str, str] = self._read()

    def _read(self) -> dict[str, str]:
        if self.settings is None:
            return {}
        try:
            value = json.loads(str(self.settings.value(KEY, "{}")))
        except ValueError:  # a hand-edited or damaged entry: the shipped names
            return {}
        if not isinstance(value, dict):
            return {}
        return {str(k): str(v)[:MAX_LENGTH] for k, v in value.items() if str(v).strip()}

    def _write(self) -> None:
        if self.settings is not None:
            self.settings.setValue(KEY, json.dumps(self.names, sort_keys=True))
            self.settings.sync()

    def shown(self, name: str, label: str = "") -> str:
        """What the slider of direction `name` (shipped label `label`) shows."""
        return self.names.get(name) or label or name

    def rename(self, name: str, text: str) -> None:
        """Give the slider of `name` the name `text` (stripped; empty: back to the shipped label)."""
        text = " ".join(text.split())[:MAX_LENGTH]
        if text:
            self.names[name] = text
        else:
            self.names.pop(name, None)
        self._write()

    def reset(self) -> None:
        """Every slider back to its shipped name."""
        self.names = {}
        self._write()
