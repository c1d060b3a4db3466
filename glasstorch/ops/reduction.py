"""Reductions: sum, mean, var/std, prod, max/min, arg-reductions, logsumexp, norm,
cumulative ops, all/any, and softmax/log_softmax.

Every reduction takes ``dim`` (an int, a tuple of ints, or None for all
dimensions) and ``keepdim``. Backward re-inserts the reduced dimensions as size
1 (``_restore``) and lets broadcasting spread the gradient back over them.

A 0-d tensor has one dimension as far as ``dim`` is concerned: ``dim=0`` and
``dim=-1`` are valid and reduce nothing, as in torch. ``_dims`` maps them to the
empty tuple of NumPy axes.
"""
from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _TYPE_NAMES, _wrap_dim
from ..autograd.function import _Primitive
from ..autograd.grad_mode import _state
from .broadcast import broadcast_to
from .elementwise import Mul, abs as _abs, cast, exp, maximum, minimum, sign, where
from .shape import reshape

# The result types of the (values, indices) reductions, like torch.return_types.max.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])


# ------------------------------------------------------------------ helpers
def _dims(dim, ndim: int) -> tuple:
    """Normalizes ``dim`` (None, int, or sequence) to a sorted tuple of non-negative axes.

    None and the empty tuple mean every dimension. For a 0-d tensor the dims are
    checked (0 and -1 are valid) and the result is ``()``: there is no axis to reduce.
    """
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    axes = tuple(sorted(_wrap_dim(int(d), ndim) for d in dim))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
    return axes if ndim else ()


def _one_dim(dim, ndim: int, name: str) -> int:
    """A single dimension, for ops that take exactly one int ``dim`` (max, prod, cumsum, softmax...)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(int(dim), ndim)


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    """``shape`` with the reduced ``axes`` set to 1, for broadcasting a gradient back."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _restore(t: Tensor, in_shape: tuple, axes: tuple, keepdim: bool) -> Tensor:
    """A reduction's output (or its gradient) with the reduced axes put back as size 1.

    The result broadcasts against the input, so backward formulas can be written as
    plain elementwise expressions.
    """
    if keepdim or not axes:
        return t
    return reshape(t, _kept_shape(in_shape, axes))


def _reduced_shape(shape: tuple, axes: tuple, keepdim: bool) -> tuple:
    """The shape of a reduction's output."""
    if keepdim:
        return _kept_shape(shape, axes)
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _count(shape: tuple, axes: tuple) -> int:
    """How many elements each output element of a reduction over ``axes`` combines."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _const(mask: np.ndarray, like: Tensor) -> Tensor:
    """A constant (no-grad) tensor from a NumPy mask or weight, in ``like``'s dtype."""
    return Tensor._make(np.asarray(mask).astype(like._data.dtype, copy=False))


def _scale_by(t: Tensor, w: np.ndarray) -> Tensor:
    """``t * w`` for a constant array ``w``: differentiable in ``t`` only."""
    return Mul.apply(t, _const(w, t))


def _type_name(a: np.ndarray) -> str:
    """torch's name for an array's dtype in error messages: Long, Float, Bool..."""
    return _TYPE_NAMES[a.dtype.name]


def _float_data(a: Tensor) -> np.ndarray:
    """Integer and bool inputs to float-valued reductions become the default float dtype."""
    x = a._data
    return x if x.dtype.kind == "f" else x.astype(_dtype.get_default_dtype().np)


def _np_dtype(dtype):
    return None if dtype is None else _dtype.to_dtype(dtype).np


# ---------------------------------------------------------------- sum, mean
class Sum(_Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdim, dt):
        ctx.in_shape = a._data.shape
        ctx.axes, ctx.keepdim = axes, keepdim
        x = a._data
        if dt is None and x.dtype.kind in "biu":
            dt = np.int64  # integer and bool sums are int64 in torch
        return np.sum(x, axis=axes, keepdims=keepdim, dtype=dt)

    @staticmethod
    def backward(ctx, grad):
        grad = _restore(grad, ctx.in_shape, ctx.axes, ctx.keepdim)
        return broadcast_to(grad, ctx.in_shape), None, None, None


