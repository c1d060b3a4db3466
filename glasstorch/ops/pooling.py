"""Pooling: max, average and adaptive pooling in 1-D and 2-D.

Every kernel works on arrays shaped (*planes, H, W): any leading dims (batch,
channels, or just channels for unbatched input) are independent planes, and 1-D
pooling is 2-D pooling with H = 1.

Windows are visited one kernel tap at a time: tap (i, j) of every window
together form one strided slice of the padded input, of the output's shape. So a
pool is kh*kw vectorized steps whatever the stride, padding or dilation (and
kh + kw for average pooling, whose window sum is separable). This beats
reshaping to (..., Ho, kh, Wo, kw) and reducing two short axes, even when the
windows tile the input: NumPy reduces short strided axes slowly.

Gradients:

* average pooling is linear: its backward (``AvgPool2DBackward``) spreads each
  gradient evenly over its window, and the backward of that is average pooling
  again, so gradients of any order work. Adaptive average pooling is the same
  pair, written as ``A @ x @ B.T`` with constant averaging matrices.
* max pooling records the flat index (into each H*W plane, as torch's
  ``return_indices``) of every window's maximum; its backward scatters the
  gradient to those indices (``MaxPoolScatter``), whose backward is a gather
  (``MaxPoolGather``), whose backward is the scatter again.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import _compiled, _parallel
from .._tensor import Tensor
from ..autograd.function import _Primitive

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices"]


class _Geometry:
    """A pooling window layout in 2-D form: sizes, kernel, stride, padding, dilation (pairs)."""
    __slots__ = ("in_hw", "out_hw", "kernel", "stride", "padding", "dilation")

    def __init__(self, in_hw, out_hw, kernel, stride, padding, dilation=(1, 1)):
        self.in_hw = in_hw
        self.out_hw = out_hw
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation

    @property
    def disjoint(self) -> bool:
        """No input position belongs to two windows."""
        return all(s >= (k - 1) * d + 1 for s, k, d in zip(self.stride, self.kernel, self.dilation))

    def offsets(self):
        """(i, j, rows, cols): per kernel offset, the slices of the padded input it reads."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        ho, wo = self.out_hw
        for i in range(kh):
            for j in range(kw):
                yield i, j, slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)


def _padded(x: np.ndarray, g: _Geometry, fill) -> np.ndarray:
    """``x`` padded with ``fill`` so that every window lies inside: ``padding`` before, as much as needed after."""
    (h, w), (ph, pw) = g.in_hw, g.padding
    need = [(o - 1) * s + (k - 1) * d + 1 for o, s, k, d in zip(g.out_hw, g.stride, g.kernel, g.dilation)]
    hi_h, hi_w = max(need[0] - ph - h, 0), max(need[1] - pw - w, 0)
    if not (ph or pw or hi_h or hi_w):
        return x
    xp = np.full(x.shape[:-2] + (h + ph + hi_h, w + pw + hi_w), fill, x.dtype)
    xp[..., ph:ph + h, pw:pw + w] = x
    return xp


def _as2d(a: np.ndarray, nd: int) -> np.ndarray:
    return a[..., None, :] if nd == 1 else a


