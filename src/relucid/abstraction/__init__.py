"""Neural network abstraction by clustering similar neurons (Ashok et al., DeepAbstract, ATVA 2020).

* :func:`abstract` — Algorithm 1: k-means on activation vectors, merge each
  cluster into its representative (:mod:`.merge`).
* :func:`identify_clusters` — Algorithm 2: per-layer binary search of the
  cluster counts that keep an accuracy (:mod:`.search`).
* :func:`error_bounds`, :func:`layer_error_bound`,
  :func:`perturbation_error_bound` — Theorems 1 and 2 (:mod:`.bounds`).
* :func:`lift_paper_unsound` — Theorem 3 as stated, unsound (``lift_paper``
  is its deprecated old name); :func:`lift_sound` — a sound lifting;
  :func:`verify_via_abstraction` (:mod:`.lifting`, :mod:`.sound`; the
  margins both use in :mod:`.margins`).
"""

from .bounds import abstraction_error, error_bounds, layer_error_bound, perturbation_error_bound
from .lifting import LiftResult, lift_paper, lift_paper_unsound, verify_via_abstraction
from .margins import robust_from_bounds, robustness_margins
from .merge import Abstraction, abstract
from .search import identify_clusters
from .sound import SoundLift, lift_sound

__all__ = [
    "Abstraction",
    "LiftResult",
    "SoundLift",
    "abstract",
    "abstraction_error",
    "error_bounds",
    "identify_clusters",
    "layer_error_bound",
    "lift_paper",
    "lift_paper_unsound",
    "lift_sound",
    "perturbation_error_bound",
    "robust_from_bounds",
    "robustness_margins",
    "verify_via_abstraction",
]
