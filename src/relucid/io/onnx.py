"""ONNX import and export.

Import walks the graph in topological order from its single data input and
keeps one pending affine map (see :mod:`relucid.io._affine`) on the flattened
input of the current *linear segment*. Affine operators (Sub/Div
normalisation, MatMul, Gemm, Add, Mul, Conv, BatchNormalization, reshapes)
are folded into it; each activation (Relu, LeakyRelu, Sigmoid, Tanh) turns it
into one :class:`~relucid.network.Dense` layer. A graph that ends without an
activation gets a final identity layer. The file is parsed with the ``onnx``
package only; onnxruntime is never used to load.

The batch axis (axis 0 of an input of rank >= 2) is fixed to 1; the network
takes flat vectors in C order of the remaining axes (an input of rank 1 has no
batch axis). Outputs are flattened the same way.

Hostile files: every size the file declares (input dims, initializers,
folded constants, the dense layers the import builds) is checked against an
:class:`~relucid.io._limits.ElementBudget` before it is allocated, and
external data is read by relucid itself, confined to the model's folder
(see :mod:`relucid.io._onnx_tensors`), whatever onnx version is installed.
"""

from __future__ import annotations

import heapq
import logging
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import TensorProto, helper, numpy_helper

from .._validate import check_finite
from ..errors import ModelFormatError, RelucidError, ShapeError, UnsupportedOperatorError
from ..network import Network
from . import _onnx_ops as ops
from ._affine import MAX_DENSE_ENTRIES, Affine, SegmentBuilder
from ._limits import ElementBudget, check_nonempty
from ._onnx_tensors import charge_tensors, read_external_data, tensor_to_array

log = logging.getLogger(__name__)

__all__ = ["load_onnx", "network_from_onnx", "save_onnx", "SUPPORTED_OPS"]

SUPPORTED_OPS = ops.SUPPORTED_OPS
_SHAPE_ONLY = {"Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout"}
_FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}


def load_onnx(path, *, input_shape=None, check: bool = False, max_dense_entries: int = MAX_DENSE_ENTRIES,
              max_elements: int | None = None) -> Network:
    """Read an ONNX file into a :class:`~relucid.network.Network` (float64).

    Parameters
    ----------
    path : str or Path
    input_shape : tuple of int, optional
        Shape to assume for the data input, batch axis included (e.g.
        ``(1, 3, 32, 32)``), for files that leave non-batch axes unknown.
    check : bool, default False
        Also run ``onnx.checker.check_model`` and refuse files it rejects.
    max_dense_entries : int
        Refuse convolutions whose dense matrix would have more entries.
    max_elements : int, optional
        Most float64 entries the file may make relucid allocate in all (its
        input, initializers, folded constants and the layers built; default:
        the environment variable ``RELUCID_MAX_ELEMENTS`` or 10^8). Checked
        from the declared shapes before anything is allocated.

    Returns
    -------
    Network

    Raises
    ------
    ModelFormatError
        Malformed or truncated file, several data inputs or outputs, a graph that branches,
        a 0-sized input or output, more entries than ``max_elements``, or external data that is
        not a regular file inside the model's folder of the tensor's size (the message names the
        tensor and the location).
    UnsupportedOperatorError
        An operator relucid cannot convert exactly (the message names it and the node).
    InvalidValueError
        NaN or inf weights (the message names the node and the tensor).
    ShapeError
        Operands whose shapes do not fit (e.g. a MatMul with mismatched inner dimensions).
    """
    path = Path(path)
    try:
        # External data is read below by relucid itself, confined to the model's folder.
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError) as exc:
        raise ModelFormatError(f"could not parse ONNX file {path}: {type(exc).__name__}: {exc}") from None
    try:
        budget = ElementBudget(max_elements)
        _check_model_proto(model)
        charge_tensors(model, budget)
        read_external_data(model, path)
        if check:
            try:
                onnx.checker.check_model(model)
            except (onnx.checker.ValidationError, ValueError) as exc:
                raise ModelFormatError(f"fails onnx.checker: {exc}") from None
        return _Importer(model, max_dense_entries, budget).run(input_shape)
    except RelucidError as exc:
        raise type(exc)(f"{path.name}: {exc}") from None


def network_from_onnx(model: onnx.ModelProto, *, input_shape=None,
                      max_dense_entries: int = MAX_DENSE_ENTRIES, max_elements: int | None = None) -> Network:
    """Convert an in-memory ``onnx.ModelProto``; see :func:`load_onnx`.

    Tensors whose data is still external are refused (this function knows no
    folder to confine them to): load such models with :func:`load_onnx`.
    """
    _check_model_proto(model)
    budget = ElementBudget(max_elements)
    charge_tensors(model, budget)
    return _Importer(model, max_dense_entries, budget).run(input_shape)


