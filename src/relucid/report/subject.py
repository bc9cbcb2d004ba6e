"""What a report is about: a network, its data and its input domain, with where they came from.

:func:`example_subject` loads a shipped example; :func:`load_subject` reads a
user's network file and data archive and checks that they fit together. Every
section records :meth:`Subject.net_label` and :meth:`Subject.data_label`, so
the page says which files (by SHA-256 prefix) produced it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidValueError, ModelFormatError, ShapeError
from ..geometry import Box
from ..io.data import read_npz
from ..network import Network

__all__ = ["Subject", "example_subject", "load_subject"]

EXAMPLE_PREFIX = "example:"

#: Data-archive keys read by :func:`load_subject` (``x`` is accepted for ``X``).
DATA_KEYS = ("X", "y", "feature_names", "class_names", "lo", "hi")


@dataclass(frozen=True, eq=False)
class Subject:
    """A network with labelled data and a bounded input domain ``[lo, hi]``.

    ``class_names`` is empty for a regression. A single-output classifier
    (one logit, as scikit-learn's binary MLPs) predicts class 1 where the
    output is ``> 0``. ``notes`` lists what was assumed while loading (a
    domain taken from the data, labels taken from the network).
    """

    name: str
    net: Network
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    class_names: tuple
    lo: np.ndarray
    hi: np.ndarray
    net_source: str
    data_source: str
    net_digest: str
    data_digest: str
    notes: tuple = ()

    @property
    def is_classifier(self) -> bool:
        return bool(self.class_names)

    @property
    def domain(self) -> Box:
        return Box(self.lo, self.hi)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def predict(self, X) -> np.ndarray:
        """Class labels (argmax, or logit ``> 0`` for one output)."""
        return self.net.classify(np.atleast_2d(X))

    def score(self) -> tuple[str, float]:
        """("accuracy", a) for a classifier, ("RMSE", r) for a regression, on the subject's data."""
        if self.is_classifier:
            return "accuracy", float(np.mean(self.predict(self.X) == self.y))
        return "RMSE", float(np.sqrt(np.mean((self.net(self.X)[:, 0] - self.y) ** 2)))

    def median_margin_row(self) -> tuple[np.ndarray, int]:
        """The data row the sections explain, characterise and verify by default, and its index.

        The correctly classified row inside the domain whose margin (top
        score minus runner-up; ``|y0|`` for one output) is the median: neither
        on a decision boundary nor far from every one.
        """
        out = self.net(self.X)
        ok = np.flatnonzero(self.predict(self.X) == self.y) if self.is_classifier else np.arange(len(self.X))
        if len(ok) == 0:
            ok = np.arange(len(self.X))
        inside = ok[np.all((self.X[ok] >= self.lo) & (self.X[ok] <= self.hi), axis=1)]
        ok = inside if len(inside) else ok
        if out.shape[1] > 1:
            top2 = np.sort(out[ok], axis=1)[:, -2:]
            margin = top2[:, 1] - top2[:, 0]
        else:
            margin = np.abs(out[ok, 0])
        i = int(ok[np.argsort(margin, kind="stable")[len(margin) // 2]])
        return self.X[i].copy(), i

    def input_row(self, x=None) -> tuple[np.ndarray, str]:
        """``x`` as float64 and where it came from; without ``x``, :meth:`median_margin_row`."""
        if x is None:
            x, row = self.median_margin_row()
            return x, f"data row {row} (the correctly classified row of median margin)"
        return np.asarray(x, dtype=np.float64), "chosen for the tour"

    def class_name(self, c: int) -> str:
        return self.class_names[c] if 0 <= c < len(self.class_names) else f"class {c}"

    def net_label(self) -> str:
        return f"{self.net_source} (sha256 {self.net_digest}): {self.net!r}"

    def data_label(self) -> str:
        kind = f"{self.n_classes} classes" if self.is_classifier else "regression targets"
        return (f"{self.data_source} (sha256 {self.data_digest}): {len(self.X)} rows × {self.X.shape[1]} features, "
                f"{kind}; domain {self.domain_text()}")

    def domain_text(self, max_features: int = 8) -> str:
        parts = [f"{n} ∈ [{a:.4g}, {b:.4g}]" for n, a, b in zip(self.feature_names, self.lo, self.hi)]
        if len(parts) > max_features:
            parts = parts[:max_features] + [f"… ({len(parts)} features)"]
        return " × ".join(parts)


def example_subject(name: str) -> Subject:
    """A shipped example (``relucid.examples``) as a Subject."""
    from ..examples import example_path, load_example_data, load_example_network

    net = load_example_network(name)
    data = load_example_data(name)
    return Subject(
        name=name, net=net, X=data.X, y=data.y, feature_names=data.feature_names, class_names=data.class_names,
        lo=data.lo, hi=data.hi, net_source=f"example:{name} ({example_path(name, 'net').name})",
        data_source=example_path(name, "data").name, net_digest=_digest(example_path(name, "net")),
        data_digest=_digest(example_path(name, "data")),
    )


def load_subject(net_spec: str, data_path) -> Subject:
    """A user's network (a file or ``example:NAME``) and data archive, checked against each other.

    The data archive is an ``.npz`` with ``X`` (or ``x``): inputs whose rows
    flatten to the network's input size (uint8 inputs are divided by 255);
    optional ``y`` (integer labels, or
    float targets for a regression), ``feature_names``, ``class_names`` and
    the domain ``lo``, ``hi`` (default: the data's minimum and maximum per
    feature). Without ``y`` the network's own predictions are the labels.

    Raises
    ------
    ModelFormatError
        The network or data file is missing, unreadable, or of a kind relucid
        does not read (pickled objects included).
    ShapeError
        Data rows of another width than the network's input; ``y``, names or
        domain of the wrong length.
    InvalidValueError
        NaN or inf in the data; a domain with ``lo > hi``.
    """
    from ..examples import example_path
    from ..io import load

    if net_spec.startswith(EXAMPLE_PREFIX):
        name = net_spec[len(EXAMPLE_PREFIX):]
        net_path = example_path(name, "net")
        net_source = f"example:{name} ({net_path.name})"
    else:
        net_path = Path(net_spec)
        net_source = str(net_path)
    net = load(net_path)
    data_path = Path(data_path)
    arrays = read_npz(data_path, "report")
    who = f"report: data file {str(data_path)!r}"
    X = arrays.get("X", arrays.get("x"))
    if X is None:
        raise ModelFormatError(f"{who} has no array 'X' (or 'x') of inputs; it holds {', '.join(sorted(arrays)) or 'nothing'}")
    X = np.asarray(X)
    if X.ndim == 0 or X.shape[0] == 0:
        raise ShapeError(f"{who}: 'X' holds no rows")
    notes = []
    if X.dtype == np.uint8:
        notes.append("the inputs are uint8: divided by 255 (as 'relucid naps' does)")
        X = X / 255.0
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    if X.shape[1] != net.input_dim:
        raise ShapeError(f"{who} has rows of width {X.shape[1]} but the network takes {net.input_dim} inputs; "
                         "give one row per input, flattened to the network's input size")
    if not np.all(np.isfinite(X)):
        row = int(np.flatnonzero(~np.all(np.isfinite(X), axis=1))[0])
        raise InvalidValueError(f"{who}: 'X' row {row} contains NaN or inf")
    feature_names = _names(arrays.get("feature_names"), net.input_dim, "feature_names", who) or tuple(
        f"x{i}" for i in range(net.input_dim))
    y, class_names = _labels(arrays, net, X, who, notes)
    lo, hi = _domain(arrays, X, who, notes)
    return Subject(
        name=data_path.stem, net=net, X=X, y=y, feature_names=feature_names, class_names=class_names, lo=lo, hi=hi,
        net_source=net_source, data_source=str(data_path), net_digest=_digest(net_path), data_digest=_digest(data_path),
        notes=tuple(notes),
    )


def _names(arr, n: int, what: str, who: str) -> tuple | None:
    if arr is None:
        return None
    names = tuple(str(s) for s in np.ravel(arr))
    if len(names) != n:
        raise ShapeError(f"{who}: '{what}' has {len(names)} names but {n} are needed")
    return names


def _labels(arrays, net, X, who, notes):
    """(y, class_names): class_names empty for a regression."""
    y = arrays.get("y")
    n_out = net.output_dim
    if y is None:
        out = net(X)
        if n_out == 1:
            notes.append("the data has no 'y': treated as a regression, targets = the network's outputs")
            return out[:, 0], ()
        notes.append("the data has no 'y': the labels are the network's own predictions")
        y = np.argmax(out, axis=1)
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ShapeError(f"{who}: 'y' has {y.shape[0]} entries but 'X' has {X.shape[0]} rows")
    integral = y.dtype.kind in "iub" or (y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)))
    n_classes = n_out if n_out > 1 else 2
    given = arrays.get("class_names")
    names = _names(given, n_classes, "class_names", who) if given is not None and np.size(given) else None
    if integral and (n_out > 1 or set(np.unique(y).tolist()) <= {0, 1}):
        y = y.astype(np.int64)
        if y.min() < 0 or y.max() >= n_classes:
            raise ShapeError(f"{who}: labels run from {y.min()} to {y.max()} but the network has {n_classes} classes")
        return y, names or tuple(str(c) for c in range(n_classes))
    if n_out != 1:
        raise ShapeError(f"{who}: 'y' holds non-integer targets but the network has {n_out} outputs; "
                         "a regression report needs a single-output network")
    if not np.all(np.isfinite(y)):
        raise InvalidValueError(f"{who}: 'y' contains NaN or inf")
    return y.astype(np.float64), ()


def _domain(arrays, X, who, notes):
    n = X.shape[1]
    if arrays.get("lo") is not None and arrays.get("hi") is not None:
        lo = np.broadcast_to(np.asarray(arrays["lo"], dtype=np.float64).reshape(-1), (n,)).copy() \
            if np.size(arrays["lo"]) in (1, n) else None
        hi = np.broadcast_to(np.asarray(arrays["hi"], dtype=np.float64).reshape(-1), (n,)).copy() \
            if np.size(arrays["hi"]) in (1, n) else None
        if lo is None or hi is None:
            raise ShapeError(f"{who}: 'lo' and 'hi' need 1 or {n} entries; got {np.size(arrays['lo'])} and {np.size(arrays['hi'])}")
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))) or np.any(lo > hi):
            raise InvalidValueError(f"{who}: the domain [lo, hi] must be finite with lo <= hi")
    else:
        lo, hi = X.min(axis=0), X.max(axis=0)
        notes.append("the data has no 'lo'/'hi': the domain is the data's range per feature")
    flat = hi - lo <= 1e-9 * (1 + np.abs(lo))
    if flat.any():
        lo, hi = np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)
        notes.append(f"{int(flat.sum())} feature(s) are constant in the domain: widened by ±0.5")
    return lo, hi


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
