"""Normalization: batch_norm, layer_norm, group_norm (primitives), instance_norm and rms_norm (composite).

Every normalization computes ``xhat = (x - mean) * invstd`` over some axes,
then an optional affine map ``xhat * weight + bias``. Differentiating through
the mean and variance by hand gives one fused formula for the input gradient::

    dx = invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))     gxhat = grad * weight

which is much cheaper than the ten nodes the composite form would record.

Double backward: the backward formulas are written with glasstorch ops. Without
``create_graph`` they read ``xhat`` and ``invstd`` saved by forward, as plain
constants. With ``create_graph`` those constants would hide their dependence on
``x``, so backward rebuilds them from the saved input with differentiable ops;
the formula is then differentiated like any other graph.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .._tensor import Tensor, _TYPE_NAMES
from .. import _dtype, _parallel
from ..autograd.function import _Primitive
from ..autograd.grad_mode import _state
from .shape import reshape

_Shape = Sequence[int]


# ------------------------------------------------------------------ helpers
def _type_name(a: np.ndarray) -> str:
    return _TYPE_NAMES[_dtype.from_numpy_dtype(a.dtype).name]


def _require_float(x: Tensor, kernel: str) -> None:
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(x._data)}'")


def _check_same_dtype(x: Tensor, *others) -> None:
    """torch's CPU kernels refuse parameters of another float type than the input."""
    for t in others:
        if t is not None and t._data.dtype != x._data.dtype:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of "
                               f"{_type_name(x._data)}")


def _subscripts(shape: tuple, axes: tuple) -> tuple:
    """einsum subscripts of an array of ``shape`` and of its reduction over ``axes``, and the keepdim shape."""
    subs = "abcdefghijklmnopqrstuvwxyz"[:len(shape)]
    kept = "".join(c for i, c in enumerate(subs) if i not in axes)
    return subs, kept, tuple(1 if i in axes else s for i, s in enumerate(shape))


def _stats(x: np.ndarray, axes: tuple, eps: float):
    """``xhat`` (a fresh array), ``invstd``, mean and biased variance over ``axes`` (the last three keepdims)."""
    # einsum sums (and sums squares) without the temporary arrays of x.mean() and np.square(x).mean().
    subs, kept, kept_shape = _subscripts(x.shape, axes)
    count = math.prod(x.shape[i] for i in axes)
    mean = np.einsum(f"{subs}->{kept}", x).reshape(kept_shape) / count
    xhat = x - mean
    var = np.einsum(f"{subs},{subs}->{kept}", xhat, xhat).reshape(kept_shape) / count
    invstd = 1.0 / np.sqrt(var + eps)  # NumPy arrays and Python floats: float32 stays float32
    xhat *= invstd
    return xhat, invstd, mean, var


def _stats_of(x: Tensor, axes: tuple, eps: float):
    """The same statistics as ``_stats`` but with glasstorch ops, so that they depend on ``x`` in the graph."""
    xc = x - x.mean(axes, keepdim=True)
    invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    return xc * invstd, invstd


class ProductSum(_Primitive):
    """``(a * b).sum(axes)`` for two tensors of one shape, in one pass: einsum never builds ``a * b``.

    The backward reductions of every normalization are of this form (``sum(grad * xhat)``).
    """

    @staticmethod
    def forward(ctx, a, b, axes):
        subs, kept, ctx.kept_shape = _subscripts(a._data.shape, axes)
        ctx.save_for_backward(a, b)
        return np.asarray(np.einsum(f"{subs},{subs}->{kept}", a._data, b._data))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        g = reshape(grad, ctx.kept_shape)
        return (g * b if ctx.needs_input_grad[0] else None, g * a if ctx.needs_input_grad[1] else None, None)


def _product_sum(a: Tensor, b: Tensor, axes: tuple, keepdim: bool = False) -> Tensor:
    if not axes:  # nothing to reduce
        return a * b
    out = ProductSum.apply(a, b, axes)
    return reshape(out, _subscripts(a.shape, axes)[2]) if keepdim else out


