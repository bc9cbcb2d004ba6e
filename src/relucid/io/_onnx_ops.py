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
    strides = list(ctx.attr("strides", [1] * k))
    dilations = list(ctx.attr("dilations", [1] * k))
    pads = list(ctx.attr("pads", [0] * 2 * k))
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    group = int(ctx.attr("group", 1))
    for name, values, size, least in (("strides", strides, k, 1), ("dilations", dilations, k, 1),
                                      ("pads", pads, 2 * k, 0), ("group", [group], 1, 1)):
        if len(values) != size or any(int(v) < least for v in values):
            count = "an integer" if size == 1 else f"{size} integers"
            raise ShapeError(f"Conv {name} must be {count} >= {least} for a weight of shape {W.shape}; "
                             f"got {list(values)}")
    kernel = ctx.attr("kernel_shape", None)
    if kernel is not None and tuple(kernel) != W.shape[2:]:
        raise ShapeError(f"Conv kernel_shape {tuple(kernel)} disagrees with its weight of shape {W.shape}")
    if auto_pad == "VALID":
        pads = [0] * 2 * k
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if x.const.ndim != k + 2:
            raise ShapeError(f"Conv with weight {W.shape} needs an input of rank {k + 2}; got shape {x.shape}")
        pads = [0] * 2 * k
        for i in range(k):
            size = x.shape[2 + i]
            eff = (W.shape[2 + i] - 1) * dilations[i] + 1
            total = max(0, (-(-size // strides[i]) - 1) * strides[i] + eff - size)
            small, big = total // 2, total - total // 2
            pads[i], pads[k + i] = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
    elif auto_pad != "NOTSET":
        raise UnsupportedOperatorError(f"Conv auto_pad={auto_pad!r} is not supported")
    return x.conv(W, bias, strides=strides, pads=pads, dilations=dilations, group=group,
                  what=f"Conv on an input of shape {x.shape}")


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
    "Conv": _conv, "BatchNormalization": _batchnorm,
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
    except (ValueError, TypeError, IndexError, ShapeError):
        return None
    return None


#: Operators :func:`fold_constant` evaluates.
FOLDABLE_OPS: tuple[str, ...] = tuple(sorted(set(_CONST_BINARY) | {
    "Div", "Identity", "Dropout", "Neg", "Sqrt", "Cast", "Shape", "Concat", "Gather",
    "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose",
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


SUPPORTED_OPS: tuple[str, ...] = tuple(sorted(set(DATA_OPS) | set(ACTIVATION_OPS) | {"Constant", "Shape"}))
