"""Every linear region of a network inside a bounded domain.

Two methods, chosen by ``method``:

- ``"planar"`` (the default, ``"auto"``, for networks with two inputs): the
  planar subdivision of :mod:`relucid.regions.planar` computes every region of
  the domain polygon without a linear program, and each is yielded as a
  :class:`~relucid.regions.region.LazyRegion`: a ``Region`` that holds only
  its network, its pattern's bits (a row of the subdivision's) and the
  domain, and computes its pattern, polytope, affine map and facets on first
  use, with the same values as ``region(net, pattern, domain)``. Decision:
  ``rl.regions`` keeps its contract (an iterator of ``Region`` objects) and
  keeps pace with the subdivision itself: building a full Region per face
  (rows, polytope, a frozenset pattern) cost 45-200x the subdivision, paid even
  by callers that only count regions or read a few. Callers that want all
  polygons or affine maps at once are still better served by
  :func:`~relucid.regions.planar.planar_regions` (vectorised over faces).
- ``"march"`` (the default for every other input dimension): breadth-first
  marching over the adjacency graph of full-dimensional regions: start from
  the region of the domain's Chebyshev centre, cross each non-redundant
  neuron facet, and keep the regions not seen before. The full-dimensional
  cells of a hyperplane-like arrangement inside a convex domain are connected
  through their facets, so the search finds all of them. As a guard against
  degenerate arrangements (see :mod:`relucid.regions.marching`), the domain
  is also probed with random points after the search, and any pattern not yet
  seen seeds a new search.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections import deque
from typing import Iterator

import numpy as np
from tqdm.auto import tqdm

from ..errors import InvalidValueError
from ..geometry import Polyhedron
from ..geometry.domain import as_domain
from ..network import Network, check_piecewise_linear
from .incomplete import IncompleteEnumerationWarning
from .marching import is_realised
from .pattern import activation_bits, neuron_names
from .planar import planar_regions
from .region import LazyRegion, Region, region

__all__ = ["IncompleteEnumerationWarning", "regions"]

logger = logging.getLogger(__name__)


def regions(
    net: Network,
    domain: Polyhedron,
    *,
    max_regions: int | None = None,
    timeout: float | None = None,
    n_probes: int = 2000,
    rng=None,
    progress: bool = False,
    method: str = "auto",
) -> Iterator[Region]:
    """Iterate over every full-dimensional linear region meeting a bounded domain.

    Parameters
    ----------
    net : Network
        relu / leaky_relu / identity layers only.
    domain : Polyhedron
        Bounded and full-dimensional, of dimension ``net.input_dim``.
    max_regions, timeout : optional
        Stop after this many regions or seconds; stopping early issues an
        :class:`IncompleteEnumerationWarning` naming how many were found.
    n_probes : int
        Random points of the domain checked after the search (degeneracy
        guard; marching only).
    progress : bool
        Show a tqdm progress bar.
    method : {"auto", "march", "planar"}
        ``"planar"``: the planar subdivision (2-input networks only); the
        whole subdivision is computed first, then ``max_regions`` limits what
        is yielded; a ``timeout`` hit during the subdivision yields nothing
        (with the warning). ``"march"``: breadth-first marching with one LP
        per region. ``"auto"``: planar for 2 inputs, marching otherwise.

    Yields
    ------
    Region
        Each region intersected with the domain (domain rows appended). For
        the planar method these are :class:`~relucid.regions.region.LazyRegion`
        objects (a Region subclass): pattern, polytope, affine map and facets
        are computed on first use, so enumerating and counting cost about what
        the subdivision costs.
    """
    if method not in ("auto", "march", "planar"):
        raise InvalidValueError(f"regions: method must be 'auto', 'march' or 'planar'; got {method!r}")
    check_piecewise_linear(net, who="regions", purpose="a linear region")
    domain = as_domain(domain, net.input_dim, who="regions", required=True, bounded=True)
    if method == "planar" and net.input_dim != 2:
        raise InvalidValueError(
            f"regions: method='planar' needs a network with 2 inputs; this one takes {net.input_dim} "
            "(use relucid.regions.planar.planar_regions(net, plane=(x0, x1, x2)) for a 2-D slice)"
        )
    if method == "planar" or (method == "auto" and net.input_dim == 2):
        yield from _planar(net, domain, max_regions=max_regions, timeout=timeout, progress=progress)
    else:
        yield from _march(net, domain, max_regions=max_regions, timeout=timeout, n_probes=n_probes, rng=rng,
                          progress=progress)


def _planar(net: Network, domain: Polyhedron, *, max_regions, timeout, progress) -> Iterator[Region]:
    """The regions of a 2-input network from its planar subdivision (no LP)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IncompleteEnumerationWarning)
        sub = planar_regions(net, domain, timeout=timeout, progress=progress)
    if not sub.complete:
        _warn_incomplete(0, f"timeout={timeout:g} s (the planar subdivision was not finished)")
        return
    rows = sub.bits if max_regions is None else sub.bits[:max_regions]
    for bits in rows:  # one small object per face; everything else on first use
        yield LazyRegion(net, bits, domain)
    if len(rows) < len(sub):
        _warn_incomplete(len(rows), f"max_regions={max_regions}")


def _march(net, domain, *, max_regions, timeout, n_probes, rng, progress) -> Iterator[Region]:
    """Breadth-first marching over the region adjacency graph (one LP per region and facet)."""
    ball = domain.chebyshev_center()
    if ball.center is None:
        return
    rng = np.random.default_rng(rng)
    start = time.monotonic()
    seen: set[bytes] = set()
    found = 0
    bar = tqdm(desc="regions", unit="region", disable=not progress)
    seeds = deque([np.asarray(ball.center)])
    probes = domain.sample(n_probes, rng=rng) if n_probes else np.zeros((0, net.input_dim))
    probe_keys = [_key(b) for b in activation_bits(net, probes)] if len(probes) else []
    column = {name: i for i, name in enumerate(neuron_names(net))}
    try:
        while True:
            while seeds:
                first = region(net, seeds.popleft(), domain=domain)
                queue = deque([first])
                key = _key(first.on_bits)
                if key in seen:
                    continue
                seen.add(key)
                while queue:
                    if max_regions is not None and found >= max_regions:
                        _warn_incomplete(found, f"max_regions={max_regions}")
                        return
                    if timeout is not None and time.monotonic() - start > timeout:
                        _warn_incomplete(found, f"timeout={timeout:g} s")
                        return
                    reg = queue.popleft()
                    if not is_realised(reg):
                        continue
                    found += 1
                    bar.update(1)
                    yield reg
                    for neuron, pat in reg.neighbour_patterns():
                        flipped = reg.on_bits.copy()
                        flipped[column[neuron]] ^= True
                        k = _key(flipped)
                        if k in seen:
                            continue
                        seen.add(k)
                        queue.append(region(net, pat, domain=domain))
            missing = [i for i, k in enumerate(probe_keys) if k not in seen]
            if not missing:
                return
            logger.info("regions: %d probe points fell in regions the marching missed; reseeding", len(missing))
            seeds.append(probes[missing[0]])
            probe_keys = [probe_keys[i] for i in missing[1:]]
            probes = probes[missing[1:]]
    finally:
        bar.close()


def _key(on_bits: np.ndarray) -> bytes:
    """Hashable key of a complete pattern given by its on flags."""
    return np.packbits(on_bits).tobytes()


def _warn_incomplete(found: int, why: str) -> None:
    warnings.warn(
        f"regions: stopped at {why} after {found} regions; the enumeration is incomplete",
        IncompleteEnumerationWarning,
        stacklevel=3,
    )