def _normalize_grad(gxhat: Tensor, xhat: Tensor, invstd: Tensor, axes: tuple) -> Tensor:
    """The input gradient of ``xhat = (x - mean(x)) * invstd(x)``, given the gradient ``gxhat`` of ``xhat``."""
    inv_count = 1.0 / max(math.prod(xhat.shape[i] for i in axes), 1)
    proj = _product_sum(gxhat, xhat, axes, keepdim=True) * inv_count  # mean(gxhat * xhat)
    return (gxhat - gxhat.mean(axes, keepdim=True) - xhat * proj) * invstd


def _affine(xhat: np.ndarray, w: np.ndarray | None, b: np.ndarray | None) -> np.ndarray:
    """``xhat * w + b``, always a new array: backward keeps ``xhat``, and an in-place op on the
    output (a following ``relu_``) must not change it."""
    if w is None and b is None:
        return xhat.copy()
    out = xhat * w if w is not None else xhat.copy()
    if b is not None:
        out += b
    return out


# ------------------------------------------------------------------ batch norm
def _channel_shape(ndim: int, c: int) -> tuple:
    """The shape that broadcasts a per-channel (C,) vector over (N, C, *)."""
    return (1, c) + (1,) * (ndim - 2)


# Batch norm on (N, C, *) arrays runs in slabs of samples, in parallel: per-channel sums are
# added up from each slab's partial sums, and the elementwise passes work slab by slab.
def _channel_sums(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Per-channel sums of ``a`` (or of ``a * b``) over dims 0 and 2, for (N, C, S) arrays.

    float16 is summed in float32 (as torch accumulates it), so that large channels do not overflow.
    """
    acc = np.float32 if a.dtype == np.float16 else a.dtype
    if b is None:
        parts = _parallel.split(lambda lo, hi: np.einsum("ncs->c", a[lo:hi], dtype=acc), a.shape[0], a.size)
    else:
        parts = _parallel.split(lambda lo, hi: np.einsum("ncs,ncs->c", a[lo:hi], b[lo:hi], dtype=acc),
                                a.shape[0], a.size)
    return parts[0] if len(parts) == 1 else np.sum(parts, axis=0, dtype=acc)


def _batch_stats(a: np.ndarray, eps: float, w: np.ndarray | None, b: np.ndarray | None):
    """Training-mode batch norm of ``a`` (N, C, S): ``xhat``, the output, invstd, mean, biased var."""
    n = a.shape[0] * a.shape[2]
    mean = (_channel_sums(a) / n)[:, None]
    xhat = np.empty(a.shape, a.dtype)

    def center(lo, hi):
        np.subtract(a[lo:hi], mean, out=xhat[lo:hi])

    _parallel.split(center, a.shape[0], a.size)
    var = (_channel_sums(xhat, xhat) / n)[:, None]
    invstd = (1.0 / np.sqrt(var + eps)).astype(a.dtype, copy=False)
    mean, var = mean.astype(a.dtype, copy=False), var.astype(a.dtype, copy=False)
    # The output is a new array: backward keeps xhat, and an in-place op on the output
    # (a following relu_) must not change it.
    out = np.empty(a.shape, a.dtype)

    def scale_shift(lo, hi):
        xs, o = xhat[lo:hi], out[lo:hi]
        xs *= invstd
        if w is not None:
            np.multiply(xs, w, out=o)
        else:
            o[...] = xs
        if b is not None:
            o += b

    _parallel.split(scale_shift, a.shape[0], a.size)
    return xhat, out, invstd, mean, var


def _batch_norm_grads(g: np.ndarray, xhat: np.ndarray, scale: np.ndarray, need_x: bool):
    """Training-mode batch-norm gradients from arrays (N, C, S): dx (or None), dw and db per channel.

    ``scale`` is weight * invstd per channel, shaped (C, 1). The formula is the one of
    ``NativeBatchNorm.backward``, in NumPy and in slabs: dx = scale * (g - db/n - xhat * dw/n).
    """
    n = g.shape[0] * g.shape[2]
    db_sum = _channel_sums(g)        # float32 for float16 input
    dw_sum = _channel_sums(g, xhat)
    with np.errstate(over="ignore"):  # float16 sums past 65504 become inf, as in torch
        dw, db = dw_sum.astype(g.dtype, copy=False), db_sum.astype(g.dtype, copy=False)
    if not need_x:
        return None, dw, db
    k_x = (scale * dw_sum[:, None] / max(n, 1)).astype(g.dtype, copy=False)
    k_0 = (scale * db_sum[:, None] / max(n, 1)).astype(g.dtype, copy=False)
    dx = np.empty(g.shape, g.dtype)

    def slab(lo, hi):
        d = dx[lo:hi]
        np.multiply(g[lo:hi], scale, out=d)
        d -= xhat[lo:hi] * k_x
        d -= k_0

    _parallel.split(slab, g.shape[0], g.size)
    return dx, dw, db


class NativeBatchNorm(_Primitive):
    """Normalizes each channel (dim 1) over the batch and spatial dims.

    ``training``: use the batch statistics, and update the running ones in place;
    otherwise use ``running_mean`` / ``running_var`` (constants).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        a = x._data
        c = a.shape[1]
        axes = (0,) + tuple(range(2, a.ndim))
        cshape = _channel_shape(a.ndim, c)
        n = a.size // c if c else 0
        w = weight._data.reshape(cshape) if weight is not None else None
        b = bias._data.reshape(cshape) if bias is not None else None
        ctx.axes, ctx.cshape, ctx.training, ctx.eps, ctx.n = axes, cshape, training, eps, n
        if training:
            if n == 0:  # an empty batch: nothing to normalize, nothing to learn from
                xhat = a.copy()
                invstd = np.ones(cshape, a.dtype)
                out = _affine(xhat, w, b)
            else:
                a3 = a.reshape(a.shape[0], c, -1)
                xhat, out, invstd, mean, var = _batch_stats(
                    a3, eps, None if w is None else w.reshape(c, 1), None if b is None else b.reshape(c, 1))
                xhat, out, invstd = xhat.reshape(a.shape), out.reshape(a.shape), invstd.reshape(cshape)
                if running_mean is not None:
                    _update_running(running_mean, mean.reshape(c), momentum)
                if running_var is not None:
                    # The running variance is unbiased; the normalization uses the biased one.
                    _update_running(running_var, var.reshape(c) * (n / max(n - 1, 1)), momentum)
            ctx.xhat = xhat
        else:
            mean = running_mean._data.reshape(cshape)
            invstd = 1.0 / np.sqrt(running_var._data.reshape(cshape) + eps)
            # Everything is per channel here: fold it into one scale and one shift, one pass over x.
            scale = invstd if w is None else invstd * w
            shift = -mean * scale if b is None else b - mean * scale
            out = a * scale
            out += shift
            ctx.mean = mean.copy()  # the buffer may change before backward
        ctx.invstd = invstd.astype(a.dtype, copy=False)
        ctx.save_for_backward(x, weight)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        axes, cshape, n = ctx.axes, ctx.cshape, ctx.n
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        record = _state.enabled  # create_graph: statistics must stay functions of x
        if ctx.training and not record and n > 0 and grad._data.shape == x._data.shape:
            # Without create_graph the same formula runs on arrays, fused and in parallel.
            g = grad._data
            c = g.shape[1]
            invstd = ctx.invstd.reshape(c, 1)
            scale = invstd if weight is None else weight._data.reshape(c, 1) * invstd
            dx, dw, db = _batch_norm_grads(g.reshape(g.shape[0], c, -1), ctx.xhat.reshape(g.shape[0], c, -1),
                                           scale, need_x)
            return (Tensor._make(dx.reshape(g.shape)) if need_x else None,
                    Tensor._make(dw) if need_w else None, Tensor._make(db) if need_b else None,
                    None, None, None, None, None)
        if ctx.training and record and n > 0:
            xhat, invstd = _stats_of(x, axes, ctx.eps)
        else:
            invstd = Tensor._make(ctx.invstd)
            if ctx.training:
                xhat = Tensor._make(ctx.xhat)
            elif need_w or (need_x and record):
                xhat = (x - Tensor._make(ctx.mean)) * invstd
            else:
                xhat = None
        db = grad.sum(axes) if (need_b or (need_x and ctx.training)) else None
        dw = _product_sum(grad, xhat, axes) if (need_w or (need_x and ctx.training)) else None
        dx = None
        if need_x:
            scale = invstd if weight is None else reshape(weight, cshape) * invstd
            if ctx.training:
                # mean(gxhat) = w * db / n and mean(gxhat * xhat) = w * dw / n: the two sums are shared.
                inv_n = 1.0 / max(n, 1)
                dx = (grad - reshape(db, cshape) * inv_n - xhat * reshape(dw, cshape) * inv_n) * scale
            else:
                dx = grad * scale
        return (dx, dw if need_w else None, db if need_b else None, None, None, None, None, None)


def _update_running(stat: Tensor, value: np.ndarray, momentum: float) -> None:
    """``stat = (1 - momentum) * stat + momentum * value``, in place (torch's formula), outside autograd."""
    arr = stat._data
    arr *= 1.0 - momentum
    arr += (momentum * value).astype(arr.dtype, copy=False)
    stat._version.value += 1


def _verify_batch_size(size) -> None:
    values = size[0]
    for s in size[2:]:
        values *= s
    if values == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _check_channel_vector(name: str, t: Tensor | None, c: int) -> None:
    if t is not None and t._data.size != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    r"""Applies Batch Normalization for each channel across a batch of data.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, with the statistics taken over every
    dim but the channel dim 1. In training the batch statistics are used and the running ones
    updated in place: ``running = (1 - momentum) * running + momentum * batch_stat`` (the running
    variance uses the unbiased batch variance). Otherwise the running statistics are used.

    Args:
        input: (N, C) or (N, C, *).
        running_mean, running_var: (C,) buffers, or None (then batch statistics are always used).
        weight, bias: optional (C,) affine parameters.
        training: use batch statistics (and update the running ones).
        momentum: the weight of the new batch statistics in the running ones.
        eps: added to the variance for numerical stability.

    Example::

        >>> x = glasstorch.randn(8, 3, 4, 4)
        >>> F.batch_norm(x, glasstorch.zeros(3), glasstorch.ones(3), training=True).shape
        glasstorch.Size([8, 3, 4, 4])
    """
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


def _batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps) -> Tensor:
    """``torch.batch_norm``: batch_norm without the Python-level argument checks (shared with instance_norm)."""
    if input._data.ndim < 2:
        # torch reads size(1) first, which fails like any out-of-range dim.
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(input._data.ndim, 1)}, "
                         f"{max(input._data.ndim, 1) - 1}], but got 1)")
    _require_float(input, "batch_norm")
    c = input._data.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        _check_channel_vector(name, t, c)
    if not training:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        if running_var is None:
            raise RuntimeError("running_var must be defined in evaluation mode")
    stats = [t for t in (running_mean, running_var) if t is not None]
    if any(t._data.dtype != input._data.dtype for t in stats):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    _check_same_dtype(input, weight, bias)
    return NativeBatchNorm.apply(input, weight, bias, running_mean, running_var, bool(training),
                                 float(momentum), float(eps))


