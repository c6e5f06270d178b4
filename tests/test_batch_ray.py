"""Batch on Ray (app.core.batch_ray) on one local Ray runtime (2 CPUs, this machine only), the real colorizer at
small sizes: the same outputs byte for byte as the local engine, a SIGKILLed worker's items retried elsewhere
and never written twice, an item that kills its worker fails only itself, a SIGKILLed driver resumed by a
re-run (the CLI joining the runtime by address), and the Batch dialog's engine choice.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # a Ray runtime, ~40 s of the suite: CI runs these (CI=true), locally --slow

from latent_studio.app.core.batch import DONE_LOG, REPORT, BatchOptions, plan_batch, run_batch  # noqa: E402
from latent_studio.app.core.batch_ray import STAGING, RayEngine  # noqa: E402
from latent_studio.app.core.batch_setup import ToolRecipe  # noqa: E402
from latent_studio.app.core.imageio import load_image  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ToolRecipe("colorize", "cpu", 64)
BAD = "bad.png"


@pytest.fixture(scope="module")
def cluster():
    """One local Ray runtime for the module; its address lets a CLI subprocess join it."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def photo(path: Path, width: int, height: int, seed: int) -> Path:
    y, x = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(seed).integers(0, 40, x.shape)
    pixels = np.clip(np.stack([255 * x / width, 255 * y / height, 60 + noise], axis=2), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def folder(root: Path, count: int = 6, bad: bool = True, side: int = 64) -> Path:
    for i in range(count):
        photo(root / ("sub" if i % 3 == 2 else "") / f"p{i}.png", side + 16 * (i % 3), side, seed=i)
    if bad:
        (root / BAD).write_bytes(b"not a picture")
    return root


def rows(out: Path) -> dict[str, tuple[str, str]]:
    with open(out / REPORT, newline="") as handle:
        return {
            Path(r["output"]).relative_to(out).as_posix(): (r["status"], r["error"]) for r in csv.DictReader(handle)
        }


def logged(out: Path) -> list[str]:
    return [json.loads(line)["output"] for line in (out / DONE_LOG).read_text().splitlines()]


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("p*.png")}


def test_ray_engine_writes_what_the_local_engine_writes(cluster, tmp_path):
    src = folder(tmp_path / "in")
    options = BatchOptions(recursive=True, workers=1, batch_size=1)
    tool = RECIPE.make()
    local = list(run_batch(plan_batch(src, tmp_path / "local", tool, options), tool))
    engine = RayEngine(RECIPE, actors=2)
    distributed = list(engine(plan_batch(src, tmp_path / "ray", tool, options), tool))

    assert sorted(r.status for r in distributed) == sorted(r.status for r in local) == ["done"] * 6 + ["failed"]
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local") and len(outputs(tmp_path / "local")) == 6
    assert rows(tmp_path / "ray") == rows(tmp_path / "local")  # the bad file: the same one-line reason
    assert sorted(logged(tmp_path / "ray")) == sorted(logged(tmp_path / "local"))
    assert not (tmp_path / "ray" / STAGING).exists() and not list((tmp_path / "ray").rglob("*.part"))
    assert set(engine.stats["renamed"].values()) == {1}


def test_a_reference_photo_travels_to_the_workers(cluster, tmp_path):
    src = folder(tmp_path / "in", count=2, bad=False)
    recipe = ToolRecipe("colorize", "cpu", 64, reference=load_image(photo(tmp_path / "ref.png", 48, 40, seed=7)))
    tool = recipe.make()
    list(run_batch(plan_batch(src, tmp_path / "local", tool, BatchOptions(recursive=True)), tool))
    results = list(
        RayEngine(recipe, actors=1)(plan_batch(src, tmp_path / "ray", tool, BatchOptions(recursive=True)), tool)
    )
    assert [r.status for r in results] == ["done", "done"]  # a worker without it would fail the key check
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")


def test_a_killed_worker_loses_nothing_and_writes_nothing_twice(cluster, tmp_path):
    src = folder(tmp_path / "in", count=8, bad=False, side=96)
    out = tmp_path / "out"
    engine = RayEngine(RECIPE, actors=2, chunk=1)
    results, killed = [], None
    tool = RECIPE.make()
    for result in engine(plan_batch(src, out, tool, BatchOptions(recursive=True)), tool):
        results.append(result)
        if killed is None and engine.busy_pids():
            killed = engine.busy_pids()[0]
            os.kill(killed, signal.SIGKILL)  # mid-run: the worker has calls in flight

    assert killed is not None and engine.stats["actors_lost"] == 1 and engine.stats["items_retried"] >= 1
    assert [r.status for r in results] == ["done"] * 8
    assert sorted(logged(out)) == sorted(outputs(out)) and len(outputs(out)) == 8  # none lost, each logged once
    assert engine.stats["renamed"] and set(engine.stats["renamed"].values()) == {1}  # each renamed into place once
    for path in out.rglob("p*.png"):
        load_image(path)
    assert not (out / STAGING).exists()


