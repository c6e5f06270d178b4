"""`python -m latent_studio.models.sketch.pack`: BSDS500 photos + their human boundary maps as one compact .npz
per split.

BSDS500 ships about five boundary maps per photo, drawn by people: real sketches paired with real photos,
which is what the sketch model must learn to read. A pack holds, per photo, the JPEG at a small short side
and every annotator's boundary map resized the same way. The 1-pixel lines must survive the shrink, so
each map is area-averaged (coverage of a line in each output pixel) and then boosted, giving anti-aliased
lines of about one output pixel instead of the broken dots a nearest/bilinear resize would leave.

Layout (see `models.datapack.save_blobs`): blobs in photo order, each photo followed by its maps;
`kind` (0 photo JPEG, 1 boundary PNG, 255 = line) and `photo_index` (the photo a blob belongs to).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from latent_studio.models.datapack import encode, save_blobs
from latent_studio.models.errors import LatentStudioError

KIND_PHOTO = 0
KIND_LINES = 1


def shrink_lines(boundary: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """HxW 0/1 line map -> (h, w) uint8 ink (255 = line), thin lines kept as anti-aliased strokes.

    `size` is (width, height) as in cv2. Coverage from INTER_AREA is scaled so that a line crossing an
    output pixel shows as (nearly) full ink even when it covers only half of it.
    """
    coverage = cv2.resize(boundary.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    scale = min(boundary.shape) / min(size[1], size[0])  # input pixels per output pixel (>= 1)
    ink = np.clip(coverage * scale * 1.2, 0.0, 1.0)
    return (ink * 255.0 + 0.5).astype(np.uint8)


def read_boundaries(mat_path: Path) -> list[np.ndarray]:
    """Every annotator's 0/1 boundary map of one BSDS500 ground-truth file."""
    from scipy.io import loadmat

    truth = loadmat(str(mat_path))["groundTruth"]
    return [np.asarray(truth[0, k]["Boundaries"][0, 0], dtype=np.uint8) for k in range(truth.shape[1])]


def iter_split(root: Path, split: str, short_side: int) -> Iterator[tuple[str, np.ndarray, list[np.ndarray]]]:
    """(name, HxWx3 photo, [hxw ink maps]) for every photo of a BSDS500 split, shrunk to `short_side`."""
    photos = sorted((root / "images" / split).glob("*.jpg"))
    if not photos:
        raise LatentStudioError(f"There are no BSDS500 photos under {root / 'images' / split}.")
    for photo_path in photos:
        image = Image.open(photo_path).convert("RGB")
        width, height = image.size
        scale = min(1.0, short_side / min(width, height))
        size = (round(width * scale), round(height * scale))
        boundaries = read_boundaries(root / "groundTruth" / split / f"{photo_path.stem}.mat")
        # A map that does not fit its photo is skipped, not stretched.
        lines = [shrink_lines(b, size) for b in boundaries if b.shape == (height, width)]
        yield f"{split}/{photo_path.name}", np.asarray(image.resize(size, Image.Resampling.LANCZOS)), lines


def pack_split(root: Path, split: str, out: Path, short_side: int, quality: int = 90) -> tuple[int, int]:
    """Pack one BSDS500 split; returns (photos, boundary maps)."""
    names: list[str] = []
    blobs: list[bytes] = []
    kinds: list[int] = []
    owners: list[int] = []
    for index, (name, photo, lines) in enumerate(iter_split(root, split, short_side)):
        names.append(name)
        blobs.append(encode(Image.fromarray(photo), "JPEG", quality))
        kinds.append(KIND_PHOTO)
        owners.append(index)
        for k, ink in enumerate(lines):
            names.append(f"{name[:-4]}/lines{k}.png")
            blobs.append(encode(Image.fromarray(ink, "L"), "PNG"))
            kinds.append(KIND_LINES)
            owners.append(index)
    save_blobs(out, names, blobs, kind=np.array(kinds, np.uint8), photo_index=np.array(owners, np.int32))
    return kinds.count(KIND_PHOTO), kinds.count(KIND_LINES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.sketch.pack", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--bsds", type=Path, default=Path("/work/shared/datasets/bsds500"))
    parser.add_argument("--out-dir", type=Path, default=Path(".gpu"))
    parser.add_argument("--short-side", type=int, default=192)
    args = parser.parse_args(argv)
    for split in ("train", "val"):
        out = args.out_dir / f"sketch_{split}.npz"
        photos, maps = pack_split(args.bsds, split, out, args.short_side)
        print(f"{out}: {photos} photos, {maps} human boundary maps, {out.stat().st_size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
