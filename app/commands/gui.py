"""`latent-studio gui [FILE]`: open the editor window (the default when no sub-command is given)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gui", help="open the editor window (default)")
    parser.add_argument("files", nargs="*", help="images to open")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N (default: the saved preference)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from latent_studio.app.gui.application import run_gui  # Qt is imported only when the window is wanted

    return run_gui(args.files, device=args.device)
