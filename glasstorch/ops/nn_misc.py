"""Layer functions without a family of their own: linear and bilinear maps, dropout,
embedding lookup, resampling (interpolate), pixel shuffle, one_hot, normalize and
the similarity/distance helpers. ``torch.nn.functional`` re-exports them.

Primitives live here with their backward:

* ``Linear``: one GEMM forward; backward gives input, weight and bias gradients
  from the same saved tensors, each a GEMM (or a sum) of glasstorch ops.
* ``Embedding`` and its adjoint ``EmbeddingDenseBackward``: a row gather and a
  row scatter-add; each one's backward is the other, so double backward works.
* The ``Upsample*`` nodes and their adjoints: resampling is separable, one
  gather (nearest) or two weighted gathers (linear) per spatial axis; the adjoint
  sums the gradient back along each axis. Both are linear, so again each one's
  backward is the other.
* ``PixelShuffle`` / ``PixelUnshuffle``: permutations of elements, each the
  other's adjoint.

Dropout is a product with a random constant mask (as torch does on the CPU, where
the node is ``MulBackward0``); bilinear, normalize, cosine_similarity and
pairwise_distance are compositions of existing ops.
"""
from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from .. import _dtype
from .. import random as _random
from .._tensor import Tensor, _TYPE_NAMES, _wrap_dim
from ..autograd.function import _Primitive
from . import reduction as _red
from .elementwise import add, clamp, div, mul, sub
from .indexing import _index_add_
from .linalg import matmul
from .shape import Reshape, _broadcast_pair, expand, permute, transpose, unsqueeze


def _type_name(arr: np.ndarray) -> str:
    return _TYPE_NAMES.get(arr.dtype.name, arr.dtype.name)


def _reshape(t: Tensor, shape: tuple) -> Tensor:
    return t if t._data.shape == shape else Reshape.apply(t, shape)


