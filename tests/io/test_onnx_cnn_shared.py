"""The VNN-COMP 2021 convolutional networks in ../shared/data/cnn_vnncomp2021 against onnxruntime.

Every network loads with the default size limits and agrees with onnxruntime (float32) on 1,000 random
inputs to 1e-5 of the output scale, except two that the dense layer model cannot hold under those limits
(strict xfails: they must keep failing, with the size error, until the structured representation exists).
"""

from __future__ import annotations

import numpy as np
import pytest

import relucid as rl
from io_helpers import assert_close_to_float32, run_ort

pytestmark = pytest.mark.shared_data

STRUCTURED = "needs the structured conv representation (issue 19 item 2)"

# (path under cnn_vnncomp2021, input box). marabou-cifar10 and verivital take pixels in [0, 1] (their readmes);
# oval21 takes normalised CIFAR-10 images: [-2.1556, 2.6400] is the hull of the boxes of its 30 vnnlib files.
NETS = [
    ("marabou-cifar10/nets/cifar10_small.onnx", (0.0, 1.0)),
    ("marabou-cifar10/nets/cifar10_medium.onnx", (0.0, 1.0)),
    pytest.param("marabou-cifar10/nets/cifar10_large.onnx", (0.0, 1.0), marks=pytest.mark.xfail(
        strict=True, raises=rl.UnsupportedOperatorError,
        reason=f"{STRUCTURED}: its first Conv is a dense 3072 x 7200 matrix (22.1e6 entries > 2e7)")),
    ("oval21/nets/cifar_base_kw.onnx", (-2.1556, 2.6400)),
    ("oval21/nets/cifar_deep_kw.onnx", (-2.1556, 2.6400)),
    ("oval21/nets/cifar_wide_kw.onnx", (-2.1556, 2.6400)),
    ("verivital/Convnet_avgpool.onnx", (0.0, 1.0)),
    pytest.param("verivital/Convnet_maxpool.onnx", (0.0, 1.0), marks=pytest.mark.xfail(
        strict=True, raises=rl.UnsupportedOperatorError,
        reason=f"{STRUCTURED}: the first max-pooling layer is a dense 18432 x 23328 matrix (4.3e8 entries)")),
]


@pytest.mark.parametrize("name, box", NETS)
def test_agrees_with_onnxruntime(shared_data, name, box):
    path = shared_data / "cnn_vnncomp2021" / name
    net = rl.load(path)
    X = np.random.default_rng(0).uniform(*box, size=(1000, net.input_dim))
    # marabou-cifar10 declares a dynamic batch axis (one onnxruntime call); the others a batch of 1 (row by row).
    batched = name.startswith("marabou")
    assert_close_to_float32(net(X), run_ort(path, X, batched=batched))


@pytest.mark.parametrize("name, relus", [("cifar10_small.onnx", 2568), ("cifar10_medium.onnx", 4944)])
def test_marabou_relu_counts_match_info_txt(shared_data, name, relus):
    # info.txt gives 2568 / 4944 ReLUs (and 10528 for cifar10_large, whose graph has 7200 + 2304 + 128 + 64
    # = 9696: its second Conv gives 6x6, not the 7x7 the count assumes).
    net = rl.load(shared_data / "cnn_vnncomp2021" / "marabou-cifar10" / "nets" / name)
    assert net.n_pattern_neurons == relus


def test_convnet_avgpool_structure(shared_data):
    # Conv 2x2 (32 channels, 28x28 -> 27x27), Relu, a Pad of zeros, AveragePool 4x4 stride 4 (27x27 -> 6x6, the
    # last 3 rows/columns unused), Flatten, Gemm: one relu layer of 32*27*27 neurons, the pooling folded into the
    # output layer.
    net = rl.load(shared_data / "cnn_vnncomp2021" / "verivital" / "Convnet_avgpool.onnx")
    assert [(layer.activation, layer.out_dim) for layer in net.layers] == [("relu", 23328), ("identity", 10)]
    unused = np.zeros((32, 27, 27), dtype=bool)
    unused[:, 24:, :] = unused[:, :, 24:] = True
    assert not net.layers[1].weight[:, unused.reshape(-1)].any()
