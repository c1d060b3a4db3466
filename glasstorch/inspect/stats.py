"""Statistics of one array, cheap enough to take on every op of every step.

Every tool that shows numbers (``Trace``, the graph, anomaly mode) takes them here, so they agree.
They are computed on the array and returned as plain floats: no tensor is kept.

NaN and Inf never crash a statistic and never poison it: they are counted (``nan_count``,
``inf_count``) and the other statistics are taken over the finite values only, so they stay finite.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _compiled, _parallel

__all__ = ["array_stats", "Stats", "norm"]


class Stats:
    """Statistics of one array: ``numel, mean, std, zero_frac, abs_max, norm, nan_count, inf_count``.

    ``mean``, ``std``, ``abs_max`` and ``norm`` are over the finite values (0.0 when there are none);
    ``std`` is the population standard deviation (``unbiased=False``); ``zero_frac`` is the fraction
    of elements exactly 0.
    """
    __slots__ = ("numel", "mean", "std", "zero_frac", "abs_max", "norm", "nan_count", "inf_count")

    def __init__(self, numel, mean, std, zero_frac, abs_max, norm, nan_count, inf_count):
        self.numel = numel
        self.mean = mean
        self.std = std
        self.zero_frac = zero_frac
        self.abs_max = abs_max
        self.norm = norm
        self.nan_count = nan_count
        self.inf_count = inf_count

    @property
    def finite(self) -> bool:
        return self.nan_count == 0 and self.inf_count == 0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self) -> str:
        text = (f"mean {self.mean:.4g}, std {self.std:.4g}, {100 * self.zero_frac:.1f}% zero, "
                f"|max| {self.abs_max:.4g}, norm {self.norm:.4g}")
        if not self.finite:
            text += f", {self.nan_count} NaN, {self.inf_count} Inf"
        return text


_EMPTY = Stats(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0)


def _partials(x: np.ndarray, want_sq: bool, want_total: bool) -> tuple:
    """The passes of ``array_stats`` on one block: dot, sum, zeros, max, min.

    With the compiled kernels, dot, sum and zeros are one pass (``sums``); else three NumPy
    passes, the sum skipped when the dot product is not finite (the caller then starts over on
    masks).
    """
    kernels = _compiled.for_array(x)
    if kernels is not None:
        sq, total, zeros = kernels.sums(x)
        return sq, total, int(zeros), float(x.max()), float(x.min())
    sq = float(np.dot(x, x)) if want_sq else 0.0
    total = float(x.sum()) if want_total and math.isfinite(sq) else 0.0
    # Counting a boolean mask is three times faster than count_nonzero on floats.
    return sq, total, int(np.count_nonzero(x == 0)), float(x.max()), float(x.min())


def array_stats(arr, full: bool = True, total: float | None = None, sq: float | None = None) -> Stats:
    """The statistics of ``arr`` (any array; integer and bool arrays are taken as float64).

    With ``full=False`` only ``numel``, ``norm`` and the NaN/Inf counts are taken (one pass: a
    dot product); the other fields are NaN. ``total`` and ``sq``, if given, are ``arr.sum()`` and
    ``dot(arr, arr)`` already taken (by a caller that checked the array for NaN).
    """
    a = np.asarray(arr)
    n = a.size
    if n == 0:
        return _EMPTY
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    elif a.dtype.kind == "c":
        a = np.abs(a)
    flat = a.reshape(-1)
    if flat.dtype == np.float16:
        flat = flat.astype(np.float32)
    # A dot product (BLAS, the fastest pass NumPy has) gives the norm, and a sum the mean; the
    # std follows from both. If either is not finite, the array holds NaN or Inf (or overflows
    # the sum): only then pay for the masks.
    # One pass per statistic, each on part of the array in glasstorch's thread pool when the array
    # is large (NumPy's reductions use one core; they release the GIL). A dot product (BLAS, the
    # fastest pass NumPy has) gives the norm, a sum the mean; the std follows from both. If either
    # is not finite, the array holds NaN or Inf (or overflows the sum): only then pay for masks.
    # No np.errstate here: it costs more than the passes on small arrays, a dot product raises no
    # floating-point warnings, and the sum runs only where the dot product was finite.
    contiguous = flat.flags.c_contiguous
    if sq is None and not full:
        sq = float(np.dot(flat, flat))
    elif contiguous and full:
        parts = _parallel.split(lambda lo, hi: _partials(flat[lo:hi], sq is None, total is None),
                                flat.shape[0], flat.shape[0])
        if sq is None:
            sq = math.fsum(p[0] for p in parts)
        if total is None:
            total = math.fsum(p[1] for p in parts)
        zeros = sum(p[2] for p in parts)
        hi_val, lo_val = max(p[3] for p in parts), min(p[4] for p in parts)
    else:
        if sq is None:
            sq = float(np.dot(flat, flat))
        if full and total is None and math.isfinite(sq):
            total = float(flat.sum())
    nan_count = inf_count = 0
    if not (math.isfinite(sq) and (not full or math.isfinite(total))):
        nan_count = int(np.count_nonzero(np.isnan(flat)))
        inf_count = int(np.count_nonzero(np.isinf(flat)))
        if nan_count or inf_count:
            flat = flat[np.isfinite(flat)]
        # Large finite values can overflow float32 sums: take the rest in float64.
        flat = flat.astype(np.float64)
        sq = float(np.dot(flat, flat))
        total = float(flat.sum())
        contiguous = False
    if not full:
        return Stats(n, math.nan, math.nan, math.nan, math.nan, math.sqrt(sq), nan_count, inf_count)
    if not contiguous:
        zeros = np.count_nonzero(a.reshape(-1) == 0)
    zero_frac = zeros / n
    m = flat.size
    if m == 0:
        return Stats(n, 0.0, 0.0, zero_frac, 0.0, 0.0, nan_count, inf_count)
    mean = total / m
    var = sq / m - mean * mean
    if var < 1e-3 * mean * mean:
        # The one-pass formula cancels when the spread is small against the mean: take two passes.
        d = flat.astype(np.float64) - mean
        var = float(np.dot(d, d)) / m
    if not contiguous:
        hi_val, lo_val = float(flat.max()), float(flat.min())
    abs_max = max(abs(hi_val), abs(lo_val))
    return Stats(n, mean, math.sqrt(max(var, 0.0)), zero_frac, abs_max, math.sqrt(sq), nan_count, inf_count)


def norm(arr) -> float:
    """The 2-norm of ``arr`` over its finite values (as ``Stats.norm``)."""
    return array_stats(arr).norm
