"""The exit codes of `latent-studio`, shared by the entry point (app/cli.py) and the sub-commands.

0 success, 1 the work ran but some item failed (e.g. a batch with bad files), 2 bad usage or an input/setup
error the user must fix, 130 interrupted. They live here, not in app/cli.py, so a command never imports the
entry point that imports it.
"""

EXIT_OK = 0
EXIT_ITEMS_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
