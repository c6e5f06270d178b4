"""`latent-studio colorize IN OUT [--size N] [--hint x,y,#rrggbb ...] [--scribble x1,y1;x2,y2;...,#rrggbb ...]
[--vividness V] [--device ...]`: one picture."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace

from latent_studio.models.errors import LatentStudioError

_HINT = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*,\s*(\d+(?:\.\d*)?)\s*,\s*#?([0-9a-fA-F]{6})\s*$")
_POINT = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*,\s*(\d+(?:\.\d*)?)\s*$")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "colorize",
        help="colorize a gray picture (colour pictures are reduced to gray first)",
        description="Colorize a picture at full resolution, automatically or guided by colour hints.",
    )
    parser.add_argument("input", help="picture to colorize")
    parser.add_argument("output", help="where to write the result (.png, .jpg, .webp, .tif)")
    parser.add_argument("--size", type=int, default=256, help="working size of the network, short side (256 or 512)")
    parser.add_argument(
        "--hint",
        action="append",
        default=[],
        metavar="X,Y,#RRGGBB",
        help="a colour hint at pixel X,Y of the input (repeatable), e.g. --hint 120,80,#3a7bd5",
    )
    parser.add_argument(
        "--scribble",
        action="append",
        default=[],
        metavar="X1,Y1;X2,Y2;...,#RRGGBB",
        help="a scribble hint: one colour along a polyline of 2 or more points (repeatable), "
        "e.g. --scribble '10,20;60,25;90,40,#3a7bd5'",
    )
    parser.add_argument(
        "--vividness",
        type=float,
        default=0.0,
        metavar="V",
        help=(
            "0 (default): natural, the most accurate colours; "
            "up to 1: close to real photos' colourfulness, more wrong guesses"
        ),
    )
    parser.add_argument(
        "--reference",
        metavar="PHOTO",
        help="a colour photo to take the colours from, matched by content (hints still apply on top)",
    )
    parser.add_argument(
        "--model",
        default="colorizer",
        metavar="NAME",
        help="the shipped colorizer (default) or one of your own (latent-studio train --list)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    parser.add_argument("--full-precision", action="store_true", help="no fp16 on the GPU")
    parser.add_argument(
        "--in-place", action="store_true", help="allow OUTPUT to be the input file (replaced atomically)"
    )
    parser.set_defaults(func=run)


def parse_hint(text: str):
    """'x,y,#rrggbb' -> Hint, or a LatentStudioError explaining the expected form."""
    from latent_studio.app.core.colorize import Hint

    match = _HINT.match(text)
    if match is None:
        raise LatentStudioError(f"The hint '{text}' is not of the form X,Y,#RRGGBB (for example 120,80,#3a7bd5).")
    x, y, colour = float(match.group(1)), float(match.group(2)), match.group(3)
    return Hint(x, y, (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)))


def parse_scribble(text: str):
    """'x1,y1;x2,y2;...,#rrggbb' -> Hint along that polyline, or a LatentStudioError explaining the form."""
    from latent_studio.app.core.colorize import Hint
    from latent_studio.app.core.colorize_flow import MAX_SCRIBBLE_POINTS

    *points, last = text.split(";")
    match = _HINT.match(last)
    pairs = [pair for pair in (_POINT.match(point) for point in points) if pair is not None]
    if match is None or not points or len(pairs) < len(points) or len(points) + 1 > MAX_SCRIBBLE_POINTS:
        raise LatentStudioError(
            f"The scribble '{text}' is not of the form X1,Y1;X2,Y2;...,#RRGGBB "
            f"(2 to {MAX_SCRIBBLE_POINTS} points, for example 10,20;60,25,#3a7bd5)."
        )
    path = (*((float(p.group(1)), float(p.group(2))) for p in pairs), (float(match.group(1)), float(match.group(2))))
    colour = match.group(3)
    return Hint(path[0][0], path[0][1], (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)), path)


def check_model(name: str) -> None:
    """A `--model` that is neither the shipped colorizer nor one of the user's models: one line, before any work."""
    if name != "colorizer":
        from latent_studio.app.core import user_models

        user_models.entry(name)


def run(args: argparse.Namespace) -> int:
    from latent_studio.app.core.outputs import check_output_file

    check_output_file(args.output, [args.input], args.in_place)  # first: before torch is even imported
    from latent_studio.app.core.colorize_flow import ColorizeOptions, check_options, load_reference, run_one
    from latent_studio.app.core.device import ComputeSettings, configure_torch_threads
    from latent_studio.app.core.imageio import load_image, save_image
    from latent_studio.app.core.jobs import run_sync

    hints = [parse_hint(text) for text in args.hint] + [parse_scribble(text) for text in args.scribble]
    options = ColorizeOptions(args.size, args.vividness, tuple(hints), model_name=args.model)
    check_options(options)  # the one flow's checks, before reading
    check_model(args.model)
    settings = ComputeSettings(device=args.device, half_precision=not args.full_precision)
    configure_torch_threads()
    picture = load_image(args.input)
    if args.reference:
        options = replace(options, reference=load_reference(args.reference))
    result = run_sync(lambda progress: run_one(picture, options, settings, progress))
    save_image(result.picture, args.output)
    if result.note and not getattr(args, "quiet", False):
        print(f"note: {result.note}")
    return 0
