"""numpy or torch: the bounds code runs on either, batched (torch tensors may live on a GPU).

Only operations both libraries spell the same way are used in the bounds
code (``@``, ``.clip``, ``.sum(axis=)``, ``.any(axis=)``, ``where``,
``maximum``, ``minimum``, ``concatenate``, ``broadcast_to``, ``zeros_like``);
the few that differ live here.
"""

from __future__ import annotations

import numpy as np


def namespace(arr):
    """``numpy`` for numpy arrays, ``torch`` for torch tensors."""
    if isinstance(arr, np.ndarray):
        return np
    import torch

    if isinstance(arr, torch.Tensor):
        return torch
    return np


def like(xp, value, ref):
    """``value`` (numpy) as an array of ``ref``'s library, dtype and device."""
    if xp is np:
        return np.asarray(value)
    v = np.array(value)  # a writable copy: torch warns about read-only numpy arrays
    dtype = None if v.dtype.kind in "iub" else ref.dtype
    return xp.as_tensor(v, dtype=dtype, device=ref.device)


def nonzero(xp, mask):
    """Indices of the true entries of a 1-D mask."""
    if xp is np:
        return np.flatnonzero(mask)
    return xp.nonzero(mask).flatten()


def zeros_bool(xp, n: int, ref):
    if xp is np:
        return np.zeros(n, dtype=bool)
    return xp.zeros(n, dtype=xp.bool, device=ref.device)


def activate(xp, activation: str, alpha, Z):
    """Apply an activation elementwise."""
    if activation == "relu":
        return Z.clip(min=0)
    if activation == "leaky_relu":
        return xp.where(Z > 0, Z, alpha * Z)
    if activation == "identity":
        return Z
    if activation == "tanh":
        return xp.tanh(Z)
    if xp is np:
        from scipy.special import expit

        return expit(Z)
    return xp.sigmoid(Z)


def to_numpy(arr) -> np.ndarray:
    if isinstance(arr, np.ndarray):
        return arr
    return arr.detach().cpu().numpy()


def image(xp, activation: str, alpha, L, U):
    """Elementwise ``[min, max]`` of the activation over ``[L, U]`` (any leaky slope).

    relu, leaky_relu with slope in [0, 1], identity, sigmoid and tanh are
    monotone; a leaky slope < 0 is not, and a piecewise-linear activation
    with its kink at 0 takes its extremes at ``L``, ``U`` or ``0``.
    """
    fL = activate(xp, activation, alpha, L)
    fU = activate(xp, activation, alpha, U)
    lo, hi = xp.minimum(fL, fU), xp.maximum(fL, fU)
    if activation == "leaky_relu" and alpha < 0:
        straddle = (L < 0) & (U > 0)
        lo = xp.where(straddle, lo.clip(max=0), lo)
        hi = xp.where(straddle, hi.clip(min=0), hi)
    return lo, hi


def torch_device(device, *, who: str):
    """``device`` checked for the torch back end: a ``torch.device``, or one-line :class:`InvalidValueError`.

    Refused: torch not installed, a device string torch does not know, and a
    CUDA (or MPS) device this machine does not have.
    """
    from ..errors import InvalidValueError

    try:
        import torch
    except ImportError:
        raise InvalidValueError(f"{who}: device={device!r} needs torch: pip install 'relucid[torch]'") from None
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InvalidValueError(f"{who}: device must be a torch device such as 'cpu' or 'cuda'; got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidValueError(f"{who}: device={device!r} but torch finds no CUDA GPU on this machine "
                                f"(torch {torch.__version__}); use device='cpu' or leave device out (numpy)")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise InvalidValueError(f"{who}: device={device!r} but this machine has no MPS device")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise InvalidValueError(f"{who}: device type {dev.type!r} is not supported (cpu, cuda)")
    return dev
