"""Reading and writing images with Pillow, so that every tool sees the same clean pixels.

Whatever the file holds (EXIF rotation, 1/8/16-bit, L, LA, P, RGB, RGBA, CMYK...), `load_image` returns a
`Picture`: an upright HxWx3 (RGB) or HxWx4 (RGBA) array of uint8 or uint16, alpha kept, plus the metadata
that saving should carry over (EXIF, ICC). Every failure is an `ImageReadError` / `ImageWriteError` whose
message names the file and says what is wrong, so the GUI and the batch report can show it as it is.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import struct
import tempfile
import threading
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from latent_studio.models.errors import ImageReadError, ImageTooLargeError, ImageWriteError

#: Default pixel limit: 200 megapixels (a 16-bit RGBA image of this size is 1.6 GB in memory).
DEFAULT_MAX_PIXELS = 200_000_000

#: Extensions we write, mapped to Pillow format names.
WRITE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}

# We do our own size check (with a readable message); Pillow's own guard stays as a second net.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class Picture:
    """An upright image: `pixels` is HxWx3 or HxWx4, dtype uint8 or uint16."""

    pixels: np.ndarray
    is_gray: bool = False
    source_mode: str = "RGB"
    source_format: str | None = None
    exif: bytes | None = field(default=None, repr=False)
    icc_profile: bytes | None = field(default=None, repr=False)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.pixels.shape[2] == 4

    @property
    def bit_depth(self) -> int:
        return 16 if self.pixels.dtype == np.uint16 else 8

    def with_pixels(self, pixels: np.ndarray, *, is_gray: bool | None = None) -> Picture:
        """A copy with new pixels and the same metadata (what an operation returns)."""
        return replace(self, pixels=pixels, is_gray=self.is_gray if is_gray is None else is_gray)


def load_image(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> Picture:
    """Read `path` into an upright `Picture`, or raise `ImageReadError` saying why not."""
    return load_source(path, max_pixels)[0]


def load_source(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[Picture, os.stat_result]:
    """`load_image`, plus the status of the file exactly as it was read (taken from the open file, so a file
    replaced or deleted meanwhile does not change it): what the batch done-log records."""
    path = Path(path)
    data, status = _read_bytes(path, max_pixels)
    return _decode(path.name, data, max_pixels), status


def _decode(name: str, data: bytes, max_pixels: int) -> Picture:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            _check_size(name, image.size, max_pixels)
            source_format = image.format
            exif = image.info.get("exif")
            icc = image.info.get("icc_profile")
            if _is_16bit_colour(data, image):
                pixels = _decode_16bit_colour(name, data)
                source_mode = "RGB;16"
            else:
                image.load()
                image = ImageOps.exif_transpose(image)
                source_mode = image.mode
                pixels = _to_array(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        found = re.search(r"\((\d+) pixels\)", str(error))
        raise ImageTooLargeError(_too_large_message(name, int(found.group(1)) if found else 0, max_pixels)) from None
    except UnidentifiedImageError:
        raise ImageReadError(
            f"{name} is not an image Latent Studio can read (supported: PNG, JPEG, WebP, TIFF, BMP, GIF)."
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error) as error:
        if "truncated" in str(error).lower():
            raise ImageReadError(f"{name} is truncated: the file ends before the image does.") from None
        raise ImageReadError(f"{name} is corrupt and cannot be decoded ({error}).") from None
    exif = _strip_orientation(exif)
    return Picture(
        pixels=pixels,
        is_gray=source_mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F") or _looks_gray(pixels),
        source_mode=source_mode,
        source_format=source_format,
        exif=exif,
        icc_profile=icc,
    )


def save_image(picture: Picture, path: str | os.PathLike, quality: int = 95) -> Path:
    """Write `picture` to `path` atomically (temporary file, then rename); the extension picks the format.

    JPEG has no alpha: transparent pixels are composited onto white. 16-bit pictures stay 16-bit in PNG and
    TIFF and become 8-bit elsewhere. EXIF and ICC are kept where the format allows.
    The file gets the permissions `cp` would give it: those of the file it replaces, else 0666 less the umask.
    A full disk is an ImageWriteError even where the encoder does not notice it (see `_check_complete`); the
    temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageWriteError(
            f"Cannot write {path.name}: unknown extension '{path.suffix}' (use .png, .jpg, .webp or .tif)."
        )
    if not path.parent.is_dir():
        raise ImageWriteError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise ImageWriteError(f"Cannot write {path}: {error.strerror or error}.") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(fd, _new_file_mode(path))
            write_encoded(picture, fmt, handle, quality)
            handle.flush()
            os.fsync(fd)
            _check_complete(path, fmt, fd, handle.tell())
        os.replace(tmp_name, path)
    except ImageWriteError:
        _remove_quietly(tmp_name)
        raise
    except OSError as error:
        _remove_quietly(tmp_name)
        raise ImageWriteError(f"Cannot write {path}: {error.strerror or error}.") from None
    except ValueError as error:  # the encoder refused the picture (e.g. WebP's 16383-pixel limit)
        _remove_quietly(tmp_name)
        raise ImageWriteError(f"Cannot write {path.name} as {fmt}: {error}.") from None
    except BaseException:  # Ctrl+C or a bug: no half-written file stays behind either
        _remove_quietly(tmp_name)
        raise
    return path


