"""The public entry point :func:`preimage`: check the arguments, run the search the method names, wrap the result.

``method="box"`` runs :func:`relucid.preimage.box.box_preimage`; ``"exact"``
and ``"under"`` run :class:`relucid.preimage.forward.ForwardSearch`.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._deprecated import keyword_only
from ..deadline import check_timeout
from ..errors import InvalidValueError
from ..network import Network
from .box import box_preimage
from .forward import ForwardSearch
from .inputs import as_domain, as_output_set, check_exact_layers
from .result import IncompletePreimageWarning, Preimage

__all__ = ["METHODS", "preimage"]

METHODS = ("exact", "under", "box")


@keyword_only("domain", "method")
def preimage(
    net: Network,
    output_set,
    *,
    domain=None,
    method: str = "exact",
    max_pieces: int | None = None,
    timeout: float | None = None,
    reduce: bool = True,
    progress: bool = False,
) -> Preimage:
    """Every input whose output lies in ``output_set``: ``{x ∈ domain : net(x) ∈ Y}``.

    Parameters
    ----------
    net : Network
        relu, leaky_relu and identity layers for ``"exact"`` and ``"under"``;
        ``"box"`` also takes sigmoid and tanh.
    output_set : Polyhedron, PolyUnion or str
        ``Y`` in output space, e.g. ``"y0 <= y1"`` (outputs are ``y0, y1, ...``).
    domain : Polyhedron or str, optional
        Intersect the preimage with this input set (``"0 <= x0 <= 1, ..."``).
        A bounded domain also enables stable-neuron pruning.
    method : {"exact", "under", "box"}
    max_pieces : int, optional
        ``"under"``: how many pieces to return (default 10). ``"exact"``: a
        safety limit; stopping there warns and marks the result an
        under-approximation.
    timeout : float, optional
        Seconds; an exact search that runs out warns and returns what it has
        (``kind="under"``, ``stats.complete=False``).
    reduce : bool
        Remove redundant constraints from every returned piece (LPs; off for
        speed when only membership matters).
    progress : bool
        tqdm bar over returned pieces.

    Returns
    -------
    Preimage
        A PolyUnion. Empty (``len == 0``) for ``"exact"`` is a proof that no
        input in the domain maps into ``Y``.

    Examples
    --------
    >>> import relucid as rl
    >>> net = rl.Network([rl.Dense([[1.0], [-1.0]], [0.0, 0.0], "relu"), rl.Dense([[1.0, 1.0]], [1.0])])
    >>> rl.preimage(net, "y0 <= 0").is_empty()   # |x| + 1 is never <= 0
    True
    >>> pre = rl.preimage(net, "y0 <= 2")         # |x| <= 1
    >>> sorted(pre.contains([[0.5], [-0.9], [1.5]]).tolist())
    [False, True, True]
    """
    if not isinstance(net, Network):
        raise InvalidValueError(f"preimage: net must be a relucid Network; got {type(net).__name__}")
    if method not in METHODS:
        raise InvalidValueError(f"preimage: method must be one of {', '.join(METHODS)}; got {method!r}")
    ys = as_output_set(net, output_set)
    dom = as_domain(net, domain)
    if max_pieces is not None and (
        isinstance(max_pieces, bool) or not isinstance(max_pieces, (int, np.integer)) or max_pieces < 1
    ):
        raise InvalidValueError(f"preimage: max_pieces must be a positive integer; got {max_pieces!r}")
    timeout = check_timeout(timeout, who="preimage")
    if method == "box":
        return box_preimage(net, ys, dom)
    check_exact_layers(net, method)
    if method == "under" and max_pieces is None:
        max_pieces = 10
    search = ForwardSearch(net, ys, dom, max_pieces=max_pieces, timeout=timeout, reduce=reduce, progress=progress)
    pieces, patterns = search.run()
    stats = search.stats
    kind = "exact"
    if method == "under" or not stats.complete:
        kind = "under"
    if method == "exact" and not stats.complete:
        warnings.warn(
            f"preimage: stopped at {search.stopped_by} after {len(pieces)} pieces; the result is an under-approximation",
            IncompletePreimageWarning,
            stacklevel=2,
        )
    return Preimage(tuple(pieces), net.input_dim, method=method, kind=kind, stats=stats, patterns=tuple(patterns),
                    network=net)
