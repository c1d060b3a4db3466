"""Tensor constructors with torch's names, signatures and dtype rules.

Python floats become the default dtype (float32), Python ints int64 and bools
bool; NumPy arrays keep their dtype. Random constructors live in ``random.py``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from . import _dtype
from ._tensor import Tensor, _require_cpu


def _np_dtype(dtype, default=None) -> np.dtype:
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.to_dtype(dtype).np


def _check_device(device) -> None:
    _require_cpu(device)


def _finish(arr: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    _check_device(device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_array(data: Any, dtype) -> np.ndarray:
    """Converts nested Python data to an array with torch's dtype inference."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr.copy() if dtype is None else arr.astype(_np_dtype(dtype))
    if isinstance(data, np.ndarray):
        if dtype is None:
            _dtype.from_numpy_dtype(data.dtype)  # raises for dtypes torch does not have
        return np.array(data, dtype=None if dtype is None else _np_dtype(dtype))
    arr = np.array(data)
    if arr.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if dtype is not None:
        return arr.astype(_np_dtype(dtype))
    if arr.dtype.kind == "f" and not _has_numpy_values(data):
        return arr.astype(_dtype.get_default_dtype().np)
    if arr.dtype.kind in "iu" and not _has_numpy_values(data):
        return arr.astype(np.int64)
    _dtype.from_numpy_dtype(arr.dtype)
    return arr


def _has_numpy_values(data) -> bool:
    """True if the data holds NumPy arrays or scalars (whose dtype is kept) rather than Python numbers."""
    if isinstance(data, (np.ndarray, np.generic, Tensor)):
        return True
    if isinstance(data, (list, tuple)):
        return any(_has_numpy_values(d) for d in data[:1])
    return False


def tensor(data: Any, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Constructs a tensor with no history by copying ``data``.

    Args:
        data: a number, a nested list or tuple, a NumPy array or a tensor.
        dtype: the desired dtype; inferred from ``data`` if None.
        requires_grad: whether autograd should record operations on it.

    Example::

        >>> glasstorch.tensor([[1., -1.], [1., -1.]])
        tensor([[ 1., -1.],
                [ 1., -1.]])
    """
    return _finish(_infer_array(data, dtype), requires_grad, device)


def as_tensor(data: Any, dtype=None, device=None) -> Tensor:
    """Converts ``data`` to a tensor, sharing memory with a NumPy array or tensor when the dtype allows."""
    if isinstance(data, Tensor):
        return data if dtype is None or _dtype.to_dtype(dtype) is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _np_dtype(dtype) == data.dtype):
        _dtype.from_numpy_dtype(data.dtype)
        return _finish(data, False, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """Wraps a NumPy array as a tensor sharing its memory."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _size(size: Sequence) -> tuple:
    if len(size) == 0:
        raise TypeError('missing 1 required positional arguments: "size"')
    if len(size) == 1 and isinstance(size[0], (tuple, list)) or (len(size) == 1 and hasattr(size[0], "__len__")):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        bad = next(s for s in shape if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {list(shape)}")
    return shape


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros with the given shape."""
    return _finish(np.zeros(_size(size), dtype=_np_dtype(dtype)), requires_grad, device)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones with the given shape."""
    return _finish(np.ones(_size(size), dtype=_np_dtype(dtype)), requires_grad, device)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          memory_format=None) -> Tensor:
    """An uninitialized tensor with the given shape."""
    return _finish(np.empty(_size(size), dtype=_np_dtype(dtype)), requires_grad, device)


def full(size: Sequence[int], fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype is inferred from it if not given."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    default = _dtype.scalar_dtype(fill_value)
    return _finish(np.full(_size((size,)), fill_value, dtype=_np_dtype(dtype, default)), requires_grad, device)


def _like(input: Tensor, dtype) -> np.dtype:
    return input._data.dtype if dtype is None else _np_dtype(dtype)


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    return _finish(np.zeros(input._data.shape, dtype=_like(input, dtype)), requires_grad, device)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    return _finish(np.ones(input._data.shape, dtype=_like(input, dtype)), requires_grad, device)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    return _finish(np.empty(input._data.shape, dtype=_like(input, dtype)), requires_grad, device)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    return _finish(np.full(input._data.shape, fill_value, dtype=_like(input, dtype)), requires_grad, device)


def _number(x):
    return x.item() if isinstance(x, (Tensor, np.generic)) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``.

    The dtype is int64 when all arguments are integers, else the default float dtype.
    """
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign: start={start}, end={end}, "
                           f"step={step}")
    integral = all(isinstance(v, int) for v in (start, end, step))
    n = max(math.ceil((end - start) / step), 0)
    default = _dtype.int64 if integral else _dtype.get_default_dtype()
    if integral:
        arr = start + step * np.arange(n, dtype=np.int64)
    else:
        # Computed in double as start + i * step, as torch does, then converted.
        arr = start + step * np.arange(n, dtype=np.float64)
    return _finish(arr.astype(_np_dtype(dtype, default)), requires_grad, device)


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = _number(start), _number(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _np_dtype(dtype)
    # As torch: the step is rounded to the output dtype, then the first half is filled from
    # start and the second half from end (each a fused multiply-add), so both ends are exact.
    i = np.arange(steps, dtype=np.float64)
    if steps > 1:
        step = float((dt.type if dt.kind == "f" else np.float64)((end - start) / (steps - 1)))
        arr = np.where(i < steps // 2, start + i * step, end - (steps - 1 - i) * step)
    else:
        arr = np.full(steps, start, dtype=np.float64)
    return _finish(arr.astype(_np_dtype(dtype)), requires_grad, device)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    exps = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish((base ** exps).astype(_np_dtype(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """A 2-D tensor with ones on the diagonal."""
    return _finish(np.eye(n, n if m is None else m, dtype=_np_dtype(dtype)), requires_grad, device)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a ``row x col`` matrix (on and
    below diagonal ``offset``), row by row."""
    _check_device(device)
    r, c = np.tril_indices(row, offset, col)
    return Tensor._make(np.stack([r, c]).astype(_np_dtype(dtype, _dtype.int64)))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle (on and above diagonal ``offset``)."""
    _check_device(device)
    r, c = np.triu_indices(row, offset, col)
    return Tensor._make(np.stack([r, c]).astype(_np_dtype(dtype, _dtype.int64)))


__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye", "is_tensor", "numel",
           "tril_indices", "triu_indices"]
