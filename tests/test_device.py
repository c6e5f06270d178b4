"""Device choice: explicit choice, then the environment variable, then auto."""

from __future__ import annotations

import pytest
import torch

from latent_studio.app.core.device import DEVICE_ENV, ComputeSettings, resolve_device
from latent_studio.models.errors import LatentStudioError


def test_auto_picks_cuda_only_when_available(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type in (expected, "mps")


def test_environment_variable_overrides_auto(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert resolve_device("auto") == torch.device("cpu")
    assert ComputeSettings().torch_device == torch.device("cpu")


def test_explicit_choice_overrides_environment(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV, "cuda")
    assert resolve_device("cpu") == torch.device("cpu")


def test_unknown_device_is_a_clear_error():
    with pytest.raises(LatentStudioError) as info:
        resolve_device("tpu")
    assert str(info.value) == "Unknown device 'tpu': use one of auto, cpu, cuda, mps (or cuda:N)."


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(LatentStudioError, match="no CUDA GPU is available here"):
        resolve_device("cuda")


def test_half_precision_only_on_cuda():
    from latent_studio.models.registry import choose_dtype, default_registry

    spec = default_registry().spec("colorizer")  # it allows fp16: only the device keeps it in fp32 here
    assert choose_dtype(spec, ComputeSettings(device="cpu").torch_device) == torch.float32
