"""The batch engine with a simple numpy tool: bad items are reported, outputs mirror the tree, re-runs resume."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.core.batch import DONE_LOG, REPORT, BatchOptions, plan_batch, run_batch, summarize
from latent_studio.app.core.imageio import load_image
from latent_studio.models.errors import LatentStudioError


class InvertTool:
    """Inverts colours; fails on purpose for pictures 3 pixels wide (to test per-item failure isolation)."""

    name = "invert"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def settings_key(self) -> str:
        return "invert-v1"

    def process(self, pictures, progress):
        self.calls.append(len(pictures))
        outputs = []
        for picture in pictures:
            if picture.width == 3:
                raise LatentStudioError("This picture is 3 pixels wide, which the test tool refuses.")
            rgb = 255 - picture.pixels[..., :3]
            outputs.append(picture.with_pixels(np.concatenate([rgb, picture.pixels[..., 3:]], axis=2)))
        return outputs


def make_tree(root):
    (root / "sub" / "deeper").mkdir(parents=True)
    for i, folder in enumerate([root, root / "sub", root / "sub" / "deeper"]):
        Image.new("RGB", (8, 6), (10 * i, 20, 30)).save(folder / f"good{i}.png")
    Image.new("RGBA", (5, 5), (1, 2, 3, 128)).save(root / "alpha.png")
    Image.new("RGB", (3, 3)).save(root / "narrow.png")  # the tool fails on it
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "empty.png").write_bytes(b"")
    (root / "notes.txt").write_text("ignored: not an image suffix")


def run(in_dir, out_dir, tool=None, **options):
    tool = tool or InvertTool()
    return list(run_batch(plan_batch(in_dir, out_dir, tool, BatchOptions(**options)), tool)), tool


def test_good_items_done_bad_items_reported_and_tree_mirrored(tmp_path):
    make_tree(tmp_path / "in")
    results, _tool = run(tmp_path / "in", tmp_path / "out", recursive=True, batch_size=4)
    status = {r.source.name: r.status for r in results}
    assert status == {
        "good0.png": "done",
        "good1.png": "done",
        "good2.png": "done",
        "alpha.png": "done",
        "narrow.png": "failed",
        "broken.jpg": "failed",
        "empty.png": "failed",
    }
    errors = {r.source.name: r.error for r in results if r.status == "failed"}
    assert errors["empty.png"] == "empty.png is empty (0 bytes)."
    assert errors["narrow.png"] == "This picture is 3 pixels wide, which the test tool refuses."
    assert (tmp_path / "out" / "sub" / "deeper" / "good2.png").exists()
    inverted = load_image(tmp_path / "out" / "sub" / "good1.png").pixels
    assert tuple(inverted[0, 0]) == (245, 235, 225)
    alpha = load_image(tmp_path / "out" / "alpha.png").pixels
    assert alpha.shape[2] == 4 and alpha[0, 0, 3] == 128
    assert not (tmp_path / "out" / "narrow.png").exists() and not (tmp_path / "out" / "broken.jpg").exists()
    assert not list((tmp_path / "out").rglob("*.part"))
    with open(tmp_path / "out" / REPORT) as report:
        rows = list(csv.DictReader(report))
    assert sorted(r["status"] for r in rows) == ["done"] * 4 + ["failed"] * 3
    assert not (tmp_path / "in" / REPORT).exists() and not (tmp_path / "in" / DONE_LOG).exists()
    assert summarize(results, 2.0).startswith("4 done, 0 skipped, 3 failed in 2.0 s")


def test_rerun_resumes_without_redoing_finished_items(tmp_path):
    make_tree(tmp_path / "in")
    run(tmp_path / "in", tmp_path / "out", recursive=True)
    results, _tool = run(tmp_path / "in", tmp_path / "out", recursive=True)
    assert {r.source.name for r in results if r.status == "skipped"} == {
        "good0.png",
        "good1.png",
        "good2.png",
        "alpha.png",
    }
    assert all(r.status != "done" for r in results)  # only the bad ones are tried again


def test_interrupted_run_is_completed_by_the_next_one(tmp_path):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    for i in range(10):
        Image.new("RGB", (4, 4), (i, i, i)).save(in_dir / f"{i:02d}.png")
    tool = InvertTool()
    batch = run_batch(plan_batch(in_dir, tmp_path / "out", tool, BatchOptions(batch_size=2)), tool)
    first = [next(batch) for _ in range(3)]
    batch.close()  # as if the process stopped here
    assert all(r.status == "done" for r in first)
    results, _ = run(in_dir, tmp_path / "out", batch_size=2)
    skipped = [r for r in results if r.status == "skipped"]
    done = [r for r in results if r.status == "done"]
    assert len(skipped) >= 3 and len(skipped) + len(done) == 10
    assert len(list((tmp_path / "out").glob("*.png"))) == 10


def test_changed_source_is_redone(tmp_path):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    Image.new("RGB", (4, 4), (0, 0, 0)).save(in_dir / "a.png")
    run(in_dir, tmp_path / "out")
    Image.new("RGB", (4, 4), (100, 0, 0)).save(in_dir / "a.png")
    results, _ = run(in_dir, tmp_path / "out")
    assert [r.status for r in results] == ["done"]
    assert tuple(load_image(tmp_path / "out" / "a.png").pixels[0, 0]) == (155, 255, 255)


def test_existing_file_we_did_not_write_is_never_clobbered(tmp_path):
    in_dir, out_dir = tmp_path / "in", tmp_path / "out"
    in_dir.mkdir(), out_dir.mkdir()
    Image.new("RGB", (4, 4)).save(in_dir / "a.png")
    (out_dir / "a.png").write_bytes(b"the user's own file")
    results, _ = run(in_dir, out_dir)
    assert [r.status for r in results] == ["skipped"]
    assert (out_dir / "a.png").read_bytes() == b"the user's own file"
    results, _ = run(in_dir, out_dir, overwrite=True)
    assert [r.status for r in results] == ["done"]


def test_output_format_and_in_place_guard(tmp_path):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    Image.new("RGB", (4, 4)).save(in_dir / "a.png")
    run(in_dir, tmp_path / "out", output_format="jpg")
    assert (tmp_path / "out" / "a.jpg").exists()
    with pytest.raises(LatentStudioError, match="The output folder is the input folder"):
        plan_batch(in_dir, in_dir, InvertTool(), BatchOptions())
    with pytest.raises(LatentStudioError, match="Unknown output format 'gif'"):
        plan_batch(in_dir, tmp_path / "o", InvertTool(), BatchOptions(output_format="gif"))


def test_output_folder_inside_input_is_not_reprocessed(tmp_path):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    Image.new("RGB", (4, 4)).save(in_dir / "a.png")
    run(in_dir, in_dir / "out", recursive=True)
    results, _ = run(in_dir, in_dir / "out", recursive=True)
    assert [r.source.name for r in results] == ["a.png"]


def test_a_failing_item_is_run_once(tmp_path):
    """A chunk of one that fails is reported as it is, not run through the tool a second time."""
    (tmp_path / "in").mkdir()
    Image.new("RGB", (3, 3)).save(tmp_path / "in" / "narrow.png")
    results, tool = run(tmp_path / "in", tmp_path / "out", batch_size=1)
    assert [(r.status, r.error) for r in results] == [
        ("failed", "This picture is 3 pixels wide, which the test tool refuses.")
    ]
    assert tool.calls == [1]


def test_run_batch_uses_the_callers_plan(tmp_path):
    """The CLI and the dialog plan first (for the total); the engine runs that plan instead of listing again."""
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4)).save(tmp_path / "in" / name)
    tool = InvertTool()
    plan = plan_batch(tmp_path / "in", tmp_path / "out", tool, BatchOptions())
    plan.items = plan.items[:1]
    results = list(run_batch(plan, tool))
    assert [(r.source.name, r.status) for r in results] == [("a.png", "done")]
    assert not (tmp_path / "out" / "b.png").exists()


class StagedInvertTool(InvertTool):
    """InvertTool split into the engine's three stages; prepare fails on 4-pixel-wide pictures and the deferred
    finishing on 5-pixel-wide ones, with a plain (non-Latent Studio) exception, as a tool bug would."""

    def __init__(self) -> None:
        super().__init__()
        self.prepare_threads: set[str] = set()
        self.finish_threads: set[str] = set()

    def prepare(self, picture):
        import threading

        self.prepare_threads.add(threading.current_thread().name)
        if picture.width == 4:
            raise ValueError("four is not allowed")
        return ("prepared", picture)

    def process(self, prepared, progress):
        assert all(tag == "prepared" for tag, _ in prepared)
        outputs = super().process([picture for _, picture in prepared], progress)
        return [lambda out=out: self._finish(out) for out in outputs]

    def _finish(self, picture):
        import threading

        self.finish_threads.add(threading.current_thread().name)
        if picture.width == 5:
            raise ZeroDivisionError("five")
        return picture


def test_staged_tool_prepares_and_finishes_in_worker_threads_and_isolates_failures(tmp_path):
    (tmp_path / "in").mkdir()
    for width in (8, 8, 4, 5, 3):
        Image.new("RGB", (width, 6), (10, 20, 30)).save(
            tmp_path / "in" / f"w{width}_{len(list((tmp_path / 'in').iterdir()))}.png"
        )
    results, tool = run(tmp_path / "in", tmp_path / "out", tool=StagedInvertTool(), batch_size=8, workers=2)
    status = {r.source.name: (r.status, r.error) for r in results}
    assert status == {
        "w8_0.png": ("done", ""),
        "w8_1.png": ("done", ""),
        "w4_2.png": ("failed", "invert failed on w4_2.png: ValueError: four is not allowed"),
        "w5_3.png": ("failed", "invert failed on w5_3.png: ZeroDivisionError: five"),
        "w3_4.png": ("failed", "This picture is 3 pixels wide, which the test tool refuses."),
    }
    assert tuple(load_image(tmp_path / "out" / "w8_0.png").pixels[0, 0]) == (245, 235, 225)
    assert not (tmp_path / "out" / "w5_3.png").exists() and not list((tmp_path / "out").rglob("*.part"))
    assert tool.prepare_threads and all(name.startswith("batch-io") for name in tool.prepare_threads)
    assert tool.finish_threads and all(name.startswith("batch-io") for name in tool.finish_threads)


def test_an_output_the_encoder_refuses_fails_only_that_item(tmp_path):
    """WebP holds at most 16383 pixels a side: that item is reported, the others are written, no .part stays."""
    (tmp_path / "in").mkdir()
    Image.new("RGB", (16384, 1)).save(tmp_path / "in" / "panorama.png")
    Image.new("RGB", (8, 6)).save(tmp_path / "in" / "small.png")
    results, _ = run(tmp_path / "in", tmp_path / "out", output_format="webp")
    status = {r.source.name: (r.status, r.error) for r in results}
    assert status == {
        "panorama.png": (
            "failed",
            "Cannot write panorama.webp as WEBP: encoding error 5: Image size exceeds WebP limit of 16383 pixels.",
        ),
        "small.png": ("done", ""),
    }
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".latent")) == [
        REPORT,
        "small.webp",
    ]


def test_colorize_tool_key_names_the_vividness_and_checks_it():
    from latent_studio.app.core.batch_setup import ToolRecipe
    from latent_studio.app.core.batch_tools import make_tool

    plain, vivid = (
        make_tool(ToolRecipe("colorize", "cpu", 256)),
        make_tool(ToolRecipe("colorize", "cpu", 256, vividness=0.5)),
    )
    assert plain.settings_key() != vivid.settings_key()  # a re-run with another vividness redoes the items
    assert vivid.settings_key().endswith(":size=256:vividness=0.5")
    with pytest.raises(LatentStudioError, match=r"^The vividness must be between 0 and 1, not 2\.$"):
        make_tool(ToolRecipe("colorize", "cpu", 256, vividness=2))


def test_a_chunk_waits_for_the_compute_lock_held_by_an_editor_job(tmp_path):
    import threading

    from latent_studio.app.core.jobs import COMPUTE_LOCK

    (tmp_path / "in").mkdir()
    Image.new("RGB", (8, 6), (10, 20, 30)).save(tmp_path / "in" / "a.png")
    tool = InvertTool()
    with COMPUTE_LOCK:  # as the editor's runner holds it for the length of one job
        worker = threading.Thread(target=run, args=(tmp_path / "in", tmp_path / "out", tool))
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive() and tool.calls == []  # decoded, but not run through the tool
    worker.join(timeout=30)
    assert not worker.is_alive() and tool.calls == [1] and (tmp_path / "out" / "a.png").exists()


def test_colorize_staged_as_beside_a_gpu_writes_the_same_pictures(tmp_path, monkeypatch):
    """The GPU path (lightness in the decode threads, finishing in the encode threads, full-resolution lightness
    recomputed rather than kept) run on the CPU with the real model gives the same files as the CPU path."""
    from latent_studio.app.core.batch_setup import ToolRecipe
    from latent_studio.app.core.batch_tools import ColorizeTool, make_tool

    (tmp_path / "in").mkdir()
    rng = np.random.default_rng(1)
    for i, size in enumerate([(40, 56), (56, 40), (40, 56), (33, 47)]):
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(tmp_path / "in" / f"p{i}.png")
    tool = make_tool(ToolRecipe("colorize", "cpu", 64))
    assert not tool._offloads
    run(tmp_path / "in", tmp_path / "cpu", tool=tool, batch_size=4)
    monkeypatch.setattr(ColorizeTool, "_offloads", property(lambda self: True))
    results, _ = run(tmp_path / "in", tmp_path / "staged", tool=tool, batch_size=4)
    assert [r.status for r in results] == ["done"] * 4
    for i in range(4):
        staged = load_image(tmp_path / "staged" / f"p{i}.png").pixels
        assert np.array_equal(staged, load_image(tmp_path / "cpu" / f"p{i}.png").pixels)


def test_failures_are_typed_with_their_path_and_stage(tmp_path):
    """A failed item carries an ItemFailure (path, reason, stage), never a bare string; done items carry none."""
    from latent_studio.app.core.batch import ItemFailure

    (tmp_path / "in").mkdir()
    for width in (8, 4, 5, 3):
        Image.new("RGB", (width, 6), (10, 20, 30)).save(tmp_path / "in" / f"w{width}.png")
    results, _ = run(tmp_path / "in", tmp_path / "out", tool=StagedInvertTool(), batch_size=8)
    failures = {r.source.name: r.failure for r in results}
    src, out = (tmp_path / "in").resolve(), (tmp_path / "out").resolve()
    assert failures == {
        "w8.png": None,
        "w4.png": ItemFailure(src / "w4.png", "invert failed on w4.png: ValueError: four is not allowed", "read"),
        "w3.png": ItemFailure(src / "w3.png", "This picture is 3 pixels wide, which the test tool refuses.", "process"),
        "w5.png": ItemFailure(out / "w5.png", "invert failed on w5.png: ZeroDivisionError: five", "write"),
    }
    assert {r.source.name: r.error for r in results}["w5.png"] == "invert failed on w5.png: ZeroDivisionError: five"
