"""Small pieces every training recipe shares."""

from __future__ import annotations

import signal


class SigtermFlag:
    """Turns SIGTERM into a flag the training loop checks, so the recipe writes its checkpoint before exiting."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None
        try:
            self._previous = signal.signal(signal.SIGTERM, self._on_term)
        except ValueError:  # not the main thread: no handler, no flag
            pass

    def _on_term(self, *_: object) -> None:
        self.requested = True

    def restore(self) -> None:
        """Put the previous handler back (a recipe called from tests must not keep SIGTERM)."""
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
            self._previous = None
