"""pytest fixtures for the test LMS/LRS. conftest.py files only apply to their own folder, so a test folder that
needs these imports them into its own conftest.py:

    from tests.lrs.fixtures import lrs, real_lrs  # noqa: F401  (real_lrs is needed: lrs depends on it)

`lrs` is a fresh, started TestLRS per test (forwarding to the session's real LRS); `real_lrs` is the real strict
LRS (npm xapi-statements@5.0.1), one per test session, killed at the end. Both fail under CI (skip elsewhere)
when a dependency is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .real_lrs import RealLrs
from .server import TestLRS
from .validators import require_tools


@pytest.fixture(scope="session")
def real_lrs() -> Iterator[RealLrs]:
    require_tools()
    lrs = RealLrs.start()
    try:
        yield lrs
    finally:
        lrs.stop()


@pytest.fixture
def lrs(real_lrs: RealLrs) -> Iterator[TestLRS]:
    server = TestLRS(forward_to=real_lrs).start()
    try:
        yield server
    finally:
        server.stop()
