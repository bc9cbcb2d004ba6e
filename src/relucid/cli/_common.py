"""What the ``relucid`` commands share, in one place: argparse ``type=`` helpers, input readers, output.

Every command module of :mod:`relucid.cli` imports its helpers from here and
from nowhere else in the package, so the same value is accepted or refused
with the same message everywhere. An argparse ``type`` helper raises
:class:`argparse.ArgumentTypeError`; argparse turns it into one line
``relucid: error: argument --timeout: ...`` and exit code 2. The readers
(:func:`load_network`, :func:`parse_vector`, :func:`read_vector_file`,
:func:`read_names_file`, :func:`load_data`) and the checks
(:func:`check_domain`, :func:`check_labels`) raise relucid's own errors, which
``relucid.cli.main`` prints as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import unicodedata
from pathlib import Path

import numpy as np

from ..errors import InvalidValueError, ModelFormatError, ShapeError

__all__ = [
    "check_domain",
    "check_labels",
    "constraints_text",
    "emit",
    "figure_path",
    "jobs",
    "load_data",
    "load_network",
    "model_path",
    "nonnegative_int",
    "output_path",
    "parse_domain",
    "parse_vector",
    "positive_int",
    "positive_seconds",
    "read_names_file",
    "read_vector_file",
]

#: ``NET`` arguments starting with this name a shipped example (``example:moons``).
EXAMPLE_PREFIX = "example:"

#: Largest text file read for a vector or a list of names (bytes): far above any real input.
MAX_TEXT_BYTES = 64 * 1024 * 1024


# -- argparse types ------------------------------------------------------------------------------

def positive_seconds(text: str) -> float:
    """A timeout: a positive, finite number of seconds (``0``, negatives, ``nan``, ``inf`` refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive, finite number of seconds; got {text!r}")
    return value


def _int(text: str, expected: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}; got {text!r}") from None


def positive_int(text: str) -> int:
    """An integer >= 1."""
    value = _int(text, "an integer >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {text!r}")
    return value


def nonnegative_int(text: str) -> int:
    """An integer >= 0."""
    value = _int(text, "an integer >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}")
    return value


def jobs(text: str) -> int:
    """Parallel workers: an integer >= 1, or -1 for every core."""
    value = _int(text, "an integer >= 1 (or -1: every core)")
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1 (or -1: every core); got {text!r}")
    return value


def constraints_text(text: str) -> str:
    """Linear constraints as text (``"0 <= x0 <= 1, ..."``): an empty string is refused, not read as "none"."""
    if not text.strip(" \t\r\n,;"):
        raise argparse.ArgumentTypeError(
            f"expected constraints such as '0 <= x0 <= 1, 0 <= x1 <= 1'; got {text!r} (leave the option out for none)"
        )
    return text


def output_path(text: str) -> str:
    """A file to write: not empty, not an existing folder, in a folder that exists."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name; got an empty string")
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; name a file to write")
    parent = path.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: the folder {str(parent)!r} does not exist")
    return text


def figure_path(text: str) -> str:
    """A figure to write: :func:`output_path` whose suffix is a format matplotlib can save."""
    text = output_path(text)
    suffix = Path(text).suffix.lower().lstrip(".")
    formats = _figure_formats()
    if suffix not in formats:
        got = f"'.{suffix}'" if suffix else "no suffix"
        raise argparse.ArgumentTypeError(
            f"cannot draw {text!r}: {got} is not a figure format; use one of {', '.join('.' + f for f in formats)}"
        )
    return text


#: Suffixes ``relucid.save`` writes (checked against relucid.io in tests/cli/test_cli_hostile.py).
MODEL_SUFFIXES = (".npz", ".nnet", ".onnx")


def model_path(text: str) -> str:
    """A network file to write: :func:`output_path` whose suffix is a format ``relucid.save`` writes."""
    text = output_path(text)
    suffix = Path(text).suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"cannot save {text!r}: unknown suffix {suffix or '(none)'!r}; relucid saves {', '.join(MODEL_SUFFIXES)}"
        )
    return text


def _figure_formats() -> list[str]:
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


# -- the network and the input vector -------------------------------------------------------------

def add_input_arguments(parser, what: str = "the input") -> None:
    """``--x "0.1,0.2"`` or ``--x-file F``, one of them required (read by :func:`parse_vector`)."""
    g = parser.add_mutually_exclusive_group(required=True)
    g.add_argument("--x", help=f'{what}, comma-separated: "0.1,0.2"')
    g.add_argument("--x-file", help=f"{what} as a .npy or text file")


def load_network(spec: str):
    """A network from a path or ``example:NAME``."""
    from ..examples import load_example_network
    from ..io import load

    if spec.startswith(EXAMPLE_PREFIX):
        return load_example_network(spec[len(EXAMPLE_PREFIX) :])
    return load(Path(spec))


def parse_vector(text: str | None, file: str | None, dim: int, *, what: str = "--x") -> np.ndarray:
    """An input vector from ``--x "a,b,c"`` or ``--x-file`` (``.npy`` or text), checked against ``dim``."""
    if file is not None:
        return read_vector_file(file, dim)
    try:
        x = np.array([float(v) for v in text.replace(";", ",").split(",") if v.strip()])
    except ValueError:
        raise ShapeError(f"{what}: expected comma-separated numbers; got {text!r}") from None
    if x.shape[0] != dim:
        raise ShapeError(f"{what} has {x.shape[0]} values but the network takes {dim} inputs")
    if not np.all(np.isfinite(x)):
        raise ShapeError(f"{what} contains NaN or inf")
    return x


def parse_domain(text: str | None, net, *, x: np.ndarray | None = None):
    """``--domain`` as a Polyhedron (None without the option); an empty domain, or one without ``x``, is refused."""
    from ..geometry.parse import parse_constraints

    if text is None:
        return None
    return check_domain(parse_constraints(text, net.input_dim), text, x=x)


# -- input files ---------------------------------------------------------------------------------

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
_SEPARATORS = re.compile(r"[\s,;]+")


def read_vector_file(file: str, dim: int, *, what: str = "--x-file") -> np.ndarray:
    """A vector of ``dim`` finite floats from a ``.npy`` (numeric, never pickled) or a text file.

    Text: numbers separated by whitespace, commas or semicolons; ``#`` starts
    a comment. Anything else (an ``.npz`` archive, a pickled or non-numeric
    array, a binary file, text that is not numbers) raises a relucid error
    naming the file, and the ``.npy`` header's shape is checked before its
    data is read.
    """
    path = Path(file)
    where = f"{what} {file}"
    with path.open("rb") as fh:
        head = fh.read(8)
        fh.seek(0)
        if head.startswith(_ZIP_MAGIC):
            raise ModelFormatError(f"{where}: a zip / .npz archive; give one vector as a .npy or text file")
        if head.startswith(_NPY_MAGIC):
            x = _read_npy(fh, dim, where)
        else:
            x = _parse_numbers(_read_text(fh, where, "give a text or .npy file"), where)
    if x.shape[0] != dim:
        raise ShapeError(f"{where} has {x.shape[0]} values but the network takes {dim} inputs")
    if not np.all(np.isfinite(x)):
        raise ShapeError(f"{where} contains NaN or inf")
    return x


def _read_npy(fh, dim: int, where: str) -> np.ndarray:
    from ..io.data import read_npy_header

    try:
        shape, dtype = read_npy_header(fh)
    except (ValueError, OSError) as exc:
        raise ModelFormatError(f"{where}: not a readable .npy file ({' '.join(str(exc).split())})") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ModelFormatError(
            f"{where}: holds {dtype} values (pickled objects or non-numbers); relucid reads numeric .npy files and "
            "never loads pickles"
        )
    size = math.prod(shape)
    if size != dim:
        raise ShapeError(f"{where} has {size} values (shape {tuple(shape)}) but the network takes {dim} inputs")
    fh.seek(0)
    try:
        x = np.load(fh, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ModelFormatError(f"{where}: not a readable .npy file ({' '.join(str(exc).split())})") from None
    return np.asarray(x, dtype=np.float64).reshape(-1)


def _read_text(fh, where: str, hint: str) -> str:
    data = fh.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise InvalidValueError(f"{where}: larger than {MAX_TEXT_BYTES} bytes; not a vector or a list of names")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFormatError(f"{where}: a binary file, not UTF-8 text (byte {exc.start}); {hint}") from None
    if "\x00" in text:
        raise ModelFormatError(f"{where}: a binary file (it holds NUL bytes), not text; {hint}")
    return text


def _parse_numbers(text: str, where: str) -> np.ndarray:
    values = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0]
        for token in _SEPARATORS.split(line.strip()):
            if not token:
                continue
            try:
                values.append(float(token))
            except ValueError:
                shown = token if len(token) <= 20 else token[:20] + "…"
                raise InvalidValueError(f"{where}:{lineno}: expected numbers; got {shown!r}") from None
    return np.asarray(values, dtype=np.float64)


def read_names_file(path, n: int, flag: str, what: str) -> list[str]:
    """Names from a UTF-8 text file, one per line (blank lines skipped), checked against ``n``."""
    where = f"{flag} {path}"
    with Path(path).open("rb") as fh:
        text = _read_text(fh, where, "give a text file with one name per line")
    names = []
    for lineno, line in enumerate(text.splitlines(), 1):
        name = line.strip()
        if not name:
            continue
        bad = next((c for c in name if unicodedata.category(c) == "Cc"), None)
        if bad is not None:
            raise InvalidValueError(f"{where}:{lineno}: a name holds the control character {bad!r}")
        names.append(name)
    if len(names) != n:
        raise ShapeError(f"{where} has {len(names)} names but the network has {n} {what}s")
    return names


def load_data(path, *, scale="auto", limit=None, need_labels: bool = True):
    """``(X, y, scale)`` from an ``.npz`` with arrays ``x`` and ``y`` (``X``/``Y`` accepted)."""
    from ..io.data import read_npz

    path = Path(path)
    z = read_npz(path)
    keys = list(z)
    xk = next((k for k in ("x", "X") if k in keys), None)
    yk = next((k for k in ("y", "Y") if k in keys), None)
    if xk is None:
        raise ModelFormatError(f"{path}: no input array 'x' (arrays present: {', '.join(keys) or 'none'})")
    if need_labels and yk is None:
        raise InvalidValueError(f"{path}: labels are missing: no array 'y' (arrays present: {', '.join(keys)})")
    X = z[xk]
    y = z[yk] if yk is not None else None
    if limit is not None:
        if limit < 1:
            raise InvalidValueError(f"--limit must be >= 1; got {limit}")
        X = X[:limit]
        y = None if y is None else y[:limit]
    if scale == "auto":
        s = 1.0 / 255.0 if X.dtype == np.uint8 else 1.0
    else:
        try:
            s = float(scale)
        except ValueError:
            raise InvalidValueError(f"--scale must be a number or 'auto'; got {scale!r}") from None
    return X, y, s


# -- values that need the network ----------------------------------------------------------------

def check_domain(domain, text: str, *, x: np.ndarray | None = None, flag: str = "--domain"):
    """Refuse an empty domain (contradictory constraints) and, given ``x``, a domain that leaves ``x`` out."""
    if domain.is_empty():
        raise InvalidValueError(f"{flag} {text!r} is empty: its constraints contradict each other")
    if x is not None and not domain.contains(x):
        raise InvalidValueError(f"x lies outside the domain ({flag} {text!r})")
    return domain


def check_labels(y, n_outputs: int, where: str) -> np.ndarray:
    """Integer class labels in ``0 .. n_classes - 1`` (one output: classes 0 and 1, as ``Network.classify``)."""
    y = np.asarray(y)
    n_classes = max(int(n_outputs), 2)
    if y.ndim != 1:
        raise ShapeError(f"{where}: labels 'y' must be one label per input (a 1-D array); got shape {y.shape}")
    if y.dtype.kind not in "biuf":
        raise InvalidValueError(f"{where}: labels 'y' must be integers; got {y.dtype} values")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            raise InvalidValueError(f"{where}: labels 'y' must be integers; got {y[bad][0]!r} at row {int(np.argmax(bad))}")
    out = (y < 0) | (y >= n_classes)
    if out.any():
        i = int(np.argmax(out))
        raise InvalidValueError(
            f"{where}: label {y[i]:g} at row {i} is not a class of this network (classes 0..{n_classes - 1})"
        )
    return y.astype(np.int64)


# -- output --------------------------------------------------------------------------------------

def emit(args, payload: dict, text: str) -> None:
    """Print JSON (with --json) or text."""
    if args.json:
        print(json.dumps(payload, indent=2, default=_jsonable))
    else:
        print(text)


def _jsonable(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
