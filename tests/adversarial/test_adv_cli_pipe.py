"""A reader that leaves early (`latent-studio info | head -1`) ends the command quietly, as cat or ls would."""

from __future__ import annotations

import subprocess
import sys


def test_a_closed_pipe_is_no_traceback() -> None:
    script = "import sys; from latent_studio.app.cli import main; sys.exit(main(['info', '--device', 'cpu']))"
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # the reader goes away before the command has printed everything
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
    assert code == 0
