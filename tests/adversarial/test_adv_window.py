"""Bad input around the window's safety nets: odd environments for the xcb check, vanished folders for dialogs."""

from __future__ import annotations

import os

import pytest

from latent_studio.app.gui.xcb_check import check


@pytest.mark.parametrize(
    "environ",
    [
        {"DISPLAY": "   "},  # blank: no X display
        {"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"},
        {"DISPLAY": ":0", "QT_QPA_PLATFORM": " offscreen "},
    ],
)
def test_xcb_check_stays_quiet_where_xcb_is_not_used(environ):
    assert check(environ, lambda name: None, "linux", has_apt=True) is None


def test_xcb_check_survives_a_finder_that_finds_nothing_at_all():
    line = check({"DISPLAY": ":0"}, lambda name: "", "linux", has_apt=True)  # "" counts as missing
    assert line is not None and line.count("sudo apt-get install -y ") == 1 and "\n" not in line


def test_a_dialog_never_starts_in_a_vanished_folder_or_in_the_working_directory(tmp_path, monkeypatch):
    from latent_studio.app.gui.files import dialog_folder, remember_folder
    from latent_studio.app.gui.preferences import Preferences

    preferences = Preferences()
    gone = tmp_path / "gone"
    gone.mkdir()
    (tmp_path / "a-file.png").write_bytes(b"x")
    remember_folder(preferences, gone / "photo.png")
    assert dialog_folder(preferences) == str(gone)
    gone.rmdir()
    monkeypatch.chdir(tmp_path)
    home = os.path.expanduser("~")
    assert dialog_folder(preferences) == home  # the folder was deleted since: home, not the working directory
    preferences.last_directory = str(tmp_path / "a-file.png")  # a file, not a folder
    assert dialog_folder(preferences) == home
    assert dialog_folder(preferences, current="  ") == home
    assert dialog_folder(preferences, current=str(tmp_path)) == str(tmp_path)  # a field's existing folder wins
    preferences.last_directory = "\x00bad"
    assert dialog_folder(preferences) == home
