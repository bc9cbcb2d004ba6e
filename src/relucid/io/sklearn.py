"""Conversion of scikit-learn multi-layer perceptrons.

scikit-learn is an optional dependency; it is imported only when
:func:`from_sklearn` is called.
"""

from __future__ import annotations

from ..errors import InvalidValueError, RelucidError, UnsupportedOperatorError
from ..network import Dense, Network

__all__ = ["from_sklearn"]

#: scikit-learn's hidden-layer activations and their relucid names.
_ACTIVATIONS = {"relu": "relu", "identity": "identity", "logistic": "sigmoid", "tanh": "tanh"}


def from_sklearn(mlp) -> Network:
    """Convert a fitted ``MLPClassifier`` or ``MLPRegressor`` into a Network.

    Parameters
    ----------
    mlp : sklearn.neural_network.MLPClassifier or MLPRegressor
        Fitted, with ``activation`` one of relu, identity, logistic (becomes
        sigmoid) or tanh.

    Returns
    -------
    Network
        Hidden layers with the MLP's activation; the output layer is affine
        (identity activation). For a regressor the outputs are the
        predictions. For a classifier they are the *logits*: the softmax
        (multi-class) or logistic (binary, multi-label) output function is
        omitted, since it does not change which class wins. A binary
        classifier has one output logit; it predicts ``classes_[1]`` when
        the logit is > 0.

    Raises
    ------
    ImportError
        scikit-learn is not installed.
    InvalidValueError
        Not an MLP, or not fitted.
    UnsupportedOperatorError
        An activation relucid does not know.

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> from sklearn.neural_network import MLPClassifier
    >>> X = np.random.default_rng(0).normal(size=(40, 2)); y = (X[:, 0] > X[:, 1]).astype(int)
    >>> mlp = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2000, random_state=0).fit(X, y)
    >>> net = rl.from_sklearn(mlp)
    >>> bool(np.all((net(X)[:, 0] > 0) == (mlp.predict(X) == 1)))
    True
    """
    try:
        from sklearn.exceptions import NotFittedError
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        from sklearn.utils.validation import check_is_fitted
    except ImportError:
        raise ImportError("from_sklearn needs scikit-learn: pip install 'relucid[sklearn]'") from None
    if not isinstance(mlp, (MLPClassifier, MLPRegressor)):
        raise InvalidValueError(
            f"from_sklearn converts sklearn.neural_network.MLPClassifier or MLPRegressor; got {type(mlp).__name__}"
        )
    try:
        check_is_fitted(mlp, "coefs_")
    except NotFittedError:
        raise InvalidValueError(
            f"from_sklearn: this {type(mlp).__name__} is not fitted yet; call fit(X, y) first"
        ) from None
    hidden = _ACTIVATIONS.get(mlp.activation)
    if hidden is None:
        raise UnsupportedOperatorError(
            f"from_sklearn: activation {mlp.activation!r} is not supported; relucid knows {', '.join(_ACTIVATIONS)}"
        )
    n = len(mlp.coefs_)
    layers = []
    for i, (W, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        try:
            layers.append(Dense(W.T, b, hidden if i < n - 1 else "identity", name=f"{type(mlp).__name__} layer {i}"))
        except RelucidError as exc:
            raise type(exc)(f"from_sklearn: {exc}") from None
    return Network(layers)
