"""`latent-studio info`: versions, the device that would be used, and the shipped models."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show versions, the compute device and the shipped models")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    parser.add_argument("--verify", action="store_true", help="also check every weights file's sha256")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0, or with --verify 2 when any weights file is bad: every file is checked and each bad one named."""
    import sys

    import torch

    from latent_studio.app import __version__
    from latent_studio.app.commands.exit_codes import EXIT_USAGE
    from latent_studio.app.core.device import ComputeSettings
    from latent_studio.models.manifest import read_manifest
    from latent_studio.models.registry import default_registry

    settings = ComputeSettings(device=args.device)
    print(f"Latent Studio {__version__}, torch {torch.__version__}")
    print(f"device: {settings.describe()}")
    registry = default_registry()
    files = read_manifest(registry.folder)["files"]
    print(f"weights: {registry.folder} ({len(files)} files)")
    errors = registry.verify_all() if args.verify else {}
    for name, entry in sorted(files.items()):
        line = f"  {name}: {entry.get('parameters', 0) / 1e6:.2f} M parameters, {entry.get('bytes', 0) / 2**20:.1f} MiB"
        if args.verify:
            line += ", FAILED" if errors.get(name) else ", sha256 ok"
        print(line)
    bad = [error for error in errors.values() if error is not None]
    for error in bad:
        print(f"latent-studio: error: {error}", file=sys.stderr)
    return EXIT_USAGE if bad else 0
