"""The batch engine against awkward folders and disks: same-stem inputs never share an output, --in-place
really replaces the pictures (once), outputs get cp's permissions, sources deleted or replaced mid-run fail or
are redone (never a traceback, never a stale output trusted), a broken model or output folder is one line and
exit 2 before any item, a FIFO is reported, and a full disk fails items (or the report) without half files."""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.cli import main
from latent_studio.app.core import batch as batch_module
from latent_studio.app.core import imageio
from latent_studio.app.core.batch import DONE_LOG, REPORT, BatchOptions, plan_batch, run_batch
from latent_studio.app.core.batch_tools import BATCH_TOOLS
from latent_studio.app.core.imageio import load_image
from latent_studio.models.errors import LatentStudioError

ROOT = Path(__file__).resolve().parents[2]


class InvertTool:
    name = "invert"

    def __init__(self, during=None) -> None:
        self.during = during  # called with each picture's width while the chunk is processed

    def settings_key(self) -> str:
        return "invert-v1"

    def process(self, pictures, progress):
        for picture in pictures:
            if self.during:
                self.during(picture.width)
        return [p.with_pixels(255 - p.pixels) for p in pictures]


def picture(path: Path, value: int, width: int = 4, **save) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, 4), (value, value, value)).save(path, **save)
    return path


def run(in_dir, out_dir, tool=None, **options):
    tool = tool or InvertTool()
    return list(run_batch(plan_batch(in_dir, out_dir, tool, BatchOptions(**options)), tool))


def pixel(path: Path) -> int:
    return int(load_image(path).pixels[0, 0, 0])


# --- same-stem inputs ------------------------------------------------------------------------------


def test_same_stem_inputs_get_their_own_outputs(tmp_path):
    src = tmp_path / "in"
    picture(src / "a.jpg", 10, quality=100), picture(src / "a.png", 50)
    picture(src / "c.gif", 90), picture(src / "c.png", 130)
    results = run(src, tmp_path / "png", output_format="png")
    assert {(r.source.name, r.output.name, r.status) for r in results} == {
        ("a.jpg", "a.jpg.png", "done"),
        ("a.png", "a.png", "done"),
        ("c.gif", "c.gif.png", "done"),
        ("c.png", "c.png", "done"),
    }
    assert [pixel(tmp_path / "png" / n) for n in ("a.jpg.png", "a.png", "c.gif.png", "c.png")] == [245, 205, 165, 125]
    results = run(src, tmp_path / "same")  # same format: only the GIF's PNG meets an input's name
    assert sorted(r.output.name for r in results) == ["a.jpg", "a.png", "c.gif.png", "c.png"]
    assert all(r.status == "done" for r in results)
    assert all(r.status == "skipped" for r in run(src, tmp_path / "same"))  # and resume knows them


def test_a_name_that_still_collides_is_reported_not_overwritten(tmp_path):
    src = tmp_path / "in"
    picture(src / "a.jpg", 10), picture(src / "a.png", 50), picture(src / "a.jpg.png", 90)
    results = run(src, tmp_path / "out", output_format="png")
    status = {r.source.name: (r.output.name, r.status, r.error) for r in results}
    assert status["a.png"][:2] == ("a.png", "done") and status["a.jpg.png"][:2] == ("a.jpg.png", "done")
    assert status["a.jpg"] == (
        "a.jpg.png",
        "failed",
        "a.jpg was not processed: its output a.jpg.png would also be the output of a.jpg.png; rename one of them.",
    )
    assert pixel(tmp_path / "out" / "a.jpg.png") == 165  # the input a.jpg.png's result, not a.jpg's
    with open(tmp_path / "out" / REPORT) as report:
        rows = list(csv.DictReader(report))
    assert [r["status"] for r in rows if r["source"].endswith("a.jpg")] == ["failed"]


