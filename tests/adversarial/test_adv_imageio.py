"""Bad inputs and bad disks for image reading and writing: only regular files are read (a FIFO or a device
fails at once, with one clear message), a write cut short by a full disk is an error that leaves nothing
behind, and files are created with the permissions `cp` would give them."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from latent_studio.app.core import imageio
from latent_studio.app.core.imageio import Picture, load_image, save_image
from latent_studio.models.errors import ImageReadError, ImageWriteError


def noise(width: int = 64, height: int = 48) -> Picture:
    return Picture(np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8))


def load_within(path: Path, seconds: float = 5.0):
    """load_image in a thread: a read that blocks (the old FIFO behaviour) fails the test instead of hanging it."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["picture"] = load_image(path)
        except Exception as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        with open(path, "wb"):  # a FIFO: open the writing end so the blocked reader ends
            pass
        pytest.fail(f"load_image({path.name}) still blocked after {seconds} s")
    return outcome


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    error = load_within(fifo)["error"]
    assert isinstance(error, ImageReadError)
    assert str(error) == "pipe.png is a named pipe (FIFO), not an image file."


def test_a_device_is_refused_instead_of_read_forever():
    error = load_within(Path("/dev/zero"))["error"]
    assert isinstance(error, ImageReadError)
    assert str(error) == "zero is a device, not an image file."


def test_a_file_larger_than_any_allowed_image_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.png"
    with open(path, "wb") as handle:  # sparse: no disk space used
        handle.truncate(imageio.max_file_bytes(1000) + 1)
    with pytest.raises(ImageReadError) as raised:
        load_image(path, max_pixels=1000)
    assert str(raised.value) == "huge.png is too large to open safely: 0.0 GB, the limit is 0.0 GB."


def test_load_source_gives_the_status_of_the_file_it_read(tmp_path):
    path = save_image(noise(), tmp_path / "a.png")
    picture, status = imageio.load_source(path)
    assert picture.width == 64 and status.st_size == path.stat().st_size and status.st_ino == path.stat().st_ino


def _truncating_encoder(monkeypatch) -> None:
    """As Pillow's JPEG encoder on a full disk: it writes only part of the file and returns normally."""
    real = imageio.write_encoded

    def short_write(picture, fmt, handle, quality=95):
        buffer = io.BytesIO()
        real(picture, fmt, buffer, quality)
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    monkeypatch.setattr(imageio, "write_encoded", short_write)


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp"])
def test_a_write_cut_short_is_an_error_and_leaves_nothing(tmp_path, monkeypatch, ext):
    target = tmp_path / f"out{ext}"
    target.write_bytes(b"the previous file")
    encoded = io.BytesIO()
    imageio.write_encoded(noise(), imageio.WRITE_FORMATS[ext], encoded)
    size = len(encoded.getvalue()) // 2
    _truncating_encoder(monkeypatch)
    with pytest.raises(ImageWriteError) as raised:
        save_image(noise(), target)
    assert (
        str(raised.value)
        == f"Cannot write {target}: the file was cut short ({size} bytes reached the disk; is the disk full?)."
    )
    assert target.read_bytes() == b"the previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_no_space_left_from_the_write_is_an_error_and_leaves_nothing(tmp_path, monkeypatch):
    def full(picture, fmt, handle, quality=95):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(imageio, "write_encoded", full)
    with pytest.raises(ImageWriteError) as raised:
        save_image(noise(), tmp_path / "out.jpg")
    assert str(raised.value) == f"Cannot write {tmp_path / 'out.jpg'}: No space left on device."
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A real 64 KiB file system (root and mount permitted), else the test is skipped."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
            check=True,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        pytest.skip("cannot mount a tmpfs here")
    yield folder
    subprocess.run(["umount", str(folder)], capture_output=True, timeout=10)


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".tif"])
def test_a_really_full_disk_fails_the_write_and_leaves_nothing(tiny_tmpfs, ext):
    with pytest.raises(ImageWriteError):  # Pillow's JPEG encoder returned normally here before
        save_image(noise(300, 300), tiny_tmpfs / f"big{ext}")
    assert list(tiny_tmpfs.iterdir()) == []


@pytest.fixture
def umask():
    def set_mask(mask: int) -> None:
        os.umask(mask)

    old = os.umask(0o022)
    yield set_mask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_cp_would_give_it(tmp_path, umask, mask, mode):
    umask(mask)
    path = save_image(noise(), tmp_path / "out.png")
    assert path.stat().st_mode & 0o777 == mode


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "out.jpg"
    target.write_bytes(b"old")
    target.chmod(0o640)
    save_image(noise(), target)
    assert target.stat().st_mode & 0o777 == 0o640 and load_image(target).width == 64
