"""`python -m latent_studio.models.vae.pack`: the UTKFace training copy `.gpu/faces.npz` (train + val, labels,
split flag).

The lent GPU takes one small file per data set, so the 200x200 aligned faces are shrunk once to the
working size (64x64, the whole UTKFace framing) and re-encoded as JPEG q90. Labels parsed from the file
names travel as int arrays (age, gender, race) with a boolean `is_val` array from `split.is_val`, so every
recipe and the evaluation agree on the held-out faces without a second file.
UTKFace is for non-commercial research only: weights trained on it must say so in the manifest.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from latent_studio.models.datapack import encode, list_images, save_blobs
from latent_studio.models.vae.split import is_val, parse_labels

DEFAULT_SOURCE = Path("/work/shared/datasets/utkface/images")


def _shrink(path: Path, size: int, quality: int) -> bytes:
    image = Image.open(path).convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    return encode(image, "JPEG", quality)


def pack_faces(source: Path, out: Path, size: int = 64, quality: int = 90) -> dict:
    """Pack every labelled face under `source`; returns counts for the log."""
    files = [f for f in list_images(source) if parse_labels(f.name) is not None]
    with ThreadPoolExecutor(max_workers=4) as pool:
        blobs = list(pool.map(lambda f: _shrink(f, size, quality), files))
    labels = np.array([parse_labels(f.name) for f in files], dtype=np.int16)
    val = np.array([is_val(f.name) for f in files], dtype=bool)
    save_blobs(
        out,
        [f.name for f in files],
        blobs,
        age=labels[:, 0],
        gender=labels[:, 1].astype(np.int8),
        race=labels[:, 2].astype(np.int8),
        is_val=val,
    )
    return {"faces": len(files), "val": int(val.sum()), "mib": out.stat().st_size / 2**20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.vae.pack", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="UTKFace images folder")
    parser.add_argument("--out", type=Path, default=Path(".gpu/faces.npz"))
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--quality", type=int, default=90)
    args = parser.parse_args(argv)
    facts = pack_faces(args.source, args.out, args.size, args.quality)
    print(f"packed {facts['faces']} faces ({facts['val']} val) into {args.out} ({facts['mib']:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
