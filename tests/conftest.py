"""Shared test set-up: headless Qt, tiny image files, isolated settings, and no job left running.

Kept generic and cheap: nothing here imports Qt or torch unless a test already has.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the tests marked slow (CI always does)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests (a wheel build, a Ray runtime) run in CI (CI=true) or with --slow; locally they are skipped."""
    if config.getoption("--slow") or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI, or locally with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _tiny_pixels(width: int, height: int, channels: int, dtype: type, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    pixels = rng.integers(0, top + 1, size=(height, width, channels), dtype=np.int64).astype(dtype)
    if channels == 4:
        pixels[..., 3] = np.linspace(0, top, width, dtype=np.float64).astype(dtype)[None, :]
    return pixels


def _factory(tmp_path: Path, channels: int) -> Callable[..., Path]:
    def make(name: str | None = None, width: int = 8, height: int = 6, dtype: type = np.uint8, seed: int = 0) -> Path:
        from latent_studio.app.core.imageio import Picture, save_image

        path = tmp_path / (name or f"tiny_{'rgba' if channels == 4 else 'rgb'}_{seed}.png")
        save_image(Picture(_tiny_pixels(width, height, channels, dtype, seed)), path)
        return path

    return make


def colour_folder(folder: Path, count: int = 12, size: tuple[int, int] = (64, 48)) -> Path:
    """`count` small colour photos (a hue per photo, a lightness ramp, a little noise): a user's folder to train on."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    ramp = np.linspace(0.4, 1.0, size[0])[None, :, None]
    for i in range(count):
        colour = rng.integers(30, 255, (1, 1, 3))
        pixels = colour * ramp + rng.integers(0, 20, (size[1], size[0], 3))
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder / f"photo{i:02d}.png")
    return folder


def utkface_pack(path: Path, repeats: int = 2, side: int = 16) -> Path:
    """A tiny faces .npz like `models.vae.pack` writes: random JPEG faces with UTKFace names (age_gender_race_date)
    and labels, every fourth one held out; 8 ages (children, young and old) `repeats` times."""
    from PIL import Image

    from latent_studio.models.datapack import encode, save_blobs

    rng = np.random.default_rng(0)
    ages = [5, 25, 60, 70, 20, 55, 28, 65] * repeats
    names = [f"{age}_{k % 2}_0_2017010{k:03d}.jpg" for k, age in enumerate(ages)]
    blobs = [encode(Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)), "JPEG", 90) for _ in names]
    return save_blobs(
        path,
        names,
        blobs,
        age=np.array(ages),
        gender=np.arange(len(names)) % 2,
        race=np.zeros(len(names), np.int8),
        is_val=np.arange(len(names)) % 4 == 0,
    )


@pytest.fixture
def tiny_rgb(tmp_path: Path) -> Callable[..., Path]:
    """Factory: `tiny_rgb(name=None, width=8, height=6, dtype=np.uint8, seed=0)` writes a random RGB PNG."""
    return _factory(tmp_path, 3)


@pytest.fixture
def tiny_rgba(tmp_path: Path) -> Callable[..., Path]:
    """Factory like `tiny_rgb`, with an alpha ramp from transparent (left) to opaque (right)."""
    return _factory(tmp_path, 4)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GUI preferences and user data (autosaves) go under tmp_path, never into the user's profile."""
    monkeypatch.setenv("LATENT_STUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("LATENT_STUDIO_DATA", str(tmp_path / "user-data"))


@pytest.fixture(autouse=True)
def _no_job_left_running():
    """Fail a test that leaves a GUI worker job queued or running (it would leak into the next test)."""
    yield
    worker = sys.modules.get("latent_studio.app.gui.worker")
    if worker is None:
        return
    leftovers = [runner for runner in worker.live_runners() if runner.is_busy()]
    for runner in leftovers:
        runner.cancel()
        runner.wait_for_done(5000)
    if leftovers:
        pytest.fail(f"{len(leftovers)} job runner(s) still had work when the test ended")


@contextmanager
def running_window(qtbot, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int] = (1100, 760), **options):
    """The real main window, shown, on the CPU; any error dialog fails the test; closed without questions."""
    from PySide6.QtWidgets import QMessageBox

    from latent_studio.app.gui.main_window import MainWindow

    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: pytest.fail(text))
    window = MainWindow(device_override="cpu", **options)
    # pytest-qt closes the window before fixture teardown runs: nothing unsaved may ask a question then
    qtbot.addWidget(window, before_close_func=lambda w: w.document.history.set_clean())
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    try:
        yield window
    finally:
        window.runner.cancel()
        window.runner.wait_for_done(60_000)
        window.document.history.set_clean()
        window.close()