@dataclass(frozen=True)
class CrashingRecipe(ToolRecipe):
    """Colorize, except that a picture 13 pixels high kills the worker process (a decoder's segfault, say)."""

    def make(self):
        return _Crashing(super().make())


class _Crashing:
    def __init__(self, tool) -> None:
        self.tool, self.name = tool, tool.name

    def settings_key(self) -> str:
        return self.tool.settings_key()

    def process(self, pictures, progress):
        if any(picture.height == 13 for picture in pictures):
            os._exit(1)
        return self.tool.process(pictures, progress)


def test_an_item_that_kills_its_worker_fails_only_itself(cluster, tmp_path):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import the test module
    src = folder(tmp_path / "in", count=3, bad=False)
    photo(src / "crash.png", 20, 13, seed=9)
    recipe = CrashingRecipe("colorize", "cpu", 64)
    engine = RayEngine(recipe, actors=1, chunk=2)  # [crash, p0] kills it, then crash alone: failed; p0 alone: done
    tool = recipe.make()
    results = {
        r.source.name: r for r in engine(plan_batch(src, tmp_path / "out", tool, BatchOptions(recursive=True)), tool)
    }

    assert results["crash.png"].status == "failed"
    assert results["crash.png"].error == (
        "The Ray worker died twice while processing this item (killed, out of memory, or a crash in a decoder)."
    )
    assert [results[f"p{i}.png"].status for i in range(3)] == ["done"] * 3
    assert engine.stats["actors_lost"] == 2


def _batch(*args) -> list[str]:
    return [sys.executable, "-m", "latent_studio", "batch", *map(str, args), "--device", "cpu", "--no-progress"]


def test_a_killed_driver_is_resumed_by_a_rerun(cluster, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(16):
        photo(src / f"p{i:02d}.png", 128, 96, seed=i)
    args = ["colorize", src, out, "--size", "128", "--ray", cluster]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    driver = subprocess.Popen(_batch(*args), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and driver.poll() is None:
            if (out / DONE_LOG).exists() and (out / DONE_LOG).read_text().count("\n") >= 2:
                break
            time.sleep(0.01)
        assert driver.poll() is None, "the driver finished (or failed) before it could be killed half-way"
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.kill()
        driver.wait(timeout=30)
    first = len(logged(out))
    assert 2 <= first < 16

    rerun = subprocess.run(_batch(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)

    assert rerun.returncode == 0, rerun.stderr
    done, skipped = (int(word) for word in rerun.stdout.replace(",", "").split()[0:4:2])
    assert skipped >= first and done + skipped == 16, rerun.stdout
    assert len(outputs(out)) == 16 and len(set(logged(out))) == len(logged(out))  # no output logged twice
    assert not (out / STAGING).exists() and not list(out.rglob("*.part"))
    for path in out.glob("p*.png"):
        load_image(path)


def test_the_batch_dialog_runs_on_ray_when_chosen(cluster, qtbot, tmp_path):
    from latent_studio.app.gui.batch_dialog import BatchDialog
    from latent_studio.app.gui.preferences import Preferences

    src = folder(tmp_path / "in", count=2)
    dialog = BatchDialog(Preferences(), device="cpu")
    qtbot.addWidget(dialog)
    assert dialog._form.isRowVisible(dialog.engine_row)
    dialog.in_dir.setText(str(src))
    dialog.out_dir.setText(str(tmp_path / "out"))
    dialog.working_size.setValue(64)
    dialog.engine.setCurrentIndex(dialog.engine.findData("ray"))
    dialog.ray_address.setText("")  # a local runtime: this process already runs one, so the engine uses it
    assert dialog.request().ray_address == ""
    with qtbot.waitSignal(dialog.batch_finished, timeout=60_000) as finished:
        dialog.start()
    assert finished.args[0] == "done", finished.args
    assert dialog.failures.rowCount() == 1 and len(outputs(tmp_path / "out")) == 2
