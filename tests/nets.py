"""Small random networks for tests (importable helper, not a test module)."""

from __future__ import annotations

import numpy as np

import relucid as rl


def random_network(rng, n_in: int, hidden: list[int], n_out: int, *, activation="relu", alpha=0.1, scale=1.0):
    """A random dense network with the given hidden widths and identity output."""
    dims = [n_in, *hidden, n_out]
    layers = []
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        last = i == len(dims) - 2
        act = "identity" if last else activation
        layers.append(
            rl.Dense(
                rng.normal(scale=scale / np.sqrt(a), size=(b, a)),
                rng.normal(scale=0.5 * scale, size=b),
                act,
                alpha if act == "leaky_relu" else None,
            )
        )
    return rl.Network(layers)
