"""The batch API (`run_batch(plan, tool, progress, pause)`) against a tool that breaks its contract and a plan
made for other settings: every item is still reported, and a mismatched plan is one line before anything runs."""

from __future__ import annotations

import pytest
from PIL import Image

from latent_studio.app.core.batch import BatchOptions, ItemFailure, plan_batch, run_batch
from latent_studio.models.errors import LatentStudioError


class ShortTool:
    """Returns one picture fewer than it was given (a tool bug): the engine must not lose the last item."""

    name = "short"

    def settings_key(self) -> str:
        return "short-v1"

    def process(self, pictures, progress):
        return [picture.with_pixels(255 - picture.pixels) for picture in pictures][: max(1, len(pictures) - 1)]


class KeyTool(ShortTool):
    def __init__(self, key: str) -> None:
        self.key = key

    def settings_key(self) -> str:
        return self.key

    def process(self, pictures, progress):
        return list(pictures)


def _folder(root, count):
    root.mkdir()
    for i in range(count):
        Image.new("RGB", (6, 4), (i, 20, 30)).save(root / f"p{i}.png")
    return root


def test_adv_a_tool_returning_too_few_pictures_loses_no_item(tmp_path):
    src = _folder(tmp_path / "in", 3)
    tool = ShortTool()
    results = list(run_batch(plan_batch(src, tmp_path / "out", tool, BatchOptions(batch_size=3)), tool))
    # the chunk of 3 gave 2 pictures: retried one by one, where a chunk of one gives its one picture
    assert sorted((r.source.name, r.status) for r in results) == [
        ("p0.png", "done"),
        ("p1.png", "done"),
        ("p2.png", "done"),
    ]


def test_adv_a_tool_returning_nothing_fails_each_item_with_the_reason(tmp_path):
    src = _folder(tmp_path / "in", 2)

    class EmptyTool(ShortTool):
        def process(self, pictures, progress):
            return []

    tool = EmptyTool()
    results = list(run_batch(plan_batch(src, tmp_path / "out", tool, BatchOptions(batch_size=2)), tool))
    assert [(r.source.name, r.failure) for r in results] == [
        (name, ItemFailure(src.resolve() / name, "short returned 0 pictures for 1.", "process"))
        for name in ("p0.png", "p1.png")
    ]
    assert not list((tmp_path / "out").glob("p*.png"))


def test_adv_a_plan_made_for_other_settings_is_refused_before_anything_is_written(tmp_path):
    src = _folder(tmp_path / "in", 1)
    plan = plan_batch(src, tmp_path / "out", KeyTool("colorize:size=256"))
    with pytest.raises(LatentStudioError) as raised:
        list(run_batch(plan, KeyTool("colorize:size=512")))
    assert str(raised.value) == (
        "The batch plan was made for other settings (colorize:size=256) than the tool's "
        "(colorize:size=512); plan again with this tool."
    )
    assert not (tmp_path / "out").exists()
