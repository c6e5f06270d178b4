"""`python -m latent_studio.models.vae.montage --data FACES --out PNG`: held-out faces as the app shows them.

Columns: the face, the encoder's guess, the fitted face (models.vae.refine, as every photo encode does), then
-2 and +2 sigma along each labelled (attribute) direction from the fitted face. Rows: --count held-out faces
spread over the val split. What the issue's montage asks for; the note shows it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from latent_studio.models.vae.directions import DirectionSet
from latent_studio.models.vae.network import FaceVAE
from latent_studio.models.vae.refine import refine
from latent_studio.models.vae.spec import DIRECTIONS_FILE
from latent_studio.models.vae.trainkit import load_faces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latent_studio.models.vae.montage", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", nargs="+", required=True, help="faces packs/folders (the val split is shown)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--steps", type=int, default=40, help="refinement steps (the app's default)")
    parser.add_argument("--amount", type=float, default=2.0, help="sigmas either way")
    args = parser.parse_args(argv)
    from latent_studio.models.registry import default_registry

    registry = default_registry()
    vae = registry.load_model("vae", "cpu")
    if not isinstance(vae, FaceVAE):
        raise SystemExit(f"the registry's 'vae' is a {type(vae).__name__}, not a FaceVAE")
    directions = DirectionSet.from_tensors(registry.load_tensors(DIRECTIONS_FILE))
    faces = load_faces(args.data, vae.image_size, torch.device("cpu"), want_val=True)
    pick = torch.linspace(0, len(faces) - 1, args.count).round().long()
    x = faces.floats(pick)
    fitted = refine(vae, x, args.steps)
    names = [n for n, k in zip(directions.names, directions.kinds, strict=True) if k == "attribute"]
    columns, titles = [x], ["face"]
    with torch.no_grad():
        columns.append(vae.decode(vae.encode(x)))
        titles.append("encoder")
        columns.append(vae.decode(fitted.codes, fitted.details))
        titles.append(f"fitted {args.steps}")
        for name in names:
            i = directions.index(name)
            step = args.amount * float(directions.sigmas[i]) * directions.vectors[i].float()
            for sign in (-1, 1):
                columns.append(vae.decode(fitted.codes + sign * step, fitted.details))
                titles.append(f"{name} {sign * args.amount:+g}s")
    size = vae.image_size
    sheet = Image.new("RGB", (size * len(columns), 16 + size * args.count), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for c, (column, title) in enumerate(zip(columns, titles, strict=True)):
        draw.text((c * size + 3, 2), title, fill=(230, 230, 230))
        pixels = (column.float().clamp(0, 1).permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)
        for r, face in enumerate(pixels):
            sheet.paste(Image.fromarray(face), (c * size, 16 + r * size))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out}: {args.count} faces x {len(columns)} columns ({', '.join(titles)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
