"""The plain-function job protocol: progress, sub-progress, cancellation."""

from __future__ import annotations

import pytest

from latent_studio.app.core.jobs import CancelToken, Job, Progress, run_sync
from latent_studio.models.errors import Cancelled


def test_progress_reports_only_when_the_percentage_changes():
    seen = []
    progress = Progress(lambda fraction, message: seen.append(round(fraction, 3)))
    for i in range(1001):
        progress.report(i / 1000)
    assert len(seen) == 101
    assert seen[0] == 0.0 and seen[-1] == 1.0


def test_sub_progress_maps_into_the_parent_range():
    seen = []
    progress = Progress(lambda fraction, message: seen.append(fraction))
    step = progress.sub(0.5, 1.0).sub(0.0, 0.5)
    step.report(1.0)
    assert seen == [pytest.approx(0.75)]


def test_cancelled_job_raises_at_the_next_check():
    token = CancelToken()
    steps = []

    def work(progress: Progress) -> str:
        for i in range(10):
            if i == 3:
                token.cancel()
            progress.report(i / 10)
            steps.append(i)
        return "done"

    with pytest.raises(Cancelled):
        Job("test", work, token=token).execute()
    assert steps == [0, 1, 2]


def test_run_sync_returns_the_result_and_ends_at_100_percent():
    seen = []
    assert run_sync(lambda progress: 42, lambda f, m: seen.append(f)) == 42
    assert seen[-1] == 1.0
