"""Automatic colour by retrieval (models/colorizer/retrieval.py): a photo picks its references from a bank by
content and takes their colours; `evaluate colorizer --retrieval-bank` measures it and refuses a bank that
holds the photos being evaluated. The shipped colorizer describes the content, at a small working size."""

from __future__ import annotations

import json

import numpy as np
import torch
from PIL import Image

from latent_studio.models.color import rgb_to_lab
from latent_studio.models.colorizer.evaluate import main as evaluate_main
from latent_studio.models.colorizer.inference import resize, working_shape
from latent_studio.models.colorizer.retrieval import build_bank, ranked, retrieval_results
from latent_studio.models.colorizer.validate import photo_tensor
from latent_studio.models.registry import default_registry

SIZE = 96
CPU = torch.device("cpu")


def striped(colour: tuple[int, int, int], period: int, vertical: bool) -> np.ndarray:
    """A 96x128 photo of one colour, striped every `period` pixels (0: flat) across or down."""
    height, width = 96, 128
    axis = np.arange(width if vertical else height)
    gain = np.where((axis // period) % 2 == 0, 1.35, 0.65) if period else np.ones_like(axis, dtype=float)
    gain = gain[None, :, None] if vertical else gain[:, None, None]
    pixels = np.broadcast_to(np.array(colour, dtype=float)[None, None], (height, width, 3)) * gain
    return np.clip(pixels, 0, 255).astype(np.uint8)


BANK = [
    striped((60, 170, 60), 2, vertical=True),  # fine vertical stripes, green
    striped((200, 60, 50), 0, vertical=True),  # flat red
    striped((60, 80, 220), 12, vertical=False),  # broad horizontal bands, blue
]


def lightness_of(pixels: np.ndarray) -> torch.Tensor:
    return rgb_to_lab(photo_tensor(pixels, CPU))[:, :1]


def test_a_photo_retrieves_the_bank_photo_of_its_content_and_takes_its_colour():
    model = default_registry().load_model("colorizer", CPU)
    bank = build_bank(BANK, model, SIZE, CPU)
    target = striped((180, 180, 60), 2, vertical=True)  # the green photo's texture, another colour
    lightness = lightness_of(target)
    small = resize(lightness, working_shape(96, 128, SIZE))
    assert ranked(bank, model, small)[0] == 0
    result = retrieval_results(bank, model, lightness, (1,))["retrieval, 1 references"]
    pixels = result[0].permute(1, 2, 0).numpy() * 255.0
    assert float(pixels[..., 1].mean() - pixels[..., 0].mean()) > 30  # green, as the retrieved photo


def write_photos(folder, photos) -> None:
    folder.mkdir()
    for index, photo in enumerate(photos):
        Image.fromarray(photo).save(folder / f"{index}.png")


def test_evaluate_reports_retrieval_rows_and_refuses_a_bank_holding_the_data(tmp_path, capsys):
    data, bank = tmp_path / "val", tmp_path / "bank"
    write_photos(data, [striped((180, 180, 60), 2, vertical=True)])
    write_photos(bank, BANK)
    common = ["--data", str(data), "--size", str(SIZE), "--hints", "0", "--device", "cpu"]
    assert evaluate_main([*common, "--retrieval-bank", str(data)]) == 2
    assert "error: the retrieval bank must not hold the photos being evaluated (--data)" in capsys.readouterr().out
    out = tmp_path / "report.json"
    assert evaluate_main([*common, "--retrieval-bank", str(bank), "--retrieval-k", "1", "--out", str(out)]) == 0
    methods = json.loads(out.read_text())["methods"]
    assert {"retrieval, 1 references (bank of 3)", "retrieval 1, blended (bank of 3)"} <= set(methods)
    for row in ("retrieval, 1 references (bank of 3)", "retrieval 1, blended (bank of 3)"):
        assert methods[row]["psnr"] > methods["gray"]["psnr"]  # the right colour family beats no colour
