"""relucid.load / relucid.save: dispatch on the suffix, and the errors around it."""

from __future__ import annotations

import numpy as np
import pytest

import relucid as rl
from io_helpers import random_network


@pytest.mark.parametrize("suffix", [".onnx", ".npz", ".nnet", ".ONNX"])
def test_each_suffix_round_trips(tmp_path, suffix):
    net = random_network(np.random.default_rng(0), [3, 5, 2], ["relu", "identity"])
    path = tmp_path / f"net{suffix}"
    rl.save(net, path)
    X = np.random.default_rng(1).normal(size=(30, 3))
    tol = 1e-5 if suffix.lower() == ".onnx" else 1e-12  # .onnx stores float32 weights
    assert np.max(np.abs(rl.load(path)(X) - net(X))) <= tol
    assert np.max(np.abs(rl.load(str(path))(X) - net(X))) <= tol


def test_unknown_suffix_on_load(tmp_path):
    path = tmp_path / "net.h5"
    path.write_bytes(b"")
    with pytest.raises(rl.ModelFormatError, match=r"unknown suffix '.h5'; relucid loads .onnx, .nnet, .npz"):
        rl.load(path)


def test_unknown_suffix_on_save(tmp_path):
    net = random_network(np.random.default_rng(0), [2, 1], ["identity"])
    with pytest.raises(rl.ModelFormatError, match=r"unknown suffix '\(none\)'; relucid saves .onnx, .nnet, .npz"):
        rl.save(net, tmp_path / "net")


def test_missing_file(tmp_path):
    with pytest.raises(rl.ModelFormatError, match="no such file: .*absent.onnx"):
        rl.load(tmp_path / "absent.onnx")


def test_directory(tmp_path):
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(rl.ModelFormatError, match="not a file"):
        rl.load(tmp_path / "dir.npz")


def test_errors_are_relucid_errors(tmp_path):
    with pytest.raises(rl.RelucidError):
        rl.load(tmp_path / "absent.nnet")