# ======================================================================= linear
class Linear(_Primitive):
    """``input @ weight.T + bias`` for an input of any number of leading dims."""

    @staticmethod
    def forward(ctx, input, weight, bias):
        x, w = input._data, weight._data
        n_in, n_out = w.shape[1], w.shape[0]
        lead = x.shape[:-1]
        # One GEMM over all leading dims; w.T is a view, which BLAS reads transposed.
        out = np.matmul(x.reshape(-1, n_in), w.T)
        ctx.save_for_backward(input, weight)
        ctx.bias_is_row = bias is None or bias._data.ndim <= 1
        if bias is None:
            return out.reshape(lead + (n_out,))
        b = bias._data
        if ctx.bias_is_row:
            out += b
            return out.reshape(lead + (n_out,))
        out = out.reshape(lead + (n_out,))
        out += b
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        n_out, n_in = w._data.shape
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        if need_x:
            gx = matmul(grad, w)
        if need_w or need_b:
            g2 = _reshape(grad, (math.prod(grad._data.shape[:-1]), n_out))
            if need_w:
                x2 = _reshape(x, (g2._data.shape[0], n_in))
                # The sum over every leading dim happens inside the GEMM: (out, N) @ (N, in).
                gw = matmul(transpose(g2, 0, 1), x2)
            if need_b:
                # A (out,) bias gets the column sums; other shapes get the full gradient,
                # which the engine sums down to the bias's shape.
                gb = _red.sum(g2, 0) if ctx.bias_is_row else grad
        return gx, gw, gb


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Applies the affine map ``y = x A^T + b``.

    Args:
        input: ``(*, in_features)``; any number of leading dimensions.
        weight: ``(out_features, in_features)`` (or ``(in_features,)``, giving ``(*)``).
        bias: ``(out_features,)`` or anything that broadcasts to the output; optional.

    Shape:
        output: ``(*, out_features)``.

    Example::

        >>> F.linear(glasstorch.randn(8, 3, 4), glasstorch.randn(5, 4)).shape
        glasstorch.Size([8, 3, 5])
    """
    x, w = input._data, weight._data
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {x.ndim}D and {w.ndim}D")
    if w.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D")
    if w.ndim == 1:
        # A weight vector: torch's matmul(input, weight) path.
        out = matmul(input, weight)
        return out if bias is None else add(out, bias)
    if x.shape[-1] != w.shape[1]:
        rows = math.prod(x.shape[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                           f"{w.shape[1]}x{w.shape[0]})")
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[x.dtype.name]} != "
                           f"{_C_NAMES[w.dtype.name]}")
    if bias is not None:
        b = bias._data
        if b.dtype != x.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_type_name(b)} and {_type_name(w)}")
        _check_bias(b.shape, x.shape[:-1] + (w.shape[0],), b)
    return Linear.apply(input, weight, bias)


def _check_bias(src: tuple, dst: tuple, b: np.ndarray) -> None:
    """The bias is added in place to the output, so it must broadcast to exactly the output's shape."""
    if len(src) > len(dst):
        raise RuntimeError(f"expand(torch.{_type_name(b)}Tensor{{{list(src)}}}, size={list(dst)}): the number of "
                           f"sizes provided ({len(dst)}) must be greater or equal to the number of dimensions in "
                           f"the tensor ({len(src)})")
    lead = len(dst) - len(src)
    for i, s in enumerate(src):
        if s not in (1, dst[lead + i]):
            raise RuntimeError(f"The size of tensor a ({dst[lead + i]}) must match the size of tensor b ({s}) at "
                               f"non-singleton dimension {lead + i}")


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Applies ``y = x1^T A x2 + b`` for each output feature.

    Composite: one GEMM ``(N, in1) @ (in1, out * in2)``, then a product with ``x2``
    summed over ``in2``; the gradients follow from those ops.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)``, the same leading dims as ``input1``.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)``; optional.

    Shape:
        output: ``(*, out_features)``.
    """
    a, c, w = input1._data, input2._data, weight._data
    if a.ndim != c.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {a.ndim} and {c.ndim}")
    for i in range(a.ndim - 1):
        if a.shape[i] != c.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {a.shape[i]} and {c.shape[i]}")
    if a.shape[-1] != weight.size(1):
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {a.shape[-1]} but expected "
                           f"{w.shape[1]}")
    if c.shape[-1] != weight.size(2):
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {c.shape[-1]} but expected "
                           f"{w.shape[2]}")
    if bias is not None and bias.size(0) != w.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.size(0)} but expected "
                           f"{w.shape[0]}")
    n_out, n1, n2 = w.shape
    lead = a.shape[:-1]
    n = math.prod(lead)
    x1 = _reshape(input1, (n, n1))
    x2 = _reshape(input2, (n, n2))
    w2 = _reshape(permute(weight, (1, 0, 2)), (n1, n_out * n2))
    t = _reshape(matmul(x1, w2), (n, n_out, n2))
    y = _red.sum(mul(t, unsqueeze(x2, 1)), -1)
    if bias is not None:
        y = add(y, bias)
    return _reshape(y, lead + (n_out,))


# ====================================================================== dropout
def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


_SELU_ALPHA = 1.7580993408473766  # -selu's negative saturation value: alpha * scale


def _dropout(input: Tensor, p: float, train: bool, inplace: bool, channel_dims: int = 0,
             alpha: bool = False) -> Tensor:
    """torch's ``_dropout_impl``: ``input * noise`` (plus a shift for alpha dropout).

    ``channel_dims`` is 0 for elementwise dropout; 2 for one draw per (sample, channel)
    and 1 for one draw per channel of an unbatched input (channel-wise dropout). The mask
    is a constant, so the graph node is a plain product, as in torch on the CPU.
    """
    x = input._data
    if p == 0 or not train or x.size == 0:
        return input
    if channel_dims and x.ndim + 2 - channel_dims < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    dt = x.dtype
    if dt.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_type_name(x)}")
    if p == 1:
        zero = Tensor._make(np.zeros((), dtype=dt))
        return input.mul_(zero) if inplace else mul(input, zero)
    shape = x.shape[:channel_dims] + (1,) * (x.ndim - channel_dims) if channel_dims else x.shape
    keep = _random._rng().random(shape, dtype=np.float32) < np.float32(1 - p)
    if not alpha:
        # torch divides the 0/1 noise by (1 - p) in the input's dtype.
        scale = np.asarray(1, dtype=dt) / np.asarray(1 - p, dtype=dt)
        noise = Tensor._make(np.where(keep, scale, np.zeros((), dtype=dt)))
        return input.mul_(noise) if inplace else mul(input, noise)
    # Alpha dropout keeps mean 0 and variance 1 of SELU activations: dropped units are
    # set to the negative saturation value, then everything is rescaled and shifted.
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    noise = keep.astype(dt)
    b = (noise - np.asarray(1, dt)) * np.asarray(_SELU_ALPHA * a, dt) + np.asarray(_SELU_ALPHA * a * p, dt)
    noise *= np.asarray(a, dt)
    noise, b = Tensor._make(noise), Tensor._make(b)
    if inplace:
        return input.mul_(noise).add_(b)
    return add(mul(input, noise), b)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``.

    The mask is drawn from glasstorch's global generator (``glasstorch.manual_seed``).
    With ``training=False`` (or ``p=0``) the input is returned unchanged.

    Args:
        p: probability of an element being zeroed.
        training: apply dropout only if True.
        inplace: modify ``input`` in place.
    """
    _check_p(p)
    return _dropout(input, p, training, inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout (for SELU networks): dropped units take SELU's negative saturation value,
    then an affine map restores zero mean and unit variance."""
    _check_p(p)
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dimension 1)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, 2, alpha=True)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels of ``(N, C, L)`` or ``(C, L)`` input, each with probability ``p``."""
    _check_p(p)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _dropout(input, p, training, inplace, 2 if nd == 3 else 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels (dimension 1) of ``(N, C, H, W)`` input, each with probability ``p``.

    As in torch, a 3-D input is taken as ``(N, C, L)`` (with a warning), and inputs that are
    not 3-D or 4-D are accepted with a deprecation warning.
    """
    _check_p(p)
    nd = input._data.ndim
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input, each with probability ``p``."""
    _check_p(p)
    nd = input._data.ndim
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    return _dropout(input, p, training, inplace, 2 if nd == 5 else 1)


# ==================================================================== embedding
class Embedding(_Primitive):
    """Rows ``weight[indices]``; ``embedding`` has checked the indices (an intp array)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        w = weight._data
        ctx.indices, ctx.num, ctx.pad, ctx.by_freq = indices, w.shape[0], padding_idx, scale_grad_by_freq
        return np.take(w, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        g = EmbeddingDenseBackward.apply(grad, ctx.indices, ctx.num, ctx.pad, ctx.by_freq)
        return g, None, None, None


class EmbeddingDenseBackward(_Primitive):
    """The weight gradient of a lookup: each gradient row added into the row it came from.

    Repeated indices add up; the ``padding_idx`` row gets nothing; with ``by_freq`` each
    contribution is divided by how often its index occurs in the batch.
    """

    @staticmethod
    def forward(ctx, grad, indices, num, pad, by_freq):
        g = grad._data
        dim = g.shape[-1]
        flat = indices.reshape(-1)
        rows = g.reshape(flat.size, dim)
        ctx.indices, ctx.pad = indices, pad
        w = None
        if by_freq:
            w = 1 / np.bincount(flat, minlength=num)[flat].astype(g.dtype)
        if pad >= 0 and flat.size:
            keep = flat != pad
            if not keep.all():
                w = keep.astype(g.dtype) if w is None else w * keep
        if w is not None:
            rows = rows * w[:, None]
        out = np.zeros((num, dim), dtype=g.dtype)
        _index_add_(out, 0, flat, rows, fresh=True)
        return out

    @staticmethod
    def backward(ctx, grad):
        # The gather at the same positions, with the padding rows zeroed. Like torch's
        # embedding_dense_double_backward, this leaves out the 1/frequency scale, so with
        # scale_grad_by_freq it is not the exact adjoint; it gives torch's numbers.
        gg = Embedding.apply(grad, ctx.indices, ctx.pad, False)
        if ctx.pad >= 0:
            keep = (ctx.indices != ctx.pad)[..., None].astype(grad._data.dtype)
            if not keep.all():
                gg = mul(gg, Tensor._make(keep))
        return gg, None, None, None, None


def _embedding_renorm_(weight: Tensor, indices: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scales, in place, each looked-up row whose ``norm_type``-norm exceeds ``max_norm`` down to it.

    Outside autograd (torch runs it on ``weight.detach()``), but the version counter moves.
    """
    w = weight._data
    rows = np.unique(indices)
    if rows.size:
        sub_w = w[rows]
        a = np.abs(sub_w)
        if norm_type == 2:
            norms = np.sqrt(np.sum(a * a, axis=1))
        elif norm_type == 1:
            norms = np.sum(a, axis=1)
        elif math.isinf(norm_type):
            norms = a.max(axis=1) if norm_type > 0 else a.min(axis=1)
        elif norm_type == 0:
            norms = np.count_nonzero(a, axis=1).astype(w.dtype)
        else:
            norms = np.sum(a ** norm_type, axis=1) ** (1.0 / norm_type)
        norms = norms.astype(np.float64)
        big = norms > max_norm
        if big.any():
            scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
            w[rows[big]] = sub_w[big] * scale[:, None]
    weight._version.value += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Looks up rows of ``weight`` (an embedding table) at the integer ``input`` indices.

    Args:
        input: int64/int32 indices of any shape.
        weight: the table, ``(num_embeddings, embedding_dim)``.
        padding_idx: this row receives no gradient.
        max_norm: rows looked up whose norm exceeds it are rescaled to it, in place in ``weight``.
        norm_type: the p of that norm.
        scale_grad_by_freq: divide each row's gradient by the number of times it occurs in ``input``.
        sparse: accepted for compatibility; the gradient is always dense in glasstorch.

    Shape:
        output: ``input.shape + (embedding_dim,)``.

    Example::

        >>> F.embedding(glasstorch.tensor([[1, 2], [0, 1]]), glasstorch.randn(3, 4)).shape
        glasstorch.Size([2, 2, 4])
    """
    idx = input._data
    w = weight._data
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= w.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -w.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = w.shape[0] + padding_idx
    else:
        padding_idx = -1
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_type_name(idx)}Tensor instead (while checking arguments "
                           f"for embedding)")
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if idx.size and (idx.min() < 0 or idx.max() >= w.shape[0]):
        raise IndexError("index out of range in self")
    idx = idx.astype(np.intp, copy=False)
    if max_norm is not None:
        _embedding_renorm_(weight, idx, float(max_norm), float(norm_type))
    return Embedding.apply(weight, idx, int(padding_idx), bool(scale_grad_by_freq))


# ================================================================== interpolate
# Resampling is separable: an output pixel's value is interpolated along the last
# axis, then along the next one, and so on, which is also the order of torch's CPU
# kernel. Each axis has a "plan": source indices (nearest) or two source indices and
# two weights (linear). Indices are non-decreasing along an axis, so the adjoint sums
# runs of equal indices (see _sum_runs) rather than scattering element by element.

def _opmath(dt: np.dtype):
    """The type torch computes indices and weights in: double for double, else float."""
    return np.float64 if dt == np.float64 else np.float32


def _scale(n_in: int, n_out: int, scale_factor, op) -> np.floating:
    """torch's compute_scales_value: 1 / scale_factor when one was given, else in / out."""
    if scale_factor is not None and scale_factor > 0:
        return op(1.0 / scale_factor)
    return op(n_in) / op(n_out)


def _half_pixel_index(scale, dst: np.ndarray, op) -> np.ndarray:
    """torch's area_pixel_compute_source_index without align_corners: ``max(scale * (dst + 0.5) - 0.5, 0)``.

    torch's compiled kernel fuses the multiply and subtract (an FMA, one rounding); for
    float the product is exact in double, so computing in double and rounding once
    reproduces it bit for bit.
    """
    if op is np.float32:
        real = (np.float64(scale) * (dst.astype(np.float64) + 0.5) - 0.5).astype(np.float32)
    else:
        real = scale * (dst + 0.5) - 0.5
    return np.maximum(real, op(0))


def _nearest_generic(n_in: int, n_out: int, scale_factor, dt, exact: bool) -> np.ndarray:
    """Source index of each output position, as torch's generic N-d kernel computes it
    (1-D and 3-D forward): the scale in the input's precision, the index floored as float."""
    op = _opmath(dt)
    scale = _scale(n_in, n_out, scale_factor, op)
    dst = np.arange(n_out, dtype=op)
    if exact:
        real = _half_pixel_index(scale, dst, op)
        # floorf(real + 0.5): the sum is taken in double, then rounded to float.
        src = np.floor((real.astype(np.float64) + 0.5).astype(np.float32))
    else:
        # floorf: even a double index is rounded to float before flooring.
        src = np.floor((dst * scale).astype(np.float32))
    return np.minimum(src.astype(np.intp), n_in - 1)


def _nearest_idx(n_in: int, n_out: int, scale_factor, exact: bool) -> np.ndarray:
    """Source indices as torch's ``nearest_idx`` computes them (the 2-D forward, and every backward).

    They differ from the generic kernel's in corner cases: out == in is a copy and
    out == 2 * in is ``i // 2`` whatever the scale factor, and the scale is always a
    float. For 1-D and 3-D input torch's gradient is therefore not quite the adjoint
    of its forward there; we reproduce torch's numbers, not the adjoint.

    For 2-D input torch's forward picks between this and the generic kernel by tensor
    size (large outputs take the generic one). We always use this one, which differs
    from torch only for a scale factor that is not exactly 1 or 2 yet gives an output
    size of exactly 1x or 2x the input, on a large tensor.
    """
    dst = np.arange(n_out)
    if not exact:
        if n_out == n_in:
            return dst.astype(np.intp)
        if n_out == 2 * n_in:
            return (dst >> 1).astype(np.intp)
    scale = _scale(n_in, n_out, scale_factor, np.float32)
    if exact:
        src = np.floor(((dst + 0.5) * np.float64(scale)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * scale)
    return np.minimum(src.astype(np.intp), n_in - 1)


def _linear_plan(n_in: int, n_out: int, scale_factor, align_corners: bool, dt) -> tuple:
    """(i0, i1, w0, w1) per output position: torch's compute_source_index_and_lambda."""
    if n_in == n_out:
        i = np.arange(n_out, dtype=np.intp)
        return i, i, np.ones(n_out, dtype=dt), np.zeros(n_out, dtype=dt)
    op = _opmath(dt)
    dst = np.arange(n_out, dtype=op)
    if align_corners:
        scale = op(n_in - 1) / op(n_out - 1) if n_out > 1 else op(0)
        real = scale * dst
    else:
        real = _half_pixel_index(_scale(n_in, n_out, scale_factor, op), dst, op)
    i0 = np.minimum(np.floor(real.astype(np.float32)).astype(np.intp), n_in - 1)
    lam1 = np.clip(real - i0.astype(op), op(0), op(1))
    lam0 = op(1) - lam1
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, lam0.astype(dt), lam1.astype(dt)


def _along(w: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """Per-position weights shaped to broadcast along ``axis``."""
    return w.reshape((-1,) + (1,) * (ndim - axis - 1))


def _gather(x: np.ndarray, axis: int, plan: tuple) -> np.ndarray:
    if plan[0] == "nearest":
        return np.take(x, plan[1], axis=axis)
    _, i0, i1, w0, w1 = plan
    out = np.take(x, i0, axis=axis)
    out *= _along(w0, axis, x.ndim)
    far = np.take(x, i1, axis=axis)
    far *= _along(w1, axis, x.ndim)
    out += far
    return out


def _sum_runs(g: np.ndarray, axis: int, idx: np.ndarray, n_in: int) -> np.ndarray:
    """``out[.., idx[j], ..] += g[.., j, ..]`` along ``axis``, for non-decreasing ``idx``.

    Equal indices form runs of consecutive positions. Pass r adds the r-th element of
    every run at least r + 1 long, so an upsampling by k takes k vectorized adds (and a
    downsampling one gather) instead of a per-element scatter.
    """
    n = idx.size
    starts = np.flatnonzero(np.concatenate(([True], idx[1:] != idx[:-1])))
    lengths = np.diff(np.append(starts, n))
    k = int(lengths[0])
    if n == k * starts.size and (lengths == k).all():
        # Runs of one length k (an integer scale factor): strided views, no gathers.
        def part(r):
            return g[(slice(None),) * axis + (slice(r, None, k),)]
        acc = part(0) + part(1) if k > 1 else part(0).copy()
        for r in range(2, k):
            acc += part(r)
    else:
        acc = np.take(g, starts, axis=axis)
        for r in range(1, int(lengths.max())):
            longer = np.flatnonzero(lengths > r)
            more = np.take(g, starts[longer] + r, axis=axis)
            if longer.size == starts.size:
                acc += more
            else:
                acc[(slice(None),) * axis + (longer,)] += more
    if starts.size == n_in:
        return acc  # every source position is hit, in order
    out = np.zeros(g.shape[:axis] + (n_in,) + g.shape[axis + 1:], dtype=g.dtype)
    out[(slice(None),) * axis + (idx[starts],)] = acc
    return out


def _scatter(g: np.ndarray, axis: int, plan: tuple, n_in: int) -> np.ndarray:
    if plan[0] == "nearest":
        return _sum_runs(g, axis, plan[1], n_in)
    _, i0, i1, w0, w1 = plan
    out = _sum_runs(g * _along(w0, axis, g.ndim), axis, i0, n_in)
    out += _sum_runs(g * _along(w1, axis, g.ndim), axis, i1, n_in)
    return out


class _Upsample(_Primitive):
    """Resampling along the spatial axes. ``axes``: (axis, n_in, forward plan, backward plan) each.

    Subclasses only give the node torch's name; ``_adjoint`` is the class of the backward node.
    """
    _adjoint = None

    @staticmethod
    def forward(ctx, input, axes):
        ctx.axes = axes
        y = input._data
        for axis, _, plan, _ in reversed(axes):
            y = _gather(y, axis, plan)
        return y.copy() if y is input._data else y

    @staticmethod
    def backward(ctx, grad):
        return type(ctx)._adjoint.apply(grad, ctx.axes, type(ctx)), None


class _UpsampleBackward(_Primitive):
    """The adjoint of ``_Upsample`` (with torch's backward plans): sums gradients back to sources."""

    @staticmethod
    def forward(ctx, grad, axes, forward_cls):
        ctx.axes, ctx.forward_cls = axes, forward_cls
        g = grad._data
        for axis, n_in, _, plan in axes:
            g = _scatter(g, axis, plan, n_in)
        return g.copy() if g is grad._data else g

    @staticmethod
    def backward(ctx, grad):
        return ctx.forward_cls.apply(grad, ctx.axes), None, None


def _make_nodes(name: str):
    back = type(name + "Backward", (_UpsampleBackward,), {"__doc__": f"Adjoint of {name}."})
    fwd = type(name, (_Upsample,), {"__doc__": f"torch's {name} node.", "_adjoint": back})
    return fwd, back


UpsampleNearest1D, UpsampleNearest1DBackward = _make_nodes("UpsampleNearest1D")
UpsampleNearest2D, UpsampleNearest2DBackward = _make_nodes("UpsampleNearest2D")
UpsampleNearest3D, UpsampleNearest3DBackward = _make_nodes("UpsampleNearest3D")
UpsampleNearestExact1D, UpsampleNearestExact1DBackward = _make_nodes("UpsampleNearestExact1D")
UpsampleNearestExact2D, UpsampleNearestExact2DBackward = _make_nodes("UpsampleNearestExact2D")
UpsampleNearestExact3D, UpsampleNearestExact3DBackward = _make_nodes("UpsampleNearestExact3D")
UpsampleLinear1D, UpsampleLinear1DBackward = _make_nodes("UpsampleLinear1D")
UpsampleBilinear2D, UpsampleBilinear2DBackward = _make_nodes("UpsampleBilinear2D")
UpsampleTrilinear3D, UpsampleTrilinear3DBackward = _make_nodes("UpsampleTrilinear3D")

_NODES = {("nearest", 1): UpsampleNearest1D, ("nearest", 2): UpsampleNearest2D, ("nearest", 3): UpsampleNearest3D,
          ("nearest-exact", 1): UpsampleNearestExact1D, ("nearest-exact", 2): UpsampleNearestExact2D,
          ("nearest-exact", 3): UpsampleNearestExact3D, ("linear", 1): UpsampleLinear1D,
          ("bilinear", 2): UpsampleBilinear2D, ("trilinear", 3): UpsampleTrilinear3D}
_KERNEL = {"nearest": "upsample_nearest", "nearest-exact": "_upsample_nearest_exact", "linear": "upsample_linear",
           "bilinear": "upsample_bilinear", "trilinear": "upsample_trilinear"}


def _is_integer(x) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind in "iu" and x._data.size == 1
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _int(x) -> int:
    return int(x.item()) if isinstance(x, Tensor) else operator.index(x)


def _resample(input: Tensor, mode: str, out_sizes: list, scales: list | None, align_corners) -> Tensor:
    x = input._data
    d = x.ndim - 2
    in_sizes = list(x.shape[2:])
    if any(s <= 0 for s in in_sizes) or any(s <= 0 for s in out_sizes):
        names = ("D", "H", "W")[3 - d:]
        fin = ", ".join(f"{n}: {s}" for n, s in zip(names, in_sizes))
        fout = ", ".join(f"{n}: {s}" for n, s in zip(names, out_sizes))
        sep = " and" if d == 1 else ""
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({fin}){sep} "
                           f"output ({fout})")
    if x.size == 0 and 0 in x.shape[1:]:
        # An empty batch is fine; empty channels are not.
        raise RuntimeError(f"Non-empty {x.ndim}D data tensor expected but got a tensor with sizes {list(x.shape)}")
    dt = x.dtype
    linear_mode = mode in ("linear", "bilinear", "trilinear")
    if linear_mode and dt.kind != "f":
        raise NotImplementedError(f"\"compute_indices_weights_linear\" not implemented for '{_type_name(x)}'")
    if not linear_mode and dt.kind != "f" and dt != np.uint8:
        raise NotImplementedError(f"\"{_KERNEL[mode]}{d}d_channels_last\" not implemented for '{_type_name(x)}'")
    axes = []
    for i in range(d):
        n_in, n_out = in_sizes[i], out_sizes[i]
        sf = None if scales is None else scales[i]
        if linear_mode:
            plan = ("linear",) + _linear_plan(n_in, n_out, sf, bool(align_corners), dt)
            axes.append((2 + i, n_in, plan, plan))
        else:
            exact = mode == "nearest-exact"
            bwd = ("nearest", _nearest_idx(n_in, n_out, sf, exact))
            fwd = bwd if d == 2 else ("nearest", _nearest_generic(n_in, n_out, sf, dt, exact))
            axes.append((2 + i, n_in, fwd, bwd))
    return _NODES[(mode, d)].apply(input, tuple(axes))


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resamples ``input`` to ``size`` or by ``scale_factor`` over its spatial dims (all dims after the 2nd).

    Index computations follow torch's CPU kernels exactly, in the same precision, so
    the same output pixels pick the same source pixels.

    Args:
        input: ``(N, C, W)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        size: the output spatial size: an int or one int per spatial dim.
        scale_factor: a multiplier per spatial dim (or one for all). The output size is
            ``floor(in * scale_factor)``; the sampling uses ``1 / scale_factor`` unless
            ``recompute_scale_factor`` is True.
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'`` (4-D),
            ``'trilinear'`` (5-D) or ``'area'`` (adaptive average pooling).
        align_corners: for the linear modes: map corner pixel centers onto each other.

    Example::

        >>> F.interpolate(glasstorch.randn(1, 3, 4, 4), scale_factor=2, mode='bilinear').shape
        glasstorch.Size([1, 3, 8, 8])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input._data.ndim
    d = nd - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != d:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input._data.shape[2:])} and output size of "
                                 f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                                 f"size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(s) for s in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            output_size = [_int(s) for s in size]
        else:
            if not _is_integer(size):
                raise TypeError(f"expected size to be an int or a tuple of ints, got {type(size).__name__}")
            output_size = [_int(size)] * d
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != d:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input._data.shape[2:])} and scale_factor "
                                 f"of shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                                 f"format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = list(scale_factor)
        else:
            scale_factors = [scale_factor] * d
        if any(isinstance(s, Tensor) or not isinstance(s, (int, float, np.integer, np.floating))
               for s in scale_factors):
            raise TypeError(f"scale_factor must be a float or a tuple of floats, got "
                            f"{[type(s).__name__ for s in scale_factors]}")
        scale_factors = [float(s) for s in scale_factors]
    else:
        raise ValueError("either size or scale_factor should be defined")

    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(input._data.shape[i + 2] * scale_factors[i]) for i in range(d)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and nd == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    if antialias:
        raise NotImplementedError("glasstorch does not implement antialiased interpolation")

    if output_size is None:
        # torch's compute_output_size: the product truncated to an integer.
        output_size = [int(input._data.shape[i + 2] * scale_factors[i]) for i in range(d)]

    if mode == "area" and nd in (3, 4, 5):
        from . import pooling
        fn = getattr(pooling, f"adaptive_avg_pool{d}d", None)
        if fn is None:
            raise NotImplementedError(f"interpolate(mode='area') needs adaptive_avg_pool{d}d, which glasstorch "
                                      f"does not have yet")
        return fn(input, output_size)
    if (mode, d) in _NODES:
        return _resample(input, mode, output_size, scale_factors, align_corners)
    if mode in ("bicubic", "lanczos") and nd == 4:
        raise NotImplementedError(f"glasstorch does not implement interpolate(mode='{mode}')")
    wrong = {("bilinear", 3): "Got 3D input, but bilinear mode needs 4D input",
             ("trilinear", 3): "Got 3D input, but trilinear mode needs 5D input",
             ("linear", 4): "Got 4D input, but linear mode needs 3D input",
             ("trilinear", 4): "Got 4D input, but trilinear mode needs 5D input",
             ("linear", 5): "Got 5D input, but linear mode needs 3D input",
             ("bilinear", 5): "Got 5D input, but bilinear mode needs 4D input"}
    if (mode, nd) in wrong:
        raise NotImplementedError(wrong[(mode, nd)])
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the modes: "
                              f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
                              f"(got {mode})")


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`interpolate`."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ================================================================ pixel shuffle
def _shuffle(x: np.ndarray, r: int) -> np.ndarray:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): channel c*r*r + i*r + j goes to pixel (h*r + i, w*r + j)."""
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def _unshuffle(x: np.ndarray, r: int) -> np.ndarray:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of ``_shuffle``."""
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffle(_Primitive):
    @staticmethod
    def forward(ctx, input, r):
        ctx.r = r
        return np.ascontiguousarray(_shuffle(input._data, r))

    @staticmethod
    def backward(ctx, grad):
        return PixelUnshuffle.apply(grad, ctx.r), None


