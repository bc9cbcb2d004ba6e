"""Hostile model and data files (issue 15, findings 3, 7, 8, 9, 14): refused with one line, cheaply.

Each test builds the exact file the review used and checks the API error type,
the one-line message, the CLI (``relucid info``: exit 2, one line on stderr,
no traceback) and, for the memory bombs, the peak memory of the refusal.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import onnx_external_cases as ext
import relucid as rl
from relucid.cli import main
from relucid.io._limits import DEFAULT_MAX_ELEMENTS, ENV_VAR
from relucid.io.data import read_npz

REPO = Path(__file__).resolve().parents[2]
OLDEST_ONNX = "1.15.0"  # pyproject.toml: onnx>=1.15
MB = 1 << 20


def _refused_by_cli(capsys, path, *, contains: str) -> str:
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and contains in err, err
    assert "Traceback" not in err and "internal error" not in err
    return err


def _peak_while(fn) -> tuple[BaseException, int]:
    """The exception ``fn`` raises and the peak of traced (Python and numpy) memory meanwhile."""
    tracemalloc.start()
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - the caller asserts the type
        caught = exc
    else:
        caught = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert caught is not None, "the hostile file was accepted"
    return caught, peak


# -- finding 3: external data through symlinks --------------------------------------------------------------
REFUSED = {
    "symlinked_file": "resolves (through a symbolic link)",
    "symlinked_folder": "resolves (through a symbolic link)",
    "absolute_path": "an absolute path",
    "dotdot_path": "a path with '..'",
    "short_file": "too short for the tensor's 24 bytes",
    "wrong_length": "length 48 does not match the tensor's 24 bytes",
    "folder_not_file": "is not a regular file",
    "missing_file": "no such file",
}


def _check_external_results(results: dict[str, str]) -> None:
    assert results["inline"] == results["valid"] == results["valid_subfolder"] == "ok", results
    for name, reason in REFUSED.items():
        text = results[name]
        assert text.startswith("ModelFormatError: model.onnx: initializer 'W': external data location "), text
        assert reason in text and "\n" not in text, text


@pytest.fixture(scope="module")
def external_cases(tmp_path_factory):
    return ext.build_cases(tmp_path_factory.mktemp("external"))


def test_external_data_confined_with_installed_onnx(external_cases):
    _check_external_results(ext.run_cases(external_cases))
    # and nothing of the outside file became a weight
    with pytest.raises(rl.ModelFormatError, match="outside the model's folder"):
        rl.load(external_cases["symlinked_file"])


def test_external_data_refused_by_cli(external_cases, capsys):
    _refused_by_cli(capsys, external_cases["symlinked_folder"], contains="initializer 'W': external data location")
    _refused_by_cli(capsys, external_cases["dotdot_path"], contains="a path with '..'")


def test_in_memory_model_with_external_data_is_refused(external_cases):
    model = onnx.load(str(external_cases["valid"]), load_external_data=False)
    with pytest.raises(rl.ModelFormatError, match="initializer 'W' keeps its data in an external file"):
        rl.io.onnx.network_from_onnx(model)


def test_external_constant_node_is_confined(tmp_path):
    """A Constant node's tensor is external data too: same confinement."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "c.bin").write_bytes(np.ones(3, np.float32).tobytes())
    folder = tmp_path / "model"
    folder.mkdir()
    os.symlink(tmp_path / "outside" / "c.bin", folder / "c.bin")
    value = TensorProto(name="c", data_type=TensorProto.FLOAT, dims=[3], data_location=TensorProto.EXTERNAL)
    entry = value.external_data.add()
    entry.key, entry.value = "location", "c.bin"
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["c"], value=value), helper.make_node("Add", ["x", "c"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(folder / "m.onnx"))
    with pytest.raises(rl.ModelFormatError, match=r"attribute 'value' of node 0 \(Constant\): external data .*"
                                                  r"outside the model's folder"):
        rl.load(folder / "m.onnx")


def _network_error(text: str) -> bool:
    return any(s in text.lower() for s in ("could not find a version", "connection", "network is unreachable",
                                          "temporary failure in name resolution", "no matching distribution",
                                          "max retries exceeded", "proxyerror", "timed out"))


@pytest.mark.slow
def test_external_data_confined_with_oldest_allowed_onnx(tmp_path):
    """The same cases with onnx 1.15.0, which itself follows the symlinks, in a subprocess."""
    target = tmp_path / "onnx_old"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--target", str(target), f"onnx=={OLDEST_ONNX}"],
        capture_output=True, text=True, timeout=600,
    )
    if pip.returncode != 0:
        if _network_error(pip.stdout + pip.stderr):
            pytest.skip(f"pip cannot reach the package registry to install onnx=={OLDEST_ONNX}: "
                        f"{(pip.stderr or pip.stdout).strip().splitlines()[-1]}")
        raise AssertionError(f"pip install onnx=={OLDEST_ONNX} failed:\n{pip.stdout}\n{pip.stderr}")
    work = tmp_path / "cases"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), str(REPO / "src"), str(REPO / "tests" / "io")]))
    run = subprocess.run([sys.executable, str(REPO / "tests" / "io" / "onnx_external_cases.py"), str(work)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["onnx"] == OLDEST_ONNX
    assert report["onnx_follows_symlink"], "onnx 1.15 no longer follows the link: the test no longer tests anything"
    _check_external_results(report["results"])


# -- finding 7: tiny files that demand huge memory ---------------------------------------------------------
def _tiny_onnx(path: Path, dims, *, dim_params=None) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, dim_params or dims)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y]))
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("n", [200_000_000, 1_000_000_000, 10**18])
def test_tiny_onnx_declaring_huge_input_is_refused_cheaply(tmp_path, capsys, n):
    path = _tiny_onnx(tmp_path / "big_input.onnx", [1, n])
    assert path.stat().st_size < 150
    exc, peak = _peak_while(lambda: rl.load(path))
    assert isinstance(exc, rl.ModelFormatError), repr(exc)
    assert f"input 'x' of shape (1, {n}) declares {n:,} entries" in str(exc)
    assert f"limit of {DEFAULT_MAX_ELEMENTS:,}" in str(exc) and ENV_VAR in str(exc)
    assert peak < 100 * MB, peak
    print(f"peak {peak}")
    _refused_by_cli(capsys, path, contains="declares")


