"""`latent-studio install-desktop-entry`: put Latent Studio into the desktop's application menu.

Writes the shipped `latent-studio.desktop` and icon into the user's XDG data folder (freedesktop menu
and icon-theme specifications), with `Exec` pointing at the `latent-studio` that runs this command, so a
pipx or venv install that is not on the menu's PATH still starts. `--uninstall` removes both files.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from latent_studio import package_folder

DESKTOP_FILE = "latent-studio.desktop"
ICON_FILE = "latent-studio.svg"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("install-desktop-entry", help="add Latent Studio to the desktop's application menu")
    parser.add_argument("--uninstall", action="store_true", help="remove the menu entry and icon again")
    parser.set_defaults(func=run)


def data_home() -> Path:
    """$XDG_DATA_HOME, else ~/.local/share (the freedesktop default)."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def targets(home: Path) -> tuple[Path, Path]:
    """Where the menu entry and the scalable icon go."""
    return home / "applications" / DESKTOP_FILE, home / "icons" / "hicolor" / "scalable" / "apps" / ICON_FILE


def desktop_entry(executable: str) -> str:
    """The shipped entry with `Exec` naming this installation's launcher."""
    text = (package_folder("resources") / DESKTOP_FILE).read_text()
    return text.replace("Exec=latent-studio ", f"Exec={_quoted(executable)} ", 1)


def run(args: argparse.Namespace) -> int:
    entry_path, icon_path = targets(data_home())
    if args.uninstall:
        for path in (entry_path, icon_path):
            path.unlink(missing_ok=True)
        print(f"Removed {entry_path} and {icon_path}")
        return 0
    launcher = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "latent-studio" else "latent-studio"
    for path, content in (
        (entry_path, desktop_entry(str(launcher)).encode()),
        (icon_path, (package_folder("resources") / ICON_FILE).read_bytes()),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_bytes(content)
        os.replace(part, path)
    print(f"Installed {entry_path} and {icon_path}")
    return 0


def _quoted(executable: str) -> str:
    """Exec's quoting rule: an argument with spaces or specials goes in double quotes."""
    if any(char in executable for char in " \t\"'\\$`"):
        escaped = executable.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
        return f'"{escaped}"'
    return executable