def _verify_spatial_size(size) -> None:
    values = 1
    for s in size[2:]:
        values *= s
    if values == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    r"""Applies Instance Normalization: each channel of each sample is normalized on its own.

    Composite, as in torch: the input is viewed as one batch of N*C channels and passed through
    batch norm; running statistics are averaged over the batch afterwards.

    Args:
        input: (N, C, *).
        running_mean, running_var: optional (C,) buffers, updated in place when ``use_input_stats``.
        weight, bias: optional (C,) affine parameters.
        use_input_stats: normalize with the statistics of each instance (else the running ones).
        momentum, eps: as in :func:`batch_norm`.
    """
    if use_input_stats:
        _verify_spatial_size(input.size())
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    n, c = shape[0], shape[1]
    flat = reshape(input, (1, n * c) + shape[2:])
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    rm = Tensor._make(np.tile(running_mean._data, n)) if running_mean is not None else None
    rv = Tensor._make(np.tile(running_var._data, n)) if running_var is not None else None
    out = _batch_norm(flat, w, b, rm, rv, use_input_stats, momentum, eps)
    for stat, tiled in ((running_mean, rm), (running_var, rv)):
        if stat is not None and use_input_stats:
            stat._data[...] = tiled._data.reshape(n, c).mean(axis=0)
            stat._version.value += 1
    return reshape(out, shape)


