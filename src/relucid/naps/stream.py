"""Chunked forward passes that yield on/off flags: the one loop mining and following share.

Inputs are converted to float64 one chunk at a time (so a uint8 image array
of 60,000 MNIST images is never copied whole), multiplied by ``scale``, and
pushed through the network up to the last layer asked for. Only the flags
``z > 0`` leave this module, as numpy bool arrays.

Numerics: every pass is float64, on numpy or — with ``device`` — torch.
A float32 pass would flip the sign of near-zero pre-activations (DESIGN.md,
"Numerics"), so there is none; a GPU runs the same float64 arithmetic (its
matmul may sum in another order, which can move a pre-activation within a
few ulps of 0 across it; :data:`GPU_RECHECK_TOL` re-checks those on the CPU).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..errors import InvalidValueError, ShapeError
from ..network import Network, check_piecewise_linear

#: Default number of inputs per forward pass (measured: 1k-16k are within 15% of each other on 2 cores).
CHUNK_SIZE = 4096

#: Largest chunk: per-chunk label counts are summed in float32 (exact below 2**24).
MAX_CHUNK = 2**24

#: With a torch device, rows that have a pre-activation with ``|z|`` below this
#: (relative to the largest term ``sum |w_i h_i| + |b|``) in a layer that is
#: asked for are recomputed on the CPU with numpy, so the flags do not depend
#: on the device's summation order. 1e-12 is ~5000 float64 ulps of the scale.
GPU_RECHECK_TOL = 1e-12


def as_batch(X, dim: int, *, what: str) -> tuple[object, int, bool]:
    """``(X2, n, single)``: ``X`` viewed as (n, dim) rows without converting its dtype.

    Arrays of more than two dimensions are flattened per row (``(n, 28, 28)``
    images); a 1-D array is one input.
    """
    arr = X if hasattr(X, "shape") and hasattr(X, "dtype") else np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise InvalidValueError(f"{what}: inputs must be numeric; got dtype {arr.dtype}")
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    elif arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    elif arr.ndim == 0:
        raise ShapeError(f"{what}: expected an array of inputs of shape (n, {dim}); got a scalar")
    if arr.shape[1] != dim:
        raise ShapeError(
            f"{what}: the network takes inputs of length {dim} but the data rows have length {arr.shape[1]} "
            f"(shape {tuple(np.shape(X))}); pass data of shape (n, {dim})"
        )
    return arr, int(arr.shape[0]), single


def check_chunk_size(chunk_size: int, who: str) -> int:
    if isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or not 1 <= int(chunk_size) <= MAX_CHUNK:
        raise InvalidValueError(f"{who}: chunk_size must be an integer in [1, {MAX_CHUNK}]; got {chunk_size!r}")
    return int(chunk_size)


def activation_chunks(
    net: Network,
    X,
    *,
    layers,
    scale: float = 1.0,
    chunk_size: int = CHUNK_SIZE,
    device: str | None = None,
    what: str = "data",
) -> Iterator[tuple[int, dict, bool]]:
    """Yield ``(start, {layer: bool (m, out_dim)}, single)`` chunk by chunk.

    ``layers``: the layers whose flags are wanted (pre-activation ``> 0``).
    """
    chunk_size = check_chunk_size(chunk_size, what)
    layers = sorted(set(int(k) for k in layers))
    arr, n, single = as_batch(X, net.input_dim, what=what)
    if not np.isfinite(scale) or scale == 0:
        raise InvalidValueError(f"{what}: scale must be a finite non-zero number; got {scale!r}")
    upto = layers[-1] if layers else -1
    runner = _TorchRunner(net, upto, device) if device is not None else None
    for start in range(0, n, chunk_size):
        chunk = np.asarray(arr[start : start + chunk_size], dtype=np.float64)
        if scale != 1.0:
            chunk = chunk * scale
        if not np.isfinite(chunk).all():
            bad = int(np.flatnonzero(~np.isfinite(chunk).all(axis=1))[0]) + start
            raise InvalidValueError(f"{what}: row {bad} contains NaN or inf")
        if runner is not None:
            flags = runner(chunk, layers)
        else:
            flags = _numpy_flags(net, chunk, layers, upto)
        yield start, flags, single


def _numpy_flags(net: Network, H: np.ndarray, layers, upto: int) -> dict:
    out = {}
    for k in range(upto + 1):
        layer = net.layers[k]
        Z = H @ layer.weight.T
        Z += layer.bias
        if k in layers:
            out[k] = Z > 0
        if k < upto:
            H = layer.activate(Z)
    return out


class _TorchRunner:
    """The same pass in torch float64 on ``device``, with a CPU re-check of near-zero rows."""

    def __init__(self, net: Network, upto: int, device: str) -> None:
        try:
            import torch
        except ImportError as exc:
            raise ImportError("device=... needs torch: pip install 'relucid[torch]'") from exc
        self.torch = torch
        try:
            self.device = torch.device(device)
            torch.zeros(1, device=self.device)
        except (RuntimeError, AssertionError) as exc:
            raise InvalidValueError(f"device {device!r} is not available here ({exc})") from None
        check_piecewise_linear(Network(list(net.layers[: upto + 1])), who="device=...", purpose="the torch path")
        self.net = net
        self.upto = upto
        self.W = [torch.tensor(np.array(net.layers[k].weight), device=self.device) for k in range(upto + 1)]
        self.b = [torch.tensor(np.array(net.layers[k].bias), device=self.device) for k in range(upto + 1)]

    def __call__(self, chunk: np.ndarray, layers) -> dict:
        torch = self.torch
        H = torch.as_tensor(chunk, device=self.device)
        out, near = {}, torch.zeros(chunk.shape[0], dtype=torch.bool, device=self.device)
        for k in range(self.upto + 1):
            layer = self.net.layers[k]
            Z = H @ self.W[k].T + self.b[k]
            if k in layers:
                mag = H.abs() @ self.W[k].abs().T + self.b[k].abs()
                near |= (Z.abs() <= GPU_RECHECK_TOL * mag).any(dim=1)
                out[k] = Z > 0
            if k < self.upto:
                if layer.activation == "relu":
                    H = torch.clamp(Z, min=0)
                elif layer.activation == "leaky_relu":
                    H = torch.where(Z > 0, Z, layer.alpha * Z)
                else:
                    H = Z
        flags = {k: v.cpu().numpy() for k, v in out.items()}
        rows = near.cpu().numpy()
        if rows.any():  # recompute the rows whose flags the summation order could decide
            redo = _numpy_flags(self.net, chunk[rows], layers, self.upto)
            for k in flags:
                flags[k][rows] = redo[k]
        return flags
