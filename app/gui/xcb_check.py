"""Before `make run`: are the system libraries Qt's X11 (xcb) platform plugin needs installed?

A fresh Debian/Ubuntu lacks some of them (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, ...), and Qt then
stops with "could not load the Qt platform plugin "xcb"" and a page of diagnostics. This check names the one
command that installs what is missing instead, and exits 1. It runs only where the xcb plugin would be used:
Linux, an X display (DISPLAY), and no QT_QPA_PLATFORM other than xcb (the tests and CI run offscreen).

Plain Python on purpose: it must not import Qt (loading Qt is what fails), so it is a module of its own that
`python -m latent_studio.app.gui.xcb_check` runs.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import sys
from collections.abc import Callable, Mapping

#: Library name (as `ctypes.util.find_library` takes it) -> the Debian/Ubuntu package that ships it: what
#: PySide6's libqxcb.so and libQt6XcbQpa.so.6 link against, and the GL/font libraries QtGui needs on X11.
REQUIRED_LIBRARIES = {
    "xcb": "libxcb1",
    "X11-xcb": "libx11-xcb1",
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-randr": "libxcb-randr0",
    "xcb-render": "libxcb-render0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-shm": "libxcb-shm0",
    "xcb-sync": "libxcb-sync1",
    "xcb-util": "libxcb-util1",
    "xcb-xfixes": "libxcb-xfixes0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon": "libxkbcommon0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "EGL": "libegl1",
    "GL": "libgl1",
    "fontconfig": "libfontconfig1",
}

Finder = Callable[[str], "str | None"]


def uses_xcb(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt would load its xcb plugin here: Linux, an X display, no other platform asked for."""
    override = environ.get("QT_QPA_PLATFORM", "").strip()
    if override and not override.startswith("xcb"):
        return False
    return platform.startswith("linux") and bool(environ.get("DISPLAY", "").strip())


def missing_packages(find: Finder = ctypes.util.find_library) -> list[str]:
    """The packages of the required libraries `find` cannot find, in REQUIRED_LIBRARIES' order."""
    return [package for library, package in REQUIRED_LIBRARIES.items() if not find(library)]


def install_line(packages: list[str], has_apt: bool) -> str:
    """The one line to print: the exact apt-get command, or the library packages by name elsewhere."""
    if has_apt:
        return (
            "Qt's X11 platform plugin needs system libraries that are missing; install them with: "
            f"sudo apt-get install -y {' '.join(packages)}"
        )
    return (
        "Qt's X11 platform plugin needs system libraries that are missing (Debian/Ubuntu package names: "
        f"{', '.join(packages)}); install them with your system's package manager"
    )


def check(
    environ: Mapping[str, str],
    find: Finder = ctypes.util.find_library,
    platform: str = sys.platform,
    has_apt: bool | None = None,
) -> str | None:
    """The line to print when the editor could not start on this X display; None when it can (or needn't)."""
    if not uses_xcb(environ, platform):
        return None
    packages = missing_packages(find)
    if not packages:
        return None
    return install_line(packages, shutil.which("apt-get") is not None if has_apt is None else has_apt)


def main() -> int:
    problem = check(os.environ)
    if problem is None:
        return 0
    print(problem, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
