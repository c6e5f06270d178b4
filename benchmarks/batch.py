"""The batch issue's benchmark: images/s of a naive loop (load, colorize, save, one by one) against the batch
engine (`run_batch` with `make_tool(ToolRecipe("colorize"))`: pipelined decode/encode threads, same-size pictures
sharing a forward pass), on the same folder in the same run, plus the per-image cost of colorizing a batch of
512x512 pictures in memory (the GPU target: under 10 ms per image).

The folder holds synthetic gray photos of mixed sizes (JPEG), written to a temporary folder, never the repo.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from benchmarks.images import synthetic_photo
from benchmarks.timing import median_seconds, sync
from latent_studio.app.core.batch import BatchOptions, default_pipeline, plan_batch, run_batch
from latent_studio.app.core.colorize import colorize, colorize_pictures
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import Picture, load_image, save_image
from latent_studio.models.registry import choose_dtype, default_registry

#: (height, width) of the folder's photos, used in turn: phone, camera and scan-like sizes, some repeated so
#: the engine can group them.
SIZES = ((480, 640), (640, 480), (768, 1024), (600, 800), (1200, 1600), (512, 512))
QUICK_SIZES = ((96, 128), (128, 96), (64, 64))


def make_folder(folder: Path, count: int, sizes=SIZES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        h, w = sizes[i % len(sizes)]
        save_image(Picture(synthetic_photo(h, w, seed=i), is_gray=True), folder / f"photo_{i:04d}.jpg")
    return folder


def naive_loop(
    source: Path, out: Path, settings: ComputeSettings, load=load_image, run=colorize, save=save_image
) -> float:
    """The baseline: load, colorize, save, one picture after another; returns the seconds (device work included).

    `load`, `run` and `save` default to the app's own functions; the batch study passes timed wrappers of them.
    """
    out.mkdir()
    start = time.perf_counter()
    for path in sorted(source.iterdir()):
        save(run(load(path), (), 256, settings).picture, out / path.name)
    sync(settings.torch_device)
    return time.perf_counter() - start


def engine_run(source: Path, out: Path, tool, workers: int, chunk: int, device) -> float:
    """The batch engine on the folder with this pipeline; returns the seconds, raises if any item failed."""
    start = time.perf_counter()
    results = list(run_batch(plan_batch(source, out, tool, BatchOptions(workers=workers, batch_size=chunk)), tool))
    sync(device)
    seconds = time.perf_counter() - start
    failed = [r for r in results if r.status != "done"]
    if failed:
        raise RuntimeError(f"the batch engine failed on {len(failed)} items, e.g. {failed[0].error}")
    return seconds


def run_batch_benchmark(device: str, count: int | None = None, quick: bool = False, tiny: bool = False) -> dict:
    from latent_studio.app.core.batch_setup import ToolRecipe
    from latent_studio.app.core.batch_tools import make_tool

    settings = ComputeSettings(device=device)
    cuda = settings.torch_device.type == "cuda"
    count = count or (2 if tiny else 6 if quick else 200 if cuda else 24)
    with tempfile.TemporaryDirectory(prefix="latent-bench-batch-") as tmp:
        source = make_folder(Path(tmp) / "in", count, QUICK_SIZES if quick else SIZES)
        warm = load_image(next(source.iterdir()))
        colorize(warm, (), 256, settings)  # model loaded and warmed for both contenders
        naive = naive_loop(source, Path(tmp) / "naive", settings)
        workers, batch_size = default_pipeline(settings.torch_device.type)  # what the CLI and GUI use
        engine = engine_run(
            source,
            Path(tmp) / "engine",
            make_tool(ToolRecipe("colorize", size=256), settings),
            workers,
            batch_size,
            settings.torch_device,
        )
    # 3. in-memory batches of 512x512 pictures (no disk): cost per image
    side, per = (64, 2) if tiny else (128, 4) if quick else (512, 16 if cuda else 4)
    pictures = [Picture(synthetic_photo(side, side, seed=i), is_gray=True) for i in range(per)]
    seconds = median_seconds(
        lambda: colorize_pictures(pictures, 256, settings),
        settings.torch_device,
        repeats=1 if tiny else 2 if quick else 5,
        warmup=0 if tiny else 1,
    )
    return {
        "device": device,
        "images": count,
        "sizes": sorted({f"{w}x{h}" for h, w in (QUICK_SIZES if quick else SIZES)}),
        "naive_images_per_s": count / naive,
        "engine_images_per_s": count / engine,
        "speedup": naive / engine,
        "workers": workers,
        "chunk": batch_size,
        "batch_side": side,
        "batch_per_call": per,
        "batch_ms_per_image": seconds / per * 1e3,
        "dtype": str(
            choose_dtype(default_registry().spec("colorizer"), settings.torch_device, settings.half_precision)
        ).removeprefix("torch."),
        "threads": torch.get_num_threads(),
    }
