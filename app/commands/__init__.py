"""CLI sub-commands, one module each. A module defines `add_parser(subparsers)`, which registers its
sub-command and sets `func=run`, and `run(args) -> int` (the exit code). No module here imports Qt.
"""

#: Modules whose sub-commands `latent-studio` offers, in --help order.
COMMAND_MODULES = (
    "app.commands.gui",
    "app.commands.info",
    "app.commands.colorize",
    "app.commands.sketch",
    "app.commands.edit",
    "app.commands.batch",
)
