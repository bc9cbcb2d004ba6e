"""ONNX operators, one function each, for the importer in :mod:`relucid.io.onnx`.

An operator on the network's data maps the pending :class:`~._affine.Affine`
``x`` to a new one; it reads its other operands, which must be constants
(initializers, ``Constant`` nodes, or folded from them), through the node
context ``ctx``. Operators whose inputs are all constant are evaluated with
numpy by :func:`fold_constant` (shape arithmetic in exported graphs).

Errors raised here do not name the node; the importer prefixes its label.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from onnx import helper

from ..errors import InvalidValueError, ShapeError, UnsupportedOperatorError
from . import _pooling as pooling
from ._affine import Affine
from ._onnx_tensors import tensor_to_array

#: ONNX activation operators and the relucid activation each becomes.
ACTIVATION_OPS: dict[str, str] = {"Relu": "relu", "LeakyRelu": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}


# -- shape arithmetic shared by the data and the constant paths -------------------
def _axis(axis: int, rank: int) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"axis {axis} is out of range for a tensor with {rank} axes")
    return axis % rank if rank else 0


def flatten_shape(shape, axis: int) -> tuple[int, int]:
    axis = axis + len(shape) if axis < 0 else axis
    if not 0 <= axis <= len(shape):
        raise ShapeError(f"Flatten axis {axis} is out of range for a tensor of shape {tuple(shape)}")
    return int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis:], dtype=np.int64))


def reshape_target(shape, target, *, allowzero: bool) -> tuple[int, ...]:
    """ONNX ``Reshape``'s output shape: 0 copies a dimension, -1 is inferred."""
    out = [int(d) for d in np.asarray(target).reshape(-1)]
    for i, d in enumerate(out):
        if d == 0 and not allowzero:
            if i >= len(shape):
                raise ShapeError(f"Reshape target {out} copies axis {i}, which {tuple(shape)} does not have")
            out[i] = shape[i]
    if out.count(-1) > 1:
        raise ShapeError(f"Reshape target {out} has more than one -1")
    total = int(np.prod(shape, dtype=np.int64))
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1], dtype=np.int64))
        if known == 0 or total % known:
            raise ShapeError(f"cannot reshape shape {tuple(shape)} ({total} entries) to {out}")
        out[out.index(-1)] = total // known
    return tuple(out)


def squeeze_target(shape, axes) -> tuple[int, ...]:
    if axes is None:
        return tuple(d for d in shape if d != 1)
    axes = {_axis(int(a), len(shape)) for a in np.asarray(axes).reshape(-1)}
    for a in axes:
        if shape[a] != 1:
            raise ShapeError(f"cannot squeeze axis {a} of shape {tuple(shape)}: it has size {shape[a]}")
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def unsqueeze_target(shape, axes) -> tuple[int, ...]:
    rank = len(shape) + len(np.asarray(axes).reshape(-1))
    axes = sorted(_axis(int(a), rank) for a in np.asarray(axes).reshape(-1))
    out = list(shape)
    for a in axes:
        out.insert(a, 1)
    return tuple(out)


# -- operators on the data ---------------------------------------------------------
def _gemm(ctx, x: Affine, pos: int) -> Affine:
    alpha, beta = ctx.attr("alpha", 1.0), ctx.attr("beta", 1.0)
    trans_a, trans_b = ctx.attr("transA", 0), ctx.attr("transB", 0)
    if pos == 2:
        raise UnsupportedOperatorError("Gemm's data input must be A or B, not the bias C")
    if x.const.ndim != 2:
        raise ShapeError(f"Gemm needs 2-D operands; the data has shape {x.shape} (add a Flatten before it)")
    if pos == 0:
        B = ctx.const(1, ndim=2)
        y = (x.transpose([1, 0]) if trans_a else x).matmul_right(alpha * (B.T if trans_b else B))
    else:
        A = ctx.const(0, ndim=2)
        y = (x.transpose([1, 0]) if trans_b else x).matmul_left(alpha * (A.T if trans_a else A))
    if ctx.has_input(2):
        y = y.add(beta * ctx.const(2))
    return y


def _matmul(ctx, x: Affine, pos: int) -> Affine:
    return x.matmul_right(ctx.const(1)) if pos == 0 else x.matmul_left(ctx.const(0))


def _add(ctx, x: Affine, pos: int) -> Affine:
    return x.add(ctx.const(1 - pos))


def _sub(ctx, x: Affine, pos: int) -> Affine:
    c = ctx.const(1 - pos)
    return x.add(-c) if pos == 0 else x.neg().add(c)


