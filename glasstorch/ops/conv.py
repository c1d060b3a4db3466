"""Convolution: conv1d, conv2d, conv_transpose1d, conv_transpose2d.

A convolution ``y = conv(x, w)`` is bilinear, and its three faces are the three
primitives of this module, each the adjoint of the others:

* ``Convolution``           (x, w) -> y    the forward pass;
* ``ConvolutionTranspose``  (y, w) -> x    the gradient for the input, and conv_transpose;
* ``ConvolutionWeight``     (x, y) -> w    the gradient for the weight.

The backward of each is made of the other two, so gradients of any order work,
and ``conv_transpose2d`` is ``ConvolutionTranspose`` with user-given geometry.

All three run on 4-D arrays (N, C, H, W); 1-D convolutions are 2-D ones with
H = 1. The work is one im2col copy and one matrix product per chunk of the batch:

* im2col copies the input windows into ``cols``, one row per (C, kh, kw) and one
  column per (sample, Ho, Wo) (a strided view of the padded input, made
  contiguous), so that the forward ``weight (O, C*kh*kw) @ cols`` and the weight
  gradient ``grad @ cols.T`` are each one large GEMM on contiguous operands;
  for narrow outputs the columns are ordered (Ho, Wo, sample) instead, which
  keeps NumPy's inner loops long;
* the forward keeps small ``cols`` for the weight gradient (LeNet-sized layers);
  larger ones are rebuilt in backward, as torch does;
* the input gradient is, for stride 1, itself a convolution (of the padded output
  gradient with the flipped kernel); otherwise a GEMM into columns and col2im,
  im2col's adjoint, which adds the columns back with one strided slice-add per
  kernel offset (kh*kw vectorized adds, no scatter);
* the batch is cut into chunks so that ``cols`` stays a few megabytes (in cache)
  instead of kh*kw times the input.
"""
from __future__ import annotations

import operator

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _compiled, _parallel
from .._tensor import Tensor
from ..autograd.function import _Primitive

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]

# Bytes of im2col buffer per chunk of the batch: big enough for efficient GEMMs,
# small enough to stay in cache.
_CHUNK_BYTES = 8 << 20
# The forward keeps its im2col columns for the weight gradient when they take at most this
# much memory in all (LeNet-sized layers); larger layers redo im2col in backward, as torch does.
_KEEP_COLS_BYTES = 32 << 20


class _Geometry:
    """Everything about a convolution except the values, in 2-D form.

    ``in_hw`` is the (unpadded) input size, ``out_hw`` the output size; padding may be
    asymmetric (``pad_lo``/``pad_hi``), which 'same' padding with even kernels needs.
    ``nd`` is 1 or 2: how many spatial dims the user's tensors have (1-D uses H = 1).
    """
    __slots__ = ("nd", "in_hw", "out_hw", "kernel", "stride", "pad_lo", "pad_hi", "dilation", "groups")

    def __init__(self, nd, in_hw, out_hw, kernel, stride, pad_lo, pad_hi, dilation, groups):
        self.nd = nd
        self.in_hw = in_hw
        self.out_hw = out_hw
        self.kernel = kernel
        self.stride = stride
        self.pad_lo = pad_lo
        self.pad_hi = pad_hi
        self.dilation = dilation
        self.groups = groups

    def padded_hw(self) -> tuple:
        return tuple(n + lo + hi for n, lo, hi in zip(self.in_hw, self.pad_lo, self.pad_hi))

    def positions(self) -> int:
        """Output positions per sample: the columns of ``cols`` that one sample fills."""
        return self.out_hw[0] * self.out_hw[1]


# ------------------------------------------------------------------ kernels
def _as4d(a: np.ndarray, nd: int) -> np.ndarray:
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if nd == 1 else a


def _from4d(a: np.ndarray, nd: int) -> np.ndarray:
    return a.reshape(a.shape[:2] + a.shape[3:]) if nd == 1 else a


