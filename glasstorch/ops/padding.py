"""Padding: ``pad`` as in ``torch.nn.functional.pad``.

``pad`` lists (before, after) widths from the last dimension backwards:
``(left, right, top, bottom, front, back)``. A negative width removes elements.

Modes:

* 'constant': fill with ``value``. Its adjoint is the same op with the widths
  negated (crop where it padded, zero-fill where it cropped), so backward is a pad.
* 'reflect', 'replicate', 'circular': every output element is a copy of one input
  element, chosen independently along each padded dimension. Backward sends each
  gradient element back to its source (``_IndexPadBackward``), and the backward of
  that is the pad again, so gradients of any order work.

reflect and replicate pad first and then crop (torch's kernels behave so); circular
crops first and wraps the cropped content (torch's circular pad does so).
"""
from __future__ import annotations

import operator
from typing import Sequence

import numpy as np

from .._tensor import Tensor
from ..autograd.function import _Primitive

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _axis_slice(axis: int, s) -> tuple:
    return (slice(None),) * axis + (s,)


# ------------------------------------------------------------------ constant
class ConstantPadNd(_Primitive):
    """Pads with a constant; ``widths`` is a tuple of (axis, before, after)."""

    @staticmethod
    def forward(ctx, x, widths, value):
        data = x._data
        ctx.widths = widths
        out_shape = list(data.shape)
        src = [slice(None)] * data.ndim
        dst = [slice(None)] * data.ndim
        empty = False
        for axis, lo, hi in widths:
            n = data.shape[axis]
            out_shape[axis] = n + lo + hi
            kept = n - max(-lo, 0) - max(-hi, 0)  # input elements that survive the crop
            empty |= kept <= 0
            src[axis] = slice(max(-lo, 0), max(-lo, 0) + max(kept, 0))
            dst[axis] = slice(max(lo, 0), max(lo, 0) + max(kept, 0))
        out = np.zeros(out_shape, data.dtype) if value == 0 else np.full(out_shape, value, data.dtype)
        if not empty:
            out[tuple(dst)] = data[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return ConstantPadNd.apply(grad, tuple((a, -lo, -hi) for a, lo, hi in ctx.widths), 0), None, None


# -------------------------------------------------- reflect, replicate, circular
def _source_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each output position along one axis, the input position it copies."""
    i = np.arange(n + lo + hi) - lo  # input coordinate of each output position, before folding
    if mode == "reflect":
        i = np.abs(i)
        return np.where(i >= n, 2 * (n - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    start = max(-lo, 0)
    return start + (i - start) % (n - start - max(-hi, 0))


def _index_pad(data: np.ndarray, widths: tuple, mode: str) -> np.ndarray:
    """The forward of the index modes, with np.pad (slice copies, no gathers)."""
    before = [(0, 0)] * data.ndim
    crop = [slice(None)] * data.ndim
    for axis, lo, hi in widths:
        before[axis] = (max(lo, 0), max(hi, 0))
        end = data.shape[axis] + (max(lo, 0) + max(hi, 0) if mode != "circular" else 0)
        crop[axis] = slice(max(-lo, 0), end - max(-hi, 0))
    if mode == "circular":
        return np.pad(data[tuple(crop)], before, mode="wrap")
    out = np.pad(data, before, mode=_NP_MODE[mode])
    return out[tuple(crop)] if any(lo < 0 or hi < 0 for _, lo, hi in widths) else out


def _scatter_axis(g: np.ndarray, axis: int, n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """The adjoint of padding one axis: adds each gradient element into the input position it copied."""
    length = g.shape[axis]
    shape = list(g.shape)
    shape[axis] = n
    out = np.zeros(shape, g.dtype)
    # Output positions [c0, c1) copy input positions [c0 - lo, c1 - lo) one to one.
    c0 = min(max(lo, 0), length)
    c1 = max(min(max(lo + n, 0), length), c0)
    if c1 > c0:
        out[_axis_slice(axis, slice(c0 - lo, c1 - lo))] = g[_axis_slice(axis, slice(c0, c1))]
    src = None
    for s0, s1 in ((0, c0), (c1, length)):
        if s1 <= s0:
            continue
        if src is None:
            src = _source_index(n, lo, hi, mode)
        part = g[_axis_slice(axis, slice(s0, s1))]
        if mode == "replicate":
            # A whole side copies the one edge element.
            out[_axis_slice(axis, int(src[s0]))] += part.sum(axis=axis)
        else:
            # Within one side the sources are distinct (pad checks keep each side no wider than
            # what it copies), so a fancy-indexed += accumulates correctly.
            out[_axis_slice(axis, src[s0:s1])] += part
    return out


class _IndexPad(_Primitive):
    mode = ""

    @staticmethod
    def forward(ctx, x, widths):
        ctx.widths = widths
        ctx.in_shape = shape = x._data.shape
        out_shape = list(shape)
        for axis, lo, hi in widths:
            out_shape[axis] += lo + hi
        if 0 in out_shape:
            return np.empty(out_shape, x._data.dtype)
        return _index_pad(x._data, widths, ctx.mode)

    @staticmethod
    def backward(ctx, grad):
        return _IndexPadBackward.apply(grad, ctx.widths, ctx.mode, ctx.in_shape), None


class ReflectionPad(_IndexPad):
    mode = "reflect"


class ReplicationPad(_IndexPad):
    mode = "replicate"


class CircularPad(_IndexPad):
    mode = "circular"


_INDEX_PADS = {"reflect": ReflectionPad, "replicate": ReplicationPad, "circular": CircularPad}


class _IndexPadBackward(_Primitive):
    @staticmethod
    def forward(ctx, grad, widths, mode, in_shape):
        ctx.widths, ctx.mode = widths, mode
        g = grad._data
        if g.size == 0:
            return np.zeros(in_shape, g.dtype)
        for axis, lo, hi in widths:
            g = _scatter_axis(g, axis, in_shape[axis], lo, hi, mode)
        return g

    @staticmethod
    def backward(ctx, grad):
        return _INDEX_PADS[ctx.mode].apply(grad, ctx.widths), None, None, None


# ------------------------------------------------------------------ checks
def _check_index_mode(shape: tuple, widths: tuple, mode: str, n_pad: int) -> None:
    """torch's restrictions on the reflect, replicate and circular modes."""
    k = len(widths)
    nd = len(shape)
    if not 1 <= k <= 3 or nd not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {n_pad} is not supported for {nd}D input tensor.")
    outs = [shape[a] + lo + hi for a, lo, hi in widths]
    if mode == "circular":
        for axis, lo, hi in widths:
            n = shape[axis]
            kept = n - max(-lo, 0) - max(-hi, 0)
            # A side wider than the cropped content would wrap more than once: torch then raises,
            # or copies memory it has not written yet. It is always an error here.
            if lo > n or hi > n or max(lo, hi) > max(kept, 0):
                raise RuntimeError(f"Padding value causes wrapping around more than once. (padding ({lo}, {hi}) "
                                   f"at dimension {axis} of input {list(shape)})")
        if min(outs) < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return
    if 0 in shape[nd - k - 1:]:
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    if mode == "reflect":
        for i, (axis, lo, hi) in enumerate(widths):
            if lo >= shape[axis] or hi >= shape[axis]:
                raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {axis} of input "
                                   f"{list(shape)}")
    if min(outs) < 0 or max(outs) < 1:
        names = "DHW"[3 - k:]
        ins = ", ".join(f"{c}: {shape[a]}" for c, (a, _, _) in zip(names, reversed(widths)))
        got = " ".join(f"{c}: {o}" for c, o in zip(names, reversed(outs)))
        raise RuntimeError(f"input ({ins}) is too small. Calculated output {got}")


