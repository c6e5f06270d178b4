"""`make run`'s check of the X11 libraries Qt needs, with a fake library finder (nothing here loads Qt)."""

from __future__ import annotations

import subprocess
import sys

from latent_studio.app.gui.xcb_check import REQUIRED_LIBRARIES, check, missing_packages, uses_xcb

X11 = {"DISPLAY": ":0"}


def finder_without(*absent: str):
    return lambda name: None if name in absent else f"lib{name}.so.1"


def test_a_fresh_debian_gets_one_apt_get_line_naming_only_what_is_missing():
    find = finder_without("xcb-cursor", "xcb-icccm", "xcb-keysyms")
    assert missing_packages(find) == ["libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"]
    line = check(X11, find, "linux", has_apt=True)
    assert line == (
        "Qt's X11 platform plugin needs system libraries that are missing; install them with: "
        "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"
    )
    assert "\n" not in line


def test_nothing_is_printed_when_everything_is_there_or_xcb_is_not_used():
    nothing = finder_without(*REQUIRED_LIBRARIES)
    assert check(X11, finder_without(), "linux", has_apt=True) is None
    assert check({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, nothing, "linux") is None  # make test, CI
    assert check({}, nothing, "linux") is None  # no X display (a console, a Wayland-only session)
    assert check(X11, nothing, "darwin") is None
    assert check({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, nothing, "linux", has_apt=True) is not None
    assert uses_xcb({"DISPLAY": ":1", "QT_QPA_PLATFORM": "xcb:nomitshm"}, "linux")


def test_without_apt_the_packages_are_named_instead():
    line = check(X11, finder_without("xkbcommon-x11"), "linux", has_apt=False)
    assert line is not None and "apt-get" not in line and "libxkbcommon-x11-0" in line


def test_the_module_runs_offscreen_without_complaint_and_without_qt():
    code = "import runpy, sys; runpy.run_module('latent_studio.app.gui.xcb_check', run_name='__main__')"
    env = {"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    no_qt = "import latent_studio.app.gui.xcb_check, sys; assert not any(m.startswith('PySide6') for m in sys.modules)"
    assert subprocess.run([sys.executable, "-c", no_qt], capture_output=True, timeout=60).returncode == 0
