"""The pending affine map of the importers: each operator agrees with numpy on the tensor itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import relucid as rl
from relucid.io._affine import Affine, SegmentBuilder, conv_nd


def _evaluate(aff: Affine, x: np.ndarray) -> np.ndarray:
    W, b = aff.to_dense()
    return (W @ x + b).reshape(aff.shape)


def _ops(rng):
    """(name, on Affine, on ndarray) triples of the operators, with random constants."""
    c = rng.normal(size=3)
    return [
        ("add", lambda a: a.add(c), lambda t: t + c),
        ("mul", lambda a: a.mul(c), lambda t: t * c),
        ("neg", lambda a: a.neg(), lambda t: -t),
        ("reshape", lambda a: a.reshape((a.const.size // 3, 3)), lambda t: t.reshape(t.size // 3, 3)),
        ("transpose", lambda a: a.transpose(list(range(a.const.ndim))[::-1]), lambda t: t.T),
        ("broadcast", lambda a: a.add(np.ones((2,) + a.shape)), lambda t: t + np.ones((2,) + t.shape)),
    ]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), program=st.lists(st.integers(0, 5), max_size=5),
       rows=st.integers(1, 3), right=st.booleans())
def test_operator_chains_match_numpy(seed, program, rows, right):
    rng = np.random.default_rng(seed)
    shape = (rows, 3)
    x = rng.normal(size=rows * 3)
    aff, t = Affine.identity(shape), x.reshape(shape)
    ops = _ops(rng)
    for i in program:
        if aff.const.size % 3 or aff.shape[-1] != 3:
            break
        _, on_affine, on_array = ops[i]
        aff, t = on_affine(aff), on_array(t)
    if aff.shape and aff.shape[-1] == 3:
        B = rng.normal(size=(3, 2))
        if right:
            aff, t = aff.matmul_right(B), t @ B
        else:
            m = aff.const.size // 3
            aff, t = aff.reshape((m, 3)).transpose([1, 0]).matmul_left(B.T), B.T @ t.reshape(m, 3).T
    assert np.allclose(_evaluate(aff, x), t, atol=1e-12)


@pytest.mark.parametrize("shape, B", [((3,), (3, 2)), ((3,), (3,)), ((1, 3), (3, 4)), ((2, 3), (2, 3, 4)),
                                      ((3,), (2, 3, 4)), ((1, 1, 3), (3, 2))])
def test_matmul_right_shapes(shape, B):
    rng = np.random.default_rng(0)
    B = rng.normal(size=B)
    x = rng.normal(size=int(np.prod(shape)))
    for aff in (Affine.identity(shape), Affine(np.zeros(shape), lin=np.eye(x.size).reshape((x.size, *shape)))):
        assert np.allclose(_evaluate(aff.matmul_right(B), x), x.reshape(shape) @ B)


@pytest.mark.parametrize("A, shape", [((2, 3), (3,)), ((3,), (3,)), ((4, 3), (3, 2)), ((2, 4, 3), (3, 2))])
def test_matmul_left_shapes(A, shape):
    rng = np.random.default_rng(1)
    A = rng.normal(size=A)
    x = rng.normal(size=int(np.prod(shape)))
    for aff in (Affine.identity(shape), Affine(np.zeros(shape), lin=np.eye(x.size).reshape((x.size, *shape)))):
        assert np.allclose(_evaluate(aff.matmul_left(A), x), A @ x.reshape(shape))


def test_conv_from_diagonal_is_chunked_and_exact():
    rng = np.random.default_rng(2)
    W, bias = rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2)
    aff = Affine.identity((1, 3, 9, 9)).mul(rng.uniform(1, 2, size=(1, 3, 1, 1)))
    out = aff.conv(W, bias, strides=[1, 1], pads=[1, 1, 1, 1], dilations=[1, 1], group=1)
    x = rng.normal(size=243)
    direct = conv_nd((x.reshape(1, 3, 9, 9) * aff.scale), W, bias, strides=[1, 1], pads=[1, 1, 1, 1],
                     dilations=[1, 1], group=1)
    assert np.allclose(_evaluate(out, x), direct)


def test_diagonal_stays_lazy_until_a_product():
    aff = Affine.identity((1, 3, 100, 100)).add(np.ones((1, 3, 1, 1))).mul(np.full((1, 3, 1, 1), 2.0))
    aff = aff.reshape((1, 30000))
    assert aff.is_diagonal
    assert aff.matmul_right(np.ones((30000, 2))).shape == (1, 2)


def test_size_limit():
    with pytest.raises(rl.UnsupportedOperatorError, match="limit of 10"):
        Affine.identity((5,), limit=10).dense_lin()


def test_segment_builder_by_hand():
    b = SegmentBuilder(Affine.identity((2,)))
    b.fold(b.pending.mul(np.array([2.0, 3.0])), "scale")
    b.activate("relu", None, "act")
    b.activate("relu", None, "act2")
    layers = b.finish()
    assert [layer.name for layer in layers] == ["scale+act", "act2"]
    assert np.array_equal(layers[0].weight, np.diag([2.0, 3.0])) and np.array_equal(layers[1].weight, np.eye(2))
