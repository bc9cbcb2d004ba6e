"""Abstraction (DeepAbstract): merge rule, cluster search, error bounds, proof lifting, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relucid as rl
from relucid.abstraction import abstraction_error, lift_paper_unsound, lift_sound, robust_from_bounds
from relucid.abstraction.sound import relu_difference, relu_difference_lines
from relucid.cli import main
from nets import random_network


def _dense(W, b, act="relu"):
    return rl.Dense(np.asarray(W, dtype=float), np.asarray(b, dtype=float), act)


def _with_duplicate(rng, n_in, hidden, n_out, layer):
    """A random network whose hidden ``layer`` has its last neuron copied from neuron 0."""
    net = random_network(rng, n_in, hidden, n_out)
    layers = list(net.layers)
    W, b = np.array(layers[layer].weight), np.array(layers[layer].bias)
    W[-1], b[-1] = W[0], b[0]
    layers[layer] = _dense(W, b)
    return rl.Network(layers)


# -- merging (Algorithm 1, Proposition 1) ---------------------------------------------------------
def test_merge_rule_by_hand():
    # neurons 0 and 1 compute x0 (identical); neuron 2 computes x1
    net = rl.Network([_dense([[1, 0], [1, 0], [0, 1]], [0, 0, 0]), _dense([[1, 2, 3], [4, 5, 6]], [0.5, -0.5], "identity")])
    X = np.random.default_rng(0).uniform(0, 1, size=(10, 2))
    a = rl.abstract(net, X, [2])
    assert a.hidden_sizes == ((3, 2),)
    assert list(a.kept[0]) == [0, 2] and list(a.mapping[0]) == [0, 0, 1]
    np.testing.assert_array_equal(a.network.layers[0].weight, [[1, 0], [0, 1]])
    np.testing.assert_array_equal(a.network.layers[1].weight, [[3, 3], [9, 6]])  # outgoing columns summed
    np.testing.assert_array_equal(a.eps[0], 0.0)
    np.testing.assert_allclose(a.network(X), net(X), atol=1e-12)
    assert a.representative(0, 1) == 0 and a.reduction_rate == pytest.approx(1 / 3)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), layer=st.integers(0, 1))
def test_proposition1_identical_neurons_merge_without_changing_outputs(seed, layer):
    rng = np.random.default_rng(seed)
    net = _with_duplicate(rng, 3, [5, 4], 3, layer)
    X = rng.normal(size=(30, 3))
    counts = [None, None]
    counts[layer] = net.layers[layer].out_dim - 1
    a = rl.abstract(net, X, counts)
    m = a.mapping[layer]
    assert m[0] == m[-1]  # the copies are one cluster
    assert a.eps[layer][-1] == 0.0 and a.eps[layer][0] == 0.0
    np.testing.assert_allclose(a.network(X), net(X), rtol=0, atol=1e-10)


def test_proposition1_needs_identity_on_X_only():
    # p = relu(x0) and q = relu(2 x1 - x0) agree on the diagonal x0 = x1 >= 0, not elsewhere
    net = rl.Network([_dense([[1, 0], [-1, 2]], [0, 0]), _dense([[0, 0], [0, 1]], [1.5, 0], "identity")])
    X = np.linspace(0, 1, 5)[:, None] * np.ones(2)
    a = rl.abstract(net, X, [1])
    assert a.eps[0].max() == 0.0
    np.testing.assert_allclose(a.network(X), net(X), atol=1e-12)
    assert not np.allclose(a.network([0.0, 1.0]), net([0.0, 1.0]))


def test_no_merge_is_the_identity():
    rng = np.random.default_rng(1)
    net = random_network(rng, 3, [4, 4], 2)
    a = rl.abstract(net, rng.normal(size=(8, 3)), [None, 4])
    assert a.reduction_rate == 0.0
    for l0, l1 in zip(net.layers, a.network.layers):
        np.testing.assert_array_equal(l0.weight, l1.weight)
    assert all(e.max() == 0 for e in a.eps)


def test_deterministic_and_rebuilt_by_counts():
    rng = np.random.default_rng(2)
    net = random_network(rng, 4, [8, 8], 3)
    X = rng.normal(size=(40, 4))
    a, b = rl.abstract(net, X, [3, 5], rng=7), rl.abstract(net, X, [3, 5], rng=7)
    for la, lb in zip(a.network.layers, b.network.layers):
        np.testing.assert_array_equal(la.weight, lb.weight)


# -- error bounds (Theorems 1 and 2) --------------------------------------------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_error_bounds_hold_on_every_input_of_X(seed):
    rng = np.random.default_rng(seed)
    hidden = [int(v) for v in rng.integers(3, 8, size=int(rng.integers(1, 4)))]
    net = random_network(rng, 3, hidden, 3)
    X = rng.normal(size=(int(rng.integers(2, 25)), 3))
    a = rl.abstract(net, X, [int(rng.integers(1, h + 1)) for h in hidden], rng=int(rng.integers(100)))
    err = abstraction_error(a, X)
    for kind in ("paper", "max"):
        E = rl.error_bounds(a, eps=kind)
        assert len(E) == len(err) == len(net.layers)
        for e, bound in zip(err, E):
            assert (np.abs(e) <= bound + 1e-9 * (1 + bound)).all()
        # Theorem 1 step by step, with the actual error of the layer below
        prev = np.zeros((len(X), net.input_dim))
        for k, e in enumerate(err):
            step = rl.layer_error_bound(a, k, prev, eps=kind)
            assert (np.abs(e) <= step + 1e-9 * (1 + step)).all()
            prev = e
    assert all((em <= ep + 1e-12).all() for em, ep in zip(a.eps_max, a.eps))


def test_theorem2_sound_form_holds_and_paper_form_fails():
    rng = np.random.default_rng(3)
    net = random_network(rng, 3, [6, 5], 2)
    X = rng.normal(size=(20, 3))
    a = rl.abstract(net, X, [4, 3])
    delta = rng.normal(scale=0.3, size=(20, 3))
    bound = rl.perturbation_error_bound(a, delta, form="sound")
    assert (np.abs(a.network(X + delta) - net(X)) <= bound + 1e-9).all()
    # |x| = relu(x) + relu(-x): W2 W1 = 0, so the paper's form says a perturbation changes nothing
    absnet = rl.Network([_dense([[1], [-1]], [0, 0]), _dense([[1, 1]], [0], "identity")])
    a = rl.abstract(absnet, np.zeros((1, 1)), [None])
    assert rl.perturbation_error_bound(a, [1.0], form="paper")[0] == 0.0
    assert abs(a.network([1.0]) - absnet([0.0]))[0] == 1.0
    assert rl.perturbation_error_bound(a, [1.0], form="sound")[0] == 2.0


# -- proof lifting (Theorem 3 and the sound lifting) ----------------------------------------------
@settings(max_examples=200, deadline=None, derandomize=True)
@given(h_lo=st.floats(-3, 3), h_w=st.floats(0, 3), t_lo=st.floats(-3, 3), t_w=st.floats(0, 3), seed=st.integers(0, 999))
def test_relu_difference_enclosures(h_lo, h_w, t_lo, t_w, seed):
    rng = np.random.default_rng(seed)
    a = np.array([h_lo]), np.array([h_lo + h_w])
    t = np.array([t_lo]), np.array([t_lo + t_w])
    h = rng.uniform(a[0], a[1], size=(200, 1))
    d = rng.uniform(t[0], t[1], size=(200, 1))
    h, d = np.vstack([h, a[0], a[1], a[0], a[1]]), np.vstack([d, t[0], t[1], t[1], t[0]])
    f = np.maximum(h + d, 0) - np.maximum(h, 0)
    lo, hi = relu_difference(a[0], a[1], t[0], t[1])
    assert (f >= lo - 1e-12).all() and (f <= hi + 1e-12).all()
    ls, li, us, ui = relu_difference_lines(a[0], a[1], t[0], t[1])
    assert (f >= ls * d + li - 1e-9).all() and (f <= us * d + ui + 1e-9).all()


def _balls(rng, X, n):
    for x in X[:n]:
        yield x, float(rng.choice([0.02, 0.1, 0.3]))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_sound_lifting_never_claims_what_the_complete_verifier_refutes(seed):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 2, [6, 6], 3)
    X = rng.uniform(-1, 1, size=(int(rng.integers(3, 10)), 2))
    a = rl.abstract(net, X, [int(rng.integers(2, 7)), int(rng.integers(2, 7))])
    for x, eps in _balls(rng, X, 3):
        res = rl.verify_via_abstraction(a, x, eps)
        lo, hi = x - eps, x + eps
        if res.status == "proved":
            truth = rl.verify(net, rl.Box(lo, hi), rl.ClassWins(res.label), timeout=30)
            assert truth.status != "falsified", (seed, x, eps)
        if res.margin is not None:  # the lifted margins bound the original's on samples
            P = rng.uniform(lo, hi, size=(300, 2))
            Y = net(P)
            others = np.arange(3) != res.label
            true = Y[:, [res.label]] - Y[:, others]
            assert (true >= res.margin[None, others] - 1e-9).all()


def test_sound_lifting_proves_small_balls():
    rng = np.random.default_rng(4)
    net = random_network(rng, 2, [8, 8], 3)
    X = rng.uniform(-1, 1, size=(30, 2))
    a = rl.abstract(net, X, [6, 6])
    labels = np.argmax(net(X), axis=1)
    res = lift_sound(a, X - 0.01, X + 0.01, labels)
    assert res.proved.sum() >= 20
    for k, (lo, hi) in enumerate(res.error):
        assert lo.shape == hi.shape == (30, 8) and (lo <= hi).all()


def _paper_counterexample():
    """A 2-6-6-3 random network (seed 89) on which Theorem 3 lifts a wrong proof."""
    rng = np.random.default_rng(89)
    net = random_network(rng, 2, [6, 6], 3)
    X = rng.uniform(-1, 1, size=(int(rng.integers(3, 8)), 2))
    counts = [int(rng.integers(2, 6)), int(rng.integers(2, 6))]
    return net, X, counts


@pytest.mark.parametrize("lifting", ["paper", "paper-max"])
def test_paper_lifting_is_unsound_on_a_random_network(lifting):
    net, X, counts = _paper_counterexample()
    assert counts == [3, 4] and len(X) == 3
    a = rl.abstract(net, X, counts)
    x, eps = X[0], 0.05
    claimed = rl.verify_via_abstraction(a, x, eps, lifting=lifting)
    assert claimed.status == "proved" and claimed.label == 2
    truth = rl.verify(net, rl.Box(x - eps, x + eps), rl.ClassWins(2))
    assert truth.status == "falsified"
    assert np.argmax(net(truth.counterexample)) != 2
    assert rl.verify_via_abstraction(a, x, eps).status != "proved"


def test_paper_lifting_is_unsound_with_same_sign_weights():
    # p = relu(x0), q = relu(2 x1 - x0) agree on X (the diagonal): ε = 0, and every weight is >= 0
    net = rl.Network([_dense([[1, 0], [-1, 2]], [0, 0]), _dense([[0, 0], [0, 1]], [1.5, 0], "identity")])
    X = np.linspace(0, 1, 5)[:, None] * np.ones(2)
    a = rl.abstract(net, X, [1])
    x, eps = np.array([0.5, 0.5]), 0.5
    lower, upper = lift_paper_unsound(a, x - eps, x + eps)
    assert robust_from_bounds(lower, upper, 0)[0]  # claims y0 = 1.5 > y1 on [0, 1]^2
    assert net([0.0, 1.0])[1] == 2.0  # but y1 = q = 2 there
    assert rl.verify(net, rl.Box(x - eps, x + eps), rl.ClassWins(0)).status == "falsified"
    res = rl.verify_via_abstraction(a, x, eps)
    assert res.status == "unknown" and res.margin[1] <= -0.5


def test_paper_lifting_is_unsound_with_cancelling_weights():
    # the docs' third counterexample: y1 = relu(x0) - relu(x1), merged on X where x0 = x1 (ε = 0): the
    # members' outgoing weights +1 and -1 sum to 0, so the abstract y1 is 0 and the lifting proves class 0
    net = rl.Network([_dense([[1, 0], [0, 1]], [0, 0]), _dense([[0, 0], [1, -1]], [0.5, 0], "identity")])
    X = np.linspace(-1, 1, 5)[:, None] * np.ones(2)
    a = rl.abstract(net, X, [1])
    assert np.all(a.eps[0] == 0) and np.all(a.network.layers[1].weight[1] == 0)
    x, eps = np.zeros(2), 1.0
    lower, upper = lift_paper_unsound(a, x - eps, x + eps)
    assert robust_from_bounds(lower, upper, 0)[0]  # claims y0 = 0.5 > y1 on [-1, 1]^2
    assert net([1.0, -1.0]).tolist() == [0.5, 1.0]  # but y1 = 1 at x = (1, -1)
    assert rl.verify(net, rl.Box(x - eps, x + eps), rl.ClassWins(0)).status == "falsified"
    res = rl.verify_via_abstraction(a, x, eps)
    assert res.status == "unknown" and res.margin[1] <= -0.5


def test_paper_lifting_is_unsound_on_a_zero_width_box():
    # the paper's code's setting: the box is one input (zero width) and ε is measured on 20 samples of the
    # distribution that input is drawn from; found by checking 400 random 2-6-6-3 networks on 200 fresh inputs each
    rng = np.random.default_rng(41)
    net = random_network(rng, 2, [6, 6], 3)
    X = rng.uniform(-1, 1, size=(20, 2))
    a = rl.abstract(net, X, [4, 4])
    assert [m.tolist() for m in a.mapping] == [[0, 3, 3, 1, 2, 3], [0, 1, 3, 3, 2, 3]]  # the clusters it was found with
    x = rng.uniform(-1, 1, size=(200, 2))[79]  # a fresh draw: (0.73552, 0.98673)
    for eps in ("paper", "max"):  # ε of Eq. 3 and the per-sample maximum
        lower, upper = lift_paper_unsound(a, x, x, eps=eps)
        assert robust_from_bounds(lower, upper, 1)[0]  # claims class 1 at x: y1 >= -0.39862 > every other upper bound
        y = net(x)  # float64 forward pass of the original
        assert y.dtype == np.float64 and np.argmax(y) == 2 and y[2] - y[1] > 0.05  # class 2 wins, by 0.053
        assert y[2] > upper[2] + 0.1  # the lifted "enclosure" misses the original's output by more than 0.1
    assert rl.verify_via_abstraction(a, x, 0.0, label=1).status == "falsified"


def test_lift_paper_is_a_deprecated_alias_of_lift_paper_unsound():
    net = rl.Network([_dense([[1, 0], [-1, 2]], [0, 0]), _dense([[0, 0], [0, 1]], [1.5, 0], "identity")])
    a = rl.abstract(net, np.linspace(0, 1, 5)[:, None] * np.ones(2), [1])
    lo, hi = np.zeros(2), np.ones(2)
    with pytest.warns(DeprecationWarning, match="lift_paper is deprecated: use relucid.lift_paper_unsound"):
        old = rl.lift_paper(a, lo, hi, eps="max")
    new = rl.lift_paper_unsound(a, lo, hi, eps="max")
    assert all(np.array_equal(o, n) for o, n in zip(old, new))
    assert rl.lift_paper.__name__ == "lift_paper" and rl.abstraction.lift_paper is rl.lift_paper


def test_verify_via_abstraction_reports_a_checked_counterexample():
    net = rl.Network([_dense([[1, 0], [0, 1]], [0, 0]), _dense([[1, 0], [0, 1]], [0, 0], "identity")])
    a = rl.abstract(net, np.array([[1.0, 0.0], [0.0, 1.0]]), [None])
    res = rl.verify_via_abstraction(a, [1.0, 0.0], 2.0)
    y = net(res.counterexample)
    assert res.status == "falsified" and not y[0] > y[1]  # a tie breaks "class 0 wins" too


# -- cluster-count search (Algorithm 2) -----------------------------------------------------------
def _labelled(seed, hidden=(10, 10), n=200):
    rng = np.random.default_rng(seed)
    net = random_network(rng, 4, list(hidden), 4, scale=2.0)
    X = rng.normal(size=(n, 4))
    y = np.argmax(net(X), axis=1)
    flip = rng.random(n) < 0.1  # 90 % accuracy, several classes
    y = np.where(flip, (y + 1) % 4, y)
    return net, X, y


def test_identify_clusters_keeps_the_accuracy():
    net, X, y = _labelled(5)
    Xv, yv = X[100:], y[100:]
    base = float(np.mean(np.argmax(net(Xv), axis=1) == yv))
    counts = rl.identify_clusters(net, X[:100], y[:100], base - 0.05, X_val=Xv, y_val=yv)
    a = rl.abstract(net, X[:100], counts)
    assert np.mean(np.argmax(a.network(Xv), axis=1) == yv) >= base - 0.05
    assert all(1 <= c <= 10 for c in counts) and sum(counts) < 20


def test_identify_clusters_merges_duplicates_at_full_accuracy():
    rng = np.random.default_rng(6)
    net = _with_duplicate(rng, 3, [6, 6], 3, 0)
    X = rng.normal(size=(60, 3))
    y = np.argmax(net(X), axis=1)
    counts = rl.identify_clusters(net, X, y, 1.0)
    assert counts[0] <= 5
    assert np.mean(np.argmax(rl.abstract(net, X, counts).network(X), axis=1) == y) == 1.0
    assert rl.identify_clusters(net, X, y, 0.0) == (1, 1)


def test_single_output_networks_classify_by_sign():
    rng = np.random.default_rng(9)
    net = random_network(rng, 2, [6], 1)
    X = rng.normal(size=(40, 2))
    y = (net(X)[:, 0] > 0).astype(int)
    counts = rl.identify_clusters(net, X, y, 1.0)
    assert np.mean((rl.abstract(net, X, counts).network(X)[:, 0] > 0) == y) == 1.0
    with pytest.raises(rl.InvalidValueError, match="at least two outputs"):
        rl.verify_via_abstraction(rl.abstract(net, X, counts), X[0], 0.1)


# -- bad inputs -----------------------------------------------------------------------------------
@pytest.fixture
def small():
    rng = np.random.default_rng(7)
    net = random_network(rng, 3, [6, 5], 3)
    X = rng.normal(size=(20, 3))
    return net, X, np.argmax(net(X), axis=1)


def test_bad_cluster_counts(small):
    net, X, _ = small
    with pytest.raises(rl.InvalidValueError, match=r"clusters\[0\] = 7 but hidden layer 0 has 6 neurons; use a count in 1..6"):
        rl.abstract(net, X, [7, 2])
    with pytest.raises(rl.InvalidValueError, match=r"clusters\[1\] = 0"):
        rl.abstract(net, X, [2, 0])
    with pytest.raises(rl.ShapeError, match="clusters has 1 entries but the network has 2 hidden layers"):
        rl.abstract(net, X, [2])
    with pytest.raises(rl.InvalidValueError, match="must be an integer"):
        rl.abstract(net, X, [2.5, 2])


def test_min_accuracy_above_the_original(small):
    net, X, y = small
    y = y.copy()
    y[:5] = (y[:5] + 1) % 3  # 75 % accuracy
    with pytest.raises(rl.InvalidValueError, match="min_accuracy 0.9 is above the original network's accuracy 0.75"):
        rl.identify_clusters(net, X, y, 0.9)
    with pytest.raises(rl.InvalidValueError, match="a fraction, not a percentage"):
        rl.identify_clusters(net, X, y, 95)


def test_inputs_of_the_wrong_width(small):
    net, X, y = small
    with pytest.raises(rl.ShapeError, match="X has rows of width 4 but the network takes 3 inputs"):
        rl.abstract(net, np.ones((5, 4)), [2, 2])
    with pytest.raises(rl.ShapeError, match="width 2"):
        rl.identify_clusters(net, X[:, :2], y, 0.5)
    with pytest.raises(rl.ShapeError, match="one label per input"):
        rl.identify_clusters(net, X, y[:-1], 0.5)
    a = rl.abstract(net, X, [3, 3])
    with pytest.raises(rl.ShapeError):
        rl.verify_via_abstraction(a, np.ones(2), 0.1)
    with pytest.raises(rl.InvalidValueError, match="eps must be"):
        rl.verify_via_abstraction(a, X[0], -1)


def test_networks_it_cannot_abstract():
    tanh = rl.Network([_dense([[1.0]], [0.0], "tanh"), _dense([[1.0]], [0.0], "identity")])
    with pytest.raises(rl.InvalidValueError, match="needs relu hidden layers"):
        rl.abstract(tanh, np.zeros((2, 1)), [1])
    with pytest.raises(rl.InvalidValueError, match="no hidden layer"):
        rl.abstract(rl.Network([_dense([[1.0]], [0.0], "identity")]), np.zeros((2, 1)), [])


# -- command line ---------------------------------------------------------------------------------
@pytest.fixture
def files(tmp_path):
    net, X, y = _labelled(8)
    rl.save(net, tmp_path / "net.npz")
    np.savez(tmp_path / "data.npz", x=X, y=y)
    return net, X, y, tmp_path


def test_cli_abstract_search(capsys, files):
    net, X, y, tmp = files
    out = tmp / "small.onnx"
    code = main(["abstract", str(tmp / "net.npz"), str(tmp / "data.npz"), "--min-accuracy", "0.8",
                 "--out", str(out), "--samples", "100", "--json"])
    stdout, err = capsys.readouterr()
    assert code == 0 and err == ""
    payload = json.loads(stdout)
    small = rl.load(out)
    assert [l.out_dim for l in small.layers[:-1]] == [r["abstract"] for r in payload["layers"]]
    assert payload["abstract_accuracy"] >= 0.8 and payload["reduction_rate"] > 0
    assert np.mean(np.argmax(small(X), axis=1) == y) == pytest.approx(payload["abstract_accuracy"], abs=0.01)
    code = main(["abstract", str(tmp / "net.npz"), str(tmp / "data.npz"), "--clusters", "3,-", "--out", str(tmp / "s.npz")])
    stdout, _ = capsys.readouterr()
    assert code == 0 and "wrote" in stdout and [l.out_dim for l in rl.load(tmp / "s.npz").layers] == [3, 10, 4]


@pytest.mark.parametrize(
    "extra, data, message",
    [
        (["--min-accuracy", "0.99"], "data.npz", "is above the original network's accuracy"),
        (["--clusters", "30,2"], "data.npz", "clusters[0] = 30 but hidden layer 0 has 10 neurons"),
        (["--clusters", "a,b"], "data.npz", "--clusters: expected integers"),
        (["--min-accuracy", "0.5"], "wide.npz", "inputs have 5 values but the network takes 4"),
        (["--min-accuracy", "0.5"], "nolabels.npz", "labels are missing"),
    ],
)
def test_cli_abstract_errors_are_one_line_exit_2(capsys, files, extra, data, message):
    net, X, y, tmp = files
    np.savez(tmp / "wide.npz", x=np.ones((4, 5)), y=np.zeros(4, dtype=int))
    np.savez(tmp / "nolabels.npz", x=X)
    code = main(["abstract", str(tmp / "net.npz"), str(tmp / data), *extra, "--out", str(tmp / "o.onnx")])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("relucid: error:") and message in err
    assert not (tmp / "o.onnx").exists()
