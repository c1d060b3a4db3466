"""Indexing and gather/scatter: ``x[key]``, ``x[key] = v``, index_select, gather,
scatter, scatter_add, index_add, take_along_dim, nonzero, masked_select, and the
sorting ops (sort, argsort, topk).

``x[key]`` follows torch in two steps, as torch's own ``applySlicing`` does:

1. the *basic* part of the key -- ints, slices, None, Ellipsis -- is one NumPy
   basic index, so its result is a view that shares memory with ``x``;
2. the *advanced* part -- integer and boolean arrays, and Python bools -- then
   indexes that view, with NumPy's placement rules for the new dimensions.

Ints are applied first, as selects. This is where torch and NumPy differ: for
``x`` of shape (2, 3, 4), ``x[0, :, [0, 1]]`` is (3, 2) in torch and (2, 3) in NumPy.

Gradients of a gather are scatters and the other way round, so every backward
below is one of these primitives applied to the gradient; that is what makes
double backward work. Scatters that may hit one position several times sum
those contributions (``x[[0, 0, 1]].sum()`` gives the gradient ``[2, 1, 0]``);
for floats, ``_index_add_`` and ``_scatter_add_`` do it with ``np.bincount``, or
with one vectorized write plus ``np.add.at`` on the repeats only; integer dtypes
keep ``np.add.at``, which is exact for them.
"""
from __future__ import annotations

import collections
import operator
import warnings

import numpy as np

from .._tensor import Tensor, _TYPE_NAMES, _wrap_dim
from ..autograd.function import _Primitive
from .broadcast import broadcast_to

_ONE = np.zeros(1, dtype=np.intp)      # a Python ``True`` index: position 0 of a new dimension
_NONE = np.zeros(0, dtype=np.intp)     # a Python ``False`` index: no position at all


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _type_name(arr: np.ndarray) -> str:
    return _TYPE_NAMES.get(arr.dtype.name, arr.dtype.name)


# =============================================================== scatter-adds
# Exact sums at repeated positions, without np.add.at's per-element cost where
# possible. ``fresh`` says the output holds zeros, so that positions written
# once may be assigned rather than added.

def _bincount_add(flat: np.ndarray, lin: np.ndarray, vals: np.ndarray, fresh: bool = False) -> None:
    """``flat[lin] += vals`` on a 1-D array, summing repeated positions."""
    if lin.size == 0:
        return
    if flat.dtype.kind not in "fc":
        np.add.at(flat, lin, vals)   # float64 counts would round int64 values above 2**53
    elif flat.size <= 2 * lin.size:
        # Dense: one count over the whole output beats finding the distinct positions.
        np.add(flat, np.bincount(lin, weights=vals, minlength=flat.size), out=flat, casting="unsafe")
    else:
        uniq, inv = np.unique(lin, return_inverse=True)
        if uniq.size == lin.size:
            if fresh:
                flat[lin] = vals
            else:
                flat[lin] += vals
        else:
            flat[uniq] += np.bincount(inv.reshape(-1), weights=vals, minlength=uniq.size)


def _index_add_(out: np.ndarray, axis: int, idx: np.ndarray, src: np.ndarray, fresh: bool = False) -> None:
    """``out[..., idx[j], ...] += src[..., j, ...]`` along ``axis``, summing repeats.

    ``out`` must be C-contiguous (it is modified through a reshaped view) and ``idx``
    1-D and non-negative.
    """
    pre, m, post = _prod(out.shape[:axis]), out.shape[axis], _prod(out.shape[axis + 1:])
    n = idx.size
    if n == 0 or pre == 0 or post == 0:
        return
    o3 = out.reshape(pre, m, post)
    s3 = src.reshape(pre, n, post)
    if pre == 1 and post == 1:
        _bincount_add(o3.reshape(-1), idx, s3.reshape(-1), fresh)
        return
    if out.dtype.kind in "fc" and m <= 2 * n:
        # Dense (more slices written than the output holds): one bincount over the output.
        lin = (np.arange(pre)[:, None, None] * m + idx[None, :, None]) * post + np.arange(post)
        flat = out.reshape(-1)
        np.add(flat, np.bincount(lin.reshape(-1), weights=s3.reshape(-1), minlength=flat.size),
               out=flat, casting="unsafe")
        return
    # Sparse (an embedding table's gradient): each index's first occurrence is one
    # vectorized write; only the repeats, usually few, go through np.add.at.
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(sorted_idx[1:], sorted_idx[:-1], out=first[1:])
    if first.all():
        if fresh:
            o3[:, idx] = s3
        else:
            o3[:, idx] += s3
        return
    rows = order[first]
    if fresh:
        o3[:, sorted_idx[first]] = s3[:, rows]
    else:
        o3[:, sorted_idx[first]] += s3[:, rows]
    rest = order[~first]
    np.add.at(o3, (slice(None), idx[rest]), s3[:, rest])


def _along(index: np.ndarray, axis: int) -> tuple:
    """The fancy index that addresses ``out[i0, .., index[i0, .., ik], .., ik]``."""
    nd = index.ndim
    return tuple(index if d == axis else
                 np.arange(index.shape[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1))
                 for d in range(nd))


