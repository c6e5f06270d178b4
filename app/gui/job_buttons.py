"""The Start / Pause / Cancel / Close row that the long-job dialogs (Batch, Train on My Photos) share."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton


def job_buttons() -> tuple[QPushButton, QPushButton, QPushButton, QPushButton, QHBoxLayout]:
    """Start (the default button), Pause, Cancel and Close, right-aligned in one row: (start, pause, cancel, close,
    row). The dialog connects them; Pause's behaviour (a toggle or a click) is its own."""
    start, pause, cancel, close = (
        QPushButton("Start"),
        QPushButton("Pause"),
        QPushButton("Cancel"),
        QPushButton("Close"),
    )
    start.setDefault(True)
    row = QHBoxLayout()
    row.addStretch(1)
    for button in (start, pause, cancel, close):
        row.addWidget(button)
    return start, pause, cancel, close, row
