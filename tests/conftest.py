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


@pytest.fixture(scope="session")
def mnist_test_image(shared_data):
    """``image(i)``: MNIST test image ``i`` as a float64 vector (784,) scaled to [0, 1]."""
    import numpy as np

    with np.load(shared_data / "mnist" / "mnist_test.npz") as z:
        images = z["x"]

    def image(i: int) -> "np.ndarray":
        return images[i].reshape(-1).astype(np.float64) / 255.0

    return image