def _scatter_add_(out: np.ndarray, axis: int, index: np.ndarray, src: np.ndarray, fresh: bool = False) -> None:
    """``out[.., index[i], ..] += src[i]`` elementwise along ``axis`` (scatter_add); ``out`` C-contiguous."""
    if index.size == 0:
        return
    if out.dtype.kind not in "fc":
        np.add.at(out, _along(index, axis), src)
        return
    strides = [_prod(out.shape[d + 1:]) for d in range(out.ndim)]
    lin = index * strides[axis]
    for d in range(out.ndim):
        if d != axis:
            shape = (1,) * d + (-1,) + (1,) * (out.ndim - d - 1)
            lin = lin + (np.arange(index.shape[d]) * strides[d]).reshape(shape)
    _bincount_add(out.reshape(-1), lin.reshape(-1), np.broadcast_to(src, index.shape).reshape(-1), fresh)


# =============================================================== parsing keys
_INT, _SLICE, _NEWAXIS, _ELLIPSIS, _BOOL, _ARRAY, _MASK = range(7)

_PLAIN = (int, type(None))

_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
              "indices (got {})")


def _array_entry(arr: np.ndarray, from_tensor: bool):
    """Classifies an array used as an index: a mask, a 0-d select, or integer positions."""
    kind = arr.dtype.kind
    if kind == "b" or arr.dtype == np.uint8:
        if arr.dtype == np.uint8:
            warnings.warn("indexing with dtype uint8 is now deprecated, please use a dtype bool instead.",
                          UserWarning, stacklevel=4)
            arr = arr.astype(np.bool_)
        if arr.ndim == 0:
            return _BOOL, bool(arr), 0
        return _MASK, arr, arr.ndim
    if from_tensor and arr.dtype not in (np.int64, np.int32) and not (arr.ndim == 0 and kind in "iu"):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if kind not in "iuf":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if arr.ndim == 0:
        return _INT, int(arr), 1
    # Lists and NumPy arrays become int64 index tensors in torch, floats truncated.
    return _ARRAY, arr.astype(np.intp, copy=False), 1


def _classify(obj):
    """(kind, value, number of input dimensions it consumes) for one entry of a key."""
    t = type(obj)
    if t is int:
        return _INT, obj, 1
    if t is slice:
        step = obj.step
        if step is not None and operator.index(step) <= 0:
            raise ValueError("slice step cannot be zero" if step == 0 else "step must be greater than zero")
        if not (type(obj.start) in _PLAIN and type(obj.stop) in _PLAIN and type(step) in _PLAIN):
            # Bounds given as tensors or NumPy integers: plain ints for NumPy.
            obj = slice(*(None if v is None else operator.index(v) for v in (obj.start, obj.stop, step)))
        return _SLICE, obj, 1
    if obj is None:
        return _NEWAXIS, None, 0
    if obj is Ellipsis:
        return _ELLIPSIS, None, 0
    if t is bool:
        return _BOOL, obj, 0
    if isinstance(obj, Tensor):
        return _array_entry(obj._data, True)
    if isinstance(obj, np.ndarray):
        return _array_entry(obj, False)
    if isinstance(obj, (list, tuple)):
        arr = np.asarray(obj)
        if arr.dtype == object:
            raise IndexError(_BAD_INDEX.format("list"))
        if arr.ndim == 0 or arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.intp)
        return _array_entry(arr, False)
    if isinstance(obj, (np.bool_, float, np.floating, str, bytes)) or not hasattr(obj, "__index__"):
        name = "numpy.bool" if isinstance(obj, np.bool_) else t.__name__
        raise IndexError(_BAD_INDEX.format(name))
    return _INT, operator.index(obj), 1


def _sequence_as_tuple(key) -> bool:
    """torch (like old NumPy) reads a short list holding slices, None, tensors or lists as a tuple."""
    if type(key) is not list or len(key) >= 32:
        return False
    for obj in key:
        if obj is None or obj is Ellipsis or isinstance(obj, (slice, Tensor, list, tuple, np.ndarray)):
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated; use "
                          "x[tuple(seq)] instead of x[seq].", UserWarning, stacklevel=4)
            return True
    return False


class _Key:
    """A parsed index: ``basic``, a NumPy basic index giving a view, then ``adv`` on that view.

    ``adv`` is None when the key is basic only; otherwise a tuple of ``slice(None)`` and
    arrays (boolean masks, or intp positions) over the dimensions of the view.
    ``repeats`` says whether integer positions are present, which may repeat, so that
    writing through the key must sum rather than assign.
    """
    __slots__ = ("basic", "adv", "repeats")

    def __init__(self, basic: tuple, adv, repeats: bool):
        self.basic = basic
        self.adv = adv
        self.repeats = repeats

    def get(self, arr: np.ndarray) -> np.ndarray:
        v = arr[self.basic]
        if self.adv is None:
            return v
        try:
            return v[self.adv]
        except IndexError:
            _raise_adv_error(v.shape, self.adv)
            raise

    def add_into(self, v: np.ndarray, vals: np.ndarray, fresh: bool) -> None:
        """``v[adv] += vals`` where ``v`` is the basic view, summing repeated positions.

        ``fresh`` says ``v`` holds zeros, so positions hit once may simply be assigned.
        """
        adv = self.adv
        if not self.repeats:
            if fresh:
                v[adv] = vals
            else:
                v[adv] += vals
            return
        arrays, dims = _int_arrays(adv)
        arrays = np.broadcast_arrays(*arrays)
        sizes = tuple(v.shape[d] for d in dims)
        lin = np.ravel_multi_index(arrays, sizes, mode="wrap").reshape(-1)  # wrap: negative positions
        if dims == list(range(dims[0], dims[0] + len(dims))):
            # Adjacent advanced dimensions: merge them into one, indexed by ``lin``.
            head, tail = v.shape[:dims[0]], v.shape[dims[-1] + 1:]
            acc_shape = head + (_prod(sizes),) + tail
            g = vals.reshape(head + (lin.size,) + tail)
            if v.flags.c_contiguous:
                _index_add_(v.reshape(acc_shape), dims[0], lin, g, fresh)
                return
            acc = np.zeros(acc_shape, dtype=v.dtype)
            _index_add_(acc, dims[0], lin, g, True)
            v += acc.reshape(v.shape)
            return
        # Separated advanced dimensions: their result dimensions come first (NumPy's rule).
        rest = tuple(s for d, s in enumerate(v.shape) if d not in dims)
        acc = np.zeros((_prod(sizes),) + rest, dtype=v.dtype)
        _index_add_(acc, 0, lin, vals.reshape((lin.size,) + rest), True)
        v += np.moveaxis(acc.reshape(sizes + rest), list(range(len(dims))), dims)


