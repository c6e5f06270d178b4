"""The FLOP floor: what a model's arithmetic alone would cost at the machine's measured matmul rate.

`gflops_of` counts a forward pass with torch.utils.flop_counter (convolutions and matmuls, 2 FLOPs per
multiply-add; elementwise work is not counted, so the floor is a true lower bound). `matmul_rate` is the
best of repeated large dense matmuls measured in the same run (the peak: other load only slows it down), so
"ratio to floor" compares a model with this machine today.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.timing import wall_times


def gflops_of(fn: Callable[[], object]) -> float:
    """GFLOPs counted while `fn()` runs once (call it on the real model and input)."""
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        fn()
    return counter.get_total_flops() / 1e9


def matmul_rate(
    device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, size: int | None = None, repeats: int = 9
) -> float:
    """Measured dense matmul GFLOP/s on `device` in `dtype` (the best case for any network)."""
    device = torch.device(device)
    size = size or (1024 if device.type == "cpu" else 8192)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    seconds = min(wall_times(lambda: a @ b, device, repeats=repeats, warmup=2))  # peak: a floor must be a floor
    return 2 * size**3 / seconds / 1e9


def floor_rates(device: torch.device, quick: bool = False, tiny: bool = False) -> dict[str, float]:
    """Matmul GFLOP/s per dtype the models run in on `device` (fp32 on CPU; fp32, fp16, bf16 on CUDA)."""
    repeats = 1 if tiny else 3 if quick else 9
    if device.type == "cpu":
        sizes = (128,) if tiny else (512,) if quick else (1024, 2048)
        return {"float32": max(matmul_rate(device, torch.float32, size, repeats) for size in sizes)}
    return {
        "float32": matmul_rate(device, torch.float32, repeats=repeats),
        "float16": matmul_rate(device, torch.float16, repeats=repeats),
        "bfloat16": matmul_rate(device, torch.bfloat16, repeats=repeats),
    }
