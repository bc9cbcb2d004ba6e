"""relucid's own network archive: a numpy ``.npz`` file, lossless and pickle-free.

Keys (format ``relucid-network-v1``):

=============  ==============================================================
``format``     the string ``"relucid-network-v1"``
``n_layers``   number of layers ``L`` (an integer)
``W{i}``       weight of layer ``i``, float64 array (out, in)
``b{i}``       bias of layer ``i``, float64 array (out,)
``act{i}``     activation name of layer ``i`` (a 0-d unicode array)
``alpha{i}``   slope of a ``leaky_relu`` layer (only for those layers)
``name{i}``    the layer's name, when it has one (optional)
=============  ==============================================================

Files are read member by member with ``allow_pickle=False`` (see
:class:`~relucid.io.data.NpzArchive`): an archive holding object arrays
(pickles, which can run code when loaded) is refused, and each member's
declared shape is checked against the element limit before it is
decompressed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelFormatError, RelucidError
from ..network import Dense, Network
from ._limits import ElementBudget, check_nonempty
from .data import NpzArchive

__all__ = ["FORMAT", "load_npz", "save_npz"]

#: The value of the ``format`` key this version writes and reads.
FORMAT: str = "relucid-network-v1"


def save_npz(net: Network, path) -> None:
    """Write ``net`` losslessly (float64) to a ``.npz`` archive.

    Parameters
    ----------
    net : Network
    path : str or Path
        Written as given (numpy appends ``.npz`` only when the name lacks it).
    """
    if not isinstance(net, Network):
        raise ModelFormatError(f"save_npz needs a relucid.Network; got {type(net).__name__}")
    arrays: dict[str, np.ndarray] = {"format": np.str_(FORMAT), "n_layers": np.int64(len(net.layers))}
    for i, layer in enumerate(net.layers):
        arrays[f"W{i}"] = np.asarray(layer.weight, dtype=np.float64)
        arrays[f"b{i}"] = np.asarray(layer.bias, dtype=np.float64)
        arrays[f"act{i}"] = np.str_(layer.activation)
        if layer.alpha is not None:
            arrays[f"alpha{i}"] = np.float64(layer.alpha)
        if layer.name:
            arrays[f"name{i}"] = np.str_(layer.name)
    with open(path, "wb") as fh:
        np.savez(fh, **{k: np.asarray(v) for k, v in arrays.items()})


def load_npz(path, *, max_elements: int | None = None) -> Network:
    """Read a network written by :func:`save_npz`.

    Parameters
    ----------
    path : str or Path
    max_elements : int, optional
        Most float64 entries the archive may hold in all (default:
        ``$RELUCID_MAX_ELEMENTS`` or 10^8). Each member's shape is read from
        its ``.npy`` header and checked before it is decompressed, so a zip
        bomb or a header declaring 10^10 entries costs no memory.

    Raises
    ------
    ModelFormatError
        Not an npz archive, a missing key (named in the message), an unknown
        format version, pickled object data, an array where a scalar
        belongs, a network of 0 inputs or 0 outputs, or more entries than
        ``max_elements``.
    InvalidValueError, ShapeError
        NaN/inf weights or layers that do not fit, prefixed with the file and layer.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except OSError as exc:
        raise ModelFormatError(f"could not read {path} as an .npz archive: {exc}") from None
    if magic == b"\x93NUMPY":
        raise ModelFormatError(f"{path} holds a single .npy array, not an .npz archive of a relucid network")
    budget = ElementBudget(max_elements, source=str(path))
    with NpzArchive(path, budget) as archive:
        reader = _Reader(archive, path)
        fmt = reader.scalar("format", kind="U")
        if fmt != FORMAT:
            raise ModelFormatError(f"{path}: format {fmt!r} is not supported; this relucid reads {FORMAT!r}")
        n_layers = reader.scalar("n_layers", kind="iu")
        if n_layers < 1:
            raise ModelFormatError(f"{path}: n_layers must be >= 1; got {n_layers}")
        layers = []
        for i in range(n_layers):
            act = reader.scalar(f"act{i}", kind="U")
            alpha = reader.scalar(f"alpha{i}", kind="fiu") if act == "leaky_relu" else None
            name = reader.scalar(f"name{i}", kind="U") if f"name{i}" in archive else None
            try:
                layers.append(Dense(reader.get(f"W{i}", kind="fiu"), reader.get(f"b{i}", kind="fiu"), act,
                                    alpha=alpha, name=name))
            except RelucidError as exc:
                raise type(exc)(f"{path}: layer {i}: {exc}") from None
    try:
        net = Network(layers)
    except RelucidError as exc:
        raise type(exc)(f"{path}: {exc}") from None
    check_nonempty(net, str(path))
    return net


class _Reader:
    """Key access with messages that name the key; arrays come from :class:`NpzArchive` (no pickles)."""

    def __init__(self, archive: NpzArchive, path: Path) -> None:
        self.archive, self.path = archive, path

    def get(self, key: str, *, kind: str) -> np.ndarray:
        if key not in self.archive:
            raise ModelFormatError(
                f"{self.path} is missing the key {key!r}; a {FORMAT} archive has format, n_layers and "
                f"W{{i}}, b{{i}}, act{{i}} for every layer"
            )
        return self.archive.read(key, kinds=kind)

    def scalar(self, key: str, *, kind: str):
        """A one-value key as a Python str, int or float (refused when it holds an array)."""
        if key in self.archive:
            shape, _ = self.archive.header(key)
            if shape not in ((), (1,)):
                raise ModelFormatError(f"{self.path}: {key!r} must hold one value; it holds an array of shape {shape}")
        value = self.get(key, kind=kind).reshape(-1)[0]
        if kind == "U":
            return str(value)
        return int(value) if kind == "iu" else float(value)