def _mul(ctx, x: Affine, pos: int) -> Affine:
    return x.mul(ctx.const(1 - pos))


def _div(ctx, x: Affine, pos: int) -> Affine:
    if pos == 1:
        raise UnsupportedOperatorError("Div by the network's data is not affine; only division by constants is")
    c = ctx.const(1)
    if not c.all():
        raise InvalidValueError(f"Div by a constant that has {int((c == 0).sum())} zero entries")
    return x.mul(1.0 / c)


def _flatten(ctx, x, pos: int = 0):
    return x.reshape(flatten_shape(x.shape, int(ctx.attr("axis", 1))))


def _reshape(ctx, x, pos: int = 0):
    if pos != 0:
        raise UnsupportedOperatorError("Reshape's target shape must be a constant, not computed from the data")
    return x.reshape(reshape_target(x.shape, ctx.raw(1), allowzero=bool(ctx.attr("allowzero", 0))))


def _axes(ctx):
    return ctx.raw(1) if ctx.has_input(1) else ctx.attr("axes", None)


def _squeeze(ctx, x, pos: int = 0):
    return x.reshape(squeeze_target(x.shape, _axes(ctx)))


def _unsqueeze(ctx, x, pos: int = 0):
    axes = _axes(ctx)
    if axes is None:
        raise ShapeError("Unsqueeze needs axes")
    return x.reshape(unsqueeze_target(x.shape, axes))


def _transpose(ctx, x, pos: int = 0):
    perm = ctx.attr("perm", None)
    return x.transpose(list(range(len(x.shape)))[::-1] if perm is None else perm)


def _identity(ctx, x, pos: int = 0):
    return x


def _dropout(ctx, x: Affine, pos: int) -> Affine:
    if ctx.has_input(2) and bool(np.asarray(ctx.raw(2)).reshape(-1)[0]):
        raise UnsupportedOperatorError("Dropout in training mode is random; relucid imports inference graphs only")
    return x


def _conv(ctx, x: Affine, pos: int) -> Affine:
    if pos != 0:
        raise UnsupportedOperatorError("Conv's weight must be a constant, not computed from the data")
    W = ctx.const(1)
    k = W.ndim - 2
    if k < 1:
        raise ShapeError(f"Conv weight must have shape (M, C/group, *kernel); got {W.shape}")
    bias = ctx.const(2, ndim=1) if ctx.has_input(2) else None
    for_weight = f"for a weight of shape {W.shape}"
    strides = _int_attr(ctx, "strides", [1] * k, least=1, context=for_weight)
    dilations = _int_attr(ctx, "dilations", [1] * k, least=1, context=for_weight)
    pads = _int_attr(ctx, "pads", [0] * 2 * k, least=0, context=for_weight)
    group = _int_attr(ctx, "group", [1], least=1, context=for_weight)[0]
    kernel = ctx.attr("kernel_shape", None)
    if kernel is not None and tuple(kernel) != W.shape[2:]:
        raise ShapeError(f"Conv kernel_shape {tuple(kernel)} disagrees with its weight of shape {W.shape}")
    if ctx.attr("auto_pad", "NOTSET") != "NOTSET" and x.const.ndim != k + 2:
        raise ShapeError(f"Conv with weight {W.shape} needs an input of rank {k + 2}; got shape {x.shape}")
    eff = [(W.shape[2 + i] - 1) * dilations[i] + 1 for i in range(k)]
    pads = _auto_pads(ctx, x.shape[-k:], eff, strides, pads)
    return x.conv(W, bias, strides=strides, pads=pads, dilations=dilations, group=group,
                  what=f"Conv on an input of shape {x.shape}")


def _int_attr(ctx, name: str, default: list[int], *, least: int, context: str) -> list[int]:
    """An integer-list attribute of ``len(default)`` entries, each ``>= least``."""
    values = ctx.attr(name, default)
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    size = len(default)
    if len(values) != size or any(int(v) < least for v in values):
        count = "an integer" if size == 1 else f"{size} integers"
        raise ShapeError(f"{ctx.op} {name} must be {count} >= {least} {context}; got {values}")
    return [int(v) for v in values]


