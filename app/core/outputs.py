"""Checks on where a command will write, made before any picture is read or any model is loaded.

`save_image` refuses a bad output too, but only once the work is done (7 s of colorizing an 8000x6000 scan
before "unknown extension"). Every single-picture command calls `check_output_file` (or, for a folder of
frames, `check_output_folder`) first, with its inputs, so it also refuses to replace an original: the same
file by path (`IN`, `./IN`) or by identity (a symlink or hard link to it) unless the user asked for in-place.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from latent_studio.app.core.imageio import WRITE_FORMATS
from latent_studio.models.errors import LatentStudioError

IN_PLACE_FLAG = "--in-place"


def check_output_file(
    output: str | os.PathLike, inputs: Iterable[str | os.PathLike | None] = (), in_place: bool = False
) -> Path:
    """`output` as a Path if a picture can be written there, else a LatentStudioError saying why not.

    Checked: a known extension, not an existing folder, an existing and writable parent folder, and not one
    of `inputs` (unless `in_place`).
    """
    path = Path(output)
    if path.is_dir():
        raise LatentStudioError(f"Cannot write {path}: it is a folder, not a file name (give e.g. {path / 'out.png'}).")
    if path.suffix.lower() not in WRITE_FORMATS:
        known = ", ".join(WRITE_FORMATS)
        raise LatentStudioError(f"Cannot write {path.name}: unknown extension '{path.suffix}' (use one of {known}).")
    _check_writable_folder(path.parent, path)
    if not in_place:
        _check_not_an_input(path, inputs)
    return path


def check_output_folder(
    folder: str | os.PathLike,
    file_names: Iterable[str] = (),
    inputs: Iterable[str | os.PathLike | None] = (),
    in_place: bool = False,
) -> Path:
    """`folder` as a Path if files `file_names` can be written in it (it is created later if missing)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise LatentStudioError(f"Cannot write frames into {folder}: it is a file, not a folder.")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise LatentStudioError(f"Cannot write frames into {folder}: {existing} is a file, not a folder.")
    _check_writable_folder(existing, folder)
    if not in_place:
        for name in file_names:
            _check_not_an_input(folder / name, inputs)
    return folder


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True if both paths name one file: the same path once resolved, or (both existing) the same inode."""
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): then they are not the same file
        return False


def _check_not_an_input(path: Path, inputs: Iterable[str | os.PathLike | None]) -> None:
    for source in inputs:
        if source is not None and same_file(path, source):
            raise LatentStudioError(
                f"Cannot write {path}: it is the input {source}; add {IN_PLACE_FLAG} to replace the original."
            )


def _check_writable_folder(folder: Path, target: Path) -> None:
    """The folder exists and a file can be created in it (tried, since permission bits say nothing to root)."""
    folder = folder if str(folder) else Path(".")
    if not folder.is_dir():
        raise LatentStudioError(f"Cannot write {target}: the folder {folder} does not exist.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".latent-studio-", suffix=".probe", dir=folder)
    except OSError as error:
        raise LatentStudioError(
            f"Cannot write {target}: the folder {folder} is not writable ({error.strerror or error})."
        ) from None
    os.close(fd)
    os.unlink(probe)
