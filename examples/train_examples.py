"""Train the shipped examples in src/relucid/examples/ (outputs are committed; rerun to reproduce).

Every example is a network (relucid's pickle-free ``.npz``) and its training
data (``.npz`` with ``X``, ``y``, ``feature_names``, ``class_names``, ``lo``,
``hi``; ``class_names`` is empty for a regression). Deterministic: fixed seeds,
scikit-learn's MLPs (``pip install -e ".[dev]"``).

=========  ==========================================================================
moons      2 inputs, 3 classes (two half-moons and a blob, 600 points); 2-16-16-3 ReLU
wave       1 input, regression of a noisy wave (200 points); 1-12-12-1 ReLU
iris       4 named features, 3 species (Fisher's iris, 150 rows); 4-8-8-3 ReLU
xor        2 inputs, XOR labels (400 points); 2-5-1 sigmoid (interval contraction)
chevron    2 inputs, above a chevron or not (300 points); 2-2-2-1 ReLU: every layer is
           at most 2-D, so the preimage can be drawn layer by layer
=========  ==========================================================================

    python examples/train_examples.py                 # all, into src/relucid/examples/
    python examples/train_examples.py wave iris       # some
    python examples/train_examples.py --out /tmp/ex   # elsewhere (to compare with the shipped files)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris, make_moons
from sklearn.neural_network import MLPClassifier, MLPRegressor

import relucid as rl

OUT = Path(__file__).resolve().parents[1] / "src" / "relucid" / "examples"


def _save(name: str, net, X, y, feature_names, class_names, lo, hi) -> None:
    rl.save(net, OUT / f"{name}_net.npz")
    np.savez(
        OUT / f"{name}_data.npz",
        X=np.asarray(X, dtype=np.float64),
        y=np.asarray(y),
        feature_names=np.array(feature_names),
        class_names=np.array(class_names, dtype=str),
        lo=np.asarray(lo, dtype=np.float64),
        hi=np.asarray(hi, dtype=np.float64),
    )


def _accuracy(net, X, y) -> float:
    out = net(X)
    pred = np.argmax(out, axis=1) if out.shape[1] > 1 else (out[:, 0] > 0).astype(int)
    return float(np.mean(pred == y))


def moons() -> None:
    """Two interleaved half-moons and a Gaussian blob; a 2-16-16-3 classifier (a few hundred regions)."""
    rng = np.random.default_rng(0)
    Xm, ym = make_moons(n_samples=400, noise=0.12, random_state=0)
    Xb = rng.normal(loc=[2.0, 1.4], scale=0.25, size=(200, 2))
    X = np.vstack([Xm, Xb])
    y = np.concatenate([ym, np.full(200, 2)])
    mlp = MLPClassifier(hidden_layer_sizes=(16, 16), activation="relu", max_iter=3000, random_state=0, tol=1e-6)
    mlp.fit(X, y)
    net = rl.from_sklearn(mlp)
    _save("moons", net, X, y, ["x0", "x1"], ["upper moon", "lower moon", "blob"], [-1.5, -1.0], [3.0, 2.5])
    print(f"moons: {net!r}, training accuracy {_accuracy(net, X, y):.3f}")


def wave() -> None:
    """A noisy wave y = sin(2x) + 0.3 x on [-3, 3]; a 1-12-12-1 ReLU regressor."""
    rng = np.random.default_rng(1)
    X = np.sort(rng.uniform(-3.0, 3.0, size=(200, 1)), axis=0)
    y = np.sin(2.0 * X[:, 0]) + 0.3 * X[:, 0] + rng.normal(scale=0.08, size=200)
    mlp = MLPRegressor(hidden_layer_sizes=(12, 12), activation="relu", max_iter=5000, random_state=1, tol=1e-7,
                       learning_rate_init=0.01)
    mlp.fit(X, y)
    net = rl.from_sklearn(mlp)
    rmse = float(np.sqrt(np.mean((net(X)[:, 0] - y) ** 2)))
    _save("wave", net, X, y, ["x0"], [], [-3.0], [3.0])
    print(f"wave: {net!r}, training RMSE {rmse:.3f}")


def iris() -> None:
    """Fisher's iris (bundled with scikit-learn): 4 named features in cm, 3 species; a 4-8-8-3 classifier."""
    d = load_iris()
    X, y = d.data.astype(np.float64), d.target.astype(np.int64)
    mlp = MLPClassifier(hidden_layer_sizes=(8, 8), activation="relu", max_iter=5000, random_state=0, tol=1e-6)
    mlp.fit(X, y)
    net = rl.from_sklearn(mlp)
    names = [n.replace(" (cm)", "").replace(" ", "_") for n in d.feature_names]  # sepal_length, ...
    _save("iris", net, X, y, names, list(d.target_names), X.min(axis=0), X.max(axis=0))
    print(f"iris: {net!r}, training accuracy {_accuracy(net, X, y):.3f}")


def xor() -> None:
    """XOR of two noisy bits in [0, 1]^2; a 2-5-1 sigmoid classifier (one logit: class 1 when > 0)."""
    rng = np.random.default_rng(2)
    corners = rng.integers(0, 2, size=(400, 2))
    X = np.clip(corners + rng.normal(scale=0.15, size=(400, 2)), 0.0, 1.0)
    y = (corners[:, 0] ^ corners[:, 1]).astype(np.int64)
    mlp = MLPClassifier(hidden_layer_sizes=(5,), activation="logistic", max_iter=5000, random_state=3, tol=1e-7,
                        learning_rate_init=0.02)
    mlp.fit(X, y)
    net = rl.from_sklearn(mlp)
    _save("xor", net, X, y, ["x0", "x1"], ["same", "different"], [0.0, 0.0], [1.0, 1.0])
    print(f"xor: {net!r}, training accuracy {_accuracy(net, X, y):.3f}")


def chevron() -> None:
    """Points above the chevron x1 = |x0 - 0.5| + 0.25 in [0, 1]^2; a 2-2-2-1 ReLU classifier (one logit)."""
    rng = np.random.default_rng(4)
    X = rng.uniform(0.0, 1.0, size=(300, 2))
    y = (X[:, 1] > np.abs(X[:, 0] - 0.5) + 0.25).astype(np.int64)
    # width 2 trains badly from most starts (dead neurons); seed 7 reaches the chevron
    mlp = MLPClassifier(hidden_layer_sizes=(2, 2), activation="relu", max_iter=5000, random_state=7, tol=1e-7,
                        learning_rate_init=0.01)
    mlp.fit(X, y)
    net = rl.from_sklearn(mlp)
    _save("chevron", net, X, y, ["x0", "x1"], ["below", "above"], [0.0, 0.0], [1.0, 1.0])
    print(f"chevron: {net!r}, training accuracy {_accuracy(net, X, y):.3f}")


EXAMPLES = {"moons": moons, "wave": wave, "iris": iris, "xor": xor, "chevron": chevron}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the shipped examples (fixed seeds).")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"examples to make: {', '.join(EXAMPLES)} (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default: {OUT})")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in EXAMPLES]
    if unknown:
        parser.error(f"unknown example(s) {', '.join(unknown)}; known: {', '.join(EXAMPLES)}")
    OUT = args.out
    OUT.mkdir(parents=True, exist_ok=True)
    for n in args.names or list(EXAMPLES):
        EXAMPLES[n]()
