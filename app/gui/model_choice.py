"""Which model to run: a shipped one or one of the user's fine-tuned copies of it (Tools ▸ Train on My Photos…).

`ModelChoice` is a combo plus a "Manage…" button (rename / delete, with confirmation) used by the Colorize panel
and the Batch dialog (the colorizer's) and the Sketch panel (its `base` the chosen subject's generator: only that
subject's models are offered). Every ModelChoice refreshes when `models_changed` fires (a training finished, a
model renamed or deleted, anywhere in the app); a choice whose model disappeared falls back to the shipped model.
Reading the list touches only the user models' manifest (JSON), never torch.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QWidget,
)

from latent_studio.app.core import user_models
from latent_studio.models.errors import LatentStudioError

SHIPPED = "colorizer"
SHIPPED_LABEL = "Shipped colorizer"


class _Notifier(QObject):
    changed = Signal()


_NOTIFIER: _Notifier | None = None


def notifier() -> _Notifier:
    """The app-wide "the user models changed" signal source (made on first use, on the GUI thread)."""
    global _NOTIFIER  # noqa: PLW0603 - one notifier for the whole app
    if _NOTIFIER is None:
        _NOTIFIER = _Notifier()
    return _NOTIFIER


def models_changed() -> None:
    notifier().changed.emit()


def model_names(base: str = SHIPPED) -> list[str]:
    """The shipped `base` first, then the user's finished models fine-tuned from it (an unreadable list: only the
    shipped one)."""
    try:
        return [base, *user_models.list_models(base)]
    except LatentStudioError:
        return [base]


def colorizer_names() -> list[str]:
    return model_names(SHIPPED)


def rename_model(old: str, new: str) -> str:
    """'' when renamed, else the one-line reason."""
    try:
        user_models.rename(old, new.strip())
    except LatentStudioError as error:
        return str(error)
    models_changed()
    return ""


def delete_model(name: str) -> str:
    try:
        user_models.delete(name)
    except LatentStudioError as error:
        return str(error)
    models_changed()
    return ""


class ModelChoice(QWidget):
    """A combo of the shipped `base` and the user's models of it, and a Manage… button; `name` is the chosen
    model's name (`base` for the shipped one)."""

    chosen = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        base: str = SHIPPED,
        shipped_label: str = SHIPPED_LABEL,
        tooltip: str = "The colorizer to run: the shipped one, or one you trained on your photos "
        "(Tools ▸ Train on My Photos…)",
    ) -> None:
        super().__init__(parent)
        self.base, self.shipped_label = base, shipped_label
        self.combo = QComboBox()
        self.combo.setToolTip(tooltip)
        self.manage_button = QPushButton("Manage…")
        self.manage_button.setToolTip("Rename or delete the chosen model of yours")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.manage_button)
        self.refresh()
        self.combo.currentIndexChanged.connect(self._on_index_changed)
        self.manage_button.clicked.connect(self._on_manage)
        notifier().changed.connect(self.refresh)

    @property
    def name(self) -> str:
        return str(self.combo.currentData() or self.base)

    @property
    def is_shipped(self) -> bool:
        return self.name == self.base

    def set_base(self, base: str, shipped_label: str) -> None:
        """Offer the models of another shipped `base`, the shipped one chosen (without `chosen`: the caller, which
        changed the base, re-runs its model itself)."""
        self.base, self.shipped_label = base, shipped_label
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.blockSignals(False)
        self.refresh()

    def set_name(self, name: str) -> None:
        index = self.combo.findData(name)
        self.combo.setCurrentIndex(max(index, 0))

    def refresh(self) -> None:
        """Re-read the list, keeping the choice (the shipped model if the chosen model is gone)."""
        current = self.name if self.combo.count() else self.base
        self.combo.blockSignals(True)
        self.combo.clear()
        for name in model_names(self.base):
            self.combo.addItem(self.shipped_label if name == self.base else name, name)
        self.combo.setCurrentIndex(max(self.combo.findData(current), 0))
        self.combo.blockSignals(False)
        self.manage_button.setEnabled(self.combo.count() > 1)
        if self.name != current:
            self.chosen.emit(self.name)

    def _on_index_changed(self, _index: int) -> None:
        self.chosen.emit(self.name)

    # --- rename / delete, with the user's answers asked here (tests call rename_model / delete_model) ---------

    def _on_manage(self) -> None:
        menu = QMenu(self)
        name = self.name
        mine = name != self.base
        rename = menu.addAction(f"Rename '{name}'…")
        delete = menu.addAction(f"Delete '{name}'…")
        rename.setEnabled(mine)
        delete.setEnabled(mine)
        picked = menu.exec(self.manage_button.mapToGlobal(self.manage_button.rect().bottomLeft()))
        if picked is rename:
            self.ask_rename(name)
        elif picked is delete:
            self.ask_delete(name)

    def ask_rename(self, name: str) -> None:
        new, ok = QInputDialog.getText(self, "Rename model", f"New name for '{name}':", QLineEdit.EchoMode.Normal, name)
        if not ok or not new.strip() or new.strip() == name:
            return
        problem = rename_model(name, new)
        if problem:
            QMessageBox.warning(self, "Rename model", problem)
        else:
            self.set_name(new.strip())

    def ask_delete(self, name: str) -> None:
        answer = QMessageBox.question(
            self, "Delete model", f"Delete your model '{name}' and its training checkpoint? This cannot be undone."
        )
        if answer == QMessageBox.StandardButton.Yes:
            problem = delete_model(name)
            if problem:
                QMessageBox.warning(self, "Delete model", problem)
