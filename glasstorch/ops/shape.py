"""Shape and movement ops: reshape/view, squeeze/unsqueeze, permute/transpose,
expand/repeat, flip/roll, cat/stack/split, narrow, tril/triu, diagonal, clone.

Ops that NumPy can express as a view (reshape of compatible strides, transpose,
slicing, expand, diagonal) return tensors sharing memory and the version
counter with their input, as torch's views do (``Tensor._view_of``). Ops that
torch defines as copies (flip, roll, repeat, cat, stack, tril, clone) copy.

Most of these ops are linear, so each backward is another op of this family:
reshape undoes reshape, permute undoes permute, cat and split undo each other,
unbind and stack undo each other, narrow and diagonal are undone by ops that
write the gradient into zeros. Because each backward is itself a recorded op,
double backward works throughout.

The multi-output ops (split, chunk, unbind) are one graph node with several
outputs. When only some outputs are used, the engine hands backward zeros for
the others, so backward can always concatenate (or stack) a full set.
"""
from __future__ import annotations

import math
import operator
from functools import reduce
from typing import Sequence

import numpy as np

from .. import _dtype
from .._tensor import Size, Tensor, _TYPE_NAMES, _wrap_dim
from ..autograd.function import _Primitive
from .broadcast import BroadcastTo


# ------------------------------------------------------------------ helpers
def _ints(values) -> tuple:
    """A tuple of Python ints; accepts NumPy ints and one-element integer tensors, as torch does."""
    return tuple(map(operator.index, values))


