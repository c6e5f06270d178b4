"""Runs a folder batch off the GUI thread for the Batch dialog and turns its per-item results into Qt signals.

The work is the same plain job the CLI runs (`app.core.batch_setup.prepare_batch`, then the engine): this
module only wraps it in a `Job` on a JobRunner of its own, so a long batch never queues the editor's panel
jobs behind it (the two take turns on the device through `COMPUTE_LOCK`, chunk by chunk), and relays each
`ItemResult` to the GUI thread as it is yielded. Pause is the engine's `pause` event (checked between
chunks); Cancel is the job's CancelToken. `RateMeter` is plain logic (images/s and ETA over the time
actually spent running), kept out of the slots so it is tested directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from latent_studio.app.core.batch_setup import BatchRequest
from latent_studio.app.core.jobs import Job, Progress
from latent_studio.app.gui.worker import JobRunner

JOB_KIND = "batch"


class RateMeter:
    """Images per second and time left, not counting paused time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started: float | None = None
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self.count = 0

    def start(self) -> None:
        self._started, self._paused_at, self._paused_total, self.count = self._clock(), None, 0.0, 0

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self._clock()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused_total += self._clock() - self._paused_at
            self._paused_at = None

    def elapsed(self) -> float:
        if self._started is None:
            return 0.0
        now = self._paused_at if self._paused_at is not None else self._clock()
        return max(0.0, now - self._started - self._paused_total)

    def rate(self) -> float:
        elapsed = self.elapsed()
        return self.count / elapsed if elapsed > 0 else 0.0

    def eta(self, remaining: int) -> float | None:
        """Seconds left for `remaining` images, or None before the first image gives a rate."""
        rate = self.rate()
        return remaining / rate if rate > 0 else None


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def batch_job(
    request: BatchRequest, planned: Callable[[int], None], item: Callable[[object], None], pause: threading.Event
) -> Callable[[Progress], str]:
    """`run(progress) -> summary line`: set up (as the CLI does), plan, then process, calling `item` per result."""

    def run(progress: Progress) -> str:
        from latent_studio.app.core.batch import summarize
        from latent_studio.app.core.batch_setup import prepare_batch  # imports torch: worker thread only

        # 1. the folders, options and tool (loads and verifies its model), then the plan: a bad folder, option or
        #    weights file fails here, once, as the job's error, before any file is touched
        batch = prepare_batch(request)
        planned(batch.plan.total)  # so the dialog knows the total
        # 2. the items, one signal each
        results, start = [], time.perf_counter()
        for result in batch.results(progress, pause):
            results.append(result)
            item(result)
        return summarize(results, time.perf_counter() - start)

    return run


class _Relay(QObject):
    """Lives on the GUI thread; the job emits from the worker thread, so Qt queues each signal."""

    planned = Signal(int)
    item = Signal(object)


class BatchSession(QObject):
    """One batch at a time: start, pause/resume, cancel; every signal arrives on the GUI thread."""

    planned = Signal(int)  # total number of images (skipped ones included)
    item_finished = Signal(object)  # app.core.batch.ItemResult
    finished = Signal(str, str)  # outcome ("done", "cancelled", "failed"), message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = JobRunner(self, exclusive=False)  # the engine takes COMPUTE_LOCK per chunk
        self._pause = threading.Event()
        self._relay = _Relay(self)
        self._relay.planned.connect(self.planned)
        self._relay.item.connect(self.item_finished)
        self.runner.cancelled.connect(lambda kind: self.finished.emit("cancelled", "Cancelled."))

    def start(self, request: BatchRequest) -> Job:
        self._pause.clear()
        run = batch_job(request, self._relay.planned.emit, self._relay.item.emit, self._pause)
        job = Job(JOB_KIND, run, f"Batch {request.tool}")
        return self.runner.submit(
            job,
            on_result=lambda summary: self.finished.emit("done", summary),
            on_error=lambda message: self.finished.emit("failed", message),
        )

    def is_running(self) -> bool:
        return self.runner.is_busy(JOB_KIND)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self._pause.set()
        else:
            self._pause.clear()

    def is_paused(self) -> bool:
        return self._pause.is_set()

    def cancel(self) -> None:
        self.runner.cancel(JOB_KIND)  # a paused engine checks the token while it waits
        self._pause.clear()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait (the window is closing): the engine stops after the chunk in hand."""
        self.cancel()
        self.runner.wait_for_done(timeout_ms)
