"""`latent-studio edit`, `interpolate` and `define-direction`: latent face editing from the command line.

    latent-studio edit IN OUT --attr young=+1.5 --attr female=-1      (sliders in sigma units)
    latent-studio edit --list                                         (the available directions)
    latent-studio interpolate A B OUT --steps 8                       (a strip PNG, or frames if OUT is a folder)
    latent-studio define-direction NAME --with DIR --without DIR      (a new slider from your own pictures)

The face and its 5 landmarks are found with MTCNN and aligned like the training faces (--box X,Y,W,H
restricts the detection, or is the face when none is found in it); the edit is warped back into the full
photo under a feathered mask over the face, adding only what the edit changed (app.core.face_edit).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from latent_studio.models.errors import LatentStudioError

MAX_SCALE = 16  # interpolate --scale: each face (the model's size) at most 16x
MAX_REFINE_STEPS = 500  # ~25 s on a CPU: beyond it the face no longer gets closer
MAX_STRIP_PIXELS = 50_000_000  # interpolate: all faces together (150 MB of 8-bit RGB, a few copies while assembling)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    edit = subparsers.add_parser(
        "edit",
        help="edit a face along attribute/PCA/user directions",
        description="Edit the face in a photo by moving its VAE code along named directions "
        "(sliders in sigma units of the training faces).",
    )
    edit.add_argument("input", nargs="?", type=Path, help="photo with a face")
    edit.add_argument("output", nargs="?", type=Path, help="where to write the edited photo")
    edit.add_argument(
        "--attr",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="move along direction NAME by VALUE sigmas (repeatable), e.g. young=+1.5",
    )
    edit.add_argument("--list", action="store_true", help="list the available directions and exit")
    edit.add_argument(
        "--box",
        help="the face's crop box X,Y,W,H in photo pixels, framed like the training faces (skips face detection)",
    )
    edit.add_argument("--face-only", action="store_true", help="write only the edited face at the model's size")
    edit.add_argument(
        "--paste",
        choices=["delta", "face"],
        default="delta",
        help="delta: add only the edit's change to the photo (keeps detail); face: paste the decoded face",
    )
    _in_place(edit)
    _refine(edit)
    _common(edit)
    edit.set_defaults(func=run)

    interp = subparsers.add_parser(
        "interpolate",
        help="morph between the faces of two photos",
        description="Decode faces along the straight line between two photos' codes.",
    )
    interp.add_argument("a", type=Path, help="first photo")
    interp.add_argument("b", type=Path, help="second photo")
    interp.add_argument(
        "output", type=Path, help="strip .png, or a folder (existing, or a path without suffix) for frames"
    )
    interp.add_argument("--steps", type=int, default=8, help="number of faces, both ends included (2-256, default 8)")
    interp.add_argument(
        "--scale", type=int, default=2, help=f"upscale each face by this factor (1-{MAX_SCALE}, default 2)"
    )
    _in_place(interp)
    _refine(interp)
    _common(interp)
    interp.set_defaults(func=run_interpolate)

    define = subparsers.add_parser(
        "define-direction",
        help="make a new edit direction from two folders of pictures",
        description="Compute a direction from pictures with a property and pictures without it; "
        "it is saved with your directions and appears in `edit --list`.",
    )
    define.add_argument("name", help="the new direction's name (letters, digits, - and _)")
    define.add_argument("--with", dest="folder_with", type=Path, required=True, help="pictures that have the property")
    define.add_argument("--without", dest="folder_without", type=Path, required=True, help="pictures that do not")
    _common(define)
    define.set_defaults(func=run_define)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")


def _refine(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--refine-steps",
        type=int,
        default=None,
        metavar="N",
        help="optimiser steps fitting each face to its photo (0-500; default 40, ~1-2 s on a CPU; "
        "0 keeps the encoder's faster, less faithful guess)",
    )


def _in_place(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--in-place", action="store_true", help="allow OUTPUT to be an input file (replaced atomically)"
    )


def parse_box(text: str | None) -> tuple[float, float, float, float] | None:
    """'X,Y,W,H' -> the four numbers (finite, width and height above 1), or None for no box."""
    if text is None:
        return None
    try:
        x, y, w, h = (float(v) for v in text.split(","))
    except ValueError:
        raise LatentStudioError(f"--box '{text}' is not X,Y,W,H in pixels (e.g. --box 120,80,200,200).") from None
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise LatentStudioError(f"--box '{text}' must be four finite numbers X,Y,W,H in pixels.")
    if w <= 1 or h <= 1:
        raise LatentStudioError(f"--box '{text}' needs a width and height above 1 pixel.")
    return x, y, w, h


def box_in_picture(text: str, rect: tuple[float, float, float, float], width: int, height: int):
    """The square Box centred on `rect` (side = its longer side), if the rectangle overlaps the picture and is
    at most twice the picture's longer side (parts past the edges are edge-padded, so the cost stays bounded)."""
    from latent_studio.app.core.faces import Box

    x, y, w, h = rect
    limit = 2 * max(width, height)
    if x >= width or y >= height or x + w <= 0 or y + h <= 0 or max(w, h) > limit:
        raise LatentStudioError(
            f"--box '{text}' must overlap the {width} x {height} picture and be at most {limit} pixels wide and high."
        )
    return Box.around(x + w / 2, y + h / 2, max(w, h))