def _matmul_model(path, init, n_in: int):
    """A one-node ONNX model ``y = x @ W`` with the initializer ``init`` as W, saved at ``path``."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n_in])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=[init],
    )
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_onnx_initializer_with_huge_dims_is_refused_before_reading(tmp_path, capsys):
    init = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[100_000, 100_000])  # declares, holds nothing
    path = _matmul_model(tmp_path / "huge_init.onnx", init, 100_000)
    exc, peak = _peak_while(lambda: rl.load(path))
    assert isinstance(exc, rl.ModelFormatError) and "initializer 'W' of shape (100000, 100000)" in str(exc)
    assert peak < 100 * MB
    _refused_by_cli(capsys, path, contains="initializer 'W'")


def test_onnx_folded_constant_bomb_is_refused(tmp_path):
    """Two 10^4-entry constants whose product is a 10^8-entry constant."""
    a = helper.make_tensor("a", TensorProto.FLOAT, [10_000, 1], np.ones(10_000).tolist())
    b = helper.make_tensor("b", TensorProto.FLOAT, [1, 10_000], np.ones(10_000).tolist())
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"], name="outer"), helper.make_node("Add", ["x", "c"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10_000])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=[a, b],
    )
    path = tmp_path / "fold.onnx"
    onnx.save(helper.make_model(graph), str(path))
    exc, peak = _peak_while(lambda: rl.io.load_onnx(path, max_elements=50_000_000))
    assert isinstance(exc, rl.ModelFormatError)
    assert "'MatMul' at node 'outer'" in str(exc) and "constant 'c'" in str(exc)
    assert peak < 100 * MB


def test_onnx_chain_of_activations_is_charged_per_layer(tmp_path):
    """Each activation builds a dense n x n layer: a chain of them is refused once they add up."""
    nodes = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"]) for i in range(50)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("t0", TensorProto.FLOAT, [1, 100])],
                              [helper.make_tensor_value_info("t50", TensorProto.FLOAT, None)])
    path = tmp_path / "relus.onnx"
    onnx.save(helper.make_model(graph), str(path))
    assert len(rl.io.load_onnx(path).layers) == 50
    with pytest.raises(rl.ModelFormatError, match=r"the weight of layer \d+ .* brings the file's total"):
        rl.io.load_onnx(path, max_elements=100_000)


def _zip(path: Path, members: list[tuple[str, bytes | None, tuple]]) -> Path:
    """A zip written by hand: (name, stored bytes) members, or (name, None, (crc, usize, deflated chunks))."""
    central = []
    with open(path, "wb") as fh:
        for name, data, deflated in members:
            raw = name.encode()
            if data is not None:
                method, crc, usize, chunks = 0, zlib.crc32(data), len(data), [data]
            else:
                method, (crc, usize, chunks) = 8, deflated
            csize = sum(len(c) for c in chunks)
            offset = fh.tell()
            fh.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, csize, usize, len(raw), 0))
            fh.write(raw)
            for chunk in chunks:
                fh.write(chunk)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, csize,
                                       usize, len(raw), 0, 0, 0, 0, 0, offset) + raw)
        start = fh.tell()
        for entry in central:
            fh.write(entry)
        fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), fh.tell() - start, start, 0))
    return path


def _npy(arr=None, *, header_only: dict | None = None) -> bytes:
    buf = io.BytesIO()
    if header_only is None:
        np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    else:
        np.lib.format.write_array_header_1_0(buf, header_only)
    return buf.getvalue()


def _small_members(**extra) -> list:
    members = {"format": np.str_("relucid-network-v1"), "n_layers": np.int64(1), "act0": np.str_("identity")}
    members.update(extra)
    return [(f"{k}.npy", _npy(v), None) for k, v in members.items()]


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """A 2 MB .npz whose W0 is a 16000 x 16000 float64 layer of zeros (2 GB once decompressed)."""
    n, chunk = 16_000, bytes(4_096_000)
    header = _npy(header_only={"descr": "<f8", "fortran_order": False, "shape": (n, n)})
    data_bytes = n * n * 8
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)  # the state is reset: every block alike
    tail = deflate.flush()
    crc = zlib.crc32(header)
    for _ in range(data_bytes // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    chunks = [head] + [block] * (data_bytes // len(chunk)) + [tail]
    members = _small_members(b0=np.zeros(n)) + [("W0.npy", None, (crc, len(header) + data_bytes, chunks))]
    return _zip(tmp_path_factory.mktemp("bomb") / "bomb.npz", members)


def test_zip_bomb_npz_is_refused_cheaply(zip_bomb, capsys):
    assert zip_bomb.stat().st_size < 3 * MB
    with zipfile.ZipFile(zip_bomb) as zf:  # a well-formed archive: 2 GB declared for W0
        assert zf.getinfo("W0.npy").file_size == 16_000 * 16_000 * 8 + 128
    exc, peak = _peak_while(lambda: rl.load(zip_bomb))
    assert isinstance(exc, rl.ModelFormatError), repr(exc)
    assert "array 'W0' of shape (16000, 16000) declares 256,000,000 entries" in str(exc)
    assert peak < 100 * MB, peak
    print(f"peak {peak}")
    _refused_by_cli(capsys, zip_bomb, contains="array 'W0'")


def test_npz_header_declaring_1e10_entries_is_refused(tmp_path, capsys):
    header = _npy(header_only={"descr": "<f8", "fortran_order": False, "shape": (100_000, 100_000)})
    path = _zip(tmp_path / "liar.npz", _small_members(b0=np.zeros(2)) + [("W0.npy", header, None)])
    assert path.stat().st_size < 2000
    exc, peak = _peak_while(lambda: rl.load(path))
    assert isinstance(exc, rl.ModelFormatError) and "declares 10,000,000,000 entries" in str(exc)
    assert peak < 100 * MB
    _refused_by_cli(capsys, path, contains="array 'W0'")
    # the data-archive reader (--x-file, report data) refuses it the same way
    exc, peak = _peak_while(lambda: read_npz(path, "report"))
    assert isinstance(exc, rl.ModelFormatError) and str(exc).startswith("report: data file")
    assert "declares 10,000,000,000 entries" in str(exc) and peak < 100 * MB


def test_npz_header_lying_about_its_size_is_a_format_error(tmp_path):
    """A header that declares 6 entries over 2 entries of data: a truncated member, one line."""
    header = _npy(header_only={"descr": "<f8", "fortran_order": False, "shape": (2, 3)})
    path = _zip(tmp_path / "short.npz", _small_members(b0=np.zeros(2)) + [("W0.npy", header + bytes(16), None)])
    with pytest.raises(rl.ModelFormatError, match="cannot read 'W0'"):
        rl.load(path)


def test_element_limit_is_configurable(tmp_path, monkeypatch):
    net = rl.Network([rl.Dense(np.ones((30, 40)), np.zeros(30), "relu"), rl.Dense(np.ones((1, 30)), np.zeros(1))])
    for suffix in (".npz", ".onnx"):
        path = tmp_path / f"net{suffix}"
        rl.save(net, path)
        monkeypatch.setenv(ENV_VAR, "1000")
        with pytest.raises(rl.ModelFormatError, match=f"above relucid's limit of 1,000 per file; .*{ENV_VAR}"):
            rl.load(path)
        loader = rl.io.load_npz if suffix == ".npz" else rl.io.load_onnx
        assert loader(path, max_elements=10_000).input_dim == 40  # the keyword wins over the environment
        monkeypatch.setenv(ENV_VAR, "1e4")
        assert rl.load(path).input_dim == 40
        monkeypatch.setenv(ENV_VAR, "lots")
        with pytest.raises(rl.InvalidValueError, match=f"{ENV_VAR} must be a positive integer; got 'lots'"):
            rl.load(path)
        monkeypatch.delenv(ENV_VAR)
    with pytest.raises(rl.InvalidValueError, match="max_elements must be a positive integer"):
        rl.io.load_npz(tmp_path / "net.npz", max_elements=0)


# -- finding 9: .npz networks of 0 inputs or 0 outputs -------------------------------------------------------
@pytest.mark.parametrize("shape, says", [((2, 0), "0 inputs"), ((0, 2), "0 outputs")])
def test_npz_with_no_inputs_or_outputs_is_refused_at_load(tmp_path, capsys, shape, says):
    path = tmp_path / "empty.npz"
    np.savez(path, format=np.str_("relucid-network-v1"), n_layers=np.int64(1), W0=np.zeros(shape),
             b0=np.zeros(shape[0]), act0=np.str_("identity"))
    with pytest.raises(rl.ModelFormatError, match=f"empty.npz: the network has {says}"):
        rl.load(path)
    _refused_by_cli(capsys, path, contains=says)


def test_npz_with_an_empty_hidden_layer_is_refused(tmp_path):
    path = tmp_path / "hollow.npz"
    np.savez(path, format=np.str_("relucid-network-v1"), n_layers=np.int64(2), W0=np.zeros((0, 2)), b0=np.zeros(0),
             act0=np.str_("relu"), W1=np.zeros((1, 0)), b1=np.zeros(1), act1=np.str_("identity"))
    with pytest.raises(rl.ModelFormatError, match=r"a layer of 0 neurons \(layer 0\)"):
        rl.load(path)


# -- finding 8: an array where a scalar belongs --------------------------------------------------------------
@pytest.mark.parametrize("key, value", [("n_layers", np.array([1, 2])), ("format", np.array(["a", "b"])),
                                        ("act0", np.array(["relu", "identity"]))])
def test_npz_array_where_a_scalar_belongs(tmp_path, capsys, key, value):
    arrays = dict(format=np.str_("relucid-network-v1"), n_layers=np.int64(1), W0=np.eye(2), b0=np.zeros(2),
                  act0=np.str_("identity"))
    arrays[key] = value
    path = tmp_path / "arr.npz"
    np.savez(path, **arrays)
    with pytest.raises(rl.ModelFormatError, match=f"'{key}' must hold one value; it holds an array of shape"):
        rl.load(path)
    _refused_by_cli(capsys, path, contains="must hold one value")


def test_npz_alpha_array_is_refused(tmp_path):
    path = tmp_path / "alpha.npz"
    np.savez(path, format=np.str_("relucid-network-v1"), n_layers=np.int64(1), W0=np.eye(2), b0=np.zeros(2),
             act0=np.str_("leaky_relu"), alpha0=np.array([0.1, 0.2]))
    with pytest.raises(rl.ModelFormatError, match="'alpha0' must hold one value"):
        rl.load(path)


def test_npz_pickles_never_loaded(tmp_path):
    path = tmp_path / "pickle.npz"
    np.savez(path, format=np.str_("relucid-network-v1"), n_layers=np.int64(1),
             W0=np.array([[object()]], dtype=object), b0=np.zeros(1), act0=np.str_("identity"))
    with pytest.raises(rl.ModelFormatError, match="pickled object data in 'W0'; relucid never loads pickles"):
        rl.load(path)
    with pytest.raises(rl.ModelFormatError, match="holds pickled objects"):
        read_npz(path)


# -- finding 14: .nnet ranges, ONNX 0-sized dimensions -------------------------------------------------------
NNET = """// tiny
1,2,1,2,
2,1,
0,
-1.0,-1.0,
1.0,1.0,
0.0,0.0,0.0,
1.0,1.0,1.0,
1.0,-1.0,
0.5,
"""


@pytest.mark.parametrize("name,old,new,message,where", [
    ("inf.nnet", "1.0,1.0,1.0,", "inf,1.0,1.0,", r"inf.nnet: line 8 \(ranges\) holds the NaN/inf value inf", "line 8"),
    ("inverted.nnet", "-1.0,-1.0,\n", "-1.0,3.0,\n", r"lines 5-6: input 1 has minimum 3.0 above its maximum 1.0",
     "lines 5-6"),
])
def test_nnet_bad_ranges_are_refused_with_their_lines(tmp_path, capsys, name, old, new, message, where):
    # an infinite range (weights would silently become 0) and a minimum above its maximum
    path = tmp_path / name
    path.write_text(NNET.replace(old, new))
    with pytest.raises(rl.InvalidValueError, match=message):
        rl.load(path)
    _refused_by_cli(capsys, path, contains=where)


def test_nnet_infinite_weight_names_its_line(tmp_path):
    path = tmp_path / "infw.nnet"
    path.write_text(NNET.replace("1.0,-1.0,\n0.5,", "1.0,-inf,\n0.5,"))
    with pytest.raises(rl.InvalidValueError, match=r"line 9 \(weights and biases\) holds the NaN/inf value -inf"):
        rl.load(path)


def test_nnet_valid_still_loads(tmp_path):
    path = tmp_path / "ok.nnet"
    path.write_text(NNET)
    net = rl.load(path)
    assert net(np.array([1.0, 0.25]))[0] == pytest.approx(1.25)


def test_onnx_zero_sized_dimension_is_named(tmp_path, capsys):
    path = _tiny_onnx(tmp_path / "zero.onnx", [1, 0])
    with pytest.raises(rl.ModelFormatError, match=r"input 'x' has size 0 on axis 1: a 0-sized input"):
        rl.load(path)
    err = _refused_by_cli(capsys, path, contains="0-sized")
    assert "unknown size" not in err


def test_onnx_zero_sized_output_is_refused(tmp_path):
    init = helper.make_tensor("W", TensorProto.FLOAT, [3, 0], [])
    path = _matmul_model(tmp_path / "noout.onnx", init, 3)
    with pytest.raises(rl.ModelFormatError, match="the network has 0 outputs"):
        rl.load(path)


def test_onnx_bad_input_shape_override(tmp_path):
    path = _tiny_onnx(tmp_path / "dyn.onnx", None, dim_params=["N", "D"])
    with pytest.raises(rl.ShapeError, match="input_shape must be a non-empty tuple of positive ints"):
        rl.io.load_onnx(path, input_shape=(1, 0))
    assert rl.io.load_onnx(path, input_shape=(1, 3)).input_dim == 3


@pytest.mark.parametrize("attrs, says", [
    ({"strides": [0, 1]}, "strides must be 2 integers >= 1"),
    ({"dilations": [0, 1]}, "dilations must be 2 integers >= 1"),
    ({"group": 0}, "group must be an integer >= 1"),
    ({"pads": [-5, 0, 0, 0]}, "pads must be 4 integers >= 0"),
    ({"pads": [2**62, 0, 0, 0]}, "would need a dense matrix"),
])
def test_onnx_conv_with_hostile_attributes(tmp_path, capsys, attrs, says):
    weight = helper.make_tensor("W", TensorProto.FLOAT, [2, 1, 2, 2], np.ones(8).tolist())
    graph = helper.make_graph([helper.make_node("Conv", ["x", "W"], ["y"], **attrs)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=[weight])
    path = tmp_path / "conv.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(rl.ModelFormatError if "dense" in says else rl.ShapeError, match=says):
        rl.load(path)
    _refused_by_cli(capsys, path, contains=says)
