"""Reading and writing networks: ONNX, NNet, relucid's ``.npz``, PyTorch and scikit-learn.

:func:`load` and :func:`save` choose the format from the file suffix; the
format modules (:mod:`.onnx`, :mod:`.nnet`, :mod:`.npz`) offer the options.

============  =======  =======  ======================================================
suffix        load     save     notes
============  =======  =======  ======================================================
``.onnx``     yes      yes      import converts affine ops exactly; export is Gemm + activations
``.nnet``     yes      yes      ReLU hidden layers and an affine last layer only
``.npz``      yes      yes      lossless float64, never pickles
============  =======  =======  ======================================================
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelFormatError
from ..network import Network
from .nnet import NNetModel, load_nnet, read_nnet, save_nnet
from .npz import load_npz, save_npz
from .sklearn import from_sklearn
from .torch import from_torch
from .vnnlib import VnnlibError, load_vnnlib, parse_vnnlib

__all__ = [
    "NNetModel",
    "from_sklearn",
    "from_torch",
    "load",
    "load_nnet",
    "load_npz",
    "load_onnx",
    "load_vnnlib",
    "read_nnet",
    "save",
    "save_nnet",
    "save_npz",
    "save_onnx",
]



def load_onnx(path, **kwargs) -> Network:
    """:func:`relucid.io.onnx.load_onnx` (the ``onnx`` package, ~0.8 s to import, is loaded on first use)."""
    from .onnx import load_onnx as load_

    return load_(path, **kwargs)


def save_onnx(net: Network, path, **kwargs) -> None:
    """:func:`relucid.io.onnx.save_onnx` (imports the ``onnx`` package on first use)."""
    from .onnx import save_onnx as save_

    return save_(net, path, **kwargs)


_LOADERS = {".onnx": load_onnx, ".nnet": load_nnet, ".npz": load_npz}
_SAVERS = {".onnx": save_onnx, ".nnet": save_nnet, ".npz": save_npz}


def load(path) -> Network:
    """Read a network from ``path``, choosing the format by its suffix.

    Parameters
    ----------
    path : str or Path
        A ``.onnx``, ``.nnet`` or ``.npz`` file.

    Returns
    -------
    Network

    Raises
    ------
    ModelFormatError
        No such file, an unknown suffix, or a file that cannot be read (the
        message says why); :class:`~relucid.errors.UnsupportedOperatorError`
        for operators relucid cannot convert.

    Notes
    -----
    Files are treated as untrusted: every size a file declares is checked
    before it is allocated, against ``$RELUCID_MAX_ELEMENTS`` (default 10^8
    float64 entries per file; the format loaders also take
    ``max_elements=``); ONNX external data is read only from regular files
    inside the model's folder (symlinks resolved); ``.npz`` files are never
    unpickled.

    Examples
    --------
    >>> import numpy as np, relucid as rl, tempfile, os
    >>> net = rl.Network([rl.Dense(np.eye(2), np.zeros(2), "relu")])
    >>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
    >>> rl.save(net, path)
    >>> rl.load(path)
    Network(2 → 2:relu)
    """
    path = Path(path)
    loader = _pick(_LOADERS, path, "load")
    if not path.exists():
        raise ModelFormatError(f"no such file: {str(path)!r}")
    if not path.is_file():
        raise ModelFormatError(f"not a file: {str(path)!r}")
    return loader(path)


def save(net: Network, path) -> None:
    """Write ``net`` to ``path`` in the format its suffix names.

    ``.npz`` is lossless; ``.onnx`` stores float32 weights (use
    :func:`relucid.io.save_onnx` with ``dtype="float64"`` for exact ones);
    ``.nnet`` needs ReLU hidden layers and an identity last layer.
    """
    path = Path(path)
    _pick(_SAVERS, path, "save")(net, path)


def _pick(table: dict, path: Path, verb: str):
    suffix = path.suffix.lower()
    if suffix not in table:
        raise ModelFormatError(
            f"cannot {verb} {str(path)!r}: unknown suffix {path.suffix or '(none)'!r}; "
            f"relucid {verb}s {', '.join(table)}"
        )
    return table[suffix]
