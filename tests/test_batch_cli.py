"""`latent-studio batch` end to end, as a subprocess with the real shipped models at tiny sizes.

Bad files are reported and never stop the batch; a SIGKILLed run leaves no partial output and a re-run
resumes (skips what the killed run finished); sketch and edit run over folders; a bad --attr exits 2.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.core.batch import DONE_LOG, REPORT
from latent_studio.app.core.imageio import load_image

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TIMEOUT = 120  # seconds: a generous bound on any one command (they take a few seconds)


def batch(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "latent_studio", "batch", *map(str, args), "--device", "cpu", "--no-progress"]
    return subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)


def batch_here(capsys, *args: object) -> tuple[int, str, str]:
    """The same `latent-studio batch` entry point, in this process (no interpreter start): (code, stdout, stderr)."""
    from latent_studio.app.cli import main

    code = main(["batch", *map(str, args), "--device", "cpu", "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def photo(path: Path, width: int = 80, height: int = 64, seed: int = 0, **save) -> Path:
    """A small smooth colour picture (gradients + a disc), so models see something image-like."""
    y, x = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(seed)
    r, g = 255 * x / width, 255 * y / height
    b = np.where((x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2, 200, 40) + rng.integers(
        0, 20, x.shape
    )
    pixels = np.clip(np.stack([r, g, b], axis=2), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, **save)
    return path


def drawing(path: Path, size: int = 64) -> Path:
    """Black lines on white paper: a box and a diagonal."""
    pixels = np.full((size, size), 255, np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels[10:54, 10:12] = pixels[10:54, 52:54] = pixels[10:12, 10:54] = pixels[52:54, 10:54] = 0
    np.fill_diagonal(pixels, 0)
    Image.fromarray(pixels).save(path)
    return path


def tree_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_bad_files_are_reported_good_ones_done_and_tree_mirrored(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.png")
    photo(src / "b.jpg", seed=1, quality=90)
    photo(src / "sub" / "c.png", width=64, height=96, seed=2)
    photo(src / "sub" / "deeper" / "d.webp", seed=3)
    (src / "empty.png").write_bytes(b"")
    jpeg = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(jpeg, "JPEG")
    (src / "sub" / "truncated.jpg").write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    (src / "sub" / "deeper" / "text.png").write_text("this is text, not a picture")
    before = {p: p.stat().st_mtime_ns for p in src.rglob("*")}

    result = batch("colorize", src, out, "--recursive", "--size", "64")

    assert result.returncode == 1, result.stderr
    assert "4 done, 0 skipped, 3 failed" in result.stdout
    assert {"a.png", "b.jpg", "sub/c.png", "sub/deeper/d.webp"} <= tree_files(out)
    for name in ("a.png", "b.jpg", "sub/c.png", "sub/deeper/d.webp"):
        assert load_image(out / name).pixels.shape == load_image(src / name).pixels.shape
    assert not any(name.endswith(".part") for name in tree_files(out))
    assert not (out / "empty.png").exists() and not (out / "sub" / "truncated.jpg").exists()
    with open(out / REPORT) as report:
        rows = {Path(row["source"]).name: row for row in csv.DictReader(report)}
    assert {name for name, row in rows.items() if row["status"] == "failed"} == {
        "empty.png",
        "truncated.jpg",
        "text.png",
    }
    assert rows["empty.png"]["error"] == "empty.png is empty (0 bytes)."
    assert "truncated" in rows["truncated.jpg"]["error"]
    assert "is not an image" in rows["text.png"]["error"]
    for name in ("empty.png", "truncated.jpg", "text.png"):
        assert name in result.stderr
    assert {p: p.stat().st_mtime_ns for p in src.rglob("*")} == before  # nothing written into IN


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen, timeout: float) -> int:
    """Poll the done-log until it has `count` lines (or the process ends / time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        lines = path.read_text().count("\n") if path.exists() else 0
        if lines >= count:
            return lines
        time.sleep(0.01)
    return path.read_text().count("\n") if path.exists() else 0


def test_killed_run_leaves_no_partial_files_and_rerun_resumes(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(10):  # small photos; the network's working size keeps each one ~0.2 s, so the kill lands mid-run
        photo(src / f"p{i:02d}.png", width=64, height=48, seed=i)
    args = ["colorize", src, out, "--size", "256", "--batch-size", "1", "--workers", "1"]
    command = [sys.executable, "-m", "latent_studio", "batch", *map(str, args), "--device", "cpu", "--no-progress"]
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = _wait_for_lines(out / DONE_LOG, 3, process, TIMEOUT)
        assert process.poll() is None, "the batch finished before it could be killed half-way"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert 3 <= lines < 10
    written = [p for p in out.glob("p*.png")]
    assert len(written) < 10
    for path in written:  # every output under its final name is complete (writes are atomic)
        load_image(path)
    (out / ".p09.png.stale123.part").write_bytes(b"what a kill mid-write would leave")

    result = batch(*args)

    assert result.returncode == 0, result.stderr
    assert all((out / f"p{i:02d}.png").exists() for i in range(10))
    done, skipped = (int(word) for word in result.stdout.replace(",", "").split()[0:4:2])
    assert skipped >= 3 and done + skipped == 10, result.stdout
    assert "0 failed" in result.stdout
    assert not list(out.rglob("*.part"))


def test_batch_sketch_and_edit_process_folders_and_keep_metadata(tmp_path, capsys):
    drawing(tmp_path / "sketches" / "one.png")
    drawing(tmp_path / "sketches" / "two.png", size=96)
    code, out, err = batch_here(capsys, "sketch", tmp_path / "sketches", tmp_path / "drawn", "--size", "64")
    assert code == 0, err
    assert "2 done, 0 skipped, 0 failed" in out
    drawn = load_image(tmp_path / "drawn" / "two.png")
    assert drawn.pixels.shape == (96, 96, 3) and not drawn.is_gray

    exif = Image.Exif()
    exif[0x010E] = "a test photo"  # ImageDescription
    photo(tmp_path / "faces" / "one.jpg", width=96, height=96, exif=exif.tobytes(), quality=92)
    photo(tmp_path / "faces" / "two.png", width=128, height=112, seed=5)
    code, out, err = batch_here(
        capsys, "edit", tmp_path / "faces", tmp_path / "edited", "--attr", "young=+1.5", "--attr", "female=-1"
    )
    assert code == 0, err
    assert "2 done, 0 skipped, 0 failed" in out
    edited = load_image(tmp_path / "edited" / "one.jpg")
    assert edited.pixels.shape == (96, 96, 3)
    assert Image.open(tmp_path / "edited" / "one.jpg").getexif()[0x010E] == "a test photo"
    assert load_image(tmp_path / "edited" / "two.png").pixels.shape == (112, 128, 3)


@pytest.mark.parametrize(
    "attr, message",
    [
        ("nope=1", "There is no direction called 'nope'. Available directions: young"),
        ("young", "--attr 'young' is not NAME=VALUE with a number"),
    ],
)
def test_batch_edit_bad_attribute_exits_2_before_processing(tmp_path, capsys, attr, message):
    photo(tmp_path / "in" / "face.png")
    code, _, err = batch_here(capsys, "edit", tmp_path / "in", tmp_path / "out", "--attr", attr)
    assert code == 2
    assert message in err
    assert not (tmp_path / "out").exists()