def test_cli_same_stem_inputs_exit_0_with_an_output_each(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(BATCH_TOOLS, "colorize", lambda recipe, settings: InvertTool())  # the real engine, a quick tool
    src = tmp_path / "in"
    picture(src / "a.jpg", 10), picture(src / "a.png", 50)
    assert (
        main(
            [
                "batch",
                "colorize",
                str(src),
                str(tmp_path / "out"),
                "--format",
                "png",
                "--device",
                "cpu",
                "--no-progress",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["a.jpg.png", "a.png"]
    assert "2 done, 0 skipped, 0 failed" in capsys.readouterr().out


# --- in place --------------------------------------------------------------------------------------


def test_in_place_replaces_each_picture_once(tmp_path):
    src = tmp_path / "in"
    picture(src / "a.png", 10), picture(src / "b.PNG", 20), picture(src / "sub" / "c.png", 30)
    picture(src / "d.gif", 40)
    (src / "a.png").chmod(0o640)
    results = run(src, src, allow_in_place=True, recursive=True)
    assert {(r.source.name, r.status) for r in results} == {
        ("a.png", "done"),
        ("b.PNG", "done"),
        ("c.png", "done"),
        ("d.gif", "failed"),
    }
    assert [r.error for r in results if r.status == "failed"] == [
        "d.gif cannot be replaced in place: Latent Studio does not write .gif files; "
        "write the results into another folder instead."
    ]
    assert [pixel(src / n) for n in ("a.png", "b.PNG", "sub/c.png")] == [245, 235, 225]
    assert (src / "a.png").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in src.iterdir()) == [DONE_LOG, "a.png", "b.PNG", "d.gif", REPORT, "sub"]
    again = run(src, src, allow_in_place=True, recursive=True)  # a re-run must not invert the results again
    assert {r.source.name: r.status for r in again} == {
        "a.png": "skipped",
        "b.PNG": "skipped",
        "c.png": "skipped",
        "d.gif": "failed",
    }
    assert pixel(src / "a.png") == 245
    picture(src / "a.png", 100)  # edited by the user afterwards: processed again
    assert {r.source.name: r.status for r in run(src, src, allow_in_place=True)}["a.png"] == "done"
    assert pixel(src / "a.png") == 155


def test_in_place_with_another_format_is_refused(tmp_path):
    picture(tmp_path / "a.png", 10)
    with pytest.raises(LatentStudioError) as raised:
        plan_batch(tmp_path, tmp_path, InvertTool(), BatchOptions(allow_in_place=True, output_format="jpg"))
    assert str(raised.value) == (
        "Writing into the input folder replaces each picture in its own file and format; "
        "the output format must be 'same', not 'jpg'."
    )


def test_cli_in_place_with_format_is_one_line_exit_2(tmp_path, capsys):
    picture(tmp_path / "a.png", 10)
    code = main(["batch", "colorize", str(tmp_path), str(tmp_path), "--in-place", "--format", "png", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "the output format must be 'same', not 'png'" in err
    assert pixel(tmp_path / "a.png") == 10


# --- permissions -----------------------------------------------------------------------------------


def test_outputs_get_the_mode_cp_would_give_them(tmp_path):
    picture(tmp_path / "in" / "a.png", 10)
    old = os.umask(0o022)
    try:
        run(tmp_path / "in", tmp_path / "out")
    finally:
        os.umask(old)
    assert (tmp_path / "out" / "a.png").stat().st_mode & 0o777 == 0o644


# --- sources changing during the batch -------------------------------------------------------------


def test_a_source_deleted_after_it_was_read_fails_nothing_else(tmp_path):
    src = tmp_path / "in"
    paths = {w: picture(src / f"{w}.png", 10, width=w) for w in (4, 5, 6)}
    results = run(
        src, tmp_path / "out", InvertTool(lambda w: paths[w].unlink() if w == 5 else None), batch_size=1, workers=1
    )
    assert sorted((r.source.name, r.status) for r in results) == [
        ("4.png", "done"),
        ("5.png", "done"),
        ("6.png", "done"),
    ]


def test_a_source_deleted_before_it_was_read_fails_only_that_item(tmp_path):
    src = tmp_path / "in"
    for w in (4, 5):
        picture(src / f"{w}.png", 10, width=w)
    plan = plan_batch(src, tmp_path / "out", InvertTool(), BatchOptions())
    (src / "5.png").unlink()
    results = list(run_batch(plan, InvertTool()))
    assert sorted((r.source.name, r.status, r.error) for r in results) == [
        ("4.png", "done", ""),
        ("5.png", "failed", f"{src.resolve() / '5.png'} does not exist."),
    ]


def test_a_source_replaced_during_the_batch_is_redone_next_time(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    source = picture(src / "a.png", 10)

    def replace(width):  # the old picture was read; the user saves a new one (another size) meanwhile
        noisy = np.random.default_rng(0).integers(0, 256, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(noisy).save(src / "new.png")
        (src / "new.png").replace(source)

    assert [r.status for r in run(src, out, InvertTool(replace))] == ["done"]
    assert pixel(out / "a.png") == 245  # the old picture's output...
    record = batch_module.read_done_log(out)["a.png"]
    assert record["size"] != source.stat().st_size  # ...recorded as the old picture's
    assert [r.status for r in run(src, out)] == ["done"]  # so the re-run redoes it
    assert pixel(out / "a.png") == 255 - int(load_image(source).pixels[0, 0, 0])


# --- set-up errors: one line, exit 2, before any item ----------------------------------------------


@pytest.fixture
def corrupt_weights(tmp_path, monkeypatch):
    """The default registry over a weights folder whose colorizer file is corrupt."""
    from latent_studio.models import registry

    folder = tmp_path / "weights"
    folder.mkdir()
    shutil.copy(ROOT / "weights" / "manifest.json", folder)
    (folder / "colorizer-v2.safetensors").write_bytes(b"not the trained colorizer")
    monkeypatch.setattr(registry, "_DEFAULT", registry.Registry(folder))
    return folder / "colorizer-v2.safetensors"


def test_corrupt_weights_are_one_line_exit_2_before_any_item(tmp_path, capsys, corrupt_weights):
    for i in range(3):
        picture(tmp_path / "in" / f"{i}.png", 10 * i)
    code = main(["batch", "colorize", str(tmp_path / "in"), str(tmp_path / "out"), "--device", "cpu", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith(f"latent-studio: error: Weights file {corrupt_weights} is corrupt: its sha256 is ")
    assert captured.err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_corrupt_weights_fail_the_dialogs_job_once(tmp_path, corrupt_weights):
    from latent_studio.app.core.batch_setup import BatchRequest
    from latent_studio.app.core.jobs import run_sync
    from latent_studio.app.gui.batch_runner import batch_job

    picture(tmp_path / "in" / "a.png", 10)
    items, planned = [], []
    run = batch_job(
        BatchRequest("colorize", str(tmp_path / "in"), str(tmp_path / "out"), device="cpu"),
        planned.append,
        items.append,
        threading.Event(),
    )
    with pytest.raises(LatentStudioError, match=f"Weights file {corrupt_weights} is corrupt"):
        run_sync(run)
    assert planned == [] and items == [] and not (tmp_path / "out").exists()


def test_an_output_folder_that_is_a_file_is_one_line_exit_2(tmp_path, capsys):
    picture(tmp_path / "in" / "a.png", 10)
    (tmp_path / "out").write_text("a file")
    code = main(["batch", "colorize", str(tmp_path / "in"), str(tmp_path / "out"), "--no-progress"])
    assert code == 2
    assert (
        capsys.readouterr().err
        == f"latent-studio: error: The output folder {tmp_path / 'out'} is a file, not a folder.\n"
    )
    with pytest.raises(LatentStudioError) as raised:
        plan_batch(tmp_path / "in", tmp_path / "out" / "sub", InvertTool(), BatchOptions())
    assert (
        str(raised.value)
        == f"The output folder {tmp_path / 'out' / 'sub'} cannot be created: {tmp_path / 'out'} is a file."
    )


def test_an_output_folder_on_a_read_only_file_system_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    picture(tmp_path / "in" / "a.png", 10)
    (tmp_path / "ro").mkdir()
    real = os.statvfs

    def statvfs(path):
        result = real(path)
        if Path(path) == tmp_path / "ro":
            return os.statvfs_result((*result[:8], result.f_flag | os.ST_RDONLY, result.f_namemax))
        return result

    monkeypatch.setattr(os, "statvfs", statvfs)
    code = main(["batch", "colorize", str(tmp_path / "in"), str(tmp_path / "ro" / "out"), "--no-progress"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"latent-studio: error: The output folder {tmp_path / 'ro' / 'out'} cannot be "
        f"written: {tmp_path / 'ro'} is on a read-only file system.\n"
    )


def test_a_report_that_cannot_be_opened_is_one_error_before_any_item(tmp_path):
    picture(tmp_path / "in" / "a.png", 10)
    (tmp_path / "out" / REPORT).mkdir(parents=True)
    with pytest.raises(LatentStudioError) as raised:
        run(tmp_path / "in", tmp_path / "out")
    assert str(raised.value) == f"Cannot write the batch report {tmp_path / 'out' / REPORT}: Is a directory."
    assert not (tmp_path / "out" / "a.png").exists()


# --- full disk and odd inputs during the run -------------------------------------------------------


def test_a_full_disk_fails_the_items_leaves_nothing_and_a_rerun_redoes_them(tmp_path, monkeypatch):
    for i in range(3):
        picture(tmp_path / "in" / f"{i}.jpg", 10 * i)
    real = imageio.write_encoded

    def cut_short(picture, fmt, handle, quality=95):  # Pillow's JPEG encoder on a full disk
        real(picture, fmt, handle, quality)
        handle.truncate(handle.tell() - 10)
        handle.seek(0, os.SEEK_END)

    monkeypatch.setattr(imageio, "write_encoded", cut_short)
    results = run(tmp_path / "in", tmp_path / "out")
    assert [r.status for r in results] == ["failed"] * 3
    assert all("the file was cut short" in r.error and "is the disk full?" in r.error for r in results)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [DONE_LOG, REPORT]
    monkeypatch.undo()
    assert [r.status for r in run(tmp_path / "in", tmp_path / "out")] == ["done"] * 3


def test_a_report_cut_off_by_a_full_disk_is_said_once_at_the_end(tmp_path, monkeypatch):
    for i in range(2):
        picture(tmp_path / "in" / f"{i}.png", 10 * i)
    real_writer = csv.writer

    class FullDiskWriter:
        def __init__(self, handle):
            self._writer, self._rows = real_writer(handle), 0

        def writerow(self, row):
            self._rows += 1
            if self._rows > 1:  # the header fits, then the disk is full
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self._writer.writerow(row)

    monkeypatch.setattr(batch_module.csv, "writer", FullDiskWriter)
    seen = []
    with pytest.raises(LatentStudioError) as raised:
        for result in run_batch(plan_batch(tmp_path / "in", tmp_path / "out", InvertTool()), InvertTool()):
            seen.append(result.status)
    assert seen == ["done", "done"]  # every item ran first
    assert str(raised.value) == (
        f"The batch report {tmp_path / 'out' / REPORT} could not be written (No space left "
        "on device); it lacks some items (the outputs written are complete)."
    )


def test_a_fifo_among_the_inputs_is_reported_without_hanging(tmp_path):
    picture(tmp_path / "in" / "a.png", 10)
    os.mkfifo(tmp_path / "in" / "pipe.png")
    results = run(tmp_path / "in", tmp_path / "out")
    assert sorted((r.source.name, r.status, r.error) for r in results) == [
        ("a.png", "done", ""),
        ("pipe.png", "failed", "pipe.png is a named pipe (FIFO), not an image file."),
    ]


def test_done_log_records_what_was_read_and_written(tmp_path):
    source = picture(tmp_path / "in" / "a.png", 10)
    run(tmp_path / "in", tmp_path / "out")
    line = json.loads((tmp_path / "out" / DONE_LOG).read_text().splitlines()[0])
    written = (tmp_path / "out" / "a.png").stat()
    assert line == {
        "output": "a.png",
        "source": {
            "size": source.stat().st_size,
            "mtime_ns": source.stat().st_mtime_ns,
            "settings": "invert-v1",
            "written": {"size": written.st_size, "mtime_ns": written.st_mtime_ns},
        },
    }
