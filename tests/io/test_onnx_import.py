"""ONNX import of hand-built graphs, checked against onnxruntime and against answers by hand."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

import relucid as rl
from io_helpers import assert_close_to_float32, make_model, run_ort
from relucid.io.onnx import network_from_onnx

RNG = np.random.default_rng(42)


def _r(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def _check(model, n_in, *, n=200, shape=None):
    """Import ``model``, compare with onnxruntime on ``n`` random inputs; return the network."""
    net = network_from_onnx(model)
    assert net.input_dim == n_in
    X = np.random.default_rng(0).uniform(-1, 1, size=(n, n_in))
    assert_close_to_float32(net(X), run_ort(model, X, shape))
    return net


def test_gemm_flags_by_hand():
    # y = alpha * (A^T)(B^T) + beta * C with the data as A (transA=0) and B of shape (3, 2) stored transposed.
    B = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]], dtype=np.float32)
    model = make_model(
        [helper.make_node("Gemm", ["x", "Bt", "c"], ["y"], name="g", transB=1, alpha=2.0, beta=-1.0)],
        [("x", [1, 3])], [("y", [1, 2])], {"Bt": B.T, "c": [1.0, 10.0]},
    )
    net = _check(model, 3)
    W, b = net.layers[0].weight, net.layers[0].bias
    assert np.allclose(W, 2 * B.T) and np.allclose(b, [-1.0, -10.0])
    assert net.layers[0].activation == "identity" and net.layers[0].name == "g"


def test_gemm_data_as_b_operand_and_transa():
    # Gemm(A_const, x, transB=1): A (4, 3) @ x^T (3, 1) -> a (4, 1) column; then transA on data.
    model = make_model(
        [helper.make_node("Gemm", ["A", "x", "C"], ["h"], transA=1, transB=1, alpha=0.5, beta=2.0),
         helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("Gemm", ["r", "B"], ["y"], transA=1)],
        [("x", [1, 3])], [("y", [1, 2])], {"A": _r(3, 4), "C": _r(4, 1), "B": _r(4, 2)},
    )
    net = _check(model, 3)
    assert [layer.activation for layer in net.layers] == ["relu", "identity"]


def test_matmul_constant_on_either_side_with_rank_1_input():
    # test_small.onnx style: W @ x with x of shape [2] (no batch axis).
    model = make_model(
        [helper.make_node("MatMul", ["W", "x"], ["m"]), helper.make_node("Add", ["m", "b"], ["h"]),
         helper.make_node("Relu", ["h"], ["r"]), helper.make_node("MatMul", ["r", "V"], ["y"])],
        [("x", [2])], [("y", [3])], {"W": _r(4, 2), "b": _r(4), "V": _r(4, 3)},
    )
    _check(model, 2)


def test_matmul_batched_constant_broadcasts():
    # x (1, 2, 3) @ B (2, 3, 4) -> (2, 2, 4): broadcasting over a leading axis of the constant.
    model = make_model([helper.make_node("MatMul", ["x", "B"], ["y"])], [("x", [1, 2, 3])], [("y", None)],
                       {"B": _r(2, 3, 4)})
    net = _check(model, 6, shape=[1, 2, 3])
    assert net.output_dim == 16


def test_normalisation_ops_fold_into_first_layer():
    # ERAN style: (x - mean) / std, Mul, Neg, const - x, then Gemm and Relu.
    model = make_model(
        [helper.make_node("Sub", ["x", "mean"], ["a"]), helper.make_node("Div", ["a", "std"], ["b"]),
         helper.make_node("Mul", ["s", "b"], ["c"]), helper.make_node("Neg", ["c"], ["d"]),
         helper.make_node("Sub", ["k", "d"], ["e"]), helper.make_node("Flatten", ["e"], ["f"]),
         helper.make_node("Gemm", ["f", "W", "bias"], ["g"], transB=1), helper.make_node("Relu", ["g"], ["y"])],
        [("x", [1, 1, 2, 2])], [("y", [1, 3])],
        {"mean": [[[[0.1307]]]], "std": [0.3081], "s": [[[[1.0, 2.0], [3.0, 4.0]]]], "k": [0.5],
         "W": _r(3, 4), "bias": _r(3)},
    )
    net = _check(model, 4)
    assert len(net.layers) == 1 and net.layers[0].activation == "relu"


def test_shape_ops_and_constant_folding():
    # Reshape with 0 / -1, Transpose, Squeeze/Unsqueeze (axes as inputs, opset 13), and a target
    # shape computed from Shape -> Gather -> Unsqueeze -> Concat as legacy torch exports do.
    nodes = [
        helper.make_node("Reshape", ["x", "s1"], ["a"]),                       # (1, 6) -> (1, 2, 3)
        helper.make_node("Transpose", ["a"], ["b"], perm=[0, 2, 1]),            # (1, 3, 2)
        helper.make_node("Unsqueeze", ["b", "ax0"], ["c"]),                    # (1, 1, 3, 2)
        helper.make_node("Squeeze", ["c", "ax1"], ["d"]),                      # (1, 3, 2)
        helper.make_node("Shape", ["d"], ["shp"]),
        helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", 7, [], [0])),
        helper.make_node("Gather", ["shp", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["tgt"], axis=0),
        helper.make_node("Reshape", ["d", "tgt"], ["e"]),                      # (1, 6)
        helper.make_node("MatMul", ["e", "W"], ["y"]),
    ]
    inits = {"s1": np.array([0, 2, -1]), "ax0": np.array([0]), "ax1": np.array([1]), "minus1": np.array([-1]),
             "W": _r(6, 2)}
    model = make_model(nodes, [("x", [1, 6])], [("y", [1, 2])])
    for k, v in inits.items():  # integer initializers keep their dtype
        model.graph.initializer.append(helper.make_tensor(k, 7 if v.dtype.kind == "i" else 1, v.shape, v.ravel()))
    net = _check(model, 6)
    perm = np.arange(6).reshape(2, 3).T.ravel()  # the Transpose, read off by hand
    x = np.arange(6.0)
    assert np.allclose(net(x), x[perm] @ inits["W"].astype(float))


def test_opset_11_squeeze_unsqueeze_take_axes_attributes():
    model = make_model(
        [helper.make_node("Unsqueeze", ["x"], ["a"], axes=[2]), helper.make_node("Squeeze", ["a"], ["b"], axes=[2]),
         helper.make_node("Relu", ["b"], ["y"])],
        [("x", [1, 4])], [("y", [1, 4])], opset=11,
    )
    net = _check(model, 4)
    assert np.array_equal(net.layers[0].weight, np.eye(4))


def test_consecutive_activations_give_identity_layer():
    model = make_model(
        [helper.make_node("Gemm", ["x", "W"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
         helper.make_node("Relu", ["b"], ["c"]), helper.make_node("Sigmoid", ["c"], ["y"])],
        [("x", [1, 3])], [("y", [1, 2])], {"W": _r(3, 2)},
    )
    net = _check(model, 3)
    assert [layer.activation for layer in net.layers] == ["relu", "relu", "sigmoid"]
    for layer in net.layers[1:]:
        assert np.array_equal(layer.weight, np.eye(2)) and not layer.bias.any()


def test_leaky_relu_tanh_and_identity_dropout():
    model = make_model(
        [helper.make_node("MatMul", ["x", "W"], ["a"]), helper.make_node("LeakyRelu", ["a"], ["b"], alpha=0.2),
         helper.make_node("Dropout", ["b"], ["c"]), helper.make_node("Identity", ["c"], ["d"]),
         helper.make_node("MatMul", ["d", "V"], ["e"]), helper.make_node("Tanh", ["e"], ["f"]),
         helper.make_node("LeakyRelu", ["f"], ["y"])],
        [("x", ["N", 3])], [("y", ["N", 2])], {"W": _r(3, 5), "V": _r(5, 2)},
    )
    net = _check(model, 3)
    # ONNX float attributes are float32: alpha is taken as the file's exact value.
    assert [(layer.activation, layer.alpha) for layer in net.layers] == [
        ("leaky_relu", float(np.float32(0.2))), ("tanh", None), ("leaky_relu", float(np.float32(0.01)))]


def test_initializers_listed_as_graph_inputs():
    # Old opsets (ACAS Xu files, IR 3) list every initializer among the graph inputs too.
    model = make_model(
        [helper.make_node("Sub", ["x", "m"], ["a"]), helper.make_node("MatMul", ["a", "W"], ["y"])],
        [("m", [2]), ("W", [2, 2]), ("x", [1, 2])], [("y", [1, 2])], {"m": [1.0, 2.0], "W": _r(2, 2)},
        opset=8, ir_version=3,
    )
    _check(model, 2)


def test_trailing_reshape_adds_no_layer_but_trailing_affine_does():
    model = make_model(
        [helper.make_node("MatMul", ["x", "W"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
         helper.make_node("Flatten", ["b"], ["y"])],
        [("x", [1, 2])], [("y", [1, 2])], {"W": _r(2, 2)},
    )
    assert len(_check(model, 2).layers) == 1
    model = make_model(
        [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Mul", ["a", "one"], ["y"])],
        [("x", [1, 2])], [("y", [1, 2])], {"one": [1.0]},
    )
    net = _check(model, 2)
    assert [layer.activation for layer in net.layers] == ["relu", "identity"]


def test_graph_without_operators_is_identity():
    model = make_model([helper.make_node("Identity", ["x"], ["y"])], [("x", [1, 3])], [("y", [1, 3])])
    net = network_from_onnx(model)
    assert len(net.layers) == 1 and np.array_equal(net.layers[0].weight, np.eye(3))


def test_unknown_non_batch_axis_needs_input_shape():
    model = make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", ["N", "D"])], [("y", ["N", "D"])])
    with pytest.raises(rl.ModelFormatError, match=r"unknown size 'D' on axis 1.*input_shape"):
        network_from_onnx(model)
    assert network_from_onnx(model, input_shape=(1, 4)).input_dim == 4


def test_nodes_out_of_order_and_dead_branches_are_fine():
    # Topological sort of a shuffled node list; a node that the output does not need is ignored.
    nodes = [helper.make_node("Relu", ["a"], ["y"]), helper.make_node("MatMul", ["x", "W"], ["a"]),
             helper.make_node("Softmax", ["x"], ["unused"])]
    model = make_model(nodes, [("x", [1, 2])], [("y", [1, 2])], {"W": _r(2, 2)})
    net = network_from_onnx(model)
    assert [layer.activation for layer in net.layers] == ["relu"]


def test_large_input_mlp_never_builds_the_input_identity():
    # 3x64x64 = 12288 inputs: an identity matrix would be 1.5e8 entries (above the default limit);
    # normalisation, Flatten and the first Gemm keep the map diagonal until the product.
    model = make_model(
        [helper.make_node("Sub", ["x", "m"], ["a"]), helper.make_node("Div", ["a", "s"], ["b"]),
         helper.make_node("Flatten", ["b"], ["c"]), helper.make_node("Gemm", ["c", "W", "bias"], ["d"], transB=1),
         helper.make_node("Relu", ["d"], ["y"])],
        [("x", [1, 3, 64, 64])], [("y", [1, 10])],
        {"m": RNG.normal(size=(1, 3, 1, 1)), "s": [0.5], "W": _r(10, 12288), "bias": _r(10)},
    )
    _check(model, 12288, n=20)
