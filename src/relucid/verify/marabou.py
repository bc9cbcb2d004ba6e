"""The Marabou backend: the same verification query, decided by Marabou 2.0.

:func:`verify_marabou` builds a ``MarabouCore.InputQuery`` straight from the
network's weights (no ONNX round trip) and asks Marabou, one query per piece
of the input set and per disjunct of the property's violation set, whether a
violating input exists. ``maraboupy`` is an optional dependency
(``pip install 'relucid[marabou]'``) and is imported only when this engine is
used.

Encoding
--------
* one variable per input, bounded by the box (a polyhedron: its bounding box
  plus its rows as ``<=`` equations);
* per layer, one variable per pre-activation ``z = W x + b`` (an equation)
  and, for relu / leaky_relu layers, one per post-activation with a ReLU or
  LeakyReLU constraint (identity layers reuse the pre-activation variables;
  Marabou's LeakyReLU takes slopes in (0, 1) only, so other slopes are
  written ``relu(z) - alpha relu(-z)``, keeping the query layered);
* a pattern fixes a neuron on with ``z >= 0`` and off with ``z <= 0`` (the
  closure of ``z > 0``);
* each disjunct ``C y <= d`` of the violation set adds its rows as ``<=``
  equations on the output variables (strict rows become non-strict: the
  closure).

Because Marabou decides the *closure* in floating point, "unsat" for every
query means "proved", but every "sat" is re-checked in float64 before it is
reported: the input must lie in the input set, follow the pattern exactly and
violate the property. A point that does not check out is retried once on a
query shrunk by a small margin; if that does not give a point that checks
either, the result is "unknown", never "falsified".
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from contextlib import contextmanager

import numpy as np

from ..bounds import pattern_phases
from ..deadline import Deadline, check_timeout
from ..errors import InvalidValueError, RelucidError
from ..geometry import Box, Polyhedron
from ..network import Network, check_piecewise_linear
from ..regions.pattern import Pattern
from ..tolerances import MEMBERSHIP_TOL
from .properties import Conjunction, Property
from .query import Query, StrictPolyhedron, input_pieces
from .result import Result

__all__ = ["MarabouUnavailable", "verify_marabou"]

#: Relative margins by which a query is shrunk when Marabou's point (found on
#: the closure, up to Marabou's own tolerances) does not check out in float64:
#: first the exact closure (0), then one retry with this margin.
_RETRY_MARGINS: tuple[float, ...] = (0.0, 1e-6)
#: How close to a violation's boundary a point that does not check out must be for the note to say so.
_BOUNDARY_TOL: float = 1e-6


class MarabouUnavailable(RelucidError, ImportError):
    """The Marabou engine was asked for but ``maraboupy`` is not installed."""


def _import_marabou():
    try:
        from maraboupy import MarabouCore
    except ImportError as exc:
        raise MarabouUnavailable("the marabou engine needs maraboupy: pip install 'relucid[marabou]'") from exc
    return MarabouCore


def verify_marabou(
    net: Network,
    input_set,
    prop: Property,
    pattern: Pattern | None = None,
    timeout: float | None = None,
    *,
    verbosity: int = 0,
) -> Result:
    """Decide ``prop`` over ``input_set`` (optionally restricted to ``pattern``) with Marabou 2.0.

    Parameters
    ----------
    net : Network
        Only relu, leaky_relu and identity layers (sigmoid/tanh raise
        :class:`~relucid.errors.InvalidValueError`).
    input_set : Box, Polyhedron or PolyUnion
        A union is handled piece by piece.
    prop : Property
        Its violation set (a union of conjunctions) gives one query per
        disjunct (and per piece of the input set).
    pattern : Pattern, optional
        Only inputs following it count.
    timeout : float, optional
        Wall-clock seconds for all queries together. Marabou's own limit is in
        whole seconds, so each query gets ``ceil`` of the time left and a
        query may run up to a second past the deadline; no query is started
        after it.
    verbosity : int, default 0
        Marabou's verbosity; at 0 its standard output is discarded.

    Returns
    -------
    Result
        ``engine="marabou"``, ``method="marabou"``; ``stats`` has
        ``queries`` (Marabou calls), ``marabou_time`` (seconds inside them)
        and ``retries`` (margin retries after a point that did not check out).

    Raises
    ------
    MarabouUnavailable
        When ``maraboupy`` is not installed.
    """
    start = time.perf_counter()
    check_piecewise_linear(net, who="verify_marabou", purpose="the Marabou engine")
    pieces = input_pieces(input_set, net.input_dim, "verify_marabou")
    if not isinstance(prop, Property):
        raise InvalidValueError(f"verify_marabou: prop must be a relucid Property; got {type(prop).__name__}")
    prop.check(net.output_dim)
    disjuncts = prop.violations(net.output_dim)
    if pattern is None:
        pattern = Pattern()
    if not isinstance(pattern, Pattern):
        raise InvalidValueError(f"verify_marabou: pattern must be a relucid Pattern; got {type(pattern).__name__}")
    pattern.validate(net)
    timeout = check_timeout(timeout, who="verify_marabou")
    M = _import_marabou()

    deadline = Deadline.after(timeout)
    stats = {"queries": 0, "marabou_time": 0.0, "retries": 0}
    spurious: str | None = None
    trouble: str | None = None  # Marabou ERROR / UNKNOWN answers

    def done(status, note=None, x=None, y=None, violated=None) -> Result:
        stats["marabou_time"] = round(stats["marabou_time"], 6)
        return Result(
            status,
            counterexample=x,
            output=y,
            time=time.perf_counter() - start,
            engine="marabou",
            method="marabou",
            note=note,
            violated=violated,
            stats=dict(stats),
        )

    if not pieces:
        return done("proved", note="the input set is empty")

    phases = pattern_phases(net, pattern)
    for piece in pieces:
        bounds = _input_bounds(piece)
        if bounds is None:  # an empty piece
            continue
        exact = _exact_check(net, piece, bounds, phases, disjuncts)
        for conj in disjuncts:
            if _trivially_empty(conj):
                continue
            for attempt, margin in enumerate(_RETRY_MARGINS):
                left = deadline.seconds()
                if left is not None and left <= 0:
                    return done("unknown", note=_join("timeout", spurious, trouble))
                query = _build_query(M, net, piece, bounds, pattern, conj, margin)
                if query is None:  # the margin made a row trivially infeasible
                    break
                options = M.Options()
                options._numWorkers = 1
                options._snc = False
                options._verbosity = int(verbosity)
                options._timeoutInSeconds = 0 if left is None else max(1, math.ceil(left))
                stats["queries"] += 1
                stats["retries"] += attempt > 0
                t0 = time.perf_counter()
                exit_code, vals, errors = _solve(M, query, options, quiet=verbosity == 0)
                stats["marabou_time"] += time.perf_counter() - t0
                if exit_code == "unsat":
                    break
                if exit_code == "TIMEOUT":
                    return done("unknown", note=_join("timeout", spurious, trouble))
                if exit_code != "sat":
                    msg = f"Marabou answered {exit_code}" + (f" ({errors})" if errors else "")
                    trouble = trouble or msg
                    break
                x, why = _check(net, piece, pattern, prop, conj, vals, exact)
                if why is None:
                    y = net(x)
                    k = int(prop.violated_by(y)[0])
                    return done("falsified", x=x, y=y, violated=k)
                if spurious is None:
                    spurious = f"Marabou returned a counterexample that does not check out (spurious): {why}"
                # try the next (shrunk) margin; after the last one the disjunct stays undecided
    if spurious is not None or trouble is not None:
        return done("unknown", note=_join(spurious, trouble))
    return done("proved")


# -- input set ------------------------------------------------------------------
def _input_bounds(piece: Polyhedron) -> tuple[np.ndarray, np.ndarray] | None:
    """Variable bounds for the inputs: the box itself, or a polyhedron's bounding box; None when empty."""
    lo, hi = piece.bounding_box()
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    if (lo > hi).any():
        return None
    return lo, hi