# ------------------------------------------------------------------ max pooling
def _lowest(dtype: np.dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _running_max(views, n_taps: int, dtype: np.dtype, init_tap, check_nan: bool):
    """The max over the window taps (in torch's scan order) and the number of the tap that holds it.

    Like torch, a tap replaces the running max when it is larger or NaN: the first maximum wins
    and NaN propagates (the last NaN is kept). Because the taps come in increasing order, the tap
    of the maximum is the largest k at which the max was replaced, which branch-free integer ops
    track much faster than masked copies of an index array. ``init_tap`` (broadcastable) is the
    answer when nothing replaces the initial -inf: torch's first tap inside the input; None means
    every window's first tap is inside, so the first tap starts the running max.
    ``check_nan`` may be False when the input has no NaN, which saves a pass per tap.
    """
    tap_type = np.int8 if n_taps < 128 else np.int32
    best = tap = better = step = None
    for k, v in enumerate(views):
        if best is None:
            better, step = np.empty(v.shape, np.bool_), np.empty(v.shape, tap_type)  # reused per tap
            if init_tap is None:
                best, tap = v.copy(), np.zeros(v.shape, tap_type)
                continue
            best = np.full(v.shape, _lowest(dtype), dtype)
            tap = np.empty(v.shape, tap_type)
            tap[...] = init_tap
        np.greater(v, best, out=better)
        if check_nan:
            better |= np.isnan(v)
        np.maximum(best, v, out=best)   # NaN-propagating, like torch
        np.multiply(better, tap_type(k), out=step)
        np.maximum(tap, step, out=tap)
    return best, tap


def _has_nan(x: np.ndarray) -> bool:
    return x.dtype.kind == "f" and x.size > 0 and bool(np.isnan(x.max()))


# Planes per block of max pooling: about 256K input elements, so that the per-tap passes over a
# block's running max stay in the core's cache.
_POOL_BLOCK_ELEMENTS = 1 << 18


def _max_pool_np(x: np.ndarray, g: _Geometry):
    """Values and flat indices (into each H*W plane) of the window maxima of x (*planes, H, W)."""
    w, (ho, wo) = g.in_hw[1], g.out_hw
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.padding, g.dilation
    out_shape = x.shape[:-2] + (ho, wo)
    if 0 in out_shape:
        return np.empty(out_shape, x.dtype), np.empty(out_shape, np.int64)
    xp = _padded(x, g, _lowest(x.dtype))
    row0 = np.arange(ho) * sh - ph  # input row of each window's first tap (may be in the padding)
    col0 = np.arange(wo) * sw - pw
    # torch's initial index: each window's first tap inside the input.
    first_i = -(-np.maximum(-row0, 0) // dh)
    first_j = -(-np.maximum(-col0, 0) // dw)
    init_tap = None if (ph, pw) == (0, 0) else first_i[:, None] * kw + first_j
    # Tap k = i*kw + j of the window at (r, c) reads input row row0[r] + i*dh, column col0[c] + j*dw.
    tap_offset = (np.arange(kh)[:, None] * dh * w + np.arange(kw) * dw).ravel()
    base = row0[:, None] * w + col0

    planes = xp.reshape((-1,) + xp.shape[-2:])
    values = np.empty((planes.shape[0], ho, wo), x.dtype)
    index = np.empty((planes.shape[0], ho, wo), np.int64)
    per_block = max(1, _POOL_BLOCK_ELEMENTS // (xp.shape[-2] * xp.shape[-1]))

    def run(lo, hi, check_nan):  # planes lo:hi, block by block
        for b0 in range(lo, hi, per_block):
            b1 = min(b0 + per_block, hi)
            block = planes[b0:b1]
            views = (block[..., r, c] for _, _, r, c in g.offsets())
            values[b0:b1], tap = _running_max(views, kh * kw, x.dtype, init_tap, check_nan)
            np.take(tap_offset, tap, out=index[b0:b1])
            index[b0:b1] += base

    _parallel.split(lambda lo, hi: run(lo, hi, False), planes.shape[0], planes.size)
    if _has_nan(values):
        # A NaN in a window makes its max NaN; only then is the slower NaN-aware scan needed.
        _parallel.split(lambda lo, hi: run(lo, hi, True), planes.shape[0], planes.size)
    return values.reshape(out_shape), index.reshape(out_shape)


def _scatter(grad: np.ndarray, index: np.ndarray, in_shape: tuple, disjoint: bool) -> np.ndarray:
    """Adds each element of ``grad`` (*planes, Ho, Wo) into zeros of ``in_shape`` (*planes, H, W) at ``index``."""
    size = in_shape[-2] * in_shape[-1]
    planes = math.prod(in_shape[:-2])
    per_plane = index.shape[-2] * index.shape[-1]
    if disjoint:
        # Every input position receives at most one gradient: a plain assignment is exact. Done
        # in blocks of planes (in parallel), so each block's zeros and writes stay in cache.
        out = np.empty((planes, size), grad.dtype)
        index2, grad2 = index.reshape(planes, per_plane), grad.reshape(planes, per_plane)
        per_block = max(1, _POOL_BLOCK_ELEMENTS // max(size, 1))

        def run(lo, hi):
            for b0 in range(lo, hi, per_block):
                b1 = min(b0 + per_block, hi)
                block = out[b0:b1]
                block.fill(0)
                flat = np.arange(b1 - b0, dtype=np.int64)[:, None] * size + index2[b0:b1]
                block.reshape(-1)[flat.reshape(-1)] = grad2[b0:b1].reshape(-1)

        _parallel.split(run, planes, planes * size)
        return out.reshape(in_shape)
    flat = (np.arange(planes, dtype=np.int64)[:, None] * size + index.reshape(planes, per_plane)).ravel()
    out = np.zeros(planes * size, grad.dtype)
    # Overlapping windows can pick the same maximum, so gradients must accumulate. On flat
    # indices np.add.at is the fastest exact way NumPy has (faster than bincount, which
    # also goes through float64, or one masked add per kernel tap).
    np.add.at(out, flat, grad.reshape(-1))
    return out.reshape(in_shape)


def _gather(src: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The elements of ``src`` (*planes, H, W) at ``index`` (*planes, Ho, Wo), per plane."""
    size = src.shape[-2] * src.shape[-1]
    planes = math.prod(src.shape[:-2])
    out = np.take_along_axis(src.reshape(planes, size), index.reshape(planes, index.shape[-2] * index.shape[-1]),
                             axis=1)
    return out.reshape(index.shape)


def _shape2d(shape: tuple, nd: int) -> tuple:
    return shape[:-1] + (1, shape[-1]) if nd == 1 else shape


def _shape_nd(shape: tuple, nd: int) -> tuple:
    return shape[:-2] + shape[-1:] if nd == 1 else shape


class MaxPoolScatter(_Primitive):
    """The gradient of max pooling: ``grad`` added into zeros of ``in_shape`` at the recorded maxima.

    ``index`` is kept in 2-D form (*planes, Ho, Wo); ``nd`` says whether the tensors are 1-D or 2-D.
    """

    @staticmethod
    def forward(ctx, grad, index, in_shape, disjoint, nd):
        ctx.index, ctx.disjoint, ctx.nd = index, disjoint, nd
        out = _scatter(grad._data.reshape(index.shape), index, _shape2d(in_shape, nd), disjoint)
        return out.reshape(in_shape)

    @staticmethod
    def backward(ctx, grad):
        return MaxPoolGather.apply(grad, ctx.index, ctx.disjoint, ctx.nd), None, None, None, None


class MaxPoolGather(_Primitive):
    """The values of ``src`` at the recorded maxima: the adjoint of ``MaxPoolScatter``."""

    @staticmethod
    def forward(ctx, src, index, disjoint, nd):
        ctx.index, ctx.disjoint, ctx.nd = index, disjoint, nd
        ctx.in_shape = src._data.shape
        out = _gather(src._data.reshape(_shape2d(src._data.shape, nd)), index)
        return out.reshape(_shape_nd(index.shape, nd))

    @staticmethod
    def backward(ctx, grad):
        return MaxPoolScatter.apply(grad, ctx.index, ctx.in_shape, ctx.disjoint, ctx.nd), None, None, None


class _MaxWithIndices(_Primitive):
    """Base of the max poolings that output the maxima and their flat indices into each input plane.

    ``forward`` keeps ``index`` (2-D form), ``in_shape``, ``disjoint`` and ``nd`` on ctx and returns
    ``_outputs``; the gradient goes back to the maxima.
    """

    @staticmethod
    def _outputs(ctx, values: np.ndarray, index: np.ndarray, nd: int) -> tuple:
        values, index = values.reshape(_shape_nd(values.shape, nd)), index.reshape(_shape_nd(index.shape, nd))
        idx = Tensor._make(index)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, grad, _):
        return MaxPoolScatter.apply(grad, ctx.index, ctx.in_shape, ctx.disjoint, ctx.nd), None, None


class MaxPool2DWithIndices(_MaxWithIndices):
    """Max pooling; outputs the maxima and their flat indices into each input plane."""

    @staticmethod
    def forward(ctx, x, g, nd):
        values, index = _max_pool_np(_as2d(x._data, nd), g)
        ctx.index, ctx.in_shape, ctx.disjoint, ctx.nd = index, x._data.shape, g.disjoint, nd
        return _MaxWithIndices._outputs(ctx, values, index, nd)


# ------------------------------------------------------------------ average pooling
def _along(axis: int, index) -> tuple:
    return (Ellipsis, index) + (slice(None),) * (-1 - axis)


def _sum_taps(a: np.ndarray, axis: int, k: int, s: int, d: int, n: int) -> np.ndarray:
    """Along one axis (-1 or -2): the sums of the k taps of each of n windows (a new array)."""
    out = None
    for i in range(k):
        tap = a[_along(axis, slice(i * d, i * d + s * (n - 1) + 1, s))]
        if out is None:
            out = tap.copy()
        else:
            out += tap
    return out


def _spread_taps(g: np.ndarray, axis: int, k: int, s: int, d: int, length: int) -> np.ndarray:
    """The adjoint of ``_sum_taps``: each window's value added to its k taps, in an axis of ``length``."""
    shape = list(g.shape)
    shape[axis] = length
    out = np.zeros(shape, g.dtype)
    n = g.shape[axis]
    for i in range(k):
        out[_along(axis, slice(i * d, i * d + s * (n - 1) + 1, s))] += g
    return out


def _window_sum(x: np.ndarray, g: _Geometry) -> np.ndarray:
    """The sum over each window. A window sum is separable: the columns first, then the rows,
    which takes kh + kw slice-adds instead of kh * kw."""
    (ho, wo), (kh, kw), (sh, sw), (dh, dw) = g.out_hw, g.kernel, g.stride, g.dilation
    xp = _padded(x, g, 0)
    kernels = _compiled.for_array(x)
    if kernels is not None:  # the compiled kernel reads each window once (see glasstorch._compiled)
        planes = np.ascontiguousarray(xp).reshape((-1,) + xp.shape[-2:])
        out = np.empty(planes.shape[:1] + (ho, wo), x.dtype)
        _parallel.split(lambda p0, p1: kernels.window_sums(out[p0:p1], planes[p0:p1], kh, kw, sh, sw, dh, dw),
                        len(planes), planes.size)
        return out.reshape(xp.shape[:-2] + (ho, wo))
    cols = _sum_taps(xp, -1, kw, sw, dw, wo)
    return _sum_taps(cols, -2, kh, sh, dh, ho)


def _spread(grad: np.ndarray, g: _Geometry) -> np.ndarray:
    """The adjoint of the window sum: each window's gradient added to all its inputs."""
    (h, w), (kh, kw), (sh, sw), (dh, dw), (ph, pw) = g.in_hw, g.kernel, g.stride, g.dilation, g.padding
    (ho, wo) = g.out_hw
    if (sh, sw) == (kh, kw) and (dh, dw) == (1, 1) and (ph, pw) == (0, 0) and ho * kh <= h and wo * kw <= w:
        # The windows tile the input: each gradient is copied to its k x k block (repeat is
        # NumPy's fastest way to do that, several times faster than slice-adds).
        tiles = grad.repeat(kh, axis=-2).repeat(kw, axis=-1)
        if (ho * kh, wo * kw) == (h, w):
            return tiles
        out = np.zeros(grad.shape[:-2] + (h, w), grad.dtype)  # rows and columns no window covers
        out[..., :ho * kh, :wo * kw] = tiles
        return out
    need = [(o - 1) * s + (k - 1) * d + 1 for o, s, k, d in zip(g.out_hw, g.stride, g.kernel, g.dilation)]
    rows = _spread_taps(grad, -2, kh, sh, dh, max(h + ph, need[0]))
    gxp = _spread_taps(rows, -1, kw, sw, dw, max(w + pw, need[1]))
    if gxp.shape[-2:] != (h, w):
        return np.ascontiguousarray(gxp[..., ph:ph + h, pw:pw + w])
    return gxp


def _divide(s: np.ndarray, divisor) -> np.ndarray:
    """Window sums (a new array) divided by the divisor."""
    if s.dtype.kind == "f":
        s /= divisor
        return s
    # torch divides integers in C++: truncation toward zero.
    return np.trunc(s / divisor).astype(s.dtype)


class AvgPool2D(_Primitive):
    """Average pooling: window sums divided by ``divisor`` (a number, or one per output position)."""

    @staticmethod
    def forward(ctx, x, g, divisor, nd):
        ctx.g, ctx.divisor, ctx.nd = g, divisor, nd
        out = _divide(_window_sum(_as2d(x._data, nd), g), divisor)
        return out[..., 0, :] if nd == 1 else out

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2DBackward.apply(grad, ctx.g, ctx.divisor, ctx.nd), None, None, None


class AvgPool2DBackward(_Primitive):
    """The gradient of average pooling, itself linear; its backward is average pooling."""

    @staticmethod
    def forward(ctx, grad, g, divisor, nd):
        ctx.g, ctx.divisor, ctx.nd = g, divisor, nd
        out = _spread(_as2d(grad._data, nd) / divisor, g)
        return out[..., 0, :] if nd == 1 else out

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2D.apply(grad, ctx.g, ctx.divisor, ctx.nd), None, None, None


def _avg_divisor(g: _Geometry, count_include_pad: bool, divisor_override, dtype: np.dtype):
    """torch's divisor: the window clipped to the padded input (or to the input itself), or the override."""
    if divisor_override:
        return divisor_override
    per_dim = []
    for n, o, k, s, p in zip(g.in_hw, g.out_hw, g.kernel, g.stride, g.padding):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        per_dim.append(end - start)
    counts = per_dim[0][:, None] * per_dim[1]
    if counts.size and (counts == counts.flat[0]).all():
        return int(counts.flat[0])
    # A float array of the input's dtype, so that float32 stays float32.
    return counts.astype(dtype if dtype.kind == "f" else np.float64)


# ------------------------------------------------------------------ adaptive pooling
def _adaptive_windows(n: int, o: int) -> tuple:
    """torch's adaptive windows along one dim: [floor(i*n/o), ceil((i+1)*n/o))."""
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _averaging_matrix(n: int, o: int, dtype) -> np.ndarray:
    """(o, n): row i averages adaptive window i."""
    start, end = _adaptive_windows(n, o)
    pos = np.arange(n)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _separable(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ plane @ b.T`` for every plane of x (*planes, H, W), as two large GEMMs."""
    lead, (h, w), (ho, wo) = x.shape[:-2], x.shape[-2:], (a.shape[0], b.shape[0])
    p = math.prod(lead)
    t = x.reshape(p * h, w) @ b.T                                                  # (P*H, Wo)
    t = np.ascontiguousarray(t.reshape(p, h, wo).transpose(0, 2, 1)).reshape(p * wo, h)
    out = (t @ a.T).reshape(p, wo, ho).transpose(0, 2, 1)                          # (P, Ho, Wo)
    return np.ascontiguousarray(out).reshape(lead + (ho, wo))


def _tiling(in_hw: tuple, out_hw: tuple) -> _Geometry | None:
    """When the sizes divide, adaptive windows are plain ones with stride == kernel."""
    (h, w), (ho, wo) = in_hw, out_hw
    if ho and wo and h % ho == 0 and w % wo == 0:
        k = (h // ho, w // wo)
        return _Geometry(in_hw, out_hw, k, k, (0, 0))
    return None


def _adaptive_avg(x: np.ndarray, out_hw: tuple) -> np.ndarray:
    in_hw = x.shape[-2:]
    if out_hw == (1, 1):
        # Global pooling: the plane sums as one matrix-vector product (BLAS; NumPy's reduction
        # along a short last axis is slower), then torch's division.
        size = in_hw[0] * in_hw[1]
        sums = x.reshape(-1, size) @ np.ones(size, x.dtype)
        return _divide(sums.reshape(x.shape[:-2] + (1, 1)), size)
    g = _tiling(in_hw, out_hw)
    if g is not None:
        return _divide(_window_sum(x, g), g.kernel[0] * g.kernel[1])
    return _separable(x, _averaging_matrix(in_hw[0], out_hw[0], x.dtype),
                      _averaging_matrix(in_hw[1], out_hw[1], x.dtype))


def _adaptive_avg_grad(grad: np.ndarray, in_hw: tuple) -> np.ndarray:
    out_hw = grad.shape[-2:]
    if out_hw == (1, 1):
        out = np.empty(grad.shape[:-2] + tuple(in_hw), grad.dtype)
        out[...] = grad / (in_hw[0] * in_hw[1])
        return out
    g = _tiling(in_hw, out_hw)
    if g is not None:
        return _spread(grad / (g.kernel[0] * g.kernel[1]), g)
    return _separable(grad, _averaging_matrix(in_hw[0], out_hw[0], grad.dtype).T,
                      _averaging_matrix(in_hw[1], out_hw[1], grad.dtype).T)


class AdaptiveAvgPool2D(_Primitive):
    @staticmethod
    def forward(ctx, x, out_hw, nd):
        ctx.in_hw, ctx.nd = _as2d(x._data, nd).shape[-2:], nd
        out = _adaptive_avg(_as2d(x._data, nd), out_hw)
        return out[..., 0, :] if nd == 1 else out

    @staticmethod
    def backward(ctx, grad):
        return AdaptiveAvgPool2DBackward.apply(grad, ctx.in_hw, ctx.nd), None, None


class AdaptiveAvgPool2DBackward(_Primitive):
    """The gradient of adaptive average pooling (linear); its backward is adaptive average pooling."""

    @staticmethod
    def forward(ctx, grad, in_hw, nd):
        g = _as2d(grad._data, nd)
        ctx.out_hw, ctx.nd = g.shape[-2:], nd
        out = _adaptive_avg_grad(g, in_hw)
        return out[..., 0, :] if nd == 1 else out

    @staticmethod
    def backward(ctx, grad):
        return AdaptiveAvgPool2D.apply(grad, ctx.out_hw, ctx.nd), None, None


def _adaptive_max_np(x: np.ndarray, out_hw: tuple):
    (h, w), (ho, wo) = x.shape[-2:], out_hw
    out_shape = x.shape[:-2] + (ho, wo)
    if not (ho and wo):
        return np.empty(out_shape, x.dtype), np.empty(out_shape, np.int64)
    # Pad every window to the longest by repeating its last row/column: a repeat never wins a
    # strict comparison, and a repeated NaN keeps the same index, so results match torch's scan.
    (rs, re), (cs, ce) = _adaptive_windows(h, ho), _adaptive_windows(w, wo)
    kh, kw = int((re - rs).max()), int((ce - cs).max())
    rows = np.minimum(rs[:, None] + np.arange(kh), re[:, None] - 1)   # (Ho, kh)
    cols = np.minimum(cs[:, None] + np.arange(kw), ce[:, None] - 1)   # (Wo, kw)
    windows = x[..., rows.ravel(), :][..., cols.ravel()]
    windows = windows.reshape(x.shape[:-2] + (ho, kh, wo, kw))
    views = (windows[..., :, i, :, j] for i in range(kh) for j in range(kw))
    values, tap = _running_max(views, kh * kw, x.dtype, 0, _has_nan(x))
    i, j = np.divmod(tap, kw)
    index = rows[np.arange(ho)[:, None], i] * w + cols[np.arange(wo), j]
    return values, index


class AdaptiveMaxPool2D(_MaxWithIndices):
    @staticmethod
    def forward(ctx, x, out_hw, nd):
        xd = _as2d(x._data, nd)
        values, index = _adaptive_max_np(xd, out_hw)
        h, w = xd.shape[-2:]
        ctx.index, ctx.in_shape, ctx.nd = index, x._data.shape, nd
        ctx.disjoint = h % out_hw[0] == 0 and w % out_hw[1] == 0 if all(out_hw) else True
        return _MaxWithIndices._outputs(ctx, values, index, nd)


# ------------------------------------------------------------------ argument checks
def _ints(value, n: int, name: str, fn: str, allow_empty: bool = False):
    """An int or a sequence of n ints (or 1, repeated), with torch's message otherwise."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        vals = tuple(operator.index(v) for v in value)
        if allow_empty and not vals:
            return None
        if len(vals) == 1:
            vals = vals * n
        if len(vals) == n:
            return vals
    else:
        return (operator.index(value),) * n
    if n == 1:
        raise RuntimeError(f"{fn}() {name} must be an int, list of ints or tuple of ints of size 1 but got size "
                           f"{len(vals)}")
    what = {"kernel_size": "must either be a single int, or a tuple of two ints",
            "stride": "must either be omitted, a single int, or a tuple of two ints",
            "padding": "must either be a single int, or a tuple of two ints",
            "dilation": "must be either a single int, or a tuple of two ints"}[name]
    raise RuntimeError(f"{fn}: {name} {what}")


def _out_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling output size; with ceil_mode the last window must start inside the input or left padding."""
    span = d * (k - 1) + 1
    o = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _pool_geometry(input: Tensor, nd: int, fn: str, kernel_size, stride, padding, dilation, ceil_mode) -> _Geometry:
    kernel = _ints(kernel_size, nd, "kernel_size", fn)
    stride = _ints(stride, nd, "stride", fn, allow_empty=True) if stride is not None else None
    stride = kernel if stride is None else stride
    padding = _ints(padding, nd, "padding", fn)
    dilation = _ints(dilation, nd, "dilation", fn)
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        if nd == 1:
            raise RuntimeError(f"{fn}() kernel_size must be greater than zero, but got {kernel[0]}")
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {stride[0]} dW: {stride[-1]}")
    if any(d <= 0 for d in dilation):
        if nd == 1:
            raise RuntimeError(f"{fn}() dilation must be greater than zero, but got {dilation[0]}")
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilation[0]} "
                           f"dilationW: {dilation[1]}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    if nd == 2 and any(p > k // 2 for k, p in zip(kernel, padding)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = "
                           f"{padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, kH = {kernel[0]}")
    in_sz = tuple(input.shape[-nd:])
    out_sz = tuple(_out_size(n, k, s, p, d, ceil_mode)
                   for n, k, s, p, d in zip(in_sz, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out_sz):
        c = input.shape[-nd - 1]
        shown_in = (c,) + ((1,) if nd == 1 else ()) + in_sz
        shown_out = (c,) + ((1,) if nd == 1 else ()) + out_sz
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, shown_in))}). Calculated output size: "
                           f"({'x'.join(map(str, shown_out))}). Output size is too small")
    two = (lambda t, fill: (fill,) + t) if nd == 1 else (lambda t, fill: t)
    return _Geometry(two(in_sz, 1), two(out_sz, 1), two(kernel, 1), two(stride, 1), two(padding, 0),
                     two(dilation, 1))


def _check_pool_input(input: Tensor, nd: int, fn: str) -> None:
    shape = list(input.shape)
    if nd == 2:
        if input.dim() not in (3, 4):
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        if any(s == 0 for s in shape[-3:]):
            raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                               f"but got:{shape}")
    elif input.dim() not in (2, 3) or any(s == 0 for s in shape[-2:]):
        raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{shape}")


def _check_dtype(input: Tensor, fn: str, ints: bool) -> None:
    kind = input._data.dtype.kind
    if kind == "f" or (ints and kind in "iu"):
        return
    names = {"bool": "Bool", "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte"}
    raise NotImplementedError(f"\"{fn}\" not implemented for '{names.get(input.dtype.name, input.dtype.name)}'")


# ------------------------------------------------------------------ public functions
def _max_pool(input, nd, fn, kernel_size, stride, padding, dilation, ceil_mode):
    _check_pool_input(input, nd, fn)
    _check_dtype(input, fn if nd == 2 else "max_pool1d_impl", ints=nd == 2)
    g = _pool_geometry(input, nd, fn, kernel_size, stride, padding, dilation, ceil_mode)
    return MaxPool2DWithIndices.apply(input, g, nd)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """max_pool1d that always returns (values, indices)."""
    return _max_pool(input, 1, "max_pool1d", kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """max_pool2d that always returns (values, indices)."""
    return _max_pool(input, 2, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Applies 1-D max pooling over an input of shape (N, C, L) or (C, L).

    Args:
        kernel_size: the window size.
        stride: the window step (default: kernel_size).
        padding: implicit -inf padding on both sides (at most half the kernel).
        dilation: the step between window elements.
        ceil_mode: round the output size up instead of down.
        return_indices: also return the index in L of each maximum (for max_unpool1d).
    """
    values, index = _max_pool(input, 1, "max_pool1d", kernel_size, stride, padding, dilation, ceil_mode)
    return (values, index) if return_indices else values


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Applies 2-D max pooling over an input of shape (N, C, H, W) or (C, H, W).

    Args:
        kernel_size: the window size, an int or (kH, kW).
        stride: the window step (default: kernel_size).
        padding: implicit -inf padding on both sides (at most half the kernel).
        dilation: the step between window elements.
        ceil_mode: round the output size up instead of down.
        return_indices: also return each maximum's flat index into its H*W input plane.

    Shape:
        H_out = (H + 2*padding - dilation*(kH-1) - 1) // stride + 1 (rounded up with ceil_mode).

    Example::

        >>> F.max_pool2d(glasstorch.randn(8, 16, 32, 32), 2).shape
        glasstorch.Size([8, 16, 16, 16])
    """
    values, index = _max_pool(input, 2, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)
    return (values, index) if return_indices else values


def _avg_pool(input, nd, fn, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    if nd == 2 and input.dim() not in (3, 4):
        if input.dim() < 3:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.dim(), 1)}, "
                             f"{max(input.dim(), 1) - 1}], but got -3)")
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(input.shape)}")
    if nd == 1 and input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for avg_pool1d)")
    if any(s == 0 for s in input.shape[-nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(input.shape)}")
    if input._data.dtype.kind != "f" and input._data.dtype != np.int64:
        _check_dtype(input, fn, ints=False)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    g = _pool_geometry(input, nd, fn, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _avg_divisor(g, count_include_pad, divisor_override, input._data.dtype)
    return AvgPool2D.apply(input, g, divisor, nd)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Applies 1-D average pooling over an input of shape (N, C, L) or (C, L).

    Args:
        kernel_size, stride (default: kernel_size), padding (zeros, at most half the kernel), ceil_mode:
            as for max_pool1d.
        count_include_pad: count the zero padding in the divisor.
    """
    return _avg_pool(input, 1, "avg_pool1d", kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Applies 2-D average pooling over an input of shape (N, C, H, W) or (C, H, W).

    Args:
        kernel_size: the window size, an int or (kH, kW).
        stride: the window step (default: kernel_size).
        padding: implicit zero padding on both sides (at most half the kernel).
        ceil_mode: round the output size up instead of down.
        count_include_pad: count the zero padding in the divisor.
        divisor_override: divide every window sum by this instead.

    Example::

        >>> F.avg_pool2d(glasstorch.randn(8, 6, 28, 28), 2).shape
        glasstorch.Size([8, 6, 14, 14])
    """
    return _avg_pool(input, 2, "avg_pool2d", kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _adaptive_size(input: Tensor, output_size, nd: int, fn: str) -> tuple:
    if isinstance(output_size, (list, tuple)):
        size = tuple(output_size)
        if len(size) != nd:
            if nd == 1:
                raise RuntimeError(f"{fn}() argument 'output_size' should contain one int (got {len(size)})")
            raise RuntimeError(f"{fn}: output_size must be 2")
    else:
        if output_size is None and nd == 1:
            raise TypeError(f"{fn}(): argument 'output_size' (position 2) must be tuple of ints, not NoneType")
        size = (output_size,) * nd
    size = tuple(n if s is None else operator.index(s) for s, n in zip(size, input.shape[-nd:]))
    if any(s < 0 for s in size):
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{', '.join(map(str, size))}}}")
    return ((1,) + size) if nd == 1 else size


def _check_adaptive_input(input: Tensor, nd: int, fn: str) -> None:
    if input.dim() not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                               f"argument #1 'self' (while checking arguments for {fn})")
        sep = ": " if fn.startswith("adaptive_max") else ""
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got{sep or ' '}{list(input.shape)}")
    # Channels and spatial dims must be non-empty; the batch may be.
    for d in range(input.dim() - nd - 1, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {d} being empty")


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average-pools (N, C, L) or (C, L) to length ``output_size`` with torch's adaptive windows."""
    _check_adaptive_input(input, 1, "adaptive_avg_pool1d")
    _check_dtype(input, "adaptive_avg_pool2d", ints=False)
    return AdaptiveAvgPool2D.apply(input, _adaptive_size(input, output_size, 1, "adaptive_avg_pool1d"), 1)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average-pools (N, C, H, W) or (C, H, W) to ``output_size``.

    Output cell i covers input rows [floor(i*H/H_out), ceil((i+1)*H/H_out)), so sizes need not divide.

    Args:
        output_size: an int or (H_out, W_out); None keeps that input size.

    Example::

        >>> F.adaptive_avg_pool2d(glasstorch.randn(8, 512, 7, 7), 1).shape
        glasstorch.Size([8, 512, 1, 1])
    """
    _check_adaptive_input(input, 2, "adaptive_avg_pool2d")
    _check_dtype(input, "adaptive_avg_pool2d", ints=False)
    return AdaptiveAvgPool2D.apply(input, _adaptive_size(input, output_size, 2, "adaptive_avg_pool2d"), 2)


def _adaptive_max(input, output_size, nd, fn):
    _check_adaptive_input(input, nd, fn)
    _check_dtype(input, "adaptive_max_pool2d", ints=False)
    return AdaptiveMaxPool2D.apply(input, _adaptive_size(input, output_size, nd, fn), nd)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool1d that always returns (values, indices)."""
    return _adaptive_max(input, output_size, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool2d that always returns (values, indices)."""
    return _adaptive_max(input, output_size, 2, "adaptive_max_pool2d")


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max-pools (N, C, L) or (C, L) to length ``output_size`` with torch's adaptive windows."""
    values, index = _adaptive_max(input, output_size, 1, "adaptive_max_pool1d")
    return (values, index) if return_indices else values


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max-pools (N, C, H, W) or (C, H, W) to ``output_size`` with torch's adaptive windows.

    Args:
        output_size: an int or (H_out, W_out); None keeps that input size.
        return_indices: also return each maximum's flat index into its H*W input plane.
    """
    values, index = _adaptive_max(input, output_size, 2, "adaptive_max_pool2d")
    return (values, index) if return_indices else values
