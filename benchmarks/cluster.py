"""Batch on Ray (issue #17): what the Ray engine costs against the local engine on one machine, and how its
throughput grows with actors on a GPU. `python -m benchmarks --only cluster [--device cuda] [--count N]`.

1. On this machine, the same folder of synthetic gray JPEGs (benchmarks.batch.make_folder), model warmed: the
   local engine (`run_batch`, the CLI's pipeline for the device), then the Ray engine on a local Ray runtime
   (all CPUs, default actors), alternating, 3 rounds, best of each. Ray's img/s is given for the whole call
   (actors start and load the model inside it: a fixed cost per run) and after its actors were ready (the
   steady rate); the overhead ratio is Ray's time over the local engine's, in the same run.
2. Beside a GPU: the Ray engine with 1, 2 and 4 actors sharing it (fractional `num_gpus`), img/s each, on a
   larger folder; "no GPU" otherwise.
Ray's start (`ray.init`) is reported apart: a cluster is started once, not per batch.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.batch import QUICK_SIZES, SIZES, make_folder
from latent_studio.app.core.batch import BatchOptions, default_pipeline, plan_batch, run_batch
from latent_studio.app.core.colorize import colorize
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import load_image

ROUNDS = 3  # local, Ray, local, Ray, ...: the best of each


def run_cluster_benchmark(device: str, count: int | None = None, quick: bool = False) -> dict:
    try:
        import ray
    except ImportError:
        return {"skipped": "Ray is not installed: pip install 'latent-studio[cluster]'"}
    from latent_studio.app.core.batch_ray import RayEngine, connect
    from latent_studio.app.core.batch_setup import ToolRecipe

    settings = ComputeSettings(device=device)
    cuda = settings.torch_device.type == "cuda"
    count = count or (6 if quick else 24)
    recipe = ToolRecipe("colorize", "cpu", 256)  # part 1 compares the engines on the CPU, as the issue asks
    results: dict = {"images": count}
    started = time.perf_counter()
    connect(None)
    results["ray_init_s"] = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory(prefix="latent-bench-cluster-") as tmp:
            source = make_folder(Path(tmp) / "in", count, QUICK_SIZES if quick else SIZES)
            # 1. the local engine, then Ray local, on the same folder (the local engine's model warmed first)
            tool = recipe.make()
            colorize(load_image(next(source.iterdir())), (), 256, ComputeSettings(device="cpu"))
            workers, chunk = default_pipeline("cpu")
            locals_, rays, starts = [], [], []
            options = BatchOptions(workers=workers, batch_size=chunk)
            for round_ in range(1 if quick else ROUNDS):  # interleaved: a shared machine's load hits both alike
                local_out, ray_out = Path(tmp) / f"local{round_}", Path(tmp) / f"ray{round_}"
                locals_.append(_timed(lambda out=local_out: run_batch(plan_batch(source, out, tool, options), tool)))
                engine = RayEngine(recipe)
                rays.append(_timed(lambda engine=engine, out=ray_out: engine(plan_batch(source, out, tool), tool)))
                starts.append(engine.stats["actors_ready_s"])
            local, seconds = min(locals_), min(rays)
            steady = min(r - s for r, s in zip(rays, starts, strict=True))
            results.update(
                {
                    "local_images_per_s": count / local,
                    "ray_images_per_s": count / seconds,
                    "ray_steady_images_per_s": count / steady if steady > 0 else 0.0,
                    "overhead_ratio": seconds / local,
                    "steady_overhead_ratio": steady / local,
                    "ray_actors": engine.stats["actors"],
                    "ray_actor_start_s": min(starts),
                    "local_seconds": locals_,
                    "ray_seconds": rays,
                }
            )
            # 2. GPU actors sharing the device
            results["gpu"] = _gpu_scaling(Path(tmp), count if quick else 200, quick) if cuda else "no GPU"
    finally:
        ray.shutdown()
    return results


def _gpu_scaling(tmp: Path, count: int, quick: bool) -> list[dict]:
    from latent_studio.app.core.batch_ray import RayEngine
    from latent_studio.app.core.batch_setup import ToolRecipe

    source = make_folder(tmp / "gpu-in", count, QUICK_SIZES if quick else SIZES)
    recipe = ToolRecipe("colorize", "cuda", 256)
    tool = recipe.make()
    rows = []
    for actors in (1, 2, 4):
        engine = RayEngine(recipe, actors=actors)
        out = tmp / f"gpu-{actors}"
        seconds = _timed(lambda engine=engine, out=out: engine(plan_batch(source, out, tool), tool))
        steady = seconds - engine.stats["actors_ready_s"]
        rows.append(
            {
                "actors": actors,
                "images_per_s": count / seconds,
                "steady_images_per_s": count / steady if steady > 0 else 0.0,
                "actor_start_s": engine.stats["actors_ready_s"],
            }
        )
    return rows


def _timed(run) -> float:
    start = time.perf_counter()
    results = list(run())
    seconds = time.perf_counter() - start
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"{len(failed)} items failed, e.g. {failed[0].error}")
    return seconds


def format_cluster(c: dict) -> list[str]:
    if "skipped" in c:
        return ["", f"cluster: skipped ({c['skipped']})"]
    lines = [
        "",
        f"batch on Ray, {c['images']} photos, CPU, same run: local engine {c['local_images_per_s']:.2f} img/s; "
        f"Ray local ({c['ray_actors']} actors) {c['ray_images_per_s']:.2f} img/s (x{c['overhead_ratio']:.2f} the "
        f"local engine's time, actor start {c['ray_actor_start_s']:.1f} s included), "
        f"{c['ray_steady_images_per_s']:.2f} img/s once its actors were ready (x{c['steady_overhead_ratio']:.2f}); "
        f"ray.init {c['ray_init_s']:.1f} s",
    ]
    if isinstance(c["gpu"], str):
        lines.append(f"batch on Ray, GPU actors: {c['gpu']}")
    else:
        lines += [
            f"batch on Ray, GPU, {row['actors']} actor(s): {row['images_per_s']:.2f} img/s, "
            f"{row['steady_images_per_s']:.2f} once ready (actor start {row['actor_start_s']:.1f} s)"
            for row in c["gpu"]
        ]
    return lines