class PixelUnshuffle(_Primitive):
    @staticmethod
    def forward(ctx, input, r):
        ctx.r = r
        return np.ascontiguousarray(_unshuffle(input._data, r))

    @staticmethod
    def backward(ctx, grad):
        return PixelShuffle.apply(grad, ctx.r), None


def _factor(value, fn: str, name: str) -> int:
    if isinstance(value, (float, np.floating)) or not hasattr(value, "__index__"):
        raise TypeError(f"{fn}(): argument '{name}' (position 2) must be int, not {type(value).__name__}")
    value = operator.index(value)
    if value <= 0:
        raise RuntimeError(f"{fn} expects a positive {name}, but got {value}")
    return value


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearranges ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)`` with ``r = upscale_factor``.

    Example::

        >>> F.pixel_shuffle(glasstorch.randn(1, 9, 4, 4), 3).shape
        glasstorch.Size([1, 1, 12, 12])
    """
    x = input._data
    r = _factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    if x.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if x.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={x.shape[-3]} is not divisible by {r * r}")
    return PixelShuffle.apply(input, r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearranges ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)``: the inverse of pixel_shuffle."""
    x = input._data
    r = _factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    if x.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if x.shape[-2] % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={x.shape[-2]} is not divisible by {r}")
    if x.shape[-1] % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={x.shape[-1]} is not divisible by {r}")
    return PixelUnshuffle.apply(input, r)


