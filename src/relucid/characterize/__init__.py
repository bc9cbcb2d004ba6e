"""Input characterisation: convex input regions on which an output property provably holds.

Dingliwal, Pareek & Arora, "Finding input characterizations for output
properties in ReLU neural networks", after Gopinath et al., "Finding
invariants in deep neural networks". One module per step:

* :mod:`.properties` — the property as a conjunction of output half-spaces;
* :mod:`.minimal` — ``find_minimal``, the greedy pattern minimisation;
* :mod:`.interpolant` — the ε-relaxed interpolant as a verifier query;
* :mod:`.methods` — the baseline and relaxed methods;
* :mod:`.characterization` — the result: membership, support, boxes;
* :mod:`.boxes` — maximum-volume and grown under-approximation boxes.
"""

from .characterization import Characterization
from .methods import convex_region
from .minimal import MinimalPattern, find_minimal
from .properties import class_property
from .boxes import ua_box

__all__ = ["Characterization", "MinimalPattern", "class_property", "convex_region", "find_minimal", "ua_box"]
