"""The model table: parameters, GFLOPs per forward pass at the working size, latency, ratio to the FLOP floor.

Each model runs as the app runs it: loaded through the registry (shipped weights, or random-init stand-ins
for files not shipped yet: the figures do not depend on the values), batch 1, inference mode, in the dtype
the app picks for the device (fp16 on CUDA where the spec allows it, else fp32), channels_last input.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from benchmarks.floor import gflops_of
from benchmarks.timing import median_seconds
from latent_studio.models.registry import choose_dtype, default_registry


@dataclass(frozen=True)
class Workload:
    """What one forward pass of a model means here (the size the app runs it at)."""

    name: str
    what: str  # shown in the table
    size: int

    def inputs(self, model: torch.nn.Module, device: torch.device, dtype: torch.dtype, size: int) -> tuple:
        channels = {"colorizer": 4, "colorizer-l2": 4, "sketch": getattr(model, "in_channels", 5)}.get(self.name, 3)
        x = torch.rand(1, channels, size, size, device=device, dtype=dtype)
        return (x.contiguous(memory_format=torch.channels_last),)

    def call(self, model: torch.nn.Module, inputs: tuple):
        return model(*inputs)


class _Decode(Workload):
    """The VAE as the slider uses it: a code -> a 64x64 face."""

    def inputs(self, model, device, dtype, size):
        return (torch.randn(1, int(model.latent_dim), device=device, dtype=dtype),)

    def call(self, model, inputs):
        return model.decode(*inputs)


WORKLOADS = (
    Workload("colorizer", "L+hints {s}x{s} -> ab", 256),
    Workload("colorizer-l2", "L+hints {s}x{s} -> ab", 256),
    Workload("sketch", "sketch {s}x{s} -> RGB", 256),
    _Decode("vae", "decode code -> {s}x{s} face", 64),
    Workload("vae", "encode+decode {s}x{s}", 64),
    Workload("face-attributes", "{s}x{s} face -> attributes", 64),
)


def run_models(
    device: torch.device, rates: dict[str, float], sources: dict[str, str], quick: bool = False, tiny: bool = False
) -> list[dict]:
    """One row per workload (see WORKLOADS)."""
    registry = default_registry()
    rows = []
    for work in WORKLOADS:
        spec = registry.spec(work.name)
        dtype = choose_dtype(spec, device)
        model = registry.load_model(work.name, device, half_precision=True)
        size = (32 if tiny else 64) if quick and work.size > 64 else work.size  # the faces' nets are fixed at 64
        inputs = work.inputs(model, device, dtype, size)
        run = functools.partial(work.call, model, inputs)  # this round's model and inputs, bound now
        gflops = gflops_of(run)
        with torch.inference_mode():
            repeats, warmup = (1, 0) if tiny else (2, 1) if quick else (15, 3)
            seconds = median_seconds(run, device, repeats=repeats, warmup=warmup)
        rate = rates[str(dtype).removeprefix("torch.")]
        floor = gflops / rate
        rows.append(
            {
                "model": work.name,
                "workload": work.what.format(s=size),
                "weights": sources.get(work.name, "?"),
                "device": device.type,
                "dtype": str(dtype).removeprefix("torch."),
                "size": size,
                "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
                "gflops": gflops,
                "latency_ms": seconds * 1e3,
                "floor_ms": floor * 1e3,
                "floor_ratio": seconds / floor if floor else float("nan"),
            }
        )
    return rows