# ====================================================================== one_hot
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: ``out[..., k] = 1`` where ``tensor[...] == k``.

    Args:
        tensor: int64 class indices of any shape.
        num_classes: the length of the last dim; -1 means ``tensor.max() + 1``.

    Example::

        >>> F.one_hot(glasstorch.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    num_classes = operator.index(num_classes)
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        if x.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        num_classes = int(x.max()) + 1
    elif x.size:
        if x.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if x.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros((x.size, num_classes), dtype=np.int64)
    out[np.arange(x.size), x.reshape(-1)] = 1
    return Tensor._make(out.reshape(x.shape + (num_classes,)))


# ===================================================== normalize and similarity
def normalize(input: Tensor, p: float = 2.0, dim=1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """Divides ``input`` by its ``p``-norm over ``dim``, kept at least ``eps``: ``v / max(||v||_p, eps)``.

    Composite of norm, clamp and div (torch's own formulation), so the gradients follow.
    """
    denom = expand(clamp(_red.norm(input, p, dim, keepdim=True), min=eps), input.shape)
    result = div(input, denom)
    if out is not None:
        out._data[...] = result._data
        out._version.value += 1
        return out
    return result


class _ClampMinNoGrad(_Primitive):
    """``max(x, eps)`` whose gradient is that of ``x``: torch clamps the norms in
    cosine_similarity in place under no_grad, so the clamp is invisible to autograd."""

    @staticmethod
    def forward(ctx, x, eps):
        a = x._data
        return np.maximum(a, np.asarray(eps, dtype=a.dtype))

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (they broadcast).

    Computed as torch does: each input is divided by its norm (at least ``eps``)
    first, then the products are summed, so the result stays within [-1, 1].
    """
    common = _dtype.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_TYPE_NAMES[common.name]}")
    if x1._data.dtype.kind in "biu":
        x1 = x1.to(common)
    if x2._data.dtype.kind in "biu":
        x2 = x2.to(common)
    shape = _broadcast_pair(x1._data.shape, x2._data.shape)
    if x1._data.shape != shape:
        x1 = expand(x1, shape)
    if x2._data.shape != shape:
        x2 = expand(x2, shape)
    dim = _wrap_dim(dim, len(shape))
    n1 = _ClampMinNoGrad.apply(_red.norm(x1, 2, dim, keepdim=True), eps)
    n2 = _ClampMinNoGrad.apply(_red.norm(x2, 2, dim, keepdim=True), eps)
    return _red.sum(mul(div(x1, n1), div(x2, n2)), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The ``p``-norm of ``x1 - x2 + eps`` over the last dimension."""
    last = max(x1._data.ndim, x2._data.ndim) - 1
    return _red.norm(add(sub(x1, x2), eps), p, last, keepdim)


__all__ = ["linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "embedding", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle", "one_hot", "normalize", "cosine_similarity", "pairwise_distance"]
