"""ONNX tensors read safely: external data confined to the model's folder, sizes checked first.

relucid loads a model with ``onnx.load(path, load_external_data=False)`` and
reads external data itself, whatever onnx version is installed (onnx before
1.21 follows a symlink inside the model's folder to any file on disk). For
every tensor stored externally (initializers, ``Constant`` values, tensors in
attributes and subgraphs):

1. ``location`` must be a relative path without ``..`` components;
2. its real path (``os.path.realpath``, every symlink followed) must lie
   inside the real path of the folder that holds the model file;
3. it must be a regular file (not a FIFO, device or folder);
4. ``offset`` and ``length`` must be non-negative integers, ``length`` (when
   given) must equal the tensor's declared size (dims x element size), and
   the file must hold that many bytes after ``offset``;
5. every tensor's element count has been charged to the file's
   :class:`~relucid.io._limits.ElementBudget` (:func:`charge_tensors`)
   before a byte is read.

Anything else is a :class:`~relucid.errors.ModelFormatError` naming the
tensor and the location. The bytes become the tensor's ``raw_data``.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import PurePosixPath, PureWindowsPath

import numpy as np
from onnx import TensorProto, numpy_helper

from ..errors import ModelFormatError
from ._limits import ElementBudget

__all__ = ["charge_tensors", "read_external_data", "tensor_to_array"]

# Bytes per element of raw data, by TensorProto type name (types a given onnx version lacks are skipped).
_ITEM_BYTES = {
    "FLOAT": 4, "UINT8": 1, "INT8": 1, "UINT16": 2, "INT16": 2, "INT32": 4, "INT64": 8, "BOOL": 1,
    "FLOAT16": 2, "DOUBLE": 8, "UINT32": 4, "UINT64": 8, "COMPLEX64": 8, "COMPLEX128": 16, "BFLOAT16": 2,
    "FLOAT8E4M3FN": 1, "FLOAT8E4M3FNUZ": 1, "FLOAT8E5M2": 1, "FLOAT8E5M2FNUZ": 1, "FLOAT8E8M0": 1,
}
_PER_BYTE = {"UINT4": 2, "INT4": 2, "FLOAT4E2M1": 2, "UINT2": 4, "INT2": 4}  # packed sub-byte types
_EXTERNAL = TensorProto.EXTERNAL


def _type_name(tensor: TensorProto) -> str:
    try:
        return TensorProto.DataType.Name(tensor.data_type)
    except ValueError:
        return f"type {tensor.data_type}"


def raw_size(tensor: TensorProto, what: str) -> int:
    """Bytes of raw data a tensor of its dims and element type holds."""
    name, count = _type_name(tensor), math.prod(int(d) for d in tensor.dims)
    if name in _ITEM_BYTES:
        return count * _ITEM_BYTES[name]
    if name in _PER_BYTE:
        return -(-count // _PER_BYTE[name])
    raise ModelFormatError(f"{what} has element type {name}, which relucid cannot read from external data")


def _all_tensors(graph):
    """``(tensor, description)`` for every tensor of a graph, its nodes' attributes and subgraphs."""
    stack = [(graph, "")]
    while stack:
        g, inside = stack.pop()
        for t in g.initializer:
            yield t, f"initializer {t.name!r}{inside}"
        for s in g.sparse_initializer:
            yield s.values, f"sparse initializer {s.values.name!r}{inside}"
            yield s.indices, f"indices of sparse initializer {s.values.name!r}{inside}"
        for index, node in enumerate(g.node):
            label = f"node {node.name!r}" if node.name else f"node {index} ({node.op_type})"
            for a in node.attribute:
                where = f"attribute {a.name!r} of {label}{inside}"
                if a.HasField("t"):
                    yield a.t, where
                for t in a.tensors:
                    yield t, where
                if a.HasField("sparse_tensor"):
                    yield a.sparse_tensor.values, where
                    yield a.sparse_tensor.indices, where
                for s in a.sparse_tensors:
                    yield s.values, where
                    yield s.indices, where
                for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    stack.append((sub, f" in a subgraph of {label}{inside}"))


