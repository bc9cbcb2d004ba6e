"""Generic fixtures shared by every test directory."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ../shared/data next to the repository (benchmark networks, properties, MNIST).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not present (fresh clone); looked for {SHARED_DATA}")
    return SHARED_DATA
