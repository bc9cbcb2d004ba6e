"""The sub-polytope of a region where one class wins, with a label on every row; input checks.

For a region with affine map ``y = W z + b`` the class ``c`` wins where
``(W_j - W_c) z <= b_c - b_j`` for every ``j != c``; these rows follow the
region's own rows (one per neuron, then the domain's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValueError, ShapeError
from ..geometry.domain import as_domain
from ..network import check_piecewise_linear
from ..regions.region import Region
from ..tolerances import CLASS_TIE_TOL
from .render import class_name, render_row


@dataclass(frozen=True)
class Constraint:
    """One row ``normal · x <= offset`` of an explanation, with where it comes from.

    Attributes
    ----------
    normal : ndarray of shape (input_dim,)
    offset : float
    kind : {"neuron", "domain", "class"}
    neuron : (layer, neuron) or None
        For ``kind="neuron"``: the neuron whose phase the row fixes.
    on : bool or None
        For ``kind="neuron"``: whether the row says "on" (pre-activation >= 0).
    classes : (int, int) or None
        For ``kind="class"``: ``(winner, other)``: the row says
        ``y_winner >= y_other``.
    """

    normal: np.ndarray
    offset: float
    kind: str
    neuron: tuple | None = None
    on: bool | None = None
    classes: tuple | None = None

    def label(self, class_names=None) -> str:
        """``"neuron (0, 3) on"``, ``"class 1 >= class 2"`` or ``"domain"``."""
        if self.kind == "neuron":
            return f"neuron {self.neuron} {'on' if self.on else 'off'}"
        if self.kind == "class":
            w, o = self.classes
            return f"{class_name(w, class_names)} >= {class_name(o, class_names)}"
        return "domain"

    def render(self, feature_names, *, digits: int = 4, drop_below: float = 0.0, max_terms: int | None = None) -> str:
        """The row as text in the features' names, scaled so its largest coefficient is ±1.

        Parameters
        ----------
        feature_names : sequence of str
        digits : int
            Significant digits of each number.
        drop_below : float
            Coefficients smaller than this (after scaling) are left out, and
            the text says how many.
        max_terms : int, optional
            Show only the largest this many terms, saying how many more there are.
        """
        return render_row(self.normal, self.offset, feature_names, digits=digits, drop_below=drop_below,
                          max_terms=max_terms)

    def to_dict(self, feature_names, class_names=None) -> dict:
        return {
            "kind": self.kind,
            "label": self.label(class_names),
            "neuron": None if self.neuron is None else list(self.neuron),
            "classes": None if self.classes is None else list(self.classes),
            "normal": self.normal.tolist(),
            "offset": float(self.offset),
            "text": self.render(feature_names),
        }


def class_rows(reg: Region, c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``(W_j - W_c) z <= b_c - b_j`` for ``j != c`` and the other classes ``j``."""
    W, bias = reg.affine
    others = np.delete(np.arange(W.shape[0]), c)
    return W[others] - W[c], bias[c] - bias[others], others


def class_system(reg: Region, c: int) -> tuple[np.ndarray, np.ndarray, list[Constraint]]:
    """The region's rows then the class rows, with a label for each."""
    A_c, b_c, others = class_rows(reg, c)
    P = reg.polyhedron
    A = np.vstack([P.A, A_c])
    b = np.concatenate([P.b, b_c])
    on = reg.pattern.on
    labels = []
    for i, n in enumerate(reg.row_neurons):
        if n is None:
            labels.append(Constraint(P.A[i], float(P.b[i]), "domain"))
        else:
            labels.append(Constraint(P.A[i], float(P.b[i]), "neuron", neuron=n, on=n in on))
    for k, j in enumerate(others):
        labels.append(Constraint(A_c[k], float(b_c[k]), "class", classes=(int(c), int(j))))
    return A, b, labels


def check_inputs(who: str, net, x, feature_names, class_names, domain):
    """Validate the arguments shared by why and why_not; return ``(x, feature_names, class_names, domain)``.

    ``x`` comes back as a fresh float64 vector, the names as tuples of str
    (default feature names ``x0, x1, ...``).
    """
    check_piecewise_linear(net, who=who, purpose="an explanation")
    if net.output_dim < 2:
        raise InvalidValueError(f"{who}: the network has {net.output_dim} output; explanations compare classes (>= 2 outputs)")
    try:
        x = np.array(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{who}: x must be a numeric vector; got {type(x).__name__}") from None
    if x.ndim != 1 or x.shape[0] != net.input_dim:
        raise ShapeError(
            f"{who}: x must be one input of length {net.input_dim} (the network's input_dim); got shape {x.shape}"
        )
    if not np.isfinite(x).all():
        raise InvalidValueError(f"{who}: x contains NaN or inf")
    if feature_names is None:
        names = tuple(f"x{k}" for k in range(net.input_dim))
    else:
        names = tuple(str(s) for s in feature_names)
        if len(names) != net.input_dim:
            raise ShapeError(f"{who}: feature_names has {len(names)} names but the network takes {net.input_dim} inputs")
    if class_names is not None:
        class_names = tuple(str(s) for s in class_names)
        if len(class_names) != net.output_dim:
            raise ShapeError(f"{who}: class_names has {len(class_names)} names but the network has {net.output_dim} outputs")
    domain = as_domain(domain, net.input_dim, who=who)
    if domain is not None:
        if not domain.contains(x):
            raise InvalidValueError(f"{who}: x lies outside the domain")
    return x, names, class_names, domain


def ties_at(y: np.ndarray, c: int) -> tuple:
    """Classes other than ``c`` whose score is within ``CLASS_TIE_TOL (1 + |y_c|)`` of ``y_c``."""
    tol = CLASS_TIE_TOL * (1.0 + abs(y[c]))
    return tuple(int(j) for j in np.flatnonzero(y[c] - y <= tol) if j != c)