def _auto_pads(ctx, spatial, kernel, strides, pads) -> list[int]:
    """The pads ``auto_pad`` asks for (``kernel``: the dilated kernel extent), or ``pads`` when it is NOTSET."""
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    if auto_pad == "NOTSET":
        return pads
    if auto_pad not in ("VALID", "SAME_UPPER", "SAME_LOWER"):
        raise UnsupportedOperatorError(
            f"{ctx.op} auto_pad={auto_pad!r} is not supported (NOTSET, VALID, SAME_UPPER, SAME_LOWER are)"
        )
    if any(pads):
        raise UnsupportedOperatorError(
            f"{ctx.op} has both auto_pad={auto_pad!r} and explicit pads {pads}; ONNX allows one or the other"
        )
    if auto_pad == "VALID":
        return [0] * len(pads)
    return pooling.same_pads(spatial, kernel, strides, upper=auto_pad == "SAME_UPPER")


def _pool_geometry(ctx, x: Affine, kernel=None) -> tuple[list[int], list[int], list[int]]:
    """``(kernel, strides, pads)`` of a pooling node on ``x`` of shape (N, C, *spatial); refuses what relucid
    does not convert (dilations, ceil_mode where it adds a window, pads as large as the kernel)."""
    if kernel is None:
        kernel = ctx.attr("kernel_shape", None)
        if not kernel:
            raise ShapeError(f"{ctx.op} needs the attribute kernel_shape")
    k = len(kernel)
    if x.const.ndim != k + 2:
        raise ShapeError(f"{ctx.op} with a {k}-D kernel {tuple(kernel)} expects an input of shape (N, C, {k} "
                         f"spatial axes); got {x.shape}")
    for_input = f"for an input of shape {x.shape}"
    kernel = _int_attr(ctx, "kernel_shape", list(kernel), least=1, context=for_input)
    strides = _int_attr(ctx, "strides", [1] * k, least=1, context=for_input)
    pads = _int_attr(ctx, "pads", [0] * 2 * k, least=0, context=for_input)
    dilations = _int_attr(ctx, "dilations", [1] * k, least=1, context=for_input)
    spatial = x.shape[2:]
    pads = _auto_pads(ctx, spatial, kernel, strides, pads)
    pooling.check_pool_modes(dilations=dilations, ceil_mode=bool(ctx.attr("ceil_mode", 0)), spatial=spatial,
                             kernel=kernel, strides=strides, pads=pads, op=ctx.op)
    return kernel, strides, pads


def _global_kernel(ctx, x: Affine) -> list[int]:
    if x.const.ndim < 3:
        raise ShapeError(f"{ctx.op} expects an input of shape (N, C, *spatial); got {x.shape}")
    return list(x.shape[2:])


def _average_pool(ctx, x: Affine, pos: int, *, kernel=None) -> Affine:
    kernel, strides, pads = _pool_geometry(ctx, x, kernel)
    windows = pooling.window_indices(x.shape, kernel, strides, pads, limit=x.limit)
    P = pooling.average_matrix(windows, x.const.size, count_include_pad=bool(ctx.attr("count_include_pad", 0)))
    return x.linear_map(P, windows.shape[:-1], what=f"{ctx.op} on an input of shape {x.shape}")


def _max_pool(ctx, builder, *, kernel=None) -> None:
    if len(ctx.node.output) > 1 and ctx.node.output[1]:
        raise UnsupportedOperatorError(f"{ctx.op}'s second output (the indices of the maxima) is not supported")
    if int(ctx.attr("storage_order", 0)) != 0:
        raise UnsupportedOperatorError(f"{ctx.op} with storage_order={ctx.attr('storage_order')} is not supported")
    x = builder.pending
    kernel, strides, pads = _pool_geometry(ctx, x, kernel)
    windows = pooling.window_indices(x.shape, kernel, strides, pads, limit=x.limit)
    pooling.fold_max(builder, windows.reshape(-1, windows.shape[-1]), windows.shape[:-1], ctx.short)


def _pad(ctx, x: Affine, pos: int) -> Affine:
    if pos != 0:
        raise UnsupportedOperatorError("Pad's pads and constant value must be constants, not the network's data")
    mode = ctx.attr("mode", "constant")
    if mode not in ("constant", "reflect", "edge"):
        raise UnsupportedOperatorError(f"Pad mode {mode!r} is not supported (constant, reflect, edge are)")
    rank = x.const.ndim
    pads = ctx.raw(1) if ctx.has_input(1) else ctx.attr("pads", None)
    if pads is None:
        raise ShapeError("Pad needs pads (an input from opset 11, an attribute before)")
    pads = [int(v) for v in np.asarray(pads).reshape(-1)]
    if ctx.has_input(2):
        value = ctx.const(2)
        if value.size != 1:
            raise ShapeError(f"Pad's constant_value must be one number; got shape {value.shape}")
        value = float(value.reshape(-1)[0])
    else:
        value = float(ctx.attr("value", 0.0))
    axes = [_axis(int(a), rank) for a in np.asarray(ctx.raw(3)).reshape(-1)] if ctx.has_input(3) else range(rank)
    axes = list(axes)
    if len(set(axes)) != len(axes) or len(pads) != 2 * len(axes):
        raise ShapeError(f"Pad needs 2 x {len(axes)} pads (begins, then ends) for the axes {axes} of shape "
                         f"{x.shape}; got {len(pads)}")
    begins, ends = [0] * rank, [0] * rank
    for j, a in enumerate(axes):
        begins[a], ends[a] = pads[j], pads[len(axes) + j]
    if not any(begins) and not any(ends):
        return x
    idx = pooling.pad_indices(x.shape, begins, ends, mode, limit=x.limit)
    return pooling.take(x, idx, value if mode == "constant" else 0.0, what=f"Pad of a tensor of shape {x.shape}")


