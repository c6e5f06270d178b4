"""The command-line entry point: sub-commands, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from latent_studio.app.cli import build_parser, main
from latent_studio.app.commands.exit_codes import EXIT_USAGE


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("gui", "info"):
        assert command in out


def test_info_runs_and_names_the_device(capsys):
    assert main(["info", "--device", "cpu", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "device: CPU" in out


def test_user_error_is_one_line_with_exit_code_2(capsys):
    assert main(["info", "--device", "tpu"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == "latent-studio: error: Unknown device 'tpu': use one of auto, cpu, cuda, mps (or cuda:N).\n"


def test_unknown_subcommand_is_a_usage_error():
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["frobnicate"])
    assert info.value.code == 2


def test_python_dash_m_app_and_no_qt_import():
    """`python -m latent_studio.app --help` works, and the CLI's import does not pull in Qt
    (it starts faster and runs headless)."""
    code = "import sys, latent_studio.app.cli as cli; cli.build_parser(); print('PySide6' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    result = subprocess.run([sys.executable, "-m", "latent_studio", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "latent-studio" in result.stdout


def test_a_file_argument_alone_opens_the_gui():
    from latent_studio.app.cli import _default_to_gui

    parser = build_parser()
    assert _default_to_gui(parser, ["-v", "photo.jpg"]) == ["-v", "gui", "photo.jpg"]
    assert _default_to_gui(parser, ["info"]) == ["info"]
    assert _default_to_gui(parser, []) == []