def _int_arrays(adv: tuple):
    """The advanced entries as integer position arrays (masks expanded by nonzero) and their dims."""
    arrays, dims = [], []
    d = 0
    for a in adv:
        if isinstance(a, slice):
            d += 1
        elif a.dtype == np.bool_:
            arrays.extend(np.nonzero(a))
            dims.extend(range(d, d + a.ndim))
            d += a.ndim
        else:
            arrays.append(a)
            dims.append(d)
            d += 1
    return arrays, dims


def _raise_adv_error(view_shape: tuple, adv: tuple) -> None:
    """Re-raises NumPy's advanced-indexing error with torch's message."""
    arrays, dims = _int_arrays(adv)
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(a.shape)) for a in arrays)) from None
    arrays = np.broadcast_arrays(*arrays)
    sizes = [view_shape[d] for d in dims]
    bad = [(a < -n) | (a >= n) for a, n in zip(arrays, sizes)]
    first = int(np.argmax(np.logical_or.reduce(bad).reshape(-1)))
    for k, (a, b) in enumerate(zip(arrays, bad)):
        if b.reshape(-1)[first]:
            # torch numbers the dimension among the advanced ones, which it moves to the front.
            raise IndexError(f"index {a.reshape(-1)[first]} is out of bounds for dimension {k} "
                             f"with size {sizes[k]}") from None


def _parse_key(key, shape: tuple) -> _Key:
    """Turns a ``__getitem__`` key into a ``_Key`` for an input of ``shape``, with torch's checks."""
    if type(key) is not tuple:
        key = tuple(key) if _sequence_as_tuple(key) else (key,)
    entries = [_classify(obj) for obj in key]
    ndim = len(shape)
    specified = sum(e[2] for e in entries)
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    basic = []
    adv = []           # (dimension of the view, array)
    repeats = False
    d = 0              # next input dimension
    vd = 0             # next dimension of the basic view
    seen_ellipsis = False
    for pos, (kind, val, used) in enumerate(entries):
        if d + used > ndim:
            raise IndexError(f"too many indices for tensor of dimension {ndim}")
        if kind == _INT:
            n = shape[d]
            if not -n <= val < n:
                raise IndexError(f"index {val} is out of bounds for dimension {pos} with size {n}")
            basic.append(val)
            d += 1
        elif kind == _SLICE:
            basic.append(val)
            d += 1
            vd += 1
        elif kind == _NEWAXIS:
            basic.append(None)
            vd += 1
        elif kind == _ELLIPSIS:
            # torch lets a key hold several ellipses; only the first one skips dimensions here.
            k = 0 if seen_ellipsis else ndim - specified
            seen_ellipsis = True
            basic.extend([slice(None)] * k)
            d += k
            vd += k
        elif kind == _BOOL:
            basic.append(None)
            adv.append((vd, _ONE if val else _NONE))
            vd += 1
        else:
            basic.extend([slice(None)] * used)
            adv.append((vd, val))
            repeats = repeats or kind == _ARRAY
            d += used
            vd += used
    basic.append(Ellipsis)  # keeps an all-int key a 0-d view instead of a NumPy scalar
    if not adv:
        return _Key(tuple(basic), None, False)

    view_shape = None
    full = []          # NumPy's advanced index: one entry per view dimension, but one per mask
    nd = 0
    for vdim, a in adv:
        full.extend([slice(None)] * (vdim - nd))
        if a.dtype == np.bool_:
            if view_shape is None:
                # The view's shape, from a zero-strided stand-in: no data is touched.
                view_shape = np.broadcast_to(np.empty((), np.int8), shape)[tuple(basic)].shape
            got = view_shape[vdim:vdim + a.ndim]
            for j, (ms, ts) in enumerate(zip(a.shape, got)):
                if ms != ts:
                    raise IndexError(f"The shape of the mask {list(a.shape)} at index {j} does not match the "
                                     f"shape of the indexed tensor {list(view_shape)} at index {vdim + j}")
        full.append(a)
        nd = vdim + (a.ndim if a.dtype == np.bool_ else 1)
    return _Key(tuple(basic), tuple(full), repeats)


