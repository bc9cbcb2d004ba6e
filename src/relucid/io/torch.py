"""Conversion of ``torch.nn.Sequential`` models.

PyTorch is an optional dependency (``pip install 'relucid[torch]'``); it is
imported only when :func:`from_torch` is called.

Modules are flattened out of nested ``Sequential`` containers and converted in
order with the pending-affine-map scheme of :mod:`relucid.io._affine`: affine
modules (Linear, Conv1d/Conv2d, BatchNorm, Flatten, Identity, Dropout, constant
padding, average pooling) are folded exactly, in float64, into the map since
the last activation, and each activation (ReLU, LeakyReLU, Sigmoid, Tanh)
closes one Dense layer. Max pooling becomes ReLU layers, exactly (see
:mod:`relucid.io._pooling`).
"""

from __future__ import annotations

import numpy as np

from .._validate import check_finite
from ..errors import InvalidValueError, RelucidError, ShapeError, UnsupportedOperatorError
from ..network import Network
from . import _pooling as pooling
from ._affine import MAX_DENSE_ENTRIES, Affine, SegmentBuilder

__all__ = ["from_torch"]

SUPPORTED_MODULES: tuple[str, ...] = (
    "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Flatten", "Identity", "Dropout",
    "Conv1d", "Conv2d", "BatchNorm1d", "BatchNorm2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
    "ConstantPad1d", "ConstantPad2d", "ZeroPad1d", "ZeroPad2d", "Sequential",
)


def from_torch(module, *, input_shape=None, max_dense_entries: int = MAX_DENSE_ENTRIES) -> Network:
    """Convert a ``torch.nn.Sequential`` (nested ones too) into a Network.

    Parameters
    ----------
    module : torch.nn.Sequential or a single supported module
        Of Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Flatten, Identity,
        Dropout, Conv1d, Conv2d, BatchNorm1d, BatchNorm2d, MaxPool1d/2d,
        AvgPool1d/2d, ConstantPad1d/2d, ZeroPad1d/2d.
    input_shape : tuple of int, optional
        Shape of one input without the batch axis, e.g. ``(C, H, W)``.
        Needed when a convolution, Flatten or BatchNorm comes before the first
        Linear; otherwise inferred from the first Linear's ``in_features``.
    max_dense_entries : int
        Refuse convolutions whose exact dense matrix would have more entries.

    Returns
    -------
    Network
        Float64, the function of the module in inference (``eval()``) mode:
        Dropout is the identity and BatchNorm uses its running statistics.
        Inputs are flattened in C order.

    Raises
    ------
    ImportError
        PyTorch is not installed.
    UnsupportedOperatorError
        A module relucid cannot convert exactly (named with its position).

    Notes
    -----
    A convolution becomes a dense matrix by pushing the identity basis through
    it (``torch``'s own convolution, in float64), so padding modes and groups
    are honoured exactly. Max pooling adds ReLU layers (``ceil(log2 K)`` for a
    window of K entries; see ``docs/io.md``), so the network's layers and
    neurons are not one-to-one with the module's.
    """
    try:
        import torch
        from torch import nn
    except ImportError:
        raise ImportError("from_torch needs PyTorch: pip install 'relucid[torch]'") from None
    if not isinstance(module, nn.Module):
        raise InvalidValueError(f"from_torch needs a torch.nn.Module; got {type(module).__name__}")
    modules = list(_flatten(module, nn))
    shape = _initial_shape(modules, input_shape, nn)
    builder = SegmentBuilder(Affine.identity(shape, limit=max_dense_entries))
    with torch.no_grad():
        for pos, (name, mod) in enumerate(modules):
            label = f"{type(mod).__name__} at position {pos} ({name!r})"
            try:
                _convert(mod, builder, name, torch, nn)
            except RelucidError as exc:
                raise type(exc)(f"from_torch: {label}: {exc}") from None
            except (RuntimeError, ValueError) as exc:
                raise ShapeError(
                    f"from_torch: {label} does not fit its input of shape {builder.pending.shape}: {exc}"
                ) from None
    return Network(builder.finish())


def _flatten(module, nn, prefix: str = ""):
    """``(qualified name, module)`` of every leaf, in order."""
    if isinstance(module, nn.Sequential):
        for child_name, child in module.named_children():
            yield from _flatten(child, nn, f"{prefix}.{child_name}" if prefix else child_name)
    else:
        yield prefix or type(module).__name__, module


