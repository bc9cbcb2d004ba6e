"""``convex_region``: Algorithm 1 of Dingliwal et al. (baseline) and their ε-relaxed interpolant.

Baseline (after Gopinath et al.): ``σ`` = the pattern of ``x0``. If the
verifier proves ``σ ⇒ P`` on the domain, return ``find_minimal(σ, P)``;
otherwise return ``σ(x) ∧ P(W x + b)`` with ``(W, b)`` the affine map of
``x0``'s region.

Relaxed (§2): for ``P: C_k y > d_k``, let ``dW_k, db_k = C_k W, C_k b`` and
``ε_k = f (C_k y0 - d_k)``; find the minimal ``σ' ⊑ σ`` implying
``l: C_k y > dW_k x + db_k - ε_k`` (see :mod:`.interpolant`) and return
``σ'(x) ∧ dW_k x + db_k >= d_k + ε_k``. For "class ``c`` wins" the rows are
``y_c - y_j`` for every ``j != c``: the conjunction over ``j``.
"""

from __future__ import annotations

import time

import numpy as np

from .._validate import as_float_array
from ..deadline import Deadline, check_timeout
from ..errors import InvalidValueError, ShapeError
from ..geometry import Polyhedron
from ..network import Network, check_piecewise_linear
from ..regions import pattern as pattern_of
from ..regions import region as region_of
from ..verify import Property
from .characterization import Characterization
from .interpolant import augment, relaxed_property
from .minimal import MinimalPattern, Oracle, as_box_or_polyhedron, minimise
from .properties import halfspace_rows

__all__ = ["convex_region"]

METHODS = ("baseline", "relaxed")


