"""Make the shipped examples in src/relucid/examples/ (run once; outputs are committed).

moons: a 2-D, 3-class data set (two interleaved half-moons and a Gaussian blob,
600 points) and a 2-16-16-3 ReLU classifier trained on it with scikit-learn.
Deterministic: fixed seeds.

    python scripts/make_examples.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import make_moons
from sklearn.neural_network import MLPClassifier

import relucid as rl

OUT = Path(__file__).resolve().parents[1] / "src" / "relucid" / "examples"


def moons() -> None:
    rng = np.random.default_rng(0)
    Xm, ym = make_moons(n_samples=400, noise=0.12, random_state=0)
    Xb = rng.normal(loc=[2.0, 1.4], scale=0.25, size=(200, 2))
    X = np.vstack([Xm, Xb])
    y = np.concatenate([ym, np.full(200, 2)])
    mlp = MLPClassifier(hidden_layer_sizes=(16, 16), activation="relu", max_iter=3000, random_state=0, tol=1e-6)
    mlp.fit(X, y)
    net = rl.from_sklearn(mlp)
    acc = float(np.mean(np.argmax(net(X), axis=1) == y))
    rl.save(net, OUT / "moons_net.npz")
    np.savez(
        OUT / "moons_data.npz",
        X=X,
        y=y,
        feature_names=np.array(["x0", "x1"]),
        class_names=np.array(["upper moon", "lower moon", "blob"]),
        lo=np.array([-1.5, -1.0]),
        hi=np.array([3.0, 2.5]),
    )
    print(f"moons: {net!r}, training accuracy {acc:.3f}")


if __name__ == "__main__":
    moons()
