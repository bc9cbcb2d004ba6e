"""The outcome of one verification query."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Result", "STATUSES"]

#: Every status a verifier may return.
STATUSES: tuple[str, ...] = ("proved", "falsified", "unknown")

_VNNCOMP = {"proved": "unsat", "falsified": "sat", "unknown": "timeout"}


@dataclass(frozen=True, eq=False)
class Result:
    """What a verifier concluded.

    Attributes
    ----------
    status : {"proved", "falsified", "unknown"}
        "proved": no input of the input set (following the pattern) violates
        the property. "falsified": ``counterexample`` does, confirmed by a
        float64 forward pass. "unknown": the timeout or a solver limit came
        first (``note`` says which).
    counterexample : ndarray or None
        An input that violates the property (and follows the pattern).
    output : ndarray or None
        ``net(counterexample)``.
    time : float
        Wall-clock seconds.
    engine : str
        "relucid" or "marabou".
    method : str
        What decided it ("bounds", "attack", "input-split", "milp", ...).
    note : str or None
        Anything the user should know (a vacuous proof, an unconfirmed
        candidate, a timeout).
    stats : dict
        Counters: LPs/MILPs solved, boxes split, unstable neurons, ...
    """

    status: str
    counterexample: np.ndarray | None = None
    output: np.ndarray | None = None
    time: float = 0.0
    engine: str = "relucid"
    method: str = ""
    note: str | None = None
    violated: int | None = None
    stats: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"Result: status must be one of {STATUSES}; got {self.status!r}")

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def falsified(self) -> bool:
        return self.status == "falsified"

    @property
    def vnncomp(self) -> str:
        """The VNN-COMP result word: unsat (property holds), sat (counterexample), timeout."""
        return _VNNCOMP[self.status]

    def to_dict(self) -> dict:
        """A JSON-ready dictionary."""
        return {
            "status": self.status,
            "result": self.vnncomp,
            "counterexample": None if self.counterexample is None else self.counterexample.tolist(),
            "output": None if self.output is None else self.output.tolist(),
            "violated": self.violated,
            "time": round(float(self.time), 6),
            "engine": self.engine,
            "method": self.method,
            "note": self.note,
            "stats": {k: (v.item() if isinstance(v, np.generic) else v) for k, v in self.stats.items()},
        }

    def __repr__(self) -> str:
        extra = f", note={self.note!r}" if self.note else ""
        return f"Result({self.status!r}, time={self.time:.3f}s, method={self.method!r}{extra})"