def _check_model_proto(model) -> None:
    if not isinstance(model, onnx.ModelProto) or not model.HasField("graph"):
        raise ModelFormatError("not an ONNX model: it has no graph")


class _Importer:
    """One pass over a graph; holds the constants, the data tensors and the layers built so far."""

    def __init__(self, model: onnx.ModelProto, limit: int, budget: ElementBudget) -> None:
        # Every tensor of the model has been charged to ``budget`` (charge_tensors); what the import
        # allocates beyond them (input, folded constants, layers) is charged as it goes.
        self.graph = model.graph
        self.limit = limit
        self.budget = budget
        self.consts: dict[str, np.ndarray] = {}
        for init in self.graph.initializer:
            self.consts[init.name] = tensor_to_array(init, f"initializer {init.name!r}")
        self.shapes: dict[str, tuple[int, ...]] = {}  # every data tensor computed so far
        self.current: str | None = None  # the one live data tensor; its map is self.builder.pending
        self.builder: SegmentBuilder | None = None

    # -- the walk ------------------------------------------------------------------
    def run(self, input_shape) -> Network:
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            names = ", ".join(repr(i.name) for i in inputs) or "none"
            raise ModelFormatError(f"relucid networks take one data input; this graph has {len(inputs)} ({names})")
        if len(self.graph.output) != 1:
            raise ModelFormatError(f"relucid networks have one output; this graph has {len(self.graph.output)}")
        start = inputs[0]
        shape = _input_shape(start, input_shape)
        self.budget.charge(shape, f"input {start.name!r}")
        self.budget.charge(shape, f"the identity map of input {start.name!r}")
        self.builder = SegmentBuilder(Affine.identity(shape, limit=self.limit), budget=self.budget)
        self.current = start.name
        self.shapes[start.name] = shape
        out = self.graph.output[0].name
        for index, node in self._schedule(out):
            self._visit(index, node)
        if out not in self.shapes:
            raise ModelFormatError(f"the graph output {out!r} does not depend on the input {start.name!r}")
        if out != self.current:
            raise ModelFormatError(f"the graph output {out!r} is not the last tensor computed; the graph branches")
        # A trailing affine map is kept even when it is the identity (test_tiny.onnx ends in x*1+0),
        # so the layers mirror the file; trailing reshapes alone add no layer.
        try:
            net = Network(self.builder.finish())
        except RelucidError as exc:
            raise type(exc)(f"output {out!r}: {exc}") from None
        check_nonempty(net, f"output {out!r}")
        return net

    def _schedule(self, out: str) -> list[tuple[int, onnx.NodeProto]]:
        """The nodes ``out`` depends on, in a stable topological order."""
        producer = {}
        for index, node in enumerate(self.graph.node):
            for name in node.output:
                if name:
                    producer[name] = index
        needed, stack = set(), [out]
        while stack:
            name = stack.pop()
            index = producer.get(name)
            if index is None or index in needed:
                continue
            needed.add(index)
            stack.extend(n for n in self.graph.node[index].input if n)
        # Kahn's algorithm over the needed nodes, lowest file position first among the ready ones.
        available = set(self.consts) | {i.name for i in self.graph.input}
        waiting = {i: {n for n in self.graph.node[i].input if n and n not in available} for i in needed}
        readers: dict[str, list[int]] = {}
        for i, names in waiting.items():
            for name in names:
                readers.setdefault(name, []).append(i)
        ready = [i for i, names in waiting.items() if not names]
        heapq.heapify(ready)
        order = []
        while ready:
            i = heapq.heappop(ready)
            order.append((i, self.graph.node[i]))
            for name in self.graph.node[i].output:
                for j in readers.pop(name, ()):
                    waiting[j].discard(name)
                    if not waiting[j]:
                        heapq.heappush(ready, j)
        if len(order) < len(needed):
            i = min(set(needed) - {k for k, _ in order})
            raise ModelFormatError(
                f"ONNX operator {_label(self.graph.node[i], i)} reads {sorted(waiting[i])[0]!r}, which no node, "
                f"input or initializer provides (or the graph has a cycle)"
            )
        return order

    def _visit(self, index: int, node: onnx.NodeProto) -> None:
        ctx = _NodeContext(self, node, index)
        if node.domain not in ("", "ai.onnx") or (ctx.op not in SUPPORTED_OPS and ctx.op not in ops.FOLDABLE_OPS):
            domain = f" (domain {node.domain!r})" if node.domain else ""
            raise UnsupportedOperatorError(
                f"unsupported ONNX operator {ctx.label}{domain}; relucid supports: {', '.join(SUPPORTED_OPS)}"
            )
        try:
            self._apply(ctx)
        except RelucidError as exc:
            raise type(exc)(f"ONNX operator {ctx.label}: {exc}") from None
        except (ValueError, IndexError, TypeError) as exc:
            shapes = [self._shape_of(n) for n in node.input]
            raise ShapeError(f"ONNX operator {ctx.label}: {exc} (input shapes {shapes})") from None

    def _apply(self, ctx: _NodeContext) -> None:
        node, op = ctx.node, ctx.op
        data = [n for n in node.input if n in self.shapes]
        if op == "Constant":
            self.consts[node.output[0]] = ops.constant_value(ctx)
            return
        if op == "Shape" and data:
            self.consts[node.output[0]] = ops.shape_of(ctx, self.shapes[data[0]])
            return
        if not data:
            values = [self.consts[n] if n else None for n in node.input]
            shape = ops.folded_shape(ctx, values)
            if shape is not None:
                self.budget.charge(shape, f"the constant {node.output[0]!r} it computes")
            self.consts[node.output[0]] = ops.fold_constant(ctx, values)
            return
        if len(set(data)) > 1 or data[0] != self.current:
            raise ModelFormatError(
                f"reads the data tensor(s) {sorted(set(data))} but only {self.current!r} is live; relucid imports "
                f"chain-shaped graphs (no residual connections, branches or products of two data tensors)"
            )
        if len(data) > 1:
            raise UnsupportedOperatorError(
                f"uses the data tensor {data[0]!r} twice; relucid does not combine it with itself"
            )
        x, pos = self.builder.pending, list(node.input).index(data[0])
        if op in ops.ACTIVATION_OPS:
            act = ops.ACTIVATION_OPS[op]
            alpha = float(ctx.attr("alpha", np.float32(0.01))) if act == "leaky_relu" else None  # float32, as stored
            self.builder.activate(act, alpha, ctx.short)
        elif op in ops.DATA_OPS:
            self.builder.fold(ops.DATA_OPS[op](ctx, x, pos), ctx.short, shape_only=op in _SHAPE_ONLY)
        elif op in ops.LAYER_OPS:
            ops.LAYER_OPS[op](ctx, self.builder)
        else:
            raise UnsupportedOperatorError(
                f"is supported on constants only, not on the network's data; relucid supports on data: "
                f"{', '.join(sorted(set(ops.DATA_OPS) | set(ops.LAYER_OPS) | set(ops.ACTIVATION_OPS)))}"
            )
        self.current = node.output[0]
        self.shapes[self.current] = self.builder.pending.shape

    def _shape_of(self, name: str):
        if name in self.shapes:
            return self.shapes[name]
        return self.consts[name].shape if name in self.consts else None


