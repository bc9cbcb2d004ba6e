"""The NAP value: a label's activated and deactivated neurons, and its JSON form.

A neural activation pattern (Geng et al., ICML 2023, Def. 3.1) is a pair
``(A, D)`` of disjoint neuron sets. An input *follows* it (Eq. 4) when every
neuron of ``A`` is on (pre-activation ``> 0``) and every neuron of ``D`` is
off (``<= 0``) at that input — the same convention as everywhere in relucid.
Neurons outside ``A ∪ D`` are free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidValueError, ModelFormatError
from ..network import Network
from ..regions.pattern import Pattern, disjoint_neuron_sets
from .stream import activation_chunks, as_batch

__all__ = ["NAP", "load_naps", "save_naps"]

#: ``"format"`` field of a NAP file; ``version`` is bumped on incompatible changes.
FILE_FORMAT = "relucid-naps"
FILE_VERSION = 1


@dataclass(frozen=True)
class NAP:
    """A neural activation pattern ``(A, D)``, usually mined for one label.

    Parameters
    ----------
    active : frozenset of (layer, neuron)
        ``A``: neurons that must be on (pre-activation ``> 0``).
    inactive : frozenset of (layer, neuron)
        ``D``: neurons that must be off (``<= 0``).
    label : int, optional
        The label it was mined for.
    delta : float, optional
        The relaxing factor it was mined with.
    support : int, optional
        Number of mining inputs with this label.
    layers : tuple of int, optional
        Layers that took part in mining (neurons of other layers are free by
        construction, not because they vary).

    Notes
    -----
    ``A`` and ``D`` must be disjoint. An empty NAP (no neuron fixed) is
    allowed: every input follows it, and its verification queries are the
    plain, pattern-free ones (:attr:`is_empty` says so; verification results
    carry a note).

    Examples
    --------
    >>> nap = NAP(frozenset({(0, 1)}), frozenset({(0, 0)}), label=3)
    >>> len(nap), nap.as_pattern()
    (2, Pattern(1 on, 1 off))
    """

    active: frozenset = frozenset()
    inactive: frozenset = frozenset()
    label: int | None = None
    delta: float | None = None
    support: int | None = None
    layers: tuple | None = None

    def __post_init__(self) -> None:
        A, D = disjoint_neuron_sets(self.active, self.inactive, "NAP: neuron {} is both in A (active) and D (inactive)")
        object.__setattr__(self, "active", A)
        object.__setattr__(self, "inactive", D)
        if self.label is not None:
            object.__setattr__(self, "label", _int(self.label, "label"))
        if self.support is not None:
            object.__setattr__(self, "support", _int(self.support, "support"))
        if self.delta is not None:
            object.__setattr__(self, "delta", float(self.delta))
        if self.layers is not None:
            object.__setattr__(self, "layers", tuple(_int(v, "layer") for v in self.layers))

    # -- as a set of neurons ------------------------------------------------------
    @property
    def neurons(self) -> frozenset:
        """``A ∪ D``: every neuron the NAP fixes."""
        return self.active | self.inactive

    def __len__(self) -> int:
        return len(self.active) + len(self.inactive)

    @property
    def is_empty(self) -> bool:
        """True when the NAP fixes no neuron (every input follows it)."""
        return not self.active and not self.inactive

    def conflicts(self, other: NAP) -> frozenset:
        """Neurons one NAP fixes on and the other off (``A ∩ D'`` ∪ ``D ∩ A'``)."""
        return (self.active & other.inactive) | (self.inactive & other.active)

    def as_pattern(self) -> Pattern:
        """The partial :class:`~relucid.regions.Pattern` ``A`` on, ``D`` off (for ``verify(pattern=...)``)."""
        return Pattern(self.active, self.inactive)

    def validate(self, net: Network) -> None:
        """Raise :class:`InvalidValueError` naming the first neuron ``net`` does not have."""
        for n in sorted(self.neurons):
            try:
                net.check_neuron(n)
            except InvalidValueError as exc:
                raise InvalidValueError(f"{self._who()}: {exc} — was it mined on another network?") from None

    def layer_phases(self, net: Network) -> dict[int, np.ndarray]:
        """Per relu/leaky_relu layer an int8 array: 1 in ``A``, 0 in ``D``, -1 free."""
        self.validate(net)
        out = {k: np.full(net.layers[k].out_dim, -1, dtype=np.int8) for k in net.pattern_layers}
        for layer, j in self.active:
            out[layer][j] = 1
        for layer, j in self.inactive:
            out[layer][j] = 0
        return out

    # -- against data ---------------------------------------------------------------
    def follows(self, net: Network, X, *, scale: float = 1.0, chunk_size: int = 4096) -> np.ndarray:
        """Whether each input follows the NAP: bool array (n,).

        Parameters
        ----------
        net : Network
        X : array of shape (n, input_dim), or (input_dim,) for one input
            Rows beyond two dimensions are flattened (``(n, 28, 28)`` images).
        scale : float
            Each chunk is multiplied by this first (``1/255`` for uint8 images).
        chunk_size : int
            Inputs per forward pass.

        Notes
        -----
        Exact float64 check, no tolerance: ``z > 0`` for every neuron of
        ``A``, ``z <= 0`` for every neuron of ``D``.
        """
        return follow_matrix(net, [self], X, scale=scale, chunk_size=chunk_size)[..., 0]

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-ready dictionary (neurons as ``[layer, neuron]`` pairs, sorted)."""
        return {
            "label": self.label,
            "delta": self.delta,
            "support": self.support,
            "layers": None if self.layers is None else list(self.layers),
            "active": [list(n) for n in sorted(self.active)],
            "inactive": [list(n) for n in sorted(self.inactive)],
        }

    @classmethod
    def from_dict(cls, d: dict) -> NAP:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(d, dict) or "active" not in d or "inactive" not in d:
            raise ModelFormatError("NAP.from_dict: expected a dictionary with 'active' and 'inactive' neuron lists")
        try:
            return cls(
                frozenset(tuple(n) for n in d["active"]),
                frozenset(tuple(n) for n in d["inactive"]),
                label=d.get("label"),
                delta=d.get("delta"),
                support=d.get("support"),
                layers=d.get("layers"),
            )
        except (TypeError, InvalidValueError) as exc:
            raise ModelFormatError(f"NAP.from_dict: malformed NAP ({exc})") from None

    def _who(self) -> str:
        return "NAP" if self.label is None else f"NAP of label {self.label}"

    def __repr__(self) -> str:
        head = f"label={self.label}, " if self.label is not None else ""
        dl = f", delta={self.delta:g}" if self.delta is not None else ""
        return f"NAP({head}{len(self.active)} active, {len(self.inactive)} inactive{dl})"