def _pad_widths(pad) -> list:
    widths = []
    for i, p in enumerate(pad):
        try:
            widths.append(operator.index(p))
        except TypeError:
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(p).__name__} at pos {i}") from None
    return widths


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads ``input``; ``pad`` gives (before, after) widths from the last dimension backwards.

    Args:
        input: the tensor.
        pad: ``(left, right)`` pads the last dimension, ``(left, right, top, bottom)`` the last
            two, and so on. Negative widths crop.
        mode: 'constant', 'reflect', 'replicate' or 'circular'. The last three pad 1, 2 or 3
            dimensions of a tensor with one or two more dimensions (channels, and a batch).
        value: the fill value of 'constant' mode (default 0).

    Example::

        >>> pad(glasstorch.arange(3.0).reshape(1, 3), (2, 1), mode='reflect')
        tensor([[2., 1., 0., 1., 2., 1.]])
    """
    flat = _pad_widths(pad)
    nd = input._data.ndim
    if len(flat) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(flat) // 2 > nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(flat)} and input of dimension {nd}")
    widths = tuple((nd - 1 - i, flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2))
    if mode == "constant":
        for axis, lo, hi in widths:
            # torch narrows first: cropping more than the whole input is an error even if padding follows.
            if input._data.shape[axis] - max(-lo, 0) - max(-hi, 0) < 0:
                raise RuntimeError(f"narrow(): length must be non-negative. (padding ({lo}, {hi}) at dimension "
                                   f"{axis} of input {list(input._data.shape)})")
        return ConstantPadNd.apply(input, widths, 0 if value is None else value)
    if mode not in _INDEX_PADS:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_index_mode(input._data.shape, widths, mode, len(flat))
    if input._data.dtype == np.bool_ and mode != "circular":
        kind = "reflection" if mode == "reflect" else "replication"
        raise NotImplementedError(f"\"{kind}_pad{len(widths)}d\" not implemented for 'Bool'")
    return _INDEX_PADS[mode].apply(input, widths)


__all__ = ["pad"]
