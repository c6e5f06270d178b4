"""Autosave and crash recovery (issue #12): a crash or kill -9 never loses the open document's work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from latent_studio.app.core.imageio import Picture, load_image
from latent_studio.app.core.recovery import RecoveryError, autosave_dir, read_autosave, write_autosave
from tests.conftest import running_window

ROOT = Path(__file__).resolve().parents[1]
YES, NO = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


@pytest.fixture
def questions(monkeypatch):
    """Record QMessageBox.question texts; answer from `answers` (No when empty)."""
    record = {"asked": [], "answers": []}

    def question(parent, title, text, *args, **kwargs):
        record["asked"].append(text)
        return record["answers"].pop(0) if record["answers"] else NO

    monkeypatch.setattr(QMessageBox, "question", question)
    return record


def edited(picture: Picture) -> Picture:
    return picture.with_pixels(np.ascontiguousarray(255 - picture.pixels))


def open_and_edit(window, path: Path) -> None:
    window.document.load(load_image(path), path)
    window.document.apply(edited(window.document.picture), "Invert")


def write_now(qtbot, window) -> Path:
    with qtbot.waitSignal(window.autosave.written, timeout=5000):
        assert window.autosave.save_if_needed() is not None
    return window.autosave.path


def test_format_round_trip_keeps_16bit_alpha_and_metadata(tmp_path):
    rng = np.random.default_rng(1)
    picture = Picture(
        rng.integers(0, 65536, (5, 7, 4), dtype=np.uint16),
        source_mode="RGBA;16",
        source_format="PNG",
        exif=b"Exif\0\0xyz",
        icc_profile=b"icc-bytes",
    )
    original = Picture(rng.integers(0, 256, (5, 7, 3), dtype=np.uint8), is_gray=True, source_mode="L")
    path = write_autosave(tmp_path / "a.npz", picture, original, tmp_path / "photo.tif")
    back = read_autosave(path)
    assert np.array_equal(back.picture.pixels, picture.pixels)
    assert back.picture.pixels.dtype == np.uint16 and np.array_equal(back.original.pixels, original.pixels)
    kept = (back.picture.exif, back.picture.icc_profile, back.picture.source_mode)
    assert kept == (b"Exif\0\0xyz", b"icc-bytes", "RGBA;16")
    assert back.original.is_gray and back.original.exif is None
    assert back.source_path == tmp_path / "photo.tif"
    assert [item.name for item in tmp_path.iterdir()] == ["a.npz"]  # no temporary file left


def test_a_failed_write_keeps_the_previous_autosave_whole(tmp_path, monkeypatch):
    picture = Picture(np.zeros((2, 2, 3), np.uint8))
    path = write_autosave(tmp_path / "a.npz", picture, picture, None)
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError):
        write_autosave(path, edited(picture), picture, None)
    assert path.read_bytes() == before
    assert [item.name for item in tmp_path.iterdir()] == ["a.npz"]


def test_a_damaged_autosave_is_a_clear_error(tmp_path):
    path = tmp_path / "autosave-1-bad.npz"
    path.write_bytes(b"PK\x03\x04 half a zip")
    with pytest.raises(RecoveryError) as caught:
        read_autosave(path)
    assert str(caught.value) == (
        "The autosave autosave-1-bad.npz is damaged and cannot be restored (it is truncated or not an autosave file)."
    )


def test_autosave_is_written_only_while_dirty_and_removed_once_saved(qtbot, monkeypatch, tiny_rgb, tmp_path):
    source = tiny_rgb()
    with running_window(qtbot, monkeypatch) as window:
        assert str(window.autosave.folder).startswith(str(tmp_path))  # never the real profile
        window.document.load(load_image(source), source)
        assert window.autosave.save_if_needed() is None  # nothing unsaved: nothing written
        window.document.apply(edited(window.document.picture), "Invert")
        path = write_now(qtbot, window)
        back = read_autosave(path)
        assert np.array_equal(back.picture.pixels, window.document.picture.pixels)
        assert np.array_equal(back.original.pixels, load_image(source).pixels)
        assert back.source_path == source
        assert window.autosave.save_if_needed() is None  # unchanged since the last write
        window.files.save_now()  # a save leaves nothing to recover
        qtbot.waitUntil(lambda: not path.exists(), timeout=5000)


def test_the_timer_writes_every_interval(qtbot, monkeypatch, tiny_rgb):
    with running_window(qtbot, monkeypatch) as window:
        open_and_edit(window, tiny_rgb())
        with qtbot.waitSignal(window.autosave.written, timeout=5000):
            window.autosave.timer.setInterval(20)
        assert window.autosave.path.exists()


def test_a_clean_close_removes_the_autosave_and_its_lock(qtbot, monkeypatch, questions, tiny_rgb):
    with running_window(qtbot, monkeypatch) as window:
        open_and_edit(window, tiny_rgb())
        path = write_now(qtbot, window)
        questions["answers"] = [QMessageBox.StandardButton.Discard]  # "Unsaved changes. Save them first?"
        assert window.close()
    assert questions["asked"] and not path.exists() and not path.with_suffix(".lock").exists()


def test_a_running_session_is_not_offered_to_another_window(qtbot, monkeypatch, questions, tiny_rgb):
    with running_window(qtbot, monkeypatch) as first:
        open_and_edit(first, tiny_rgb())
        write_now(qtbot, first)
        with running_window(qtbot, monkeypatch) as second:
            assert second.autosave.leftovers() == []
            assert not second.autosave.offer_restore() and questions["asked"] == []


CRASHING_EDITOR = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from PySide6.QtWidgets import QApplication
    from latent_studio.app.core.imageio import load_image
    from latent_studio.app.gui.main_window import MainWindow

    app = QApplication([])
    window = MainWindow(device_override="cpu")
    picture = load_image(sys.argv[1])
    window.document.load(picture, sys.argv[1])
    window.document.apply(picture.with_pixels(np.ascontiguousarray(255 - picture.pixels)), "Invert")
    window.autosave.save_if_needed().result()
    print("autosaved", flush=True)
    time.sleep(120)
    """
)


