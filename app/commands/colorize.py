"""`latent-studio colorize IN OUT [--size N] [--hint x,y,#rrggbb ...] [--vividness V] [--device ...]`: one picture."""

from __future__ import annotations

import argparse
import re

from app.core.errors import LatentStudioError

_HINT = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*,\s*(\d+(?:\.\d*)?)\s*,\s*#?([0-9a-fA-F]{6})\s*$")


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
        "--hint", action="append", default=[], metavar="X,Y,#RRGGBB",
        help="a colour hint at pixel X,Y of the input (repeatable), e.g. --hint 120,80,#3a7bd5",
    )
    parser.add_argument(
        "--vividness", type=float, default=0.0, metavar="V",
        help="0 (default): natural, the most accurate colours; up to 1: close to real photos' colourfulness, more wrong guesses",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    parser.add_argument("--full-precision", action="store_true", help="no fp16 on the GPU")
    parser.set_defaults(func=run)


def parse_hint(text: str):
    """'x,y,#rrggbb' -> Hint, or a LatentStudioError explaining the expected form."""
    from app.core.colorize import Hint

    match = _HINT.match(text)
    if match is None:
        raise LatentStudioError(f"The hint '{text}' is not of the form X,Y,#RRGGBB (for example 120,80,#3a7bd5).")
    x, y, colour = float(match.group(1)), float(match.group(2)), match.group(3)
    return Hint(x, y, (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)))


def run(args: argparse.Namespace) -> int:
    from app.core.colorize import check_vividness, colorize
    from app.core.device import ComputeSettings, configure_torch_threads
    from app.core.imageio import load_image, save_image
    from app.core.jobs import run_sync

    hints = [parse_hint(text) for text in args.hint]
    check_vividness(args.vividness)  # before the picture is read
    settings = ComputeSettings(device=args.device, half_precision=not args.full_precision)
    configure_torch_threads()
    picture = load_image(args.input)
    result = run_sync(lambda progress: colorize(picture, hints, args.size, settings, progress, vividness=args.vividness))
    save_image(result.picture, args.output)
    if result.note and not getattr(args, "quiet", False):
        print(f"note: {result.note}")
    return 0