def _initial_shape(modules, input_shape, nn) -> tuple[int, ...]:
    if input_shape is not None:
        shape = tuple(int(d) for d in input_shape)
        if not shape or min(shape) < 1:
            raise ShapeError(
                f"from_torch: input_shape must be positive sizes without the batch axis; got {input_shape}"
            )
        return shape
    for pos, (name, mod) in enumerate(modules):
        if isinstance(mod, nn.Linear):
            return (int(mod.in_features),)
        if not isinstance(mod, (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Identity, nn.Dropout)):
            raise ShapeError(
                f"from_torch: {type(mod).__name__} at position {pos} ({name!r}) comes before any Linear, so the "
                f"input shape is unknown; pass input_shape=(C, H, W) (without the batch axis)"
            )
    raise ShapeError("from_torch: the module has no Linear layer to infer the input size from; pass input_shape=...")


def _param(tensor, what: str) -> np.ndarray:
    arr = tensor.detach().cpu().double().numpy().copy()
    check_finite(arr, what=what)
    return arr


def _convert(mod, builder: SegmentBuilder, name: str, torch, nn) -> None:
    x = builder.pending
    if isinstance(mod, nn.ReLU):
        builder.activate("relu", None, name)
    elif isinstance(mod, nn.LeakyReLU):
        builder.activate("leaky_relu", float(mod.negative_slope), name)
    elif isinstance(mod, nn.Sigmoid):
        builder.activate("sigmoid", None, name)
    elif isinstance(mod, nn.Tanh):
        builder.activate("tanh", None, name)
    elif isinstance(mod, (nn.Identity, nn.Dropout)):
        builder.fold(x, name, shape_only=True)
    elif isinstance(mod, nn.Flatten):
        builder.fold(x.reshape(_flatten_shape(x.shape, mod.start_dim, mod.end_dim)), name, shape_only=True)
    elif isinstance(mod, nn.Linear):
        if x.shape[-1] != mod.in_features:
            raise ShapeError(f"expects inputs with last axis {mod.in_features}; got shape {x.shape}")
        y = x.matmul_right(_param(mod.weight, "weight").T)
        if mod.bias is not None:
            y = y.add(_param(mod.bias, "bias"))
        builder.fold(y, name)
    elif isinstance(mod, (nn.Conv1d, nn.Conv2d)):
        builder.fold(_conv(mod, x, torch), name)
    elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
        builder.fold(_batchnorm(mod, x), name)
    elif isinstance(mod, (nn.ConstantPad1d, nn.ConstantPad2d)):
        builder.fold(_pad(mod, x), name)
    elif isinstance(mod, (nn.AvgPool1d, nn.AvgPool2d)):
        kernel, strides, pads = _pool_geometry(mod, x, nn)
        windows = pooling.window_indices(x.shape, kernel, strides, pads, limit=x.limit)
        P = pooling.average_matrix(windows, x.const.size, count_include_pad=bool(mod.count_include_pad))
        builder.fold(x.linear_map(P, windows.shape[:-1], what=f"pooling an input of shape {x.shape}"), name)
    elif isinstance(mod, (nn.MaxPool1d, nn.MaxPool2d)):
        if mod.return_indices:
            raise UnsupportedOperatorError("return_indices=True is not supported (the indices are not a network output)")
        kernel, strides, pads = _pool_geometry(mod, x, nn)
        windows = pooling.window_indices(x.shape, kernel, strides, pads, limit=x.limit)
        pooling.fold_max(builder, windows.reshape(-1, windows.shape[-1]), windows.shape[:-1], name)
    else:
        raise UnsupportedOperatorError(
            f"unsupported torch module; relucid converts {', '.join(SUPPORTED_MODULES)} "
            f"(export other models to ONNX, or wrap plain layers in nn.Sequential)"
        )


def _flatten_shape(shape: tuple[int, ...], start_dim: int, end_dim: int) -> tuple[int, ...]:
    rank = len(shape) + 1  # torch counts the batch axis
    start, end = start_dim % rank, end_dim % rank
    if start == 0:
        raise UnsupportedOperatorError("Flatten with start_dim=0 merges the batch axis; use start_dim=1")
    if end < start:
        raise ShapeError(f"Flatten(start_dim={start_dim}, end_dim={end_dim}) is empty for shape {shape}")
    s, e = start - 1, end
    return shape[:s] + (int(np.prod(shape[s:e], dtype=np.int64)),) + shape[e:]