# ------------------------------------------------------------------ layer norm
class NativeLayerNorm(_Primitive):
    """Normalizes over the last ``k`` dims; ``weight``/``bias`` have those dims' shape."""

    @staticmethod
    def forward(ctx, x, k, weight, bias, eps):
        a = x._data
        lead = a.shape[:a.ndim - k]
        m = math.prod(lead)
        size = math.prod(a.shape[a.ndim - k:])
        if a.size == 0:
            xhat, invstd = a.copy(), np.ones(lead + (1,) * k, a.dtype)
        else:
            # One reduced axis, whatever k is: the statistics of each row of an (m, size) view.
            xhat, invstd, _, _ = _stats(a.reshape(m, size), (1,), eps)
            xhat = xhat.reshape(a.shape)
            invstd = invstd.reshape(lead + (1,) * k)
        ctx.xhat, ctx.invstd, ctx.k, ctx.eps = xhat, invstd, k, eps
        ctx.save_for_backward(x, weight)
        return _affine(xhat, None if weight is None else weight._data, None if bias is None else bias._data)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, _, need_w, need_b = ctx.needs_input_grad[:4]
        nd = x.dim()
        norm_axes = tuple(range(nd - ctx.k, nd))
        lead_axes = tuple(range(nd - ctx.k))
        if _state.enabled and x.numel() > 0:
            xhat, invstd = _stats_of(x, norm_axes, ctx.eps)
        else:
            xhat, invstd = Tensor._make(ctx.xhat), Tensor._make(ctx.invstd)
        dx = dw = db = None
        if need_x:
            gxhat = grad if weight is None else grad * weight
            dx = _normalize_grad(gxhat, xhat, invstd, norm_axes)
        if need_w:
            dw = _product_sum(grad, xhat, lead_axes)
        if need_b:
            db = grad.sum(lead_axes) if lead_axes else grad  # sum(dim=()) would reduce every dim
        return dx, None, dw, db, None


