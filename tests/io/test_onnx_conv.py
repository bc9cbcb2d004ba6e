"""Conv and BatchNormalization become exact dense layers: against onnxruntime and torch."""

from __future__ import annotations


import numpy as np
import pytest
from onnx import helper

import relucid as rl
from io_helpers import assert_close_to_float32, check_torch_export, make_model, run_ort
from relucid.io._affine import conv_nd
from relucid.io.onnx import network_from_onnx

RNG = np.random.default_rng(7)


def _conv_model(x_shape, w_shape, *, bn=True, **attrs):
    C = w_shape[0]
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", **attrs)]
    inits = {"W": RNG.normal(size=w_shape), "B": RNG.normal(size=C)}
    last = "c"
    if bn:
        nodes.append(helper.make_node("BatchNormalization", ["c", "s", "t", "m", "v"], ["n"], name="bn", epsilon=1e-3))
        inits.update(s=RNG.uniform(0.5, 2, C), t=RNG.normal(size=C), m=RNG.normal(size=C), v=RNG.uniform(0.5, 2, C))
        last = "n"
    nodes += [helper.make_node("Relu", [last], ["r"]), helper.make_node("Flatten", ["r"], ["y"])]
    return make_model(nodes, [("x", list(x_shape))], [("y", None)], inits)


@pytest.mark.parametrize("x_shape, w_shape, attrs", [
    ((1, 1, 6, 6), (2, 1, 3, 3), {}),
    ((1, 2, 7, 5), (4, 2, 3, 2), {"strides": [2, 1], "pads": [1, 0, 0, 1]}),
    ((1, 4, 6, 6), (4, 2, 3, 3), {"group": 2, "dilations": [2, 1], "pads": [1, 1, 1, 1]}),
    ((1, 3, 5, 5), (3, 3, 2, 2), {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    ((1, 3, 5, 5), (3, 3, 2, 2), {"auto_pad": "SAME_LOWER"}),
    ((1, 3, 5, 5), (2, 3, 3, 3), {"auto_pad": "VALID"}),
    ((1, 2, 9), (3, 2, 3), {"strides": [2], "pads": [1, 1]}),  # Conv1d
])
def test_conv_bn_relu_agrees_with_onnxruntime(x_shape, w_shape, attrs):
    model = _conv_model(x_shape, w_shape, **attrs)
    net = network_from_onnx(model)
    X = np.random.default_rng(0).uniform(-1, 1, size=(100, net.input_dim))
    assert_close_to_float32(net(X), run_ort(model, X))
    assert net.layers[0].name == "conv+bn+Relu#2"


def test_conv_nd_by_hand():
    # A 1x1 input channel, 2x2 kernel of ones, no padding: each output is a window sum.
    X = np.arange(9.0).reshape(1, 1, 3, 3)
    Y = conv_nd(X, np.ones((1, 1, 2, 2)), np.array([0.5]), strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1], group=1)
    assert np.array_equal(Y[0, 0], [[8.5, 12.5], [20.5, 24.5]])


def test_conv_too_large_is_refused_with_node_name():
    model = _conv_model((1, 3, 64, 64), (16, 3, 3, 3), bn=False, pads=[1, 1, 1, 1])
    with pytest.raises(rl.UnsupportedOperatorError, match=r"'Conv' at node 'conv'.*entries.*max_dense_entries"):
        network_from_onnx(model)


def test_conv_limit_can_be_raised():
    model = _conv_model((1, 1, 8, 8), (2, 1, 3, 3), bn=False)
    with pytest.raises(rl.UnsupportedOperatorError, match="limit of 1,000"):
        network_from_onnx(model, max_dense_entries=1000)
    assert network_from_onnx(model, max_dense_entries=10_000).input_dim == 64


def test_torch_exported_conv_net_matches_torch_and_from_torch(tmp_path):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, stride=2, padding=1), nn.BatchNorm2d(3), nn.ReLU(),      # (3, 3, 3)
        nn.Conv2d(3, 2, 2, dilation=2), nn.LeakyReLU(0.1),                         # (2, 1, 1)
        nn.Flatten(), nn.Linear(2 * 1 * 1, 4), nn.ReLU(), nn.Linear(4, 3),
    )
    with torch.no_grad():
        model[1].running_mean.normal_()
        model[1].running_var.uniform_(0.5, 2.0)
    model.eval()
    check_torch_export(model, (1, 6, 6), tmp_path, "conv")