def follow_matrix(net: Network, naps, X, *, scale: float = 1.0, chunk_size: int = 4096, device=None) -> np.ndarray:
    """For several NAPs at once: bool array (n, len(naps)), one forward pass over ``X``.

    Exact float64 comparisons (``device`` runs the passes in torch float64).
    """
    naps = list(naps)
    for nap in naps:
        if not isinstance(nap, NAP):
            raise InvalidValueError(f"follow_matrix: expects NAPs; got {type(nap).__name__}")
        nap.validate(net)
    fixed_layers = sorted({n[0] for nap in naps for n in nap.neurons})
    # Per NAP and layer: column indices of A and of D.
    cols = [
        {layer: (np.array(sorted(j for (k, j) in nap.active if k == layer), dtype=int),
                 np.array(sorted(j for (k, j) in nap.inactive if k == layer), dtype=int))
         for layer in fixed_layers}
        for nap in naps
    ]
    _, n_rows, single = as_batch(X, net.input_dim, what="NAP.follows")
    out = []
    for start, flags, _ in activation_chunks(net, X, layers=fixed_layers, scale=scale, chunk_size=chunk_size,
                                             device=device, what="NAP.follows"):
        m = min(chunk_size, n_rows - start)
        ok = np.ones((m, len(naps)), dtype=bool)
        for i, c in enumerate(cols):
            for layer, (a, d) in c.items():
                F = flags[layer]
                if a.size:
                    ok[:, i] &= F[:, a].all(axis=1)
                if d.size:
                    ok[:, i] &= ~F[:, d].any(axis=1)
        out.append(ok)
    res = np.concatenate(out, axis=0) if out else np.zeros((0, len(naps)), dtype=bool)
    return res[0] if single else res