# ============================================================ x[key], x[key]=v
class Index(_Primitive):
    """``input[key]``: a view for basic keys, a copy with advanced ones."""

    @staticmethod
    def forward(ctx, input, key):
        ctx.key, ctx.in_shape = key, input._data.shape
        out = key.get(input._data)
        if key.adv is None:
            return Tensor._view_of(input, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexScatter.apply(grad, ctx.in_shape, ctx.key), None


class IndexScatter(_Primitive):
    """The adjoint of ``Index``: ``grad`` summed into zeros of ``shape`` at ``key``."""

    @staticmethod
    def forward(ctx, grad, shape, key):
        ctx.key = key
        g = grad._data
        buf = np.zeros(shape, dtype=g.dtype)
        view = buf[key.basic]
        if key.adv is None:
            view[...] = g       # basic keys never address one element twice
        else:
            key.add_into(view, g, fresh=True)
        return buf

    @staticmethod
    def backward(ctx, grad):
        return Index.apply(grad, ctx.key), None, None


def getitem(input: Tensor, key) -> Tensor:
    """``input[key]`` with torch's semantics (``Tensor.__getitem__``).

    Ints, slices (positive steps), None and Ellipsis give a view sharing memory
    with ``input``. Integer tensors, lists and arrays, boolean masks and Python
    bools index advanced-style and copy. Gradients at repeated positions add up.

    Example::

        >>> x = glasstorch.arange(6.).reshape(2, 3)
        >>> x[:, [0, 2]]
        tensor([[0., 2.],
                [3., 5.]])
    """
    if type(key) is int:  # the commonest key, without the general parse
        if not input._data.ndim:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        n = input._data.shape[0]
        if not -n <= key < n:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
        return Index.apply(input, _Key((key, Ellipsis), None, False))
    return Index.apply(input, _parse_key(key, input._data.shape))


def _value_array(input: Tensor, value):
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (bool, int, float)) or isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value
    raise TypeError(f"can't assign a {type(value).__name__} to a {input.type()}")


def _strip_ones(arr):
    """torch drops leading size-1 dimensions of an assigned value before broadcasting it."""
    if not isinstance(arr, np.ndarray):
        return arr
    k = 0
    while k < arr.ndim and arr.shape[k] == 1:
        k += 1
    return arr.reshape(arr.shape[k:]) if k else arr


def _assign_error(target_shape: tuple, value: np.ndarray, advanced: bool, type_name: str):
    vs = list(value.shape)
    if advanced:
        return RuntimeError(f"shape mismatch: value tensor of shape {vs} cannot be broadcast to indexing "
                            f"result of shape {list(target_shape)}")
    if len(vs) > len(target_shape):
        return RuntimeError(f"expand({type_name}{{{vs}}}, size={list(target_shape)}): the number of sizes "
                            f"provided ({len(target_shape)}) must be greater or equal to the number of "
                            f"dimensions in the tensor ({len(vs)})")
    lead = len(target_shape) - len(vs)
    for i in range(len(vs) - 1, -1, -1):
        if vs[i] != 1 and vs[i] != target_shape[lead + i]:
            return RuntimeError(f"The expanded size of the tensor ({target_shape[lead + i]}) must match the "
                                f"existing size ({vs[i]}) at non-singleton dimension {lead + i}.  Target sizes: "
                                f"{list(target_shape)}.  Tensor sizes: {vs}")
    return RuntimeError(f"cannot broadcast value of shape {vs} to {list(target_shape)}")


class IndexPut(_Primitive):
    """A copy of ``input`` with ``input[key]`` replaced by (or, accumulating, increased by) ``value``."""

    @staticmethod
    def forward(ctx, input, key, value, accumulate):
        ctx.key, ctx.accumulate = key, accumulate
        x = input._data
        v = _strip_ones(_value_array(input, value))
        ctx.value_ndim = np.ndim(value._data) if isinstance(value, Tensor) else 0
        out = x.copy()
        view = out[key.basic]
        try:
            if key.adv is None:
                if accumulate:
                    np.add(view, v, out=view, casting="unsafe")
                else:
                    view[...] = v
            elif accumulate:
                target = view[key.adv].shape
                key.add_into(view, np.broadcast_to(np.asarray(v, dtype=x.dtype), target), fresh=False)
            else:
                view[key.adv] = v
        except IndexError:
            _raise_adv_error(view.shape, key.adv)
            raise
        except ValueError:
            target = view.shape if key.adv is None else view[key.adv].shape
            raise _assign_error(target, np.asarray(v), key.adv is not None, input.type()) from None
        return out

    @staticmethod
    def backward(ctx, grad):
        key = ctx.key
        g_in = g_val = None
        if ctx.needs_input_grad[0]:
            g_in = grad if ctx.accumulate else IndexPut.apply(grad, key, 0.0, False)
        if ctx.needs_input_grad[2]:
            g_val = Index.apply(grad, key)
            extra = ctx.value_ndim - g_val._data.ndim
            if extra > 0:  # the value had leading size-1 dimensions that the indexed result lacks
                from .shape import reshape
                g_val = reshape(g_val, (1,) * extra + g_val._data.shape)
        return g_in, None, g_val, None


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """Out-of-place ``input[indices] = values`` (``Tensor.__setitem__`` writes its result back).

    ``values`` (a tensor or a number) is broadcast to the indexed shape and cast to
    ``input``'s dtype. With ``accumulate=True`` it is added instead, summing at repeated
    positions. ``indices`` is any ``__getitem__`` key; a tuple of index tensors gives
    torch.index_put's meaning.
    """
    return IndexPut.apply(input, _parse_key(indices, input._data.shape), values, accumulate)


