"""ONNX models with external data, hostile and valid, and what relucid must do with each.

Imported by ``test_hostile_files.py`` (with the installed onnx) and run as a
script in a subprocess against the oldest onnx ``pyproject.toml`` allows::

    PYTHONPATH=<onnx 1.15 target>:src python tests/io/onnx_external_cases.py WORKDIR

The script prints one JSON object: the onnx version, whether ``onnx.load``
itself follows the symlinked file out of the model's folder, and for each
case ``"ok"`` (loaded and equal to the inline model) or the one-line error
relucid raised.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

W = np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5  # the weight the valid model holds
SECRET = np.full(6, 1e6, dtype=np.float32)  # the bytes a hostile model tries to read from outside its folder


def _model(location: str | None, *, length: int | None = None) -> onnx.ModelProto:
    """y = relu(x @ W) on x of shape (1, 3); W inline, or external at ``location``."""
    if location is None:
        init = helper.make_tensor("W", TensorProto.FLOAT, [3, 2], W.reshape(-1).tolist())
    else:
        init = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[3, 2])
        init.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", "0"), ("length", None if length is None else str(length))):
            if value is not None:
                entry = init.external_data.add()
                entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        initializer=[init],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def build_cases(root: Path) -> dict[str, Path]:
    """Write every case under ``root``; ``{case name: model path}``. ``root/outside`` is outside every model."""
    outside = root / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.bin").write_bytes(SECRET.tobytes())
    cases: dict[str, tuple[onnx.ModelProto, callable]] = {}

    def case(name: str, location: str | None, setup=lambda d: None, **kw) -> None:
        cases[name] = (_model(location, **kw), setup)

    case("inline", None)
    case("valid", "w.bin", lambda d: (d / "w.bin").write_bytes(W.tobytes()))
    case("valid_subfolder", "data/w.bin",
         lambda d: ((d / "data").mkdir(), (d / "data" / "w.bin").write_bytes(W.tobytes())))
    case("symlinked_file", "w.bin", lambda d: os.symlink(outside / "secret.bin", d / "w.bin"))
    case("symlinked_folder", "data/secret.bin", lambda d: os.symlink(outside, d / "data"))
    case("absolute_path", str((outside / "secret.bin").resolve()))
    case("dotdot_path", "../outside/secret.bin")
    case("short_file", "w.bin", lambda d: (d / "w.bin").write_bytes(W.tobytes()[:10]))
    case("wrong_length", "w.bin", lambda d: (d / "w.bin").write_bytes(W.tobytes() * 2), length=48)
    case("folder_not_file", "w.bin", lambda d: (d / "w.bin").mkdir())
    case("missing_file", "w.bin")
    paths = {}
    for name, (model, setup) in cases.items():
        folder = root / name
        folder.mkdir()
        setup(folder)
        path = folder / "model.onnx"
        path.write_bytes(model.SerializeToString())
        paths[name] = path
    return paths


def onnx_follows_symlink(paths: dict[str, Path]) -> bool:
    """Whether the installed onnx, left to itself, reads the outside file through the symlink."""
    try:
        model = onnx.load(str(paths["symlinked_file"]))
    except Exception:  # noqa: BLE001 - any refusal by onnx counts as "does not follow"
        return False
    return model.graph.initializer[0].raw_data == SECRET.tobytes()


def run_cases(paths: dict[str, Path]) -> dict[str, str]:
    """``{case: "ok" | "<ErrorType>: message"}`` from ``relucid.load``."""
    import relucid as rl

    x = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]])
    reference = rl.load(paths["inline"])
    results = {}
    for name, path in paths.items():
        try:
            net = rl.load(path)
        except rl.RelucidError as exc:
            results[name] = f"{type(exc).__name__}: {exc}"
            continue
        same = np.array_equal(net(x), reference(x)) and np.array_equal(net.layers[0].weight, W.T.astype(float))
        results[name] = "ok" if same else "loaded with different weights"
    return results


def main(workdir: str) -> None:
    paths = build_cases(Path(workdir))
    print(json.dumps({"onnx": onnx.__version__, "onnx_follows_symlink": onnx_follows_symlink(paths),
                      "results": run_cases(paths)}))


if __name__ == "__main__":
    main(sys.argv[1])