# -- files -------------------------------------------------------------------------------
def save_naps(naps: dict, path, *, network: Network | None = None, meta: dict | None = None) -> Path:
    """Write ``{label: NAP}`` as JSON (no pickle).

    Parameters
    ----------
    naps : dict label -> NAP
    path : str or Path
    network : Network, optional
        Its layer sizes are recorded, and :func:`load_naps` checks them
        against the network it is given.
    meta : dict, optional
        Anything JSON-serialisable to keep alongside (data set, δ, command).

    Returns
    -------
    Path
    """
    _check_nap_dict(naps, "save_naps")
    doc = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "network": None if network is None else _net_signature(network),
        "meta": meta or {},
        "naps": [naps[k].to_dict() for k in sorted(naps)],
    }
    path = Path(path)
    path.write_text(json.dumps(doc, indent=1))
    return path


def load_naps(path, *, network: Network | None = None) -> dict:
    """Read a file written by :func:`save_naps`: ``{label: NAP}``.

    With ``network``, the recorded layer sizes (when present) and every
    neuron are checked against it.

    Raises
    ------
    ModelFormatError
        Not JSON, not a NAP file, or malformed NAPs.
    InvalidValueError
        The NAPs name neurons ``network`` does not have.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelFormatError(f"{path}: not a NAP file (invalid JSON: {exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise ModelFormatError(f"{path}: not a NAP file (not text)") from None
    if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT:
        raise ModelFormatError(f"{path}: not a NAP file (expected a JSON object with \"format\": \"{FILE_FORMAT}\")")
    if doc.get("version") != FILE_VERSION:
        raise ModelFormatError(f"{path}: NAP file version {doc.get('version')!r}; this relucid reads version {FILE_VERSION}")
    items = doc.get("naps")
    if not isinstance(items, list):
        raise ModelFormatError(f"{path}: NAP file without a 'naps' list")
    naps = {}
    for i, d in enumerate(items):
        try:
            nap = NAP.from_dict(d)
        except ModelFormatError as exc:
            raise ModelFormatError(f"{path}: NAP {i}: {exc}") from None
        key = nap.label if nap.label is not None else i
        if key in naps:
            raise ModelFormatError(f"{path}: label {key} appears twice")
        naps[key] = nap
    if network is not None:
        sig = doc.get("network")
        if sig and sig != _net_signature(network):
            raise InvalidValueError(
                f"{path}: the NAPs were mined on a network with layers {sig.get('layers')} "
                f"but this network has {_net_signature(network)['layers']}"
            )
        for nap in naps.values():
            nap.validate(network)
    return naps


def _net_signature(net: Network) -> dict:
    return {"input_dim": net.input_dim, "layers": [[l.out_dim, l.activation] for l in net.layers]}


def _check_nap_dict(naps, who: str) -> None:
    if not isinstance(naps, dict) or not all(isinstance(v, NAP) for v in naps.values()):
        raise InvalidValueError(f"{who}: expects a dict {{label: NAP}} (as mine_naps returns); got {type(naps).__name__}")


def _int(v, what: str) -> int:
    if isinstance(v, (bool, np.bool_)):
        raise InvalidValueError(f"NAP: {what} must be an integer; got {v!r}")
    try:
        i = int(v)
    except (TypeError, ValueError):
        raise InvalidValueError(f"NAP: {what} must be an integer; got {v!r}") from None
    if i != v:
        raise InvalidValueError(f"NAP: {what} must be an integer; got {v!r}")
    return i
