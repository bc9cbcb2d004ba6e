"""The NNet text format of the ACAS Xu networks (Julian et al., sisl/NNet).

Layout of a ``.nnet`` file (values separated by commas, lines may end in one)::

    // any number of comment lines
    numLayers, inputSize, outputSize, maxLayerSize
    size_0, size_1, ..., size_numLayers          (size_0 = inputSize)
    0                                            (an unused flag)
    input minimums                               (inputSize values)
    input maximums                               (inputSize values)
    means                                        (inputSize values, then the output mean)
    ranges                                       (inputSize values, then the output range)
    for each layer: its weight matrix row by row (size_{i+1} rows of size_i values),
                    then its biases (size_{i+1} values, one a line)

The stored network acts on normalised inputs ``(x - mean) / range`` and its
outputs are de-normalised as ``y * range_out + mean_out``; hidden layers are
ReLU, the last layer is affine. relucid folds both normalisations into the
first and last layers, so the :class:`~relucid.network.Network` works in raw
units. The input minimums/maximums, which NNet evaluators use to *clip* the
input, are **not** applied by the network (clipping is not affine): they are
returned by :func:`read_nnet` as the domain the network was meant for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validate import readonly
from ..errors import InvalidValueError, ModelFormatError, RelucidError, UnsupportedOperatorError
from ..network import Dense, Network

__all__ = ["NNetModel", "load_nnet", "read_nnet", "save_nnet"]

_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True, eq=False)
class NNetModel:
    """The contents of a ``.nnet`` file.

    Attributes
    ----------
    network : Network
        In raw units: normalisations folded in, no input clipping.
    input_mins, input_maxs : arrays of shape (input_dim,)
        The box NNet evaluators clip inputs to (raw units).
    input_means, input_ranges : arrays of shape (input_dim,)
        Input normalisation ``(x - mean) / range`` of the stored weights.
    output_mean, output_range : float
        Output de-normalisation ``y * range + mean`` of the stored weights.
    """

    network: Network
    input_mins: np.ndarray
    input_maxs: np.ndarray
    input_means: np.ndarray
    input_ranges: np.ndarray
    output_mean: float
    output_range: float


def load_nnet(path) -> Network:
    """Read a ``.nnet`` file; the network of :func:`read_nnet`."""
    return read_nnet(path).network


def read_nnet(path) -> NNetModel:
    """Read a ``.nnet`` file with its normalisation data; see the module docstring.

    Raises
    ------
    ModelFormatError
        The header or the number of values does not match the format, or a range is zero.
    InvalidValueError
        NaN/inf values (the message names the line) or an input minimum above its maximum.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"could not read NNet file {path}: {exc}") from None
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("//")]
    try:
        return _parse(lines, path)
    except RelucidError as exc:
        raise type(exc)(f"{path}: {exc}") from None


def _numbers(line: tuple[int, str], what: str, *, kind=float, count: int | None = None) -> list:
    n, text = line
    try:
        values = [kind(tok) for tok in _SPLIT.split(text) if tok]
    except ValueError:
        raise ModelFormatError(f"line {n} ({what}) must hold numbers; got {text[:60]!r}") from None
    if count is not None and len(values) < count:
        raise ModelFormatError(f"line {n} ({what}) must hold {count} values; got {len(values)}")
    return values[:count] if count is not None else values


def _finite(line: tuple[int, str], what: str, *, count: int | None = None) -> list[float]:
    """The numbers of a line, refusing NaN and inf (an infinite range would silently zero the weights)."""
    values = _numbers(line, what, count=count)
    bad = [v for v in values if not math.isfinite(v)]
    if bad:
        raise InvalidValueError(f"line {line[0]} ({what}) holds the NaN/inf value {bad[0]!r}; all values must be finite")
    return values


