"""The torch CPU settings study: which inference settings make the colorizer and the sketch net fastest here.

Every variant is compared with the app's current default (all cores, contiguous weights with a channels_last
input, inference_mode, fp32) on the same model and input. Variants are timed interleaved (one call of each in
turn, repeated), so load from other processes on a shared machine hits them all alike; the figure reported
is the ratio of medians (variant / default: below 1 is faster), and the ratio of best times, which other
processes' load disturbs least (on a busy shared machine, trust `best_ratio` more). torch.compile's one-off
compile time is reported separately from its steady-state ratio.
"""

from __future__ import annotations

import statistics
import time

import torch

from benchmarks.models import WORKLOADS
from benchmarks.timing import sync
from latent_studio.models.registry import default_registry

STUDIED = ("colorizer", "sketch")


def _variants(model: torch.nn.Module, x: torch.Tensor) -> dict:
    """name -> (callable, note); each callable runs one forward pass."""
    threads = torch.get_num_threads()
    contiguous = x.contiguous()
    channels_last = x.contiguous(memory_format=torch.channels_last)
    model_cl = _copy(model).to(memory_format=torch.channels_last)

    def with_threads(n, fn):
        def run():
            torch.set_num_threads(n)
            try:
                return fn()
            finally:
                torch.set_num_threads(threads)

        return run

    def inference(fn):
        def run():
            with torch.inference_mode():
                return fn()

        return run

    def no_grad(fn):
        def run():
            with torch.no_grad():
                return fn()

        return run

    def bf16(fn):
        def run():
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
                return fn()

        return run

    variants = {
        "default": (inference(lambda: model(channels_last)), f"{threads} threads, channels_last input, inference_mode"),
        "threads=1": (with_threads(1, inference(lambda: model(channels_last))), "torch.set_num_threads(1)"),
        "contiguous input": (inference(lambda: model(contiguous)), "NCHW input"),
        "channels_last model+input": (inference(lambda: model_cl(channels_last)), "model.to(channels_last)"),
        "no_grad": (no_grad(lambda: model(channels_last)), "torch.no_grad instead of inference_mode"),
        "bf16 autocast": (bf16(lambda: model(channels_last)), "torch.autocast('cpu', bfloat16)"),
    }
    if threads > 2:
        variants["threads=2"] = (with_threads(2, inference(lambda: model(channels_last))), "torch.set_num_threads(2)")
    return variants


def _copy(model: torch.nn.Module) -> torch.nn.Module:
    import copy

    return copy.deepcopy(model)


def _compiled(model: torch.nn.Module, x: torch.Tensor, quick: bool, tiny: bool = False) -> tuple:
    """(callable, compile seconds, backend): compiled on first call; quick mode skips inductor's codegen, tiny
    mode autograd's tracing too (dynamo's graph capture alone)."""
    backend = "eager" if tiny else "aot_eager" if quick else "inductor"
    compiled = torch.compile(_copy(model), backend=backend)
    start = time.perf_counter()
    with torch.inference_mode():
        compiled(x)
    seconds = time.perf_counter() - start

    def run():
        with torch.inference_mode():
            return compiled(x)

    return run, seconds, backend


def run_settings_study(quick: bool = False, tiny: bool = False) -> list[dict]:
    """One row per (model, variant) with the median time and the ratio to the default."""
    registry = default_registry()
    rows = []
    device = torch.device("cpu")
    for work in WORKLOADS:
        if work.name not in STUDIED:
            continue
        model = registry.load_model(work.name, device)
        size = 32 if tiny else 64 if quick else work.size
        (x,) = work.inputs(model, device, torch.float32, size)
        variants = _variants(model, x)
        compiled, compile_s, backend = _compiled(model, x.contiguous(memory_format=torch.channels_last), quick, tiny)
        variants[f"torch.compile ({backend})"] = (compiled, f"compile time {compile_s:.1f} s, not in the ratio")
        times: dict[str, list[float]] = {name: [] for name in variants}
        for fn, _ in variants.values():
            fn()  # warm-up
        for _ in range(1 if tiny else 2 if quick else 9):
            for name, (fn, _) in variants.items():
                start = time.perf_counter()
                fn()
                sync(device)
                times[name].append(time.perf_counter() - start)
        base, base_best = statistics.median(times["default"]), min(times["default"])
        for name, (_, note) in variants.items():
            median, best = statistics.median(times[name]), min(times[name])
            rows.append(
                {
                    "model": work.name,
                    "size": size,
                    "variant": name,
                    "median_ms": median * 1e3,
                    "best_ms": best * 1e3,
                    "ratio": median / base,
                    "best_ratio": best / base_best,
                    "note": note,
                    "compile_s": compile_s if name.startswith("torch.compile") else 0.0,
                }
            )
    return rows
