"""Every linear region of a network inside a bounded domain.

Breadth-first marching over the adjacency graph of full-dimensional
regions: start from the region of the domain's Chebyshev centre, cross each
non-redundant neuron facet, and keep the regions not seen before. The
full-dimensional cells of a hyperplane-like arrangement inside a convex
domain are connected through their facets, so the search finds all of them.
As a guard against degenerate arrangements (see
:mod:`relucid.regions.marching`), the domain is also probed with random
points after the search, and any pattern not yet seen seeds a new search.
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
from ..network import Network
from .marching import is_full_dimensional
from .pattern import activation_bits, neuron_names
from .region import Region, region

logger = logging.getLogger(__name__)


class IncompleteEnumerationWarning(RuntimeWarning):
    """Region enumeration stopped at its timeout or region limit."""


def regions(
    net: Network,
    domain: Polyhedron,
    *,
    max_regions: int | None = None,
    timeout: float | None = None,
    n_probes: int = 2000,
    rng=None,
    progress: bool = False,
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
        Random points of the domain checked after the search (degeneracy guard).
    progress : bool
        Show a tqdm progress bar.

    Yields
    ------
    Region
        Each region intersected with the domain (domain rows appended).
    """
    if domain.dim != net.input_dim:
        raise InvalidValueError(f"regions: domain has dimension {domain.dim}, network takes {net.input_dim} inputs")
    lo, hi = domain.bounding_box()
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise InvalidValueError("regions: the domain must be bounded (give a Box or a bounded Polyhedron)")
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
                    if not is_full_dimensional(reg):
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
