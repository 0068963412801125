"""The code stays clean under the linter and the type checker, as configured in pyproject.toml.

`ruff check` applies the rules under [tool.ruff.lint]; `ruff format --check` that every file is as
`ruff format` writes it (run `ruff format src tests benchmarks scripts` before committing); `mypy` checks
the files under [tool.mypy] (src/coursebuild).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("ruff", "check", "src", "tests", "benchmarks", "scripts"), id="ruff"),
        pytest.param(("ruff", "format", "--check", "src", "tests", "benchmarks", "scripts"), id="ruff-format"),
        pytest.param(("mypy",), id="mypy"),
    ],
)
def test_clean(command: tuple[str, ...]) -> None:
    result = run_tool(*command)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"`python -m {' '.join(command)}` exited {result.returncode}:\n{output}"
