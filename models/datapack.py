"""Compact training copies of image folders: many encoded images in one .npz (no pickle).

The lent GPU machine takes at most 64 MiB per call, so training data travels as one file per set: the
images re-encoded small (JPEG for photos, PNG for line maps), concatenated into one uint8 blob with an
offsets array and a names array. Trainers accept either a folder of images or such a pack.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def list_images(folder: Path | str, recursive: bool = True) -> list[Path]:
    """Image files under `folder`, sorted so that every run sees the same order."""
    folder = Path(folder)
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in folder.glob(pattern) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def resize_short_side(image: Image.Image, short_side: int) -> Image.Image:
    width, height = image.size
    scale = short_side / min(width, height)
    if scale >= 1:
        return image
    return image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS)


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": quality} if fmt == "JPEG" else {"optimize": True}))
    return buffer.getvalue()


def decode(blob: bytes | np.ndarray) -> np.ndarray:
    """Encoded bytes -> HxWx3 (or HxW for 1-channel PNGs) uint8."""
    image: Image.Image = Image.open(io.BytesIO(bytes(blob)))
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return np.asarray(image)


def save_blobs(path: Path | str, names: list[str], blobs: list[bytes], **extra: np.ndarray) -> Path:
    """Write blobs + names (+ any extra numeric arrays, e.g. labels) to one .npz."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in blobs])
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    # allow_pickle=False: no object arrays, as load_blobs reads them (and the extras cannot pass for the flag)
    np.savez(path, allow_pickle=False, data=data, offsets=offsets, names=np.array(names, dtype=str), **extra)
    return path


def load_blobs(path: Path | str) -> tuple[list[str], list[np.ndarray], dict[str, np.ndarray]]:
    """(names, encoded blobs, extra arrays) of a pack."""
    with np.load(path, allow_pickle=False) as pack:
        data, offsets, names = pack["data"], pack["offsets"], [str(n) for n in pack["names"]]
        extra = {k: pack[k] for k in pack.files if k not in ("data", "offsets", "names")}
    blobs = [data[offsets[i] : offsets[i + 1]] for i in range(len(names))]
    return names, blobs, extra


def open_rgb(file: Path | str) -> Image.Image:
    """An image file as upright RGB (EXIF orientation applied)."""
    return ImageOps.exif_transpose(Image.open(file)).convert("RGB")


def iter_photos(sources: Iterable[Path | str], short_side: int | None = None) -> Iterator[tuple[str, np.ndarray]]:
    """(name, HxWx3 uint8 RGB) from folders and/or packs, EXIF-upright, optionally shrunk."""
    for entry in sources:
        source = Path(entry)
        if source.suffix == ".npz":
            names, blobs, _ = load_blobs(source)
            for name, blob in zip(names, blobs, strict=True):
                array = decode(blob)
                yield name, array if array.ndim == 3 else np.repeat(array[..., None], 3, axis=2)
            continue
        for file in list_images(source):
            try:
                image = open_rgb(file)
            except OSError:
                continue  # an unreadable file in a data folder is skipped, not fatal
            if short_side:
                image = resize_short_side(image, short_side)
            yield str(file.relative_to(source)), np.asarray(image)


HELD_OUT_PERCENT = 10


def is_held_out(name: str, percent: int = HELD_OUT_PERCENT) -> bool:
    """True for the ~`percent` % of files kept for validation: a stable hash of the bare file name, so packs,
    recipes and evaluations agree forever and adding files never moves old ones (UTKFace's rule too)."""
    digest = hashlib.sha1(name.replace("\\", "/").rsplit("/", 1)[-1].encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def in_split(name: str, split: str) -> bool:
    """Whether `name` belongs to `split`: "all", "train" (not held out) or "val" (held out)."""
    if split == "all":
        return True
    return is_held_out(name) == (split == "val")


def is_grayscale(rgb: np.ndarray, tolerance: float = 3.0) -> bool:
    """True for photos with (almost) no chroma: filtered out of colorization training."""
    array = rgb.astype(np.float32)
    return float(np.abs(array - array.mean(axis=2, keepdims=True)).mean()) < tolerance


def pack_photos(
    sources: list[Path | str],
    out: Path | str,
    short_side: int,
    quality: int = 92,
    drop_gray: bool = False,
    split: str = "all",
) -> int:
    """Pack every photo under `sources` (of `split`, see `in_split`) at `short_side`; returns the count."""
    names, blobs = [], []
    for name, array in iter_photos(sources, short_side):
        if not in_split(name, split) or (drop_gray and is_grayscale(array)):
            continue
        names.append(name)
        blobs.append(encode(Image.fromarray(array), "JPEG", quality))
    save_blobs(out, names, blobs)
    return len(names)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.datapack", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", nargs="+", required=True, help="folders of photos")
    parser.add_argument("--out", required=True, help="output .npz")
    parser.add_argument("--short-side", type=int, default=160)
    parser.add_argument("--quality", type=int, default=92)
    parser.add_argument("--drop-gray", action="store_true")
    parser.add_argument(
        "--split",
        choices=("all", "train", "val"),
        default="all",
        help=f"val: the {HELD_OUT_PERCENT} %% of files whose name hash is held out; train: the rest",
    )
    args = parser.parse_args(argv)
    count = pack_photos(args.data, args.out, args.short_side, args.quality, args.drop_gray, args.split)
    size = Path(args.out).stat().st_size / 2**20
    print(f"packed {count} photos into {args.out} ({size:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
