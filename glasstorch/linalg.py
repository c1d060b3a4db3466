"""``torch.linalg``: norms, inverses, determinants, solves and factorizations, with gradients.

The primitives (``Inv``, ``Det``, ``Slogdet``, ``Solve``, ``Cholesky``, ``Svdvals``, ``Eigvalsh``)
live in ``glasstorch/ops/linalg.py`` beside their backward formulas; NumPy's LAPACK does the
arithmetic. The rest are composites of them and of ordinary ops.
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ._tensor import Tensor, _wrap_dim
from .ops import elementwise as _ew, reduction as _red
from .ops.linalg import (Cholesky, Det, Eigvalsh, Inv, LinAlgError, Slogdet, Solve, Svdvals, cross as _cross,
                         matmul)
from .ops.shape import diagonal as _diagonal

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "cholesky",
           "svdvals", "eigvalsh", "matrix_rank", "matrix_power", "multi_dot", "cross", "vecdot", "matmul",
           "diagonal"]

slogdet_result = namedtuple("slogdet", ["sign", "logabsdet"])


def vector_norm(x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all elements by default): ``inf`` is max |x|, ``-inf``
    min |x|, 0 the count of nonzeros."""
    if dtype is not None:
        x = x.to(dtype)
    return _red.norm(x, float(ord), dim, keepdim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """A matrix norm over the two ``dim``: ``'fro'``, ``'nuc'`` (sum of singular values), ``inf``/``-inf``
    (max/min row sum of |A|), 1/-1 (max/min column sum), 2/-2 (largest/smallest singular value)."""
    if dtype is not None:
        A = A.to(dtype)
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = (_wrap_dim(d, A._data.ndim) for d in dim)
    if ord == "fro":
        return _red.norm(A, "fro", (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (math.inf, -math.inf, 1, -1):
        summed, other = (d1, d0) if ord in (math.inf, -math.inf) else (d0, d1)
        sums = _ew.abs(A).sum(summed, keepdim=True)
        out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``vector_norm`` or ``matrix_norm``: a string ``ord``, or two ``dim``, or a 2-D input with an
    ``ord`` make it a matrix norm; otherwise the vector 2-norm (of all elements when ``dim`` is None)."""
    if isinstance(dim, int):
        dim = (dim,)
    matrix = isinstance(ord, str) or (dim is not None and len(dim) == 2) or (
        ord is not None and dim is None and A._data.ndim == 2)
    if matrix:
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if ord is not None and dim is None and A._data.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{A._data.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def inv(A: Tensor) -> Tensor:
    """The inverse of a square matrix (or of each in a batch)."""
    return Inv.apply(A)


def det(A: Tensor) -> Tensor:
    return Det.apply(A)


def slogdet(A: Tensor):
    """``(sign, logabsdet)`` of the determinant, as a namedtuple."""
    return slogdet_result(*Slogdet.apply(A))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """``X`` with ``A X = B`` (``X A = B`` with ``left=False``); ``B`` may be one vector per matrix."""
    if not left:
        return solve(A.transpose(-2, -1), B.transpose(-2, -1)).transpose(-2, -1)
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    return Solve.apply(A, B, vector)


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """``L`` lower-triangular with ``A = L L^T`` (or ``U = L^T`` with ``upper=True``), for a
    symmetric positive-definite ``A``."""
    return Cholesky.apply(A, upper)


def svdvals(A: Tensor) -> Tensor:
    """The singular values of ``A``, largest first."""
    return Svdvals.apply(A)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of a symmetric ``A``, ascending, read from its lower (``"L"``) or upper triangle."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return Eigvalsh.apply(A, UPLO)


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above ``max(atol, rtol * largest)`` (default ``rtol``:
    eps * max(m, n)), as int64."""
    s = np.linalg.svd(A._data, compute_uv=False)
    eps = np.finfo(A._data.dtype).eps
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else eps * max(A.shape[-2:])
    top = s.max(-1, initial=0.0)
    tol = np.maximum(0.0 if atol is None else atol, rtol * top)
    return Tensor._make((s > np.asarray(tol)[..., None]).sum(-1).astype(np.int64))


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (the identity for 0, powers of the inverse below 0)."""
    if A._data.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{tuple(A.shape[-2:])} matrices")
    if n == 0:
        # The identity, still joined to the graph (its gradient is 0), as in torch.
        eye = Tensor._make(np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype), A.shape).copy())
        if not A._requires_grad:
            return eye
        keep_eye = Tensor._make(np.ones(A.shape, bool))
        return _ew.where(keep_eye, eye, A)   # (not A * 0 + eye: that would turn an inf in A into NaN)
    base = inv(A) if n < 0 else A
    result, k = None, abs(n)
    while k:                                   # square-and-multiply
        if k & 1:
            result = base if result is None else matmul(result, base)
        k >>= 1
        if k:
            base = matmul(base, base)
    return result


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices (the first and last may be vectors), left to right."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the last by default)."""
    return _cross(input, other, dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product along ``dim``, broadcasting the rest."""
    return (x * y).sum(dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    return _diagonal(A, offset, dim1, dim2)


# The torch.* spellings of some of these.
def logdet(A: Tensor) -> Tensor:
    """``log(det(A))``: NaN where the determinant is negative, -inf where it is 0."""
    sign, logabs = slogdet(A)
    nan = Tensor._make(np.full(sign.shape, np.nan, logabs._data.dtype))
    return _ew.where(sign < 0, nan, logabs)


def chain_matmul(*matrices) -> Tensor:
    return multi_dot(list(matrices))


inverse = inv