def check_refine_steps(args: argparse.Namespace) -> int | None:
    """--refine-steps, checked (0-MAX_REFINE_STEPS) before any picture or model is loaded; None: the default."""
    steps = getattr(args, "refine_steps", None)
    if steps is not None and not 0 <= steps <= MAX_REFINE_STEPS:
        raise LatentStudioError(f"--refine-steps must be from 0 to {MAX_REFINE_STEPS}, not {steps}.")
    return steps


def _editor(args: argparse.Namespace):
    from latent_studio.app.core.device import ComputeSettings, configure_torch_threads
    from latent_studio.app.core.latent import LatentEditor

    steps = check_refine_steps(args)
    configure_torch_threads()
    editor = LatentEditor.load(ComputeSettings(device=args.device))
    if steps is not None:
        editor.refine_steps = steps
    return editor


def run(args: argparse.Namespace) -> int:
    from latent_studio.app.core.outputs import check_output_file

    if args.list:
        editor = _editor(args)
        for name, kind, text, sigma in zip(
            editor.directions.names,
            editor.directions.kinds,
            editor.directions.descriptions,
            editor.directions.sigmas.tolist(),
            strict=True,
        ):
            print(f"{name:12s} {kind:9s} sigma={sigma:.3f}  {text}")
        return 0
    if args.input is None or args.output is None:
        raise LatentStudioError("edit needs an input and an output file (or --list).")
    # 1. everything the user typed, before any picture or model is loaded (the output before torch is imported)
    check_output_file(args.output, [args.input], args.in_place)
    check_refine_steps(args)
    rect = parse_box(args.box)
    from latent_studio.app.core.imageio import load_image, save_image
    from latent_studio.app.core.latent import parse_sliders

    sliders = parse_sliders(args.attr)
    # 2. the picture (the box must overlap it), then the model (the slider names must exist)
    picture = load_image(args.input)
    box = box_in_picture(args.box, rect, picture.width, picture.height) if rect is not None else None
    editor = _editor(args)
    # 3. the one face-edit flow (app.core.face_edit), shared with batch edit and the Latent panel
    from latent_studio.app.core.face_edit import edit_picture

    edit = edit_picture(editor, picture, sliders, box, args.paste, exact_box=True)
    print(f"{args.input}: {edit.note}", file=sys.stderr)
    if args.face_only:
        from latent_studio.app.core.imageio import Picture

        save_image(Picture(edit.face, is_gray=picture.is_gray), args.output)
        return 0
    save_image(edit.picture, args.output)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    from latent_studio.app.core.latent import check_steps
    from latent_studio.app.core.outputs import check_output_file, check_output_folder

    # 1. the numbers, then the output (a folder of that many frames), before any picture or model is loaded
    check_steps(args.steps)
    check_refine_steps(args)
    if not 1 <= args.scale <= MAX_SCALE:
        raise LatentStudioError(f"--scale must be from 1 to {MAX_SCALE}, not {args.scale}.")
    frames = args.output.is_dir() or not args.output.suffix
    if frames:
        names = [f"frame_{i:03d}.png" for i in range(args.steps)]
        check_output_folder(args.output, names, [args.a, args.b], args.in_place)
    else:
        check_output_file(args.output, [args.a, args.b], args.in_place)
    import numpy as np

    from latent_studio.app.core.imageio import Picture, load_image, save_image

    editor = _editor(args)
    side = editor.size * args.scale
    if args.steps * side * side > MAX_STRIP_PIXELS:
        megapixels = args.steps * side * side / 1e6
        raise LatentStudioError(
            f"{args.steps} faces of {side} x {side} pixels are {megapixels:.0f} megapixels; "
            f"the limit is {MAX_STRIP_PIXELS / 1e6:.0f} (use fewer --steps or a smaller --scale)."
        )
    # 2. encode both ends, decode the line between them
    ends = []
    for path in (args.a, args.b):
        encoded = editor.encode(load_image(path).pixels)
        print(f"{path}: {encoded.crop.note}", file=sys.stderr)
        ends.append(encoded.code)
    faces = editor.decode(editor.interpolate(ends[0], ends[1], args.steps))
    faces = faces.repeat(args.scale, axis=1).repeat(args.scale, axis=2)
    if frames:
        args.output.mkdir(parents=True, exist_ok=True)
        for i, face in enumerate(faces):
            save_image(Picture(np.ascontiguousarray(face)), args.output / f"frame_{i:03d}.png")
        print(f"wrote {len(faces)} frames to {args.output}", file=sys.stderr)
    else:
        save_image(Picture(np.ascontiguousarray(np.concatenate(list(faces), axis=1))), args.output)
    return 0


def run_define(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from latent_studio.app.core.jobs import Progress

    editor = _editor(args)
    editor.check_new_name(args.name)  # before the progress bar starts
    with tqdm(total=100, unit="%", file=sys.stderr, leave=False, disable=not sys.stderr.isatty()) as bar:

        def callback(fraction: float, message: str = "") -> None:
            value = int(fraction * 100)
            if value != bar.n:
                bar.update(value - bar.n)

        directions = editor.define_direction(args.name, args.folder_with, args.folder_without, Progress(callback))
    i = directions.index(args.name)
    saved = editor.user_dir / (args.name + ".safetensors")
    print(
        f"direction '{args.name}' (sigma {float(directions.sigmas[i]):.3f}) saved to {saved}; "
        f"use it with: latent-studio edit IN OUT --attr {args.name}=+1"
    )
    return 0
