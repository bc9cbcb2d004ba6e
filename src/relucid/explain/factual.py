"""Why: the set of inputs of ``x``'s region on which its class wins (Woods et al., Sec. II-A)."""

from __future__ import annotations

import numpy as np

from .._deprecated import keyword_only
from ..geometry import Polyhedron
from ..network import Network
from ..regions.region import region
from .explanation import Explanation
from .system import check_inputs, ties_at

__all__ = ["why"]


@keyword_only("feature_names", "domain")
def why(net: Network, x, *, feature_names=None, domain: Polyhedron | None = None, class_names=None,
        n_jobs: int | None = None) -> Explanation:
    """Why does the network give ``x`` its class? The set of inputs of ``x``'s region with that class.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers; at least two outputs.
    x : array of shape (input_dim,)
    feature_names : sequence of str, optional
        Names used in the text (default ``x0, x1, ...``).
    domain : Polyhedron, optional
        Restricts the region (e.g. ``rl.Box(0, 1, dim=784)`` for images);
        ``x`` must lie in it.
    class_names : sequence of str, optional
    n_jobs : int, optional
        Processes for the feature-bound LPs (:mod:`relucid.parallel`).

    Returns
    -------
    Explanation
        Built at once (one forward pass, the region's rows); ``polyhedron``,
        ``constraints``, ``bounds``, ``vertices`` and ``text`` are computed on
        first access.

    Raises
    ------
    ShapeError
        ``x`` (or ``feature_names``, ``class_names``, ``domain``) of the wrong size.
    InvalidValueError
        A network that is not piecewise linear or has one output; ``x`` outside the domain.

    Examples
    --------
    >>> import numpy as np, relucid as rl
    >>> net = rl.Network([rl.Dense(np.eye(2), [0.0, 0.0], "relu"),
    ...                   rl.Dense([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])])
    >>> e = why(net, [2.0, 1.0], feature_names=["a", "b"], domain=rl.Box([-3, -3], [3, 3]))
    >>> [c.render(e.feature_names) for c in e.constraints]
    ['b >= 0', 'a <= 3', '-a + b <= 0']
    >>> e.bounds
    (array([0., 0.]), array([3., 3.]))
    """
    x, names, class_names, domain = check_inputs("why", net, x, feature_names, class_names, domain)
    y = net(x)
    c = int(np.argmax(y))
    reg = region(net, x, domain=domain)
    return Explanation("why", net, x, y, c, c, ties_at(y, c), reg, reg, domain, names, class_names, n_jobs=n_jobs)
