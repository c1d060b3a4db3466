"""class Tensor: the state of a tensor, and thin methods that call the ops.

A Tensor holds:

* ``_data``: a NumPy array with the values;
* ``_requires_grad``, ``grad``: whether gradients are wanted, and the gradient once computed;
* ``_grad_fn``, ``_output_nr``: the graph node that produced it (None for leaves), and which of
  that node's outputs it is;
* ``_version``: a counter bumped by every in-place change, shared with views, so that
  backward can tell when a value it saved has been overwritten;
* ``_base``: for views, the tensor whose memory they share.

Everything else lives in ``glasstorch/ops``: a method here is one line that calls an op.
"""
from __future__ import annotations

import copy
import weakref
from typing import Any

import numpy as np

from . import _dtype
from ._dtype import dtype as _DType
from .autograd.grad_mode import _state
from .autograd.function import _add_hook


class _Version:
    """A version counter; views of one tensor share one."""
    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Size(tuple):
    """The shape of a tensor: a tuple, printed as ``glasstorch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"glasstorch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


# The device types torch names, in the order of its error message.
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                 "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    """A device, as ``torch.device``: ``device("cuda")``, ``device("cuda:1")``, ``device("cpu", 0)``.

    Any of torch's device types can be named (so that ``torch.device("cuda" if
    torch.cuda.is_available() else "cpu")`` runs), but glasstorch computes on the CPU only:
    putting a tensor or a module on another device raises the error torch raises when it was
    built without that device.
    """
    __slots__ = ("type", "index")

    def __init__(self, type: "str | device | int" = "cpu", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):
            # torch reads a bare index as one of the current accelerator, and there is none
            raise RuntimeError("Cannot access accelerator device when none is available.")
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        elif ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            type, idx = type.split(":", 1)
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device "
                               f"string: {type}")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        # As torch: equal to another device of the same type and index, never to a string.
        if not isinstance(other, device):
            return NotImplemented
        return other.type == self.type and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


def _require_cpu(dev) -> "device | None":
    """``dev`` as a device (None stays None), or torch's error for a device this build lacks."""
    if dev is None:
        return None
    d = dev if isinstance(dev, device) else device(dev)
    if d.type == "cpu":
        return d
    if d.type in ("cuda", "xpu"):
        raise AssertionError(f"Torch not compiled with {d.type.upper()} enabled")
    if d.type == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise NotImplementedError(f"glasstorch computes on the CPU only: it cannot put a tensor on a "
                              f"'{d.type}' device")


_CPU = device("cpu")


