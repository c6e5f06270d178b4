"""The headless core: everything the GUI, the CLI and the tests share. Never imports Qt."""
