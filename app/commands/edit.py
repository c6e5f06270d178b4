"""`latent-studio edit`, `interpolate` and `define-direction`: latent face editing from the command line.

    latent-studio edit IN OUT --attr young=+1.5 --attr female=-1      (sliders in sigma units)
    latent-studio edit --list                                         (the available directions)
    latent-studio interpolate A B OUT --steps 8                       (a strip PNG, or frames if OUT is a folder)
    latent-studio define-direction NAME --with DIR --without DIR      (a new slider from your own pictures)

The face is found with OpenCV's face detector and cropped to the model's framing (or give --box X,Y,W,H);
the edit is pasted back into the full photo with a feathered mask, adding only what the edit changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.core.errors import LatentStudioError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    edit = subparsers.add_parser("edit", help="edit a face along attribute/PCA/user directions",
                                 description="Edit the face in a photo by moving its VAE code along named directions "
                                             "(sliders in sigma units of the training faces).")
    edit.add_argument("input", nargs="?", type=Path, help="photo with a face")
    edit.add_argument("output", nargs="?", type=Path, help="where to write the edited photo")
    edit.add_argument("--attr", action="append", default=[], metavar="NAME=VALUE",
                      help="move along direction NAME by VALUE sigmas (repeatable), e.g. young=+1.5")
    edit.add_argument("--list", action="store_true", help="list the available directions and exit")
    edit.add_argument("--box", help="face crop box X,Y,W,H in photo pixels (skips face detection)")
    edit.add_argument("--face-only", action="store_true", help="write only the edited face at the model's size")
    edit.add_argument("--paste", choices=["delta", "face"], default="delta",
                      help="delta: add only the edit's change to the photo (keeps detail); face: paste the decoded face")
    _common(edit)
    edit.set_defaults(func=run)

    interp = subparsers.add_parser("interpolate", help="morph between the faces of two photos",
                                   description="Decode faces along the straight line between two photos' codes.")
    interp.add_argument("a", type=Path, help="first photo")
    interp.add_argument("b", type=Path, help="second photo")
    interp.add_argument("output", type=Path, help="strip .png, or a folder (existing, or a path without suffix) for frames")
    interp.add_argument("--steps", type=int, default=8, help="number of faces, both ends included (default 8)")
    interp.add_argument("--scale", type=int, default=2, help="upscale each face by this factor (default 2)")
    _common(interp)
    interp.set_defaults(func=run_interpolate)

    define = subparsers.add_parser("define-direction", help="make a new edit direction from two folders of pictures",
                                   description="Compute a direction from pictures with a property and pictures without it; "
                                               "it is saved with your directions and appears in `edit --list`.")
    define.add_argument("name", help="the new direction's name (letters, digits, - and _)")
    define.add_argument("--with", dest="folder_with", type=Path, required=True, help="pictures that have the property")
    define.add_argument("--without", dest="folder_without", type=Path, required=True, help="pictures that do not")
    _common(define)
    define.set_defaults(func=run_define)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")


def parse_box(text: str | None):
    """'X,Y,W,H' -> a square Box centred on that rectangle (side = the longer side)."""
    from app.core.faces import Box

    if text is None:
        return None
    try:
        x, y, w, h = (float(v) for v in text.split(","))
    except ValueError:
        raise LatentStudioError(f"--box '{text}' is not X,Y,W,H in pixels (e.g. --box 120,80,200,200).") from None
    if w <= 1 or h <= 1:
        raise LatentStudioError(f"--box '{text}' needs a width and height above 1 pixel.")
    return Box.around(x + w / 2, y + h / 2, max(w, h))


def _editor(args: argparse.Namespace):
    from app.core.device import ComputeSettings, configure_torch_threads
    from app.core.latent import LatentEditor

    configure_torch_threads()
    return LatentEditor.load(ComputeSettings(device=args.device))


def run(args: argparse.Namespace) -> int:
    from app.core.imageio import load_image, save_image
    from app.core.latent import parse_sliders

    editor = _editor(args)
    if args.list:
        for name, kind, text, sigma in zip(editor.directions.names, editor.directions.kinds, editor.directions.descriptions,
                                           editor.directions.sigmas.tolist()):
            print(f"{name:12s} {kind:9s} sigma={sigma:.3f}  {text}")
        return 0
    if args.input is None or args.output is None:
        raise LatentStudioError("edit needs an input and an output file (or --list).")
    sliders = parse_sliders(args.attr)
    offset = editor.offset(sliders)  # checks the names before any work
    picture = load_image(args.input)
    encoded = editor.encode(picture.pixels, parse_box(args.box))
    print(f"{args.input}: {encoded.crop.note}", file=sys.stderr)
    edited = editor.decode(encoded.code + offset)
    if args.face_only:
        from app.core.imageio import Picture

        save_image(Picture(edited), args.output)
        return 0
    reference = editor.decode(encoded.code) if args.paste == "delta" else None

    result = editor.paste_back(picture.pixels, edited, encoded.crop.box, reference)
    save_image(picture.with_pixels(result), args.output)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    import numpy as np

    from app.core.imageio import Picture, load_image, save_image

    editor = _editor(args)
    ends = []
    for path in (args.a, args.b):
        encoded = editor.encode(load_image(path).pixels)
        print(f"{path}: {encoded.crop.note}", file=sys.stderr)
        ends.append(encoded.code)
    faces = editor.decode(editor.interpolate(ends[0], ends[1], args.steps))
    scale = max(1, args.scale)
    faces = faces.repeat(scale, axis=1).repeat(scale, axis=2)
    if args.output.is_dir() or not args.output.suffix:
        args.output.mkdir(parents=True, exist_ok=True)
        for i, face in enumerate(faces):
            save_image(Picture(np.ascontiguousarray(face)), args.output / f"frame_{i:03d}.png")
        print(f"wrote {len(faces)} frames to {args.output}", file=sys.stderr)
    else:
        save_image(Picture(np.ascontiguousarray(np.concatenate(list(faces), axis=1))), args.output)
    return 0


def run_define(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from app.core.jobs import Progress

    editor = _editor(args)
    with tqdm(total=100, unit="%", file=sys.stderr, leave=False) as bar:
        def callback(fraction: float, message: str = "") -> None:
            value = int(fraction * 100)
            if value != bar.n:
                bar.update(value - bar.n)

        directions = editor.define_direction(args.name, args.folder_with, args.folder_without, Progress(callback))
    i = directions.index(args.name)
    print(f"direction '{args.name}' (sigma {float(directions.sigmas[i]):.3f}) saved to "
          f"{editor.user_dir / (args.name + '.safetensors')}; use it with: latent-studio edit IN OUT --attr {args.name}=+1")
    return 0
