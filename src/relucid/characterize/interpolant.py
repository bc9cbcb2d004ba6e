"""The ε-relaxed interpolant as a query the verifier can answer.

Dingliwal et al. (§2) replace the property ``P: C_k y > d_k`` by

.. math::

    l_k(x, y):\\quad C_k y \\;>\\; dW_k\\, x + db_k - \\varepsilon_k,
    \\qquad dW_k = C_k W,\\ db_k = C_k b,

where ``(W, b)`` is the affine map of ``x0``'s linear region and
``ε_k = f · (C_k y0 - d_k)`` (``f`` the logit factor). On ``x0``'s region
``C_k y = dW_k x + db_k``, so its complete pattern implies ``l`` for any
``ε > 0``; a minimal sub-pattern ``σ'`` that still implies ``l`` gives the
region ``σ'(x) ∧ dW_k x + db_k >= d_k + ε_k``, on which
``C_k y > dW_k x + db_k - ε_k >= d_k``: the property holds.

``l`` mentions the *input*, which output properties cannot. We make the input
term an output: :func:`augment` appends, to every layer, ``K`` neurons that
carry ``g_k = dW_k x + o_k`` unchanged to the output. Through a relu or
leaky-relu layer a value passes unchanged when it is positive, so the offset
``o_k = 1 - min_{x in box} dW_k x`` keeps it ``>= 1`` on the input box; the
extra neurons never change phase and the original neurons keep their names
``(layer, neuron)``. The violation of ``l_k`` is then the linear output row
``C_k y - g_k <= db_k - ε_k - o_k``.
"""

from __future__ import annotations

import numpy as np

from ..network import Dense, Network
from ..verify import Conjunction, OutputAvoids

__all__ = ["augment", "relaxed_property"]


def augment(net: Network, D: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[Network, np.ndarray]:
    """``net`` with ``K`` extra outputs ``D x + o`` carried through every layer.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers.
    D : (K, n_in) array
    lo, hi : (n_in,) arrays
        The input box on which the pass-through is exact.

    Returns
    -------
    (Network, o)
        The augmented network, whose outputs are ``[net(x), D x + o]`` for
        every ``x`` in the box, and the offsets ``o`` (K,).
    """
    D = np.asarray(D, dtype=np.float64)
    K = D.shape[0]
    o = 1.0 - (D.clip(min=0) @ lo - (-D).clip(min=0) @ hi)
    layers = []
    for i, layer in enumerate(net.layers):
        n_out, n_in = layer.weight.shape
        if i == 0:
            W = np.vstack([layer.weight, D])
            b = np.concatenate([layer.bias, o])
        else:
            W = np.zeros((n_out + K, n_in + K))
            W[:n_out, :n_in] = layer.weight
            W[n_out:, n_in:] = np.eye(K)
            b = np.concatenate([layer.bias, np.zeros(K)])
        layers.append(Dense(W, b, layer.activation, layer.alpha, name=layer.name))
    return Network(layers), o


def relaxed_property(C: np.ndarray, db: np.ndarray, eps: np.ndarray, o: np.ndarray) -> OutputAvoids:
    """The violation set of ``l`` over the augmented outputs ``[y, g]``.

    One disjunct per row: ``C_k y - g_k <= db_k - ε_k - o_k`` (non-strict:
    equality violates the strict ``l_k``).
    """
    K, n_out = C.shape
    disjuncts = []
    for k in range(K):
        row = np.zeros(n_out + K)
        row[:n_out] = C[k]
        row[n_out + k] = -1.0
        disjuncts.append(Conjunction(row, [db[k] - eps[k] - o[k]]))
    return OutputAvoids(tuple(disjuncts), f"ε-relaxed interpolant ({K} rows)")