class Mean(_Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdim, dt):
        x = a._data
        n = _count(x.shape, axes)
        ctx.in_shape, ctx.axes, ctx.keepdim, ctx.n = x.shape, axes, keepdim, n
        # sum / n rather than np.mean: np.mean warns on empty slices, torch quietly gives nan.
        s = np.sum(x, axis=axes, keepdims=keepdim, dtype=dt)
        with np.errstate(invalid="ignore", divide="ignore"):
            if isinstance(s, np.ndarray):
                s /= n
                return s
            return s / n

    @staticmethod
    def backward(ctx, grad):
        grad = _restore(grad, ctx.in_shape, ctx.axes, ctx.keepdim)
        # An empty input has no element to receive the gradient; skip the division by 0.
        return broadcast_to(grad / ctx.n if ctx.n else grad, ctx.in_shape), None, None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum of the elements over ``dim`` (all dimensions if None).

    Integer and bool inputs are summed as int64.

    Args:
        input: the tensor.
        dim: a dimension or tuple of dimensions to reduce.
        keepdim: keep the reduced dimensions with size 1.
        dtype: the dtype to accumulate and return in.

    Example::

        >>> glasstorch.tensor([[1., 2.], [3., 4.]]).sum(dim=0)
        tensor([4., 6.])
    """
    return Sum.apply(input, _dims(dim, input._data.ndim), keepdim, _np_dtype(dtype))


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the elements over ``dim`` (all dimensions if None).

    The input (or ``dtype``) must be floating point; torch refuses to guess a dtype
    for the mean of integers.

    Args:
        input: the tensor.
        dim: a dimension or tuple of dimensions to reduce.
        keepdim: keep the reduced dimensions with size 1.
        dtype: the floating dtype to compute and return in.
    """
    dt = _np_dtype(dtype)
    if dt is not None and dt.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating point "
                           f"or complex dtype. Got: {_TYPE_NAMES[dt.name]}")
    if dt is None and input._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_type_name(input._data)}")
    return Mean.apply(input, _dims(dim, input._data.ndim), keepdim, dt)


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim``, treating NaN as zero (a composite of where and sum)."""
    if input._data.dtype.kind == "f":
        input = where(Tensor._make(np.isnan(input._data)), 0.0, input)
    return sum(input, dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` of the elements that are not NaN (a composite of nansum and a count)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_type_name(input._data)}")
    axes = _dims(dim, input._data.ndim)
    count = np.sum(~np.isnan(input._data), axis=axes, keepdims=keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / Tensor._make(np.asarray(count))


# ----------------------------------------------------------------- var, std
def _variance(x: np.ndarray, axes: tuple, keepdim: bool, correction, name: str) -> np.ndarray:
    n = _count(x.shape, axes)
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=5)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.sum(x, axis=axes, keepdims=True) / n
        d = np.asarray(x - m)  # asarray: 0-d inputs give a NumPy scalar
        np.multiply(d, d, out=d)
        # torch divides by max(0, N - correction): 0 gives inf (or nan for 0 / 0).
        return np.asarray(np.sum(d, axis=axes, keepdims=keepdim) / builtins.max(0, n - correction))


def _var_backward(x: Tensor, grad: Tensor, axes: tuple, correction, full: bool) -> Tensor:
    """Gradient of the variance, with ``grad`` already shaped to broadcast against ``x``."""
    dof = _count(x._data.shape, axes) - correction
    mean_x = Mean.apply(x, axes, True, None)
    if full and dof <= 0:
        # As torch: 2 / 0 is inf, times (x - mean) gives inf, or nan where x equals the mean.
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(x._data == mean_x._data, np.nan, np.inf)
        return _scale_by(grad, w)
    scale = 2.0 / dof if dof != 0 else math.inf
    return grad * scale * (x - mean_x)


class Var(_Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdim, correction, full):
        ctx.axes, ctx.keepdim, ctx.correction, ctx.full = axes, keepdim, correction, full
        ctx.save_for_backward(a)
        return _variance(a._data, axes, keepdim, correction, "var")

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        g = _restore(grad, x._data.shape, ctx.axes, ctx.keepdim)
        return _var_backward(x, g, ctx.axes, ctx.correction, ctx.full), None, None, None, None


class Std(_Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdim, correction, full):
        ctx.axes, ctx.keepdim, ctx.correction, ctx.full = axes, keepdim, correction, full
        out = Tensor._make(np.sqrt(_variance(a._data, axes, keepdim, correction, "std")))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        g = _restore(grad, shape, ctx.axes, ctx.keepdim)
        std = _restore(out, shape, ctx.axes, ctx.keepdim)
        # d sqrt(v) = dv / (2 sqrt(v)); torch takes it as 0 where the std is 0 (all values
        # equal), where the true derivative does not exist. The safe denominator keeps
        # the masked-out branch finite, so double backward does not see inf * 0.
        zero = np.asarray(std._data == 0)
        g = _scale_by(g / (where(Tensor._make(zero), 1.0, std) * 2), ~zero)
        return _var_backward(x, g, ctx.axes, ctx.correction, ctx.full), None, None, None, None


def _var_args(input: Tensor, dim, unbiased, keepdim, correction):
    """Sorts out torch's two calling conventions: ``(dim, unbiased, keepdim)`` and ``(dim, *, correction)``."""
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError("var(): pass either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    full = dim is None or input._data.ndim == 0
    return input, _dims(dim, input._data.ndim), keepdim, correction, full


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Variance over ``dim``: ``sum((x - mean)**2) / (N - correction)``.

    Accepts torch's legacy form ``var(input, dim, unbiased, keepdim)`` (``unbiased=False`` is
    ``correction=0``) as well as ``var(input, dim, *, correction=1, keepdim=False)``.

    Example::

        >>> x.var(0, keepdim=True)          # Bessel-corrected
        >>> x.var(correction=0)             # population variance
    """
    return Var.apply(*_var_args(input, dim, unbiased, keepdim, correction))


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """Standard deviation over ``dim``: the square root of :func:`var` (same arguments)."""
    return Std.apply(*_var_args(input, dim, unbiased, keepdim, correction))


def var_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None) -> tuple:
    """``(var(input, ...), mean(input, dim, keepdim))`` in one call."""
    args = _var_args(input, dim, unbiased, keepdim, correction)
    return Var.apply(*args), Mean.apply(input, args[1], keepdim, None)


def std_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None) -> tuple:
    """``(std(input, ...), mean(input, dim, keepdim))`` in one call."""
    args = _var_args(input, dim, unbiased, keepdim, correction)
    return Std.apply(*args), Mean.apply(input, args[1], keepdim, None)


# --------------------------------------------------------------------- prod
class Prod(_Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdim, dt):
        x = a._data
        if dt is None and x.dtype.kind in "biu":
            dt = np.int64
        ctx.axes, ctx.keepdim = axes, keepdim
        out = Tensor._make(np.asarray(np.prod(x, axis=axes, keepdims=keepdim, dtype=dt)))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axes, shape = ctx.axes, x._data.shape
        if not shape:
            return grad, None, None, None  # the product of one element is that element
        g = _restore(grad, shape, axes, ctx.keepdim)
        zero = x._data == 0
        if not zero.any():
            return g * (_restore(out, shape, axes, ctx.keepdim) / x), None, None, None

        # With zeros, out / x is 0 / 0. The product of the *other* elements is
        #   p / x_i * (product of the zeros other than x_i),  p = product of the nonzeros.
        # Per slice, by its number of zeros:
        #   none:  p / x_i
        #   one:   p at the zero, and (that zero) * p / x_i elsewhere -- 0, but its
        #          derivative with respect to the zero is not;
        #   two:   (the other zero) * p at each zero, 0 elsewhere;
        #   more:  0.
        # "That zero" is written as s0 = sum of the zero elements, a value of 0 that
        # still carries their derivatives, so double backward is exact.
        zeros = np.sum(zero, axis=axes, keepdims=True)
        xs = where(Tensor._make(zero), 1.0, x)
        coef = Prod.apply(xs, axes, True, None) / xs
        ones = (zeros == 0) | ((zeros == 1) & zero)
        if not _state.enabled:
            return _scale_by(g * coef, ones), None, None, None  # values only: s0 is 0
        s0 = Sum.apply(_scale_by(x, zero), axes, True, None)
        m = (_const(ones, x) + s0 * _const((zeros == 1) & ~zero, x)
             + (s0 - x) * _const((zeros == 2) & zero, x))
        return g * coef * m, None, None, None


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of the elements over one dimension ``dim`` (all elements if None).

    Integer and bool inputs multiply as int64. The gradient is exact when the input
    holds zeros.
    """
    if dim is None:
        return Prod.apply(input, tuple(range(input._data.ndim)), False, _np_dtype(dtype))
    axis = _one_dim(dim, input._data.ndim, "prod")
    return Prod.apply(input, (axis,) if input._data.ndim else (), keepdim, _np_dtype(dtype))


