"""Where the batch engine's time goes: `python -m benchmarks.batch_study [--device cuda] [--count N] [--quick]
[--pipelines 8x16 16x32 ...] [--out FILE]`.

A GPU session has minutes, so one run answers every question at once, on one folder, in one process:
- the naive loop and the engine with the device's default pipeline (the benchmark's figure);
- the engine with other (threads x chunk) pipelines;
- the engine's ceiling without a model (an identity tool: decode and encode only);
- the seconds each stage spent, summed over threads (decode, prepare, network, finish, encode+write), so a
  stage that serializes (the GIL, a device sync) shows up as wall time that no thread's sum explains.
Stage times come from wrapping the engine's load/save functions and the tool's methods, in this process only.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path

import torch

import latent_studio.app.core.batch as engine
from benchmarks.batch import QUICK_SIZES, SIZES, engine_run, make_folder, naive_loop
from benchmarks.timing import sync
from latent_studio.app.core.batch import default_pipeline
from latent_studio.app.core.batch_setup import ToolRecipe
from latent_studio.app.core.batch_tools import make_tool
from latent_studio.app.core.colorize import colorize
from latent_studio.app.core.device import ComputeSettings, configure_torch_threads
from latent_studio.app.core.imageio import load_image, load_source, save_image


class StageClock:
    """Seconds per stage, summed over threads."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def timed(self, stage: str, function):
        @wraps(function)
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[stage] += time.perf_counter() - start

        return run


class IdentityTool:
    """Decode and encode only: the engine's ceiling without a model."""

    name = "identity"

    def settings_key(self) -> str:
        return "identity"

    def process(self, pictures, progress):
        return [picture.with_pixels(picture.pixels, is_gray=False) for picture in pictures]


class TimedTool:
    """The colorize tool with each stage's time recorded (finishers included)."""

    def __init__(self, tool, clock: StageClock) -> None:
        self.tool, self.clock, self.name = tool, clock, tool.name
        if hasattr(tool, "prepare"):
            self.prepare = clock.timed("prepare", tool.prepare)

    def settings_key(self) -> str:
        return self.tool.settings_key()

    def process(self, items, progress):
        outputs = self.clock.timed("network", self.tool.process)(items, progress)
        if self.tool.settings.torch_device.type == "cuda":
            sync(self.tool.settings.torch_device)  # the network's share, not the finishers'
        return [self.clock.timed("finish", out) if callable(out) else out for out in outputs]


def run_engine(source: Path, out: Path, tool, workers: int, chunk: int) -> tuple[float, dict]:
    """`engine_run` with every stage timed: the engine's load/save functions and the tool's stages wrapped."""
    clock = StageClock()
    originals = engine.load_source, engine.save_image
    engine.load_source, engine.save_image = clock.timed("decode", load_source), clock.timed("encode+write", save_image)
    try:
        models = hasattr(tool, "settings")
        seconds = engine_run(
            source,
            out,
            TimedTool(tool, clock) if models else tool,
            workers,
            chunk,
            tool.settings.torch_device if models else "cpu",
        )
    finally:
        engine.load_source, engine.save_image = originals
    return seconds, {stage: round(s, 3) for stage, s in clock.seconds.items()}


def run_naive(source: Path, out: Path, settings: ComputeSettings) -> tuple[float, dict]:
    """`naive_loop` with its three steps timed."""
    clock = StageClock()
    seconds = naive_loop(
        source,
        out,
        settings,
        clock.timed("decode", load_image),
        clock.timed("colorize", colorize),
        clock.timed("encode+write", save_image),
    )
    return seconds, {stage: round(s, 3) for stage, s in clock.seconds.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch_study", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="tiny photos: a smoke test of every row")
    parser.add_argument(
        "--pipelines",
        nargs="*",
        default=[],
        metavar="THREADSxCHUNK",
        help="extra engine pipelines to time, e.g. 16x16 8x32",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here too")
    args = parser.parse_args(argv)
    configure_torch_threads()
    settings = ComputeSettings(device=args.device)
    device = settings.torch_device
    default = default_pipeline(device.type)
    pipelines = [default] + [tuple(int(v) for v in p.split("x")) for p in args.pipelines]
    rows: list[dict] = []

    def report(row: dict) -> None:
        row["images_per_s"] = round(args.count / row["seconds"], 2)
        rows.append(row)
        print(json.dumps(row), flush=True)

    with tempfile.TemporaryDirectory(prefix="latent-batch-study-") as tmp:
        source = make_folder(Path(tmp) / "in", args.count, QUICK_SIZES if args.quick else SIZES)
        colorize(load_image(next(source.iterdir())), (), 256, settings)  # model loaded and warm
        run_number = 0

        def out_dir() -> Path:
            nonlocal run_number
            run_number += 1
            return Path(tmp) / f"out{run_number}"

        seconds, stages = run_naive(source, out_dir(), settings)
        report({"run": "naive loop", "seconds": round(seconds, 3), "stages": stages})
        for workers, chunk in pipelines:
            seconds, stages = run_engine(
                source, out_dir(), make_tool(ToolRecipe("colorize", size=256), settings), workers, chunk
            )
            report(
                {
                    "run": f"engine {workers}x{chunk}",
                    "seconds": round(seconds, 3),
                    "stages": stages,
                    "default": (workers, chunk) == default,
                }
            )
        for workers in sorted({default[0], 2 * default[0]}):
            seconds, stages = run_engine(source, out_dir(), IdentityTool(), workers, default[1])
            report({"run": f"no model {workers}x{default[1]}", "seconds": round(seconds, 3), "stages": stages})
        seconds, stages = run_naive(source, out_dir(), settings)  # again: the machine may have warmed up
        report({"run": "naive loop (again)", "seconds": round(seconds, 3), "stages": stages})
    naive = min(row["seconds"] for row in rows if row["run"].startswith("naive"))
    for row in rows:
        row["x_naive"] = round(naive / row["seconds"], 2)
        print(f"{row['run']:22s} {row['images_per_s']:8.2f} img/s  x{row['x_naive']:.2f}  {row['stages']}")
    meta = {
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else "",
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "count": args.count,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
