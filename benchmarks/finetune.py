"""Fine-tuning speed (issue #16): crops per second of one training step of `latent-studio train colorizer` and of
`train sketch --subject NAME` for each subject, at the crop sizes and batch sizes those commands use (colorizer 128,
each subject its resolution to the network's stride; 4 crops a step on a CPU, 32 on a GPU), on the CPU and, where
there is one, on CUDA.

Each row times the command's own step (`app.core.finetune.tuning(...).step`: sampling the crops on the device, the
sketch's line extraction and augmentation, forward, backward, AdamW) on a bank of synthetic photos at the short
side the command shrinks photos to, after a warm-up step; the held-out evaluations are not part of it.
"""

from __future__ import annotations

import functools
import statistics
from pathlib import Path

import numpy as np
import torch

from benchmarks.timing import wall_times


def _cases() -> list[tuple[str, str | None]]:
    from latent_studio.models.sketch.subjects import SUBJECTS

    return [("colorizer", None), *(("sketch", name) for name in SUBJECTS)]


def _photos(short_side: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    ramp = np.linspace(0.3, 1.0, short_side * 4 // 3)[None, :, None]
    return [
        (rng.integers(40, 255, (1, 1, 3)) * ramp + rng.integers(0, 30, (short_side, short_side * 4 // 3, 3)))
        .clip(0, 255)
        .astype(np.uint8)
        for _ in range(count)
    ]


def run_finetune_benchmark(quick: bool = False, tiny: bool = False) -> list[dict]:
    """One row per (device, tool/subject): crops per second of the fine-tune step."""
    from latent_studio.app.core.device import configure_torch_threads
    from latent_studio.app.core.finetune import FinetuneRequest, tuning
    from latent_studio.app.core.finetune_state import build_models

    configure_torch_threads()  # as the train command does (LATENT_STUDIO_THREADS; python -m benchmarks did already)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    repeats, warmup = (1, 1) if tiny else (3, 1) if quick else (8, 2)
    rows = []
    for device in devices:
        for tool_name, subject in _cases():
            tool = tuning(FinetuneRequest(data=Path("."), name="bench", tool=tool_name, subject=subject))
            crop = 32 if tiny else tool.crop
            batch = 2 if tiny else 32 if device.type == "cuda" else tool.cpu_batch
            _base, model, optimizer = build_models(tool.base, device, tool.lr)
            tool.prepare(model, _photos(crop if tiny else tool.short_side, 4 if tiny else 16), device, 0)
            step = functools.partial(tool.step, model, optimizer, batch, crop)  # this round's, bound now
            times = wall_times(step, device, repeats, warmup)
            seconds = statistics.median(times)
            rows.append(
                {
                    "tool": tool_name if subject is None else f"sketch:{subject}",
                    "device": device.type,
                    "crop": crop,
                    "batch": batch,
                    "step_ms": seconds * 1e3,
                    "crops_per_s": batch / seconds,
                }
            )
    return rows


def format_finetune(rows: list[dict]) -> list[str]:
    lines = ["", f"{'fine-tune step':<22}{'device':<8}{'crop':>6}{'batch':>7}{'ms/step':>10}{'crops/s':>10}"]
    for r in rows:
        lines.append(
            f"{r['tool']:<22}{r['device']:<8}{r['crop']:>6}{r['batch']:>7}{r['step_ms']:>10.1f}{r['crops_per_s']:>10.2f}"
        )
    return lines