def _check_normalized_shape(input: Tensor, normalized_shape, fname: str) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)) or not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
                           "one element, but got normalized_shape = []")
    k = len(shape)
    if input._data.ndim < k or input._data.shape[-k:] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    return shape


def layer_norm(input: Tensor, normalized_shape: _Shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-05) -> Tensor:
    r"""Applies Layer Normalization over the last ``len(normalized_shape)`` dims.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, with the (biased) statistics of each
    sample over those dims.

    Args:
        input: (*, *normalized_shape).
        normalized_shape: the trailing shape to normalize over (a tuple or list).
        weight, bias: optional tensors of shape ``normalized_shape``.
        eps: added to the variance for numerical stability.

    Example::

        >>> F.layer_norm(glasstorch.randn(2, 5, 10), (10,)).shape
        glasstorch.Size([2, 5, 10])
    """
    shape = _check_normalized_shape(input, normalized_shape, "layer_norm")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t._data.shape)} and normalized_shape = {list(shape)}")
    _require_float(input, "LayerNormKernelImpl")
    _check_same_dtype(input, weight, bias)
    return NativeLayerNorm.apply(input, len(shape), weight, bias, float(eps))


def rms_norm(input: Tensor, normalized_shape: _Shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    r"""Applies Root Mean Square Layer Normalization: ``y = x / sqrt(mean(x**2) + eps) * weight``.

    Composite (four ops); the mean is over the last ``len(normalized_shape)`` dims.

    Args:
        input: (*, *normalized_shape).
        normalized_shape: the trailing shape to normalize over.
        weight: optional tensor of shape ``normalized_shape``.
        eps: added to the mean square; None means the machine epsilon of the input's dtype.
    """
    shape = _check_normalized_shape(input, normalized_shape, "rms_norm")
    if weight is not None and tuple(weight._data.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight._data.shape)} and normalized_shape = {list(shape)}")
    _require_float(input, "rms_norm")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    axes = tuple(range(-len(shape), 0))
    out = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