def _batchnorm(ctx, x: Affine, pos: int) -> Affine:
    if pos != 0:
        raise UnsupportedOperatorError("BatchNormalization's statistics must be constants")
    if ctx.attr("training_mode", 0):
        raise UnsupportedOperatorError("BatchNormalization in training mode; relucid imports inference graphs only")
    scale, shift, mean, var = (ctx.const(i, ndim=1) for i in (1, 2, 3, 4))
    rank = x.const.ndim
    if rank < 2 or not len(scale) == len(shift) == len(mean) == len(var) == x.shape[1]:
        raise ShapeError(
            f"BatchNormalization with {len(scale)} channels does not fit an input of shape {x.shape} "
            f"(channels on axis 1)"
        )
    factor = scale / np.sqrt(var + float(ctx.attr("epsilon", 1e-5)))
    col = (len(scale),) + (1,) * (rank - 2)
    return x.mul(factor.reshape(col)).add((shift - mean * factor).reshape(col))


#: Operators on the data: op type -> function(ctx, x, position of x among the node's inputs).
DATA_OPS: dict[str, Callable] = {
    "Gemm": _gemm, "MatMul": _matmul, "Add": _add, "Sub": _sub, "Mul": _mul, "Div": _div,
    "Neg": lambda ctx, x, pos: x.neg(), "Flatten": _flatten, "Reshape": _reshape, "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze, "Transpose": _transpose, "Identity": _identity, "Dropout": _dropout,
    "Conv": _conv, "BatchNormalization": _batchnorm, "Pad": _pad, "AveragePool": _average_pool,
    "GlobalAveragePool": lambda ctx, x, pos: _average_pool(ctx, x, pos, kernel=_global_kernel(ctx, x)),
}

#: Operators that emit layers themselves: op type -> function(ctx, builder) (a SegmentBuilder).
LAYER_OPS: dict[str, Callable] = {
    "MaxPool": _max_pool,
    "GlobalMaxPool": lambda ctx, builder: _max_pool(ctx, builder, kernel=_global_kernel(ctx, builder.pending)),
}


# -- constant folding --------------------------------------------------------------
_CONST_BINARY: dict[str, Callable] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "MatMul": np.matmul,
}


def fold_constant(ctx, values: list) -> np.ndarray:
    """Evaluate a node whose inputs are all constants (``values``; None for absent ones)."""
    op = ctx.op
    if op in _CONST_BINARY:
        return _CONST_BINARY[op](values[0], values[1])
    if op == "Div":
        a, b = values
        return a // b if np.issubdtype(np.result_type(a, b), np.integer) else a / b
    if op in ("Identity", "Dropout"):
        return values[0]
    if op == "Neg":
        return -values[0]
    if op == "Sqrt":
        return np.sqrt(values[0])
    if op == "Cast":
        return values[0].astype(helper.tensor_dtype_to_np_dtype(int(ctx.attr("to"))))
    if op == "Shape":
        return shape_of(ctx, values[0].shape)
    if op == "Concat":
        return np.concatenate([v for v in values if v is not None], axis=int(ctx.attr("axis")))
    if op == "Gather":
        return np.take(values[0], values[1], axis=int(ctx.attr("axis", 0)))
    if op == "ConstantOfShape":
        value = ctx.attr("value", None, raw=True)
        fill = tensor_to_array(value, f"the value of ConstantOfShape {ctx.short!r}") if value is not None else None
        fill = np.zeros(1, np.float32) if fill is None else fill.reshape(-1)
        return np.full(_shape_operand(values[0]), fill[0], dtype=fill.dtype)
    if op == "Slice":
        return values[0][_slices(ctx, values)]
    if op in ("Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose"):
        return DATA_OPS[op](ctx, values[0], 0)
    raise UnsupportedOperatorError(
        f"cannot evaluate operator {op!r} on constants; relucid folds constants through {', '.join(FOLDABLE_OPS)}"
    )