def write_encoded(picture: Picture, fmt: str, handle, quality: int = 95) -> None:
    """Encode into an open binary file.

    Given a real file (one with a descriptor), Pillow encodes with the GIL released; into an in-memory
    buffer it holds the GIL throughout, so the batch engine's encode threads ran one at a time (measured with
    Pillow 13, a 2 MP JPEG in 2 threads: x0.86 into BytesIO, x1.72 into a file).
    """
    pixels = picture.pixels
    if picture.bit_depth == 16 and fmt in ("PNG", "TIFF"):
        handle.write(_encode_16bit(pixels, fmt))
        return
    pixels8 = to_uint8(pixels)
    if fmt == "JPEG" and pixels8.shape[2] == 4:
        pixels8 = composite_on_white(pixels8)
    mode = "RGBA" if pixels8.shape[2] == 4 else "RGB"
    image = Image.fromarray(pixels8, mode)
    options: dict = {}
    if picture.exif and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        options["exif"] = picture.exif
    if picture.icc_profile:
        options["icc_profile"] = picture.icc_profile
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = quality
    if fmt == "TIFF":
        options["compression"] = "tiff_deflate"
    image.save(handle, fmt, **options)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """8-bit copy of uint8/uint16 pixels (rounded, not truncated)."""
    if pixels.dtype == np.uint8:
        return pixels
    return ((pixels.astype(np.float32) / 257.0) + 0.5).astype(np.uint8)


