"""dtypes named like torch's, and torch's type-promotion rules.

A glasstorch dtype is a thin wrapper around a NumPy dtype. Tensors store plain
NumPy arrays, so ``tensor.dtype`` is looked up from ``array.dtype``.

Promotion differs from NumPy's in two ways that matter, and both are handled
here so that no op has to think about them:

* categories win over sizes: ``int64 + float16 -> float16`` (NumPy: float64);
* operands are ranked: tensors with dimensions beat 0-d tensors, which beat
  Python numbers, as long as the higher-ranked group's category is at least as
  high (``float32 tensor + float64 0-d tensor -> float32``,
  ``int64 tensor + 2.5 -> float32``, the default dtype).
"""
from __future__ import annotations

import numpy as np

# The Tensor class; glasstorch._tensor sets it once the class exists, as that module imports this one.
Tensor = None


class dtype:
    """A tensor element type, such as ``glasstorch.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.is_signed = category == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"glasstorch.{self.name}"

    def __reduce__(self):
        # Pickle as a reference to the module-level singleton.
        return (_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

_ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}
_NAMES.update({"float": float32, "double": float64, "half": float16, "long": int64,
               "int": int32, "short": int16, "bool": bool_})


def _by_name(name: str) -> dtype:
    return _NAMES[name]


_default_float = float32


def set_default_dtype(d: dtype) -> None:
    """Sets the default floating point dtype (float32 unless changed)."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def get_default_dtype() -> dtype:
    """Returns the current default floating point dtype."""
    return _default_float


def to_dtype(d) -> dtype:
    """Accepts a glasstorch dtype, a NumPy dtype, a Python type or a name."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _default_float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d]
    try:
        return _FROM_NP[np.dtype(d)]
    except (KeyError, TypeError):
        raise TypeError(f"unsupported dtype: {d!r}") from None


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
                        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype that holds both, category first."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # A lower-priority operand only matters when it is of a higher category.
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool_ or lower._category > higher._category:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x) -> dtype:
    """The dtype a Python number takes when it is wrapped (bool, int64 or the default float)."""
    if isinstance(x, (bool, np.bool_)):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (float, np.floating)):
        return _default_float
    raise TypeError(f"unsupported scalar type: {type(x).__name__}")


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python numbers."""
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x._data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def is_floating_point(t) -> bool:
    return t.dtype.is_floating_point


def can_cast(from_: dtype, to: dtype) -> bool:
    """``torch.can_cast``: whether a value of ``from_`` may be cast to ``to`` under torch's rule, which
    refuses only a move to a lower kind (floating to integer, integer to bool)."""
    return to_dtype(from_)._category <= to_dtype(to)._category


class finfo:
    """``torch.finfo(dtype)``: the limits of a floating point dtype (default: the default dtype).

    Attributes: ``bits, eps, max, min, tiny, smallest_normal, resolution, dtype``.
    """

    def __init__(self, type: dtype | None = None):
        d = _default_float if type is None else to_dtype(type)
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = np.finfo(d.np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """``torch.iinfo(dtype)``: the limits of an integer dtype (``bits, max, min, dtype``)."""

    def __init__(self, type: dtype):
        d = to_dtype(type)
        if d is bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        info = np.iinfo(d.np)
        self.bits, self.max, self.min, self.dtype = info.bits, int(info.max), int(info.min), d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