def _parse(lines: list[tuple[int, str]], path: Path) -> NNetModel:
    if len(lines) < 7:
        raise ModelFormatError(f"too short for an NNet file: {len(lines)} non-comment lines, the header alone has 7")
    n_layers, n_in, n_out, _ = _numbers(lines[0], "numLayers, inputSize, outputSize, maxLayerSize", kind=int, count=4)
    sizes = _numbers(lines[1], "layer sizes", kind=int, count=n_layers + 1)
    if n_layers < 1 or sizes[0] != n_in or sizes[-1] != n_out or min(sizes) < 1:
        raise ModelFormatError(
            f"layer sizes {sizes} do not fit the header (numLayers={n_layers}, inputSize={n_in}, outputSize={n_out})"
        )
    mins = np.array(_finite(lines[3], "input minimums", count=n_in))
    maxs = np.array(_finite(lines[4], "input maximums", count=n_in))
    if np.any(mins > maxs):
        i = int(np.argmax(mins > maxs))
        raise InvalidValueError(
            f"lines {lines[3][0]}-{lines[4][0]}: input {i} has minimum {float(mins[i])!r} above its maximum {float(maxs[i])!r}"
        )
    means = _finite(lines[5], "means")
    ranges = _finite(lines[6], "ranges")
    if len(means) < n_in or len(ranges) < n_in:
        raise ModelFormatError(f"lines {lines[5][0]}-{lines[6][0]}: means and ranges need {n_in + 1} values each")
    means, ranges = np.array(means[: n_in + 1] + [0.0]), np.array(ranges[: n_in + 1] + [1.0])
    if not np.all(ranges[: n_in + 1] != 0):
        raise ModelFormatError(f"line {lines[6][0]}: ranges must be non-zero; got {ranges[: n_in + 1].tolist()}")
    body = [v for line in lines[7:] for v in _finite(line, "weights and biases")]
    need = sum(sizes[i + 1] * sizes[i] + sizes[i + 1] for i in range(n_layers))
    if len(body) != need:
        raise ModelFormatError(
            f"expected {need} weight and bias values after the header for layer sizes {sizes}; found {len(body)}"
        )
    values = np.array(body)
    weights, biases, at = [], [], 0
    for i in range(n_layers):
        rows, cols = sizes[i + 1], sizes[i]
        weights.append(values[at: at + rows * cols].reshape(rows, cols))
        at += rows * cols
        biases.append(values[at: at + rows])
        at += rows
    m_in, r_in, m_out, r_out = means[:n_in], ranges[:n_in], float(means[n_in]), float(ranges[n_in])
    # (x - m) / r into the first layer: W/r x + (b - W/r m); y * r_out + m_out into the last one.
    weights[0] = weights[0] / r_in
    biases[0] = biases[0] - weights[0] @ m_in
    weights[-1], biases[-1] = weights[-1] * r_out, biases[-1] * r_out + m_out
    layers = [
        Dense(W, b, "relu" if i < n_layers - 1 else "identity", name=f"nnet layer {i}")
        for i, (W, b) in enumerate(zip(weights, biases))
    ]
    return NNetModel(Network(layers), readonly(mins), readonly(maxs), readonly(m_in), readonly(r_in), m_out, r_out)


def save_nnet(net: Network, path, *, input_mins=None, input_maxs=None, input_means=None, input_ranges=None,
              output_mean: float = 0.0, output_range: float = 1.0) -> None:
    """Write ``net`` (ReLU hidden layers, affine last layer) as a ``.nnet`` file.

    Parameters
    ----------
    net : Network
        In raw units; the normalisation given here is unfolded from it, so
        :func:`read_nnet` gives back the same network (up to float64 rounding).
    input_mins, input_maxs : arrays of shape (input_dim,), optional
        Clipping box to record; default: the whole float64 range (no clipping).
    input_means, input_ranges : arrays of shape (input_dim,), optional
        Input normalisation to store; default 0 and 1.
    output_mean, output_range : float
        Output de-normalisation to store.

    Raises
    ------
    UnsupportedOperatorError
        When a hidden layer is not ReLU or the last layer is not affine.
    """
    if not isinstance(net, Network):
        raise ModelFormatError(f"save_nnet needs a relucid.Network; got {type(net).__name__}")
    for i, layer in enumerate(net.layers):
        want = "identity" if i == len(net.layers) - 1 else "relu"
        if layer.activation != want:
            raise UnsupportedOperatorError(
                f"cannot save as .nnet: the NNet format holds ReLU hidden layers and an identity (affine) last "
                f"layer, but layer {i} is {layer.activation!r}; save as .onnx or .npz instead"
            )
    n = net.input_dim
    big = np.finfo(np.float64).max
    mins = _vector(input_mins, -big, n, "input_mins")
    maxs = _vector(input_maxs, big, n, "input_maxs")
    means = _vector(input_means, 0.0, n, "input_means")
    ranges = _vector(input_ranges, 1.0, n, "input_ranges")
    if not (np.all(ranges != 0) and output_range != 0):
        raise ModelFormatError("save_nnet: ranges must be non-zero")
    weights = [np.array(layer.weight) for layer in net.layers]
    biases = [np.array(layer.bias) for layer in net.layers]
    biases[0] = biases[0] + weights[0] @ means
    weights[0] = weights[0] * ranges
    weights[-1], biases[-1] = weights[-1] / output_range, (biases[-1] - output_mean) / output_range
    sizes = [n] + [layer.out_dim for layer in net.layers]
    fmt = _csv_line
    out = [
        "// Neural Network File Format by Kyle Julian, Stanford 2016 (written by relucid)",
        f"{len(net.layers)},{n},{net.output_dim},{max(sizes)},",
        ",".join(str(s) for s in sizes) + ",",
        "0,",
        fmt(mins), fmt(maxs), fmt(list(means) + [output_mean]), fmt(list(ranges) + [output_range]),
    ]
    for W, b in zip(weights, biases):
        out.extend(fmt(row) for row in W)
        out.extend(fmt([v]) for v in b)
    Path(path).write_text("\n".join(out) + "\n")


def _csv_line(values) -> str:
    """Comma-terminated values; ``repr`` of a float64 reads back exactly."""
    return ",".join(repr(float(v)) for v in values) + ","


def _vector(value, default: float, n: int, what: str) -> np.ndarray:
    if value is None:
        return np.full(n, default)
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.shape != (n,) or not np.all(np.isfinite(arr)):
        raise ModelFormatError(f"save_nnet: {what} must be {n} finite values; got {np.asarray(value).tolist()!r}")
    return arr
