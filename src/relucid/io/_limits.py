"""How much memory a model or data file may make relucid allocate.

A hostile file can be tiny and still declare enormous tensors: an ONNX input
of shape (1, 200000000) is a few bytes of protobuf, a zip-compressed ``.npz``
of zeros shrinks a thousandfold, and an ``.npy`` header can declare 10^10
entries it does not hold. The readers therefore check every size a file
*declares* (tensor dims, ``.npy`` headers, folded constants, the dense layers
an import builds) against an :class:`ElementBudget` **before** allocating.

The budget counts float64-sized entries (8 bytes; a wider element, e.g. a
long string, counts as several) over the whole file. Its limit is, in order
of precedence: the ``max_elements=`` keyword of the loader, the environment
variable ``RELUCID_MAX_ELEMENTS`` (an integer, e.g. ``2e8`` or ``200000000``),
or :data:`DEFAULT_MAX_ELEMENTS`.
"""

from __future__ import annotations

import math
import os

from ..errors import InvalidValueError, ModelFormatError

__all__ = ["DEFAULT_MAX_ELEMENTS", "ENV_VAR", "ElementBudget", "check_nonempty", "max_elements"]

#: Default limit: 10^8 float64 entries (800 MB) per file.
DEFAULT_MAX_ELEMENTS: int = 100_000_000

#: Environment variable that overrides :data:`DEFAULT_MAX_ELEMENTS`.
ENV_VAR: str = "RELUCID_MAX_ELEMENTS"


def max_elements(override=None) -> int:
    """The limit in force: ``override`` if given, else ``$RELUCID_MAX_ELEMENTS``, else the default."""
    if override is not None:
        return _positive_int(override, "max_elements")
    text = os.environ.get(ENV_VAR, "").strip()
    if text:
        try:
            value = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise InvalidValueError(f"environment variable {ENV_VAR} must be a positive integer; got {text!r}") from None
        return _positive_int(value, f"environment variable {ENV_VAR}")
    return DEFAULT_MAX_ELEMENTS


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value != int(value) or value < 1:
        raise InvalidValueError(f"{what} must be a positive integer number of entries; got {value!r}")
    return int(value)


class ElementBudget:
    """Running count of the entries one file has declared, refused past ``limit``.

    Parameters
    ----------
    limit : int, optional
        See :func:`max_elements`.
    source : str
        Prefix of the messages (usually the file name).
    """

    def __init__(self, limit=None, *, source: str = "") -> None:
        self.limit = max_elements(limit)
        self.total = 0
        self.source = f"{source}: " if source else ""

    def charge(self, shape, what: str, *, itemsize: int = 8) -> int:
        """Count a tensor of ``shape`` (elements of ``itemsize`` bytes) before it is allocated.

        Returns the number of elements; raises ModelFormatError naming ``what``
        when a dimension is negative or the file's total passes the limit.
        """
        dims = tuple(int(d) for d in shape)
        if any(d < 0 for d in dims):
            raise ModelFormatError(f"{self.source}{what} declares a negative dimension in shape {dims}")
        count = math.prod(dims)
        units = count * max(1, -(-int(itemsize) // 8))
        wide = f" of {itemsize} bytes each" if itemsize > 8 else ""
        hint = f"raise it with max_elements=... or the environment variable {ENV_VAR} if you have the memory"
        if units > self.limit:
            raise ModelFormatError(
                f"{self.source}{what} of shape {dims} declares {count:,} entries{wide}, above relucid's limit "
                f"of {self.limit:,} per file; {hint}"
            )
        self.total += units
        if self.total > self.limit:
            raise ModelFormatError(
                f"{self.source}{what} of shape {dims} ({count:,} entries{wide}) brings the file's total to "
                f"{self.total:,} entries, above relucid's limit of {self.limit:,} per file; {hint}"
            )
        return count


def check_nonempty(net, source: str) -> None:
    """Refuse a network with no input, no output, or a layer of no neurons (nothing can be verified on it)."""
    if net.input_dim == 0:
        raise ModelFormatError(f"{source}: the network has 0 inputs; relucid networks take at least one input")
    for i, layer in enumerate(net.layers):
        if layer.out_dim == 0:
            last = i == len(net.layers) - 1
            where = "0 outputs" if last else f"a layer of 0 neurons (layer {i})"
            raise ModelFormatError(f"{source}: the network has {where}; every relucid layer needs at least one")
