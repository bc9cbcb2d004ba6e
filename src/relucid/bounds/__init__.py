"""Bounds on pre-activations: interval propagation and DeepPoly/CROWN back-substitution.

:func:`bounds` is the public entry point; :func:`~.deeppoly.deeppoly_bounds`
and :func:`~.interval.interval_bounds` are the batched cores the verifier
uses on many boxes at once.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValueError, ShapeError
from ..geometry import Box, Polyhedron
from ..geometry.lp import LPModel, LPStatus
from ..network import Network
from ._xp import to_numpy, torch_device
from .deeppoly import DeepPolyBounds, deeppoly_bounds
from .interval import interval_bounds

__all__ = ["DeepPolyBounds", "bounds", "deeppoly_bounds", "interval_bounds", "pattern_phases"]

METHODS = ("interval", "deeppoly")


def pattern_phases(net: Network, pattern) -> dict[int, np.ndarray]:
    """``{layer: int8 array}`` (1 on, 0 off, -1 free) of a Pattern, {} for None."""
    if pattern is None:
        return {}
    from ..regions.pattern import Pattern

    if not isinstance(pattern, Pattern):
        raise InvalidValueError(f"pattern must be a relucid.Pattern; got {type(pattern).__name__}")
    return {k: v.copy() for k, v in pattern.layer_phases(net).items()}


def input_box(net: Network, input_set) -> tuple[np.ndarray, np.ndarray]:
    """The bounding box of a bounded input set, checked against the network's input size."""
    if not isinstance(input_set, Polyhedron):
        raise InvalidValueError(f"input set must be a Box or Polyhedron; got {type(input_set).__name__}")
    if input_set.dim != net.input_dim:
        raise ShapeError(f"the input set has dimension {input_set.dim} but the network has {net.input_dim} inputs")
    if isinstance(input_set, Box):
        lo, hi = np.array(input_set.lo), np.array(input_set.hi)
    else:
        if input_set.is_empty():
            return None, None
        lo, hi = input_set.bounding_box()
    bad = np.flatnonzero(~(np.isfinite(lo) & np.isfinite(hi)))
    if bad.size:
        raise InvalidValueError(
            f"the input set is unbounded in dimension {int(bad[0])}; bounds and verification need a bounded input set"
        )
    return lo, hi


def bounds(
    net: Network, input_set, method: str = "deeppoly", pattern=None, *, device: str | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer, ``(lower, upper)`` bounds of the pre-activations over an input set.

    Parameters
    ----------
    net : Network
    input_set : Box or Polyhedron
        Must be bounded. For a Polyhedron, DeepPoly's linear bounds are
        minimised over the polyhedron exactly (two LPs per neuron); interval
        bounds use its bounding box.
    method : {"deeppoly", "interval"}
    pattern : Pattern, optional
        Fixed phases: the bounds are over the inputs that follow the pattern
        (in closure: on means ``z >= 0``), so they are never looser than
        without it.
    device : str, optional
        Run DeepPoly in torch (float64) on this device ("cpu", "cuda"); needs
        the ``torch`` extra. Box input sets only. The batched core
        :func:`deeppoly_bounds` takes torch tensors directly.

    Returns
    -------
    list of (lower, upper), one pair of (n_layer,) arrays per layer. When no
    input of the set can follow the pattern (detected by the bounds), every
    pair is ``(+inf, -inf)``.

    Examples
    --------
    >>> import relucid as rl
    >>> net = rl.Network([rl.Dense([[1.0, -1.0]], [0.0], "relu"), rl.Dense([[2.0]], [1.0])])
    >>> [(float(l[0]), float(u[0])) for l, u in rl.bounds(net, rl.Box([0, 0], [1, 1]))]
    [(-1.0, 1.0), (1.0, 3.0)]
    """
    if method not in METHODS:
        raise InvalidValueError(f"bounds: method must be one of {METHODS}; got {method!r}")
    phases = pattern_phases(net, pattern)
    lo, hi = input_box(net, input_set)
    if lo is None:  # empty polyhedron
        return _empty(net)
    if method == "interval":
        layers, infeasible = interval_bounds(net, lo[None], hi[None], phases)
    elif device is not None:
        if not isinstance(input_set, Box):
            raise InvalidValueError("bounds: device= (torch) supports Box input sets only")
        import torch

        device = torch_device(device, who="bounds")
        t_lo = torch.as_tensor(lo[None], dtype=torch.float64, device=device)
        t_hi = torch.as_tensor(hi[None], dtype=torch.float64, device=device)
        out = deeppoly_bounds(net, t_lo, t_hi, phases)
        layers = [(to_numpy(L), to_numpy(U)) for L, U in out.layers]
        infeasible = to_numpy(out.infeasible)
    else:
        concretize = None if isinstance(input_set, Box) else _lp_concretizer(input_set, lo, hi)
        out = deeppoly_bounds(net, lo[None], hi[None], phases, concretize=concretize)
        layers, infeasible = out.layers, out.infeasible
    if infeasible[0]:
        return _empty(net)
    result = [(_np(L)[0].copy(), _np(U)[0].copy()) for L, U in layers]
    if phases and method == "deeppoly":
        # A pattern makes the fixed neurons' relaxations exact, but the linear
        # bounds are still minimised over the whole box, where the phase need
        # not hold; the pattern-free bounds are valid for the subset too, so
        # intersecting keeps "a pattern never loosens a bound" true.
        free = bounds(net, input_set, method, None, device=device)
        meet = []
        for (L, U), (L0, U0) in zip(result, free):
            lo, hi = np.maximum(L, L0), np.minimum(U, U0)
            crossed = lo > hi
            if (lo - hi > EMPTY_GAP * (1 + np.abs(hi)))[crossed].any():
                return _empty(net)
            # bounds that cross by rounding only (tight bounds computed two ways)
            meet.append((np.where(crossed, hi, lo), np.where(crossed, lo, hi)))
        result = meet
    return result


#: Two valid bounds of the same pre-activation that cross by more than this
#: (relative) prove the set empty; less is rounding.
EMPTY_GAP = 1e-9


def _np(a):
    return to_numpy(a)


def _empty(net: Network):
    return [(np.full(l.out_dim, np.inf), np.full(l.out_dim, -np.inf)) for l in net.layers]


def _lp_concretizer(poly: Polyhedron, lo, hi):
    model = LPModel(poly.A, poly.b, lb=lo, ub=hi)

    def concretize(Lam, const):
        out = np.empty(Lam.shape[:2])
        for i in range(Lam.shape[1]):
            r = model.optimize(Lam[0, i])
            if r.status is LPStatus.OPTIMAL:
                out[0, i] = r.value + const[0, i]
            else:  # fall back to the bounding box: still sound
                c = Lam[0, i]
                out[0, i] = const[0, i] + c.clip(min=0) @ lo + c.clip(max=0) @ hi
        return out

    return concretize
