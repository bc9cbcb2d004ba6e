"""Pad, AveragePool, GlobalAveragePool, MaxPool, GlobalMaxPool and Conv attributes: against onnxruntime and torch.

Max pooling is imported as extra ReLU layers (``max(a, b) = b + relu(a - b)``, see ``relucid.io._pooling``);
the tests below pin its layer and neuron counts by hand and check that the verifier sees the exact maximum.
"""

from __future__ import annotations


import numpy as np
import pytest
from onnx import helper, numpy_helper

import relucid as rl
from io_helpers import assert_close_to_float32, check_torch_export, make_model, run_ort
from relucid.cli import main
from relucid.io.onnx import network_from_onnx

RNG = np.random.default_rng(19)


def _ints(name: str, values) -> helper.NodeProto:
    """A Constant node holding int64 ``values`` (Pad's pads and axes must be int64)."""
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(values, np.int64), name))


def _agrees(model, *, n: int = 200, low: float = -1.0, high: float = 1.0):
    net = network_from_onnx(model)
    X = np.random.default_rng(0).uniform(low, high, size=(n, net.input_dim))
    assert_close_to_float32(net(X), run_ort(model, X))
    return net


def _single(op, x_shape, *, relu_first=False, inputs=(), opset=13, **attrs):
    """x [-> Relu] -> op -> y, with extra constant nodes ``inputs`` (name, node) feeding op after the data."""
    nodes = [node for _, node in inputs]
    src = "x"
    if relu_first:
        nodes.append(helper.make_node("Relu", ["x"], ["r"], name="relu"))
        src = "r"
    nodes.append(helper.make_node(op, [src, *(name for name, _ in inputs)], ["y"], name="pool", **attrs))
    return make_model(nodes, [("x", list(x_shape))], [("y", None)], opset=opset)


# -- Pad ----------------------------------------------------------------------------------
@pytest.mark.parametrize("pads, mode, value, opset", [
    ([0, 0, 1, 2, 0, 0, 2, 1], "constant", 0.0, 13),
    ([0, 0, 1, 2, 0, 0, 2, 1], "constant", -0.75, 13),
    ([0, 1, 0, 0, 0, 0, 1, 0], "constant", 2.0, 13),      # pads the channel axis
    ([0, 0, -1, 1, 0, 0, 1, -2], "constant", 0.5, 13),    # negative pads crop
    ([0, 0, 2, 1, 0, 0, 1, 2], "reflect", 0.0, 13),
    ([0, 0, 2, 1, 0, 0, 3, 2], "edge", 0.0, 13),
])
def test_pad_agrees_with_onnxruntime(pads, mode, value, opset):
    inputs = [("p", _ints("p", pads))]
    if value:
        inputs.append(("v", helper.make_node("Constant", [], ["v"], value=numpy_helper.from_array(
            np.array(value, np.float32), "v"))))
    _agrees(_single("Pad", (1, 2, 4, 5), inputs=inputs, opset=opset, mode=mode))


def test_pad_as_attribute_before_opset_11_and_with_axes_from_opset_18():
    _agrees(_single("Pad", (1, 2, 3, 3), opset=10, pads=[0, 0, 1, 0, 0, 0, 0, 2], value=1.5))
    nodes = [_ints("p", [1, 2, 0, 1]), _ints("a", [-1, 2]),
             helper.make_node("Pad", ["x", "p", "", "a"], ["y"], name="pool")]  # axes (-1, 2), no constant_value
    _agrees(make_model(nodes, [("x", [1, 2, 3, 4])], [("y", None)], opset=18))


def test_zero_pad_is_a_no_op_that_keeps_the_map_diagonal():
    # Convnet_avgpool.onnx has a Pad of all zeros between its Relu and its AveragePool.
    net = _agrees(_single("Pad", (1, 2, 3, 3), relu_first=True, opset=10, pads=[0] * 8))
    assert [layer.activation for layer in net.layers] == ["relu", "identity"]  # Pad is an operator: a final layer
    assert np.array_equal(net.layers[1].weight, np.eye(18)) and not net.layers[1].bias.any()