_new_tensor = object.__new__


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Build tensors with :func:`glasstorch.tensor`, :func:`glasstorch.zeros` and friends.
    ``Tensor(data)`` and ``Tensor(*sizes)`` work as torch's legacy constructor
    (float32 values; an uninitialized tensor of the given size).
    """

    __slots__ = ("_data", "grad", "_requires_grad", "_grad_fn", "_output_nr", "_version", "_base",
                 "_hooks", "_retains_grad", "__weakref__", "__dict__")

    # Let NumPy defer to our reflected operators: ``np.float32(2) * t`` calls ``t.__rmul__``.
    __array_priority__ = 1000
    __array_ufunc__ = None

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False):
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            arr = np.array(args[0].numpy() if isinstance(args[0], Tensor) else args[0],
                           dtype=_dtype.to_dtype(dtype or _dtype.get_default_dtype()).np)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            arr = np.empty(tuple(int(s) for s in shape),
                           dtype=_dtype.to_dtype(dtype or _dtype.get_default_dtype()).np)
        self._init(arr, False)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, arr: np.ndarray, requires_grad: bool) -> None:
        self._data = arr
        self.grad = None
        self._requires_grad = requires_grad
        self._grad_fn = None
        self._output_nr = 0
        self._version = _Version()
        self._base = None
        self._hooks = None
        self._retains_grad = False

    @staticmethod
    def _make(arr: np.ndarray, requires_grad: bool = False) -> "Tensor":
        """The fast constructor used by ops: wraps an array as is, with no checks."""
        t = _new_tensor(Tensor)
        t._init(arr, requires_grad)
        return t

    @classmethod
    def _make_as(cls, arr: np.ndarray, requires_grad: bool = False) -> "Tensor":
        """Like ``_make``, for a subclass of Tensor."""
        t = object.__new__(cls)
        t._init(arr, requires_grad)
        return t

    @classmethod
    def _view_of(cls, base: "Tensor", arr: np.ndarray) -> "Tensor":
        """Wraps ``arr``, a NumPy view of ``base``'s memory, sharing its version counter."""
        t = object.__new__(cls)
        t._init(arr, False)
        # Callers pass arrays derived from base, so the cheap bounds check is exact enough.
        if arr.size and base._data.size and np.may_share_memory(arr, base._data):
            t._version = base._version
            t._base = base if base._base is None else base._base
        return t

    def _alias(self) -> "Tensor":
        t = Tensor._view_of(self, self._data)
        t._version = self._version
        return t

    # ------------------------------------------------------------------ state
    @property
    def data(self) -> "Tensor":
        """The values as a tensor outside the graph, sharing memory (changes are not tracked)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Sets ``requires_grad`` in place on a leaf tensor and returns it."""
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """Returns the shape, or the size of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndim = property(dim)

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def dtype(self) -> _DType:
        return _dtype._FROM_NP[self._data.dtype]

    @property
    def device(self) -> device:
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    # The other devices and layouts glasstorch does not have: every tensor is a dense CPU one.
    is_xpu = is_mps = is_meta = is_sparse = is_quantized = is_mkldnn = is_nested = is_cuda

    @property
    def is_cpu(self) -> bool:
        return True

    @property
    def layout(self) -> str:
        return "strided"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim: int | None = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def get_device(self) -> int:
        return -1

    # ---------------------------------------------------------- conversions
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """Returns the values as a NumPy array sharing memory with the tensor."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self) -> Any:
        """Returns the value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def detach(self) -> "Tensor":
        """Returns a tensor sharing memory and version counter, outside the graph."""
        t = Tensor._make(self._data)
        t._version = self._version
        t._base = self._base
        return t

    def detach_(self) -> "Tensor":
        self._grad_fn = None
        self._requires_grad = False
        return self

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(other)`` or ``to(device, dtype)``; returns self if nothing changes."""
        dt = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        dev = kwargs.pop("device", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dt = a.dtype
            elif isinstance(a, (_DType, type, np.dtype)):
                dt = a
            elif isinstance(a, (str, device)):
                dev = a
            elif isinstance(a, bool):
                copy = a
        _require_cpu(dev)  # raises torch's error for a device glasstorch does not have
        if dt is None or _dtype.to_dtype(dt).np == self._data.dtype:
            return self.clone() if copy else self
        return _ew.cast(self, _dtype.to_dtype(dt))

    def type(self, dtype=None, non_blocking: bool = False):
        if dtype is None:
            return {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "int64": "torch.LongTensor",
                    "int32": "torch.IntTensor", "bool": "torch.BoolTensor", "float16": "torch.HalfTensor",
                    "uint8": "torch.ByteTensor", "int8": "torch.CharTensor",
                    "int16": "torch.ShortTensor"}[self.dtype.name]
        if isinstance(dtype, str):
            names = {"torch.FloatTensor": "float32", "torch.DoubleTensor": "float64", "torch.LongTensor": "int64",
                     "torch.IntTensor": "int32", "torch.BoolTensor": "bool", "torch.HalfTensor": "float16"}
            dtype = names.get(dtype, dtype.split(".")[-1])
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def float(self) -> "Tensor":
        return self.to(_dtype.float32)

    def double(self) -> "Tensor":
        return self.to(_dtype.float64)

    def half(self) -> "Tensor":
        return self.to(_dtype.float16)

    def long(self) -> "Tensor":
        return self.to(_dtype.int64)

    def int(self) -> "Tensor":
        return self.to(_dtype.int32)

    def short(self) -> "Tensor":
        return self.to(_dtype.int16)

    def bool(self) -> "Tensor":
        return self.to(_dtype.bool_)

    def byte(self) -> "Tensor":
        return self.to(_dtype.uint8)

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> "Tensor":
        """Raises, as torch built without CUDA does: glasstorch computes on the CPU."""
        raise AssertionError("Torch not compiled with CUDA enabled")

    def pin_memory(self, device=None) -> "Tensor":
        """Returns ``self``: pinned memory speeds copies to an accelerator, and there is none."""
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    # ------------------------------------------------------------- autograd
    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Computes the gradient of this tensor with respect to the graph leaves.

        Args:
            gradient: the gradient of some scalar with respect to this tensor; needed unless it
                holds one element.
            retain_graph: keep the saved values so backward can run again. Defaults to create_graph.
            create_graph: record the backward pass, for higher-order derivatives.
            inputs: accumulate only into these tensors' ``.grad``.
        """
        _engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """Registers ``hook(grad) -> Tensor or None``, called with this tensor's gradient.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        else:
            node = self._grad_fn
            if node._pre_hooks is None:
                node._pre_hooks = {}
            hooks = node._pre_hooks.setdefault(self._output_nr, {})
        return _add_hook(hooks, hook)

    def retain_grad(self) -> None:
        """Makes ``.grad`` of this non-leaf tensor be filled by backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        ref = weakref.ref(self)

        def store(grad):
            t = ref()
            if t is not None:
                g = grad.detach()
                t.grad = Tensor._make(g._data.copy()) if t.grad is None else Tensor._make(t.grad._data + g._data)
        node = self._grad_fn
        if node._retain_grads is None:
            node._retain_grads = {}
        node._retain_grads[self._output_nr] = store   # the engine calls it after this tensor's hooks
        self._retains_grad = True

    # ------------------------------------------------------- in-place plumbing
    def _bump(self) -> None:
        self._version.value += 1

    def _inplace(self, op, *args, **kwargs) -> "Tensor":
        """Runs the out-of-place ``op(self, *args)`` and writes its result into ``self``.

        Under autograd the result's graph node becomes this tensor's ``grad_fn``, and the
        version counter is bumped, so that any node that saved the old value refuses to
        use it in backward.
        """
        recording = _state.enabled and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        if not recording:
            prev = _state.enabled
            _state.enabled = False
            try:
                out = op(self, *args, **kwargs)
            finally:
                _state.enabled = prev
            self._write(out._data)
            return self
        if self._requires_grad and self._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if self._base is not None and (self._base._requires_grad or self._requires_grad):
            raise RuntimeError("in-place operation on a view of a tensor that is part of the autograd graph: "
                               "glasstorch does not rebase views; use an out-of-place op or clone() first")
        # The node that will own the old value needs a copy of it, as this memory is about to change.
        old = Tensor._make(self._data.copy(), self._requires_grad)
        old._grad_fn, old._output_nr = self._grad_fn, self._output_nr
        out = op(old, *args, **kwargs)
        self._write(out._data)
        if out._grad_fn is not None:
            out._grad_fn._rebind_output(out, self)
        self._grad_fn, self._output_nr = out._grad_fn, out._output_nr
        self._requires_grad = out._requires_grad
        return self

    def _write(self, values: np.ndarray) -> None:
        if values.shape != self._data.shape:
            try:
                shape = np.broadcast_shapes(values.shape, self._data.shape)
            except ValueError:
                shape = None
            if shape != self._data.shape:
                raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast "
                                   f"shape {list(shape) if shape else list(values.shape)}")
        src, dst = _dtype._FROM_NP[values.dtype], self.dtype
        if src._category > dst._category:
            raise RuntimeError(f"result type {_TYPE_NAMES[src.name]} can't be cast to the desired output type "
                               f"{_TYPE_NAMES[dst.name]}")
        np.copyto(self._data, values, casting="unsafe")
        self._version.value += 1

    # ------------------------------------------------------------ printing
    def __repr__(self) -> str:
        return _repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return repr(self).__format__(spec)

    # ------------------------------------------------------ Python protocols
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __int__(self) -> int:
        return int(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (type(self), self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.")
        t = type(self)._make_as(self._data.copy(), self._requires_grad)
        if self.__dict__:
            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        if self.grad is not None:
            t.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = t
        return t

    # ---------------------------------------------------------- arithmetic
    def __add__(self, other): return _ew.add(self, other)
    def __radd__(self, other): return _ew.add(other, self)
    def __sub__(self, other): return _ew.sub(self, other)
    def __rsub__(self, other): return _ew.sub(other, self)
    def __mul__(self, other): return _ew.mul(self, other)
    def __rmul__(self, other): return _ew.mul(other, self)
    def __truediv__(self, other): return _ew.div(self, other)
    def __rtruediv__(self, other): return _ew.div(other, self)
    def __floordiv__(self, other): return _ew.floor_divide(self, other)
    def __rfloordiv__(self, other): return _ew.floor_divide(other, self)
    def __mod__(self, other): return _ew.remainder(self, other)
    def __rmod__(self, other): return _ew.remainder(other, self)
    def __pow__(self, other): return _ew.pow(self, other)
    def __rpow__(self, other): return _ew.pow(other, self)
    def __matmul__(self, other): return _la.matmul(self, other)
    def __rmatmul__(self, other): return _la.matmul(other, self)
    def __neg__(self): return _ew.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ew.abs(self)
    def __invert__(self): return _ew.bitwise_not(self)
    def __and__(self, other): return _ew.bitwise_and(self, other)
    def __rand__(self, other): return _ew.bitwise_and(other, self)
    def __or__(self, other): return _ew.bitwise_or(self, other)
    def __ror__(self, other): return _ew.bitwise_or(other, self)
    def __xor__(self, other): return _ew.bitwise_xor(self, other)
    def __rxor__(self, other): return _ew.bitwise_xor(other, self)

    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)
    def __ipow__(self, other): return self.pow_(other)

    def __eq__(self, other): return _ew.eq(self, other)
    def __ne__(self, other): return _ew.ne(self, other)
    def __lt__(self, other): return _ew.lt(self, other)
    def __le__(self, other): return _ew.le(self, other)
    def __gt__(self, other): return _ew.gt(self, other)
    def __ge__(self, other): return _ew.ge(self, other)

    # -------------------------------------------------- elementwise methods
    def add(self, other, *, alpha=1): return _ew.add(self, other, alpha=alpha)
    def sub(self, other, *, alpha=1): return _ew.sub(self, other, alpha=alpha)
    subtract = sub
    def mul(self, other): return _ew.mul(self, other)
    multiply = mul
    def div(self, other, *, rounding_mode=None): return _ew.div(self, other, rounding_mode=rounding_mode)
    divide = true_divide = div
    def floor_divide(self, other): return _ew.floor_divide(self, other)
    def remainder(self, other): return _ew.remainder(self, other)
    def fmod(self, other): return _ew.fmod(self, other)
    def pow(self, exponent): return _ew.pow(self, exponent)
    def neg(self): return _ew.neg(self)
    negative = neg
    def abs(self): return _ew.abs(self)
    absolute = abs
    def sign(self): return _ew.sign(self)
    def reciprocal(self): return _ew.reciprocal(self)
    def exp(self): return _ew.exp(self)
    def exp2(self): return _ew.exp2(self)
    def log(self): return _ew.log(self)
    def log2(self): return _ew.log2(self)
    def log10(self): return _ew.log10(self)
    def log1p(self): return _ew.log1p(self)
    def expm1(self): return _ew.expm1(self)
    def sqrt(self): return _ew.sqrt(self)
    def rsqrt(self): return _ew.rsqrt(self)
    def square(self): return _ew.square(self)
    def sin(self): return _ew.sin(self)
    def cos(self): return _ew.cos(self)
    def tan(self): return _ew.tan(self)
    def asin(self): return _ew.asin(self)
    def acos(self): return _ew.acos(self)
    def atan(self): return _ew.atan(self)
    def sinh(self): return _ew.sinh(self)
    def cosh(self): return _ew.cosh(self)
    def tanh(self): return _ew.tanh(self)
    def sigmoid(self): return _ew.sigmoid(self)
    def relu(self): return _ew.relu(self)
    def erf(self): return _ew.erf(self)
    def floor(self): return _ew.floor(self)
    def ceil(self): return _ew.ceil(self)
    def round(self, *, decimals=0): return _ew.round(self, decimals=decimals)
    def trunc(self): return _ew.trunc(self)
    def frac(self): return _ew.frac(self)
    def clamp(self, min=None, max=None): return _ew.clamp(self, min, max)
    clip = clamp
    def clamp_min(self, min): return _ew.clamp(self, min, None)
    def clamp_max(self, max): return _ew.clamp(self, None, max)
    def maximum(self, other): return _ew.maximum(self, other)
    def minimum(self, other): return _ew.minimum(self, other)
    def where(self, condition, other): return _ew.where(condition, self, other)
    def masked_fill(self, mask, value): return _ew.masked_fill(self, mask, value)
    def lerp(self, end, weight): return _ew.lerp(self, end, weight)
    def eq(self, other): return _ew.eq(self, other)
    def ne(self, other): return _ew.ne(self, other)
    def lt(self, other): return _ew.lt(self, other)
    def le(self, other): return _ew.le(self, other)
    def gt(self, other): return _ew.gt(self, other)
    def ge(self, other): return _ew.ge(self, other)
    less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne
    def logical_and(self, other): return _ew.logical_and(self, other)
    def logical_or(self, other): return _ew.logical_or(self, other)
    def logical_xor(self, other): return _ew.logical_xor(self, other)
    def logical_not(self): return _ew.logical_not(self)
    def isnan(self): return _ew.isnan(self)
    def isinf(self): return _ew.isinf(self)
    def isfinite(self): return _ew.isfinite(self)
    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ew.isclose(self, other, rtol, atol, equal_nan)
    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ew.allclose(self, other, rtol, atol, equal_nan)
    def equal(self, other): return _ew.equal(self, other)

    # --------------------------------------------------- in-place methods
    def add_(self, other, *, alpha=1): return self._inplace(_ew.add, other, alpha=alpha)
    def sub_(self, other, *, alpha=1): return self._inplace(_ew.sub, other, alpha=alpha)
    def mul_(self, other): return self._inplace(_ew.mul, other)
    def div_(self, other, *, rounding_mode=None): return self._inplace(_ew.div, other, rounding_mode=rounding_mode)
    def pow_(self, exponent): return self._inplace(_ew.pow, exponent)
    def neg_(self): return self._inplace(_ew.neg)
    def abs_(self): return self._inplace(_ew.abs)
    def exp_(self): return self._inplace(_ew.exp)
    def log_(self): return self._inplace(_ew.log)
    def sqrt_(self): return self._inplace(_ew.sqrt)
    def sigmoid_(self): return self._inplace(_ew.sigmoid)
    def tanh_(self): return self._inplace(_ew.tanh)
    def relu_(self): return self._inplace(_ew.relu)
    def clamp_(self, min=None, max=None): return self._inplace(_ew.clamp, min, max)
    clip_ = clamp_
    def clamp_min_(self, min): return self._inplace(_ew.clamp, min, None)
    def clamp_max_(self, max): return self._inplace(_ew.clamp, None, max)
    def masked_fill_(self, mask, value): return self._inplace(_ew.masked_fill, mask, value)
    def fill_(self, value): return self._inplace(_ew.fill, value)
    def zero_(self): return self._inplace(_ew.fill, 0)
    def copy_(self, src, non_blocking: bool = False): return self._inplace(_ew.copy_from, src)
    def lerp_(self, end, weight): return self._inplace(_ew.lerp, end, weight)
    def addcmul_(self, tensor1, tensor2, *, value=1):
        return self._inplace(lambda s, a, b: _ew.add(s, _ew.mul(a, b), alpha=value), tensor1, tensor2)
    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return self._inplace(lambda s, a, b: _ew.add(s, _ew.div(a, b), alpha=value), tensor1, tensor2)
    def __setitem__(self, key, value): self._inplace(_idx.index_put, key, value)

    # ----------------------------------------------------------- reductions
    def sum(self, *args, **kwargs): return _red.sum(self, *args, **kwargs)
    def mean(self, *args, **kwargs): return _red.mean(self, *args, **kwargs)
    def var(self, *args, **kwargs): return _red.var(self, *args, **kwargs)
    def std(self, *args, **kwargs): return _red.std(self, *args, **kwargs)
    def prod(self, *args, **kwargs): return _red.prod(self, *args, **kwargs)
    def nansum(self, *args, **kwargs): return _red.nansum(self, *args, **kwargs)
    def nanmean(self, *args, **kwargs): return _red.nanmean(self, *args, **kwargs)
    def median(self, *args, **kwargs): return _red.median(self, *args, **kwargs)
    def count_nonzero(self, *args, **kwargs): return _red.count_nonzero(self, *args, **kwargs)
    def max(self, *args, **kwargs): return _red.max(self, *args, **kwargs)
    def min(self, *args, **kwargs): return _red.min(self, *args, **kwargs)
    def amax(self, *args, **kwargs): return _red.amax(self, *args, **kwargs)
    def amin(self, *args, **kwargs): return _red.amin(self, *args, **kwargs)
    def argmax(self, *args, **kwargs): return _red.argmax(self, *args, **kwargs)
    def argmin(self, *args, **kwargs): return _red.argmin(self, *args, **kwargs)
    def logsumexp(self, *args, **kwargs): return _red.logsumexp(self, *args, **kwargs)
    def norm(self, *args, **kwargs): return _red.norm(self, *args, **kwargs)
    def cumsum(self, *args, **kwargs): return _red.cumsum(self, *args, **kwargs)
    def cumprod(self, *args, **kwargs): return _red.cumprod(self, *args, **kwargs)
    def all(self, *args, **kwargs): return _red.all(self, *args, **kwargs)
    def any(self, *args, **kwargs): return _red.any(self, *args, **kwargs)
    def softmax(self, *args, **kwargs): return _red.softmax(self, *args, **kwargs)
    def log_softmax(self, *args, **kwargs): return _red.log_softmax(self, *args, **kwargs)

    # ------------------------------------------------------ shape and movement
    def reshape(self, *shape): return _shp.reshape(self, _shape_arg(shape))
    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (_DType, type, np.dtype)):
            return _shp.view_dtype(self, shape[0])
        return _shp.view(self, _shape_arg(shape))
    def view_as(self, other): return _shp.view(self, other.shape)
    def reshape_as(self, other): return _shp.reshape(self, other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return _shp.flatten(self, start_dim, end_dim)
    def unflatten(self, dim, sizes): return _shp.unflatten(self, dim, sizes)
    def squeeze(self, dim=None): return _shp.squeeze(self, dim)
    def unsqueeze(self, dim): return _shp.unsqueeze(self, dim)
    def permute(self, *dims): return _shp.permute(self, _shape_arg(dims))
    def transpose(self, dim0, dim1): return _shp.transpose(self, dim0, dim1)
    swapaxes = swapdims = transpose
    def t(self): return _shp.t(self)
    @property
    def T(self): return _shp.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))
    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return _shp.transpose(self, -2, -1)
    def movedim(self, source, destination): return _shp.movedim(self, source, destination)
    def expand(self, *sizes): return _shp.expand(self, _shape_arg(sizes))
    def expand_as(self, other): return _shp.expand(self, other.shape)
    def broadcast_to(self, shape): return _shp.expand(self, shape)
    def repeat(self, *sizes): return _shp.repeat(self, _shape_arg(sizes))
    def tile(self, *dims): return _shp.tile(self, _shape_arg(dims))
    def flip(self, *dims): return _shp.flip(self, _shape_arg(dims))
    def roll(self, shifts, dims=None): return _shp.roll(self, shifts, dims)
    def split(self, split_size, dim=0): return _shp.split(self, split_size, dim)
    def chunk(self, chunks, dim=0): return _shp.chunk(self, chunks, dim)
    def unbind(self, dim=0): return _shp.unbind(self, dim)
    def narrow(self, dim, start, length): return _shp.narrow(self, dim, start, length)
    def tril(self, diagonal=0): return _shp.tril(self, diagonal)
    def triu(self, diagonal=0): return _shp.triu(self, diagonal)
    def clone(self, *, memory_format=None): return _shp.clone(self)
    def contiguous(self, memory_format=None): return self if self._data.flags.c_contiguous else _shp.clone(self)
    def diagonal(self, offset=0, dim1=0, dim2=1): return _shp.diagonal(self, offset, dim1, dim2)
    def diag(self, diagonal=0): return _shp.diag(self, diagonal)
    def diag_embed(self, offset=0, dim1=-2, dim2=-1): return _shp.diag_embed(self, offset, dim1, dim2)
    def ravel(self): return _shp.ravel(self)
    def moveaxis(self, source, destination): return _shp.movedim(self, source, destination)
    def fliplr(self): return _shp.fliplr(self)
    def flipud(self): return _shp.flipud(self)
    def select(self, dim, index): return _shp.select(self, dim, index)
    def unfold(self, dimension, size, step): return _shp.unfold_windows(self, dimension, size, step)
    def kron(self, other): return _shp.kron(self, other)
    def rot90(self, k=1, dims=(0, 1)): return _shp.rot90(self, k, dims)
    def tensor_split(self, indices_or_sections, dim=0): return _shp.tensor_split(self, indices_or_sections, dim)
    def hsplit(self, sections): return _shp.hsplit(self, sections)
    def vsplit(self, sections): return _shp.vsplit(self, sections)
    def dsplit(self, sections): return _shp.dsplit(self, sections)

    # ------------------------------------------------- counting, searching, everyday math
    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return _idx.repeat_interleave(self, repeats, dim, output_size=output_size)
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _idx.unique(self, sorted, return_inverse, return_counts, dim)
    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _idx.unique_consecutive(self, return_inverse, return_counts, dim)
    def kthvalue(self, k, dim=-1, keepdim=False): return _idx.kthvalue(self, k, dim, keepdim)
    def msort(self): return _idx.msort(self)
    def argwhere(self): return _idx.argwhere(self)
    def bincount(self, weights=None, minlength=0): return _idx.bincount(self, weights, minlength)
    def histc(self, bins=100, min=0, max=0): return _idx.histc(self, bins, min, max)
    def diff(self, n=1, dim=-1, prepend=None, append=None): return _red.diff(self, n, dim, prepend, append)
    def aminmax(self, *, dim=None, keepdim=False): return _red.aminmax(self, dim=dim, keepdim=keepdim)
    def atan2(self, other): return _ew.atan2(self, other)
    def arctan2(self, other): return _ew.atan2(self, other)
    def hypot(self, other): return _ew.hypot(self, other)
    def logaddexp(self, other): return _ew.logaddexp(self, other)
    def deg2rad(self): return _ew.deg2rad(self)
    def rad2deg(self): return _ew.rad2deg(self)
    def sgn(self): return _ew.sgn(self)
    def nan_to_num(self, nan=0.0, posinf=None, neginf=None): return _ew.nan_to_num(self, nan, posinf, neginf)
    def cross(self, other, dim=None): return _la.cross(self, other, dim)
    def inner(self, other): return _la.inner(self, other)
    def vdot(self, other): return _la.vdot(self, other)
    def dist(self, other, p=2): return _la.dist(self, other, p)
    def det(self): return _linalg().det(self)
    def logdet(self): return _linalg().logdet(self)
    def slogdet(self): return _linalg().slogdet(self)
    def inverse(self): return _linalg().inv(self)
    def matrix_power(self, n): return _linalg().matrix_power(self, n)

    # ------------------------------------------------------------- indexing
    def __getitem__(self, key): return _idx.getitem(self, key)
    def index_select(self, dim, index): return _idx.index_select(self, dim, index)
    def gather(self, dim, index): return _idx.gather(self, dim, index)
    def scatter(self, dim, index, src=None, **kwargs): return _idx.scatter(self, dim, index, src, **kwargs)
    def scatter_add(self, dim, index, src): return _idx.scatter_add(self, dim, index, src)
    def scatter_(self, dim, index, src=None, **kwargs): return self._inplace(_idx.scatter, dim, index, src, **kwargs)
    def scatter_add_(self, dim, index, src): return self._inplace(_idx.scatter_add, dim, index, src)
    def index_add(self, dim, index, source, *, alpha=1): return _idx.index_add(self, dim, index, source, alpha=alpha)
    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace(_idx.index_add, dim, index, source, alpha=alpha)
    def index_put(self, indices, values, accumulate=False): return _idx.index_put(self, indices, values, accumulate)
    def index_put_(self, indices, values, accumulate=False):
        return self._inplace(_idx.index_put, indices, values, accumulate)
    def take_along_dim(self, indices, dim=None): return _idx.take_along_dim(self, indices, dim)
    def nonzero(self, *, as_tuple=False): return _idx.nonzero(self, as_tuple=as_tuple)
    def masked_select(self, mask): return _idx.masked_select(self, mask)
    def topk(self, k, dim=-1, largest=True, sorted=True): return _idx.topk(self, k, dim, largest, sorted)
    def sort(self, dim=-1, descending=False, stable=False): return _idx.sort(self, dim, descending, stable=stable)
    def argsort(self, dim=-1, descending=False, stable=False):
        return _idx.argsort(self, dim, descending, stable=stable)

    # ------------------------------------------------------- linear algebra
    def matmul(self, other): return _la.matmul(self, other)
    def mm(self, mat2): return _la.mm(self, mat2)
    def bmm(self, mat2): return _la.bmm(self, mat2)
    def mv(self, vec): return _la.mv(self, vec)
    def dot(self, other): return _la.dot(self, other)
    def outer(self, vec2): return _la.outer(self, vec2)

    # --------------------------------------------------------------- random
    def uniform_(self, a=0.0, b=1.0, *, generator=None): return _rand.uniform_(self, a, b, generator=generator)
    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _rand.normal_(self, mean, std, generator=generator)
    def bernoulli_(self, p=0.5, *, generator=None): return _rand.bernoulli_(self, p, generator=generator)
    def random_(self, *args, generator=None, **kwargs):
        return _rand.random_(self, *args, generator=generator, **kwargs)
    def bernoulli(self, p=None, *, generator=None): return _rand.bernoulli(self, p, generator=generator)
    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _rand.multinomial(self, num_samples, replacement, generator=generator)
    def exponential_(self, lambd=1.0, *, generator=None): return _rand.exponential_(self, lambd, generator=generator)


def _shape_arg(shape: tuple) -> tuple:
    """Accepts ``f(2, 3)`` and ``f((2, 3))`` alike, as torch's shape methods do."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        return tuple(shape[0])
    return shape


def _wrap_dim(dim: int, ndim: int) -> int:
    """Maps a possibly negative ``dim`` into range, raising torch's IndexError when out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _linalg():
    # glasstorch.linalg imports this module, so it is looked up when first used
    from . import linalg
    return linalg


def _rebuild(cls, data, requires_grad):
    return cls._make_as(data, requires_grad)


# ------------------------------------------------------------------ repr
# torch.set_printoptions: the "default" profile.
_PRINT = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_PROFILES = {"default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
             "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
             "full": {"precision": 4, "threshold": float("inf"), "edgeitems": 3, "linewidth": 80}}


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Sets how tensors print, as ``torch.set_printoptions``: digits after the point (``precision``),
    the element count above which a tensor is summarized (``threshold``) with ``edgeitems`` values
    at each end, the line width, a ``profile`` (``"default"``, ``"short"``, ``"full"``) and
    ``sci_mode`` (True: always scientific; False: never; None: as torch decides)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile should be one of {sorted(_PROFILES)}, got {profile!r}")
        _PRINT.update(_PROFILES[profile])
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            _PRINT[key] = value
    _PRINT["sci_mode"] = sci_mode


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values a summarized print shows: ``edgeitems`` at each end of every long dimension."""
    e = _PRINT["edgeitems"]
    for axis, n in enumerate(a.shape):
        if n > 2 * e:
            a = np.concatenate([a.take(range(e), axis), a.take(range(n - e, n), axis)], axis)
    return a


def _format_array(a: np.ndarray) -> str:
    """Formats values as torch prints them: a shared width, ``precision`` decimals (4 by default),
    or scientific notation."""
    p = _PRINT["precision"]
    shown = _summarized(a) if a.size > _PRINT["threshold"] else a   # torch formats what it prints
    if a.dtype.kind == "f":
        finite = shown[np.isfinite(shown)]
        sci_mode = _PRINT["sci_mode"]
        sci_fmt = lambda v: _special(v) or f"{v:.{p}e}"  # noqa: E731
        if finite.size == 0 or np.all(finite == np.round(finite)):
            # Whole numbers print as "3.", unless large (or sci_mode says otherwise).
            big = finite.size and float(np.abs(finite).max()) >= 1e8
            fmt = sci_fmt if (sci_mode if sci_mode is not None else big) else _int_float
        else:
            mags = np.abs(finite[finite != 0])
            sci = mags.size and (float(mags.max()) / float(mags.min()) > 1000 or float(mags.max()) >= 1e8
                                or float(mags.min()) < 1e-4)
            if sci_mode is not None:
                sci = sci_mode
            fmt = sci_fmt if sci else (lambda v: _special(v) or f"{v:.{p}f}")
    elif a.dtype.kind == "b":
        fmt = lambda v: "True" if v else "False"  # noqa: E731
    else:
        fmt = str
    width = max(len(fmt(v)) for v in shown.reshape(-1))
    cell = lambda v: fmt(v).rjust(width)  # noqa: E731
    if a.ndim == 0:
        return cell(a.item())
    return _nested_str(a, len("tensor("), a.size > _PRINT["threshold"], cell, width)


def _nested_str(a: np.ndarray, indent: int, summarize: bool, cell, width: int) -> str:
    """torch's layout: rows of ``(linewidth - indent) // (width + 2)`` values, one more space of
    indent per level, a blank line between blocks of 3-D and up, and ``...`` for what a summary
    leaves out."""
    e = _PRINT["edgeitems"]
    long = summarize and a.shape[0] > 2 * e
    if a.ndim == 1:
        if long:
            data = [cell(v) for v in a[:e]] + [" ..."] + [cell(v) for v in a[-e:]]
        else:
            data = [cell(v) for v in a]
        per_line = max(1, (_PRINT["linewidth"] - indent) // (width + 2))
        lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(e)) + [None] + list(range(a.shape[0] - e, a.shape[0])) if long else range(a.shape[0])
    parts = ["..." if i is None else _nested_str(a[i], indent + 1, summarize, cell, width) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _special(v) -> str:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return ""


def _int_float(v) -> str:
    return _special(v) or f"{int(v)}."


def _repr(t: Tensor) -> str:
    a = t._data
    body = _format_array(a) if a.size else "[]"
    extras = []
    if a.size == 0 and a.shape != (0,):
        extras.append(f"size={tuple(a.shape)}")
    if a.dtype not in (np.dtype(np.int64), np.dtype(np.bool_)) and t.dtype is not _dtype.get_default_dtype():
        extras.append(f"dtype={t.dtype!r}")
    if t._grad_fn is not None:
        extras.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


# Imported last: the op modules import Tensor from this file.
from .autograd import engine as _engine, function as _function  # noqa: E402

# The autograd core and the dtype rules are imported before this class exists; hand it to them
# once, instead of importing it inside their hot functions on every call.
_function.Tensor = _engine.Tensor = _dtype.Tensor = Tensor

from .ops import elementwise as _ew, reduction as _red, shape as _shp  # noqa: E402
from .ops import indexing as _idx, linalg as _la  # noqa: E402
from . import random as _rand  # noqa: E402