def test_work_killed_with_sigkill_is_offered_and_restored_unsaved(qtbot, monkeypatch, questions, tiny_rgb, tmp_path):
    source = tiny_rgb(width=9, height=7)
    source_bytes = source.read_bytes()
    script = tmp_path / "crash.py"
    script.write_text(CRASHING_EDITOR)
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    child = subprocess.Popen([sys.executable, str(script), str(source)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "autosaved"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    [left] = list(autosave_dir().glob("autosave-*.npz"))
    assert left.with_suffix(".lock").exists()  # the lock of a dead process stays behind: it must not matter

    questions["answers"] = [YES]
    with running_window(qtbot, monkeypatch) as window:
        assert window.autosave.offer_restore()
        assert len(questions["asked"]) == 1 and source.name in questions["asked"][0]
        document = window.document
        assert np.array_equal(document.picture.pixels, 255 - load_image(source).pixels)
        assert np.array_equal(document.original.pixels, load_image(source).pixels)
        assert document.is_dirty and document.path is None and document.suggested_path == source
        assert document.display_name == f"{source.name} (recovered)"
        asked = {}

        def cancelled_dialog(parent, caption, suggested, *args):
            asked["path"] = suggested
            return "", ""

        monkeypatch.setattr(QFileDialog, "getSaveFileName", cancelled_dialog)
        assert window.files.save() is None  # Save asks for a name (cancelled here): it never writes silently
        assert asked["path"] == str(source)
        assert list(autosave_dir().glob("autosave-*.npz")) == [window.autosave.path]  # adopted by this session
        document.history.undo()
        assert np.array_equal(document.picture.pixels, load_image(source).pixels) and document.is_dirty
    assert source.read_bytes() == source_bytes
    assert list(autosave_dir().glob("autosave-*")) == []


def test_declining_the_offer_discards_the_autosave(qtbot, monkeypatch, questions):
    picture = Picture(np.full((4, 5, 3), 7, np.uint8))
    left = write_autosave(autosave_dir() / "autosave-99-dead.npz", edited(picture), picture, None)
    with running_window(qtbot, monkeypatch) as window:
        assert not window.autosave.offer_restore()
        assert "an untitled picture" in questions["asked"][0]
        assert not left.exists() and not window.document.is_open
        assert not window.autosave.offer_restore() and len(questions["asked"]) == 1  # asked once only


def test_a_damaged_autosave_is_reported_and_set_aside(qtbot, monkeypatch, questions):
    folder = autosave_dir()
    folder.mkdir(parents=True)
    (folder / "autosave-5-bad.npz").write_bytes(b"not a zip")
    with running_window(qtbot, monkeypatch) as window:
        errors = []
        monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: errors.append(text))
        assert not window.autosave.offer_restore()
    assert errors == [
        f"The autosave autosave-5-bad.npz is damaged and cannot be restored (it is truncated or not "
        f"an autosave file). It was kept as {folder / 'autosave-5-bad.damaged'}."
    ]
    assert questions["asked"] == [] and (folder / "autosave-5-bad.damaged").exists()


def test_leftovers_of_dead_sessions_are_swept_but_a_live_one_is_kept(qtbot, monkeypatch, questions, tiny_rgb):
    folder = autosave_dir()
    folder.mkdir(parents=True)
    dead_lock = (
        "from PySide6.QtCore import QLockFile; import os, sys; held = QLockFile(sys.argv[1]); held.lock(); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", dead_lock, str(folder / "autosave-7-gone.lock")], check=True, timeout=60)
    assert (folder / "autosave-7-gone.lock").exists()  # the lock of a session that died without a file
    (folder / ".autosave-7-gone.npz.x1y2.part").write_bytes(b"half")  # its write, cut short
    with running_window(qtbot, monkeypatch) as live:
        open_and_edit(live, tiny_rgb())
        path = write_now(qtbot, live)
        with running_window(qtbot, monkeypatch) as window:
            assert window.autosave.leftovers() == []
        assert sorted(item.name for item in folder.iterdir()) == sorted([path.name, path.with_suffix(".lock").name])