def charge_tensors(model, budget: ElementBudget) -> None:
    """Charge every tensor the model declares (inline or external) to ``budget``, before any is read."""
    for tensor, what in _all_tensors(model.graph):
        budget.charge(tensor.dims, what)


def read_external_data(model, model_path) -> None:
    """Fill ``raw_data`` of every externally stored tensor of ``model`` (see the module docstring).

    Call :func:`charge_tensors` first: the sizes read here are those it checked.
    """
    folder = os.path.realpath(os.path.dirname(os.path.abspath(os.fspath(model_path))))
    for tensor, what in _all_tensors(model.graph):
        if tensor.data_location != _EXTERNAL:
            continue
        info = {entry.key: entry.value for entry in tensor.external_data}
        location = info.get("location", "")
        where = f"{what}: external data location {location!r}"
        size = raw_size(tensor, what)
        offset, length = _nonneg(info, "offset", where), _nonneg(info, "length", where)
        if length is not None and length != size:
            raise ModelFormatError(
                f"{where}: length {length} does not match the tensor's {size} bytes "
                f"({_type_name(tensor)} of shape {tuple(tensor.dims)})"
            )
        tensor.raw_data = _read_confined(folder, location, offset or 0, size, where)
        tensor.data_location = TensorProto.DEFAULT
        del tensor.external_data[:]


def _nonneg(info: dict, key: str, where: str) -> int | None:
    if key not in info or info[key] == "":
        return None
    text = info[key]
    if not text.isascii() or not text.isdigit():
        raise ModelFormatError(f"{where}: {key} must be a non-negative integer; got {text!r}")
    return int(text)


def _read_confined(folder: str, location: str, offset: int, size: int, where: str) -> bytes:
    """``size`` bytes at ``offset`` of ``location``, a regular file inside ``folder`` (a real path)."""
    posix, windows = PurePosixPath(location), PureWindowsPath(location)
    if not location or "\x00" in location:
        raise ModelFormatError(f"{where}: the location is empty or invalid")
    if posix.is_absolute() or windows.is_absolute() or windows.drive or windows.root:
        raise ModelFormatError(f"{where}: an absolute path; relucid reads external data only from files "
                               f"inside the model's folder")
    if ".." in posix.parts or ".." in windows.parts:
        raise ModelFormatError(f"{where}: a path with '..'; relucid reads external data only from files "
                               f"inside the model's folder")
    real = os.path.realpath(os.path.join(folder, location))
    if os.path.commonpath([real, folder]) != folder or real == folder:
        raise ModelFormatError(f"{where} resolves (through a symbolic link) to {real!r}, outside the model's "
                               f"folder {folder!r}; relucid reads external data only from files inside it")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            raise ModelFormatError(f"{where}: {real!r} is not a regular file")
        fd = os.open(real, flags)
    except FileNotFoundError:
        raise ModelFormatError(f"{where}: no such file in the model's folder") from None
    except OSError as exc:
        raise ModelFormatError(f"{where}: cannot open it: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ModelFormatError(f"{where}: {real!r} is not a regular file")
        if offset + size > info.st_size:
            raise ModelFormatError(
                f"{where}: the file has {info.st_size} bytes, too short for the tensor's {size} bytes "
                f"at offset {offset}"
            )
        fh.seek(offset)
        data = fh.read(size)
    if len(data) != size:
        raise ModelFormatError(f"{where}: read {len(data)} of the tensor's {size} bytes")
    return data


def tensor_to_array(tensor: TensorProto, what: str) -> np.ndarray:
    """``numpy_helper.to_array``, refusing data still external (see :func:`read_external_data`).

    The tensor's size must have been charged already (:func:`charge_tensors`).
    """
    if tensor.data_location == _EXTERNAL:
        raise ModelFormatError(
            f"{what} keeps its data in an external file; load the model from its path with relucid.load(path) "
            f"(relucid reads external data only there, confined to the model's folder)"
        )
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise ModelFormatError(f"cannot read {what}: {exc}") from None
