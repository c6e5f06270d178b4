"""CLI sub-commands, one module each. A module defines `add_parser(subparsers)`, which registers its
sub-command and sets `func=run`, and `run(args) -> int` (the exit code, from exit_codes.py). No module here
imports Qt. The entry point (app/cli.py) imports each module explicitly and lists them in --help order.
"""