def test_an_unusable_data_folder_turns_autosave_off_with_one_line(qtbot, monkeypatch, tiny_rgb, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("LATENT_STUDIO_DATA", str(blocker))
    with running_window(qtbot, monkeypatch) as window:
        open_and_edit(window, tiny_rgb())
        assert window.autosave.save_if_needed() is None
        expected = f"Autosave is off: cannot create {blocker / 'autosave'} (Not a directory)."
        assert window.status.currentMessage() == expected


def test_a_failed_write_is_reported_and_retried(qtbot, monkeypatch, tiny_rgb):
    import latent_studio.app.gui.autosave as autosave

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    with running_window(qtbot, monkeypatch) as window:
        open_and_edit(window, tiny_rgb())
        monkeypatch.setattr(autosave, "write_autosave", full_disk)
        with qtbot.waitSignal(window.autosave.failed, timeout=5000):
            window.autosave.save_if_needed()
        qtbot.waitUntil(lambda: window.status.currentMessage().startswith("Autosave failed"), timeout=5000)
        assert window.status.currentMessage() == (
            f"Autosave failed: cannot write {window.autosave.path} (No space left on device)."
        )
        monkeypatch.undo()  # the disk has room again: the next tick writes
        monkeypatch.setenv("LATENT_STUDIO_DATA", str(window.autosave.folder.parent))
        write_now(qtbot, window)
        assert read_autosave(window.autosave.path).source_path == window.document.path


def test_the_editor_offers_the_autosave_when_it_starts(qtbot, monkeypatch, questions):
    from PySide6.QtWidgets import QApplication

    import latent_studio.app.gui.application as application
    from latent_studio.app.gui.main_window import MainWindow

    picture = Picture(np.full((4, 5, 3), 9, np.uint8))
    write_autosave(autosave_dir() / "autosave-98-dead.npz", edited(picture), picture, None)
    questions["answers"] = [YES]
    windows = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: pytest.fail(text))
    monkeypatch.setattr(application, "_install_exception_hook", windows.append)  # keep pytest's excepthook
    monkeypatch.setattr(MainWindow, "start_device_probe", lambda self: None)
    monkeypatch.setattr(QApplication, "exec", lambda self: qtbot.waitUntil(lambda: bool(questions["asked"])) or 0)
    assert application.run_gui([]) == 0
    [window] = windows
    try:
        assert window.document.is_dirty and np.array_equal(window.document.picture.pixels, 255 - picture.pixels)
    finally:
        window.document.history.set_clean()
        window.close()
        window.deleteLater()
