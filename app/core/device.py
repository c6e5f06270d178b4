"""Where the models run: one frozen settings object that the GUI (via QSettings) and the CLI (via flags) fill.

Order of precedence: an explicit choice ("cpu", "cuda", "cuda:1") from the user, else the
LATENT_STUDIO_DEVICE environment variable, else "auto" (CUDA when available, then MPS, then CPU).
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from latent_studio.models.errors import LatentStudioError

if TYPE_CHECKING:
    import torch

# torch is imported inside the functions: the GUI builds ComputeSettings on its own thread, and importing torch
# there (1-2 s) would freeze the window; the worker thread pays for the import instead.

DEVICE_ENV = "LATENT_STUDIO_DEVICE"
CHOICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class ComputeSettings:
    """How to run models. `device` is "auto", "cpu", "cuda", "cuda:N" or "mps"."""

    device: str = "auto"
    half_precision: bool = True

    @cached_property
    def torch_device(self) -> torch.device:
        return resolve_device(self.device)

    def describe(self) -> str:
        """Human-readable device name for the status bar and `latent-studio info`."""
        import torch

        device = self.torch_device
        if device.type == "cuda":
            return f"GPU: {torch.cuda.get_device_name(device)}"
        if device.type == "mps":
            return "GPU: Apple Metal"
        return f"CPU ({torch.get_num_threads()} threads)"


def resolve_device(choice: str | None = "auto") -> torch.device:
    """Turn a user choice into a torch.device, or raise a LatentStudioError explaining why it can't be used."""
    import torch

    choice = (choice or "auto").strip().lower()
    if choice == "auto":
        choice = os.environ.get(DEVICE_ENV, "auto").strip().lower() or "auto"
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(choice)
    except RuntimeError:
        raise LatentStudioError(f"Unknown device '{choice}': use one of {', '.join(CHOICES)} (or cuda:N).") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise LatentStudioError(f"Device '{choice}' was asked for, but no CUDA GPU is available here.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise LatentStudioError(
            f"Device '{choice}' does not exist: this machine has {torch.cuda.device_count()} GPU(s)."
        )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise LatentStudioError("Device 'mps' was asked for, but Apple Metal is not available here.")
    if device.type not in ("cpu", "cuda", "mps"):
        raise LatentStudioError(f"Unknown device '{choice}': use one of {', '.join(CHOICES)} (or cuda:N).")
    return device


def configure_torch_threads() -> int:
    """Use every core for intra-op work and one inter-op thread; call on each thread that runs models.

    Inter-op parallelism only helps graphs with independent branches, which our nets do not have, and each
    extra pool competes with the GUI thread for the same few cores.
    """
    import torch

    # Trained nets produce denormal floats that make x86 CPUs up to 40x slower (a VAE decode: 360 ms instead
    # of 9 ms); flushing them to zero costs no visible precision. It is per thread, so set it on every call.
    torch.set_flush_denormal(True)
    _size_thread_pools()
    return torch.get_num_threads()


@functools.cache
def _size_thread_pools() -> None:
    """The process-wide pools, sized once (functools.cache: the first call that returns is the only one)."""
    import torch

    threads = int(os.environ.get("LATENT_STUDIO_THREADS", "0")) or (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):  # already set, or parallel work already ran
        torch.set_num_interop_threads(1)
