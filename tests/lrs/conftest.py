import pytest

from tests.lrs.fixtures import lrs, real_lrs  # noqa: F401  (the same import other test folders use)
from tests.lrs.validators import require_tools


@pytest.fixture(autouse=True)
def _lrs_tools() -> None:
    """Every test here needs the validators: fail under CI, skip elsewhere, when they are missing."""
    require_tools()