# -- average pooling -------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape, attrs", [
    ((1, 2, 6, 6), dict(kernel_shape=[2, 2], strides=[2, 2])),
    ((1, 2, 7, 5), dict(kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1])),
    ((1, 2, 7, 5), dict(kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1], count_include_pad=1)),
    ((1, 3, 5, 5), dict(kernel_shape=[2, 2], auto_pad="SAME_UPPER")),
    ((1, 3, 5, 5), dict(kernel_shape=[2, 2], auto_pad="SAME_LOWER", count_include_pad=1)),
    ((1, 3, 5, 5), dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="VALID")),
    ((1, 2, 9), dict(kernel_shape=[3], strides=[2], pads=[1, 1])),                 # 1-D
    ((1, 2, 6, 6), dict(kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)),         # ceil_mode adds no window
])
def test_average_pool_agrees_with_onnxruntime(x_shape, attrs):
    _agrees(_single("AveragePool", x_shape, **attrs))


def test_global_average_pool_agrees_with_onnxruntime():
    net = _agrees(_single("GlobalAveragePool", (1, 3, 4, 5)))
    assert net.output_dim == 3 and len(net.layers) == 1


# -- max pooling -----------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape, relu_first, attrs", [
    ((1, 2, 4, 4), True, dict(kernel_shape=[2, 2], strides=[2, 2])),
    ((1, 2, 4, 4), False, dict(kernel_shape=[2, 2], strides=[2, 2])),
    ((1, 2, 5, 5), True, dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),   # overlapping, K=9
    ((1, 2, 5, 6), False, dict(kernel_shape=[3, 2], strides=[1, 2], pads=[0, 1, 2, 0])),
    ((1, 3, 5, 5), True, dict(kernel_shape=[2, 2], auto_pad="SAME_UPPER")),
    ((1, 3, 5, 5), False, dict(kernel_shape=[2, 3], auto_pad="SAME_LOWER", strides=[2, 2])),
    ((1, 2, 9), False, dict(kernel_shape=[3], strides=[2], pads=[1, 1])),                 # 1-D
    ((1, 2, 4, 4), True, dict(kernel_shape=[1, 1], strides=[2, 2])),                      # a window of 1
    ((1, 2, 6, 6), True, dict(kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)),         # ceil_mode adds no window
])
def test_max_pool_agrees_with_onnxruntime(x_shape, relu_first, attrs):
    net = _agrees(_single("MaxPool", x_shape, relu_first=relu_first, **attrs))
    assert net.is_piecewise_linear
    assert all(layer.activation == "relu" for layer in net.layers[:-1])


def test_global_max_pool_agrees_with_onnxruntime():
    net = _agrees(_single("GlobalMaxPool", (1, 3, 3, 3), relu_first=True))
    assert net.output_dim == 3
    assert len(net.layers) == 1 + 4 + 1  # relu, ceil(log2 9) = 4 rounds, the final identity layer


def test_max_pool_encoding_by_hand():
    # Relu then a 2x2 window (K = 4): two rounds; the values are relu outputs (>= 0), so each carried value
    # takes one neuron: round 1 has 2 differences + 2 carries, round 2 has 1 + 1, i.e. 2K - 2 = 6 neurons.
    net = network_from_onnx(_single("MaxPool", (1, 1, 2, 2), relu_first=True, kernel_shape=[2, 2]))
    assert [(layer.activation, layer.out_dim) for layer in net.layers] == [
        ("relu", 4), ("relu", 4), ("relu", 2), ("identity", 1)]
    assert [layer.name for layer in net.layers] == ["relu", "pool/max1", "pool/max2", "pool"]
    X = np.array([[3.0, -1.0, 2.0, 5.0], [-1.0, -2.0, -3.0, -4.0], [0.5, 0.25, 0.75, 0.0]])
    assert np.array_equal(net(X)[:, 0], [5.0, 0.0, 0.75])
    # On the raw input (sign unknown) each carried value v takes two neurons, relu(v) and relu(-v).
    raw = network_from_onnx(_single("MaxPool", (1, 1, 2, 2), kernel_shape=[2, 2]))
    assert [(layer.activation, layer.out_dim) for layer in raw.layers] == [("relu", 6), ("relu", 3), ("identity", 1)]
    assert np.array_equal(raw(X)[:, 0], [5.0, -1.0, 0.75])