# ------------------------------------------------------------------ group norm
class NativeGroupNorm(_Primitive):
    """Splits the channels into groups and normalizes each group of each sample."""

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        a = x._data
        n, c = a.shape[0], a.shape[1]
        cshape = (c,) + (1,) * (a.ndim - 2)  # a per-channel vector, broadcast over (N, C, *)
        grouped = (n, groups, c // groups * math.prod(a.shape[2:]))
        if a.size == 0:
            xhat, invstd = a.copy(), np.ones((n, groups, 1), a.dtype)
        else:
            xhat, invstd, _, _ = _stats(a.reshape(grouped), (2,), eps)
            xhat = xhat.reshape(a.shape)
        ctx.xhat, ctx.invstd, ctx.grouped, ctx.eps, ctx.cshape = xhat, invstd, grouped, eps, cshape
        ctx.save_for_backward(x, weight)
        return _affine(xhat, None if weight is None else weight._data.reshape(cshape),
                       None if bias is None else bias._data.reshape(cshape))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        shape = tuple(x.shape)
        grouped = ctx.grouped
        param_axes = (0,) + tuple(range(2, len(shape)))
        if _state.enabled and x.numel() > 0:
            xhat3, invstd = _stats_of(reshape(x, grouped), (2,), ctx.eps)
            xhat = reshape(xhat3, shape)
        else:
            xhat, invstd = Tensor._make(ctx.xhat), Tensor._make(ctx.invstd)
            xhat3 = reshape(xhat, grouped)
        dx = dw = db = None
        if need_x:
            gxhat = grad if weight is None else grad * reshape(weight, ctx.cshape)
            dx = reshape(_normalize_grad(reshape(gxhat, grouped), xhat3, invstd, (2,)), shape)
        if need_w:
            dw = _product_sum(grad, xhat, param_axes)
        if need_b:
            db = grad.sum(param_axes)
        return dx, dw, db, None, None


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-05) -> Tensor:
    r"""Applies Group Normalization: the channels are split into ``num_groups`` groups, and each
    group of each sample is normalized over its channels and spatial positions.

    Args:
        input: (N, C, *), with C divisible by ``num_groups``.
        num_groups: the number of groups.
        weight, bias: optional (C,) per-channel affine parameters.
        eps: added to the variance for numerical stability.

    Example::

        >>> F.group_norm(glasstorch.randn(2, 6, 5), 3).shape
        glasstorch.Size([2, 6, 5])
    """
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    shape = list(input.shape)
    _verify_batch_size([shape[0] * shape[1] // num_groups, num_groups] + shape[2:])
    c = shape[1]
    if c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {shape} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t._data.shape)} and input of shape {shape}")
    _require_float(input, "group_norm")
    _check_same_dtype(input, weight, bias)
    return NativeGroupNorm.apply(input, weight, bias, int(num_groups), float(eps))


__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm"]
