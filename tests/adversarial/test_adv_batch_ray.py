"""Batch on Ray, bad set-ups: a cluster that cannot be reached, an address that is not one, Ray not installed.

Each is one line for the user (exit 2 on the CLI) and writes nothing; only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.core.batch_ray import check_address, connect
from latent_studio.models.errors import LatentStudioError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # it starts Ray's client and waits for the cluster, like tests/test_batch_ray.py (CI runs it)
def test_adv_an_unreachable_cluster_is_one_line_and_exit_2(tmp_path):
    pytest.importorskip("ray")
    (tmp_path / "in").mkdir()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "in" / "a.png")
    command = [
        sys.executable,
        "-m",
        "latent_studio",
        "batch",
        "colorize",
        str(tmp_path / "in"),
        str(tmp_path / "out"),
        "--device",
        "cpu",
        "--size",
        "64",
        "--no-progress",
        "--ray",
        "127.0.0.1:1",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == (
        "latent-studio: error: Cannot reach the Ray cluster at 127.0.0.1:1: Connection refused "
        "(start one with `ray start --head`, or leave out the address for a local Ray runtime).\n"
    )
    assert result.stdout == "" and not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["127.0.0.1:port", ":6379", "127.0.0.1:70000", "ray://"])
def test_adv_an_address_that_is_not_host_port_is_refused_before_any_connection(address):
    with pytest.raises(LatentStudioError) as caught:
        check_address(address)
    assert str(caught.value) == (
        f"The Ray address '{address}' is not HOST:PORT (e.g. 10.0.0.5:6379, as `ray start --head` prints)."
    )


def test_adv_a_bare_host_means_the_default_port(monkeypatch):
    seen = []
    monkeypatch.setattr("socket.create_connection", lambda where, timeout: seen.append(where) or _Closed())
    check_address("127.0.0.1")
    assert seen == [("127.0.0.1", 6379)]


class _Closed:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_adv_without_ray_the_engine_says_how_to_install_it_and_the_dialog_hides_it(monkeypatch, qtbot):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where it is not installed
    with pytest.raises(LatentStudioError) as caught:
        connect(None)
    assert str(caught.value) == "The Ray engine needs Ray: pip install 'latent-studio[cluster]'."

    from latent_studio.app.gui.batch_dialog import BatchDialog
    from latent_studio.app.gui.preferences import Preferences

    dialog = BatchDialog(Preferences(), device="cpu")
    qtbot.addWidget(dialog)
    assert not dialog._form.isRowVisible(dialog.engine_row)
    dialog.engine.setCurrentIndex(dialog.engine.findData("ray"))
    assert dialog.request().ray_address is None  # the local engine, whatever the hidden choice says