def _conv(mod, x: Affine, torch) -> Affine:
    weight = torch.from_numpy(_param(mod.weight, "weight"))
    bias = torch.from_numpy(_param(mod.bias, "bias")) if mod.bias is not None else None
    k = weight.ndim - 2
    if len(x.shape) != k + 1 or x.shape[0] != mod.in_channels:
        raise ShapeError(
            f"expects inputs of shape (C={mod.in_channels}, ...) with {k} spatial axes; got {x.shape}"
        )
    const = mod._conv_forward(torch.from_numpy(x.const[None].copy()), weight, bias)[0].numpy()

    def push(E: np.ndarray) -> np.ndarray:
        return mod._conv_forward(torch.from_numpy(np.ascontiguousarray(E)), weight, None).numpy()

    lin = x.map_linear(push, const.shape, what=f"a convolution on an input of shape {x.shape}")
    return Affine(const, lin=lin, limit=x.limit)


def _pad(mod, x: Affine) -> Affine:
    """ConstantPadNd: ``padding`` is (begin, end) pairs from the last axis backwards; negative values crop."""
    padding = [int(p) for p in mod.padding]
    k = len(padding) // 2
    if len(x.shape) < k:
        raise ShapeError(f"pads {k} axes but its input of shape {x.shape} has {len(x.shape)}")
    begins, ends = [0] * len(x.shape), [0] * len(x.shape)
    for j in range(k):
        begins[-1 - j], ends[-1 - j] = padding[2 * j], padding[2 * j + 1]
    idx = pooling.pad_indices(x.shape, begins, ends, "constant", limit=x.limit)
    return pooling.take(x, idx, float(mod.value), what=f"padding an input of shape {x.shape}")


def _pool_geometry(mod, x: Affine, nn) -> tuple[list[int], list[int], list[int]]:
    """``(kernel, strides, pads)`` of a torch pooling module on an input (C, *spatial), with torch's rules."""
    k = 1 if isinstance(mod, (nn.MaxPool1d, nn.AvgPool1d)) else 2

    def ints(value, what):
        values = [int(v) for v in (value if isinstance(value, (tuple, list)) else [value] * k)]
        if len(values) != k:
            raise ShapeError(f"{what} must have {k} entries; got {value!r}")
        return values

    kernel = ints(mod.kernel_size, "kernel_size")
    strides = ints(mod.stride, "stride") if mod.stride not in (None, (), []) else kernel
    padding = ints(mod.padding, "padding")
    if len(x.shape) != k + 1:
        raise ShapeError(f"expects inputs of shape (C, {k} spatial axes) without the batch axis; got {x.shape}")
    if getattr(mod, "divisor_override", None) is not None:
        raise UnsupportedOperatorError("divisor_override is not supported")
    if any(2 * p > s for p, s in zip(padding, kernel)):
        raise ShapeError(f"padding {padding} must be at most half the kernel size {kernel} (torch's rule)")
    pads = padding + padding
    pooling.check_pool_modes(dilations=ints(getattr(mod, "dilation", 1), "dilation"), ceil_mode=bool(mod.ceil_mode),
                             spatial=x.shape[1:], kernel=kernel, strides=strides, pads=pads, op=type(mod).__name__)
    return kernel, strides, pads


def _batchnorm(mod, x: Affine) -> Affine:
    if mod.running_mean is None or mod.running_var is None:
        raise UnsupportedOperatorError("BatchNorm without running statistics (track_running_stats=False) is not affine")
    C = mod.num_features
    if not x.shape or x.shape[0] != C:
        raise ShapeError(f"expects {C} channels on the first axis; got shape {x.shape}")
    mean, var = _param(mod.running_mean, "running_mean"), _param(mod.running_var, "running_var")
    scale = _param(mod.weight, "weight") if mod.weight is not None else np.ones(C)
    shift = _param(mod.bias, "bias") if mod.bias is not None else np.zeros(C)
    factor = scale / np.sqrt(var + mod.eps)
    col = (C,) + (1,) * (len(x.shape) - 1)
    return x.mul(factor.reshape(col)).add((shift - mean * factor).reshape(col))
