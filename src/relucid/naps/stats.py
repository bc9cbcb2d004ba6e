"""How well NAPs separate labels on data: the paper's Table 1, overlap ratios, NAP sizes.

:func:`nap_table` counts, for each label ``ℓ`` and each δ, the inputs of
label ``ℓ`` that follow ``NAP_ℓ`` (recall) and the inputs of *other* labels
that follow it too (what the paper writes ``ℓ̄``). One forward pass over the
data serves every NAP of every δ (:func:`~.nap.follow_matrix`).

:func:`overlap_matrix` is the paper's Fig. 6 / Table 6 ratio
``|N_a ∩ N_b| / |N_b|`` with ``N = A ∪ D`` (neurons, whatever their phase;
the phase conflicts that make two NAPs trivially non-ambiguous are
:meth:`NAP.conflicts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidValueError
from ..network import Network
from .mining import _check_labels_array
from .nap import NAP, follow_matrix
from .stream import CHUNK_SIZE, as_batch

__all__ = ["NAPTable", "NAPTableRow", "nap_sizes", "nap_table", "overlap_matrix"]


@dataclass(frozen=True)
class NAPTableRow:
    """One δ of :class:`NAPTable`.

    Attributes
    ----------
    delta : float or None
    same : dict label -> int
        Inputs of the label that follow its NAP.
    other : dict label -> int
        Inputs of other labels that follow it.
    sizes : dict label -> (int, int)
        ``(|A|, |D|)``.
    """

    delta: float | None
    same: dict
    other: dict
    sizes: dict


@dataclass(frozen=True)
class NAPTable:
    """Table-1 statistics: rows δ, two columns per label.

    Attributes
    ----------
    labels : tuple of int
    counts : dict label -> int
        Inputs of each label in the data.
    n_inputs : int
    rows : tuple of NAPTableRow
    """

    labels: tuple
    counts: dict
    n_inputs: int
    rows: tuple = field(default_factory=tuple)

    def recall(self, row: int = 0) -> dict:
        """Fraction of each label's inputs that follow its NAP (NaN for a label without inputs)."""
        r = self.rows[row]
        return {l: (r.same[l] / self.counts[l] if self.counts[l] else float("nan")) for l in self.labels}

    def other_rate(self, row: int = 0) -> dict:
        """Fraction of the *other* labels' inputs that follow each label's NAP."""
        r = self.rows[row]
        return {l: (r.other[l] / (self.n_inputs - self.counts[l]) if self.n_inputs > self.counts[l] else float("nan"))
                for l in self.labels}

    def to_dict(self) -> dict:
        return {
            "labels": list(self.labels),
            "counts": {str(l): self.counts[l] for l in self.labels},
            "n_inputs": self.n_inputs,
            "rows": [
                {
                    "delta": r.delta,
                    "same": {str(l): r.same[l] for l in self.labels},
                    "other": {str(l): r.other[l] for l in self.labels},
                    "active": {str(l): r.sizes[l][0] for l in self.labels},
                    "inactive": {str(l): r.sizes[l][1] for l in self.labels},
                }
                for r in self.rows
            ],
        }

    def to_markdown(self, *, percent: bool = True) -> str:
        """The paper's Table 1: one row per δ; per label ``ℓ`` (same-label followers) and ``ℓ̄`` (others).

        Cells are counts, with the percentage of the label's inputs (``ℓ``)
        or of the other labels' inputs (``ℓ̄``) when ``percent``.
        """
        head = ["δ"]
        for l in self.labels:
            head += [f"{l} ({self.counts[l]})", f"{l}̄"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for i, r in enumerate(self.rows):
            rec, oth = self.recall(i), self.other_rate(i)
            cells = [_delta(r.delta)]
            for l in self.labels:
                if percent:
                    cells += [f"{r.same[l]} ({_pct(rec[l])})", f"{r.other[l]} ({_pct(oth[l])})"]
                else:
                    cells += [str(r.same[l]), str(r.other[l])]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def sizes_markdown(self) -> str:
        """``|A| / |D|`` per δ and label."""
        head = ["δ"] + [str(l) for l in self.labels]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in self.rows:
            lines.append("| " + " | ".join([_delta(r.delta)] + [f"{r.sizes[l][0]} / {r.sizes[l][1]}" for l in self.labels]) + " |")
        return "\n".join(lines)

    def text(self) -> str:
        """Plain fixed-width form of :meth:`to_markdown` (for the terminal)."""
        w = 13
        head = "delta ".ljust(7) + "".join(f"{l} ({self.counts[l]})".rjust(w) + f"not {l}".rjust(w) for l in self.labels)
        out = [head]
        for i, r in enumerate(self.rows):
            rec, oth = self.recall(i), self.other_rate(i)
            row = _delta(r.delta).ljust(7)
            for l in self.labels:
                row += f"{r.same[l]} {_pct(rec[l])}".rjust(w) + f"{r.other[l]} {_pct(oth[l])}".rjust(w)
            out.append(row)
        return "\n".join(out)


def nap_table(net: Network, naps, X, y, *, scale: float = 1.0, chunk_size: int = CHUNK_SIZE,
              device: str | None = None) -> NAPTable:
    """Followers of each NAP among inputs of its own label and of the other labels.

    Parameters
    ----------
    net : Network
    naps : dict label -> NAP, or a sequence of such dicts
        One table row per dict (typically one per δ, e.g.
        ``[mine_naps(net, X, y, d) for d in (1.0, 0.99, 0.95, 0.9)]``).
    X : array (n, input_dim)
        Evaluation data (the paper uses the test set).
    y : int array (n,)
    scale, chunk_size, device
        As in :func:`~.mining.count_activations`.

    Returns
    -------
    NAPTable

    Notes
    -----
    A label of the NAPs that has no inputs in ``X`` gets count 0 and a
    recall of NaN (shown "n/a"), not an error.
    """
    rows_in = [naps] if isinstance(naps, dict) else list(naps)
    if not rows_in:
        raise InvalidValueError("nap_table: no NAPs given")
    for r in rows_in:
        if not isinstance(r, dict) or not all(isinstance(v, NAP) for v in r.values()):
            raise InvalidValueError("nap_table: expects {label: NAP} dicts (as mine_naps returns), or a list of them")
    labels = tuple(sorted({int(l) for r in rows_in for l in r}))
    _, n, _ = as_batch(X, net.input_dim, what="nap_table: data")
    y = _check_labels_array(y, n)
    flat = [(i, l, r[l]) for i, r in enumerate(rows_in) for l in sorted(r)]
    F = follow_matrix(net, [nap for _, _, nap in flat], X, scale=scale, chunk_size=chunk_size, device=device)
    counts = {l: int((y == l).sum()) for l in labels}
    rows = []
    for i, r in enumerate(rows_in):
        same, other, sizes = {}, {}, {}
        for col, (ri, l, nap) in enumerate(flat):
            if ri != i:
                continue
            mine = y == l
            same[l] = int((F[:, col] & mine).sum())
            other[l] = int((F[:, col] & ~mine).sum())
            sizes[l] = (len(nap.active), len(nap.inactive))
        for l in labels:  # a label this row has no NAP for
            same.setdefault(l, 0)
            other.setdefault(l, 0)
            sizes.setdefault(l, (0, 0))
        deltas = {nap.delta for nap in r.values()}
        rows.append(NAPTableRow(deltas.pop() if len(deltas) == 1 else None, same, other, sizes))
    return NAPTable(labels, counts, n, tuple(rows))


def overlap_matrix(naps: dict) -> tuple[tuple, np.ndarray]:
    """``(labels, M)`` with ``M[a, b] = (|A_a ∩ A_b| + |D_a ∩ D_b|) / |N_b|``, ``N = A ∪ D`` (NaN when
    ``N_b`` is empty): the share of NAP_b's neurons that NAP_a fixes to the same phase.

    Column ``b`` is the reference label (the paper's Fig. 6 reading); the
    matrix is not symmetric. Same-phase is the paper's ratio: it reproduces
    Table 6 on mnist-net_256x4 within 0.002 for every δ ≤ 0.99 (within 0.006
    at δ = 1); counting shared neurons whatever their phase (relucid before
    2026-12-08) was off by up to 0.097 (``benchmarks/results/paper_naps.md``).
    """
    if not isinstance(naps, dict) or not all(isinstance(v, NAP) for v in naps.values()):
        raise InvalidValueError("overlap_matrix: expects {label: NAP}")
    labels = tuple(sorted(naps))
    M = np.full((len(labels), len(labels)), np.nan)
    for bi, b in enumerate(labels):
        Nb = naps[b].neurons
        if not Nb:
            continue
        for ai, a in enumerate(labels):
            M[ai, bi] = (len(naps[a].active & naps[b].active) + len(naps[a].inactive & naps[b].inactive)) / len(Nb)
    return labels, M


def nap_sizes(naps: dict) -> dict:
    """``{label: (|A|, |D|)}``."""
    return {l: (len(n.active), len(n.inactive)) for l, n in sorted(naps.items())}


def _pct(v: float) -> str:
    return "n/a" if not np.isfinite(v) else f"{100 * v:.1f}%"


def _delta(d) -> str:
    return "mixed" if d is None else f"{d:g}"