def _pad(x: np.ndarray, g: _Geometry) -> np.ndarray:
    """The zero-padded input."""
    (th, tw), (bh, bw) = g.pad_lo, g.pad_hi
    if not (th or tw or bh or bw):
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + th + bh, w + tw + bw), x.dtype)
    xp[:, :, th:th + h, tw:tw + w] = x
    return xp


def _plan(n: int, per_sample: int, g: _Geometry) -> tuple:
    """The batch chunks (start, stop), and whether columns put the sample index last.

    Columns are ordered (sample, Ho, Wo) or, for narrow outputs, (Ho, Wo, sample): NumPy's strided
    copies and slice-adds then run in loops as long as the chunk instead of only Wo elements
    (about 2x faster for LeNet's second layer, Wo = 10).
    """
    step = max(1, _CHUNK_BYTES // max(per_sample, 1))
    last = g.out_hw[1] < 16 and min(step, n) >= 16
    return [(i, min(i + step, n)) for i in range(0, n, step)], last


def _im2col(xp: np.ndarray, g: _Geometry, last: bool) -> np.ndarray:
    """The windows of a padded chunk ``xp`` (n, C, Hp, Wp) as ``cols`` (C*kh*kw, n*Ho*Wo)."""
    n, c = xp.shape[:2]
    kh, kw = g.kernel
    dh, dw = g.dilation
    st_h, st_w = g.stride
    ho, wo = g.out_hw
    if last:
        xp = _contiguous(xp.transpose(1, 2, 3, 0))                # (C, Hp, Wp, n)
        sc, sh, sw, sn = xp.strides
        shape, strides = (c, kh, kw, ho, wo, n), (sc, sh * dh, sw * dw, sh * st_h, sw * st_w, sn)
    else:
        sn, sc, sh, sw = xp.strides
        shape, strides = (c, kh, kw, n, ho, wo), (sc, sh * dh, sw * dw, sn, sh * st_h, sw * st_w)
    view = as_strided(xp, shape, strides, writeable=False)
    cols = np.empty(shape, xp.dtype)
    _parallel.copy(cols, view)
    return cols.reshape(c * kh * kw, n * ho * wo)


def _contiguous(a: np.ndarray) -> np.ndarray:
    """``np.ascontiguousarray``, copying in parallel."""
    if a.flags.c_contiguous:
        return a
    out = np.empty(a.shape, a.dtype)
    _parallel.copy(out, a)
    return out


def _output_cols(gy: np.ndarray, last: bool) -> np.ndarray:
    """A chunk (n, O, Ho, Wo) of an output-shaped array laid out like cols' columns: (O, n*Ho*Wo)."""
    return _contiguous(gy.transpose((1, 2, 3, 0) if last else (1, 0, 2, 3))).reshape(gy.shape[1], -1)


def _write_output(out: np.ndarray, r: np.ndarray, last: bool) -> None:
    """Writes a GEMM result ``r`` (O, positions), positions ordered as in cols, into a chunk
    ``out`` (n, O, Ho, Wo)."""
    n, o, ho, wo = out.shape
    if last:
        _parallel.copy(out, r.reshape(o, ho, wo, n).transpose(3, 0, 1, 2))
    else:
        _parallel.copy(out, r.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))


def _col2im(cols: np.ndarray, gxp: np.ndarray, g: _Geometry, last: bool) -> None:
    """Adds ``cols`` (C*kh*kw, n*Ho*Wo) onto ``gxp``, the padded input gradient laid out channels first,
    (C, n, Hp, Wp) or (C, Hp, Wp, n) like the columns, so both sides of every slice-add run in the
    same order: im2col's adjoint."""
    c = gxp.shape[0]
    kh, kw = g.kernel
    dh, dw = g.dilation
    st_h, st_w = g.stride
    ho, wo = g.out_hw
    cols = cols.reshape((c, kh, kw) + ((ho, wo, -1) if last else (-1, ho, wo)))

    def channels(c0, c1):  # each thread adds into its own channels, so no two write one place
        for i in range(kh):
            for j in range(kw):
                h0, w0 = i * dh, j * dw
                rows = slice(h0, h0 + st_h * (ho - 1) + 1, st_h)
                columns = slice(w0, w0 + st_w * (wo - 1) + 1, st_w)
                if last:
                    gxp[c0:c1, rows, columns, :] += cols[c0:c1, i, j]
                else:
                    gxp[c0:c1, :, rows, columns] += cols[c0:c1, i, j]

    _parallel.split(channels, c, cols.size)


