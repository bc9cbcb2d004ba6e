"""Data archives (``.npz`` of plain arrays) for the command line and the report: never pickles.

:func:`read_npz` returns every array of the archive, or raises one
:class:`~relucid.errors.ModelFormatError` line naming the file and the cause
(missing, not a file, a single ``.npy`` array, not an archive, pickled
objects, unreadable).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import ModelFormatError

__all__ = ["read_npz"]


def read_npz(path, who: str = "") -> dict:
    """``{name: array}`` of an ``.npz`` data archive; ``who`` prefixes the error messages."""
    path = Path(path)
    pre = f"{who}: " if who else ""
    if not path.exists():
        raise ModelFormatError(f"{pre}no such data file: {str(path)!r}")
    if not path.is_file():
        raise ModelFormatError(f"{pre}not a file: {str(path)!r}")
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic == b"\x93NUMPY":
        raise ModelFormatError(f"{pre}data file {str(path)!r} is a single .npy array; save an .npz archive "
                               "with np.savez(path, X=inputs, y=labels)")
    if not magic.startswith(b"PK"):
        raise ModelFormatError(f"{pre}data file {str(path)!r} is not an .npz archive; save one with "
                               "np.savez(path, X=inputs, y=labels)")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ModelFormatError(f"{pre}data file {str(path)!r} holds pickled objects; relucid reads plain "
                                   "arrays only (save names as np.array([...], dtype=str))") from None
        raise ModelFormatError(f"{pre}cannot read data file {str(path)!r}: {exc}") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFormatError(f"{pre}cannot read data file {str(path)!r} as an .npz archive: {exc}") from None
