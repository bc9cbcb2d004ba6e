"""``.npz`` archives read safely: never pickles, declared sizes checked before anything is decompressed.

:class:`NpzArchive` opens the zip itself (not ``np.load``): each member's
shape and dtype come from its ``.npy`` header (a few hundred bytes at the
start of the member), are checked against an
:class:`~relucid.io._limits.ElementBudget`, and only then is the array read,
with ``allow_pickle=False``. A zip bomb (a 16000 x 16000 layer of zeros
compressed to 2 MB) or a header that declares 10^10 entries is refused
before it costs memory. The limit is ``max_elements=...`` or the
environment variable ``RELUCID_MAX_ELEMENTS`` (see :mod:`relucid.io._limits`).

:func:`read_npz` returns every array of a data archive, or raises one
:class:`~relucid.errors.ModelFormatError` line naming the file and the cause
(missing, not a file, a single ``.npy`` array, not an archive, pickled
objects, too large, unreadable).
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ..errors import ModelFormatError
from ._limits import ElementBudget

__all__ = ["NpzArchive", "read_npy_header", "read_npz"]

_MAX_HEADER = 10_000  # numpy's own default for .npy headers
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError)


def read_npy_header(fp) -> tuple[tuple[int, ...], np.dtype]:
    """``(shape, dtype)`` from the ``.npy`` header at ``fp``'s position, without reading the data.

    Raises ``ValueError`` for a bad magic, an unsupported version or a header
    longer than numpy's default limit.
    """
    version = npy_format.read_magic(fp)
    if version == (1, 0):
        shape, _, dtype = npy_format.read_array_header_1_0(fp, max_header_size=_MAX_HEADER)
    elif version == (2, 0):
        shape, _, dtype = npy_format.read_array_header_2_0(fp, max_header_size=_MAX_HEADER)
    else:
        raise ValueError(f".npy format version {version} is not supported (1.0 and 2.0 are)")
    return tuple(int(d) for d in shape), dtype


class NpzArchive:
    """The ``.npy`` members of an ``.npz`` archive, read one by one under an element budget.

    Parameters
    ----------
    path : Path
    budget : ElementBudget
        Charged with each member's declared size before the member is read.
    name : str
        How messages call the file (default: the path).

    Notes
    -----
    ``files`` lists the keys as ``np.load`` does (member names without
    ``.npy``); members that are not ``.npy`` arrays are ignored.
    """

    def __init__(self, path: Path, budget: ElementBudget, name: str | None = None) -> None:
        self.path, self.budget, self.name = Path(path), budget, name or str(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except _READ_ERRORS as exc:
            raise ModelFormatError(f"could not read {self.name} as an .npz archive: {exc}") from None
        self._members = {}
        for info in self._zip.infolist():
            if info.filename.endswith(".npy") and not info.is_dir():
                self._members[info.filename[:-4]] = info
        self.files = list(self._members)

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def __contains__(self, key: str) -> bool:
        return key in self._members

    def header(self, key: str) -> tuple[tuple[int, ...], np.dtype]:
        """``(shape, dtype)`` of member ``key`` from its ``.npy`` header; the data stays compressed."""
        try:
            with self._zip.open(self._members[key]) as fp:
                return read_npy_header(fp)
        except _READ_ERRORS as exc:
            raise ModelFormatError(f"{self.name}: cannot read the header of {key!r}: {exc}") from None

    def read(self, key: str, *, kinds: str | None = None) -> np.ndarray:
        """Member ``key``: its header checked (no pickles, dtype kind in ``kinds``, size within budget), then read."""
        shape, dtype = self.header(key)
        if dtype.hasobject:
            raise ModelFormatError(f"{self.name} contains pickled object data in {key!r}; relucid never loads pickles")
        if kinds is not None and dtype.kind not in kinds:
            raise ModelFormatError(f"{self.name}: {key!r} has dtype {dtype}; expected kind {kinds!r}")
        self.budget.charge(shape, f"array {key!r}", itemsize=dtype.itemsize)
        try:
            with self._zip.open(self._members[key]) as fp:
                return npy_format.read_array(fp, allow_pickle=False, max_header_size=_MAX_HEADER)
        except _READ_ERRORS as exc:
            raise ModelFormatError(f"{self.name}: cannot read {key!r}: {exc}") from None


def read_npz(path, who: str = "", *, max_elements: int | None = None) -> dict:
    """``{name: array}`` of an ``.npz`` data archive; ``who`` prefixes the error messages.

    ``max_elements`` bounds the entries of all arrays together (default:
    ``$RELUCID_MAX_ELEMENTS`` or 10^8); it is checked from the ``.npy``
    headers before any array is decompressed.
    """
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
    budget = ElementBudget(max_elements, source=f"{pre}data file {str(path)!r}")
    try:
        with NpzArchive(path, budget, name=f"data file {str(path)!r}") as archive:
            return {key: archive.read(key) for key in archive.files}
    except ModelFormatError as exc:
        text = str(exc)
        if "pickled object" in text:
            raise ModelFormatError(f"{pre}data file {str(path)!r} holds pickled objects; relucid reads plain "
                                   "arrays only (save names as np.array([...], dtype=str))") from None
        raise ModelFormatError(text if text.startswith(pre) else f"{pre}{text}") from None