class _NodeContext:
    """What an operator function may ask about its node: attributes and constant operands."""

    def __init__(self, importer: _Importer, node: onnx.NodeProto, index: int) -> None:
        self.importer, self.node, self.op = importer, node, node.op_type
        self.label = _label(node, index)
        self.short = node.name or f"{node.op_type}#{index}"
        self._attrs = {a.name: a for a in node.attribute}

    def attr(self, name: str, default=None, *, raw: bool = False):
        if name not in self._attrs:
            return default
        value = helper.get_attribute_value(self._attrs[name])
        if isinstance(value, bytes) and not raw:
            return value.decode()
        return value

    def attr_names(self) -> list[str]:
        return sorted(self._attrs)

    def has_input(self, i: int) -> bool:
        return i < len(self.node.input) and bool(self.node.input[i])

    def raw(self, i: int) -> np.ndarray:
        """Operand ``i`` as a constant numpy array of its own dtype."""
        if not self.has_input(i):
            raise ModelFormatError(f"{self.op} needs operand {i}, which is missing")
        name = self.node.input[i]
        if name not in self.importer.consts:
            raise UnsupportedOperatorError(
                f"operand {i} ({name!r}) of {self.op} must be a constant (an initializer or Constant), but it is "
                f"computed from the network input; relucid converts only products of the data with constants"
            )
        return self.importer.consts[name]

    def const(self, i: int, *, ndim: int | None = None) -> np.ndarray:
        """Operand ``i`` as a finite float64 constant."""
        arr = np.asarray(self.raw(i), dtype=np.float64)
        name = self.node.input[i]
        if ndim is not None and arr.ndim != ndim:
            raise ShapeError(f"operand {i} ({name!r}) of {self.op} must be {ndim}-D; got shape {arr.shape}")
        check_finite(arr, what=f"constant {name!r}")
        return arr


def _label(node: onnx.NodeProto, index: int) -> str:
    where = f"at node {node.name!r} (node {index})" if node.name else f"at node {index}"
    return f"{node.op_type!r} {where}"