def _trivially_empty(conj: Conjunction) -> bool:
    """Whether a row ``0 y <= d`` (``< d``) makes the disjunct empty without a query."""
    zero = ~np.any(conj.C != 0, axis=1)
    bad = zero & np.where(conj.strict, conj.d <= 0, conj.d < 0)
    return bool(bad.any())


# -- the query -------------------------------------------------------------------
def _build_query(M, net: Network, piece, bounds, pattern: Pattern, conj: Conjunction, margin: float):
    """The Marabou query for one input piece and one disjunct, shrunk by a relative ``margin``."""
    q = M.InputQuery()
    n = 0

    def new(k: int) -> list[int]:
        nonlocal n
        out = list(range(n, n + k))
        n += k
        return out

    def row(kind, coeffs, variables, scalar):
        e = M.Equation(kind)
        for c, v in zip(coeffs, variables):
            if c != 0.0:
                e.addAddend(float(c), int(v))
        e.setScalar(float(scalar))
        pending.append(e)

    pending: list = []
    bounds_lo: dict[int, float] = {}
    bounds_hi: dict[int, float] = {}

    lo, hi = bounds
    xs = new(net.input_dim)
    for i, v in enumerate(xs):
        if np.isfinite(lo[i]):
            bounds_lo[v] = float(lo[i])
        if np.isfinite(hi[i]):
            bounds_hi[v] = float(hi[i])
    if not isinstance(piece, Box):
        A, b = piece.A, piece.b
        for a, bv in zip(A, b):
            if not np.any(a != 0):
                continue  # a zero row; the bounding box already decided emptiness
            row(M.Equation.LE, a, xs, bv - margin * (1 + abs(bv)))

    relus: list[tuple[str, int, int, float]] = []

    def affine(W, bias, terms, sign=1.0):
        """Variables ``z = sign (W post + bias)``, where ``post[k]`` is the linear form ``terms[k]``."""
        zs = new(W.shape[0])
        for j, z in enumerate(zs):
            coef: dict[int, float] = {}
            for w, form in zip(W[j], terms):
                if w != 0.0:
                    for c, v in form:
                        coef[v] = coef.get(v, 0.0) + sign * w * c
            e = M.Equation(M.Equation.EQ)  # z - sum coef_v v = sign b_j
            e.addAddend(1.0, z)
            for v, c in coef.items():
                if c != 0.0:
                    e.addAddend(-float(c), int(v))
            e.setScalar(float(sign * bias[j]))
            pending.append(e)
        return zs

    # The post-activations of a layer are linear forms over variables, [(coef, var), ...] per neuron,
    # folded into the next layer's equations, so that the query stays layered (affine, activation,
    # affine, ...): Marabou 2.0 answers wrongly on a query where an affine variable also reads a
    # variable of an earlier layer (a skip connection).
    post: list[list[tuple[float, int]]] = [[(1.0, v)] for v in xs]
    for li, layer in enumerate(net.layers):
        zs = affine(layer.weight, layer.bias, post)
        if layer.has_phases:
            for j, z in enumerate(zs):
                if (li, j) in pattern.on:
                    bounds_lo[z] = max(bounds_lo.get(z, -np.inf), margin)
                elif (li, j) in pattern.off:
                    bounds_hi[z] = min(bounds_hi.get(z, np.inf), -margin)
        alpha = layer.off_slope if layer.has_phases else 1.0
        if alpha == 1.0:  # identity, or a leaky relu of slope 1
            post = [[(1.0, z)] for z in zs]
        elif alpha == 0.0:
            ys = new(layer.out_dim)
            relus += [("relu", z, y, 0.0) for z, y in zip(zs, ys)]
            post = [[(1.0, y)] for y in ys]
        elif 0.0 < alpha < 1.0:
            ys = new(layer.out_dim)
            relus += [("leaky", z, y, alpha) for z, y in zip(zs, ys)]
            post = [[(1.0, y)] for y in ys]
        else:
            # Marabou 2.0's LeakyReLU needs a slope in (0, 1) (a negative one throws, one above 1 gives
            # wrong answers): leaky(z) = relu(z) - alpha relu(-z), exact for every alpha, with -z
            # computed from the previous layer as a second affine variable.
            ns = affine(layer.weight, layer.bias, post, sign=-1.0)
            for j, zn in enumerate(ns):
                if (li, j) in pattern.on:
                    bounds_hi[zn] = min(bounds_hi.get(zn, np.inf), -margin)
                elif (li, j) in pattern.off:
                    bounds_lo[zn] = max(bounds_lo.get(zn, -np.inf), margin)
            ps, qs = new(layer.out_dim), new(layer.out_dim)
            relus += [("relu", z, p, 0.0) for z, p in zip(zs, ps)]
            relus += [("relu", zn, qv, 0.0) for zn, qv in zip(ns, qs)]
            post = [[(1.0, p), (-alpha, qv)] for p, qv in zip(ps, qs)]
    if all(len(form) == 1 and form[0][0] == 1.0 for form in post):
        outs = [form[0][1] for form in post]
    else:  # a last layer with activation: one more affine layer for the output variables
        outs = affine(np.eye(len(post)), np.zeros(len(post)), post)

    for c, dv in zip(conj.C, conj.d):
        if not np.any(c != 0):
            if dv - margin * (1 + abs(dv)) < 0:
                return None
            continue
        row(M.Equation.LE, c, outs, dv - margin * (1 + abs(dv)))

    for v, val in bounds_lo.items():
        if v in bounds_hi and val > bounds_hi[v]:
            return None  # the margin emptied a variable's range (e.g. a flat input dimension)
    q.setNumberOfVariables(n)
    for v, val in bounds_lo.items():
        q.setLowerBound(v, val)
    for v, val in bounds_hi.items():
        q.setUpperBound(v, val)
    for e in pending:
        q.addEquation(e)
    for kind, z, y, alpha in relus:
        if kind == "relu":
            M.addReluConstraint(q, z, y)
        else:
            M.addLeakyReluConstraint(q, z, y, alpha)
    for i, v in enumerate(xs):
        q.markInputVariable(v, i)
    for i, v in enumerate(outs):
        q.markOutputVariable(v, i)
    return q


