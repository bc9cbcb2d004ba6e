"""Linear constraints written as text, e.g. ``"0 <= x0 <= 1, 2*x0 - x1 <= 3"``.

Grammar (whitespace ignored)::

    constraints := chain ("," chain)*          also ";" or newlines between chains
    chain       := expr (op expr)+             op: <= >= < > = ==
    expr        := ["+"|"-"] term (("+"|"-") term)*
    term        := number ["*"] var | var ["*" number] | number

Variables are ``<prefix><index>`` (``x0``, ``x_12``, ``X_3``; the prefix is
chosen by the caller, ``y`` for outputs). Strict inequalities are read as
their closures (``<`` as ``<=``), since every set in relucid is closed; an
equality gives two rows.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InvalidValueError
from .polyhedron import Polyhedron

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<var>[A-Za-z]+_?\d+|[A-Za-z]+\[\d+\])"
    r"|(?P<op><=|>=|==|<|>|=)|(?P<sym>[-+*]))"
)


def parse_constraints(text: str, dim: int, *, var: str = "x") -> Polyhedron:
    """Parse ``text`` into a Polyhedron ``{v : A v <= b}`` of dimension ``dim``.

    Parameters
    ----------
    text : str
        Comma-separated chains of linear (in)equalities.
    dim : int
        Number of variables (``var0`` .. ``var{dim-1}``).
    var : str
        Variable prefix (case-insensitive): ``"x"`` for inputs, ``"y"`` for outputs.

    Examples
    --------
    >>> P = parse_constraints("0 <= x0 <= 1, x0 + x1 <= 1", 2)
    >>> P.A.tolist(), P.b.tolist()
    ([[-1.0, 0.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0])
    """
    if not isinstance(text, str):
        raise InvalidValueError(f"constraints: expected text such as '0 <= x0 <= 1'; got {type(text).__name__}")
    rows_A, rows_b = [], []
    chains = [c for c in re.split(r"[,;\n]", text) if c.strip()]
    if not chains:
        raise InvalidValueError(
            f"constraints: no constraint found in {text!r}; write them as '0 <= {var}0 <= 1, {var}0 + {var}1 <= 1'"
        )
    for k, chain in enumerate(chains, 1):
        where = f"constraint {k} ({chain.strip()!r})"
        exprs, ops = _split_chain(chain, dim, var, where)
        for (a1, c1), op, (a2, c2) in zip(exprs, ops, exprs[1:]):
            lhs_a, lhs_c = a1 - a2, c2 - c1  # a1 x + c1 (op) a2 x + c2  →  (a1 - a2) x (op) c2 - c1
            if not lhs_a.any():
                raise InvalidValueError(f"constraints: {where} has no variable on either side")
            if op in ("<=", "<"):
                rows_A.append(lhs_a), rows_b.append(lhs_c)
            elif op in (">=", ">"):
                rows_A.append(-lhs_a), rows_b.append(-lhs_c)
            else:
                rows_A += [lhs_a, -lhs_a]
                rows_b += [lhs_c, -lhs_c]
    return Polyhedron(np.array(rows_A), np.array(rows_b))


def _split_chain(chain: str, dim: int, var: str, where: str):
    tokens = _tokenize(chain, where)
    exprs, ops, current = [], [], []
    for kind, value in tokens:
        if kind == "op":
            exprs.append(_linear(current, dim, var, where))
            ops.append(value)
            current = []
        else:
            current.append((kind, value))
    exprs.append(_linear(current, dim, var, where))
    if not ops:
        raise InvalidValueError(f"constraints: {where} has no comparison (<=, >=, =)")
    return exprs, ops


def _tokenize(text: str, where: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InvalidValueError(f"constraints: cannot read {where} at {text[pos:pos + 10]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _linear(tokens, dim: int, var: str, where: str) -> tuple[np.ndarray, float]:
    """A list of tokens → (coefficients, constant)."""
    if not tokens:
        raise InvalidValueError(f"constraints: {where} has an empty side")
    coef, const = np.zeros(dim), 0.0
    sign, factor, var_index, expect_term = 1.0, None, None, True
    i = 0

    def flush():
        nonlocal coef, const
        f = 1.0 if factor is None else factor
        if var_index is None:
            if factor is None:
                raise InvalidValueError(f"constraints: {where} has a dangling sign")
            const += sign * f
        else:
            coef[var_index] += sign * f

    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "sym" and value in "+-":
            if not expect_term:
                flush()
                sign, factor, var_index = 1.0, None, None
            sign *= -1.0 if value == "-" else 1.0
            expect_term = True
        elif kind == "sym":  # "*"
            if factor is None and var_index is None:
                raise InvalidValueError(f"constraints: {where} has '*' without a left operand")
        elif kind == "num":
            if factor is not None:
                raise InvalidValueError(f"constraints: {where} has two numbers in one term")
            factor = float(value)
            if not np.isfinite(factor):
                raise InvalidValueError(f"constraints: {where} has the number {value[:20]!r}, too large for a float")
            expect_term = False
        else:
            if var_index is not None:
                raise InvalidValueError(f"constraints: {where} multiplies two variables (not linear)")
            var_index = _var_index(value, dim, var, where)
            expect_term = False
        i += 1
    if expect_term:
        raise InvalidValueError(f"constraints: {where} ends with a sign")
    flush()
    return coef, const


def _var_index(name: str, dim: int, var: str, where: str) -> int:
    m = re.fullmatch(r"([A-Za-z]+)_?\[?(\d+)\]?", name)
    if not m or m.group(1).lower() != var.lower():
        raise InvalidValueError(f"constraints: {where} uses {name!r}; variables here are {var}0..{var}{dim - 1}")
    idx = int(m.group(2))
    if idx >= dim:
        raise InvalidValueError(
            f"constraints: {where} uses {name!r} but there are only {dim} variables ({var}0..{var}{dim - 1})"
        )
    return idx


def format_row(a, b: float, names=None, *, var: str = "x", digits: int = 4, drop_below: float = 0.0) -> str:
    """One row ``a · v <= b`` as text, e.g. ``"0.5*x0 - 1.2*x1 <= 3"`` (parseable by :func:`parse_constraints`
    when ``names`` is None).

    Coefficients with ``|a_i| <= drop_below * max|a|`` are left out (the
    rendering then says ``(+ small terms)``); the default keeps every non-zero term.
    """
    a = np.asarray(a, dtype=np.float64)
    names = [f"{var}{i}" for i in range(a.shape[0])] if names is None else list(names)
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    terms, dropped = [], False
    for i in np.flatnonzero(a):
        if abs(a[i]) <= drop_below * scale:
            dropped = True
            continue
        coef = f"{abs(a[i]):.{digits}g}"
        body = names[i] if coef == "1" else f"{coef}*{names[i]}"
        sign = "-" if a[i] < 0 else "+"
        terms.append(f"- {body}" if sign == "-" and not terms else (body if not terms else f"{sign} {body}"))
    lhs = " ".join(terms) if terms else "0"
    if dropped:
        lhs += " (+ small terms)"
    return f"{lhs} <= {float(b) + 0.0:.{digits}g}"  # + 0.0 turns -0 into 0