def test_max_pool_is_exact_in_float64():
    model = _single("MaxPool", (1, 2, 6, 6), kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    net = network_from_onnx(model)
    X = RNG.normal(size=(300, 72)) * 10.0 ** RNG.integers(-3, 4, size=(300, 1))
    T = np.pad(X.reshape(300, 2, 6, 6), [(0, 0), (0, 0), (1, 1), (1, 1)], constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(T, (3, 3), axis=(2, 3))
    expected = windows.max(axis=(-1, -2)).reshape(300, -1)
    finite = np.where(np.isfinite(windows), np.abs(windows), 0.0)
    scale = finite.max(axis=(-1, -2)).reshape(300, -1)
    # b + relu(a - b) rounds by about an ulp of the window's largest magnitude a round (4 rounds for K = 9).
    err = np.abs(net(X) - expected)
    assert (err <= 16 * np.finfo(float).eps * scale).all(), (err / scale).max()


def test_the_verifier_sees_the_exact_maximum():
    # y = max(x) over a box: the maximum is max(hi) = 1 and the minimum max(lo) = 0.2, both attained. Interval
    # bounds through b + relu(a - b) are loose (y <= 2.5 here), so the answers below need the exact encoding.
    net = network_from_onnx(_single("MaxPool", (1, 1, 2, 2), kernel_shape=[2, 2]))
    box = rl.Box(np.array([0.0, -1.0, -2.0, 0.2]), np.array([1.0, 0.5, 0.3, 0.4]))
    for A, b, status in [(1.0, 1.001, "proved"), (1.0, 0.999, "falsified"),
                         (-1.0, -0.199, "proved"), (-1.0, -0.201, "falsified")]:
        result = rl.verify(net, box, rl.OutputIn(rl.Polyhedron(np.array([[A]]), np.array([b]))), timeout=60)
        assert result.status == status, (A, b, result)


def test_conv_relu_pool_chain_agrees_with_onnxruntime():
    nodes = [
        helper.make_node("Pad", ["x", "p"], ["xp"], name="pad", mode="constant"),
        helper.make_node("Conv", ["xp", "W1", "B1"], ["c1"], name="conv1", strides=[1, 2], dilations=[2, 1], group=2),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["m1"], name="max", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Conv", ["m1", "W2"], ["c2"], name="conv2", pads=[1, 1, 0, 0]),
        helper.make_node("AveragePool", ["c2"], ["a2"], name="avg", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Relu", ["a2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W3"], ["y"], name="fc", transB=1),
    ]
    inits = {"W1": RNG.normal(size=(4, 1, 3, 3)), "B1": RNG.normal(size=4), "W2": RNG.normal(size=(3, 4, 2, 2)),
             "W3": RNG.normal(size=(5, 3))}
    model = make_model([_ints("p", [0, 0, 1, 1, 0, 0, 1, 1])] + nodes, [("x", [1, 2, 8, 9])], [("y", None)], inits)
    net = _agrees(model)
    assert net.output_dim == 5


# -- torch -----------------------------------------------------------------------------------
def _torch_modules():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    return torch, nn


@pytest.mark.parametrize("make, shape", [
    (lambda nn: [nn.Conv2d(2, 4, 3, padding=1, stride=(1, 2)), nn.ReLU(), nn.MaxPool2d(2)], (2, 6, 8)),
    (lambda nn: [nn.Conv2d(2, 4, 3, groups=2, dilation=2), nn.MaxPool2d(3, stride=1, padding=1)], (2, 7, 7)),
    (lambda nn: [nn.ZeroPad2d((1, 0, 2, 1)), nn.AvgPool2d(2, stride=1)], (2, 4, 5)),
    (lambda nn: [nn.ConstantPad2d((-1, 2, 0, 1), 0.5), nn.AvgPool2d(3, padding=1, count_include_pad=False)], (2, 5, 5)),
    (lambda nn: [nn.AvgPool2d((3, 2), stride=(2, 1), padding=1), nn.ReLU(), nn.MaxPool2d((2, 3))], (1, 7, 7)),
    (lambda nn: [nn.Conv1d(2, 3, 3), nn.ReLU(), nn.MaxPool1d(2), nn.AvgPool1d(2, padding=1),
                 nn.ZeroPad1d(1), nn.ConstantPad1d((0, 1), -1.0)], (2, 11)),
    (lambda nn: [nn.MaxPool2d(2, ceil_mode=True)], (1, 4, 6)),                     # ceil_mode adds no window
])
def test_from_torch_pooling_and_padding_agree_with_torch(make, shape):
    torch, nn = _torch_modules()
    body = nn.Sequential(*make(nn)).double().eval()
    with torch.no_grad():
        out = body(torch.zeros(1, *shape, dtype=torch.float64)).numel()
    model = nn.Sequential(body, nn.Flatten(), nn.Linear(out, 3)).double().eval()
    net = rl.from_torch(model, input_shape=shape)
    X = np.random.default_rng(1).normal(size=(100, int(np.prod(shape))))
    with torch.no_grad():
        ref = model(torch.from_numpy(X).reshape(100, *shape)).numpy()
    assert np.allclose(net(X), ref, rtol=1e-12, atol=1e-12)


def test_torch_export_of_a_pooling_net_agrees_with_torch_from_torch_and_onnxruntime(tmp_path):
    torch, nn = _torch_modules()
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),               # (3, 4, 4)
        nn.ZeroPad2d(1), nn.Conv2d(3, 4, 3, stride=1), nn.ReLU(), nn.AvgPool2d(2),  # (4, 2, 2)
        nn.Flatten(), nn.Linear(16, 5),
    ).eval()
    check_torch_export(model, (1, 8, 8), tmp_path, "pool")


@pytest.mark.parametrize("module, says", [
    (lambda nn: nn.MaxPool2d(2, dilation=2), "dilations [2, 2] is not supported"),
    (lambda nn: nn.MaxPool2d(2, ceil_mode=True), "ceil_mode=1 is not supported where it adds a partial window"),
    (lambda nn: nn.MaxPool2d(2, return_indices=True), "return_indices=True is not supported"),
    (lambda nn: nn.AvgPool2d(2, divisor_override=3), "divisor_override is not supported"),
    (lambda nn: nn.MaxPool2d(7), "kernel (7, 7) is larger than the padded input"),
])
def test_from_torch_refuses_unsupported_pooling(module, says):
    torch, nn = _torch_modules()
    with pytest.raises((rl.UnsupportedOperatorError, rl.ShapeError), match=r"from_torch: .*at position 0.*") as info:
        rl.from_torch(nn.Sequential(module(nn)), input_shape=(1, 5, 5))
    assert says in str(info.value)


# -- bad input: one line naming the node, exit code 2 ----------------------------------------
@pytest.mark.parametrize("op, x_shape, attrs, error, says", [
    ("MaxPool", (1, 1, 5, 5), dict(kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1), rl.UnsupportedOperatorError,
     "ceil_mode=1 is not supported where it adds a partial window"),
    ("AveragePool", (1, 1, 5, 5), dict(kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
     rl.UnsupportedOperatorError, "ceil_mode=1 is not supported"),
    ("MaxPool", (1, 1, 5, 5), dict(kernel_shape=[2, 2], dilations=[2, 2]), rl.UnsupportedOperatorError,
     "MaxPool with dilations [2, 2] is not supported"),
    ("MaxPool", (1, 1, 4, 4), dict(kernel_shape=[2, 2], storage_order=1), rl.UnsupportedOperatorError,
     "storage_order=1 is not supported"),
    ("AveragePool", (1, 1, 4, 4), dict(kernel_shape=[2, 2], auto_pad="SAME_UPPER", pads=[1, 1, 1, 1]),
     rl.UnsupportedOperatorError, "both auto_pad='SAME_UPPER' and explicit pads [1, 1, 1, 1]"),
    ("MaxPool", (1, 1, 4, 4), dict(kernel_shape=[2, 2], auto_pad="SAME_MIDDLE"), rl.UnsupportedOperatorError,
     "auto_pad='SAME_MIDDLE' is not supported"),
    ("MaxPool", (1, 1, 3, 3), dict(kernel_shape=[5, 5]), rl.ShapeError,
     "kernel (5, 5) is larger than the padded input: spatial shape (3, 3)"),
    ("AveragePool", (1, 1, 3, 3), dict(kernel_shape=[2, 4], pads=[0, 0, 0, 0]), rl.ShapeError,
     "kernel (2, 4) is larger than the padded input"),
    ("MaxPool", (1, 1, 4, 4), dict(kernel_shape=[2, 2], pads=[2, 0, 0, 0]), rl.ShapeError,
     "must be smaller than the kernel"),
    ("MaxPool", (1, 4, 4), dict(kernel_shape=[2, 2]), rl.ShapeError, "expects an input of shape (N, C, 2 spatial"),
    ("AveragePool", (1, 1, 4, 4), dict(kernel_shape=[2**62, 2**62]), rl.ShapeError, "larger than the padded input"),
    ("AveragePool", (1, 1, 4, 4), dict(kernel_shape=[2**40, 1], pads=[2**40 - 1, 0, 2**40 - 1, 0], strides=[2**41, 1]),
     rl.UnsupportedOperatorError, "would need a dense matrix"),
    ("Pad", (1, 1, 3, 3), dict(pads=[0, 0, 1, 1, 0, 0, 1, 1], mode="wrap"), rl.UnsupportedOperatorError,
     "Pad mode 'wrap' is not supported"),
    ("Pad", (1, 1, 3, 3), dict(pads=[0, 0, 3, 0, 0, 0, 0, 0], mode="reflect"), rl.ShapeError,
     "reflect padding by 3 needs more than 3 entries on axis 2"),
    ("Pad", (1, 1, 3, 3), dict(pads=[0, 0, 2**62, 0, 0, 0, 0, 0]), rl.UnsupportedOperatorError,
     "would need a dense matrix"),
    ("Pad", (1, 1, 3, 3), dict(pads=[0, 0, 1, 0]), rl.ShapeError, "Pad needs 2 x 4 pads"),
])
def test_bad_pooling_is_one_line_naming_the_node(tmp_path, capsys, op, x_shape, attrs, error, says):
    model = _single(op, x_shape, opset=10 if op == "Pad" else 13, **attrs)
    with pytest.raises(error) as info:
        network_from_onnx(model)
    message = str(info.value)
    assert message.startswith(f"ONNX operator '{op}' at node 'pool' (node 0): ") and says in message, message
    assert "\n" not in message
    path = tmp_path / "bad.onnx"
    path.write_bytes(model.SerializeToString())
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("relucid: error:") and says in err and "'pool'" in err, err
    assert "Traceback" not in err


def test_max_pool_indices_output_is_refused():
    node = helper.make_node("MaxPool", ["x"], ["y", "i"], name="pool", kernel_shape=[2, 2])
    with pytest.raises(rl.UnsupportedOperatorError, match=r"'MaxPool' at node 'pool'.*second output \(the indices"):
        network_from_onnx(make_model([node], [("x", [1, 1, 4, 4])], [("y", None)]))


def test_conv_kernel_larger_than_input_and_auto_pad_with_pads():
    W = {"W": np.ones((1, 1, 4, 4))}
    big = make_model([helper.make_node("Conv", ["x", "W"], ["y"], name="conv")], [("x", [1, 1, 3, 3])],
                     [("y", None)], W)
    with pytest.raises(rl.ShapeError, match=r"^ONNX operator 'Conv' at node 'conv' \(node 0\): kernel .* does not fit"):
        network_from_onnx(big)
    both = make_model([helper.make_node("Conv", ["x", "W"], ["y"], name="conv", auto_pad="SAME_UPPER",
                                        pads=[1, 1, 1, 1])], [("x", [1, 1, 5, 5])], [("y", None)], W)
    # onnxruntime refuses this node too ("A Conv/ConvTranspose node has both 'auto_pad' and 'pads' attributes").
    with pytest.raises(rl.UnsupportedOperatorError, match="both auto_pad='SAME_UPPER' and explicit pads"):
        network_from_onnx(both)


# -- the sparse pending map ------------------------------------------------------------------
def test_sparse_pending_map_matches_numpy_through_every_operator():
    # Transpose/Pad/pooling of a diagonal map give a sparse one; each later operator agrees with numpy.
    from relucid.io._affine import Affine

    x = RNG.normal(size=24)
    aff = Affine.identity((1, 2, 3, 4)).mul(np.array([2.0, -1.0]).reshape(1, 2, 1, 1)).transpose([0, 2, 3, 1])
    t = (x.reshape(1, 2, 3, 4) * np.array([2.0, -1.0]).reshape(1, 2, 1, 1)).transpose(0, 2, 3, 1)
    assert aff.sparse is not None
    c = RNG.normal(size=(1, 3, 4, 2))
    aff, t = aff.mul(c).add(c).neg(), -(t * c + c)
    assert aff.sparse is not None
    B = RNG.normal(size=(24, 5))
    for y, ref in [(aff.reshape((1, 24)).matmul_right(B), t.reshape(1, 24) @ B),
                   (aff.reshape((24,)).matmul_left(B.T), B.T @ t.reshape(24)),
                   (aff.add(np.ones((2, 1, 3, 4, 2))), t + np.ones((2, 1, 3, 4, 2))),
                   (aff.conv(np.ones((1, 3, 2, 2)), None, strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1], group=1),
                    None)]:
        W, b = y.to_dense()
        if ref is None:  # the conv reads (1, C=3, 4, 2): window sums of 2x2 over all 3 channels
            ref = np.lib.stride_tricks.sliding_window_view(t, (2, 2), axis=(2, 3)).sum(axis=(1, -1, -2))
        assert np.allclose(W @ x + b, ref.reshape(-1))
    assert not aff.is_identity() and Affine.identity((3,)).transpose([0]).is_identity()


def test_exporter_pad_subgraph_is_folded_like_onnxruntime():
    # torch.onnx writes a Pad's pads as ConstantOfShape -> Concat -> Reshape -> Slice (reversed) -> Transpose ->
    # Reshape -> Cast; here a Slice with step -1 reverses all but the last entry of a Concat.
    zeros = helper.make_node("ConstantOfShape", ["n"], ["z"], value=numpy_helper.from_array(np.zeros(1, np.int64)))
    nodes = [_ints("n", [2]), _ints("head", [1, 2, 0, 1, 2]), zeros,
             helper.make_node("Concat", ["head", "z"], ["c"], axis=0),
             helper.make_node("Concat", ["c", "z"], ["c9"], axis=0),   # 1 2 0 1 2 0 0 0 0
             _ints("s", [-2]), _ints("e", [-2**62]), _ints("ax", [0]), _ints("st", [-1]),
             helper.make_node("Slice", ["c9", "s", "e", "ax", "st"], ["p"]),      # 0 0 0 2 1 0 2 1
             helper.make_node("Pad", ["x", "p"], ["y"], name="pad")]
    net = _agrees(make_model(nodes, [("x", [1, 2, 3, 3])], [("y", None)]))
    assert net.output_dim == 2 * 2 * 5 * 6  # pads: begins (N, C, H, W) = (0, 0, 0, 2), ends (1, 0, 2, 1)


def test_constant_of_shape_is_charged_before_it_is_allocated():
    big = helper.make_node("ConstantOfShape", ["n"], ["z"], value=numpy_helper.from_array(np.ones(1, np.float32)))
    nodes = [_ints("n", [2, 10**11]), big, helper.make_node("Add", ["x", "z"], ["y"], name="add")]
    with pytest.raises(rl.ModelFormatError, match="above relucid's limit"):
        network_from_onnx(make_model(nodes, [("x", [1, 2])], [("y", None)]))


def test_nonnegative_entries_in_every_representation():
    from relucid.io._affine import Affine

    diag = Affine.identity((3,)).mul(np.array([1.0, -1.0, 2.0]))
    sparse = diag.transpose([0])
    dense = Affine(np.array([0.0, 1.0, -1.0]), lin=np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]]))
    assert diag.nonnegative_entries(input_nonnegative=True).tolist() == [True, False, True]
    assert sparse.sparse is not None and sparse.nonnegative_entries(input_nonnegative=True).tolist() == [True, False, True]
    assert dense.nonnegative_entries(input_nonnegative=True).tolist() == [True, True, False]
    assert not dense.nonnegative_entries(input_nonnegative=False).any()