def _input_shape(value_info: onnx.ValueInfoProto, override) -> tuple[int, ...]:
    """The concrete shape of the data input, batch axis set to 1."""
    ttype = value_info.type.tensor_type
    if value_info.type.HasField("tensor_type") and ttype.elem_type not in _FLOAT_TYPES and ttype.elem_type:
        raise ModelFormatError(
            f"input {value_info.name!r} has element type {TensorProto.DataType.Name(ttype.elem_type)}; "
            f"relucid networks take real-valued inputs"
        )
    if override is not None:
        return _override_shape(override)
    if not ttype.HasField("shape"):
        raise ModelFormatError(f"input {value_info.name!r} has no declared shape; pass input_shape=(...)")
    dims = []
    for axis, dim in enumerate(ttype.shape.dim):
        if dim.HasField("dim_value") and dim.dim_value > 0:
            dims.append(int(dim.dim_value))
        elif axis == 0 and len(ttype.shape.dim) >= 2:
            dims.append(1)
        elif dim.HasField("dim_value"):
            raise ModelFormatError(
                f"input {value_info.name!r} has size {dim.dim_value} on axis {axis}: a "
                f"{'0-sized' if dim.dim_value == 0 else 'negative'} input; relucid networks take at least one input"
            )
        else:
            raise ModelFormatError(
                f"input {value_info.name!r} has unknown size {dim.dim_param or '?'!r} on axis {axis}; "
                f"pass input_shape=(...) with the batch axis included"
            )
    if len(dims) >= 2 and dims[0] != 1:
        log.info("input %r declares batch size %d; importing with batch size 1", value_info.name, dims[0])
        dims[0] = 1
    return tuple(dims)


def _override_shape(override) -> tuple[int, ...]:
    try:
        dims = tuple(override)
    except TypeError:
        raise ShapeError(f"input_shape must be a tuple of positive ints; got {override!r}") from None
    if not dims or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in dims):
        raise ShapeError(f"input_shape must be a non-empty tuple of positive ints; got {override!r}")
    return tuple(int(d) for d in dims)


# -- export ---------------------------------------------------------------------
_EXPORT_ACTIVATIONS = {"relu": "Relu", "leaky_relu": "LeakyRelu", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def save_onnx(net: Network, path, *, dtype: str = "float32", opset: int = 13) -> None:
    """Write ``net`` as an ONNX graph of Gemm and activation nodes.

    Parameters
    ----------
    net : Network
    path : str or Path
    dtype : {"float32", "float64"}
        Element type of the weights and of the input/output tensors. float32
        (the default) is what every runtime supports; it rounds the weights.
        float64 round-trips exactly through :func:`load_onnx`.
    opset : int
        ONNX opset to declare (13 or later).

    Notes
    -----
    The input is named ``"input"`` with shape ``["N", input_dim]`` (dynamic
    batch), the output ``"output"`` with shape ``["N", output_dim]``. Each
    layer is a ``Gemm`` (``transB=1``) followed by its activation node.

    Reading the file back gives the same function; hidden layers with the
    identity activation are merged into the next layer (two affine maps in a
    row are one), and a leaky_relu slope is stored as a float32 attribute.
    onnxruntime has no float64 ``LeakyRelu``.
    """
    onnx.save(model_from_network(net, dtype=dtype, opset=opset), str(path))


def model_from_network(net: Network, *, dtype: str = "float32", opset: int = 13) -> onnx.ModelProto:
    """The ``onnx.ModelProto`` that :func:`save_onnx` writes."""
    if not isinstance(net, Network):
        raise ModelFormatError(f"save_onnx needs a relucid.Network; got {type(net).__name__}")
    if dtype not in ("float32", "float64"):
        raise ModelFormatError(f"save_onnx: dtype must be 'float32' or 'float64'; got {dtype!r}")
    np_type = np.dtype(dtype)
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    nodes, inits, x = [], [], "input"
    for i, layer in enumerate(net.layers):
        inits += [numpy_helper.from_array(layer.weight.astype(np_type), f"W{i}"),
                  numpy_helper.from_array(layer.bias.astype(np_type), f"b{i}")]
        last = i == len(net.layers) - 1
        z = "output" if last and layer.activation == "identity" else f"z{i}"
        nodes.append(helper.make_node("Gemm", [x, f"W{i}", f"b{i}"], [z], name=f"layer{i}_gemm", transB=1))
        x = z
        if layer.activation != "identity":
            y = "output" if last else f"a{i}"
            kwargs = {"alpha": layer.alpha} if layer.activation == "leaky_relu" else {}
            op = _EXPORT_ACTIVATIONS[layer.activation]
            nodes.append(helper.make_node(op, [x], [y], name=f"layer{i}_{layer.activation}", **kwargs))
            x = y
    graph = helper.make_graph(
        nodes, "relucid_network",
        [helper.make_tensor_value_info("input", elem, ["N", net.input_dim])],
        [helper.make_tensor_value_info("output", elem, ["N", net.output_dim])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="relucid")
    model.ir_version = 8
    return model
