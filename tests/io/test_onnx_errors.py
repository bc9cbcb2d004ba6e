"""Bad ONNX input: each failure has a pinned error type and a message naming the cause."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

import relucid as rl
from io_helpers import make_model
from relucid.io.onnx import network_from_onnx

W2 = np.eye(2, dtype=np.float32)


def _save(tmp_path, model, name="m.onnx"):
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


def _chain(n_relu_nodes=3):
    nodes = []
    prev = "x"
    for i in range(n_relu_nodes):
        nodes.append(helper.make_node("Relu", [prev], [f"r{i}"], name=f"n{i}"))
        prev = f"r{i}"
    return nodes, prev


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.onnx"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(rl.ModelFormatError, match=r"could not parse ONNX file .*noise\.onnx"):
        rl.load(path)


def test_truncated_file(tmp_path):
    model = make_model([helper.make_node("MatMul", ["x", "W"], ["y"])], [("x", [1, 2])], [("y", [1, 2])],
                       {"W": np.ones((2, 2))})
    data = model.SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) - 7])
    with pytest.raises(rl.ModelFormatError, match="could not parse ONNX file"):
        rl.load(path)


def test_unsupported_operator_names_op_and_node(tmp_path):
    nodes, last = _chain(12)
    nodes.append(helper.make_node("Softmax", [last], ["y"], name="n7b"))
    path = _save(tmp_path, make_model(nodes, [("x", [1, 2])], [("y", [1, 2])]))
    expected = r"unsupported ONNX operator 'Softmax' at node 'n7b' \(node 12\); relucid supports: .*Gemm"
    with pytest.raises(rl.UnsupportedOperatorError, match=expected):
        rl.load(path)


def test_unsupported_operator_from_other_domain():
    model = make_model([helper.make_node("Relu", ["x"], ["y"], domain="com.example")], [("x", [1, 2])],
                       [("y", [1, 2])])
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(rl.UnsupportedOperatorError, match="domain 'com.example'"):
        network_from_onnx(model)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_initializer_names_node_and_tensor(tmp_path, bad):
    W = np.ones((2, 2))
    W[1, 0] = bad
    model = make_model([helper.make_node("Gemm", ["x", "W"], ["y"], name="fc1")], [("x", [1, 2])], [("y", [1, 2])],
                       {"W": W})
    with pytest.raises(rl.InvalidValueError, match=r"'Gemm' at node 'fc1'.*constant 'W'.*NaN/inf"):
        rl.load(_save(tmp_path, model))


def test_non_finite_constant_node():
    nodes = [helper.make_node("Constant", [], ["c"], value=helper.make_tensor("c", 1, [2], [1.0, np.inf])),
             helper.make_node("Add", ["x", "c"], ["y"], name="shift")]
    with pytest.raises(rl.InvalidValueError, match=r"'Add' at node 'shift'.*inf"):
        network_from_onnx(make_model(nodes, [("x", [1, 2])], [("y", [1, 2])]))


def test_matmul_shape_mismatch():
    model = make_model(
        [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm1"), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "V"], ["y"], name="mm2")],
        [("x", [1, 3])], [("y", [1, 2])], {"W": np.ones((3, 4)), "V": np.ones((5, 2))},
    )
    with pytest.raises(rl.ShapeError, match=r"'MatMul' at node 'mm2'.*\(1, 4\) @ \(5, 2\)"):
        network_from_onnx(model)


def test_gemm_needs_2d_input():
    model = make_model([helper.make_node("Gemm", ["x", "W"], ["y"], name="g")], [("x", [1, 2, 2])], [("y", None)],
                       {"W": np.ones((4, 2))})
    with pytest.raises(rl.ShapeError, match=r"'Gemm' at node 'g'.*2-D.*Flatten"):
        network_from_onnx(model)


def test_product_of_data_with_itself():
    model = make_model([helper.make_node("Mul", ["x", "x"], ["y"], name="square")], [("x", [1, 2])], [("y", [1, 2])])
    with pytest.raises(rl.UnsupportedOperatorError, match=r"'Mul' at node 'square'.*twice"):
        network_from_onnx(model)


def test_non_constant_second_operand():
    # MatMul(x, relu(x)): the second operand comes from the data, which is not an affine operation.
    model = make_model(
        [helper.make_node("Relu", ["x"], ["r"], name="act"), helper.make_node("MatMul", ["x", "r"], ["y"], name="mm")],
        [("x", [1, 1])], [("y", [1, 1])],
    )
    with pytest.raises(rl.ModelFormatError, match=r"'MatMul' at node 'mm'.*chain-shaped"):
        network_from_onnx(model)


def test_div_by_data():
    model = make_model([helper.make_node("Div", ["one", "x"], ["y"], name="recip")], [("x", [1, 2])],
                       [("y", [1, 2])], {"one": [1.0]})
    with pytest.raises(rl.UnsupportedOperatorError, match=r"'Div' at node 'recip'.*not affine"):
        network_from_onnx(model)


def test_residual_add_of_two_data_tensors():
    model = make_model(
        [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("Add", ["r", "x"], ["y"], name="skip")],
        [("x", [1, 2])], [("y", [1, 2])], {"W": W2},
    )
    with pytest.raises(rl.ModelFormatError, match=r"'Add' at node 'skip'.*residual"):
        network_from_onnx(model)


def test_two_data_inputs():
    model = make_model([helper.make_node("Add", ["a", "b"], ["y"])], [("a", [1, 2]), ("b", [1, 2])], [("y", [1, 2])])
    with pytest.raises(rl.ModelFormatError, match=r"one data input; this graph has 2 \('a', 'b'\)"):
        network_from_onnx(model)


def test_two_outputs():
    model = make_model([helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["z"])],
                       [("x", [1, 2])], [("y", [1, 2]), ("z", [1, 2])])
    with pytest.raises(rl.ModelFormatError, match="one output; this graph has 2"):
        network_from_onnx(model)


def test_output_not_depending_on_input():
    model = make_model([helper.make_node("Identity", ["c"], ["y"])], [("x", [1, 2])], [("y", [2])], {"c": [1.0, 2.0]})
    with pytest.raises(rl.ModelFormatError, match="does not depend on the input"):
        network_from_onnx(model)


def test_dangling_tensor():
    model = make_model([helper.make_node("Add", ["x", "ghost"], ["y"], name="a")], [("x", [1, 2])], [("y", [1, 2])])
    with pytest.raises(rl.ModelFormatError, match=r"'Add' at node 'a' \(node 0\) reads 'ghost'"):
        network_from_onnx(model)


def test_integer_input():
    model = make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", [1, 2])], [("y", [1, 2])])
    model.graph.input[0].type.tensor_type.elem_type = 7  # INT64
    with pytest.raises(rl.ModelFormatError, match="element type INT64"):
        network_from_onnx(model)


def test_checker_rejection(tmp_path):
    # An attribute Relu does not have: relucid ignores it, onnx.checker refuses the model.
    model = make_model([helper.make_node("Relu", ["x"], ["y"], foo=1)], [("x", [1, 2])], [("y", [1, 2])])
    path = _save(tmp_path, model)
    assert rl.load(path).input_dim == 2
    with pytest.raises(rl.ModelFormatError, match="fails onnx.checker"):
        rl.io.load_onnx(path, check=True)


def test_training_mode_batchnorm():
    C = 2
    nodes = [helper.make_node("BatchNormalization", ["x", "s", "t", "m", "v"], ["y"], name="bn", training_mode=1)]
    inits = {k: np.ones(C) for k in "stmv"}
    model = make_model(nodes, [("x", [1, C, 2, 2])], [("y", None)], inits, opset=15)
    with pytest.raises(rl.UnsupportedOperatorError, match=r"'BatchNormalization' at node 'bn'.*training mode"):
        network_from_onnx(model)


def test_cycle():
    nodes = [helper.make_node("Relu", ["b"], ["a"], name="p"), helper.make_node("Relu", ["a"], ["b"], name="q")]
    model = make_model(nodes, [("x", [1, 2])], [("a", [1, 2])])
    with pytest.raises(rl.ModelFormatError, match=r"'Relu' at node 'p' \(node 0\) reads 'b'.*cycle"):
        network_from_onnx(model)
