"""Run jobs off the GUI thread, one at a time, and hand their results back on the GUI thread.

A job is a plain function from `app.core.jobs`; `_JobRunnable` only adapts it to a QRunnable on the runner's
own single-thread QThreadPool (so only one job uses the GPU at a time). The runnable emits its signals from
the worker thread; Qt queues them to the runner, which lives on the GUI thread and decides what to deliver:

- Latest request wins: submitting a job of a kind cancels the pending or running job of that kind (its
  CancelToken). A superseded job's progress, result and error are dropped, so dragging a slider never
  queues hundreds of jobs or flashes stale results.
- A `LatentStudioError` is delivered as its own message; anything else as "Unexpected error in <job>: ..."
  and logged with its traceback. A failing callback is reported the same way: the editor never crashes.
"""

from __future__ import annotations

import itertools
import logging
import weakref
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

from latent_studio.app.core.jobs import COMPUTE_LOCK, Job
from latent_studio.models.errors import Cancelled, LatentStudioError

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[str], None]

_RUNNERS: weakref.WeakSet[JobRunner] = weakref.WeakSet()
_BUSY: set[JobRunner] = set()  # strong references: a runner with work is never garbage-collected mid-job


def live_runners() -> list[JobRunner]:
    """Every JobRunner still alive (the tests use it to fail a test that leaves a job running)."""
    _BUSY.difference_update([runner for runner in _BUSY if not shiboken6.isValid(runner)])
    return [runner for runner in _RUNNERS if shiboken6.isValid(runner)]


def _cancel_entries(entries: dict, *_: object) -> None:
    for entry in list(entries.values()):
        entry.job.token.cancel()


def error_message(job: Job, error: BaseException) -> str:
    """The text the user sees for a job that raised `error`."""
    if isinstance(error, LatentStudioError):
        return str(error)
    return f"Unexpected error in {job.description or job.kind}: {type(error).__name__}: {error}"


class _Relay(QObject):
    """Signals the runnable emits from the worker thread; connected (queued) to the runner."""

    started = Signal(int)
    progress = Signal(int, float, str)
    succeeded = Signal(int, object)
    raised = Signal(int, str, bool)  # serial, message, was it a cancellation


class _JobRunnable(QRunnable):
    """Adapts one Job to QRunnable; never lets an exception escape into Qt's thread."""

    def __init__(self, serial: int, job: Job, relay: _Relay, exclusive: bool) -> None:
        super().__init__()
        # autoDelete stays on: the pool owns the runnable and deletes it after run() returns. Holding it from
        # Python instead would race: the GUI thread could free it while the worker thread is still leaving run().
        self._serial = serial
        self._job = job
        self._relay = relay
        self._exclusive = exclusive

    def run(self) -> None:
        serial, job, relay = self._serial, self._job, self._relay
        if job.token.cancelled:  # superseded while waiting in the queue: don't even start
            relay.raised.emit(serial, "The job was cancelled.", True)
            return
        relay.started.emit(serial)
        try:
            with COMPUTE_LOCK if self._exclusive else nullcontext():
                result = job.execute(lambda fraction, message: relay.progress.emit(serial, fraction, message))
        except Cancelled as error:
            relay.raised.emit(serial, str(error), True)
        except LatentStudioError as error:
            relay.raised.emit(serial, str(error), False)
        except Exception as error:  # the user gets a message, the log gets the traceback
            log.exception("Job %r (%s) failed", job.kind, job.description)
            relay.raised.emit(serial, error_message(job, error), False)
        else:
            relay.succeeded.emit(serial, result)


@dataclass
class _Entry:
    job: Job
    on_result: ResultCallback | None
    on_error: ErrorCallback | None