def _grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """(rows, cols) -> (groups, rows/groups, cols): each group's block of a GEMM operand."""
    return a.reshape(groups, a.shape[0] // groups, a.shape[1])


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Stacked matrix product; a single group goes straight to one 2-D GEMM (NumPy's stacked loop is slower)."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.matmul(a, b)


def _few_channels(o: int, groups: int) -> bool:
    """Whether the weight-gradient GEMM should produce its result transposed, (K, O/groups).

    With few output channels (under 32) OpenBLAS runs ``cols @ gy.T`` faster than
    ``gy @ cols.T`` (up to 1.6x); with more it can be much slower. (Measured on OpenBLAS 0.3.31,
    where the speed of each orientation also varies within a process by up to 2x with the
    history of earlier GEMMs; this is the choice that is never badly wrong.)
    """
    return o // groups < 32


# The compiled direct convolution beats im2col + GEMM when there are at most this many output
# channels: im2col copies every window once whatever the number of channels, and a GEMM with
# a handful of rows runs far below the BLAS's speed. (LeNet's layers, 1,000 images: 6 channels
# 30 -> 10 ms, 16 channels 22 -> 20 ms.)
_DIRECT_MAX_CHANNELS = 16


def _direct_kernels(x: np.ndarray, other: np.ndarray, out_channels: int, g: _Geometry):
    """The compiled kernels, when the direct convolution applies to input ``x`` with ``out_channels``
    (``other`` is the weight or the output gradient: both must have x's dtype); else None."""
    if (out_channels > _DIRECT_MAX_CHANNELS or g.groups != 1 or g.stride != (1, 1) or g.dilation != (1, 1)
            or x.dtype != other.dtype
            # The kernel also computes the Wp - Wo positions between output rows: not worth it when
            # they are more than the Wo it keeps (kernels nearly as wide as the input).
            or 2 * g.out_hw[1] < g.padded_hw()[1]):
        return None
    return _compiled.for_array(x)


def _conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, g: _Geometry,
                  keep: list | None = None) -> np.ndarray:
    """y = conv(x, w) + b on 4-D arrays; appends each chunk's columns to ``keep`` if given."""
    n = x.shape[0]
    o = w.shape[0]
    ho, wo = g.out_hw
    out = np.empty((n, o, ho, wo), np.result_type(x, w))
    kernels = _direct_kernels(x, w, o, g)
    if kernels is not None:  # no columns: the weight gradient has a direct kernel too
        xp = np.ascontiguousarray(_pad(x, g))
        w = np.ascontiguousarray(w)
        bias = np.zeros(o, out.dtype) if b is None else b.astype(out.dtype, copy=False)
        _parallel.split(lambda n0, n1: kernels.conv2d(out[n0:n1], xp[n0:n1], w, bias), n, out.size * w[0].size)
        return out
    # Rows of cols are (C, kh, kw): each group's weights meet a contiguous block of them.
    wg = w.reshape(g.groups, o // g.groups, -1)
    xp = _pad(x, g)
    chunks, last = _plan(n, wg.shape[2] * g.groups * g.positions() * x.itemsize, g)
    for n0, n1 in chunks:
        cols = _grouped(_im2col(xp[n0:n1], g, last), g.groups)
        if keep is not None:
            keep.append(cols)
        _write_output(out[n0:n1], _matmul(wg, cols).reshape(o, -1), last)
    if b is not None:
        out += b.reshape(o, 1, 1)
    return out


def _conv_input_grad(gy: np.ndarray, w: np.ndarray, g: _Geometry) -> np.ndarray:
    """The adjoint of conv in x: conv_transpose(gy, w), of shape (N, C, H, W)."""
    (h, wd), (ho, wo) = g.in_hw, g.out_hw
    o, cg, kh, kw = w.shape
    span = [(k - 1) * d for k, d in zip(g.kernel, g.dilation)]
    flip_lo = tuple(s - p for s, p in zip(span, g.pad_lo))
    flip_hi = tuple(n + p - m for n, p, m in zip(g.in_hw, g.pad_lo, g.out_hw))
    if (g.stride == (1, 1) and min(flip_lo + flip_hi) >= 0 and o <= cg * g.groups
            and h * wd <= 1.25 * ho * wo):
        # For stride 1 the adjoint is itself a convolution: gy padded by (k-1)*d - padding, with
        # the kernel flipped and its in/out channels swapped. Its GEMM has the long inner
        # dimension O*kh*kw (faster than col2im's O), and im2col replaces the slice-adds. Its
        # columns hold O*kh*kw values per input position where col2im's hold C*kh*kw per output
        # position, so it pays when O <= C and padding does not make gy much larger.
        wf = w.reshape(g.groups, o // g.groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
        wf = np.ascontiguousarray(wf).reshape(g.groups * cg, o // g.groups, kh, kw)
        adjoint = _Geometry(g.nd, g.out_hw, g.in_hw, g.kernel, (1, 1), flip_lo, flip_hi, g.dilation, g.groups)
        return _conv_forward(gy, wf, None, adjoint)
    return _col2im_input_grad(gy, w, g)


def _col2im_input_grad(gy: np.ndarray, w: np.ndarray, g: _Geometry) -> np.ndarray:
    """conv_transpose(gy, w) as a GEMM into cols, then col2im."""
    n = gy.shape[0]
    o = w.shape[0]
    c = w.shape[1] * g.groups
    h, wd = g.in_hw
    hp, wp = g.padded_hw()
    # Per group, the transposed weight (C/groups * kh * kw, O/groups) turns output columns into cols.
    wt = w.reshape(g.groups, o // g.groups, -1).transpose(0, 2, 1)
    chunks, last = _plan(n, wt.shape[1] * g.groups * g.positions() * gy.itemsize, g)
    gxp = np.zeros((c, hp, wp, n) if last else (c, n, hp, wp), np.result_type(gy, w))
    for n0, n1 in chunks:
        cols = _matmul(wt, _grouped(_output_cols(gy[n0:n1], last), g.groups))
        _col2im(cols, gxp[..., n0:n1] if last else gxp[:, n0:n1], g, last)
    (th, tw) = g.pad_lo
    if last:
        return _contiguous(gxp[:, th:th + h, tw:tw + wd].transpose(3, 0, 1, 2))
    return _contiguous(gxp[:, :, th:th + h, tw:tw + wd].transpose(1, 0, 2, 3))


def _conv_weight_grad(x: np.ndarray, gy: np.ndarray, g: _Geometry, kept: list | None = None) -> np.ndarray:
    """The adjoint of conv in w: the sum over batch and positions of gy times the input windows.

    ``kept`` are the forward's columns of x, chunk by chunk (the chunks are the same), if it kept them.
    """
    n, c = x.shape[:2]
    o = gy.shape[1]
    kh, kw = g.kernel
    kernels = _direct_kernels(x, gy, o, g)
    if kernels is not None:  # each thread sums its own images' part; the parts are added after
        xp = np.ascontiguousarray(_pad(x, g))
        gy = np.ascontiguousarray(gy)

        def part(n0, n1):
            gw = np.zeros((o, c, kh, kw), x.dtype)
            kernels.conv2d_weight_grad(gw, xp[n0:n1], gy[n0:n1])
            return gw

        return sum(_parallel.split(part, n, x.size * o))
    few = _few_channels(o, g.groups)
    k = c // g.groups * kh * kw
    # Per group, (O/groups, K), or its transpose (K, O/groups) when there are few channels.
    gw = np.zeros((g.groups, k, o // g.groups) if few else (g.groups, o // g.groups, k), np.result_type(x, gy))
    xp = _pad(x, g) if kept is None else None
    chunks, last = _plan(n, c * kh * kw * g.positions() * x.itemsize, g)
    for i, (n0, n1) in enumerate(chunks):
        cols = kept[i] if kept is not None else _grouped(_im2col(xp[n0:n1], g, last), g.groups)
        gyc = _grouped(_output_cols(gy[n0:n1], last), g.groups)
        if few:
            gw += _matmul(cols, gyc.transpose(0, 2, 1))
        else:
            gw += _matmul(gyc, cols.transpose(0, 2, 1))
    if few:
        gw = np.ascontiguousarray(gw.transpose(0, 2, 1))
    return gw.reshape(o, c // g.groups, kh, kw)


# ------------------------------------------------------------------ primitives
def _sum_dims(g: _Geometry) -> tuple:
    return (0, 2) if g.nd == 1 else (0, 2, 3)


class Convolution(_Primitive):
    """y = conv(x, w) + b."""

    @staticmethod
    def forward(ctx, x, w, b, g):
        ctx.g = g
        ctx.save_for_backward(x, w)
        xd = _as4d(x._data, g.nd)
        size = xd.shape[0] * w._data.size // w._data.shape[0] * g.groups * g.positions() * xd.itemsize
        # Backward needs these columns again for the weight gradient: keep them if they are small.
        # (Without a graph, as under no_grad, the node and the columns are dropped right after.)
        # The compiled direct convolution makes no columns, and its weight gradient needs none.
        direct = _direct_kernels(xd, w._data, w._data.shape[0], g) is not None
        ctx.cols = [] if ctx.needs_input_grad[1] and size <= _KEEP_COLS_BYTES and not direct else None
        out = _conv_forward(xd, _as4d(w._data, g.nd), None if b is None else b._data, g, ctx.cols)
        return _from4d(out, g.nd)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        g = ctx.g
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = ConvolutionTranspose.apply(grad, w, None, g) if need_x else None
        gw = ConvolutionWeight.apply(x, grad, g, ctx.cols) if need_w else None
        gb = grad.sum(_sum_dims(g)) if need_b else None
        return gx, gw, gb, None


class ConvolutionTranspose(_Primitive):
    """x = conv_transpose(y, w) + b: the adjoint of ``Convolution`` in its input."""

    @classmethod
    def name(cls) -> str:
        # torch runs conv_transpose through the same convolution node.
        return "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, y, w, b, g):
        ctx.g = g
        ctx.save_for_backward(y, w)
        out = _conv_input_grad(_as4d(y._data, g.nd), _as4d(w._data, g.nd), g)
        if b is not None:
            out += b._data.reshape(-1, 1, 1)
        return _from4d(out, g.nd)

    @staticmethod
    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        g = ctx.g
        need_y, need_w, need_b = ctx.needs_input_grad[:3]
        gy = Convolution.apply(grad, w, None, g) if need_y else None
        gw = ConvolutionWeight.apply(grad, y, g) if need_w else None
        gb = grad.sum(_sum_dims(g)) if need_b else None
        return gy, gw, gb, None


class ConvolutionWeight(_Primitive):
    """gw = the weight gradient of conv, for input x and output gradient y.

    ``cols`` are x's im2col columns, when the forward kept them (a cache, not an input).
    """

    @staticmethod
    def forward(ctx, x, y, g, cols=None):
        ctx.g = g
        ctx.save_for_backward(x, y)
        out = _conv_weight_grad(_as4d(x._data, g.nd), _as4d(y._data, g.nd), g, cols)
        return _from4d(out, g.nd)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        g = ctx.g
        need_x, need_y = ctx.needs_input_grad[:2]
        gx = ConvolutionTranspose.apply(y, grad, None, g) if need_x else None
        gy = Convolution.apply(x, grad, None, g) if need_y else None
        return gx, gy, None, None


# ------------------------------------------------------------------ argument checks
def _tuple(value, nd: int, name: str) -> tuple:
    """An int or a sequence of nd ints, as torch's conv accepts them."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        vals = tuple(operator.index(v) for v in value)
        if len(vals) == 1:
            vals = vals * nd
        if len(vals) != nd:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match "
                               f"the convolution dimensions, but got {name}={list(vals)}")
        return vals
    return (operator.index(value),) * nd


def _size_str(values) -> str:
    return " x ".join(str(v) for v in values)


def _to2d(values: tuple, fill: int) -> tuple:
    return (fill,) + values if len(values) == 1 else values


# The C++ type names torch's dtype messages use.
_C_TYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int"}


def _check_common(input: Tensor, weight: Tensor, bias, nd: int, name: str, stride, dilation, groups):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{name}() expected Tensor arguments for input and weight")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional weight for {name}, but got {weight.dim()}-dimensional "
                           f"weight of size {list(weight.shape)}")
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    groups = operator.index(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{list(weight.shape)}] instead")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"Input type ({input.type()}) and weight type ({weight.type()}) should be the same or "
                           f"input should be a MKLDNN tensor and weight is a dense tensor")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_C_TYPES.get(input.dtype.name, input.dtype.name)}) and bias type "
                           f"({_C_TYPES.get(bias.dtype.name, bias.dtype.name)}) should be the same")
    return stride, dilation, groups


def _check_bias(bias, channels: int, weight: Tensor) -> None:
    if bias is not None and tuple(bias.shape) != (channels,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{channels} elements, but got bias of size {list(bias.shape)} instead")


def _conv(input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups, nd: int, name: str) -> Tensor:
    stride, dilation, groups = _check_common(input, weight, bias, nd, name, stride, dilation, groups)
    batched = input.dim() == nd + 2
    x = input if batched else input.unsqueeze(0)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # torch puts the odd one of an even total padding at the end (bottom / right).
            total = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
            lo = tuple(t // 2 for t in total)
            hi = tuple(t - t // 2 for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = _tuple(padding, nd, "padding")
        if any(p < 0 for p in lo):
            raise RuntimeError("negative padding is not supported")
    channels = weight.shape[1] * groups
    if x.shape[1] != channels:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {channels} channels, but got {x.shape[1]} channels instead")
    _check_bias(bias, weight.shape[0], weight)
    in_sz = tuple(x.shape[2:])
    padded = tuple(n + a + b for n, a, b in zip(in_sz, lo, hi))
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(p < s for p, s in zip(padded, span)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_size_str(padded)}). Kernel size: "
                           f"({_size_str(span)}). Kernel size can't be greater than actual input size")
    out_sz = tuple((p - s) // st + 1 for p, s, st in zip(padded, span, stride))
    g = _Geometry(nd, _to2d(in_sz, 1), _to2d(out_sz, 1), _to2d(kernel, 1), _to2d(stride, 1), _to2d(lo, 0),
                  _to2d(hi, 0), _to2d(dilation, 1), groups)
    out = Convolution.apply(x, weight, bias, g)
    return out if batched else out.squeeze(0)


def _conv_transpose(input: Tensor, weight: Tensor, bias, stride, padding, output_padding, groups, dilation,
                    nd: int, name: str) -> Tensor:
    stride, dilation, groups = _check_common(input, weight, bias, nd, name, stride, dilation, groups)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    padding = _tuple(padding, nd, "padding")
    output_padding = _tuple(output_padding, nd, "output_padding")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        if nd == 2:
            raise RuntimeError(
                f"output padding must be smaller than either stride or dilation, but got output_padding_height: "
                f"{output_padding[0]} output_padding_width: {output_padding[1]} stride_height: {stride[0]} "
                f"stride_width: {stride[1]} dilation_height: {dilation[0]} dilation_width: {dilation[1]}")
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding: {output_padding[0]} stride: {stride[0]} dilation: {dilation[0]}")
    batched = input.dim() == nd + 2
    y = input if batched else input.unsqueeze(0)
    if y.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(y.shape)} "
                           f"to have {weight.shape[0]} channels, but got {y.shape[1]} channels instead")
    _check_bias(bias, weight.shape[1] * groups, weight)
    kernel = tuple(weight.shape[2:])
    in_sz = tuple(y.shape[2:])
    out_sz = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                   for n, s, p, d, k, op in zip(in_sz, stride, padding, dilation, kernel, output_padding))
    if any(o < 0 for o in out_sz):
        raise RuntimeError(f"Given input size per channel: ({_size_str(in_sz)}). Calculated output size per "
                           f"channel: ({_size_str(out_sz)}). Output size is too small")
    # conv_transpose is the adjoint of the convolution that maps out_sz back to in_sz.
    g = _Geometry(nd, _to2d(out_sz, 1), _to2d(in_sz, 1), _to2d(kernel, 1), _to2d(stride, 1), _to2d(padding, 0),
                  _to2d(padding, 0), _to2d(dilation, 1), groups)
    out = ConvolutionTranspose.apply(y, weight, bias, g)
    return out if batched else out.squeeze(0)


# ------------------------------------------------------------------ public functions
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """Applies a 1-D convolution over an input signal of several channels.

    Args:
        input: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_out, C_in / groups, kL).
        bias: optional (C_out,).
        stride, dilation: an int or a 1-tuple.
        padding: an int, a 1-tuple, 'valid' (none) or 'same' (output as long as the input; stride 1 only).
        groups: split the channels into this many independent groups.

    Shape:
        output (N, C_out, L_out), L_out = (L + 2*padding - dilation*(kL-1) - 1) // stride + 1.

    Example::

        >>> F.conv1d(glasstorch.randn(8, 4, 50), glasstorch.randn(16, 4, 3)).shape
        glasstorch.Size([8, 16, 48])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """Applies a 2-D convolution over an input image of several channels.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_out, C_in / groups, kH, kW).
        bias: optional (C_out,).
        stride, dilation: an int or a (sH, sW) tuple.
        padding: an int, a tuple, 'valid' (none) or 'same' (output as large as the input; stride 1
            only; with even kernels the extra row and column of padding go at the bottom and right).
        groups: split the channels into this many independent groups.

    Shape:
        output (N, C_out, H_out, W_out), H_out = (H + 2*padding - dilation*(kH-1) - 1) // stride + 1.

    Example::

        >>> F.conv2d(glasstorch.randn(8, 3, 32, 32), glasstorch.randn(16, 3, 3, 3), padding=1).shape
        glasstorch.Size([8, 16, 32, 32])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Applies a 1-D transposed convolution ("deconvolution"): the gradient of conv1d for its input.

    Args:
        input: (N, C_in, L) or unbatched (C_in, L).
        weight: (C_in, C_out / groups, kL).
        output_padding: extra size added at the end of the output (smaller than stride or dilation).

    Shape:
        output (N, C_out, L_out), L_out = (L-1)*stride - 2*padding + dilation*(kL-1) + output_padding + 1.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Applies a 2-D transposed convolution ("deconvolution"): the gradient of conv2d for its input.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_in, C_out / groups, kH, kW).
        bias: optional (C_out,).
        stride, padding, dilation: as for the conv2d whose adjoint this is.
        output_padding: extra rows/columns added at the end of the output (smaller than stride or dilation).

    Shape:
        output (N, C_out, H_out, W_out),
        H_out = (H-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1.

    Example::

        >>> F.conv_transpose2d(glasstorch.randn(1, 16, 8, 8), glasstorch.randn(16, 3, 4, 4), stride=2,
        ...                    padding=1).shape
        glasstorch.Size([1, 3, 16, 16])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")
