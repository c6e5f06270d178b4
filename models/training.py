"""What every training recipe shares, written once: the SIGTERM flag, the time/step budget, the JSONL loss log
and the checkpoint bookkeeping (atomic writes, resume, the smoke flag).

A recipe's main() holds the flag in a `with` block (its previous handler comes back in a `finally`, so a recipe
run from tests or from another program never keeps SIGTERM), builds a `Budget` when it starts, a `JsonLog`
and a `Checkpoint` in <out>, and returns `SIGTERM_EXIT` after writing its checkpoint when it was asked to stop.

Moved here (issue #18): sketch/trainio.py's Budget and Log (file removed), vae/trainkit.py's Budget, JsonLog,
save_checkpoint/load_checkpoint, is_smoke/SMOKE_STEPS and save_inference, colorizer/train.py's Logger and
save_checkpoint/load_checkpoint, and the CUDA settings each recipe set itself (fast_device).
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Mapping
from pathlib import Path

import torch

from latent_studio.models.checkpoint import load_modules, read_metadata, save_modules, save_weights

SIGTERM_EXIT = 143  # 128 + SIGTERM: the run stopped early, its checkpoint is written, it has no outputs
SMOKE_STEPS = 100  # a run capped at this many steps or fewer (`--max-steps`) is a smoke test


def is_smoke(max_steps: int) -> bool:
    return 0 < max_steps <= SMOKE_STEPS


class SigtermFlag:
    """Turns SIGTERM into a flag the training loop checks, so the recipe writes its checkpoint before exiting.

    Use it as a context manager: leaving the block (returning, raising) puts the previous handler back."""

    def __init__(self) -> None:
        self.requested = False
        self._installed = False
        self._previous: object = None
        try:
            self._previous = signal.signal(signal.SIGTERM, self._on_term)
            self._installed = True
        except ValueError:  # not the main thread: no handler, no flag
            pass

    def _on_term(self, *_: object) -> None:
        self.requested = True

    def restore(self) -> None:
        """Put the previous handler back (one installed outside Python counts as the default)."""
        if self._installed:
            previous = self._previous if self._previous is not None else signal.SIG_DFL
            signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]
            self._installed = False

    def __enter__(self) -> SigtermFlag:
        return self

    def __exit__(self, *_: object) -> None:
        self.restore()


class Budget:
    """`--minutes` of wall clock from `start` (everything included), keeping `reserve_s` (at most half) for
    validation and outputs, and an optional `--max-steps` cap counted from the step training began at."""

    def __init__(self, minutes: float, reserve_s: float, max_steps: int = 0, start: float | None = None) -> None:
        self.start = time.monotonic() if start is None else start
        self.total = minutes * 60.0
        self.reserve = min(reserve_s, 0.5 * self.total)
        self.max_steps = max_steps
        self.train_start, self.first_step = self.start, 0

    def begin(self, first_step: int = 0) -> None:
        """Training starts now (data loaded, model built); `max_steps` counts from `first_step`."""
        self.train_start, self.first_step = time.monotonic(), first_step

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def left(self) -> float:
        """Training seconds left before the reserve."""
        return self.total - self.reserve - self.elapsed

    def fraction(self) -> float:
        """How much of the training time (from `begin` to the reserve) has gone, in [0, 1]."""
        total = self.start + self.total - self.reserve - self.train_start
        return 1.0 if total <= 0 else min(1.0, (time.monotonic() - self.train_start) / total)

    def steps_done(self, step: int) -> bool:
        return bool(self.max_steps) and step - self.first_step >= self.max_steps

    def over(self, step: int) -> bool:
        return self.left() <= 0 or self.steps_done(step)

    def deadline(self, margin_s: float) -> float:
        """The monotonic time `margin_s` before the whole budget ends (validation stops there)."""
        return self.start + self.total - margin_s


def _value(value: object) -> object:
    """A log value: tensors are read here (a device sync, only when a line is written); floats keep 6 digits."""
    if isinstance(value, torch.Tensor):
        value = value.item()
    return float(f"{value:.6g}") if isinstance(value, float) else value


class JsonLog:
    """<out>/log.jsonl: {"step", "seconds", "images_per_s", <losses>...} at most every `every_s` seconds (and
    the first step), the same as one short stdout line. `seconds` counts from `start` (the run's clock)."""

    def __init__(self, out: Path, start: float, every_s: float = 15.0, fresh: bool = False, label: str = "") -> None:
        self.path, self.start, self.every_s, self.label = out / "log.jsonl", start, every_s, label
        if fresh and self.path.exists():
            self.path.unlink()  # a fresh start (not a resume): the old log belongs to another run
        self.last = -float("inf")
        self.images, self.window_start = 0, time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every_s

    def count(self, images: int) -> None:
        self.images += images

    def write(self, step: int, values: Mapping[str, object]) -> dict[str, object]:
        now = time.monotonic()
        record: dict[str, object] = {
            "step": step,
            "seconds": round(now - self.start, 1),
            "images_per_s": round(self.images / max(now - self.window_start, 1e-6), 1),
        }
        record.update({key: _value(value) for key, value in values.items()})
        with self.path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()]
        print(" ".join(([self.label] if self.label else []) + parts), flush=True)
        self.last, self.images, self.window_start = now, 0, now
        return record

    def step(self, step: int, images: int, values: Mapping[str, object], force: bool = False) -> None:
        """Count `images`; write a line when one is due (tensor values are read only then)."""
        self.count(images)
        if force or self.due():
            self.write(step, values)


class Checkpoint:
    """<out>/checkpoint.safetensors: every module's weights under its prefix ("" keeps a lone module's own
    keys) in `dtype`, scalars in the metadata, always with `smoke` ("True"/"False"). Written atomically, every
    `minutes` (when `due`) and at the end. A checkpoint left by a smoke run is ignored by a real run, so the
    real run starts fresh (e.g. `train_all --smoke` then the real run in the same runs folder)."""

    def __init__(
        self,
        out: Path,
        modules: dict[str, torch.nn.Module],
        max_steps: int = 0,
        minutes: float = 2.0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.path, self.modules, self.dtype = out / "checkpoint.safetensors", modules, dtype
        self.smoke, self.every_s, self.last = is_smoke(max_steps), minutes * 60.0, time.monotonic()

    def load(self) -> dict[str, str]:
        """Restore the modules if there is a checkpoint to continue; its metadata, or {} for a fresh start."""
        if not self.path.is_file():
            return {}
        if read_metadata(self.path).get("smoke") in ("True", "1") and not self.smoke:  # "1": the colorizer's old flag
            print(f"ignoring {self.path}: it was left by a smoke test", flush=True)
            return {}
        meta = load_modules(self.path, self.modules)
        print(f"resuming from {self.path} at step {meta.get('step', '?')}", flush=True)
        return meta

    def save(self, meta: dict) -> None:
        save_modules(self.path, self.modules, {**meta, "smoke": self.smoke}, self.dtype)
        self.last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every_s


def fast_device(device: torch.device) -> None:
    """cuDNN autotuning and TF32 matmuls on CUDA (every recipe trains in bf16 autocast there)."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def save_inference(out: Path, module: torch.nn.Module, config: dict) -> None:
    """model.safetensors (fp32, keys exactly the architecture's state_dict) and config.json."""
    save_weights(out / "model.safetensors", module)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
