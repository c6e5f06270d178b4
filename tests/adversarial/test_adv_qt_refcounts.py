"""PySide6 must not drop references to None / True / False when it delivers signals to Python (issue #12).

PySide6-Essentials 6.12.0 on Python 3.11 (where None and the bools are not immortal) released one reference
per signal delivered to a Python slot: after a few thousand queued signals the interpreter aborted with
"Fatal Python error: bool_dealloc" (or none_dealloc), taking every unsaved picture with it. The deliveries run
in a child interpreter, so a regression fails this test with the child's own message instead of killing
pytest; the pin test catches an upgrade that skipped the measurement.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIGNALS = 3000  # 6.12.0 aborted within this many; each path below delivers this many values

CHILD = textwrap.dedent(
    """
    import json, sys, threading
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal

    N = int(sys.argv[1])
    app = QCoreApplication([])


    class Emitter(QObject):
        any_value = Signal(object)
        flag = Signal(bool)


    class Receiver(QObject):
        def __init__(self):
            super().__init__()
            self.count = 0

        def on_value(self, value):  # returns None into Qt
            self.count += 1

        def on_flag(self, value):
            self.count += 1
            return True

        def event(self, event):  # a Python override of a bool virtual: True goes back to C++
            if event.type() == QEvent.Type.User:
                self.count += 1
                return True
            return super().event(event)


    def counts():
        return {"None": sys.getrefcount(None), "True": sys.getrefcount(True), "False": sys.getrefcount(False)}


    def drain():
        for _ in range(50):
            app.processEvents()


    emitter, receiver = Emitter(), Receiver()
    emitter.any_value.connect(receiver.on_value, Qt.ConnectionType.QueuedConnection)
    emitter.flag.connect(receiver.on_flag, Qt.ConnectionType.QueuedConnection)
    drain()
    results = {}

    def measure(name, deliver, expected):
        receiver.count = 0
        before = counts()
        deliver()
        drain()
        after = counts()
        results[name] = {"delivered": receiver.count, "expected": expected,
                         "fell": {key: before[key] - after[key] for key in before}}

    def queued():
        for i in range(N):
            emitter.any_value.emit((None, True, False)[i % 3])
            emitter.flag.emit(bool(i % 2))

    def direct():
        emitter.any_value.disconnect(receiver.on_value)
        emitter.any_value.connect(receiver.on_value, Qt.ConnectionType.DirectConnection)
        for i in range(N):
            emitter.any_value.emit((None, True, False)[i % 3])

    def posted_events():
        for _ in range(N):
            QCoreApplication.postEvent(receiver, QEvent(QEvent.Type.User))

    def from_a_thread():  # as the job runner's relay: emitted on a worker thread, delivered on this one
        emitter.any_value.disconnect(receiver.on_value)
        emitter.any_value.connect(receiver.on_value, Qt.ConnectionType.QueuedConnection)
        worker = threading.Thread(target=queued)
        worker.start()
        worker.join()

    def timers():
        timer = QTimer()
        timer.setInterval(0)
        timer.timeout.connect(lambda: receiver.on_value(None))
        timer.start()
        while receiver.count < N:
            app.processEvents()
        timer.stop()

    measure("queued signals", queued, 2 * N)
    measure("direct signals", direct, N)
    measure("signals from a thread", from_a_thread, 2 * N)
    measure("posted events", posted_events, N)
    measure("timer timeouts", timers, N)
    print(json.dumps(results))
    """
)


def test_signals_and_events_keep_none_true_false_alive(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    script = tmp_path / "deliver.py"
    script.write_text(CHILD)
    done = subprocess.run(
        [sys.executable, str(script), str(SIGNALS)], capture_output=True, text=True, timeout=120, env=env
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["(no message)"]
        tail = next((line for line in lines if line.startswith("Fatal Python error")), lines[-1])
        pytest.fail(
            f"PySide6 {_installed('PySide6-Essentials')}: delivering {SIGNALS} signals killed Python "
            f"(exit {done.returncode}): {tail}"
        )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for path, result in results.items():
        assert result["delivered"] >= result["expected"], f"{path}: only {result['delivered']} delivered"
        for name, fell in result["fell"].items():
            # a leak-per-signal would show as thousands; a few come and go with the interpreter's own objects
            assert fell < 50, f"{path}: the refcount of {name} fell by {fell} over {result['expected']} deliveries"


def _pinned(package: str) -> str:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in dependencies:
        name, sep, version = requirement.partition("==")
        if name.strip().lower() == package.lower() and sep:
            return version.split(";")[0].strip()
    raise AssertionError(f"pyproject.toml does not pin {package} with '=='")


def _installed(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@pytest.mark.parametrize("package", ["PySide6-Essentials", "shiboken6"])
def test_installed_qt_binding_is_the_measured_pin(package):
    import PySide6
    import shiboken6

    pinned = _pinned(package)
    assert _installed(package) == pinned, (
        f"{package} {_installed(package)} is installed but pyproject pins {pinned}: measure the new version with "
        "tests/adversarial/test_adv_qt_refcounts.py before moving the pin"
    )
    module = PySide6 if package.startswith("PySide6") else shiboken6
    assert module.__version__ == pinned
