"""Undo/redo of every operation's result, within a memory budget.

Each step is a QUndoCommand holding the picture before and after the operation (pictures are immutable, so
consecutive steps share arrays and a step costs about one image). When the pictures held exceed
`max_bytes`, the oldest steps are dropped: QUndoStack cannot remove its bottom commands, so the stack is
rebuilt from the remaining steps without re-running them, keeping the saved ("clean") point where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from latent_studio.app.core.imageio import Picture

#: Default budget for undo steps: 2 GiB.
DEFAULT_MAX_BYTES = 2 * 1024**3

Setter = Callable[[Picture], None]


@dataclass(frozen=True)
class Step:
    label: str
    before: Picture
    after: Picture


class PictureCommand(QUndoCommand):
    """Swaps the document's picture between `before` (undo) and `after` (redo)."""

    def __init__(self, step: Step, setter: Setter, already_applied: bool = False) -> None:
        super().__init__(step.label)
        self.step = step
        self._setter = setter
        self._skip_redo = already_applied  # when the stack is rebuilt, the picture is already shown

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._setter(self.step.after)

    def undo(self) -> None:
        self._setter(self.step.before)


class History(QObject):
    """The undo stack of one document; `stack` is the QUndoStack the Edit menu's actions follow."""

    def __init__(self, setter: Setter, max_bytes: int = DEFAULT_MAX_BYTES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.max_bytes = max_bytes
        self._setter = setter
        self._steps: list[Step] = []  # mirrors the stack's commands, index for index

    def push(self, before: Picture, after: Picture, label: str) -> None:
        """Record a step and apply it (the setter is called with `after`)."""
        del self._steps[self.stack.index() :]  # QUndoStack drops the redo steps on push too
        step = Step(label, before, after)
        self._steps.append(step)
        self.stack.push(PictureCommand(step, self._setter))
        self._trim()

    def undo(self) -> None:
        self.stack.undo()

    def redo(self) -> None:
        self.stack.redo()

    def clear(self) -> None:
        """Forget every step (a new document); the stack becomes clean."""
        self._steps.clear()
        self.stack.clear()

    def set_clean(self) -> None:
        """The current state is what is on disk."""
        self.stack.setClean()

    @property
    def is_clean(self) -> bool:
        return self.stack.isClean()

    @property
    def steps(self) -> list[Step]:
        return list(self._steps)

    def total_bytes(self, steps: list[Step] | None = None) -> int:
        """Bytes of the distinct pixel arrays the steps hold."""
        arrays = {}
        for step in self._steps if steps is None else steps:
            arrays[id(step.before.pixels)] = step.before.pixels.nbytes
            arrays[id(step.after.pixels)] = step.after.pixels.nbytes
        return sum(arrays.values())

    def _trim(self) -> None:
        """Drop the oldest steps until the budget holds (the newest step is always kept)."""
        drop = 0
        while len(self._steps) - drop > 1 and self.total_bytes(self._steps[drop:]) > self.max_bytes:
            drop += 1
        if drop:
            self._rebuild(drop)

    def _rebuild(self, drop: int) -> None:
        clean_index = self.stack.cleanIndex()
        new_clean = clean_index - drop if clean_index >= drop else -1
        index = self.stack.index() - drop
        kept = self._steps[drop:]
        self.stack.clear()
        self._steps = list(kept)
        for position, step in enumerate(kept[:index]):
            if position == new_clean:
                self.stack.setClean()
            self.stack.push(PictureCommand(step, self._setter, already_applied=True))
        if new_clean == index:
            self.stack.setClean()
        elif new_clean == -1 or new_clean > index:
            self.stack.resetClean()
