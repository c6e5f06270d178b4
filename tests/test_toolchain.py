"""The toolchain (issue #18, point 6): ruff and mypy take their settings from pyproject and catch the bugs they
are there for, and `make lint`, `make test` (so CI) and pre-commit run the same four checks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the test extra installs ruff and mypy beside the interpreter

BUGGY = """\
import os

from latent_studio.models.errors import LatentStudioError
import numpy as np


def callbacks(names):
    out = []
    for name in names:
        out.append(lambda: name)
    return out


def pairs(a, b):
    return list(zip(a, b))


def quiet():
    try:
        os.remove("x")
    except Exception:
        pass
"""


def _ruff(source: str, filename: str) -> set[str]:
    done = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode in (0, 1), done.stderr
    return set(re.findall(r":\d+:\d+: ([A-Z]+\d+)", done.stdout))


def test_ruff_reads_the_project_rules_and_catches_bugs():
    codes = _ruff(BUGGY, "app/core/example.py")
    # a closure over the loop variable, a zip that may silently truncate, a swallowed blind except, our package
    # imported among the third-party ones
    assert {"B023", "B905", "BLE001", "SIM105", "I001"} <= codes, codes
    long_line = "x = 1  # " + "a" * 112 + "\n"  # 121 characters: over the 120 limit
    assert _ruff(long_line, "app/core/example.py") == {"E501"}
    assert _ruff(long_line[:-2] + "\n", "app/core/example.py") == set()


def test_ruff_lets_white_box_tests_reach_into_privates():
    source = "def test_it(widget):\n    assert widget._form is not None\n"
    assert "SLF001" in _ruff(source, "app/core/example.py")
    assert _ruff(source, "tests/test_example.py") == set()


def test_mypy_reads_the_project_settings(tmp_path):
    example = tmp_path / "toolchain_example.py"
    example.write_text(
        "def untyped():\n"  # no annotations: mypy skips the body unless check_untyped_defs
        "    return 1 + 'a'\n"
        "\n"
        "\n"
        "def implicit(value: int = None) -> int:\n"  # an implicit Optional
        "    return value\n"
    )
    # The project's own cache (make lint fills it just before the tests): the standard library is read once.
    settings = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(ROOT / ".mypy_cache")]
    done = subprocess.run(
        [str(BIN / "mypy"), *settings, "--no-error-summary", str(example)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "toolchain_example.py:2: error: Unsupported operand types" in done.stdout
    assert "toolchain_example.py:5: error: Incompatible default for parameter" in done.stdout


def test_make_lint_make_test_and_pre_commit_run_the_same_checks():
    makefile = (ROOT / "Makefile").read_text()
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert lint is not None
    steps = [line.strip().removeprefix("$(VENV)/bin/") for line in lint.group(1).splitlines()]
    assert steps == ["ruff check .", "ruff format --check .", "mypy", "lint-imports"]
    assert re.search(r"^test: lint$", makefile, re.M), "make test (and so CI) runs make lint's checks first"
    hooks = (ROOT / ".pre-commit-config.yaml").read_text()
    entries = re.findall(r"entry: \.venv/bin/(\S+(?: \S+)?)", hooks)
    assert entries == ["ruff check", "ruff format", "mypy", "lint-imports"]
    assert hooks.count("language: system") == 4  # the venv's pinned tools: nothing downloaded
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"ruff>=0.17,<0.18"' in pyproject and '"mypy>=2.4,<2.5"' in pyproject
