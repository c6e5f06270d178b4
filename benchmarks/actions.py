"""End-to-end times of a user's actions, each in its own subprocess so its peak memory is its own.

`python -m benchmarks.actions NAME [--quick] [--device D]` runs one action and prints one JSON line;
`run_actions` runs them all. Times are medians of warm repeats (the model already loaded, as in a session);
`first_ms` is the first call, model loading included. Peak memory is the subprocess's ru_maxrss
(interpreter + torch + model + the action's buffers).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

#: name -> (what, full size, quick size, target seconds on CPU)
ACTIONS = {
    "colorize_1024": ("colorize a 1024x1024 photo (full-resolution output)", (1024, 1024), (256, 256), 0.5),
    "colorize_4000x3000": ("colorize a 4000x3000 photo (full-resolution output)", (3000, 4000), (480, 640), 2.0),
    "sketch_256": ("one live sketch update (256x256, colour strokes)", (256, 256), (64, 64), 0.1),
    "hint_update_256": ("one colour-hint update (256x256, 3 hints + a scribble)", (256, 256), (64, 64), 0.15),
    "slider": ("one slider update of a fitted face (edit + decode + QImage)", (128, 128), (128, 128), 0.03),
    "face_fit": ("encode a photo's face (find, align, fit in 40 steps)", (480, 640), (240, 320), 2.0),
}


def run_actions(device: str, quick: bool = False, tiny: bool = False) -> list[dict]:
    """Every action, each in a fresh interpreter (inherits LATENT_STUDIO_WEIGHTS from prepare_weights); `tiny`:
    all in this process, one repeat (a smoke run: the first action's peak memory is then the whole process's)."""
    rows = []
    for name, (what, full, small, target) in ACTIONS.items():
        h, w = small if quick else full
        if tiny:
            row = measure_action(name, device, quick=True, repeats=1)
            rows.append(
                {"action": name, "what": what, "size": f"{w}x{h}", "device": device, "target_ms": target * 1e3, **row}
            )
            continue
        command = [
            sys.executable,
            "-m",
            "benchmarks.actions",
            name,
            "--device",
            device,
            *(["--quick"] if quick else []),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)  # checked below
        if done.returncode != 0:
            raise RuntimeError(f"benchmark action {name} failed:\n{done.stderr[-3000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(
            {"action": name, "what": what, "size": f"{w}x{h}", "device": device, "target_ms": target * 1e3, **row}
        )
    return rows


# --- inside the subprocess ---------------------------------------------------------------------------


def _measure(fn, device, repeats: int) -> dict:
    from benchmarks.timing import median_seconds, sync

    start = time.perf_counter()
    fn()
    sync(device)
    first = time.perf_counter() - start
    return {"first_ms": first * 1e3, "median_ms": median_seconds(fn, device, repeats=repeats, warmup=0) * 1e3}


def _colorize(size, settings, repeats):
    from benchmarks.images import synthetic_photo
    from latent_studio.app.core.colorize import colorize
    from latent_studio.app.core.imageio import Picture

    picture = Picture(synthetic_photo(*size), is_gray=True)
    return _measure(lambda: colorize(picture, (), 256, settings), settings.torch_device, repeats)


def _hint_update(size, settings, repeats):
    """The Colorize panel's preview after a hint change: network, local spreading of 4 hints, full-size result."""
    from benchmarks.images import synthetic_photo
    from latent_studio.app.core.colorize import Hint, colorize
    from latent_studio.app.core.imageio import Picture

    picture = Picture(synthetic_photo(*size), is_gray=True)
    h, w = size
    hints = [
        Hint(w * 0.2, h * 0.3, (40, 160, 60)),
        Hint(w * 0.7, h * 0.2, (60, 110, 220)),
        Hint(w * 0.5, h * 0.8, (200, 120, 60)),
        Hint(w * 0.1, h * 0.6, (220, 60, 60), path=((w * 0.1, h * 0.6), (w * 0.3, h * 0.65), (w * 0.4, h * 0.7))),
    ]
    moves = iter(range(10**6))  # each update moves one hint (the automatic result is reused, as in the panel)

    def update():
        step = next(moves) % 8
        return colorize(picture, [Hint(w * (0.2 + 0.02 * step), h * 0.3, (40, 160, 60)), *hints[1:]], 256, settings)

    return _measure(update, settings.torch_device, repeats)


def _sketch(size, settings, repeats):
    from benchmarks.images import colour_strokes, sketch_lines
    from latent_studio.app.core.sketch import SketchSettings, sketch_to_image

    lines, strokes = sketch_lines(size[0]), colour_strokes(size[0])
    sketch_settings = SketchSettings(compute=settings)
    steps = iter(range(10**6))

    def update():  # a stroke goes on: every update adds ink, so the network runs, then the colour strokes spread
        step = next(steps) % size[0]
        lines[step, : size[1] // 4] = 0
        return sketch_to_image(lines, strokes, sketch_settings)

    return _measure(update, settings.torch_device, repeats)


def _slider(size, settings, repeats):
    import math

    import torch

    from latent_studio.app.core.latent import LatentEditor
    from latent_studio.app.gui.image_convert import to_qimage

    editor = LatentEditor.load(settings)
    # a fitted photo's code: the latent values and its detail map (decoded with every slider move)
    code = torch.cat([editor.sample(0), 0.01 * torch.ones(math.prod(editor.detail_shape))])
    name = editor.direction_names()[0]
    values = iter(range(10**6))
    return _measure(
        lambda: to_qimage(editor.decode(editor.edit(code, {name: next(values) % 7 / 3 - 1}))),
        settings.torch_device,
        repeats,
    )


def _face_fit(size, settings, repeats):
    import numpy as np

    from latent_studio.app.core.latent import LatentEditor

    editor = LatentEditor.load(settings)
    h, w = size
    photo = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)  # no face: the centred square
    return _measure(lambda: editor.encode(photo), settings.torch_device, repeats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.actions")
    parser.add_argument("name", choices=sorted(ACTIONS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(measure_action(args.name, args.device, args.quick)))
    return 0


def measure_action(name: str, device: str, quick: bool, repeats: int | None = None) -> dict:
    """One action's first and median times and the peak memory so far (of this process)."""
    from benchmarks.timing import peak_rss_mib
    from latent_studio.app.core.device import ComputeSettings, configure_torch_threads

    configure_torch_threads()
    settings = ComputeSettings(device=device)
    _, full, small, _ = ACTIONS[name]
    size = small if quick else full
    run = {
        "colorize_1024": _colorize,
        "colorize_4000x3000": _colorize,
        "sketch_256": _sketch,
        "hint_update_256": _hint_update,
        "slider": _slider,
        "face_fit": _face_fit,
    }[name]
    if repeats is None:
        fixed = {"colorize_4000x3000": 5, "face_fit": 5}
        repeats = 2 if quick else fixed.get(name, 9 if name.startswith("col") else 21)
    row = run(size, settings, repeats)
    row["peak_rss_mib"] = peak_rss_mib()
    return row


if __name__ == "__main__":
    sys.exit(main())
