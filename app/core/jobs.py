"""A job is a plain function `run(progress) -> result`; the GUI, the CLI and the tests all run it the same way.

`Progress` is the job's only link to the outside world: it reports a fraction (forwarded only when the
rounded percentage changes, so a tight loop never floods the GUI with signals), answers whether the job has
been cancelled (`check()` raises `Cancelled`), and hands out sub-progress objects for the steps of a
pipeline. The GUI wraps jobs in a QRunnable on a single-thread pool (`app.gui.worker`); the CLI drives the
same functions with a tqdm bar.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from latent_studio.models.errors import Cancelled

T = TypeVar("T")
ProgressCallback = Callable[[float, str], None]

#: One model job on the compute device at a time, across runners. The editor's runner holds it for a whole
#: job; the batch engine only around each chunk's network stage, so the editor's previews take turns with a
#: long batch (waiting at most one chunk) instead of queueing behind all of it or sharing the GPU with it.
COMPUTE_LOCK = threading.RLock()


class CancelToken:
    """A thread-safe flag: set by whoever submitted the job, read by the job."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Progress:
    """Progress reporting and cancellation for one job (or one step of it, via `sub`)."""

    def __init__(
        self,
        callback: ProgressCallback | None = None,
        token: CancelToken | None = None,
        start: float = 0.0,
        end: float = 1.0,
        _shared: dict | None = None,
    ) -> None:
        self._callback = callback
        self.token = token or CancelToken()
        self._start = start
        self._end = end
        self._shared = _shared if _shared is not None else {"last_percent": -1}

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def check(self) -> None:
        """Raise `Cancelled` if the job was cancelled; call it between steps and inside long loops."""
        if self.token.cancelled:
            raise Cancelled()

    def report(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1] of this (sub-)step; also checks for cancellation."""
        self.check()
        overall = self._start + (self._end - self._start) * min(max(fraction, 0.0), 1.0)
        percent = int(overall * 100)
        if self._callback is not None and (percent != self._shared["last_percent"] or message):
            self._shared["last_percent"] = percent
            self._callback(overall, message)

    def sub(self, start: float, end: float) -> Progress:
        """Progress for a step covering [start, end] of this one."""
        span = self._end - self._start
        return Progress(self._callback, self.token, self._start + span * start, self._start + span * end, self._shared)


@dataclass
class Job(Generic[T]):
    """A unit of work for a runner: `kind` groups jobs so that a newer one supersedes a pending one."""

    kind: str
    run: Callable[[Progress], T]
    description: str = ""
    token: CancelToken = field(default_factory=CancelToken)

    def execute(self, callback: ProgressCallback | None = None) -> T:
        """Run now, in the calling thread."""
        progress = Progress(callback, self.token)
        progress.check()
        result = self.run(progress)
        progress.report(1.0)
        return result


def run_sync(run: Callable[[Progress], Any], callback: ProgressCallback | None = None) -> Any:
    """Run a job function in this thread (tests, CLI)."""
    return Job("sync", run).execute(callback)
