"""The GUI job runner: results on the GUI thread, progress, cancellation, latest-request-wins, errors."""

from __future__ import annotations

import logging
import threading

import pytest

from latent_studio.app.core.jobs import Job, Progress
from latent_studio.app.gui.worker import JobRunner
from latent_studio.models.errors import ImageReadError

TIMEOUT = 5000


@pytest.fixture
def runner(qtbot):
    runner = JobRunner()
    yield runner
    runner.cancel()
    assert runner.wait_for_done(TIMEOUT)


def _gate_job(kind: str, gate: threading.Event, started: threading.Event | None = None) -> Job:
    """A job that holds the single worker thread until `gate` is set (or it is cancelled)."""

    def run(progress: Progress) -> str:
        if started is not None:
            started.set()
        while not gate.wait(0.005):
            progress.check()
        return kind

    return Job(kind, run, f"gate {kind}")


def test_result_is_delivered_on_the_gui_thread(qtbot, runner):
    gui_thread = threading.get_ident()
    seen = {}

    def run(progress: Progress) -> int:
        seen["job_thread"] = threading.get_ident()
        return 42

    def on_result(value: int) -> None:
        seen["callback_thread"] = threading.get_ident()
        seen["value"] = value

    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        runner.submit(Job("answer", run), on_result=on_result)
    assert blocker.args == ["answer", 42]
    assert seen["value"] == 42
    assert seen["callback_thread"] == gui_thread
    assert seen["job_thread"] != gui_thread


def test_progress_is_reported_in_order_on_the_gui_thread(qtbot, runner):
    reports: list[tuple[str, float, str, int]] = []
    runner.progress.connect(
        lambda kind, fraction, message: reports.append((kind, fraction, message, threading.get_ident()))
    )

    def run(progress: Progress) -> None:
        for step in range(4):
            progress.report(step / 4, f"step {step}")

    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.submit(Job("steps", run))
    fractions = [fraction for _, fraction, _, _ in reports]
    assert fractions == sorted(fractions)
    assert fractions[:4] == [0.0, 0.25, 0.5, 0.75] and fractions[-1] == 1.0
    assert {kind for kind, _, _, _ in reports} == {"steps"}
    assert {thread for *_, thread in reports} == {threading.get_ident()}
    assert reports[1][2] == "step 1"


def test_busy_changed_brackets_the_work(qtbot, runner):
    states: list[bool] = []
    runner.busy_changed.connect(states.append)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.submit(Job("quick", lambda progress: None))
    assert states == [True, False]
    assert not runner.is_busy()


def test_cancel_stops_a_running_job(qtbot, runner):
    gate, started = threading.Event(), threading.Event()
    results = []
    runner.submit(_gate_job("slow", gate, started), on_result=results.append)
    assert started.wait(TIMEOUT / 1000)
    with qtbot.waitSignal(runner.cancelled, timeout=TIMEOUT) as blocker:
        runner.cancel("slow")
    assert blocker.args == ["slow"]
    assert results == []
    assert not runner.is_busy()


def test_a_newer_job_of_the_same_kind_supersedes_pending_ones(qtbot, runner):
    gate = threading.Event()
    runner.submit(_gate_job("blocker", gate))  # occupies the single worker thread
    delivered, finished = [], []
    runner.finished.connect(lambda kind, value: finished.append((kind, value)))
    cancelled = []
    runner.cancelled.connect(cancelled.append)
    for value in range(5):
        runner.submit(Job("slider", lambda progress, value=value: value), on_result=delivered.append)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT, check_params_cb=lambda kind, value: kind == "slider"):
        gate.set()
    assert runner.wait_for_done(TIMEOUT)
    assert delivered == [4]
    assert finished == [("blocker", "blocker"), ("slider", 4)]
    assert cancelled == []  # superseding is silent: the kind is still busy with the newer job


def test_a_newer_job_supersedes_a_running_one(qtbot, runner):
    gate, started = threading.Event(), threading.Event()
    delivered = []
    runner.submit(_gate_job("preview", gate, started), on_result=delivered.append)
    assert started.wait(TIMEOUT / 1000)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as blocker:
        runner.submit(Job("preview", lambda progress: "newest"), on_result=delivered.append)
    assert blocker.args == ["preview", "newest"]
    assert delivered == ["newest"]


def test_a_user_error_is_delivered_as_its_message(qtbot, runner):
    errors = []

    def run(progress: Progress) -> None:
        raise ImageReadError("photo.png is corrupt and cannot be decoded.")

    with qtbot.waitSignal(runner.failed, timeout=TIMEOUT) as blocker:
        runner.submit(Job("open", run), on_error=errors.append)
    assert blocker.args == ["open", "photo.png is corrupt and cannot be decoded."]
    assert errors == ["photo.png is corrupt and cannot be decoded."]


def test_an_unexpected_error_is_described_and_logged(qtbot, runner, caplog):
    def run(progress: Progress) -> None:
        raise ValueError("boom")

    with (
        caplog.at_level(logging.ERROR, logger="latent_studio.app.gui.worker"),
        qtbot.waitSignal(runner.failed, timeout=TIMEOUT) as blocker,
    ):
        runner.submit(Job("op", run, "Flip Horizontal"))
    assert blocker.args == ["op", "Unexpected error in Flip Horizontal: ValueError: boom"]
    assert any(record.exc_info for record in caplog.records)


def test_a_failing_result_callback_becomes_an_error_not_a_crash(qtbot, runner):
    def broken(value: object) -> None:
        raise RuntimeError("callback bug")

    with qtbot.waitSignal(runner.failed, timeout=TIMEOUT) as blocker:
        runner.submit(Job("op", lambda progress: 1, "Rotate"), on_result=broken)
    assert blocker.args[1] == "Unexpected error in Rotate: RuntimeError: callback bug"


def test_jobs_of_different_kinds_all_deliver(qtbot, runner):
    finished = []
    runner.finished.connect(lambda kind, value: finished.append(kind))
    for kind in ("a", "b", "c"):
        runner.submit(Job(kind, lambda progress: None))
    assert runner.wait_for_done(TIMEOUT)
    assert finished == ["a", "b", "c"]


def _lock_free_elsewhere(progress: Progress) -> bool:
    """Whether another thread could take COMPUTE_LOCK while this job runs."""
    from latent_studio.app.core.jobs import COMPUTE_LOCK

    free = []

    def probe() -> None:
        if COMPUTE_LOCK.acquire(blocking=False):
            COMPUTE_LOCK.release()
            free.append(True)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return bool(free)


@pytest.mark.parametrize(("exclusive", "free"), [(True, False), (False, True)])
def test_an_exclusive_runner_holds_the_compute_lock_while_a_job_runs(qtbot, exclusive, free):
    runner = JobRunner(exclusive=exclusive)
    seen = []
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.submit(Job("probe", _lock_free_elsewhere), on_result=seen.append)
    assert seen == [free]
    assert runner.wait_for_done(TIMEOUT)
