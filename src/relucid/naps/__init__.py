"""Neural activation patterns as specifications (Geng et al., ICML 2023).

* :mod:`.nap` — the :class:`NAP` value ``(A, D)``, following, JSON files;
* :mod:`.stream` — chunked float64 forward passes (numpy, or torch on a device);
* :mod:`.mining` — δ-relaxed mining from exact per-label activation counts (Algorithm 1);
* :mod:`.stats` — the paper's Table 1 (followers per label and δ), overlap ratios, sizes;
* :mod:`.plot` — overlap heatmaps (Fig. 6);
* :mod:`.search` — following-NAP search (random + gradient-guided), for
  counterexamples and for cross-checking proofs;
* :mod:`.verification` — NAP robustness, NAP-augmented robustness and
  non-ambiguity as verification queries (Sec. 3.2), answered as
  :class:`~.verdict.NAPVerdict`; :mod:`.engine` runs the verification
  engine's stages for them; :mod:`.crosscheck` re-checks verdicts
  independently.
"""

from .mining import ActivationCounts, count_activations, hidden_layers, mine_naps
from .nap import NAP, follow_matrix, load_naps, save_naps
from .plot import plot_overlap
from .search import SearchResult, nap_search, strictly_follows
from .stats import NAPTable, NAPTableRow, nap_sizes, nap_table, overlap_matrix
from .crosscheck import CrossCheck, cross_check
from .verdict import NAPVerdict, verdict_cell
from .verification import nap_augmented_robustness, nap_robustness, non_ambiguity, non_ambiguity_all

__all__ = [
    "ActivationCounts",
    "CrossCheck",
    "NAP",
    "NAPTable",
    "NAPTableRow",
    "NAPVerdict",
    "SearchResult",
    "count_activations",
    "cross_check",
    "follow_matrix",
    "hidden_layers",
    "load_naps",
    "mine_naps",
    "nap_augmented_robustness",
    "nap_robustness",
    "nap_search",
    "nap_sizes",
    "nap_table",
    "non_ambiguity",
    "non_ambiguity_all",
    "overlap_matrix",
    "plot_overlap",
    "save_naps",
    "strictly_follows",
    "verdict_cell",
]
