"""Helpers for the io tests (an importable module, not a test module): ONNX graphs by hand, onnxruntime runs."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import relucid as rl


def make_model(nodes, inputs, outputs, initializers=(), *, opset: int = 13, ir_version: int = 8):
    """An ONNX model from nodes, (name, shape) inputs/outputs and {name: array} initializers.

    Shapes may hold strings (dynamic axes); ``outputs`` shapes may be None (unknown).
    """
    graph = helper.make_graph(
        list(nodes),
        "test",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v, dtype=np.float32), k)
                     for k, v in dict(initializers).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    return model


def run_ort(model_or_path, X: np.ndarray, shape=None, *, batched: bool = False, dtype=np.float32) -> np.ndarray:
    """onnxruntime outputs, one flattened row per row of ``X``.

    Rows are fed one at a time in ``shape`` (default: the declared input shape, dynamic
    axes set to 1), or all at once as ``(len(X), *shape[1:])`` when ``batched``.
    """
    ort = pytest.importorskip("onnxruntime")
    src = model_or_path.SerializeToString() if hasattr(model_or_path, "SerializeToString") else str(model_or_path)
    sess = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    if shape is None:
        shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    if batched:
        out = sess.run(None, {inp.name: X.reshape((len(X), *shape[1:])).astype(dtype)})[0]
        return out.reshape(len(X), -1).astype(np.float64)
    rows = [sess.run(None, {inp.name: x.reshape(shape).astype(dtype)})[0].reshape(-1) for x in X]
    return np.array(rows, dtype=np.float64)


def assert_close_to_float32(ours: np.ndarray, ref: np.ndarray, rtol: float = 1e-5) -> None:
    """``ours`` (float64) matches ``ref`` computed in float32 to ``rtol`` of its scale.

    Float32 runtimes accumulate dot products with ~1e-7 relative error per term, so
    the difference is measured against the largest output magnitude (at least 1).
    """
    assert ours.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max()))
    err = float(np.abs(ours - ref).max())
    assert err <= rtol * scale, f"max |relucid - onnxruntime| = {err:.3g} > {rtol:g} * {scale:.3g}"


def random_network(rng, dims, activations, *, alpha=0.1):
    """A Network with layer widths ``dims`` and one activation name per layer."""
    layers = []
    for (a, b), act in zip(zip(dims, dims[1:]), activations):
        layers.append(rl.Dense(rng.normal(size=(b, a)) / np.sqrt(a), rng.normal(size=b) * 0.5, act,
                               alpha=alpha if act == "leaky_relu" else None))
    return rl.Network(layers)


def check_torch_export(model, shape: tuple, tmp_path, name: str = "model") -> None:
    """Export ``model`` (eval mode, input ``(1, *shape)``) with torch.onnx and check that relucid's import
    agrees with torch and onnxruntime, and ``rl.from_torch`` with the import, to float32 rounding."""
    import io
    import warnings

    import torch

    import relucid as rl

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated (the new one needs onnxscript)
        torch.onnx.export(model, torch.zeros(1, *shape), buf, dynamo=False, input_names=["x"], output_names=["y"])
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(buf.getvalue())
    net = rl.load(path)
    X = np.random.default_rng(0).uniform(0, 1, size=(200, int(np.prod(shape))))
    with torch.no_grad():
        ref = model(torch.from_numpy(X).float().reshape(-1, *shape)).numpy().astype(np.float64)
    assert_close_to_float32(net(X), ref)
    assert_close_to_float32(net(X), run_ort(path, X))
    # from_torch on the same module (float64 throughout) agrees with the ONNX import to float32 rounding.
    assert_close_to_float32(rl.from_torch(model, input_shape=shape)(X), net(X))