# ============================================================ gather / scatter
def _index_array(index, fn: str) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{fn}(): argument 'index' must be Tensor, not {type(index).__name__}")
    return index._data


def _nonempty_ndim(a) -> int:
    return max(np.ndim(a), 1)


def _check_bounds(idx: np.ndarray, n: int, dim: int) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.reshape(-1)[np.argmax(((idx < 0) | (idx >= n)).reshape(-1))])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def _check_index_dtype(fn: str, index) -> np.ndarray:
    idx = _index_array(index, fn)
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{fn}(): Expected dtype int32/int64 for index")
    return idx


def _gather_index(fn: str, x: np.ndarray, dim: int, index, src=None) -> np.ndarray:
    """Validates a gather/scatter index as torch does; returns it as intp."""
    idx = _check_index_dtype(fn, index)
    if _nonempty_ndim(idx) != _nonempty_ndim(x):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           + ("input tensor" if fn == "gather" else "self tensor"))
    if src is not None and _nonempty_ndim(idx) != _nonempty_ndim(src):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ishape, xshape = idx.shape or (1,), x.shape or (1,)
    sshape = None if src is None else (src.shape or (1,))
    for d in range(len(ishape)):
        if (d != dim and ishape[d] > xshape[d]) or (sshape is not None and ishape[d] > sshape[d]):
            if fn == "gather":
                raise RuntimeError(f"Size does not match at dimension {d} expected index {list(idx.shape)} to be "
                                   f"no larger than self {list(x.shape)} apart from dimension {dim}")
            msg = (f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} apart from "
                   f"dimension {dim}")
            if sshape is not None:
                msg += f" and to be no larger size than src {list(src.shape)}"
            raise RuntimeError(msg)
    _check_bounds(idx, xshape[dim], dim)
    return idx.astype(np.intp, copy=False)


def _leading(arr: np.ndarray, shape: tuple) -> np.ndarray:
    """The leading ``shape`` block of ``arr`` (a view): gather/scatter ignore the rest."""
    if arr.shape == shape:
        return arr
    return arr[tuple(slice(0, s) for s in shape)]


def _as_nd(arr: np.ndarray, ndim: int) -> np.ndarray:
    """0-d and 1-d are interchangeable for gather/scatter, as in torch."""
    return arr.reshape(1) if arr.ndim == 0 and ndim == 1 else arr


class Gather(_Primitive):
    """``out[i][j] = input[i][index[i][j]]`` (for dim=1); ``index`` is a validated intp array."""

    @staticmethod
    def forward(ctx, input, dim, index):
        x = input._data
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index
        nd = _nonempty_ndim(x)
        x1, idx1 = _as_nd(x, nd), _as_nd(index, nd)
        shape = tuple(s if d == dim else idx1.shape[d] for d, s in enumerate(x1.shape))
        return np.take_along_axis(_leading(x1, shape), idx1, axis=dim).reshape(index.shape)

    @staticmethod
    def backward(ctx, grad):
        return ScatterAdd.apply(None, ctx.dim, ctx.index, grad, ctx.in_shape), None, None


class Sort(Gather):
    """The values of ``sort``: a gather at the sorting indices (named like torch's node)."""


class Topk(Gather):
    """The values of ``topk``: a gather at the selected indices."""


