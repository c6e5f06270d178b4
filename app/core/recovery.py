"""The autosave file: the open document's current picture, its original and its file name, in one .npz.

A crash or a `kill -9` must not lose the work of a session, so the editor writes this file every minute while
the document has unsaved changes (see `app.gui.autosave`). It is written atomically (a temporary file in the
same folder, fsynced, then renamed over the old one), so a crash during the write leaves the previous autosave
whole. The pixels are stored raw (`numpy.savez`, no pickle), so a restore gives back exactly the same values,
16-bit and alpha included; the metadata (file name, time, EXIF/ICC, gray flag) is a JSON string beside them.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latent_studio.app.core.imageio import Picture
from latent_studio.models.errors import LatentStudioError

DATA_ENV = "LATENT_STUDIO_DATA"
FORMAT_VERSION = 1
SUFFIX = ".npz"


class RecoveryError(LatentStudioError):
    """An autosave file cannot be read back (damaged, or written by an unknown version)."""


def user_data_dir() -> Path:
    """The user's data folder ($LATENT_STUDIO_DATA, else the XDG data folder), as `latent.user_directions_dir`."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "latent-studio"


def autosave_dir() -> Path:
    return user_data_dir() / "autosave"


@dataclass(frozen=True)
class Recovered:
    """What an autosave holds: the picture with the applied results, the one as loaded, where it came from."""

    picture: Picture
    original: Picture
    source_path: Path | None
    saved_at: float  # seconds since the epoch


def write_autosave(path: Path, picture: Picture, original: Picture, source_path: str | os.PathLike | None) -> Path:
    """Write one autosave to `path` atomically (an OSError when the disk refuses; nothing half-written stays)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "version": FORMAT_VERSION,
        "source_path": os.fspath(source_path) if source_path is not None else None,
        "saved_at": time.time(),
        "picture": _describe(picture),
        "original": _describe(original),
    }
    arrays = {"picture": picture.pixels, "original": original.pixels, "meta": _bytes(json.dumps(meta).encode())}
    for name, item in (("picture", picture), ("original", original)):
        if item.exif is not None:
            arrays[f"{name}_exif"] = _bytes(item.exif)
        if item.icc_profile is not None:
            arrays[f"{name}_icc"] = _bytes(item.icc_profile)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)  # as read_autosave reads it: no object arrays
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp_name)
        raise
    return path


def read_autosave(path: Path) -> Recovered:
    """Read an autosave back, or raise `RecoveryError` saying why it cannot be."""
    path = Path(path)
    damaged = f"The autosave {path.name} is damaged and cannot be restored"
    try:
        if not zipfile.is_zipfile(path):
            raise RecoveryError(f"{damaged} (it is truncated or not an autosave file).")
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("version") != FORMAT_VERSION:
                raise RecoveryError(
                    f"The autosave {path.name} was written by another version of Latent Studio "
                    f"(format {meta.get('version')}, this one reads {FORMAT_VERSION})."
                )
            pictures = [_picture(data, name, meta[name]) for name in ("picture", "original")]
    except RecoveryError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
        raise RecoveryError(f"{damaged} ({error}).") from None
    source = meta.get("source_path")
    return Recovered(pictures[0], pictures[1], Path(source) if source else None, float(meta.get("saved_at", 0)))


def _describe(picture: Picture) -> dict:
    return {"is_gray": picture.is_gray, "source_mode": picture.source_mode, "source_format": picture.source_format}


def _bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def _picture(data, name: str, meta: dict) -> Picture:
    pixels = data[name]
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"{name} holds {pixels.dtype} pixels of shape {pixels.shape}")
    exif, icc = f"{name}_exif", f"{name}_icc"
    return Picture(
        pixels=pixels,
        is_gray=bool(meta.get("is_gray", False)),
        source_mode=str(meta.get("source_mode", "RGB")),
        source_format=meta.get("source_format"),
        exif=bytes(data[exif]) if exif in data.files else None,
        icc_profile=bytes(data[icc]) if icc in data.files else None,
    )
