"""The benchmark's finetune case (issue #16): crops per second of the `train colorizer` and `train sketch` steps,
one row per tool/subject and device, filled at the smallest sizes (--tiny). Speed is never asserted here."""

from __future__ import annotations

import math


def test_finetune_case_fills_a_row_per_tool_and_subject() -> None:
    from benchmarks.finetune import format_finetune, run_finetune_benchmark

    rows = run_finetune_benchmark(quick=True, tiny=True)
    assert [r["tool"] for r in rows if r["device"] == "cpu"] == [
        "colorizer",
        "sketch:scene",
        "sketch:face",
        "sketch:clothing",
    ]
    for row in rows:
        assert row["crop"] == 32 and row["batch"] == 2
        assert math.isfinite(row["crops_per_s"]) and row["crops_per_s"] > 0 and row["step_ms"] > 0
    assert len(format_finetune(rows)) == len(rows) + 2


def test_the_commands_crop_sizes_are_measured() -> None:
    """Outside --tiny each row runs at the crop its command trains at (the subject's resolution to the stride)."""
    from latent_studio.app.core.finetune import FinetuneRequest, tuning

    crops = {
        subject: tuning(
            FinetuneRequest(data=__import__("pathlib").Path("."), name="b", tool="sketch", subject=subject)
        ).crop
        for subject in ("scene", "face", "clothing")
    }
    assert crops == {"scene": 256, "face": 128, "clothing": 128}
    assert tuning(FinetuneRequest(data=__import__("pathlib").Path("."), name="b")).crop == 128