class ScatterAdd(_Primitive):
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim``.

    ``input=None`` stands for zeros of ``shape``, saving a copy in gather's backward.
    """

    @staticmethod
    def forward(ctx, input, dim, index, src, shape=None):
        ctx.dim, ctx.index = dim, index
        out = np.zeros(shape, dtype=src._data.dtype) if input is None else input._data.copy()
        nd = _nonempty_ndim(out)
        idx1 = _as_nd(index, nd)
        _scatter_add_(_as_nd(out, nd), dim, idx1, _leading(_as_nd(src._data, nd), idx1.shape), input is None)
        return out

    @staticmethod
    def backward(ctx, grad):
        g_src = Gather.apply(grad, ctx.dim, ctx.index) if ctx.needs_input_grad[3] else None
        return grad, None, None, g_src, None


class Scatter(_Primitive):
    """A copy of ``input`` with ``src`` (a tensor or a number) written at ``index`` along ``dim``."""

    @staticmethod
    def forward(ctx, input, dim, index, src, reduce):
        ctx.dim, ctx.index, ctx.reduce = dim, index, reduce
        out = input._data.copy()
        nd = _nonempty_ndim(out)
        o, idx1 = _as_nd(out, nd), _as_nd(index, nd)
        if isinstance(src, Tensor):
            s = _leading(_as_nd(src._data, nd), idx1.shape)
        else:
            s = np.full(idx1.shape, src, dtype=out.dtype)
        if reduce is None:
            o[_along(idx1, dim)] = s
        elif reduce == "add":
            _scatter_add_(o, dim, idx1, s)
        else:
            np.multiply.at(o, _along(idx1, dim), s)
        return out

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduce is not None:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        g_in = Scatter.apply(grad, ctx.dim, ctx.index, 0.0, None) if ctx.needs_input_grad[0] else None
        g_src = Gather.apply(grad, ctx.dim, ctx.index) if ctx.needs_input_grad[3] else None
        return g_in, None, None, g_src, None


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Gathers values along ``dim``: ``out[i][j] = input[i][index[i][j]]`` for ``dim=1``.

    ``index`` (int64 or int32) has ``input``'s number of dimensions and is no larger
    than ``input`` outside ``dim``; the result has ``index``'s shape.

    Example::

        >>> t = glasstorch.tensor([[1., 2.], [3., 4.]])
        >>> glasstorch.gather(t, 1, glasstorch.tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.],
                [4., 3.]])
    """
    dim = _wrap_dim(dim, input._data.ndim)
    idx = _gather_index("gather", input._data, dim, index)
    return Gather.apply(input, dim, idx)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None) -> Tensor:
    """Out-of-place ``scatter_``: ``out[i][index[i][j]] = src[i][j]`` for ``dim=1``.

    Args:
        input: the tensor to copy and write into.
        dim: the dimension along which to index.
        index: int64 (or int32) positions, no larger than ``src`` anywhere nor ``input`` outside ``dim``.
        src: the values (a tensor of ``input``'s dtype), or a number (torch's ``value`` overload).
        value: a number to write everywhere ``index`` points.
        reduce: None, ``'add'`` or ``'multiply'`` (no gradient with a reduction, as in torch).
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing the 'src' or 'value' argument")
    x = input._data
    dim = _wrap_dim(dim, x.ndim)
    _check_index_dtype("scatter", index)
    if isinstance(src, Tensor):
        if src._data.dtype != x.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    elif isinstance(src, (int, float, bool, np.generic)):
        src = src.item() if isinstance(src, np.generic) else src
    else:
        raise TypeError(f"scatter(): 'src' must be a Tensor or a number, not {type(src).__name__}")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    idx = _gather_index("scatter", x, dim, index, src._data if isinstance(src, Tensor) else None)
    return Scatter.apply(input, dim, idx, src, reduce)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Out-of-place ``scatter_add_``: ``out[i][index[i][j]] += src[i][j]`` for ``dim=1``; repeats add up."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")
    x = input._data
    dim = _wrap_dim(dim, x.ndim)
    _check_index_dtype("scatter", index)
    if src._data.dtype != x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    idx = _gather_index("scatter", x, dim, index, src._data)
    return ScatterAdd.apply(input, dim, idx, src)


# ======================================================= index_select / add
class IndexSelect(_Primitive):
    """``input`` restricted to positions ``index`` (1-D, validated) along ``dim``."""

    @staticmethod
    def forward(ctx, input, dim, index):
        x = input._data
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index
        if x.ndim == 0:
            return x.reshape(1)[index].reshape(())
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(None, ctx.dim, ctx.index, grad, 1, ctx.in_shape), None, None


class IndexAdd(_Primitive):
    """A copy of ``input`` with ``alpha * source`` added at positions ``index`` along ``dim``.

    ``input=None`` stands for zeros of ``shape``, saving a copy in index_select's backward.
    """

    @staticmethod
    def forward(ctx, input, dim, index, source, alpha, shape=None):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        s = source._data
        out = np.zeros(shape, dtype=s.dtype) if input is None else input._data.copy()
        if alpha != 1:
            s = (s * alpha).astype(out.dtype, copy=False)
        if out.ndim == 0:
            _index_add_(out.reshape(1), 0, index, s.reshape(1), input is None)
        else:
            _index_add_(out, dim, index, s, input is None)
        return out

    @staticmethod
    def backward(ctx, grad):
        g_src = None
        if ctx.needs_input_grad[3]:
            g_src = IndexSelect.apply(grad, ctx.dim, ctx.index)
            if ctx.alpha != 1:
                g_src = g_src * ctx.alpha
        return grad, None, None, g_src, None, None


def _vector_index(fn: str, index) -> np.ndarray:
    idx = _index_array(index, fn)
    if idx.dtype not in (np.int64, np.int32):
        if fn == "index_select":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_type_name(idx)}")
    if idx.ndim > 1:
        if fn == "index_select":
            raise IndexError("index_select(): Index is supposed to be a vector")
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_type_name(idx)} and size: {list(idx.shape)}")
    return idx.reshape(-1).astype(np.intp, copy=False)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``input`` at positions ``index`` (a 1-D int64/int32 tensor) along ``dim``.

    Example::

        >>> x = glasstorch.arange(6.).reshape(3, 2)
        >>> glasstorch.index_select(x, 0, glasstorch.tensor([2, 0]))
        tensor([[4., 5.],
                [0., 1.]])
    """
    x = input._data
    dim = _wrap_dim(dim, x.ndim)
    idx = _vector_index("index_select", index)
    n = x.shape[dim] if x.ndim else 1
    if x.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, dim, idx)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """Out-of-place ``index_add_``: adds ``alpha * source`` to ``input`` at ``index`` along ``dim``.

    ``source`` has ``input``'s shape except along ``dim``, where it has ``len(index)``
    entries; repeated indices add up.
    """
    x, s = input._data, source._data
    dim = _wrap_dim(dim, x.ndim)
    idx = _vector_index("index_add_", index)
    if s.dtype != x.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_name(x)}) and source ({_type_name(s)}) must have "
                           f"the same scalar type")
    if s.ndim == 0 or dim < s.ndim:
        ns = s.shape[dim] if s.ndim else 1
        if idx.size != ns:
            raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                               f"source.size(dim): ({ns}), for dim: {dim}")
    if (s.size != 1 if x.ndim == 0 else
            s.ndim != x.ndim or any(a != b for d, (a, b) in enumerate(zip(x.shape, s.shape)) if d != dim)):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(x.shape)} source.shape = {list(s.shape)}")
    _check_bounds(idx, x.shape[dim] if x.ndim else 1, dim)
    return IndexAdd.apply(input, dim, idx, source, alpha)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Picks values of ``input`` at ``indices`` along ``dim``, broadcasting the other dimensions.

    With ``dim=None`` the input is flattened. Negative indices count from the end
    when ``dim`` is given.

    Example::

        >>> t = glasstorch.tensor([[10., 30., 20.], [60., 40., 50.]])
        >>> glasstorch.take_along_dim(t, t.argmax(1, keepdim=True), dim=1)
        tensor([[30.],
                [60.]])
    """
    idx = _index_array(indices, "take_along_dim")
    if idx.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {_type_name(idx)}")
    x = input._data
    if dim is None:
        from .shape import reshape
        flat = reshape(input, (-1,))
        flat_idx = idx.reshape(-1)
        _check_bounds(flat_idx, x.size, 0)
        return Gather.apply(flat, 0, flat_idx.astype(np.intp, copy=False))
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if x.ndim != idx.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {x.ndim} dimensions for input, and {idx.ndim} dimensions "
                           f"for indices")
    dim = _wrap_dim(dim, x.ndim)
    shape = []
    for d, (a, b) in enumerate(zip(x.shape, idx.shape)):
        if d != dim and a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                               f"non-singleton dimension {d}")
        shape.append(max(a, b) if a and b else 0)
    n = x.shape[dim]
    if idx.size and idx.min() < 0:
        idx = np.where(idx < 0, idx + n, idx)
    idx = np.broadcast_to(idx, tuple(idx.shape[dim] if d == dim else s for d, s in enumerate(shape)))
    input = broadcast_to(input, tuple(n if d == dim else s for d, s in enumerate(shape)))
    _check_bounds(idx, n, dim)
    return Gather.apply(input, dim, idx.astype(np.intp, copy=False))


# ============================================================ masks, nonzero
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the nonzero elements: an int64 (count, ndim) tensor, or one 1-D tensor per dimension.

    Example::

        >>> glasstorch.nonzero(glasstorch.tensor([[0., 1.], [2., 0.]]))
        tensor([[0, 1],
                [1, 0]])
    """
    x = input._data
    if as_tuple:
        return tuple(Tensor._make(a.astype(np.int64, copy=False)) for a in np.nonzero(np.atleast_1d(x)))
    return Tensor._make(np.argwhere(x).astype(np.int64, copy=False))


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where the bool ``mask`` is True, as a 1-D tensor (both broadcast)."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    x = input._data
    if m.shape != x.shape:
        try:
            shape = np.broadcast_shapes(m.shape, x.shape)
        except ValueError:
            n = max(m.ndim, x.ndim)
            ms, xs = (1,) * (n - m.ndim) + m.shape, (1,) * (n - x.ndim) + x.shape
            d = max(i for i in range(n) if ms[i] != xs[i] and 1 not in (ms[i], xs[i]))
            raise RuntimeError(f"The size of tensor a ({ms[d]}) must match the size of tensor b ({xs[d]}) at "
                               f"non-singleton dimension {d}") from None
        input = broadcast_to(input, shape)
        m = np.broadcast_to(m, shape)
    return Index.apply(input, _Key((Ellipsis,), (m,), False))


