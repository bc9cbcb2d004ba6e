"""Linear relaxations of activations over an interval of pre-activations.

For a neuron with pre-activation ``z`` in ``[l, u]`` and output ``a = act(z)``,
:func:`relaxation` returns lines ``low_slope * z + low_int <= a <= up_slope * z
+ up_int`` valid on all of ``[l, u]`` (DeepPoly's choices):

* relu / leaky_relu (off slope ``s``): stable neurons are exact; an unstable
  one (``l < 0 < u``) gets the chord through ``(l, s l)`` and ``(u, u)`` and a
  line through the origin with slope 1 when ``u > -l`` and ``s`` otherwise
  (the one of the two with the smaller area). For ``s <= 1`` (negative slopes
  included) the function is convex: chord above, origin line below; for
  ``s > 1`` it is concave and the two swap.
* identity: exact.
* sigmoid / tanh: the chord on the side where the function is convex or
  concave, and otherwise lines of slope ``min(f'(l), f'(u))`` through the end
  points (sound for S-shaped functions).

``phase`` (1 on, 0 off, -1 free) is a fixed phase from a pattern: the set
being bounded is restricted to ``z >= 0`` (on) or ``z <= 0`` (off), so the
caller has already clipped ``[l, u]`` and the neuron is exact.
Arrays are batched: every argument has shape (B, n) (or broadcasts to it).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["relaxation"]


def relaxation(activation: str, l, u, alpha: float | None = None, xp=np):
    """``(low_slope, low_int, up_slope, up_int)`` for ``act`` on ``[l, u]``, elementwise.

    ``xp``: numpy, or torch for tensors (sigmoid/tanh are then computed on the CPU in numpy).
    """
    if activation == "identity":
        one = xp.ones_like(l)
        zero = xp.zeros_like(l)
        return one, zero, one, zero
    if activation in ("relu", "leaky_relu"):
        s = 0.0 if activation == "relu" else float(alpha)
        return _piecewise_linear(l, u, s, xp)
    if xp is not np:
        from ._xp import like, to_numpy

        return tuple(like(xp, v, l) for v in relaxation(activation, to_numpy(l), to_numpy(u), alpha))
    if activation == "sigmoid":
        return _s_shaped(l, u, expit, lambda z: expit(z) * (1.0 - expit(z)))
    if activation == "tanh":
        return _s_shaped(l, u, np.tanh, lambda z: 1.0 - np.tanh(z) ** 2)
    raise ValueError(f"no relaxation for activation {activation!r}")


def _piecewise_linear(l, u, s: float, xp=np):
    on = l >= 0
    off = u <= 0
    unstable = ~(on | off)
    one = xp.ones_like(l)
    stable_slope = xp.where(on, one, s * one)
    width = xp.where(unstable, u - l, one)
    chord_slope = (u - s * l) / width
    chord_int = s * l - chord_slope * l
    # Through the origin: slope 1 or s, whichever leaves the smaller area.
    origin_slope = xp.where(u > -l, one, s * one)
    if s <= 1.0:  # convex (slopes s then 1): chord above, origin line below
        up_slope = xp.where(unstable, chord_slope, stable_slope)
        up_int = xp.where(unstable, chord_int, 0.0 * one)
        low_slope = xp.where(unstable, origin_slope, stable_slope)
        low_int = xp.zeros_like(up_int)
    else:  # concave (s > 1): chord below, origin line above
        low_slope = xp.where(unstable, chord_slope, stable_slope)
        low_int = xp.where(unstable, chord_int, 0.0 * one)
        up_slope = xp.where(unstable, origin_slope, stable_slope)
        up_int = xp.zeros_like(low_int)
    return low_slope, low_int, up_slope, up_int


def _s_shaped(l, u, f, df):
    fl, fu = f(l), f(u)
    flat = (u - l) <= 1e-12
    width = np.where(flat, 1.0, u - l)
    chord = np.where(flat, 0.0, (fu - fl) / width)
    tangent = np.minimum(df(l), df(u))
    # Lower line: the chord where f is convex on [l, u] (u <= 0) would be an
    # *upper* line; f is convex for z <= 0 and concave for z >= 0.
    low_slope = np.where(l >= 0, chord, tangent)
    up_slope = np.where(u <= 0, chord, tangent)
    low_int = fl - low_slope * l
    up_int = fu - up_slope * u
    # Where the interval is (numerically) a point, use the constant value.
    low_slope = np.where(flat, 0.0, low_slope)
    up_slope = np.where(flat, 0.0, up_slope)
    low_int = np.where(flat, np.minimum(fl, fu), low_int)
    up_int = np.where(flat, np.maximum(fl, fu), up_int)
    return low_slope, low_int, up_slope, up_int
