"""`latent-studio`: the command-line entry point (also `python -m latent_studio.app`).

With no sub-command it starts the GUI. Exit codes (app/commands/exit_codes.py): 0 success, 1 the work ran but
some item failed (e.g. a batch with bad files), 2 bad usage or an input/setup error the user must fix, 130
interrupted.
Errors are printed as one line for the user (the full traceback only with --debug).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from latent_studio.app import __version__
from latent_studio.app.commands import batch, colorize, desktop, edit, gui, info, sketch, train
from latent_studio.app.commands.exit_codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from latent_studio.models.errors import LatentStudioError

#: The sub-commands `latent-studio` offers, in --help order, each imported explicitly (a renamed or missing
#: module fails at import, loudly). None imports Qt at import time: `gui` imports it only when it runs.
COMMANDS = (gui, info, colorize, sketch, edit, batch, train, desktop)

log = logging.getLogger("latent_studio")


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse's own refusals (`--steps 1e9`, a missing argument) as one line with exit code 2, like every other
    error, instead of the usage block; the sub-command parsers are of this class too."""

    command_names: frozenset[str] = frozenset()  # the sub-commands, filled in by build_parser

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help).\n")


def build_parser() -> OneLineErrorParser:
    parser = OneLineErrorParser(
        prog="latent-studio",
        description="Latent Studio: colorize, sketch-to-image and latent editing with the project's own models.",
        epilog="Run without a sub-command to open the editor window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    parser.command_names = frozenset(subparsers.choices or ())
    return parser


def setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_default_to_gui(parser, argv))
    setup_logging(args.verbose, args.quiet)
    if args.command is None:  # no sub-command: open the window
        args.func, args.files, args.device = gui.run, [], None
    try:
        return int(args.func(args) or EXIT_OK)
    except LatentStudioError as error:
        if args.debug:
            raise
        print(f"latent-studio: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("latent-studio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `latent-studio info | head`: the reader left; no traceback, as cat or ls would do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's exit flush must not fail again
        return EXIT_OK


def _default_to_gui(parser: OneLineErrorParser, argv: list[str]) -> list[str]:
    """`latent-studio photo.jpg` means `latent-studio gui photo.jpg`: insert the command before the first file."""
    for index, arg in enumerate(argv):
        if not arg.startswith("-"):
            return argv if arg in parser.command_names else [*argv[:index], "gui", *argv[index:]]
    return argv


if __name__ == "__main__":
    sys.exit(main())