# =================================================================== sorting
sort_result = collections.namedtuple("sort", ["values", "indices"])
topk_result = collections.namedtuple("topk", ["values", "indices"])


def _argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort; NaN counts as the largest value, as in torch."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    # Sorting the reversed array ascending and reversing back keeps ties in their
    # original order and puts NaN first, with no negation (which breaks for bool/unsigned).
    n = x.shape[axis]
    rev = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(rev, axis)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """Sorts ``input`` along ``dim``; returns the named tuple ``(values, indices)``.

    The sort is always stable (``stable`` is accepted for torch compatibility); NaN
    sorts as the largest value.

    Example::

        >>> glasstorch.sort(glasstorch.tensor([3., 1., 2.]), descending=True)
        sort(values=tensor([3., 2., 1.]), indices=tensor([0, 2, 1]))
    """
    x = input._data
    dim = _wrap_dim(dim, x.ndim)
    idx = np.zeros((), dtype=np.intp) if x.ndim == 0 else _argsort(x, dim, descending)
    return sort_result(Sort.apply(input, dim, idx), Tensor._make(idx.astype(np.int64, copy=False)))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64); see :func:`sort`."""
    x = input._data
    dim = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), dtype=np.int64))
    return Tensor._make(_argsort(x, dim, descending).astype(np.int64, copy=False))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) elements along ``dim``: the named tuple ``(values, indices)``.

    The result is always sorted, which ``sorted=False`` allows. Among equal values the
    lower index comes first.

    Example::

        >>> glasstorch.topk(glasstorch.tensor([1., 5., 3., 4.]), 2)
        topk(values=tensor([5., 4.]), indices=tensor([1, 3]))
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' (position 1) must be int, not {type(k).__name__}")
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    dim = _wrap_dim(dim, x.ndim)
    n = x.shape[dim] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        idx = np.zeros((), dtype=np.intp)
    elif k == 0 or 4 * k >= n:
        idx = _argsort(x, dim, largest)
        idx = idx if k == n else np.take(idx, np.arange(k), axis=dim)
    else:
        # Partition first (linear time), then sort only the k survivors.
        if largest:
            part = np.take(np.argpartition(x, n - k, axis=dim), np.arange(n - k, n), axis=dim)
        else:
            part = np.take(np.argpartition(x, k - 1, axis=dim), np.arange(k), axis=dim)
        # Sort the survivors by (value, original index) so that ties keep index order.
        part = np.sort(part, axis=dim)
        order = _argsort(np.take_along_axis(x, part, axis=dim), dim, largest)
        idx = np.take_along_axis(part, order, axis=dim)
    return topk_result(Topk.apply(input, dim, idx), Tensor._make(idx.astype(np.int64, copy=False)))


# =================================================================== counting and searching
kthvalue_result = collections.namedtuple("kthvalue", ["values", "indices"])


def argwhere(input: Tensor) -> Tensor:
    """The indices of the nonzero elements, one row each: ``nonzero(input)``."""
    return nonzero(input)


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element along ``dim`` (1-based) and its index, as a namedtuple."""
    x = input._data
    d = _wrap_dim(dim, x.ndim) if x.ndim else 0
    n = x.shape[d] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    order = _argsort(x, d, False) if x.ndim else np.zeros((), np.intp)
    pick = np.take(order, [k - 1], axis=d) if x.ndim else order.reshape(())
    indices = Tensor._make(pick.astype(np.int64))
    values = gather(input, d, indices) if x.ndim else input.clone()
    if not keepdim and x.ndim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return kthvalue_result(values, indices)