def rgb8(pixels: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB of any pixels a model or a drawing surface takes in: HxW gray or HxWx1/3/4, 8 or 16 bit
    (16-bit rounded, alpha laid over white)."""
    pixels = to_uint8(pixels[..., None] if pixels.ndim == 2 else pixels)
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return composite_on_white(pixels) if pixels.shape[2] == 4 else pixels


def composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """RGB of an 8-bit RGBA array laid over a white background."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    return (rgb + 0.5).astype(np.uint8)


# --- reading helpers -------------------------------------------------------------------------------


def _read_bytes(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[bytes, os.stat_result]:
    """The file's bytes and its status, regular files only: a FIFO would block the read for ever and a
    device (/dev/zero) never ends. Opened without blocking, checked on the open descriptor, size-checked
    before reading, so nothing swapped in between the check and the read can slip through."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ImageReadError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path} is a folder, not an image file.") from None
    except OSError as error:
        raise ImageReadError(f"{path.name} cannot be read: {error.strerror or error}.") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        if stat.S_ISDIR(status.st_mode):
            raise ImageReadError(f"{path} is a folder, not an image file.")
        raise ImageReadError(f"{path.name} is {_file_kind(status.st_mode)}, not an image file.")
    with os.fdopen(fd, "rb") as handle:
        if status.st_size > max_file_bytes(max_pixels):
            raise ImageTooLargeError(
                f"{path.name} is too large to open safely: {status.st_size / 1e9:.1f} GB, "
                f"the limit is {max_file_bytes(max_pixels) / 1e9:.1f} GB."
            )
        try:
            data = handle.read(status.st_size + 1)  # one byte more: a file still growing is noticed
        except OSError as error:
            raise ImageReadError(f"{path.name} cannot be read: {error.strerror or error}.") from None
    if not data:
        raise ImageReadError(f"{path.name} is empty (0 bytes).")
    if len(data) != status.st_size:
        raise ImageReadError(f"{path.name} changed while it was being read; try again once it is written.")
    return data, status


def max_file_bytes(max_pixels: int = DEFAULT_MAX_PIXELS) -> int:
    """The largest file read: an uncompressed 16-bit RGBA image of `max_pixels`, plus 16 MiB of metadata."""
    return max_pixels * 8 + (16 << 20)


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_size(name: str, size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageTooLargeError(_too_large_message(name, width * height, max_pixels))


def _too_large_message(name: str, pixels: int, max_pixels: int) -> str:
    return (
        f"{name} is too large to open safely: {pixels / 1e6:.0f} megapixels, "
        f"the limit is {max_pixels / 1e6:.0f} megapixels."
    )


def _to_array(image: Image.Image) -> np.ndarray:
    """Convert any Pillow mode to HxWx3/4 uint8 or uint16."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        gray = np.asarray(image, dtype=np.uint32 if mode == "I" else None)
        gray = np.clip(gray, 0, 65535).astype(np.uint16)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode == "F":
        gray = np.asarray(image, dtype=np.float32)
        gray = np.clip(gray * 65535.0 if gray.max() <= 1.0 else gray, 0.0, 65535.0)
        return np.repeat((gray + 0.5).astype(np.uint16)[..., None], 3, axis=2)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    elif mode != "RGBA" and mode != "RGB":
        # 1, L, CMYK, YCbCr, LAB, HSV: Pillow's conversions to RGB.
        image = image.convert("RGB")
    return np.array(image, dtype=np.uint8)


def _is_16bit_colour(data: bytes, image: Image.Image) -> bool:
    """Pillow silently reduces 16-bit RGB(A) PNG/TIFF to 8 bits; spot them to decode at full depth."""
    if image.format == "PNG" and len(data) > 25:
        bit_depth, colour_type = data[24], data[25]
        return bit_depth == 16 and colour_type in (2, 6)
    if image.format == "TIFF":
        bits = image.tag_v2.get(258) if hasattr(image, "tag_v2") else None
        return isinstance(bits, tuple) and len(bits) >= 3 and bits[0] == 16
    return False


def _decode_16bit_colour(name: str, data: bytes) -> np.ndarray:
    import cv2  # only for 16-bit colour, which Pillow cannot hold

    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.ndim != 3:
        raise ImageReadError(f"{name} is a 16-bit colour image that cannot be decoded.")
    order = cv2.COLOR_BGRA2RGBA if array.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return np.ascontiguousarray(cv2.cvtColor(array, order)).astype(np.uint16)


def _encode_16bit(pixels: np.ndarray, fmt: str) -> bytes:
    import cv2

    order = cv2.COLOR_RGBA2BGRA if pixels.shape[2] == 4 else cv2.COLOR_RGB2BGR
    ok, buffer = cv2.imencode(".png" if fmt == "PNG" else ".tiff", cv2.cvtColor(pixels, order))
    if not ok:
        raise ImageWriteError(f"Could not encode a 16-bit {fmt} image.")
    return buffer.tobytes()


def _looks_gray(pixels: np.ndarray) -> bool:
    """True for RGB files whose three channels are identical (a grayscale photo saved as RGB)."""
    step = max(1, int(np.sqrt(pixels.shape[0] * pixels.shape[1] / 65536)))
    sample = pixels[::step, ::step, :3].astype(np.int32)
    return bool(
        np.abs(sample[..., 0] - sample[..., 1]).max() <= 2 and np.abs(sample[..., 1] - sample[..., 2]).max() <= 2
    )


def _strip_orientation(exif: bytes | None) -> bytes | None:
    """After exif_transpose the pixels are upright: reset the orientation tag so viewers don't rotate twice."""
    if not exif:
        return exif
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        if parsed.get(0x0112, 1) != 1:
            parsed[0x0112] = 1
        return parsed.tobytes()
    except Exception:  # noqa: BLE001 - malformed EXIF must never stop a load; dropping it loses nothing visible
        return None


# --- writing helpers -------------------------------------------------------------------------------

#: How each format we write ends; Pillow's JPEG encoder writes straight to the descriptor and ignores a short
#: write(2), so on a full disk it returns normally with a cut-off file: its end marker is what is missing.
_TRAILERS = {"JPEG": b"\xff\xd9", "PNG": b"\x00\x00\x00\x00IEND\xaeB`\x82"}


def _check_complete(path: Path, fmt: str, fd: int, written: int) -> None:
    """Raise ImageWriteError unless the flushed temporary file holds the whole encoded image.

    The size on disk must be what was written, and the file must end as its format does (JPEG, PNG) or be as
    long as its header says (WebP's RIFF size). TIFF goes through libtiff, which checks every write itself
    (and seeks back to patch its header, so the file position says nothing about the size).
    """
    size = os.fstat(fd).st_size
    complete = size > 0 and (size == written or fmt == "TIFF")
    if complete and fmt in _TRAILERS:
        trailer = _TRAILERS[fmt]
        complete = size >= len(trailer) and os.pread(fd, len(trailer), size - len(trailer)) == trailer
    elif complete and fmt == "WEBP":
        header = os.pread(fd, 8, 0)
        complete = len(header) == 8 and header[:4] == b"RIFF" and struct.unpack("<I", header[4:])[0] + 8 == size
    if not complete:
        raise ImageWriteError(
            f"Cannot write {path}: the file was cut short ({size} bytes reached the disk; is the disk full?)."
        )


def _new_file_mode(path: Path) -> int:
    """Permission bits as `cp` gives them: the replaced file's, else 0666 less the process umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it (os.umask sets it, which would race other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def _remove_quietly(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
