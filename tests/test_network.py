import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import relucid as rl
from nets import random_network


def test_forward_by_hand_all_activations():
    W = np.array([[1.0, -1.0], [0.5, 2.0]])
    b = np.array([0.0, -1.0])
    x = np.array([1.0, 2.0])
    z = W @ x + b  # (-1, 3.5)
    expect = {
        "relu": [0.0, 3.5],
        "leaky_relu": [-0.1, 3.5],
        "identity": [-1.0, 3.5],
        "sigmoid": 1 / (1 + np.exp(-z)),
        "tanh": np.tanh(z),
    }
    for act, want in expect.items():
        net = rl.Network([rl.Dense(W, b, act, 0.1 if act == "leaky_relu" else None)])
        np.testing.assert_allclose(net(x), want, rtol=1e-15)


def test_relu_zero_is_off_and_outputs_zero():
    net = rl.Network([rl.Dense([[1.0]], [0.0], "relu")])
    assert net(np.array([0.0]))[0] == 0.0


def test_batch_and_single_vector_shapes():
    rng = np.random.default_rng(0)
    net = random_network(rng, 3, [4, 5], 2)
    X = rng.normal(size=(7, 3))
    Y = net(X)
    assert Y.shape == (7, 2) and Y.dtype == np.float64
    np.testing.assert_allclose(net(X[2]), Y[2], rtol=1e-13)  # gemv vs gemm: ulps apart
    pre = net.preactivations(X)
    assert [p.shape for p in pre] == [(7, 4), (7, 5), (7, 2)]
    assert [p.shape for p in net.preactivations(X[0])] == [(4,), (5,), (2,)]
    assert net.input_dim == 3 and net.output_dim == 2 and len(net.layers) == 3


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_in=st.integers(1, 6), hidden=st.lists(st.integers(1, 10), max_size=3))
def test_forward_matches_explicit_loop(seed, n_in, hidden):
    rng = np.random.default_rng(seed)
    net = random_network(rng, n_in, hidden, 3, activation="leaky_relu", alpha=0.2)
    x = rng.normal(size=n_in)
    h = x
    for layer in net.layers:
        z = layer.weight @ h + layer.bias
        h = np.where(z > 0, z, layer.alpha * z) if layer.activation == "leaky_relu" else z
    np.testing.assert_allclose(net(x), h, rtol=1e-12, atol=1e-12)


def test_weights_are_read_only_copies():
    W = np.eye(2)
    layer = rl.Dense(W, np.zeros(2), "relu")
    W[0, 0] = 5.0
    assert layer.weight[0, 0] == 1.0
    with pytest.raises(ValueError):
        layer.weight[0, 0] = 3.0


@pytest.mark.parametrize(
    "make, exc, fragment",
    [
        (lambda: rl.Dense(np.ones(3), np.zeros(3)), rl.ShapeError, "2-D array"),
        (lambda: rl.Dense(np.ones((2, 3)), np.zeros(3)), rl.ShapeError, "bias must have shape (2,)"),
        (lambda: rl.Dense([[np.nan, 1.0]], [0.0]), rl.InvalidValueError, "NaN at index [0, 0]"),
        (lambda: rl.Dense([[1.0]], [np.inf], name="fc1"), rl.InvalidValueError, "'fc1': bias has 1 NaN/inf"),
        (lambda: rl.Dense([[1.0]], [0.0], "gelu"), rl.InvalidValueError, "activation must be one of"),
        (lambda: rl.Dense([[1.0]], [0.0], "leaky_relu"), rl.InvalidValueError, "needs a finite slope"),
        (lambda: rl.Dense([[1.0]], [0.0], "relu", alpha=0.1), rl.InvalidValueError, "only used by leaky_relu"),
        (
            lambda: rl.Network([rl.Dense(np.ones((4, 2)), np.zeros(4)), rl.Dense(np.ones((1, 3)), np.zeros(1))]),
            rl.ShapeError,
            "layer 1 takes 3 inputs but layer 0 gives 4 outputs",
        ),
        (lambda: rl.Network([]), rl.ShapeError, "at least one layer"),
    ],
)
def test_bad_construction(make, exc, fragment):
    with pytest.raises(exc) as info:
        make()
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_wrong_input_length():
    net = rl.Network([rl.Dense(np.ones((1, 3)), np.zeros(1))])
    with pytest.raises(rl.ShapeError, match="expected inputs of length 3, got length 2"):
        net(np.zeros(2))
    with pytest.raises(rl.ShapeError, match="length 3"):
        net(np.zeros((5, 4)))


def test_summary_and_counts():
    net = rl.Network([rl.Dense(np.ones((4, 2)), np.zeros(4), "relu"), rl.Dense(np.ones((1, 4)), np.zeros(1))])
    assert net.n_parameters == 8 + 4 + 4 + 1
    assert net.n_pattern_neurons == 4 and net.pattern_layers == (0,)
    assert "layer 0: Dense 2 -> 4, relu" in net.summary()


def test_classify_argmax_ties_and_one_output():
    three = rl.Network([rl.Dense(np.eye(3), np.zeros(3))])
    X = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 5.0]])
    np.testing.assert_array_equal(three.classify(X), [1, 0, 2])  # a tie goes to the lowest index
    assert three.classify(X[2]) == 2 and np.ndim(three.classify(X[2])) == 0
    one = rl.Network([rl.Dense([[1.0]], [0.0])])
    np.testing.assert_array_equal(one.classify(np.array([[-1.0], [0.0], [1e-12]])), [0, 0, 1])  # class 1 iff y > 0


def test_zero_sized_layers_and_boxes_are_refused_with_relucid_errors():
    # issue 15, finding 9 through the API: a network built by hand with a 0-sized layer
    with pytest.raises(rl.ShapeError, match="at least one dimension"):
        rl.Box([], [])
    net = rl.Network([rl.Dense(np.zeros((0, 2)), np.zeros(0))])
    with pytest.raises(rl.ShapeError, match=r"layer 0 has weight shape \(0, 2\)"):
        rl.verify(net, rl.Box(np.zeros(2), np.ones(2)), rl.ClassWins(0))
