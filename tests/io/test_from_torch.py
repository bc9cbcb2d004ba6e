"""from_torch: agreement with the module's own forward pass (float64), and clear refusals."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

import relucid as rl

torch = pytest.importorskip("torch")
nn = torch.nn


def _forward(module, X, input_shape):
    with torch.no_grad():
        return module(torch.from_numpy(X).reshape(len(X), *input_shape)).reshape(len(X), -1).numpy()


def _agree(module, input_shape, *, atol=1e-10, **kwargs):
    module = module.double().eval()
    net = rl.from_torch(module, input_shape=input_shape, **kwargs)
    X = np.random.default_rng(0).normal(size=(64, int(np.prod(input_shape))))
    assert np.max(np.abs(net(X) - _forward(module, X, input_shape))) <= atol
    return net


def test_mlp_with_nested_sequentials_infers_input_size():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.LeakyReLU(0.3),
                           nn.Sequential(nn.Dropout(0.5), nn.Identity())), nn.Linear(8, 3)).double().eval()
    net = rl.from_torch(module)
    assert [(l.activation, l.alpha) for l in net.layers] == [("relu", None), ("leaky_relu", 0.3), ("identity", None)]
    assert [l.name for l in net.layers] == ["0+1", "2.0+2.1", "2.2.0+2.2.1+3"]
    _agree(module, (4,))


def test_weights_are_copied_exactly():
    lin = nn.Linear(3, 2).double()
    net = rl.from_torch(nn.Sequential(lin))
    assert np.array_equal(net.layers[0].weight, lin.weight.detach().numpy())
    assert np.array_equal(net.layers[0].bias, lin.bias.detach().numpy())


def test_single_module_and_smooth_activations():
    torch.manual_seed(1)
    _agree(nn.Sequential(nn.Linear(3, 5), nn.Sigmoid(), nn.Linear(5, 5), nn.Tanh(), nn.Tanh()), (3,))
    assert len(rl.from_torch(nn.Linear(3, 2)).layers) == 1


@pytest.mark.parametrize("conv", [
    dict(in_channels=2, out_channels=3, kernel_size=3),
    dict(in_channels=2, out_channels=4, kernel_size=(3, 2), stride=(2, 1), padding=1),
    dict(in_channels=2, out_channels=4, kernel_size=3, groups=2, dilation=2, padding=2, bias=False),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="reflect"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="circular"),
])
def test_conv2d_becomes_exact_dense_layer(conv):
    torch.manual_seed(2)
    module = nn.Sequential(nn.Conv2d(**conv), nn.ReLU(), nn.Flatten())
    out = module.double()(torch.zeros(1, 2, 7, 6, dtype=torch.float64)).shape[1]
    module.append(nn.Linear(out, 3))
    _agree(module, (2, 7, 6))


def test_conv1d_and_batchnorm():
    torch.manual_seed(3)
    module = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.BatchNorm1d(3), nn.ReLU(), nn.Flatten(),
                           nn.Linear(3 * 8, 4), nn.BatchNorm1d(4), nn.Tanh())
    with torch.no_grad():
        for bn in (module[1], module[5]):
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.normal_()
    net = _agree(module, (2, 8))
    assert [l.activation for l in net.layers] == ["relu", "tanh"]


def test_batchnorm2d_between_convs():
    torch.manual_seed(4)
    module = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Conv2d(2, 2, 2), nn.ReLU())
    with torch.no_grad():
        module[1].running_mean.normal_()
        module[1].running_var.uniform_(0.5, 2.0)
    net = _agree(module, (1, 5, 5))
    assert len(net.layers) == 1  # conv, BN, conv are one affine map


def test_unsupported_module_is_named_with_position():
    module = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AdaptiveMaxPool2d(2), nn.Flatten())
    with pytest.raises(rl.UnsupportedOperatorError, match=r"AdaptiveMaxPool2d at position 2 \('2'\).*relucid converts"):
        rl.from_torch(module, input_shape=(1, 6, 6))


def test_nested_unsupported_module_has_qualified_name():
    module = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Softmax(dim=1)))
    with pytest.raises(rl.UnsupportedOperatorError, match=r"Softmax at position 2 \('1.1'\)"):
        rl.from_torch(module)


def test_custom_module_is_refused():
    class Net(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(rl.UnsupportedOperatorError, match="Net at position 0"):
        rl.from_torch(Net(), input_shape=(2,))


def test_conv_needs_input_shape():
    with pytest.raises(rl.ShapeError, match=r"Conv2d at position 0 .*pass input_shape=\(C, H, W\)"):
        rl.from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()))


def test_conv_above_size_limit():
    module = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1))
    with pytest.raises(rl.UnsupportedOperatorError, match=r"Conv2d at position 0.*above the limit of 20,000,000"):
        rl.from_torch(module, input_shape=(3, 64, 64))
    with pytest.raises(rl.UnsupportedOperatorError, match="limit of 100"):
        rl.from_torch(nn.Sequential(nn.Conv2d(1, 1, 3)), input_shape=(1, 5, 5), max_dense_entries=100)


def test_linear_size_mismatch():
    with pytest.raises(rl.ShapeError, match=r"Linear at position 2 \('2'\).*last axis 5"):
        rl.from_torch(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 1)))


def test_nan_parameter():
    lin = nn.Linear(2, 2)
    with torch.no_grad():
        lin.weight[0, 0] = float("nan")
    with pytest.raises(rl.InvalidValueError, match=r"Linear at position 0.*weight.*NaN"):
        rl.from_torch(nn.Sequential(lin))


def test_flatten_of_batch_axis_is_refused():
    with pytest.raises(rl.UnsupportedOperatorError, match="start_dim=0"):
        rl.from_torch(nn.Sequential(nn.Flatten(0)), input_shape=(2, 2))


def test_float32_module_converts_in_float64():
    torch.manual_seed(5)
    module = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).eval()  # float32 parameters
    net = rl.from_torch(module)
    X = np.random.default_rng(0).normal(size=(20, 3))
    with torch.no_grad():
        ref = module.double()(torch.from_numpy(X)).numpy()
    assert np.max(np.abs(net(X) - ref)) <= 1e-12


def test_missing_torch_gives_install_hint(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("no torch here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    with pytest.raises(ImportError, match=r"from_torch needs PyTorch: pip install 'relucid\[torch\]'"):
        rl.from_torch(object())
