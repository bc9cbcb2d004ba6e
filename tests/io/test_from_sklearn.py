"""from_sklearn: logits that reproduce predict / predict_proba of fitted MLPs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax

import relucid as rl

neural = pytest.importorskip("sklearn.neural_network")
MLPClassifier, MLPRegressor = neural.MLPClassifier, neural.MLPRegressor

RNG = np.random.default_rng(0)
X = RNG.normal(size=(300, 4))


def _fit(model, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: a few iterations are enough here
        return model.fit(X, y)


@pytest.mark.parametrize("activation", ["relu", "identity", "logistic", "tanh"])
def test_multiclass_logits(activation):
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    mlp = _fit(MLPClassifier(hidden_layer_sizes=(8, 5), activation=activation, max_iter=200, random_state=0), y)
    net = rl.from_sklearn(mlp)
    act = {"logistic": "sigmoid"}.get(activation, activation)
    assert [l.activation for l in net.layers] == [act, act, "identity"] and net.output_dim == 3
    logits = net(X)
    assert np.array_equal(mlp.classes_[logits.argmax(axis=1)], mlp.predict(X))
    assert np.max(np.abs(softmax(logits, axis=1) - mlp.predict_proba(X))) <= 1e-9


def test_binary_classifier_has_one_logit():
    y = np.where(X[:, 0] - X[:, 2] > 0, "yes", "no")
    mlp = _fit(MLPClassifier(hidden_layer_sizes=(6,), max_iter=300, random_state=1), y)
    net = rl.from_sklearn(mlp)
    logit = net(X)[:, 0]
    assert net.output_dim == 1
    assert np.array_equal(np.where(logit > 0, mlp.classes_[1], mlp.classes_[0]), mlp.predict(X))
    assert np.max(np.abs(expit(logit) - mlp.predict_proba(X)[:, 1])) <= 1e-9


@pytest.mark.parametrize("n_targets", [1, 3])
def test_regressor_predictions(n_targets):
    Y = X @ RNG.normal(size=(4, n_targets)) + np.sin(X[:, :1])
    target = Y.ravel() if n_targets == 1 else Y
    mlp = _fit(MLPRegressor(hidden_layer_sizes=(10, 10), max_iter=200, random_state=0), target)
    net = rl.from_sklearn(mlp)
    pred = mlp.predict(X).reshape(len(X), -1)
    assert np.max(np.abs(net(X) - pred)) <= 1e-9


def test_not_fitted():
    with pytest.raises(rl.InvalidValueError, match="MLPClassifier is not fitted yet; call fit"):
        rl.from_sklearn(MLPClassifier())


def test_not_an_mlp():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(rl.InvalidValueError, match="got LogisticRegression"):
        rl.from_sklearn(LogisticRegression())
