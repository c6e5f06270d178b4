"""The benchmark's --tiny smoke run writes a complete report: every section runs and fills its fields with
numbers at the smallest inputs. Speed is never asserted here: the targets live in `python -m benchmarks`."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

MODEL_FIELDS = ("model", "workload", "weights", "dtype", "params_m", "gflops", "latency_ms", "floor_ms", "floor_ratio")
ACTION_FIELDS = ("action", "what", "size", "median_ms", "first_ms", "peak_rss_mib", "target_ms")
ACTIONS = ("colorize_1024", "colorize_4000x3000", "sketch_256", "hint_update_256", "slider", "face_fit")
BATCH_FIELDS = (
    "images",
    "naive_images_per_s",
    "engine_images_per_s",
    "speedup",
    "batch_ms_per_image",
    "workers",
    "chunk",
)
SETTINGS_VARIANTS = (
    "default",
    "threads=1",
    "contiguous input",
    "channels_last model+input",
    "no_grad",
    "bf16 autocast",
)


def _filled(value) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value) and value >= 0
    return value not in (None, "", [], {})


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "targets" in done.stdout  # the table was printed
    return json.loads(out.read_text())


def test_meta_and_floor(report):
    assert report["meta"]["quick"] is True and report["meta"]["tiny"] is True
    assert all(_filled(report["meta"][key]) for key in ("device", "threads", "torch", "when", "weights"))
    assert report["floor"]["float32"] > 0


def test_every_model_row_is_filled(report):
    names = {row["model"] for row in report["models"]}
    assert {"colorizer", "colorizer-l2", "sketch", "vae", "face-attributes"} <= names
    for row in report["models"]:
        for field in MODEL_FIELDS:
            assert _filled(row[field]), (row["model"], field)
        assert row["gflops"] > 0 and row["latency_ms"] > 0


def test_every_action_is_measured(report):
    assert [row["action"] for row in report["actions"]] == list(ACTIONS)
    for row in report["actions"]:
        for field in ACTION_FIELDS:
            assert _filled(row[field]), (row["action"], field)


def test_gui_start_and_stall(report):
    start, stall = report["gui"]["start"], report["gui"]["stall"]
    assert start["seconds"] > 0 and start["peak_rss_mib"] > 0
    assert stall["ticks"] > 0
    for field in ("max_stall_ms", "p99_stall_ms", "job_ms", "peak_rss_mib", "size"):
        assert _filled(stall[field]), field


def test_batch_throughput(report):
    for field in BATCH_FIELDS:
        assert _filled(report["batch"][field]), field
        assert report["batch"][field] != 0, field


def test_settings_study_covers_each_choice(report):
    for model in ("colorizer", "sketch"):
        variants = {row["variant"] for row in report["settings"] if row["model"] == model}
        assert set(SETTINGS_VARIANTS) <= variants, model
        assert any(v.startswith("torch.compile") for v in variants)
    assert all(_filled(row["ratio"]) for row in report["settings"])


def test_targets_are_checked(report):
    assert len(report["targets"]) >= 6 + len(report["models"])
    assert any(row["target"] == "batch engine vs naive loop (CPU)" for row in report["targets"])
    assert all(isinstance(row["met"], bool) for row in report["targets"])


def test_batch_study_times_every_run_and_stage(tmp_path):
    from benchmarks.batch_study import main as study  # in this process: it puts the engine's functions back itself

    out = tmp_path / "study.json"
    assert study(["--quick", "--count", "4", "--pipelines", "1x2", "--out", str(out)]) == 0
    rows = {row["run"]: row for row in json.loads(out.read_text())["rows"]}
    assert list(rows) == [
        "naive loop",
        "engine 2x1",
        "engine 1x2",
        "no model 2x1",
        "no model 4x1",
        "naive loop (again)",
    ]
    assert rows["engine 2x1"]["default"] is True and rows["engine 1x2"]["default"] is False
    assert set(rows["naive loop"]["stages"]) == {"decode", "colorize", "encode+write"}
    assert {"decode", "network", "encode+write"} <= set(rows["engine 1x2"]["stages"])
    assert set(rows["no model 2x1"]["stages"]) == {"decode", "encode+write"}
    assert all(row["images_per_s"] > 0 and row["x_naive"] > 0 for row in rows.values())
