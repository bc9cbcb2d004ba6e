"""The answer to one NAP query (:class:`NAPVerdict`) and its table cell."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CELLS", "NAPVerdict", "verdict_cell"]

#: Table cell of each status (the paper's notation).
CELLS = {"proved": "Y", "falsified": "N", "unknown": "T/o"}


@dataclass(frozen=True, eq=False)
class NAPVerdict:
    """The answer to one NAP query.

    Attributes
    ----------
    kind : {"robustness", "augmented", "non-ambiguity"}
    status : {"proved", "falsified", "unknown"}
        robustness/augmented: "proved" = no input following the NAP (in the
        box) has ``y_j >= y_label``. non-ambiguity: "proved" = no input
        follows both NAPs.
    label : int
        The NAP's label (non-ambiguity: the first NAP's).
    other : int
        The competitor ``j`` (non-ambiguity: the second NAP's label).
    eps : float or None
        Radius of the L∞ ball (augmented only).
    time : float
        Seconds: own search and MILP time plus an equal share of the steps
        shared with the NAP's other rows.
    method : str
        What decided it: "trivial", "search", "bounds", "milp", "relu-bab"
        (branch and bound over ReLU phases), "verify", "marabou".
    counterexample : ndarray or None
        robustness/augmented: an input following the NAP strictly with
        ``y_j >= y_label``; non-ambiguity: an input following both NAPs.
    output : ndarray or None
        ``net(counterexample)``.
    confirmed : bool or None
        Whether the counterexample passed the float64 re-check here (always
        True for a "falsified" verdict; None without a counterexample).
    note : str or None
    engine : str
    conflicts : tuple
        non-ambiguity: neurons one NAP fixes on and the other off.
    """

    kind: str
    status: str
    label: int
    other: int
    eps: float | None = None
    time: float = 0.0
    method: str = ""
    counterexample: np.ndarray | None = field(default=None, repr=False)
    output: np.ndarray | None = field(default=None, repr=False)
    confirmed: bool | None = None
    note: str | None = None
    engine: str = "relucid"
    conflicts: tuple = ()
    lo: np.ndarray | None = field(default=None, repr=False)
    hi: np.ndarray | None = field(default=None, repr=False)

    @property
    def cell(self) -> str:
        """"Y", "N" or "T/o"."""
        return CELLS[self.status]

    @property
    def predicted(self) -> int | None:
        """The class the network picks at the counterexample (argmax)."""
        return None if self.output is None else int(np.argmax(self.output))

    def to_dict(self, *, counterexample: bool = True) -> dict:
        return {
            "kind": self.kind,
            "status": self.status,
            "cell": self.cell,
            "label": self.label,
            "other": self.other,
            "eps": self.eps,
            "time": round(float(self.time), 4),
            "method": self.method,
            "engine": self.engine,
            "confirmed": self.confirmed,
            "predicted": self.predicted,
            "note": self.note,
            "conflicts": [list(n) for n in self.conflicts[:10]],
            "n_conflicts": len(self.conflicts),
            "counterexample": None if (self.counterexample is None or not counterexample) else self.counterexample.tolist(),
            "output": None if self.output is None else self.output.tolist(),
        }


def verdict_cell(v: NAPVerdict | None) -> str:
    """Table cell of a verdict ("-" for None: the label itself)."""
    return "-" if v is None else v.cell