def _dim_list(dims, ndim: int) -> tuple:
    """Wraps each dim into range and rejects repeats with torch's message."""
    wrapped = tuple(_wrap_dim(operator.index(d), ndim) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        seen = set()
        for d in wrapped:
            if d in seen:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            seen.add(d)
    return wrapped


def _no_dims_error() -> IndexError:
    # torch's message for ops that need a dimension to act on (unbind, roll) given a 0-d tensor.
    return IndexError("Dimension specified as 0 but tensor has no dimensions")


def _along(dim: int, index) -> tuple:
    """An index tuple that applies ``index`` (an int or a slice) to axis ``dim`` only.

    The trailing Ellipsis keeps integer indexing on a 1-D array a 0-d array view,
    not a NumPy scalar.
    """
    return (slice(None),) * dim + (index, Ellipsis)


def _promoted(tensors) -> np.dtype:
    """torch's result dtype for tensors combined by cat/stack (no 0-d/number ranking: all are tensors)."""
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return first
    return reduce(_dtype.promote_types, (t.dtype for t in tensors)).np


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolves one -1 in ``shape`` and checks that the sizes match, with torch's messages."""
    shape = _ints(shape)
    if -1 not in shape and math.prod(shape) == numel and min(shape, default=0) >= 0:
        return shape  # the common case: nothing to infer, nothing wrong
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# ------------------------------------------------------- reshaping primitives
class View(_Primitive):
    """Same elements in a new shape: a view when the strides allow it, else a copy (``reshape``)."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a._data.shape
        return Tensor._view_of(a, a._data.reshape(shape))

    @staticmethod
    def backward(ctx, grad):
        return View.apply(grad, ctx.in_shape), None


# The name other families use; the class is called View so that nodes print as torch's ViewBackward0.
Reshape = View


class Squeeze(View):
    """A View that drops size-1 dimensions (named like torch's node)."""


class Unsqueeze(View):
    """A View that inserts a size-1 dimension (named like torch's node)."""


class Permute(_Primitive):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return Tensor._view_of(a, a._data.transpose(dims))

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return Permute.apply(grad, tuple(inverse)), None


class Transpose(_Primitive):
    @staticmethod
    def forward(ctx, a, dim0, dim1):
        ctx.dims = (dim0, dim1)
        x = a._data
        # NumPy has no axis 0 on a 0-d array; torch allows transpose(0, 0) and t() there.
        return Tensor._view_of(a, x.view() if x.ndim == 0 else x.swapaxes(dim0, dim1))

    @staticmethod
    def backward(ctx, grad):
        return Transpose.apply(grad, *ctx.dims), None, None


class T(Transpose):
    """``t()``: a Transpose named like torch's TBackward0."""


class Expand(BroadcastTo):
    """``expand``: broadcasting without copying; backward sums over the expanded dims (BroadcastTo's)."""

    @staticmethod
    def forward(ctx, x, shape):
        if math.prod(shape) == x._data.size:
            # Only size-1 dims were added or kept: a plain reshape view, which unlike
            # np.broadcast_to stays writable (torch lets you write into such a tensor).
            ctx.in_shape = x._data.shape
            return Tensor._view_of(x, x._data.reshape(shape))
        return BroadcastTo.forward(ctx, x, shape)


class Repeat(_Primitive):
    @staticmethod
    def forward(ctx, a, repeats):
        x = a._data
        padded = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.in_shape, ctx.padded, ctx.repeats = x.shape, padded, repeats
        return np.tile(x.reshape(padded), repeats)

    @staticmethod
    def backward(ctx, grad):
        # View the output as (r0, s0, r1, s1, ...) and sum the copies (the r axes) together.
        interleaved = []
        for r, s in zip(ctx.repeats, ctx.padded):
            interleaved += [r, s]
        g = grad.reshape(interleaved)
        axes = tuple(2 * i for i, r in enumerate(ctx.repeats) if r != 1)
        if axes:
            g = g.sum(axes)
        return g.reshape(ctx.in_shape), None


class Flip(_Primitive):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        # torch's flip returns a new tensor, so copy NumPy's negative-stride view.
        return np.flip(a._data, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims), None


class Roll(_Primitive):
    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if a._data.size == 0:
            return a._data.copy()
        return np.roll(a._data, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def _skipped_by_cat(t: Tensor) -> bool:
    # torch.cat has long ignored 1-D empty tensors, whatever the other shapes.
    return t._data.shape == (0,)


class Cat(_Primitive):
    """``cat(tensors, dim)``, applied as ``Cat.apply(dim, *tensors)``: one input edge per tensor."""

    @staticmethod
    def forward(ctx, dim, *tensors):
        dt = _promoted(tensors)
        ctx.dim = dim
        ctx.sizes = tuple(None if _skipped_by_cat(t) else t._data.shape[dim] for t in tensors)
        arrays = [t._data for t in tensors if not _skipped_by_cat(t)]
        if not arrays:
            return np.empty((0,), dtype=dt)
        return np.concatenate(arrays, axis=dim, dtype=dt, casting="unsafe")

    @staticmethod
    def backward(ctx, grad):
        grads = [None]
        offset = 0
        for needs, size in zip(ctx.needs_input_grad[1:], ctx.sizes):
            if size is None:
                grads.append(Tensor._make(np.zeros((0,), dtype=grad._data.dtype)) if needs else None)
                continue
            grads.append(Narrow.apply(grad, ctx.dim, offset, size) if needs else None)
            offset += size
        return tuple(grads)


class Stack(_Primitive):
    """``stack(tensors, dim)``, applied as ``Stack.apply(dim, *tensors)``."""

    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        return np.stack([t._data for t in tensors], axis=dim, dtype=_promoted(tensors), casting="unsafe")

    @staticmethod
    def backward(ctx, grad):
        return (None,) + Unbind.apply(grad, ctx.dim)


class Split(_Primitive):
    """Views of consecutive pieces of ``sizes`` along ``dim``; backward concatenates the gradients."""

    @staticmethod
    def forward(ctx, a, sizes, dim):
        ctx.dim = dim
        x = a._data
        out = []
        start = 0
        for s in sizes:
            out.append(Tensor._view_of(a, x[_along(dim, slice(start, start + s))]))
            start += s
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        return Cat.apply(ctx.dim, *grads), None, None


class SplitWithSizes(Split):
    """``split`` with a list of sizes (named like torch's node)."""


class Unbind(_Primitive):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        x = a._data
        return tuple(Tensor._view_of(a, x[_along(dim, i)]) for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return Stack.apply(ctx.dim, *grads), None


class Narrow(_Primitive):
    """``narrow(dim, start, length)``: a view of a slice along one dim (torch's SliceBackward0)."""

    @staticmethod
    def forward(ctx, a, dim, start, length):
        ctx.in_shape, ctx.dim, ctx.start = a._data.shape, dim, start
        return Tensor._view_of(a, a._data[_along(dim, slice(start, start + length))])

    @staticmethod
    def backward(ctx, grad):
        return NarrowBackward.apply(grad, ctx.in_shape, ctx.dim, ctx.start), None, None, None


class NarrowBackward(_Primitive):
    """Narrow's adjoint: zeros of the input's shape with ``grad`` written into the slice."""

    @staticmethod
    def forward(ctx, grad, shape, dim, start):
        length = grad._data.shape[dim]
        ctx.dim, ctx.start, ctx.length = dim, start, length
        out = np.zeros(shape, dtype=grad._data.dtype)
        out[_along(dim, slice(start, start + length))] = grad._data
        return out

    @staticmethod
    def backward(ctx, g):
        return Narrow.apply(g, ctx.dim, ctx.start, ctx.length), None, None, None


class Tril(_Primitive):
    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return np.tril(a._data, k)

    @staticmethod
    def backward(ctx, grad):
        return Tril.apply(grad, ctx.k), None


class Triu(_Primitive):
    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return np.triu(a._data, k)

    @staticmethod
    def backward(ctx, grad):
        return Triu.apply(grad, ctx.k), None


class Clone(_Primitive):
    @staticmethod
    def forward(ctx, a):
        return a._data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def _diagonal_view(x: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    d = np.diagonal(x, offset, dim1, dim2)
    if x.flags.writeable:
        # NumPy marks diagonal views read-only only for backward compatibility;
        # torch's diagonal is a writable view (x.diagonal().fill_(0) is common).
        d.flags.writeable = True
    return d


class Diagonal(_Primitive):
    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        ctx.in_shape, ctx.args = a._data.shape, (offset, dim1, dim2)
        return Tensor._view_of(a, _diagonal_view(a._data, offset, dim1, dim2))

    @staticmethod
    def backward(ctx, grad):
        return DiagEmbed.apply(grad, ctx.in_shape, *ctx.args), None, None, None


class DiagEmbed(_Primitive):
    """Diagonal's adjoint: zeros of ``shape`` with ``src`` written on the diagonal (dims dim1, dim2)."""

    @staticmethod
    def forward(ctx, src, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = np.zeros(shape, dtype=src._data.dtype)
        _diagonal_view(out, offset, dim1, dim2)[...] = src._data
        return out

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args), None, None, None, None


# --------------------------------------------------------------- public API
def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Returns a tensor with the same elements in ``shape``; one size may be -1 (inferred).

    A view of ``input`` when its strides allow it, else a copy.

    Example::

        >>> glasstorch.arange(6).reshape(2, -1).shape
        glasstorch.Size([2, 3])
    """
    return View.apply(input, _infer_shape(shape, input._data.size))


def view(input: Tensor, shape: Sequence[int]) -> Tensor:
    """``Tensor.view(*shape)``: like reshape, but always a view; raises if the strides do not allow one."""
    shape = _infer_shape(shape, input._data.size)
    x = input._data
    if not x.flags.c_contiguous:
        try:
            np.reshape(x, shape, copy=False)
        except ValueError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
                               ) from None
    return View.apply(input, shape)


def view_dtype(input: Tensor, dtype) -> Tensor:
    """``Tensor.view(dtype)``: the same bytes read as ``dtype``. Never differentiable.

    With a different element size the last dimension shrinks or grows, as in torch.
    """
    dt = _dtype.to_dtype(dtype)
    x = input._data
    if dt.itemsize != x.itemsize:
        src, dst = _TYPE_NAMES[input.dtype.name], _TYPE_NAMES[dt.name]
        what = f"to view {src} as {dst} (different element sizes)"
        if x.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if x.strides[-1] != x.itemsize and x.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {x.strides[-1] // x.itemsize}")
        if (x.shape[-1] * x.itemsize) % dt.itemsize:
            raise RuntimeError(f"self.size(-1) must be divisible by {dt.itemsize // x.itemsize} {what}, "
                               f"but got {x.shape[-1]}")
    try:
        return Tensor._view_of(input, x.view(dt.np))
    except ValueError as e:
        raise RuntimeError(f"cannot view {input.dtype} as {dt}: {e}") from None


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Flattens dims ``start_dim`` to ``end_dim`` into one. A 0-d tensor becomes shape (1,).

    Example::

        >>> glasstorch.zeros(2, 3, 4).flatten(1).shape
        glasstorch.Size([2, 12])
    """
    shape = input._data.shape
    ndim = len(shape)
    start, end = _wrap_dim(start_dim, ndim), _wrap_dim(end_dim, ndim)
    if ndim == 0:
        return View.apply(input, (1,))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input  # torch returns the input itself here
    return View.apply(input, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor: a view when possible, else a copy."""
    return View.apply(input, (input._data.size,))


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Splits dimension ``dim`` into ``sizes`` (one of which may be -1).

    Example::

        >>> glasstorch.zeros(2, 6).unflatten(1, (3, -1)).shape
        glasstorch.Size([2, 3, 2])
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, len(shape))
    sizes = _ints(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes and known == 0 and n == 0:
        raise RuntimeError(f"unflatten got an unexpected error:\ncannot reshape tensor of 0 elements into shape "
                           f"{list(sizes)} because the unspecified dimension size -1 can be any value and is ambiguous")
    if (known != n) if -1 not in sizes else (known == 0 or n % known):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({n}) in the input tensor")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return View.apply(input, shape[:d] + sizes + shape[d + 1:])


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Removes dimensions of size 1: all of them, or those among ``dim`` (an int or a tuple).

    A named dimension whose size is not 1 is left as it is.
    """
    shape = input._data.shape
    if dim is None:
        drop = {i for i, s in enumerate(shape) if s == 1}
    else:
        dims = _dim_list(dim if isinstance(dim, (tuple, list)) else (dim,), len(shape))
        drop = {d for d in dims if shape and shape[d] == 1}
    return Squeeze.apply(input, tuple(s for i, s in enumerate(shape) if i not in drop))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dimension of size 1 at ``dim`` (in range [-input.dim()-1, input.dim()])."""
    shape = input._data.shape
    d = _wrap_dim(operator.index(dim), len(shape) + 1)
    return Unsqueeze.apply(input, shape[:d] + (1,) + shape[d:])


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Returns a view with the dimensions reordered as ``dims``.

    Example::

        >>> glasstorch.zeros(2, 3, 4).permute(2, 0, 1).shape
        glasstorch.Size([4, 2, 3])
    """
    ndim = input._data.ndim
    dims = _ints(dims)
    if len(dims) != ndim:
        raise RuntimeError("permute(): number of dimensions in the tensor input does not match the length of the "
                           f"desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to "
                           f"len(dims) = {len(dims)}")
    wrapped = tuple(_wrap_dim(d, ndim) for d in dims)
    if len(set(wrapped)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, wrapped)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Returns a view with dimensions ``dim0`` and ``dim1`` swapped."""
    ndim = input._data.ndim
    return Transpose.apply(input, _wrap_dim(operator.index(dim0), ndim), _wrap_dim(operator.index(dim1), ndim))


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Alias of :func:`transpose`."""
    return transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Alias of :func:`transpose`."""
    return transpose(input, dim0, dim1)


def t(input: Tensor) -> Tensor:
    """Transposes a 2-D tensor; 0-d and 1-D tensors are returned as views unchanged."""
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return T.apply(input, 0, 1 if ndim == 2 else 0)


def movedim(input: Tensor, source, destination) -> Tensor:
    """Moves the dims ``source`` (int or sequence) to positions ``destination``; the others keep their order.

    Example::

        >>> glasstorch.zeros(2, 3, 4).movedim(0, -1).shape
        glasstorch.Size([3, 4, 2])
    """
    ndim = input._data.ndim
    src = _ints(source) if isinstance(source, (tuple, list)) else (operator.index(source),)
    dst = _ints(destination) if isinstance(destination, (tuple, list)) else (operator.index(destination),)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    ws = tuple(_wrap_dim(d, ndim) for d in src)
    wd = tuple(_wrap_dim(d, ndim) for d in dst)
    if len(set(ws)) != len(ws):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(wd)) != len(wd):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if ndim == 0:
        return Permute.apply(input, ())  # torch accepts dims 0 and -1 on a 0-d tensor
    order = [d for d in range(ndim) if d not in ws]
    for d, s in sorted(zip(wd, ws)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


def moveaxis(input: Tensor, source, destination) -> Tensor:
    """Alias of :func:`movedim`."""
    return movedim(input, source, destination)


def expand(input: Tensor, sizes: Sequence[int]) -> Tensor:
    """``Tensor.expand(*sizes)``: a view with size-1 dims repeated (stride 0) and new leading dims.

    -1 keeps a dimension's size. Writing into an expanded dimension is not allowed.
    """
    sizes = _ints(sizes)
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
        else:
            cur = shape[i - lead]
            if s == -1:
                s = cur
            elif s != cur and (cur != 1 or s < 0):
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                                   f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                                   f"Tensor sizes: {list(shape)}")
        out.append(s)
    return Expand.apply(input, tuple(out))


def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcasts ``input`` to ``shape`` without copying (the same as ``input.expand(shape)``)."""
    return expand(input, shape)


def _broadcast_pair(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of ``shapes`` broadcast to, without building any tensor."""
    shapes = [(operator.index(s),) if not isinstance(s, (tuple, list)) else _ints(s) for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for i, shape in enumerate(shapes):
        for j in range(-1, -1 - len(shape), -1):
            if shape[j] == 1 or shape[j] == result[j]:
                continue
            if result[j] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[j]} at {j}! Mismatching "
                                   f"argument at index {i} had {shape}; but expected shape should be broadcastable "
                                   f"to {result}")
            result[j] = shape[j]
    return Size(result)


def broadcast_tensors(*tensors: Tensor) -> tuple:
    """Expands all ``tensors`` to their common broadcast shape; returns a tuple of views."""
    shape = ()
    for t_ in tensors:
        shape = _broadcast_pair(shape, t_._data.shape)
    return tuple(Expand.apply(t_, shape) for t_ in tensors)


def repeat(input: Tensor, sizes: Sequence[int]) -> Tensor:
    """``Tensor.repeat(*sizes)``: tiles the tensor ``sizes[i]`` times along each dim (a copy).

    ``sizes`` may be longer than ``input.dim()``: new leading dims are added.
    """
    sizes = _ints(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           "of tensor")
    out_shape = [r * s for r, s in zip(sizes, (1,) * (len(sizes) - input._data.ndim) + input._data.shape)]
    if any(s < 0 for s in out_shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{next(s for s in out_shape if s < 0)}: {out_shape}")
    return Repeat.apply(input, sizes)


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Like :meth:`Tensor.repeat`, but ``dims`` shorter than ``input.dim()`` are padded with leading 1s."""
    dims = _ints(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


def flip(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Reverses the order of elements along ``dims`` (a copy, as in torch)."""
    if not isinstance(dims, (tuple, list, Size)):
        raise TypeError(f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}")
    dims = _dim_list(dims, input._data.ndim)
    return Flip.apply(input, dims if input._data.ndim else ())


def fliplr(input: Tensor) -> Tensor:
    """Flips the columns (dim 1) of a tensor with at least 2 dims."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip.apply(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flips the rows (dim 0) of a tensor with at least 1 dim."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip.apply(input, (0,))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Rolls the elements along ``dims`` by ``shifts`` (ints or tuples of equal length).

    With ``dims=None`` the tensor is flattened, rolled and restored to its shape.
    """
    shifts = _ints(shifts) if isinstance(shifts, (tuple, list)) else (operator.index(shifts),)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts, None)
    dims = _ints(dims) if isinstance(dims, (tuple, list)) else (operator.index(dims),)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    if input._data.ndim == 0:
        raise _no_dims_error()
    return Roll.apply(input, shifts, tuple(_wrap_dim(d, input._data.ndim) for d in dims))


def _tensor_list(tensors, name: str) -> tuple:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}")
    return tuple(tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenates ``tensors`` along ``dim``; all other sizes must match.

    The result has the promoted dtype of the inputs. As in torch, 1-D empty tensors
    (shape (0,)) are skipped whatever the other shapes.

    Example::

        >>> glasstorch.cat([glasstorch.zeros(2, 3), glasstorch.ones(1, 3)]).shape
        glasstorch.Size([3, 3])
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t_ in enumerate(tensors):
        if t_._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, t_) for i, t_ in enumerate(tensors) if not _skipped_by_cat(t_)]
    if not kept:
        return Cat.apply(0, *tensors)  # nothing to concatenate: torch ignores dim here
    ref = kept[0][1]._data.shape
    d = _wrap_dim(operator.index(dim), len(ref))
    for i, t_ in kept[1:]:
        shape = t_._data.shape
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(shape)}")
        for j, (r, s) in enumerate(zip(ref, shape)):
            if j != d and r != s:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {r} but "
                                   f"got size {s} for tensor number {i} in the list.")
    return Cat.apply(d, *tensors)


def concat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Alias of :func:`cat`."""
    return cat(tensors, dim)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Alias of :func:`cat`."""
    return cat(tensors, axis)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Stacks equally shaped ``tensors`` along a new dimension ``dim``.

    Example::

        >>> glasstorch.stack([glasstorch.zeros(2, 3)] * 4, dim=1).shape
        glasstorch.Size([2, 4, 3])
    """
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape0 = tensors[0]._data.shape
    for i, t_ in enumerate(tensors[1:], 1):
        if t_._data.shape != shape0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape0)} at entry 0 and "
                               f"{list(t_._data.shape)} at entry {i}")
    return Stack.apply(_wrap_dim(operator.index(dim), len(shape0) + 1), *tensors)


def _nonempty(tensors, name: str) -> tuple:
    tensors = _tensor_list(tensors, name)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def _at_least(tensors: tuple, fix):
    # torch.atleast_*d: one tensor in, one tensor out; several (or a sequence) in, a tuple out.
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        return tuple(fix(t_) for t_ in tensors[0])
    if len(tensors) == 1:
        return fix(tensors[0])
    return tuple(fix(t_) for t_ in tensors)


def _fix_1d(t_: Tensor) -> Tensor:
    return View.apply(t_, (1,)) if t_._data.ndim == 0 else t_


def _fix_2d(t_: Tensor) -> Tensor:
    s = t_._data.shape
    return View.apply(t_, (1,) * (2 - len(s)) + s) if len(s) < 2 else t_


def _fix_3d(t_: Tensor) -> Tensor:
    s = t_._data.shape
    if len(s) >= 3:
        return t_
    return View.apply(t_, (1, 1, 1) if not s else (1, s[0], 1) if len(s) == 1 else s + (1,))


def atleast_1d(*tensors):
    """Returns each input with at least 1 dimension (0-d tensors become shape (1,))."""
    return _at_least(tensors, _fix_1d)


def atleast_2d(*tensors):
    """Returns each input with at least 2 dimensions (a 1-D tensor of size n becomes (1, n))."""
    return _at_least(tensors, _fix_2d)


def atleast_3d(*tensors):
    """Returns each input with at least 3 dimensions ((n,) becomes (1, n, 1), (m, n) becomes (m, n, 1))."""
    return _at_least(tensors, _fix_3d)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenates horizontally: along dim 0 for 1-D tensors, dim 1 otherwise."""
    tensors = tuple(_fix_1d(t_) for t_ in _nonempty(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenates vertically (dim 0), after making every tensor at least 2-D."""
    return cat(tuple(_fix_2d(t_) for t_ in _nonempty(tensors, "vstack")), 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenates depthwise (dim 2), after making every tensor at least 3-D."""
    return cat(tuple(_fix_3d(t_) for t_ in _nonempty(tensors, "dstack")), 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Stacks 0-d and 1-D tensors as columns (and concatenates 2-D ones) along dim 1."""
    tensors = _nonempty(tensors, "column_stack")
    return cat(tuple(View.apply(t_, (t_._data.size, 1)) if t_._data.ndim <= 1 else t_ for t_ in tensors), 1)


def _split_sizes(n: int, split_size: int) -> tuple:
    if split_size == 0:
        return (0,)
    count = max(-(-n // split_size), 1)
    return (split_size,) * (count - 1) + (n - split_size * (count - 1),)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Splits ``tensor`` into views along ``dim``.

    An int gives pieces of that size (the last may be smaller); a list gives the size of each piece.

    Example::

        >>> [p.shape[0] for p in glasstorch.arange(5).split(2)]
        [2, 2, 1]
    """
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(operator.index(dim), len(shape))
    n = shape[d]
    if isinstance(split_size_or_sections, (tuple, list)):
        sizes = _ints(split_size_or_sections)
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={list(sizes)}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {dim}), but got split_sizes={list(sizes)}")
        return SplitWithSizes.apply(tensor, sizes, d)
    size = operator.index(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    return Split.apply(tensor, _split_sizes(n, size), d)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Splits into ``chunks`` views of size ceil(n / chunks) along ``dim``; there may be fewer than ``chunks``.

    Example::

        >>> [c.shape[0] for c in glasstorch.arange(6).chunk(4)]
        [2, 2, 2]
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(operator.index(dim), len(shape))
    n = shape[d]
    size = -(-n // chunks)
    # An empty dim still gives `chunks` empty pieces, as in torch.
    sizes = (0,) * chunks if n == 0 else _split_sizes(n, size)
    return Split.apply(input, sizes, d)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """Removes dimension ``dim``, returning a tuple of views of every slice along it."""
    if input._data.ndim == 0:
        raise _no_dims_error()
    return Unbind.apply(input, _wrap_dim(operator.index(dim), input._data.ndim))


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """A view of ``length`` elements along ``dim`` from ``start`` (negative start counts from the end).

    Example::

        >>> glasstorch.arange(6).narrow(0, 1, 3)
        tensor([1, 2, 3])
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(operator.index(dim), len(shape))
    if isinstance(start, Tensor):
        if start._data.ndim != 0 or start._data.dtype.kind not in "iu":
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        start = int(start._data)
    start, length, n = operator.index(start), operator.index(length), shape[d]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return Narrow.apply(input, d, start, length)


def _check_matrix(input: Tensor, name: str) -> None:
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements on and below ``diagonal``); the rest is zero."""
    _check_matrix(input, "tril")
    return Tril.apply(input, operator.index(diagonal))


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (elements on and above ``diagonal``); the rest is zero."""
    _check_matrix(input, "triu")
    return Triu.apply(input, operator.index(diagonal))


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy of ``input`` that stays in the graph: gradients flow back to ``input``.

    Unlike torch (which keeps the input's strides by default), the copy is always C-contiguous.
    """
    return Clone.apply(input)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of the (``dim1``, ``dim2``) planes, appended as the last dim.

    ``offset`` > 0 selects a diagonal above the main one, < 0 below.
    """
    ndim = input._data.ndim
    d1, d2 = _wrap_dim(operator.index(dim1), ndim), _wrap_dim(operator.index(dim2), ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, operator.index(offset), d1, d2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Builds tensors whose (``dim1``, ``dim2``) diagonals are the last dim of ``input``; zeros elsewhere."""
    shape = input._data.shape
    ndim = len(shape) + 1
    d1, d2 = _wrap_dim(operator.index(dim1), ndim), _wrap_dim(operator.index(dim2), ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = operator.index(offset)
    n = shape[-1] + abs(offset)
    out = list(shape[:-1])
    for d in sorted((d1, d2)):
        out.insert(d, n)
    return DiagEmbed.apply(input, tuple(out), offset, d1, d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D input: a square matrix with ``input`` on diagonal ``diagonal``. 2-D input: that diagonal (a copy)."""
    ndim = input._data.ndim
    offset = operator.index(diagonal)
    if ndim == 1:
        n = input._data.shape[0] + abs(offset)
        return DiagEmbed.apply(input, (n, n), offset, 0, 1)
    if ndim == 2:
        return Clone.apply(Diagonal.apply(input, offset, 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, with that dimension removed (``x.select(0, i)`` is ``x[i]``)."""
    d = _wrap_dim(dim, input._data.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {dim}")
    return squeeze(narrow(input, d, index % n, 1), d)


def unfold_windows(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: the windows of ``size`` elements, ``step`` apart, along ``dimension``; that
    dimension becomes the window count and a last dimension of length ``size`` is added."""
    from .indexing import index_select
    nd = input._data.ndim
    d = _wrap_dim(dimension, nd) if nd else 0
    n = input.shape[d] if nd else 1
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if nd == 0:
        return reshape(input, (1,))
    starts = np.arange(0, n - size + 1, step)
    idx = (starts[:, None] + np.arange(size)[None, :]).reshape(-1)
    picked = index_select(input, d, Tensor._make(idx.astype(np.int64)))
    shape = list(input.shape)
    windows = reshape(picked, shape[:d] + [len(starts), size] + shape[d + 1:])
    return movedim(windows, d + 1, -1)


# ------------------------------------------------------------------ grids, blocks and splits
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors: ``indexing="ij"`` (matrix, the default) or ``"xy"``
    (Cartesian: the first two dimensions swapped). Each output is a broadcast view of its input."""
    import warnings
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    sizes = [t._data.size for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        order[0], order[1] = 1, 0
    shape = [sizes[k] for k in order]
    grids = []
    for k, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[order.index(k)] = -1
        grids.append(broadcast_to(reshape(t, view), shape))
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of the 1-D inputs' elements, one per row (itertools.product order)."""
    if len(tensors) == 1:
        return tensors[0]
    return stack([reshape(g, (-1,)) for g in meshgrid(*tensors, indexing="ij")], 1)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other``."""
    nd = max(input._data.ndim, other._data.ndim)
    a = reshape(input, (1,) * (nd - input._data.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (nd - other._data.ndim) + tuple(other.shape))
    interleaved_a = [n for d in a.shape for n in (d, 1)]
    interleaved_b = [n for d in b.shape for n in (1, d)]
    out = reshape(a, interleaved_a) * reshape(b, interleaved_b)
    return reshape(out, [x * y for x, y in zip(a.shape, b.shape)])


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotates by 90 degrees ``k`` times, from the first of ``dims`` towards the second."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = _wrap_dim(dims[0], nd), _wrap_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, [d1]), d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return transpose(flip(input, [d0]), d0, d1)
    return clone(input)


def block_diag(*tensors) -> Tensor:
    """The inputs (0-, 1- or 2-D) as blocks along the diagonal of one matrix, zeros elsewhere."""
    blocks = []
    for k, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {k} has "
                               f"{t._data.ndim} dimensions")
        blocks.append(reshape(t, (1, -1) if t._data.ndim < 2 else tuple(t.shape)))
    dt = _dtype.result_type(*tensors).np if tensors else _dtype.get_default_dtype().np
    cols = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        parts = [b if b._data.dtype == dt else b.to(_dtype.from_numpy_dtype(dt))]
        if left:
            parts.insert(0, Tensor._make(np.zeros((r, left), dt)))
        if cols - left - c:
            parts.append(Tensor._make(np.zeros((r, cols - left - c), dt)))
        rows.append(cat(parts, 1) if len(parts) > 1 else parts[0])
        left += c
    return cat(rows, 0) if rows else Tensor._make(np.zeros((0, 0), dt))


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Splits into ``n`` nearly equal parts (the first ``size % n`` one longer), or at the given indices."""
    d = _wrap_dim(dim, input._data.ndim)
    size = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        bounds = [0]
        for k in range(n):
            bounds.append(bounds[-1] + size // n + (1 if k < size % n else 0))
    else:
        bounds = [0] + [min(max(int(i) if i >= 0 else size + int(i), 0), size) for i in indices_or_sections] + [size]
    return tuple(narrow(input, d, min(lo, size), max(hi - lo, 0)) for lo, hi in zip(bounds[:-1], bounds[1:]))


def _split_along(name: str, input: Tensor, sections, dim: int, min_dims: int) -> tuple:
    nd = input._data.ndim
    if nd < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {nd} dimensions!")
    if isinstance(sections, int):
        if sections == 0 or input.shape[dim] % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {input.shape[dim]} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """``tensor_split`` along dim 1 (dim 0 for 1-D); an int must divide the size."""
    return _split_along("hsplit", input, indices_or_sections, 1 if input._data.ndim > 1 else 0, 1)


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D ``x``: columns ``x**(N-1), ..., x, 1`` (reversed if ``increasing``)."""
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if n == 0:
        return Tensor._make(np.zeros((x.shape[0], 0), np.result_type(x._data.dtype, np.int64)))
    cols = [x ** 0]                     # then each power one product more than the last
    for p in range(1, n):
        cols.append(x if p == 1 else cols[-1] * x)
    return stack(cols if increasing else cols[::-1], 1)


__all__ = [
    "reshape", "ravel", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes",
    "swapdims", "t", "movedim", "moveaxis", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "tile",
    "flip", "fliplr", "flipud", "roll", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack",
    "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "split", "chunk", "unbind", "narrow",
    "tril", "triu", "clone", "diagonal", "diag_embed", "diag",
    "select", "meshgrid", "cartesian_prod", "kron", "rot90", "block_diag", "tensor_split", "hsplit", "vsplit", "dsplit",
    "vander",
]