def _ints_1d(input: Tensor, name: str) -> np.ndarray:
    x = input._data
    if x.ndim != 1:
        raise RuntimeError(f"{name} only supports 1-d non-negative integral inputs.")
    if x.dtype.kind not in "iub":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_TYPE_NAMES[x.dtype.name]}'")
    if x.size and x.min() < 0:
        raise RuntimeError(f"{name} only supports 1-d non-negative integral inputs.")
    return x


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How many times each value 0, 1, ... occurs in a 1-D non-negative integer tensor (or the sum
    of its ``weights``); at least ``minlength`` bins."""
    x = _ints_1d(input, "bincount")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return Tensor._make(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.shape != x.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dt = w.dtype if w.dtype.kind == "f" else np.float64
    return Tensor._make(np.bincount(x, weights=w, minlength=minlength).astype(out_dt))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range when both are 0);
    values outside are left out."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_TYPE_NAMES[x.dtype.name]}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc(): max must be larger than min, but got min {lo} max {hi}")
    counts, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return Tensor._make(counts.astype(x.dtype))


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """Where each value of ``input`` would go in ``sorted_sequence`` (its last dim sorted) to keep it
    sorted: the first such index, or the last with ``right=True`` / ``side="right"``."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of "
                               "left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._data
    how = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=how)
    else:
        if vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               f"dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
        flat_s, flat_v = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(a, v, side=how) for a, v in zip(flat_s, flat_v)]).reshape(vals.shape)
    return Tensor._make(np.asarray(out).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value for 1-D ``boundaries``: ``i`` with ``boundaries[i-1] < x <= boundaries[i]``
    (``<= x <`` with ``right=True``)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: int | None = None):
    """The distinct values (sorted), or distinct slices along ``dim``; with the inverse indices and
    the counts if asked for."""
    x = input._data
    axis = None if dim is None else _wrap_dim(dim, x.ndim)
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=axis)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(x.shape if axis is None else -1).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Each run of equal consecutive values (or slices along ``dim``) kept once."""
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        change = np.ones(flat.size, bool)
        change[1:] = flat[1:] != flat[:-1]
        values = flat[change]
        shape = x.shape
    else:
        d = _wrap_dim(dim, x.ndim)
        moved = np.moveaxis(x, d, 0).reshape(x.shape[d], -1)
        change = np.ones(moved.shape[0], bool)
        change[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        values = np.compress(change, x, axis=d)
        shape = (x.shape[d],)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make((np.cumsum(change) - 1).reshape(shape).astype(np.int64)))
    if return_counts:
        starts = np.flatnonzero(change)
        out.append(Tensor._make(np.diff(np.append(starts, change.size)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None):
    """Each element (or slice along ``dim``) repeated ``repeats`` times (an int, or one count per
    element). ``repeat_interleave(counts)`` alone gives ``0`` ``counts[0]`` times, ``1`` ``counts[1]``
    times, and so on."""
    if repeats is None:
        counts = input._data
        return Tensor._make(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(dim, input._data.ndim)
    counts = (repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)).reshape(-1)
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    if counts.size == 1:
        counts = int(counts[0])           # one count for every element
    elif counts.size != input.shape[d]:
        raise RuntimeError("repeats must have the same size as input along dim")
    idx = np.repeat(np.arange(input.shape[d], dtype=np.int64), counts)
    return index_select(input, d, Tensor._make(idx))


__all__ = ["index_select", "gather", "scatter", "scatter_add", "index_add", "index_put", "take_along_dim",
           "nonzero", "masked_select", "sort", "argsort", "topk", "argwhere", "msort", "kthvalue", "bincount",
           "histc", "searchsorted", "bucketize", "unique", "unique_consecutive", "repeat_interleave"]
