"""CLI sub-commands, one module each. A module defines `add_parser(subparsers)`, which registers its
sub-command and sets `func=run`, and `run(args) -> int` (the exit code). No module here imports Qt.
"""

#: Modules whose sub-commands `latent-studio` offers, in --help order.
COMMAND_MODULES = (
    "latent_studio.app.commands.gui",
    "latent_studio.app.commands.info",
    "latent_studio.app.commands.colorize",
    "latent_studio.app.commands.sketch",
    "latent_studio.app.commands.edit",
    "latent_studio.app.commands.batch",
    "latent_studio.app.commands.desktop",
)
