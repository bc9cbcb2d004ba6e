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

Files are read with ``np.load(..., allow_pickle=False)``: an archive holding
object arrays (pickles, which can run code when loaded) is refused.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import ModelFormatError, RelucidError
from ..network import Dense, Network

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


def load_npz(path) -> Network:
    """Read a network written by :func:`save_npz`.

    Raises
    ------
    ModelFormatError
        Not an npz archive, a missing key (named in the message), an unknown
        format version, or pickled object data.
    InvalidValueError, ShapeError
        NaN/inf weights or layers that do not fit, prefixed with the file and layer.
    """
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFormatError(f"could not read {path} as an .npz archive: {exc}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ModelFormatError(f"{path} holds a single .npy array, not an .npz archive of a relucid network")
    with archive:
        reader = _Reader(archive, path)
        fmt = str(reader.get("format", kind="U"))
        if fmt != FORMAT:
            raise ModelFormatError(f"{path}: format {fmt!r} is not supported; this relucid reads {FORMAT!r}")
        n_layers = int(reader.get("n_layers", kind="iu"))
        if n_layers < 1:
            raise ModelFormatError(f"{path}: n_layers must be >= 1; got {n_layers}")
        layers = []
        for i in range(n_layers):
            act = str(reader.get(f"act{i}", kind="U"))
            alpha = float(reader.get(f"alpha{i}", kind="fiu")) if act == "leaky_relu" else None
            name = str(reader.get(f"name{i}", kind="U")) if f"name{i}" in archive.files else None
            try:
                layers.append(Dense(reader.get(f"W{i}", kind="fiu"), reader.get(f"b{i}", kind="fiu"), act,
                                    alpha=alpha, name=name))
            except RelucidError as exc:
                raise type(exc)(f"{path}: layer {i}: {exc}") from None
    try:
        return Network(layers)
    except RelucidError as exc:
        raise type(exc)(f"{path}: {exc}") from None


class _Reader:
    """Key access with messages that name the key and refuse pickles."""

    def __init__(self, archive, path: Path) -> None:
        self.archive, self.path = archive, path

    def get(self, key: str, *, kind: str) -> np.ndarray:
        if key not in self.archive.files:
            raise ModelFormatError(
                f"{self.path} is missing the key {key!r}; a {FORMAT} archive has format, n_layers and "
                f"W{{i}}, b{{i}}, act{{i}} for every layer"
            )
        try:
            value = self.archive[key]
        except ValueError as exc:
            if "pickle" in str(exc).lower() or "object arrays" in str(exc).lower():
                raise ModelFormatError(
                    f"{self.path} contains pickled object data in {key!r}; relucid never loads pickles"
                ) from None
            raise ModelFormatError(f"{self.path}: cannot read {key!r}: {exc}") from None
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            raise ModelFormatError(f"{self.path}: cannot read {key!r}: {exc}") from None
        if value.dtype.kind not in kind:
            raise ModelFormatError(f"{self.path}: {key!r} has dtype {value.dtype}; expected kind {kind!r}")
        return value