# ----------------------------------------------------- max, min and friends
class _EvenlyDistributed(_Primitive):
    """A reduction that picks one value (amax, amin, median); ties share the gradient evenly."""
    nan_aware = False  # max() and median(): a NaN result sends the gradient to the NaN inputs

    @classmethod
    def forward(cls, ctx, a, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        out = Tensor._make(np.asarray(cls._value(a._data, axes, keepdim)))
        ctx.save_for_backward(a, out)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        picked = out._data if ctx.keepdim else out._data.reshape(_kept_shape(shape, ctx.axes))
        mask = x._data == picked
        if cls.nan_aware and np.isnan(picked).any():
            mask |= np.isnan(x._data) & np.isnan(picked)
        w = mask.astype(grad._data.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            w /= np.sum(mask, axis=ctx.axes, keepdims=True)
        return _scale_by(_restore(grad, shape, ctx.axes, ctx.keepdim), w), None, None


class Amax(_EvenlyDistributed):
    _value = staticmethod(lambda x, axes, keepdim: np.max(x, axis=axes, keepdims=keepdim))


class Amin(_EvenlyDistributed):
    _value = staticmethod(lambda x, axes, keepdim: np.min(x, axis=axes, keepdims=keepdim))


class Max(Amax):
    """``max(input)`` with no dim."""
    nan_aware = True


class Min(Amin):
    """``min(input)`` with no dim."""
    nan_aware = True


def _lower_median(x: np.ndarray, axes, keepdim):
    flat = x.reshape(-1)
    if flat.size == 0 or (flat.dtype.kind == "f" and np.isnan(flat).any()):
        return np.array(np.nan, dtype=x.dtype) if x.dtype.kind == "f" else np.zeros((), x.dtype)
    k = (flat.size - 1) // 2
    return np.partition(flat, k)[k]


class Median(_EvenlyDistributed):
    """``median(input)`` with no dim: the lower of the two middle values."""
    nan_aware = True
    _value = staticmethod(_lower_median)


class _SelectAlongDim(_Primitive):
    """max/min/median along one dim: the values and the indices they were taken from.

    The gradient flows only to the returned index, as in torch.
    """

    @classmethod
    def forward(cls, ctx, a, axis, keepdim):
        x = a._data
        ctx.in_shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        if x.ndim == 0:
            idx = np.zeros((), np.int64)
            values = x.copy()
        else:
            idx = cls._index(x, axis)  # keepdims shape
            values = np.take_along_axis(x, idx, axis)
            if not keepdim:
                idx, values = np.squeeze(idx, axis), np.squeeze(values, axis)
        ctx.idx = idx
        indices = Tensor._make(idx.astype(np.int64, copy=False))
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, grad_indices):
        shape, axis = ctx.in_shape, ctx.axis
        if not shape:
            return grad, None, None
        idx = ctx.idx if ctx.keepdim else np.expand_dims(ctx.idx, axis)
        positions = np.arange(shape[axis]).reshape([-1 if i == axis else 1 for i in range(len(shape))])
        onehot = positions == idx
        return _scale_by(_restore(grad, shape, (axis,), ctx.keepdim), onehot), None, None


class MaxDim(_SelectAlongDim):
    _index = staticmethod(lambda x, axis: np.argmax(x, axis=axis, keepdims=True))


class MinDim(_SelectAlongDim):
    _index = staticmethod(lambda x, axis: np.argmin(x, axis=axis, keepdims=True))


def _median_index(x: np.ndarray, axis: int) -> np.ndarray:
    k = (x.shape[axis] - 1) // 2
    idx = np.take(np.argpartition(x, k, axis=axis), [k], axis=axis)
    if x.dtype.kind == "f":
        nans = np.isnan(x)
        if nans.any():
            # A slice holding NaN has median NaN; point at its first NaN.
            has_nan = nans.any(axis=axis, keepdims=True)
            idx = np.where(has_nan, np.argmax(nans, axis=axis, keepdims=True), idx)
    return idx


class MedianDim(_SelectAlongDim):
    _index = staticmethod(_median_index)


def _check_nonempty(name: str, x: np.ndarray, axes: tuple, all_dims: bool) -> None:
    """torch refuses max-like reductions over empty dimensions: they have no identity."""
    if x.size:
        return
    if all_dims:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


def _select(name: str, full_cls, dim_cls, result_type, input: Tensor, dim, keepdim: bool):
    x = input._data
    if dim is None:
        _check_nonempty(name, x, (), True)
        return full_cls.apply(input, tuple(range(x.ndim)), False)
    axis = _one_dim(dim, x.ndim, name)
    _check_nonempty(name, x, (axis,) if x.ndim else (), False)
    values, indices = dim_cls.apply(input, axis, keepdim)
    return result_type(values, indices)


def max(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None):
    """The largest element, or ``(values, indices)`` along ``dim``, or ``maximum(input, other)``.

    * ``max(input)``: a 0-d tensor; ties share the gradient evenly.
    * ``max(input, dim, keepdim=False)``: a namedtuple ``(values, indices)``; the gradient goes
      to the returned index.
    * ``max(input, other)``: the elementwise :func:`maximum`.

    Example::

        >>> values, indices = glasstorch.tensor([[1., 5.], [7., 2.]]).max(dim=1)
    """
    if other is not None or isinstance(dim, Tensor):
        return maximum(input, dim if other is None else other)
    return _select("max", Max, MaxDim, max_result, input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None):
    """The smallest element, or ``(values, indices)`` along ``dim``, or ``minimum(input, other)``.

    See :func:`max` for the three forms.
    """
    if other is not None or isinstance(dim, Tensor):
        return minimum(input, dim if other is None else other)
    return _select("min", Min, MinDim, min_result, input, dim, keepdim)


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of all elements, or ``(values, indices)`` along ``dim``.

    NaN propagates. Along a dim with ties, the returned index may differ from torch's
    (torch documents it as unspecified).
    """
    x = input._data
    if dim is None:
        return Median.apply(input, tuple(range(x.ndim)), False)
    axis = _one_dim(dim, x.ndim, "median")
    _check_nonempty("median", x, (axis,) if x.ndim else (), False)
    values, indices = MedianDim.apply(input, axis, keepdim)
    return median_result(values, indices)


def _amaxmin(name: str, cls, input: Tensor, dim, keepdim: bool) -> Tensor:
    x = input._data
    axes = _dims(dim, x.ndim)
    _check_nonempty(name, x, axes, dim is None or (isinstance(dim, (tuple, list)) and not dim))
    return cls.apply(input, axes, keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (all dimensions if empty); ties share the gradient evenly."""
    return _amaxmin("amax", Amax, input, dim, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over ``dim`` (all dimensions if empty); ties share the gradient evenly."""
    return _amaxmin("amin", Amin, input, dim, keepdim)


def _arg(name: str, fn, input: Tensor, dim, keepdim: bool) -> Tensor:
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        out = np.asarray(fn(x), dtype=np.int64)  # an index into the flattened (C-order) tensor
        return Tensor._make(out.reshape((1,) * x.ndim) if keepdim else out)
    axis = _one_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    _check_nonempty(name, x, (axis,), False)
    return Tensor._make(np.asarray(fn(x, axis=axis, keepdims=keepdim), dtype=np.int64))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element over ``dim`` (into the flattened tensor if None); the first at ties."""
    return _arg("argmax", np.argmax, input, dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element over ``dim`` (into the flattened tensor if None); the first at ties."""
    return _arg("argmin", np.argmin, input, dim, keepdim)


# ---------------------------------------------------------------- logsumexp
def _shifted_exp_sum(x: np.ndarray, axes: tuple):
    """``(sum(exp(x - m)), m)`` with ``m`` the max over ``axes`` (kept dims): exp never overflows.

    An infinite max is replaced by 0, so rows of -inf give log(0) = -inf and rows
    holding +inf give inf, instead of inf - inf = nan.
    """
    if x.size:
        m = np.max(x, axis=axes, keepdims=True)
        m = np.where(np.isinf(m), 0, m)
    else:
        m = np.zeros(_kept_shape(x.shape, axes), x.dtype)
    e = x - m
    np.exp(e, out=e)
    return np.sum(e, axis=axes, keepdims=True), m


class LogSumExp(_Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        x = _float_data(a)
        if x.ndim == 0:
            x = x.reshape(1)
        s, m = _shifted_exp_sum(x, axes if a._data.ndim else (0,))
        with np.errstate(divide="ignore"):
            out = np.log(s)
        out += m
        if not keepdim or a._data.ndim == 0:
            out = out.reshape(_reduced_shape(a._data.shape, axes, keepdim))
        out = Tensor._make(out)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape = x._data.shape
        g = _restore(grad, shape, ctx.axes, ctx.keepdim)
        return g * exp(x - _restore(out, shape, ctx.axes, ctx.keepdim)), None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))``, computed without overflow (inputs of 1e4 are fine).

    Integer inputs give the default float dtype.
    """
    return LogSumExp.apply(input, _dims(dim, input._data.ndim), keepdim)


# ------------------------------------------------------- softmax, log_softmax
class Softmax(_Primitive):
    @staticmethod
    def forward(ctx, a, axis):
        x = a._data
        ctx.dim = axis
        if x.size == 0:
            out = np.empty_like(x)
        else:
            flat = x.reshape(1) if x.ndim == 0 else x
            e = flat - np.max(flat, axis=axis, keepdims=True)
            np.exp(e, out=e)
            e /= np.sum(e, axis=axis, keepdims=True)
            out = e.reshape(x.shape)
        out = Tensor._make(out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        # One fused formula: dx = y * (g - sum(g * y)).
        return (grad - sum(grad * y, ctx.dim, keepdim=True)) * y, None


class LogSoftmax(_Primitive):
    @staticmethod
    def forward(ctx, a, axis):
        x = a._data
        ctx.dim = axis
        if x.size == 0:
            out = np.empty_like(x)
        else:
            flat = x.reshape(1) if x.ndim == 0 else x
            shifted = flat - np.max(flat, axis=axis, keepdims=True)
            lse = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
            shifted -= lse
            out = shifted.reshape(x.shape)
        out = Tensor._make(out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        # One fused formula: dx = g - softmax(x) * sum(g), with softmax(x) = exp(y).
        return grad - exp(y) * sum(grad, ctx.dim, keepdim=True), None


def _softmax_args(name: str, input: Tensor, dim, stacklevel, dtype):
    if not isinstance(stacklevel, int):  # torch.softmax(x, dim, dtype) and x.softmax(dim, dtype)
        dtype = stacklevel
    if dtype is not None and _dtype.to_dtype(dtype).np != input._data.dtype:
        input = cast(input, dtype)
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}_lastdim_kernel_impl\" not implemented for '{_type_name(x)}'")
    if dim is None:
        # torch.nn.functional's legacy choice when no dim is given.
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return input, _one_dim(dim, x.ndim, name)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x), dim)``, computed stably (logits of 1e4 give no inf or NaN).

    Args:
        input: a floating point tensor.
        dim: the dimension the probabilities sum to 1 over.
        dtype: cast the input to this dtype first.
    """
    return Softmax.apply(*_softmax_args("softmax", input, dim, _stacklevel, dtype))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x - logsumexp(x, dim)``: the log of :func:`softmax`, computed stably.

    Args:
        input: a floating point tensor.
        dim: the dimension to normalize over.
        dtype: cast the input to this dtype first.
    """
    return LogSoftmax.apply(*_softmax_args("log_softmax", input, dim, _stacklevel, dtype))


# --------------------------------------------------------------------- norm
class VectorNorm(_Primitive):
    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        x = a._data
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        if p == 2:
            out = np.sqrt(np.sum(np.square(x), axis=axes, keepdims=keepdim))
        elif p == 1:
            out = np.sum(np.abs(x), axis=axes, keepdims=keepdim)
        elif p == math.inf:
            out = np.max(np.abs(x), axis=axes, keepdims=keepdim)
        elif p == -math.inf:
            out = np.min(np.abs(x), axis=axes, keepdims=keepdim)
        elif p == 0:
            out = np.sum(x != 0, axis=axes, keepdims=keepdim, dtype=x.dtype)
        else:
            with np.errstate(divide="ignore"):
                out = np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)
        out = Tensor._make(np.asarray(out, dtype=x.dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p, axes, shape = ctx.p, ctx.axes, x._data.shape
        g = _restore(grad, shape, axes, ctx.keepdim)
        norm = _restore(out, shape, axes, ctx.keepdim)
        if p == 0:
            return Tensor._make(np.zeros(shape, x._data.dtype)), None, None, None
        if p == 1:
            return sign(x) * g, None, None, None
        if math.isinf(p):
            # Like amax of |x|: ties share the gradient evenly (NaNs count as ties).
            ax = np.abs(x._data)
            mask = (ax == norm._data) | np.isnan(ax)
            w = mask.astype(x._data.dtype)
            with np.errstate(invalid="ignore", divide="ignore"):
                w /= np.sum(mask, axis=axes, keepdims=True)
            return sign(x) * _scale_by(g, w), None, None, None
        if p < 1:
            # |x|**(p-1) is inf at 0; torch takes the gradient there as 0.
            at_zero = Tensor._make(np.asarray(x._data == 0))
            return sign(x) * where(at_zero, 1.0, _abs(x)) ** (p - 1) * g * norm ** (1 - p), None, None, None
        # At a zero norm (all x == 0) the gradient is taken as 0, as in torch, not 0 / 0.
        zero = np.asarray(norm._data == 0)
        safe = where(Tensor._make(zero), 1.0, norm)
        scale = _scale_by(g / (safe if p == 2 else safe ** (p - 1)), ~zero)
        if p == 2:
            return x * scale, None, None, None
        if p < 2:
            return sign(x) * _abs(x) ** (p - 1) * scale, None, None, None
        return x * _abs(x) ** (p - 2) * scale, None, None, None


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over ``dim`` (all elements if None): ``sum(|x|**p) ** (1/p)``.

    ``p`` may be 'fro' (the 2-norm over one or two dims), a float, ``inf`` (max |x|),
    ``-inf`` (min |x|) or 0 (the number of nonzeros). The nuclear norm ('nuc') is not
    implemented. The gradient at a zero vector is 0, as in torch.

    Args:
        input: a floating point tensor.
        p: the order of the norm.
        dim: a dimension or tuple of dimensions to reduce.
        keepdim: keep the reduced dimensions with size 1.
        dtype: compute and return in this dtype (it must not lose precision).
    """
    x = input._data
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("glasstorch does not implement the nuclear norm ('nuc')")
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
        p = 2.0
    p = 2.0 if p is None else float(p)
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_type_name(x)}")
    if dtype is not None:
        dt = _dtype.to_dtype(dtype).np
        if dt.kind != "f" or dt.itemsize < x.dtype.itemsize:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({_type_name(x)}) should be "
                               f"convertible without narrowing to the specified dtype ({_TYPE_NAMES[dt.name]})")
        if dt != x.dtype:
            input = cast(input, dtype)
    axes = _dims(dim, x.ndim)
    if math.isinf(p) and x.size == 0:
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
                               "operation does not have an identity")
        for a in axes:
            if x.shape[a] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the inf norm on the dimension {a} because "
                                   "this dimension is empty and the operation does not have an identity")
    return VectorNorm.apply(input, p, axes, keepdim)


# ---------------------------------------------------------- cumsum, cumprod
class CumSum(_Primitive):
    @staticmethod
    def forward(ctx, a, axis, reverse, dt):
        x = a._data
        if dt is None and x.dtype.kind in "biu":
            dt = np.int64
        ctx.axis, ctx.reverse = axis, reverse
        if x.ndim == 0:
            return x.astype(dt or x.dtype)
        if reverse:  # sums from the end: the adjoint of cumsum
            return np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=dt), axis)
        return np.cumsum(x, axis=axis, dtype=dt)

    @staticmethod
    def backward(ctx, grad):
        return CumSum.apply(grad, ctx.axis, not ctx.reverse, None), None, None, None


class CumProd(_Primitive):
    @staticmethod
    def forward(ctx, a, axis, dt):
        x = a._data
        if dt is None and x.dtype.kind in "biu":
            dt = np.int64
        ctx.axis = axis
        out = Tensor._make(x.astype(dt or x.dtype) if x.ndim == 0 else np.cumprod(x, axis=axis, dtype=dt))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if x._data.ndim == 0:
            return grad, None, None
        return _cumprod_backward(x, out, grad, ctx.axis), None, None


def _cumprod_backward(x: Tensor, out: Tensor, grad: Tensor, axis: int) -> Tensor:
    """Gradient of ``out = cumprod(x)``: ``dx_i = sum_{j >= i} g_j * prod_{k <= j, k != i} x_k``."""
    def rcumsum(t):
        return CumSum.apply(t, axis, True, None)

    zero = x._data == 0
    if not zero.any():
        return rcumsum(grad * out) / x
    # Zeros: split each slice at its first zero k0. Before it, out_j / x_i is still exact.
    # At k0, the products skip x_k0: they are cumprod(xs), with xs = x where x_k0 is 1.
    # After k0 every product holds x_k0, so the values are 0.
    seen = np.cumsum(zero, axis=axis)
    first = zero & (seen == 1)
    xs = where(Tensor._make(first), 1.0, x)
    out2 = CumProd.apply(xs, axis, None)
    if not _state.enabled:
        before = seen == 0
        g_before = _scale_by(rcumsum(grad * out) / where(Tensor._make(~before), 1.0, x), before)
        return g_before + _scale_by(rcumsum(grad * out2), first)
    # Double backward needs the exact first derivative of the zero values after k0 too:
    # there out_j = x_k0 * cumprod(xs)_j, so their gradient is x_k0 times the cumprod
    # gradient of xs. x_k0 enters as s0, the sum of the first zeros (value 0).
    after = seen >= 1
    s0 = Sum.apply(_scale_by(x, first), (axis,), True, None)
    at_first = _scale_by(rcumsum(_scale_by(grad, after) * out2), first)
    rest = _cumprod_backward(xs, out2, _scale_by(grad, ~after) + s0 * _scale_by(grad, after), axis)
    return at_first + _scale_by(rest, ~first)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along ``dim``; integer and bool inputs give int64."""
    return CumSum.apply(input, _one_dim(dim, input._data.ndim, "cumsum"), False, _np_dtype(dtype))


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative product along ``dim``; integer and bool inputs give int64. Exact gradients with zeros."""
    return CumProd.apply(input, _one_dim(dim, input._data.ndim, "cumprod"), _np_dtype(dtype))


# -------------------------------------------------- logical and counting
def _logical(fn, input: Tensor, dim, keepdim: bool) -> Tensor:
    x = input._data
    # dim=() reduces nothing here (unlike sum, where it means every dim), as in torch.
    axes = () if isinstance(dim, (tuple, list)) and not dim else _dims(dim, x.ndim)
    out = np.asarray(fn(x, axis=axes, keepdims=keepdim))
    return Tensor._make(out.astype(np.uint8) if x.dtype == np.uint8 else out)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element over ``dim`` is nonzero (all dims if None). bool, or uint8 for uint8 input."""
    return _logical(np.all, input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element over ``dim`` is nonzero (all dims if None). bool, or uint8 for uint8 input."""
    return _logical(np.any, input, dim, keepdim)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements over ``dim`` (all dims if None), as int64."""
    axes = _dims(dim, input._data.ndim)
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))


# ------------------------------------------------------------------ differences and areas
aminmax_result = namedtuple("aminmax", ["min", "max"])


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """``(min, max)`` over all elements, or along ``dim``, as a namedtuple."""
    if dim is None:
        return aminmax_result(amin(input, (), keepdim), amax(input, (), keepdim))
    return aminmax_result(amin(input, dim, keepdim), amax(input, dim, keepdim))


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``, applied ``n`` times,
    after ``prepend`` and ``append`` are joined on."""
    from .shape import cat, narrow
    d = _wrap_dim(dim, input._data.ndim)
    x = input
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, input, append) if t is not None], d)
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        later, earlier = narrow(x, d, 1, size - 1), narrow(x, d, 0, size - 1)
        x = (later != earlier) if x._data.dtype == np.bool_ else later - earlier
    return x


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``: spacing ``dx`` (default 1), or sample points ``x``."""
    from .shape import narrow
    d = _wrap_dim(dim, y._data.ndim)
    size = y.shape[d]
    if size == 0:
        return sum(y, d)
    pairs = (narrow(y, d, 1, size - 1) + narrow(y, d, 0, size - 1)) * 0.5
    if x is None:
        return sum(pairs, d) * (1.0 if dx is None else dx)
    if x._data.ndim == 1:
        spacing = diff(x)
        spacing = reshape(spacing, (-1,) + (1,) * (y._data.ndim - 1 - d))
    else:
        spacing = diff(x, dim=dim)
    return sum(pairs * spacing, d)


__all__ = [
    "sum", "mean", "nansum", "nanmean", "var", "std", "var_mean", "std_mean", "prod",
    "max", "min", "median", "amax", "amin", "argmax", "argmin", "logsumexp", "softmax", "log_softmax",
    "norm", "cumsum", "cumprod", "all", "any", "count_nonzero", "aminmax", "diff", "trapezoid",
]
