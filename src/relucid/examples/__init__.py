"""Small networks and data sets shipped with relucid (for the tour, docs and tests).

``load_example_network(name)`` / ``load_example_data(name)``; names are listed
by :func:`example_names`. Each network file is relucid's own pickle-free
``.npz`` format; each data set an ``.npz`` with ``X``, ``y``,
``feature_names``, ``class_names`` (empty for a regression), ``lo``, ``hi``.
``examples/train_examples.py`` of the repository makes them (fixed seeds);
``README.md`` in this folder lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import InvalidValueError, ModelFormatError

_KINDS = ("net", "data")


@dataclass(frozen=True)
class Dataset:
    """A small labelled data set with its input domain ``[lo, hi]``.

    ``y`` holds integer class labels, or float targets for a regression
    (then ``class_names`` is empty and :attr:`is_regression` is True).
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    lo: np.ndarray
    hi: np.ndarray

    @property
    def is_regression(self) -> bool:
        return not self.class_names


def example_names() -> list[str]:
    """Names of the shipped examples."""
    return sorted(p.name[: -len("_net.npz")] for p in _folder().iterdir() if p.name.endswith("_net.npz"))


def example_path(name: str, kind: str = "net") -> Path:
    """Path of the shipped file ``<name>_<kind>.npz`` (kind: "net" or "data").

    ``name`` must be one of :func:`example_names` exactly: a path such as
    ``"../../elsewhere/model"`` is refused, so only the shipped files are read.
    """
    if kind not in _KINDS:
        raise InvalidValueError(f"example_path: kind must be one of {', '.join(_KINDS)}; got {kind!r}")
    names = example_names()
    if not isinstance(name, str) or name not in names:
        raise ModelFormatError(f"no shipped example {name!r}; available: {', '.join(names)}")
    path = _folder() / f"{name}_{kind}.npz"
    if not path.is_file():
        raise ModelFormatError(f"the shipped example {name!r} has no {kind} file")
    return path


def load_example_network(name: str = "moons"):
    """The shipped network ``name`` as a :class:`relucid.Network`."""
    from ..io import load

    return load(example_path(name, "net"))


def load_example_data(name: str = "moons") -> Dataset:
    """The shipped data set ``name``."""
    with np.load(example_path(name, "data"), allow_pickle=False) as z:
        return Dataset(
            X=z["X"].astype(np.float64),
            y=z["y"].astype(np.int64) if z["y"].dtype.kind in "iub" else z["y"].astype(np.float64),
            feature_names=tuple(str(s) for s in z["feature_names"]),
            class_names=tuple(str(s) for s in z["class_names"]),
            lo=z["lo"].astype(np.float64),
            hi=z["hi"].astype(np.float64),
        )


def _folder() -> Path:
    return Path(str(resources.files(__name__)))