class JobRunner(QObject):
    """Runs `app.core.jobs.Job`s on a private single-thread pool; all signals arrive on the GUI thread.

    `exclusive` (the default): each job holds `COMPUTE_LOCK` while it runs. The Batch dialog's runner is not
    exclusive: its one long job lets the engine take the lock chunk by chunk instead.
    """

    started = Signal(str)
    progress = Signal(str, float, str)
    finished = Signal(str, object)
    failed = Signal(str, str)
    cancelled = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, exclusive: bool = True) -> None:
        super().__init__(parent)
        self._exclusive = exclusive
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        # Keep the one worker thread for the app's lifetime: per-thread state such as torch's OpenMP
        # thread count (set by the start-up job) then applies to every job.
        self._pool.setExpiryTimeout(-1)
        self._serials = itertools.count(1)
        self._entries: dict[int, _Entry] = {}  # every runnable not yet reported back
        self._current: dict[str, int] = {}  # kind -> serial of the newest job of that kind
        self._relay = _Relay(self)
        self._relay.started.connect(self._on_started)
        self._relay.progress.connect(self._on_progress)
        self._relay.succeeded.connect(self._on_succeeded)
        self._relay.raised.connect(self._on_raised)
        # If the runner is destroyed with work left (its window deleted), the pool's destructor waits for the
        # running job: cancel every token first so that wait is short. The slot must not touch `self`.
        self.destroyed.connect(partial(_cancel_entries, self._entries))
        self.busy_changed.connect(self._on_busy_changed)
        _RUNNERS.add(self)

    # --- public API ------------------------------------------------------------------------------------

    def submit(self, job: Job, on_result: ResultCallback | None = None, on_error: ErrorCallback | None = None) -> Job:
        """Queue `job`; a pending or running job of the same kind is cancelled and its result dropped."""
        previous = self._current.get(job.kind)
        if previous is not None and previous in self._entries:
            self._entries[previous].job.token.cancel()
        serial = next(self._serials)
        was_busy = self.is_busy()
        self._entries[serial] = _Entry(job, on_result, on_error)
        self._current[job.kind] = serial
        self._pool.start(_JobRunnable(serial, job, self._relay, self._exclusive))
        if not was_busy:
            self.busy_changed.emit(True)
        return job

    def cancel(self, kind: str | None = None) -> None:
        """Cancel the job of `kind` (every job when None); `cancelled(kind)` follows when it stops."""
        for entry in self._entries.values():
            if kind is None or entry.job.kind == kind:
                entry.job.token.cancel()

    def cancel_except(self, keep: tuple[str, ...]) -> None:
        """Cancel every job whose kind is not in `keep` (e.g. when a new file replaces the picture)."""
        for entry in self._entries.values():
            if entry.job.kind not in keep:
                entry.job.token.cancel()

    def is_busy(self, kind: str | None = None) -> bool:
        """Whether any job (of `kind`, if given) is queued or running."""
        return any(kind is None or entry.job.kind == kind for entry in self._entries.values())

    def description(self, kind: str) -> str:
        """What the current job of `kind` does, for the status bar."""
        serial = self._current.get(kind)
        entry = self._entries.get(serial) if serial is not None else None
        return (entry.job.description or kind) if entry else kind

    def wait_for_done(self, timeout_ms: int = 30_000) -> bool:
        """Block until the pool is idle, then deliver the queued signals; False on timeout."""
        done = self._pool.waitForDone(timeout_ms)
        QCoreApplication.sendPostedEvents(self._relay)
        QCoreApplication.sendPostedEvents(self)
        QCoreApplication.processEvents()
        return done and not self.is_busy()

    # --- delivery, on the GUI thread ---------------------------------------------------------------------

    def _on_busy_changed(self, busy: bool) -> None:
        if busy:
            _BUSY.add(self)
        else:
            _BUSY.discard(self)

    def _is_current(self, serial: int) -> bool:
        entry = self._entries.get(serial)
        return entry is not None and self._current.get(entry.job.kind) == serial and not entry.job.token.cancelled

    def _on_started(self, serial: int) -> None:
        if self._is_current(serial):
            self.started.emit(self._entries[serial].job.kind)

    def _on_progress(self, serial: int, fraction: float, message: str) -> None:
        if self._is_current(serial):
            self.progress.emit(self._entries[serial].job.kind, fraction, message)

    def _on_succeeded(self, serial: int, result: object) -> None:
        entry, current = self._finish(serial)
        if entry is None or not current:
            return
        if entry.job.token.cancelled:  # cancelled after it had finished: still honour the cancel
            self.cancelled.emit(entry.job.kind)
            return
        try:
            if entry.on_result is not None:
                entry.on_result(result)
        except Exception as error:  # a bug in a callback must not take the editor down
            log.exception("Result handler of job %r failed", entry.job.kind)
            self._deliver_error(entry, error_message(entry.job, error))
            return
        self.finished.emit(entry.job.kind, result)

    def _on_raised(self, serial: int, message: str, was_cancelled: bool) -> None:
        entry, current = self._finish(serial)
        if entry is None or not current:
            return
        if was_cancelled or entry.job.token.cancelled:
            self.cancelled.emit(entry.job.kind)
        else:
            self._deliver_error(entry, message)

    def _deliver_error(self, entry: _Entry, message: str) -> None:
        try:
            if entry.on_error is not None:
                entry.on_error(message)
        except Exception:
            log.exception("Error handler of job %r failed", entry.job.kind)
        self.failed.emit(entry.job.kind, message)

    def _finish(self, serial: int) -> tuple[_Entry | None, bool]:
        """Forget a job that reported back; returns it and whether it was still the newest of its kind."""
        entry = self._entries.pop(serial, None)
        if entry is None:
            return None, False
        current = self._current.get(entry.job.kind) == serial
        if current:
            del self._current[entry.job.kind]
        if not self._entries:
            self.busy_changed.emit(False)
        return entry, current
