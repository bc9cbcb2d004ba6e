"""Affine maps of tensors: the pending map that importers fold linear operators into.

Importers (ONNX, torch) walk a model from its input and track, for the current
tensor ``T``, an affine function of the input ``x`` of the current *linear
segment* (everything since the last activation)::

    T(x) = sum_i x[i] * lin[i] + const          lin: (n, *S), const: S

Every linear operator (matrix products, convolutions, elementwise scaling and
shifts, reshapes, transposes) maps ``(lin, const)`` to a new pair exactly:
the linear part is applied to each basis slice ``lin[i]`` (the leading axis of
``lin`` acts as a batch axis) and the full operator to ``const``. At an
activation the pair becomes one :class:`~relucid.network.Dense` layer
``W = lin.reshape(n, -1).T``, ``b = const.ravel()`` (C order).

Until the first product with a weight matrix, ``lin`` is kept as a diagonal
(the identity, scaled by normalisation constants), so a large input (e.g.
3x64x64 before a Flatten and a Gemm) never materialises an n x n identity.
Permutations, padding and pooling of a diagonal or sparse map keep it sparse
(a ``scipy.sparse`` matrix), so e.g. a Transpose, an AveragePool and a Flatten
after an activation cost O(entries) until the next Gemm or Conv.

Everything is float64, so the dense maps are exact up to float64 rounding.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

from ..errors import ShapeError, UnsupportedOperatorError

#: Largest dense matrix (entries of ``lin``) an importer builds by default:
#: 2e7 float64 entries are 160 MB. Convolutions on large images exceed it.
MAX_DENSE_ENTRIES: int = 20_000_000


def check_size(n: int, shape: tuple[int, ...], *, limit: int, what: str) -> None:
    """Refuse to build a dense map of ``n * prod(shape)`` entries above ``limit``."""
    entries = n * math.prod(int(d) for d in shape)  # Python ints: no overflow on hostile shapes
    if entries > limit:
        raise UnsupportedOperatorError(
            f"{what} would need a dense matrix of {n} x {entries // max(n, 1)} = {entries:,} entries, "
            f"above the limit of {limit:,}; relucid converts convolutions and pooling exactly to dense layers "
            f"only for small inputs (raise max_dense_entries=... if you have the memory)"
        )


@dataclass(frozen=True, eq=False)
class Affine:
    """A tensor of shape ``S`` that is an affine function of an ``n``-vector.

    The linear part is held explicitly (``lin``), lazily as a diagonal
    (``scale``) or as a sparse matrix (``sparse``): at the start of a segment
    the map is the identity, and the elementwise scalings and reshapes that
    usually follow (input normalisation, Flatten) keep it diagonal, so a large
    input costs O(n) until the first product with a weight matrix; index maps
    (Transpose, Pad, pooling windows) turn a diagonal into a sparse matrix.

    Parameters
    ----------
    const : array of shape S
        The tensor at input zero.
    lin : array of shape (n, *S), optional
        ``lin[i]`` is the tensor's change per unit of input ``i``.
    scale : array of shape S, optional
        Instead of ``lin``: the map is ``x -> scale * x.reshape(S)`` (+ const).
    limit : int
        Largest dense matrix (entries) an operation may create (see :data:`MAX_DENSE_ENTRIES`).
    sparse : scipy.sparse CSR array of shape (n, prod(S)), optional
        Instead of ``lin``: the linear part, flattened, as a sparse matrix.
    """

    const: np.ndarray
    lin: np.ndarray | None = None
    scale: np.ndarray | None = None
    limit: int = MAX_DENSE_ENTRIES
    sparse: sps.csr_array | None = None

    @classmethod
    def identity(cls, shape: tuple[int, ...], *, limit: int = MAX_DENSE_ENTRIES) -> Affine:
        """The map ``x -> x.reshape(shape)``."""
        return cls(np.zeros(shape), scale=np.ones(shape), limit=limit)

    @property
    def n(self) -> int:
        if self.lin is not None:
            return int(self.lin.shape[0])
        return int(self.sparse.shape[0] if self.sparse is not None else self.scale.size)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.const.shape)

    @property
    def is_diagonal(self) -> bool:
        return self.lin is None and self.sparse is None

    def _new(self, const, *, lin=None, scale=None, sparse=None) -> Affine:
        return Affine(np.asarray(const, dtype=np.float64), lin, scale, self.limit, sparse)

    def _rows(self) -> sps.csr_array:
        """The linear part of a diagonal or sparse map as a CSR matrix (n, prod(S))."""
        if self.sparse is not None:
            return self.sparse
        return sps.diags_array(self.scale.reshape(-1), format="csr")

    def dense_lin(self, *, what: str = "the input") -> np.ndarray:
        """The linear part as an explicit array (n, *S), built from the diagonal or sparse form if need be."""
        if self.lin is not None:
            return self.lin
        check_size(self.n, self.shape, limit=self.limit, what=f"{what} of shape {self.shape}")
        if self.sparse is not None:
            return self.sparse.toarray().reshape((self.n, *self.shape))
        return (np.diag(self.scale.reshape(-1))).reshape((self.n, *self.shape))

    def _lifted(self, rank: int) -> np.ndarray:
        """``dense_lin()`` with singleton axes after the basis axis, so ``S`` has ``rank`` axes."""
        lin = self.dense_lin()
        extra = rank - self.const.ndim
        return lin.reshape((self.n, *([1] * extra), *self.shape)) if extra > 0 else lin

    def is_identity(self) -> bool:
        """Whether the map is exactly ``x -> x`` (flattened)."""
        if self.const.any():
            return False
        if self.is_diagonal:
            return bool(np.all(self.scale == 1))
        if self.sparse is not None:
            S = self.sparse
            return S.shape[0] == S.shape[1] and (S - sps.eye_array(S.shape[0], format="csr")).count_nonzero() == 0
        W = self.lin.reshape(self.n, -1)
        return W.shape[0] == W.shape[1] and np.array_equal(W, np.eye(W.shape[0]))

    def to_dense(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, b)`` of shapes (m, n) and (m,) with ``T.ravel() = W x + b``."""
        return self.dense_lin().reshape(self.n, -1).T, self.const.reshape(-1)

    def map_linear(self, fn, out_shape: tuple[int, ...], *, what: str) -> np.ndarray:
        """``fn`` (linear, on batches (B, *S) -> (B, *out_shape)) applied to every basis slice.

        From a diagonal or sparse map, the basis is pushed through in chunks,
        so the input identity is never built whole.
        """
        check_size(self.n, out_shape, limit=self.limit, what=what)
        if self.lin is not None:
            return fn(self.lin)
        rows = self._rows()
        per_row = int(np.prod(self.shape, dtype=np.int64)) + int(np.prod(out_shape, dtype=np.int64))
        step = max(1, 4_000_000 // max(per_row, 1))
        chunks = []
        for a in range(0, self.n, step):
            E = rows[a:min(a + step, self.n)].toarray()
            chunks.append(fn(E.reshape((len(E), *self.shape))))
        return np.concatenate(chunks).reshape((self.n, *out_shape))

    def linear_map(self, P, out_shape: tuple[int, ...], *, what: str = "an index map") -> Affine:
        """``(P @ T.ravel()).reshape(out_shape)`` for a sparse matrix ``P`` of shape (prod(out_shape), prod(S)).

        Used for operators that read a few entries each (Pad, Transpose-like
        gathers, pooling windows). A diagonal or sparse map stays sparse; a
        dense one is multiplied out (refused above the size limit).
        """
        out_shape = tuple(int(d) for d in out_shape)
        P = sps.csr_array(P)
        if P.shape != (math.prod(out_shape), self.const.size):
            raise ShapeError(f"{what}: a map of shape {P.shape} does not take {self.shape} to {out_shape}")
        const = (P @ self.const.reshape(-1)).reshape(out_shape)
        if self.lin is None:
            return self._new(const, sparse=sps.csr_array(self._rows() @ P.T))
        check_size(self.n, out_shape, limit=self.limit, what=what)
        lin = np.asarray(P @ self.lin.reshape(self.n, -1).T).T
        return self._new(const, lin=lin.reshape((self.n, *out_shape)))

    def nonnegative_entries(self, *, input_nonnegative: bool) -> np.ndarray:
        """Which entries (flattened) are ``>= 0`` for every input ``>= 0``: a constant and coefficients ``>= 0``.

        All False when the input's sign is not known (``input_nonnegative=False``).
        """
        if not input_nonnegative:
            return np.zeros(self.const.size, dtype=bool)
        if self.is_diagonal:
            coef = self.scale.reshape(-1) >= 0
        elif self.sparse is not None:
            coef = np.asarray((self.sparse < 0).sum(axis=0)).reshape(-1) == 0
        else:
            coef = np.all(self.lin.reshape(self.n, -1) >= 0, axis=0)
        return coef & (self.const.reshape(-1) >= 0)

    # -- shape-only operators -------------------------------------------------
    def reshape(self, shape) -> Affine:
        shape = tuple(int(d) for d in shape)
        if int(np.prod(shape, dtype=np.int64)) != self.const.size:
            raise ShapeError(f"cannot reshape a tensor of shape {self.shape} ({self.const.size} entries) to {shape}")
        if self.is_diagonal:
            return self._new(self.const.reshape(shape), scale=self.scale.reshape(shape))
        if self.sparse is not None:
            return self._new(self.const.reshape(shape), sparse=self.sparse)
        return self._new(self.const.reshape(shape), lin=self.lin.reshape((self.n, *shape)))

    def transpose(self, perm) -> Affine:
        perm = [int(p) for p in perm]
        if sorted(perm) != list(range(self.const.ndim)):
            raise ShapeError(f"perm {perm} is not a permutation of the {self.const.ndim} axes of shape {self.shape}")
        if self.lin is None:  # a permutation of the columns keeps the map sparse
            cols = np.arange(self.const.size).reshape(self.shape).transpose(perm).reshape(-1)
            return self._new(self.const.transpose(perm), sparse=sps.csr_array(self._rows()[:, cols]))
        lin = self.dense_lin().transpose([0] + [p + 1 for p in perm])
        return self._new(self.const.transpose(perm), lin=lin)

    # -- elementwise affine operators ----------------------------------------
    def add(self, c: np.ndarray) -> Affine:
        """``T + c`` with numpy broadcasting."""
        out = _broadcast(self.shape, c.shape)
        if out == self.shape:
            return self._new(self.const + c, lin=self.lin, scale=self.scale, sparse=self.sparse)
        check_size(self.n, out, limit=self.limit, what="broadcasting an addition")
        lin = np.broadcast_to(self._lifted(len(out)), (self.n, *out))
        return self._new(self.const + c, lin=lin)

    def mul(self, c: np.ndarray) -> Affine:
        """``T * c`` with numpy broadcasting."""
        out = _broadcast(self.shape, c.shape)
        if out == self.shape and self.is_diagonal:
            return self._new(self.const * c, scale=self.scale * c)
        if out == self.shape and self.sparse is not None:
            factor = np.broadcast_to(c, out).reshape(1, -1)
            return self._new(self.const * c, sparse=sps.csr_array(self.sparse.multiply(factor)))
        check_size(self.n, out, limit=self.limit, what="broadcasting a multiplication")
        return self._new(self.const * c, lin=self._lifted(len(out)) * c)

    def neg(self) -> Affine:
        if self.is_diagonal:
            return self._new(-self.const, scale=-self.scale)
        if self.sparse is not None:
            return self._new(-self.const, sparse=-self.sparse)
        return self._new(-self.const, lin=-self.lin)

    # -- products ------------------------------------------------------------
    def matmul_right(self, B: np.ndarray) -> Affine:
        """``T @ B`` (numpy/ONNX MatMul semantics, ``B`` constant)."""
        const = _matmul(self.const, B)
        check_size(self.n, const.shape, limit=self.limit, what="a matrix product")
        S = self.shape
        row_vector = B.ndim <= 2 and S and int(np.prod(S[:-1], dtype=np.int64)) == 1
        if self.is_diagonal and row_vector:
            # Row-vector input (the usual (1, k) @ (k, p)): row i of the result is scale[i] * B[i].
            d = self.scale.reshape(-1)
            lin = d[:, None] * B if B.ndim == 2 else d * B
        elif self.sparse is not None and row_vector:
            lin = np.asarray(self.sparse @ B)
        elif self.const.ndim == 1:
            lin = self.dense_lin() @ B if B.ndim <= 2 else np.einsum("nk,...kp->n...p", self.dense_lin(), B)
        else:
            lin = self._lifted(max(self.const.ndim, B.ndim)) @ B
        return self._new(const, lin=lin.reshape((self.n, *const.shape)))

    def matmul_left(self, A: np.ndarray) -> Affine:
        """``A @ T`` (numpy/ONNX MatMul semantics, ``A`` constant)."""
        const = _matmul(A, self.const)
        check_size(self.n, const.shape, limit=self.limit, what="a matrix product")
        if self.is_diagonal and self.const.ndim == 1 and A.ndim == 2:
            lin = (A * self.scale).T  # column i of A, times scale[i]
        elif self.sparse is not None and self.const.ndim == 1 and A.ndim == 2:
            lin = np.asarray(self.sparse @ A.T)
        elif self.const.ndim == 1:
            lin = self.dense_lin() @ A if A.ndim == 1 else np.einsum("...mk,nk->n...m", A, self.dense_lin())
        else:
            lin = np.matmul(A, self._lifted(max(self.const.ndim, A.ndim)))
        return self._new(const, lin=lin.reshape((self.n, *const.shape)))

    def conv(self, weight: np.ndarray, bias: np.ndarray | None, *, strides, pads, dilations, group: int,
             what: str = "a convolution") -> Affine:
        """ONNX ``Conv`` on a tensor of shape (1, C, *spatial); see :func:`conv_nd`."""
        if self.const.ndim != weight.ndim or self.shape[0] != 1:
            raise ShapeError(
                f"convolution expects a tensor of shape (1, C, ...) with {weight.ndim - 2} spatial axes "
                f"to match its weight of shape {weight.shape}; got {self.shape}"
            )
        out = conv_output_shape(self.shape[1:], weight.shape, strides=strides, pads=pads, dilations=dilations)
        opts = dict(strides=strides, pads=pads, dilations=dilations, group=group)
        lin = self.map_linear(lambda E: conv_nd(E[:, 0], weight, None, **opts)[:, None], (1, *out), what=what)
        return self._new(conv_nd(self.const, weight, bias, **opts), lin=lin)


def _broadcast(s1: tuple[int, ...], s2: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(s1, s2))
    except ValueError:
        raise ShapeError(f"shapes {s1} and {s2} do not broadcast together") from None


def _matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    try:
        return np.matmul(A, B)
    except ValueError:
        raise ShapeError(
            f"cannot multiply shapes {A.shape} @ {B.shape}: the last axis of the left operand "
            f"({A.shape[-1] if A.ndim else '-'}) must equal the "
            f"{'only' if B.ndim == 1 else 'second-to-last'} axis of the right one "
            f"({B.shape[-2] if B.ndim >= 2 else (B.shape[0] if B.ndim else '-')})"
        ) from None


def conv_output_shape(in_shape, weight_shape, *, strides, pads, dilations) -> tuple[int, ...]:
    """Shape (M, *spatial_out) of a convolution of an input (C, *spatial)."""
    k = len(weight_shape) - 2
    spatial = []
    for i in range(k):
        eff = (weight_shape[2 + i] - 1) * dilations[i] + 1
        size = in_shape[1 + i] + pads[i] + pads[k + i] - eff
        if size < 0:
            raise ShapeError(
                f"kernel of shape {tuple(weight_shape[2:])} (dilated {eff}) does not fit the padded input "
                f"of spatial shape {tuple(in_shape[1:])}"
            )
        spatial.append(size // strides[i] + 1)
    return (int(weight_shape[0]), *spatial)


def conv_nd(X: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, strides, pads, dilations,
            group: int) -> np.ndarray:
    """Cross-correlation as in ONNX ``Conv``, in float64.

    Parameters
    ----------
    X : array of shape (B, C, *spatial)
    weight : array of shape (M, C // group, *kernel)
    bias : array of shape (M,) or None
    strides, dilations : sequences of k ints
    pads : sequence of 2k ints (begin pads of each axis, then end pads)
    group : int

    Returns
    -------
    array of shape (B, M, *spatial_out)

    Notes
    -----
    Sums one tensor product per kernel offset, so memory stays at the size
    of the output (no im2col copy).
    """
    k = weight.ndim - 2
    Bn, C = X.shape[:2]
    M = weight.shape[0]
    if C % group or M % group or weight.shape[1] != C // group:
        raise ShapeError(
            f"convolution weight of shape {weight.shape} with group={group} does not fit an input with {C} channels"
        )
    out = conv_output_shape(X.shape[1:], weight.shape, strides=strides, pads=pads, dilations=dilations)
    Xp = np.pad(X, [(0, 0), (0, 0)] + [(pads[i], pads[k + i]) for i in range(k)])
    Y = np.zeros((Bn, *out))
    cg, mg = C // group, M // group
    for offset in itertools.product(*(range(s) for s in weight.shape[2:])):
        window = tuple(
            slice(offset[i] * dilations[i], offset[i] * dilations[i] + strides[i] * (out[1 + i] - 1) + 1, strides[i])
            for i in range(k)
        )
        for g in range(group):
            patch = Xp[(slice(None), slice(g * cg, (g + 1) * cg), *window)]
            w = weight[(slice(g * mg, (g + 1) * mg), slice(None), *offset)]
            Y[:, g * mg:(g + 1) * mg] += np.moveaxis(np.tensordot(patch, w, axes=([1], [1])), -1, 1)
    if bias is not None:
        Y += bias.reshape((M,) + (1,) * k)
    return Y


class SegmentBuilder:
    """Turns a stream of folded affine operators and activations into Dense layers.

    Importers call :meth:`fold` after each affine operator (with the new
    pending map), :meth:`activate` at each activation and :meth:`finish` at
    the end. Consecutive activations give an identity-weight layer; a graph
    that ends in an affine operator gets a final identity-activation layer;
    trailing reshapes alone (``shape_only=True``) add no layer. With a
    ``budget`` (an :class:`~relucid.io._limits.ElementBudget`), each layer's
    weight matrix is charged to it before it is built.
    """

    def __init__(self, pending: Affine, *, budget=None) -> None:
        self.pending = pending
        self.budget = budget  # an ElementBudget charged with each layer's weight before it is built
        self.layers: list = []
        self._names: list[str] = []
        self._affine_since_activation = False

    def fold(self, pending: Affine, name: str, *, shape_only: bool = False) -> None:
        """Make ``pending`` the current map; ``name`` (the operator's; "" for none) labels the next layer."""
        self.pending = pending
        if name:
            self._names.append(name)
        self._affine_since_activation |= not shape_only

    def activate(self, activation: str, alpha: float | None, name: str) -> None:
        self._emit(activation, alpha, name)
        self.pending = Affine.identity(self.pending.shape, limit=self.pending.limit)

    def finish(self):
        """The layers; the last one maps to the final pending tensor."""
        if not self.layers or self._affine_since_activation or not self.pending.is_identity():
            self._emit("identity", None, None)
        return self.layers

    def _emit(self, activation: str, alpha: float | None, name: str | None) -> None:
        from ..network import Dense

        names = self._names + ([name] if name else [])
        label = "+".join(names) if len(names) <= 4 else "+".join(names[:1] + ["..."] + names[-2:])
        if self.budget is not None:
            m = math.prod(self.pending.shape)
            self.budget.charge((m, self.pending.n), f"the weight of layer {len(self.layers)} ({label or 'identity'})")
        W, b = self.pending.to_dense()
        self.layers.append(Dense(W, b, activation, alpha=alpha, name=label or "identity"))
        self._names, self._affine_since_activation = [], False