def convex_region(
    net: Network,
    x,
    prop: Property,
    method: str = "baseline",
    logit_factor: float = 0.5,
    *,
    domain: Polyhedron | None = None,
    timeout: float | None = None,
    total_timeout: float | None = None,
    witnesses: list | None = None,
    stop_early: bool = False,
) -> Characterization:
    """A set of inputs around ``x`` on which ``prop`` provably holds.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers.
    x : (input_dim,) array
        The start point ``x0``; ``prop`` must hold at ``net(x0)`` and ``x0``
        must lie in the domain.
    prop : Property
        A conjunction of output half-spaces: :class:`~relucid.ClassWins`,
        :class:`~relucid.OutputIn`, or an :class:`~relucid.OutputAvoids`
        whose violations are single rows.
    method : {"baseline", "relaxed"}
    logit_factor : float
        ``f`` in ``ε = f · margin(x0)``, strictly between 0 and 1 (relaxed
        method only; the paper's best was 0.5).
    domain : Box or Polyhedron
        The bounded input set the proofs are over; required. For tabular
        data, the data's min and max per feature.
    timeout : float, optional
        Seconds per verifier call (a call that runs out keeps its neurons
        fixed: sound, but maybe not minimal).
    total_timeout : float, optional
        Seconds for every verifier call together; once spent, the remaining
        candidates count as undecided (``minimisation.minimal`` is False).
        Without it the run time is up to ``timeout`` times the number of
        calls (one per hidden layer plus one per neuron tried).
    witnesses : list of (input_dim,) arrays, optional
        Inputs tried (by a forward pass) as counterexamples before each
        verifier call; the counterexamples found are appended. Share one list
        between calls on the same network, property and domain (e.g. a sweep
        over logit factors, largest first: a counterexample to the relaxed
        property at factor ``f`` refutes it at every smaller factor).
    stop_early : bool
        Minimise with the paper's greedy, which stops after the first layer
        that cannot be freed whole (see :func:`find_minimal`); the pattern is
        then in general not minimal. Default: a minimal pattern.

    Returns
    -------
    Characterization

    Raises
    ------
    InvalidValueError
        Unknown method, logit factor outside (0, 1), ``prop`` does not hold
        at ``x0`` (or holds with zero margin, for the relaxed method), ``x0``
        outside the domain, no domain, a property that is not a conjunction
        of half-spaces.
    ShapeError
        ``x`` of the wrong length, or a property that does not fit the
        network's outputs (a class that does not exist).

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu"),
    ...                   rl.Dense([[1.0, 0.0], [0.0, 1.0]], [1.0, 0.0])])   # y = (relu(x0)+1, relu(x1))
    >>> ch = rl.convex_region(net, [0.5, -0.5], rl.ClassWins(0), domain=rl.Box([-1, -1], [1, 1]))
    >>> ch.pattern.to_dict(), ch.contains([-1.0, -1.0]), ch.contains([0.0, 1.0])
    ({(0, 1): False}, True, False)
    """
    t0 = time.monotonic()
    who = "convex_region"
    timeout = check_timeout(timeout, who=who)
    deadline = Deadline.after(total_timeout, who=f"{who} (total_timeout)")
    if method not in METHODS:
        raise InvalidValueError(f"{who}: method must be one of {METHODS}; got {method!r}")
    check_piecewise_linear(net, who=who, purpose="characterisation")
    f = _check_logit_factor(logit_factor, who) if method == "relaxed" else None
    x0 = as_float_array(x, what=f"{who}: x", ndim=1)
    if x0.shape[0] != net.input_dim:
        raise ShapeError(f"{who}: x has {x0.shape[0]} values but the network takes {net.input_dim} inputs")
    if not np.all(np.isfinite(x0)):
        raise InvalidValueError(f"{who}: x contains NaN or inf")
    domain = as_box_or_polyhedron(domain, net.input_dim, who)
    if not np.all(x0 @ domain.A.T <= domain.b):
        raise InvalidValueError(f"{who}: x lies outside the domain; the proofs only cover the domain")
    hp = halfspace_rows(prop, net.output_dim, who=who)
    y0 = net(x0)
    if not prop.holds_at(y0)[0]:
        raise InvalidValueError(
            f"{who}: the property {prop.describe()!r} does not hold at x (output "
            f"{np.array2string(y0, precision=6)}); start from a point where it holds"
        )
    sigma = pattern_of(net, x0)
    reg = region_of(net, sigma)
    W, b = reg.affine
    n = net.input_dim
    eps = proof = minimisation = None
    if method == "baseline":
        oracle = Oracle(net, domain, prop, timeout, deadline, witnesses=_pool(witnesses))
        reached = oracle.implies(sigma) == "proved"
        if reached:
            pat, visited_all = minimise(net, sigma, oracle, stop_early=stop_early)
            G, h, strict = np.zeros((0, n)), np.zeros(0), np.zeros(0, dtype=bool)
            proof = (net, prop)
        else:  # σ(x) ∧ P(W x + b):  C (W x + b) > d  ⇔  -C W x < C b - d
            pat = sigma
            G, h, strict = -hp.C @ W, hp.C @ b - hp.d, hp.strict.copy()
    else:
        margin = hp.margins(y0)[0]
        if np.any(margin <= 0):
            k = int(np.argmin(margin))
            raise InvalidValueError(
                f"{who}: x lies on the boundary of the property (row {k} has margin {margin[k]:g}); "
                "the relaxed method needs a positive margin, ε = logit_factor · margin"
            )
        eps = f * margin
        D, db = hp.C @ W, hp.C @ b
        lo, hi = domain.bounding_box()
        aug, o = augment(net, D, lo, hi)
        rprop = relaxed_property(hp.C, db, eps, o)
        oracle = Oracle(aug, domain, rprop, timeout, deadline, witnesses=_pool(witnesses))
        pat, visited_all = minimise(aug, sigma, oracle, stop_early=stop_early)  # σ ⇒ l holds by construction: no first call
        reached = True
        G, h, strict = -D, db - hp.d - eps, np.zeros(D.shape[0], dtype=bool)
        proof = (aug, rprop)
    if reached:
        minimisation = MinimalPattern(pat, oracle.calls, oracle.cached, oracle.unknown,
                                      oracle.unknown == 0 and visited_all, time.monotonic() - t0)
    constraints = Polyhedron(np.asarray(G, dtype=np.float64).reshape(-1, n), np.asarray(h, dtype=np.float64))
    poly, exact = _inner_polyhedron(reg, pat, constraints, domain)
    return Characterization(
        network=net, x0=x0, prop=prop, method=method, logit_factor=f, domain=domain, pattern=pat,
        start_pattern=sigma, constraints=constraints, strict=np.asarray(strict, dtype=bool), polyhedron=poly,
        exact=exact, reached_find_minimal=reached, minimisation=minimisation, verifier_calls=oracle.calls,
        epsilon=eps, proof=proof, time=time.monotonic() - t0,
    )


def _inner_polyhedron(reg, pat, constraints, domain) -> tuple[Polyhedron, bool]:
    """The convex part: x0's phases on the layers before the last constrained one, then ``pat``'s.

    A neuron's row depends only on the phases of earlier layers, so the rows
    of ``x0``'s region for the kept neurons are exactly right when every
    neuron of those earlier layers takes ``x0``'s phase.
    """
    fixed = pat.fixed
    last = max((layer for layer, _ in fixed), default=None)
    keep = [
        i for i, name in enumerate(reg.row_neurons)
        if name is not None and last is not None and (name[0] < last or name in fixed)
    ]
    exact = last is None or all(name in fixed for name in reg.row_neurons if name is not None and name[0] < last)
    A = np.vstack([reg.polyhedron.A[keep], constraints.A, domain.A])
    b = np.concatenate([reg.polyhedron.b[keep], constraints.b, domain.b])
    return Polyhedron(A, b), bool(exact)


def _pool(witnesses) -> list:
    if witnesses is None:
        return []
    if not isinstance(witnesses, list):
        raise InvalidValueError(f"convex_region: witnesses must be a list (it is appended to); got {type(witnesses).__name__}")
    return witnesses


def _check_logit_factor(f, who: str) -> float:
    try:
        value = float(f)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{who}: logit_factor must be a number strictly between 0 and 1; got {f!r}") from None
    if isinstance(f, bool) or not (0.0 < value < 1.0):
        raise InvalidValueError(
            f"{who}: logit_factor must be strictly between 0 and 1 (ε = logit_factor · margin of x); got {f!r}"
        )
    return value
