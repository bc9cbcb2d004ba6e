"""Every benchmark network in ../shared/data: relucid (float64) against onnxruntime (float32)."""

from __future__ import annotations

import numpy as np
import pytest

import relucid as rl
from io_helpers import assert_close_to_float32, run_ort

pytestmark = pytest.mark.shared_data

ACAS = [f"acasxu/ACASXU_run2a_{a}_{b}_batch_2000.onnx" for a in range(1, 6) for b in range(1, 10)]
MNIST = ["mnistfc/mnist-net_256x2.onnx", "mnistfc/mnist-net_256x4.onnx", "mnistfc/mnist-net_256x6.onnx",
         "eran_vnncomp2021/mnist_relu_9_200.onnx"]
TEST = ["test/test_nano.onnx", "test/test_tiny.onnx", "test/test_small.onnx", "test/test_sat.onnx",
        "test/test_unsat.onnx"]

# Input boxes the networks are used on. ACAS Xu: the hull of the boxes of prop_1..prop_10.vnnlib
# (normalised units). MNIST: pixels in [0, 1]. test_nano/tiny/small: their vnnlib boxes, [-1, 1].
ACAS_BOX = (np.array([-0.3285, -0.5, -0.5, -0.5, -0.5]), np.array([0.6799, 0.5, 0.5, 0.5, 0.5]))


def _box(name: str, dim: int):
    if name.startswith("acasxu") or name in ("test/test_sat.onnx", "test/test_unsat.onnx"):
        return ACAS_BOX
    if name.startswith(("mnistfc", "eran")):
        return np.zeros(dim), np.ones(dim)
    return -np.ones(dim), np.ones(dim)


@pytest.mark.parametrize("name", ACAS + MNIST + TEST)
def test_agrees_with_onnxruntime(shared_data, name):
    path = shared_data / name
    net = rl.load(path)
    lo, hi = _box(name, net.input_dim)
    X = np.random.default_rng(0).uniform(lo, hi, size=(1000, net.input_dim))
    # onnxruntime computes in float32 (~1e-7 relative rounding per accumulated term), relucid in
    # float64: agreement to 1e-5 of the output scale is what float32 allows, not a looser claim.
    assert_close_to_float32(net(X), run_ort(path, X))


@pytest.mark.parametrize("name", ACAS[:1] + MNIST[:1] + TEST)
def test_files_pass_onnx_checker(shared_data, name):
    rl.io.load_onnx(shared_data / name, check=True)


def test_acasxu_structure(shared_data):
    net = rl.load(shared_data / ACAS[0])
    assert net.input_dim == 5 and net.output_dim == 5
    assert [layer.activation for layer in net.layers] == ["relu"] * 6 + ["identity"]
    assert all(layer.out_dim == 50 for layer in net.layers[:-1])
    assert "input_Sub" in net.layers[0].name  # the Sub normalisation is folded into layer 0


def test_eran_keeps_its_final_relu(shared_data):
    # mnist_relu_9_200.onnx applies Relu to the output logits; the import must do the same.
    net = rl.load(shared_data / "eran_vnncomp2021/mnist_relu_9_200.onnx")
    assert [layer.activation for layer in net.layers] == ["relu"] * 9
    assert net.layers[-1].out_dim == 10 and net.layers[-1].name.endswith("Relu_22")
    assert (net(np.random.default_rng(1).uniform(0, 1, (50, 784))) >= 0).all()


@pytest.mark.parametrize("name, accuracy", [("mnist-net_256x2.onnx", 0.974), ("mnist-net_256x4.onnx", 0.967),
                                            ("mnist-net_256x6.onnx", 0.959)])
def test_mnistfc_accuracy_on_real_digits(shared_data, name, accuracy):
    # SOURCES.md: 97.4 / 96.7 / 95.9 % on the first 2000 MNIST test images (pixels / 255).
    data = np.load(shared_data / "mnist" / "mnist_test.npz")
    X = data["x"][:2000].reshape(2000, -1) / 255.0
    net = rl.load(shared_data / "mnistfc" / name)
    assert np.mean(net(X).argmax(axis=1) == data["y"][:2000]) == pytest.approx(accuracy, abs=0.0005)


def test_tiny_nets_by_hand(shared_data):
    # test_tiny: relu(1*x + 0) * 1 + 0; test_nano: relu(w*x) with one weight.
    tiny = rl.load(shared_data / "test/test_tiny.onnx")
    assert [layer.activation for layer in tiny.layers] == ["relu", "identity"]
    assert np.allclose(tiny(np.array([[-0.5], [0.75]])), [[0.0], [0.75]])
    nano = rl.load(shared_data / "test/test_nano.onnx")
    assert len(nano.layers) == 1 and nano.layers[0].activation == "relu"
