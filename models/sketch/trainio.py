"""The sketch recipe's bookkeeping: wall-clock budget, JSONL log, atomic checkpoints, SIGTERM.

Kept apart from the training loop so the loop reads as the algorithm. Checkpoints hold every module's
weights under a prefix ("generator.", "discriminator.", "ema.") and scalars in the safetensors metadata; a
run whose <out>/checkpoint.safetensors exists continues from it (optimizer moments restart).
"""

from __future__ import annotations

import json
import time
from pathlib import Path



class Budget:
    """Seconds left of `--minutes`, keeping `reserve` seconds for validation and writing the outputs."""

    def __init__(self, minutes: float, reserve: float) -> None:
        self.start = time.monotonic()
        self.total = minutes * 60.0
        self.reserve = min(reserve, 0.5 * self.total)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def training_over(self) -> bool:
        return self.elapsed >= self.total - self.reserve


class Log:
    """Appends JSON lines to <out>/log.jsonl and prints a short line, at most every `every` seconds."""

    def __init__(self, out: Path, every: float = 15.0) -> None:
        self.path = out / "log.jsonl"
        self.every = every
        self.last = -1e9

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def write(self, record: dict) -> None:
        self.last = time.monotonic()
        with self.path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()]
        print("sketch " + " ".join(parts), flush=True)
