"""save(net, "x.onnx"): runs in onnxruntime and reads back with relucid.load."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import relucid as rl
from io_helpers import assert_close_to_float32, random_network, run_ort
from relucid.io.onnx import model_from_network

ACTS = ["relu", "leaky_relu", "identity", "sigmoid", "tanh"]


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 4))
    dims = draw(st.lists(st.integers(1, 6), min_size=depth + 1, max_size=depth + 1))
    acts = draw(st.lists(st.sampled_from(ACTS), min_size=depth, max_size=depth))
    alpha = draw(st.floats(0.01, 0.5))
    return random_network(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), dims, acts, alpha=alpha)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_export_runs_in_onnxruntime_and_reads_back(tmp_path, net):
    path = tmp_path / "net.onnx"
    rl.save(net, path)
    X = np.random.default_rng(0).uniform(-2, 2, size=(50, net.input_dim))
    # Batched run: the exported input has a dynamic batch axis "N".
    assert_close_to_float32(net(X), run_ort(path, X, batched=True))
    back = rl.load(path)
    # Hidden identity layers are affine maps followed by affine maps: the importer merges them.
    kept = [l for i, l in enumerate(net.layers) if l.activation != "identity" or i == len(net.layers) - 1]
    assert [(l.activation, l.alpha is None, l.out_dim) for l in back.layers] == [
        (l.activation, l.alpha is None, l.out_dim) for l in kept]
    if len(kept) == len(net.layers):
        for a, b in zip(back.layers, net.layers):
            # float32 weights: equal to the float32 rounding of the originals, exactly.
            assert np.array_equal(a.weight, b.weight.astype(np.float32))
            assert np.array_equal(a.bias, b.bias.astype(np.float32))
    assert_close_to_float32(back(X), net(X))


def test_float64_export_round_trips_exactly(tmp_path):
    # (onnxruntime has no float64 LeakyRelu; relucid reads it back all the same)
    net = random_network(np.random.default_rng(3), [4, 6, 5, 2], ["relu", "tanh", "identity"])
    path = tmp_path / "net64.onnx"
    rl.io.save_onnx(net, path, dtype="float64")
    back = rl.load(path)
    X = np.random.default_rng(1).normal(size=(100, 4))
    assert np.max(np.abs(back(X) - net(X))) <= 1e-12
    assert all(np.array_equal(a.weight, b.weight) for a, b in zip(back.layers, net.layers))
    assert np.max(np.abs(run_ort(path, X, batched=True, dtype=np.float64) - net(X))) <= 1e-12


def test_exported_graph_layout():
    net = random_network(np.random.default_rng(0), [3, 4, 2], ["leaky_relu", "identity"], alpha=0.25)
    model = model_from_network(net)
    onnx.checker.check_model(model)
    assert [n.op_type for n in model.graph.node] == ["Gemm", "LeakyRelu", "Gemm"]
    assert model.graph.input[0].name == "input" and model.graph.output[0].name == "output"
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["N", 3]
    alpha = [a.f for a in model.graph.node[1].attribute if a.name == "alpha"]
    assert alpha == [pytest.approx(0.25)]


def test_export_refuses_non_network(tmp_path):
    with pytest.raises(rl.ModelFormatError, match="needs a relucid.Network"):
        rl.save("not a net", tmp_path / "x.onnx")
