"""`latent-studio sketch`: turn a line drawing into a picture, or a photo into a line drawing.

    latent-studio sketch drawing.png out.png                       (black lines on white -> picture)
    latent-studio sketch drawing.png out.png --colors strokes.png  (plus coarse colour strokes to follow)
    latent-studio sketch --extract photo.jpg drawing.png           (photo -> black lines on white)
    latent-studio sketch drawing.png out.png --model NAME          (your own model: latent-studio train sketch)
    latent-studio sketch face.png out.png --subject face           (the face generator; --extract: its line style)

The colour strokes file is the sketch's size; painted where it is opaque (an RGBA PNG), or, for a file
without alpha, wherever it is not white.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sketch",
        help="sketch -> image (or photo -> sketch with --extract)",
        description="Turn black lines on white into a picture with the project's pix2pix model, optionally "
        "following coarse colour strokes; with --extract, draw a photo's lines instead.",
    )
    parser.add_argument("input", type=Path, help="the sketch (or, with --extract, the photo)")
    parser.add_argument("output", type=Path, help="where to write the result (.png, .jpg, .webp, .tif)")
    parser.add_argument("--colors", type=Path, help="colour strokes: an RGBA image of the sketch's size")
    parser.add_argument("--extract", action="store_true", help="photo -> sketch instead of sketch -> image")
    parser.add_argument(
        "--subject",
        default=None,
        metavar="NAME",
        help="what the drawing shows, each its own model: scene (default: landscapes, animals, buildings), face "
        "(one face filling the paper), clothing (one garment on plain paper); with --extract, that model's line style",
    )
    parser.add_argument(
        "--model",
        metavar="NAME",
        help="your own sketch model (latent-studio train sketch); its subject is the one it was trained for",
    )
    parser.add_argument(
        "--resolution",
        type=int,
        default=None,
        help="short side in pixels the model runs at (default: the subject's own, 256 for scene, 128 for face, "
        "144 for clothing; 0 = the sketch's own size)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    parser.add_argument(
        "--in-place", action="store_true", help="allow OUTPUT to be an input file (replaced atomically)"
    )
    parser.set_defaults(func=run)


def strokes_layer(pixels: np.ndarray) -> np.ndarray:
    """A colour-strokes image as RGBA: kept as is with alpha; without alpha, white (>= 250) is unpainted."""
    from latent_studio.app.core.imageio import to_uint8

    pixels = to_uint8(pixels)
    if pixels.shape[2] == 4:
        return pixels
    painted = (pixels.min(axis=2) < 250).astype(np.uint8) * 255
    return np.concatenate([pixels, painted[..., None]], axis=2)


def run(args: argparse.Namespace) -> int:
    from latent_studio.app.core.outputs import check_output_file

    check_output_file(args.output, [args.input, args.colors], args.in_place)  # first: before torch is even imported
    from tqdm import tqdm

    from latent_studio.app.core.device import ComputeSettings
    from latent_studio.app.core.imageio import load_image, save_image
    from latent_studio.app.core.jobs import run_sync
    from latent_studio.app.core.sketch import photo_to_sketch
    from latent_studio.app.core.sketch_flow import (
        DEFAULT_SUBJECT,
        SketchOptions,
        check_options,
        run_one,
        user_model_options,
    )
    from latent_studio.models.errors import LatentStudioError

    if args.model:  # the user's fine-tuned model: its subject from its record (another --subject: one line)
        options = user_model_options(args.model, args.subject, args.resolution)
    else:
        options = SketchOptions(args.resolution, args.subject or DEFAULT_SUBJECT)
    check_options(options, "--resolution")  # the one flow's checks (batch sketch makes the same), the subject too
    if args.extract and args.colors:
        raise LatentStudioError("--colors only applies to sketch -> image, not to --extract.")
    compute = ComputeSettings(device=args.device)
    picture = load_image(args.input)
    with tqdm(total=100, desc=args.input.name, unit="%", disable=not sys.stderr.isatty(), leave=False) as bar:

        def report(fraction: float, _message: str) -> None:
            bar.n = int(fraction * 100)
            bar.refresh()

        if args.extract:
            lines = run_sync(lambda progress: photo_to_sketch(picture, compute, progress, options.subject), report)
            result = picture.with_pixels(np.repeat(lines[..., None], 3, axis=2), is_gray=True)
        else:
            colours = strokes_layer(load_image(args.colors).pixels) if args.colors else None
            pixels = run_sync(lambda progress: run_one(picture.pixels, colours, options, compute, progress), report)
            result = picture.with_pixels(pixels, is_gray=False)
    save_image(result, args.output)
    return 0
