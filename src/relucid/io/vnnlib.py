"""VNN-LIB properties: the input set and the violation set of a verification query.

A VNN-LIB file declares inputs ``X_0 … X_{n-1}`` and outputs ``Y_0 … Y_{k-1}``
and asserts constraints over them; the conjunction of its asserts describes a
**counterexample** (``sat`` = some input of the input set gives an output in
the asserted set = the property is violated; ``unsat`` = the property holds).
:func:`load_vnnlib` splits that conjunction into

* the **input set**: a :class:`~relucid.geometry.Box` when every input
  constraint is a bound on one variable, a :class:`~relucid.geometry.Polyhedron`
  for general linear constraints, a :class:`~relucid.geometry.PolyUnion` when the
  input constraints contain a disjunction (ACAS Xu property 6); a
  :class:`~relucid.verify.query.StrictPolyhedron` when an input constraint is
  strict (``<``, ``>``): verification proves over its closure and reports
  only counterexamples that satisfy the strict rows strictly;
* the **property**: an :class:`~relucid.verify.properties.OutputAvoids` whose
  disjuncts are the output constraints in disjunctive normal form, one
  :class:`~relucid.verify.properties.Conjunction` ``C y <= d`` each, with ``<``
  and ``>`` kept as strict rows.

Supported subset (the one VNN-COMP uses): ``;`` comments, ``(declare-const
X_i Real)``, ``(assert F)`` where ``F`` is built from ``and``, ``or`` and the
comparisons ``<=``, ``>=``, ``<``, ``>``, ``=`` (chains allowed) between linear
terms: numbers (``0.5``, ``-0.5``, ``1e-3``, ``(- 0.5)``), variables,
``(+ …)``, ``(- …)``, ``(* c …)`` with at most one non-constant factor and
``(/ t c)`` by a non-zero constant. Constants are folded in float64; a
number, coefficient or bound that overflows (``inf``, ``NaN``) or underflows
to 0 is refused. Everything else is refused with a
:class:`VnnlibError` whose one-line message starts with ``file:line:``.
See ``docs/vnnlib.md``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InvalidValueError
from ..geometry import Box, Polyhedron, PolyUnion

__all__ = ["VnnlibError", "load_vnnlib", "parse_vnnlib"]

#: Largest number of disjuncts a formula may expand to in disjunctive normal form.
MAX_DISJUNCTS = 100_000

_TOKEN = re.compile(r"\(|\)|\n|;[^\n]*|[^\s();]+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_VARIABLE = re.compile(r"([XY])_(0|[1-9]\d*)")
_COMPARISONS = ("<=", ">=", "<", ">", "=")
_IGNORED_COMMANDS = ("set-logic", "set-info", "set-option", "check-sat", "get-model", "exit")
_KIND_WORD = {"X": "input", "Y": "output"}


class VnnlibError(InvalidValueError):
    """A VNN-LIB file outside the supported subset, or malformed; the message names ``file:line``."""


class _Atom(NamedTuple):
    text: str
    line: int


class _List(NamedTuple):
    items: list
    line: int  # line of the opening parenthesis


class _Var(NamedTuple):
    kind: str  # "X" or "Y"
    index: int
    line: int
    order: int  # position of the declaring command


class _Row(NamedTuple):
    """``sum coefs[v] * v <= rhs`` (``<`` when strict); ``kind`` is "X", "Y" or "" (constants only)."""

    coefs: dict
    rhs: float
    strict: bool
    kind: str
    line: int


def load_vnnlib(path, *, input_dim: int | None = None, output_dim: int | None = None, deadline=None):
    """Read a VNN-LIB file: ``(input_set, prop)``.

    Parameters
    ----------
    path : str or Path
    input_dim, output_dim : int, optional
        The network's dimensions; a file declaring other numbers of inputs or
        outputs is refused.
    deadline : relucid.deadline.Deadline, optional
        Give up parsing when it passes (:class:`~relucid.deadline.DeadlineExpired`):
        a file of 65,536 disjuncts takes seconds to read, and VNN-COMP counts
        that time against the instance's timeout.

    Returns
    -------
    input_set : Box, Polyhedron or PolyUnion
        Over ``X_0 … X_{n-1}``.
    prop : OutputAvoids
        Its disjuncts are the asserted output constraints (the violation set),
        described as ``"VNN-LIB <file name>"``.

    Raises
    ------
    VnnlibError
        No such file, or a file outside the supported subset (see the module
        docstring); the message is one line starting with ``file:line:``.
    """
    path = Path(path)
    if not path.exists():
        raise VnnlibError(f"no such file: {str(path)!r}")
    if not path.is_file():
        raise VnnlibError(f"not a file: {str(path)!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise VnnlibError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    return parse_vnnlib(text, source=str(path), input_dim=input_dim, output_dim=output_dim, deadline=deadline)


def parse_vnnlib(text: str, *, source: str = "<string>", input_dim: int | None = None,
                 output_dim: int | None = None, deadline=None):
    """Parse VNN-LIB text: ``(input_set, prop)`` as :func:`load_vnnlib` returns them.

    ``source`` names the text in error messages and in the property's description.

    Examples
    --------
    >>> box, prop = parse_vnnlib('''
    ... (declare-const X_0 Real)
    ... (declare-const Y_0 Real)
    ... (declare-const Y_1 Real)
    ... (assert (>= X_0 -1))
    ... (assert (<= X_0 1))
    ... (assert (or (and (< Y_0 Y_1)) (and (>= Y_0 5))))
    ... ''')
    >>> box
    Box(lo=[-1.0], hi=[1.0])
    >>> [c.text() for c in prop.violations(2)]
    ['y0 - y1 < 0', '-y0 <= -5']
    """
    try:
        return _Parser(text, source, deadline).run(input_dim, output_dim)
    except RecursionError:
        raise VnnlibError(f"{source}: expressions are nested too deeply") from None


class _Parser:
    def __init__(self, text: str, source: str, deadline=None) -> None:
        self.text = text
        self.source = source
        self.deadline = deadline
        self.ticks = 0
        self.vars: dict[str, _Var] = {}
        self.order = 0  # index of the command being read

    def error(self, line: int, cause: str) -> VnnlibError:
        return VnnlibError(f"{self.source}:{line}: {cause}")

    def tick(self, every: int = 4096) -> None:
        """Check the deadline once in ``every`` calls (parsing has no partial answer: it stops)."""
        self.ticks += 1
        if self.deadline is not None and self.ticks % every == 0:
            self.deadline.check(f"reading {self.source}")

    # -- driver ---------------------------------------------------------------
    def run(self, input_dim, output_dim):
        commands = self.tokenize()
        asserts = []
        for order, cmd in enumerate(commands):
            if isinstance(cmd, _Atom):
                raise self.error(cmd.line, f"unexpected {cmd.text!r} outside a command")
            head = cmd.items[0] if cmd.items else None
            if not isinstance(head, _Atom):
                raise self.error(cmd.line, "expected a command such as (declare-const …) or (assert …)")
            if head.text == "declare-const":
                self.declare(cmd, order)
            elif head.text == "assert":
                if len(cmd.items) != 2:
                    raise self.error(cmd.line, f"assert takes one formula; got {len(cmd.items) - 1}")
                asserts.append((order, cmd))
            elif head.text not in _IGNORED_COMMANDS:
                raise self.error(head.line, f"unsupported command {head.text!r} (expected declare-const or assert)")
        n_in = self.dimension("X", input_dim)
        n_out = self.dimension("Y", output_dim)

        common_in, multi_in, common_out, multi_out = [], [], [], []
        for order, cmd in asserts:
            self.order = order
            dnf = self.formula(cmd.items[1])
            self.classify(dnf, cmd.line, common_in, multi_in, common_out, multi_out)

        in_pieces = self.expand(common_in, multi_in)
        out_pieces = self.expand(common_out, multi_out)
        input_set = self.input_set(in_pieces, n_in)
        return input_set, self.output_property(out_pieces, n_out)

    # -- tokens and s-expressions ------------------------------------------------
    def tokenize(self) -> list:
        stack: list[list] = [[]]
        opens: list[int] = []
        line = 1
        for tok in _TOKEN.findall(self.text):
            self.tick(65536)
            c = tok[0]
            if c == "\n":
                line += 1
            elif c == ";":
                continue
            elif c == "(":
                stack.append([])
                opens.append(line)
            elif c == ")":
                if len(stack) == 1:
                    raise self.error(line, "unbalanced parentheses: ')' without a matching '('")
                items = stack.pop()
                stack[-1].append(_List(items, opens.pop()))
            else:
                stack[-1].append(_Atom(tok, line))
        if opens:
            raise self.error(opens[-1], "unbalanced parentheses: this '(' is never closed")
        return stack[0]

    # -- declarations ------------------------------------------------------------
    def declare(self, cmd: _List, order: int) -> None:
        items = cmd.items
        if len(items) != 3 or not all(isinstance(i, _Atom) for i in items[1:]):
            raise self.error(cmd.line, "expected (declare-const NAME Real)")
        name, sort = items[1], items[2]
        if sort.text != "Real":
            raise self.error(sort.line, f"{name.text} is declared {sort.text!r}; only Real variables are supported")
        m = _VARIABLE.fullmatch(name.text)
        if m is None:
            raise self.error(name.line, f"cannot declare {name.text!r}: VNN-LIB names inputs X_i and outputs Y_j")
        if name.text in self.vars:
            raise self.error(name.line, f"{name.text} is declared twice (first on line {self.vars[name.text].line})")
        self.vars[name.text] = _Var(m.group(1), int(m.group(2)), name.line, order)

    def dimension(self, kind: str, expected: int | None) -> int:
        word = _KIND_WORD[kind]
        decl = sorted((v.index, v.line) for v in self.vars.values() if v.kind == kind)
        if not decl:
            raise VnnlibError(f"{self.source}: declares no {word}s (expected {kind}_0, {kind}_1, …)")
        for k, (index, line) in enumerate(decl):
            if index != k:
                raise self.error(line, f"{kind}_{index} is declared but {kind}_{k} is not "
                                       f"({word}s must be numbered {kind}_0, {kind}_1, … without gaps)")
        n = len(decl)
        if expected is not None and n != int(expected):
            raise self.error(decl[-1][1], f"property declares {n} {word}{'s' * (n != 1)} "
                                          f"but the network has {int(expected)}")
        return n

    # -- formulas ----------------------------------------------------------------
    def formula(self, node) -> list[list[_Row]]:
        """Disjunctive normal form: a list of disjuncts, each a list of rows."""
        self.tick()
        if isinstance(node, _Atom):
            if node.text == "true":
                return [[]]
            if node.text == "false":
                return []
            raise self.error(node.line, f"expected a constraint such as (<= X_0 1); got {node.text!r}")
        op = self.head(node, "a constraint")
        args = node.items[1:]
        if op.text == "and":
            dnf = [[]]
            for arg in args:
                dnf = _product(dnf, self.formula(arg), lambda: self.error(
                    op.line, f"the formula has more than {MAX_DISJUNCTS} disjuncts in disjunctive normal form"))
            return dnf
        if op.text == "or":
            dnf = []
            for arg in args:
                dnf.extend(self.formula(arg))
            if len(dnf) > MAX_DISJUNCTS:
                raise self.error(op.line, f"the formula has more than {MAX_DISJUNCTS} disjuncts")
            return dnf
        if op.text in _COMPARISONS:
            if len(args) < 2:
                raise self.error(op.line, f"{op.text!r} needs at least two arguments; got {len(args)}")
            terms = [self.linear(a) for a in args]
            rows = []
            for a, b in zip(terms, terms[1:]):
                rows.extend(self.compare(op, a, b))
            return [rows]
        raise self.error(op.line, f"unsupported operator {op.text!r} in a constraint "
                                  "(supported: and, or, <=, >=, <, >, =)")

    def compare(self, op: _Atom, a, b) -> list[_Row]:
        coefs = dict(a[0])
        for v, c in b[0].items():
            coefs[v] = coefs.get(v, 0.0) - c
        coefs = {v: c for v, c in coefs.items() if c != 0.0}
        const = a[1] - b[1]  # a - b = coefs . v + const
        values = [*coefs.values(), const]
        if not all(np.isfinite(v) for v in values):
            raise self.error(op.line, f"'{op.text}' overflows float64 when its sides are subtracted "
                                      f"(a coefficient or constant becomes {_first_bad(values)}); rescale the constraint")
        kinds = {v.kind for v in coefs}
        if len(kinds) > 1:
            names = sorted(f"{v.kind}_{v.index}" for v in coefs)
            raise self.error(op.line, f"a constraint over both inputs and outputs ({', '.join(names)}) "
                                      "is not supported")
        kind = kinds.pop() if kinds else ""
        neg = {v: -c for v, c in coefs.items()}
        le = _Row(coefs, 0.0 - const, op.text == "<", kind, op.line)  # a - b <= 0 (0.0 - : no -0.0)
        ge = _Row(neg, const + 0.0, op.text == ">", kind, op.line)  # b - a <= 0
        if op.text in ("<=", "<"):
            return [le]
        if op.text in (">=", ">"):
            return [ge]
        return [le, ge]

    def linear(self, node) -> tuple[dict, float]:
        """A linear term as ``(coefficients by variable, constant)``."""
        if isinstance(node, _Atom):
            t = node.text
            var = self.vars.get(t)
            if var is not None:
                if var.order > self.order:
                    raise self.error(node.line, f"{t} is used before its declaration on line {var.line}")
                return {var: 1.0}, 0.0
            if _NUMBER.fullmatch(t):
                value = float(t)
                if not np.isfinite(value):
                    raise self.error(node.line, f"number {t} is out of the float64 range")
                if value == 0.0 and re.search(r"[1-9]", t.split("e")[0].split("E")[0]):
                    raise self.error(node.line, f"number {t} is too small for float64 (it would read as 0)")
                return {}, value
            if _VARIABLE.fullmatch(t):
                raise self.error(node.line, f"undeclared variable {t}")
            raise self.error(node.line, f"unknown symbol {t!r} (expected a declared variable or a number)")
        op = self.head(node, "a term")
        args = [self.linear(a) for a in node.items[1:]]
        if op.text == "+":
            if not args:
                raise self.error(op.line, "'+' needs at least one argument")
            return self.folded(op, _sum(args, [1.0] * len(args)))
        if op.text == "-":
            if not args:
                raise self.error(op.line, "'-' needs at least one argument")
            if len(args) == 1:
                return _sum(args, [-1.0])
            return self.folded(op, _sum(args, [1.0] + [-1.0] * (len(args) - 1)))
        if op.text == "*":
            if not args:
                raise self.error(op.line, "'*' needs at least one argument")
            variable = [a for a in args if a[0]]
            if len(variable) > 1:
                raise self.error(op.line, "nonlinear term: a product of two non-constant factors is not supported")
            scale = 1.0
            for a in args:
                if not a[0]:
                    scale *= a[1]
            if not variable:
                return self.folded(op, ({}, scale), [a[1] for a in args])
            coefs, const = variable[0]
            return self.folded(op, ({v: c * scale for v, c in coefs.items()}, const * scale),
                               [a[1] for a in args if not a[0]], (coefs, const))
        if op.text == "/":
            if len(args) < 2:
                raise self.error(op.line, "'/' needs at least two arguments")
            if any(a[0] for a in args[1:]):
                raise self.error(op.line, "nonlinear term: division by a non-constant is not supported")
            coefs, const = args[0]
            for a in args[1:]:
                if a[1] == 0.0:
                    raise self.error(op.line, "division by zero")
                before = (coefs, const)
                coefs = {v: c / a[1] for v, c in coefs.items()}
                const /= a[1]
                self.folded(op, (coefs, const), [a[1]], before)
            return coefs, const
        raise self.error(op.line, f"unsupported operator or function {op.text!r} in a term "
                                  "(supported: +, -, * and / by constants)")

    def folded(self, op: _Atom, term, factors=(), before=None):
        """``term`` after folding constants at ``op``, refused when float64 could not hold it.

        Overflow (``inf``, or ``NaN`` from ``inf - inf``) and underflow (a
        product or quotient of non-zero numbers that rounds to 0) would
        silently change or drop the constraint.
        """
        coefs, const = term
        values = [*coefs.values(), const]
        if not all(np.isfinite(v) for v in values):
            raise self.error(op.line, f"'{op.text}' overflows float64 when its constants are folded "
                                      f"(a coefficient or constant becomes {_first_bad(values)}); rescale the constraint")
        if not factors or any(f == 0.0 for f in factors):
            return coefs, const  # a sum, or a product with a zero factor: a 0 here is exact
        if before is None and not coefs and const == 0.0:
            raise self.error(op.line, f"'{op.text}' underflows float64: a product of non-zero constants is 0")
        if before is not None:
            old_coefs, old_const = before
            lost = [v for v, c in old_coefs.items() if c != 0.0 and coefs.get(v, 0.0) == 0.0]
            if lost or (old_const != 0.0 and const == 0.0):
                raise self.error(op.line, f"'{op.text}' underflows float64: a non-zero coefficient or constant "
                                          "becomes 0 when its constants are folded; rescale the constraint")
        return coefs, const

    def head(self, node: _List, what: str) -> _Atom:
        if not node.items:
            raise self.error(node.line, f"empty () where {what} was expected")
        op = node.items[0]
        if not isinstance(op, _Atom):
            raise self.error(node.line, f"expected an operator after '(' in {what}")
        return op

    # -- splitting into the input and the output part ---------------------------------
    def classify(self, dnf, line, common_in, multi_in, common_out, multi_out) -> None:
        kinds = [{r.kind for r in d} - {""} for d in dnf]
        all_kinds = set().union(*kinds)
        if len(dnf) == 1:  # a conjunction: split it row by row
            d = dnf[0]
            common_in.extend(r for r in d if r.kind == "X")
            common_out.extend(r for r in d if r.kind != "X")
            return
        if all_kinds <= {"Y"}:
            multi_out.append(dnf)
            return
        if all_kinds == {"X"}:
            multi_in.append(dnf)
            return
        # Several disjuncts over inputs and outputs: factor when they share the same input part.
        keys = [sorted(_row_key(r) for r in d if r.kind == "X") for d in dnf]
        if any(key != keys[0] for key in keys):
            for d, k in zip(dnf, kinds):
                if len(k) == 2:
                    raise self.error(next(r.line for r in d if r.kind == "X"),
                                     "mixing input and output constraints inside one disjunct is not supported")
            raise self.error(line, "a disjunction between input and output constraints is not supported")
        common_in.extend(r for r in dnf[0] if r.kind == "X")
        multi_out.append([[r for r in d if r.kind != "X"] for d in dnf])

    def expand(self, common: list[_Row], multi: list) -> list[list[_Row]]:
        """``common`` rows conjoined with each combination of the disjunctions in ``multi``."""
        pieces = [[]]
        for dnf in multi:
            pieces = _product(pieces, dnf, lambda: VnnlibError(
                f"{self.source}: the asserts expand to more than {MAX_DISJUNCTS} disjuncts"))
        return [common + p for p in pieces]

    # -- building the sets ---------------------------------------------------------
    def input_set(self, pieces: list[list[_Row]], n: int):
        sets = [self.input_piece(rows, n) for rows in pieces]
        if len(sets) == 1:
            return sets[0]
        return PolyUnion(sets, dim=n)

    def input_piece(self, rows: list[_Row], n: int):
        strict = np.array([r.strict for r in rows], dtype=bool)
        if all(len(r.coefs) == 1 for r in rows):
            lo = np.full(n, -np.inf)
            hi = np.full(n, np.inf)
            for r in rows:
                ((v, c),) = r.coefs.items()
                bound = r.rhs / c
                if not np.isfinite(bound) or (bound == 0.0 and r.rhs != 0.0):
                    raise self.error(r.line, f"the bound on X_{v.index} ({r.rhs!r} / {c!r}) is out of the "
                                             "float64 range; rescale the constraint")
                if c > 0:
                    hi[v.index] = min(hi[v.index], bound)
                else:
                    lo[v.index] = max(lo[v.index], bound)
            for i in range(n):
                side = "lower" if lo[i] == -np.inf else "upper" if hi[i] == np.inf else None
                if side is not None:
                    var = self.vars[f"X_{i}"]
                    raise self.error(var.line, f"X_{i} has no {side} bound; every input needs a lower and an "
                                               "upper bound (or give general linear input constraints)")
            if (lo <= hi).all() and not strict.any():
                return Box(lo, hi)
        if strict.any():
            from ..verify.query import StrictPolyhedron  # lazy: verify builds on io

            return StrictPolyhedron(*_matrix(rows, n), strict)
        return Polyhedron(*_matrix(rows, n))

    def output_property(self, pieces: list[list[_Row]], n: int):
        from ..verify.properties import Conjunction, OutputAvoids  # lazy: verify builds on io

        disjuncts = []
        for rows in pieces:
            self.tick(256)
            C, d = _matrix(rows, n)  # every number checked finite while folding
            disjuncts.append(Conjunction._checked(C, d, np.array([r.strict for r in rows], dtype=bool)))
        name = self.source if self.source.startswith("<") else Path(self.source).name
        return OutputAvoids(tuple(disjuncts), description=f"VNN-LIB {name}")


def _matrix(rows, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``sum(coefs) <= rhs`` over variables 0..n-1 as dense ``(A, b)``."""
    A = np.zeros((len(rows), n))
    b = np.empty(len(rows))
    for k, r in enumerate(rows):
        for v, c in r.coefs.items():
            A[k, v.index] = c
        b[k] = r.rhs
    return A, b


def _sum(terms, weights) -> tuple[dict, float]:
    coefs: dict = {}
    const = 0.0
    for (tc, tk), w in zip(terms, weights):
        for v, c in tc.items():
            coefs[v] = coefs.get(v, 0.0) + w * c
        const += w * tk
    return coefs, const


def _product(left, right, too_many):
    if len(left) * len(right) > MAX_DISJUNCTS:
        raise too_many()
    if len(right) == 1:
        if len(left) == 1:  # the common case (a conjunction): extend the list this parse made
            left[0].extend(right[0])
            return left
        return [d + right[0] for d in left]
    return [a + b for a in left for b in right]


def _first_bad(values) -> str:
    return next(repr(float(v)) for v in values if not np.isfinite(v))


def _row_key(r: _Row):
    return tuple(sorted((v.index, c) for v, c in r.coefs.items())), r.rhs, r.strict