def folded_shape(ctx, values: list) -> tuple[int, ...] | None:
    """Shape of the new array :func:`fold_constant` would allocate, computed without allocating it.

    None for operators that return a view of their input (reshapes, Identity)
    or whose operands do not fit (the operator itself then raises).
    """
    op, shapes = ctx.op, [np.shape(v) if v is not None else None for v in values]
    try:
        if op in ("Add", "Sub", "Mul", "Div"):
            return tuple(np.broadcast_shapes(shapes[0], shapes[1]))
        if op == "MatMul":
            a, b = shapes[0], shapes[1]
            if not a or not b:
                return None
            # 1-D operands gain (and the result then loses) an axis of size 1: the count is the same.
            a2, b2 = (a if len(a) > 1 else (1, *a)), (b if len(b) > 1 else (*b, 1))
            return (*np.broadcast_shapes(a2[:-2], b2[:-2]), a2[-2], b2[-1])
        if op in ("Cast", "Neg", "Sqrt"):
            return shapes[0]
        if op == "Concat":
            return (sum(int(np.prod(sh, dtype=object)) for sh in shapes if sh is not None),)
        if op == "Gather":
            axis = _axis(int(ctx.attr("axis", 0)), len(shapes[0]))
            return (*shapes[0][:axis], *shapes[1], *shapes[0][axis + 1:])
        if op == "ConstantOfShape":
            return _shape_operand(values[0])
    except (ValueError, TypeError, IndexError, ShapeError):
        return None
    return None


def _shape_operand(value) -> tuple[int, ...]:
    shape = tuple(int(d) for d in np.asarray(value).reshape(-1))
    if any(d < 0 for d in shape):
        raise ShapeError(f"ConstantOfShape needs sizes >= 0; got {list(shape)}")
    return shape


def _slices(ctx, values) -> tuple[slice, ...]:
    """ONNX ``Slice``'s index (starts, ends, axes, steps as inputs from opset 10, attributes before)."""
    data = values[0]

    def operand(i, attr):
        if len(values) > i and values[i] is not None:
            return [int(v) for v in np.asarray(values[i]).reshape(-1)]
        return None if len(values) > 1 else ctx.attr(attr, None)

    starts, ends = operand(1, "starts"), operand(2, "ends")
    if starts is None or ends is None or len(starts) != len(ends):
        raise ShapeError(f"Slice needs as many starts as ends; got {starts} and {ends}")
    axes = operand(3, "axes") or list(range(len(starts)))
    steps = operand(4, "steps") or [1] * len(starts)
    if len(axes) != len(starts) or len(steps) != len(starts) or 0 in steps:
        raise ShapeError(f"Slice needs one axis and one non-zero step per start; got axes {axes}, steps {steps}")
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[_axis(axis, data.ndim)] = slice(start, end, step)  # Python clamps out-of-range bounds as ONNX does
    return tuple(index)


#: Operators :func:`fold_constant` evaluates.
FOLDABLE_OPS: tuple[str, ...] = tuple(sorted(set(_CONST_BINARY) | {
    "Div", "Identity", "Dropout", "Neg", "Sqrt", "Cast", "Shape", "Concat", "Gather",
    "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "ConstantOfShape", "Slice",
}))


def shape_of(ctx, shape) -> np.ndarray:
    """ONNX ``Shape`` (with its ``start``/``end`` attributes) of a tensor of ``shape``."""
    start, end = ctx.attr("start", 0), ctx.attr("end", None)
    return np.array(shape[start:end], dtype=np.int64)


def constant_value(ctx) -> np.ndarray:
    """The tensor a ``Constant`` node holds."""
    def to_array(tensor):
        return tensor_to_array(tensor, f"the value of Constant {ctx.short!r}")

    for key, conv in (("value", to_array), ("value_float", np.float32), ("value_floats", np.float32),
                      ("value_int", np.int64), ("value_ints", np.int64)):
        value = ctx.attr(key, None, raw=True)
        if value is not None:
            return np.asarray(conv(value))
    raise UnsupportedOperatorError(f"Constant node with attributes {ctx.attr_names()} is not supported")


SUPPORTED_OPS: tuple[str, ...] = tuple(sorted(set(DATA_OPS) | set(LAYER_OPS) | set(ACTIVATION_OPS) |
                                              {"Constant", "Shape"}))
