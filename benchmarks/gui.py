"""GUI figures, each in a subprocess with QT_QPA_PLATFORM=offscreen and a throwaway settings folder:

- start: process launch -> the main window shown (the real `run_gui` path: QApplication, theme, panels,
  device probe), timed from the parent, so interpreter and import time count, as a user would see it;
- stall: while the real MainWindow colorizes a large photo through its JobRunner (model load, network,
  full-resolution colour, then the result shown: QImage conversion and canvas update on the GUI thread), a
  5 ms QTimer records how late each of its ticks comes. The longest lateness is the longest time the
  editor could not repaint or react to input.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from unittest import mock

STALL_TARGET_MS = 50.0
START_TARGET_S = 3.0


def _env(home: str) -> dict:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": home, "XDG_DATA_HOME": home}


def _run(args: list[str], home: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.gui", *args],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=300,
        check=False,  # a failure is reported with the child's stderr below
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"GUI benchmark {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def run_gui_benchmarks(device: str, quick: bool = False) -> dict:
    """{"start": {...}, "stall": {...}}; start is the median of a few launches."""
    with tempfile.TemporaryDirectory(prefix="latent-bench-gui-") as home:
        starts = []
        for _ in range(1 if quick else 3):
            launched = time.time()
            row = _run(["start", "--launched", repr(launched)], home)
            starts.append(row)
        starts.sort(key=lambda row: row["seconds"])
        start = {**starts[len(starts) // 2], "target_s": START_TARGET_S, "runs": len(starts)}
        stall = _run(["stall", "--device", device] + (["--quick"] if quick else []), home)
    stall["target_ms"] = STALL_TARGET_MS
    return {"start": start, "stall": stall}


# --- inside the subprocess ---------------------------------------------------------------------------


def _start(launched: float) -> None:
    """Start the editor exactly as `latent-studio` does; report when the window is on screen, then exit."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from benchmarks.timing import peak_rss_mib
    from latent_studio.app.gui.application import create_application, run_gui
    from latent_studio.app.gui.main_window import MainWindow

    create_application()

    def shown() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(1, shown)
            return
        print(json.dumps({"seconds": time.time() - launched, "peak_rss_mib": peak_rss_mib()}), flush=True)
        os._exit(0)  # the device probe may still be running; nothing to clean up

    QTimer.singleShot(0, shown)
    run_gui([])


def _stall(device: str, quick: bool) -> None:
    from functools import partial

    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QMessageBox

    from benchmarks.images import synthetic_photo
    from benchmarks.timing import peak_rss_mib
    from latent_studio.app.core.colorize import colorize_picture
    from latent_studio.app.core.device import ComputeSettings
    from latent_studio.app.core.imageio import Picture
    from latent_studio.app.gui.application import create_application
    from latent_studio.app.gui.main_window import MainWindow

    app = create_application()

    # A failing job would open a modal message box that nobody closes offscreen: print it and stop instead.
    def critical(_parent: object, _title: str, text: str, *_buttons: object) -> None:
        print(text, file=sys.stderr)
        os._exit(3)

    mock.patch.object(QMessageBox, "critical", staticmethod(critical)).start()  # for the rest of this process
    window = MainWindow(device_override=device)
    window.show()
    window.start_device_probe()
    window.runner.wait_for_done(60_000)
    height, width = (480, 640) if quick else (3000, 4000)
    window.document.load(Picture(synthetic_photo(height, width), is_gray=True), None)
    app.processEvents()

    clock, interval = QElapsedTimer(), 5
    clock.start()
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval)
    timer.timeout.connect(lambda: ticks.append(clock.nsecsElapsed() / 1e6))
    state: dict = {}
    loop = QEventLoop()  # not app.exec(): quitting the app would ask to save the unsaved document

    def submit() -> None:
        state["submitted"] = clock.nsecsElapsed() / 1e6
        operation = partial(colorize_picture, working_size=256, settings=ComputeSettings(device=device))
        window.context.run_operation("colorize", operation, "Colorize")

    def applied() -> None:
        if "applied" not in state:
            state["applied"] = clock.nsecsElapsed() / 1e6
            QTimer.singleShot(300, loop.quit)  # keep measuring while the result is painted

    window.document.changed.connect(applied)

    def failed(_kind: str, message: str) -> None:
        state.setdefault("error", message)
        loop.quit()

    window.runner.failed.connect(failed)
    timer.start()
    QTimer.singleShot(200, submit)
    loop.exec()
    timer.stop()
    if "error" in state:
        raise SystemExit(f"the colorize job failed: {state['error']}")
    gaps = [(max(0.0, b - a - interval), a) for a, b in itertools.pairwise(ticks) if b > state["submitted"]]
    worst, worst_at = max(gaps)
    late = sorted(gap for gap, _ in gaps)
    print(
        json.dumps(
            {
                "size": f"{width}x{height}",
                "job_ms": state["applied"] - state["submitted"],
                "ticks": len(late),
                "max_stall_ms": worst,
                # when the longest stall began, from the job's submission: near job_ms means showing the result
                "max_stall_at_ms": worst_at - state["submitted"],
                "p99_stall_ms": late[int(0.99 * (len(late) - 1))],
                "peak_rss_mib": peak_rss_mib(),
            }
        ),
        flush=True,
    )
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gui")
    parser.add_argument("what", choices=("start", "stall"))
    parser.add_argument("--launched", type=float, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.what == "start":
        _start(args.launched if args.launched is not None else time.time())
    else:
        _stall(args.device, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
