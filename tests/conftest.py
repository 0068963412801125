from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A fresh copy of the minimal valid course (with its catalogue beside it) to modify in a test."""
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "requirements.yml")
    target = tmp_path / "minimal"
    shutil.copytree(FIXTURES / "minimal", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