# -- solving ----------------------------------------------------------------------
def _solve(M, query, options, *, quiet: bool) -> tuple[str, dict, str]:
    """``MarabouCore.solve`` with its output silenced (``quiet``); returns (exit code, values, stderr text)."""
    if not quiet:
        try:
            exit_code, vals, _ = M.solve(query, options, "")
        except RuntimeError as exc:
            return "ERROR", {}, str(exc)
        return str(exit_code), dict(vals), ""
    # MarabouCore.solve's own ``redirect`` argument leaves stdout redirected when preprocessing already
    # decides the query or on an error, so we redirect the file descriptors ourselves.
    with _silenced() as err:
        try:
            exit_code, vals, _ = M.solve(query, options, "")
        except RuntimeError as exc:
            return "ERROR", {}, str(exc)
    return str(exit_code), dict(vals), err()


@contextmanager
def _silenced():
    """Send fd 1 to /dev/null and fd 2 to a temporary file; yields a function that reads the latter."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or odd stream is not our problem
            pass
    text = {"err": ""}
    try:
        saved_out, saved_err = os.dup(1), os.dup(2)
    except OSError:  # no usable file descriptors (embedded interpreters): do not silence
        yield lambda: text["err"]
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    errfile = tempfile.TemporaryFile(mode="w+b")
    try:
        os.dup2(devnull, 1)
        os.dup2(errfile.fileno(), 2)
        yield lambda: text["err"]
    finally:
        try:
            sys.stdout.flush()
        except Exception:  # noqa: BLE001
            pass
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        os.close(saved_out)
        os.close(saved_err)
        os.close(devnull)
        errfile.seek(0)
        text["err"] = errfile.read().decode("utf-8", "replace").strip()[-500:]
        errfile.close()


# -- checking a counterexample ---------------------------------------------------
def _exact_check(net: Network, piece: Polyhedron, bounds, phases: dict, disjuncts) -> Query:
    """The query whose :meth:`~.query.Query.check_points` accepts a counterexample (the engine's own check)."""
    lo, hi = bounds
    if isinstance(piece, Box):
        A, b = np.zeros((0, net.input_dim)), np.zeros(0)
    else:
        A, b = np.asarray(piece.A), np.asarray(piece.b)
    strict = np.asarray(piece.strict) if isinstance(piece, StrictPolyhedron) else None
    return Query(net, lo, hi, A, b, phases, tuple(disjuncts), strict_rows=strict)


def _check(net: Network, piece: Polyhedron, pattern: Pattern, prop: Property, conj: Conjunction, vals: dict,
           exact: Query):
    """``(x, None)`` when Marabou's point is a genuine counterexample, else ``(x or None, reason)``.

    The verdict is :meth:`Query.check_points` (exact float64: inside the input
    set with strict rows strict, every fixed phase strict, the output in a
    disjunct); the other tests only say why a point failed.
    """
    try:
        x = np.array([float(vals[i]) for i in range(net.input_dim)], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        return None, "its solution does not give every input variable"
    if not np.isfinite(x).all():
        return x, "its input has NaN/inf entries"
    if isinstance(piece, Box):
        x = np.clip(x, piece.lo, piece.hi)
    elif not piece.contains(x, tol=MEMBERSHIP_TOL):
        worst = float(np.max(piece.A @ x - piece.b))
        return x, f"the input {_fmt(x)} lies outside the input set (a row is violated by {worst:.3g})"
    pre = net.preactivations(x)
    for li, j in sorted(pattern.on):
        if not pre[li][j] > 0:
            return x, f"neuron {(li, j)} has pre-activation {pre[li][j]:.3g} at {_fmt(x)} but the pattern fixes it on (> 0)"
    for li, j in sorted(pattern.off):
        if not pre[li][j] <= 0:
            return x, f"neuron {(li, j)} has pre-activation {pre[li][j]:.3g} at {_fmt(x)} but the pattern fixes it off (<= 0)"
    y = net(x)
    if not np.isfinite(y).all() or prop.violated_by(y)[0] < 0:
        why = f"net(x) = {_fmt(y)} at x = {_fmt(x)} does not violate the property"
        if np.isfinite(y).all() and (conj.margins(y)[0] <= _BOUNDARY_TOL * (1 + np.abs(conj.d))).all():
            why += " (it lies on the boundary of the violation set: Marabou decides its closure)"
        return x, why
    if exact.check_points(x)[0] < 0:
        return x, (f"the input {_fmt(x)} does not satisfy every input constraint exactly "
                   "(strict ones strictly; Marabou decides the closure)")
    return x, None


def _fmt(v: np.ndarray) -> str:
    v = np.asarray(v)
    if v.size > 6:
        return "[" + ", ".join(f"{t:.6g}" for t in v[:6]) + f", ... ({v.size} entries)]"
    return "[" + ", ".join(f"{t:.6g}" for t in v) + "]"


def _join(*notes) -> str | None:
    parts = [n for n in notes if n]
    return "; ".join(parts) if parts else None
