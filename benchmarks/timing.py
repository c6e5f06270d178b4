"""Small timing helpers: medians over repeats, with warm-up, synchronizing CUDA, and peak memory."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable

import torch


def sync(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def wall_times(
    fn: Callable[[], object], device: torch.device | str = "cpu", repeats: int = 7, warmup: int = 2
) -> list[float]:
    """Wall time of each of `repeats` calls of `fn()` after `warmup` calls (device work included)."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return times


def median_seconds(
    fn: Callable[[], object], device: torch.device | str = "cpu", repeats: int = 7, warmup: int = 2
) -> float:
    """Median wall time of `fn()` after `warmup` calls (device work included)."""
    return statistics.median(wall_times(fn, device, repeats, warmup))


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
