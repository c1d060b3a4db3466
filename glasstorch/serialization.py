"""glasstorch.save and glasstorch.load, in PyTorch's own checkpoint format.

A checkpoint is the zip archive that ``torch.save`` has written since PyTorch 1.6::

    archive/data.pkl       the pickled object. A tensor is pickled as the call
                           torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)
                           whose ``storage`` is a persistent id
                           ('storage', torch.FloatStorage, '<key>', 'cpu', numel)
    archive/byteorder      'little'
    archive/data/<key>     the raw little-endian bytes of storage <key>, uncompressed, 64-byte aligned
    archive/version        '3'

Neither direction imports torch. Writing: a pickler subclass writes torch's names
(``GLOBAL torch._utils _rebuild_tensor_v2``) for glasstorch tensors, dtypes and
sizes, and gives each tensor's memory a persistent id. Reading: an unpickler maps
those names back to glasstorch's own rebuild functions. So ``torch.load`` reads
glasstorch checkpoints and ``glasstorch.load`` reads PyTorch's.

Tensors that are views of one NumPy buffer (a tensor and its slice, a parameter
and its ``state_dict`` entry) share one storage in the file and share memory again
after loading, as in torch. Like torch, a view saves its whole base buffer:
``clone()`` it first to save only the view.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import mmap as _mmap
import os
import pickle
import struct
import sys
import warnings
import zipfile
import zlib
from collections import Counter, OrderedDict
from typing import IO, Any, BinaryIO, Callable, Union

import numpy as np

from . import _dtype
from ._io import replacing
from ._tensor import Size, Tensor, _require_cpu, device
from .nn.parameter import Parameter

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

FileLike = Union[str, os.PathLike, BinaryIO, IO[bytes]]

DEFAULT_PROTOCOL = 2
_ARCHIVE = "archive"  # the folder inside the zip; torch's reader accepts any name
_ALIGNMENT = 64  # torch aligns storage bytes so that a memory-mapped load gets aligned arrays
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp: saving the same object twice gives the same bytes

# torch's legacy storage classes, which name a storage's element type in the persistent id.
_STORAGE_DTYPES = {
    "BoolStorage": np.dtype(np.bool_), "ByteStorage": np.dtype(np.uint8), "CharStorage": np.dtype(np.int8),
    "ShortStorage": np.dtype(np.int16), "IntStorage": np.dtype(np.int32), "LongStorage": np.dtype(np.int64),
    "HalfStorage": np.dtype(np.float16), "FloatStorage": np.dtype(np.float32),
    "DoubleStorage": np.dtype(np.float64),
    # Raw bytes (torch.save of an untyped storage, and _rebuild_tensor_v3 checkpoints).
    "UntypedStorage": np.dtype(np.uint8),
}
# Storage types torch has and glasstorch has no dtype for: recognised, so that the error says so.
_UNSUPPORTED_STORAGES = ("BFloat16Storage", "ComplexFloatStorage", "ComplexDoubleStorage", "QUInt8Storage",
                         "QInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage")


# =============================================================================================== saving
class _TorchGlobal:
    """A torch function or class, named without importing torch.

    The pickler writes it as ``GLOBAL module name``; pickle's own ``save_global``
    cannot, because it imports the module to check the name.
    """

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module = module
        self.name = name

    def __call__(self, *args, **kwargs):  # pickle requires a reduce function to be callable
        raise RuntimeError(f"{self.module}.{self.name} is a name written into checkpoints, not a function")

    def __repr__(self) -> str:
        return f"<torch global {self.module}.{self.name}>"


_REBUILD_TENSOR_V2 = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")
_REBUILD_PARAMETER_WITH_STATE = _TorchGlobal("torch._utils", "_rebuild_parameter_with_state")
_REBUILD_FROM_TYPE_V2 = _TorchGlobal("torch._tensor", "_rebuild_from_type_v2")
_TORCH_TENSOR = _TorchGlobal("torch", "Tensor")
_TORCH_SIZE = _TorchGlobal("torch", "Size")
_TORCH_DEVICE = _TorchGlobal("torch", "device")
_STORAGE_GLOBAL = {np_dtype: _TorchGlobal("torch", name)
                   for name, np_dtype in _STORAGE_DTYPES.items() if name != "UntypedStorage"}


class _SavedStorage:
    """One storage to write: a 1-d C-contiguous array holding a whole buffer."""

    __slots__ = ("key", "flat")

    def __init__(self, key: str, flat: np.ndarray):
        self.key = key
        self.flat = flat


def _contiguous_strides(shape: tuple) -> tuple:
    # torch's rule: a size-0 dimension counts as 1 in the strides of the dimensions before it.
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _memory_root(arr: np.ndarray) -> np.ndarray:
    """The array that owns ``arr``'s memory (NumPy keeps ``base`` pointing at it)."""
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    return root


# The pure-Python pickler, because only it lets a subclass write a GLOBAL opcode for a name it
# cannot import (the C pickler's dispatch is closed). Only the small object graph goes through it:
# tensor bytes are written straight into the zip.
class _CheckpointPickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file: IO[bytes], protocol: int):
        super().__init__(file, protocol)
        self.storages: list[_SavedStorage] = []
        # id(root buffer) -> (root, storage); the root is held so that its id cannot be reused.
        self._by_root: dict[int, tuple[np.ndarray, _SavedStorage]] = {}

    # --------------------------------------------------------------- torch names
    def _save_torch_global(self, obj: Any, module: str, name: str) -> None:
        if self.proto >= 4:
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + module.encode("ascii") + b"\n" + name.encode("ascii") + b"\n")
        self.memoize(obj)

    def _save_stand_in(self, obj: _TorchGlobal) -> None:
        self._save_torch_global(obj, obj.module, obj.name)

    def _save_dtype(self, obj: _dtype.dtype) -> None:
        self._save_torch_global(obj, "torch", obj.name)  # glasstorch.float32 <-> torch.float32

    dispatch[_TorchGlobal] = _save_stand_in
    dispatch[_dtype.dtype] = _save_dtype

    # ------------------------------------------------------------------- storages
    def persistent_id(self, obj: Any):
        if type(obj) is _SavedStorage:
            return ("storage", _STORAGE_GLOBAL[obj.flat.dtype], obj.key, "cpu", obj.flat.size)
        return None

    def _new_storage(self, flat: np.ndarray) -> _SavedStorage:
        s = _SavedStorage(str(len(self.storages)), flat)
        self.storages.append(s)
        return s

    def _storage_of(self, arr: np.ndarray) -> tuple[_SavedStorage, int, tuple]:
        """Returns ``(storage, offset, stride)`` in elements for an array about to be saved.

        An array inside a contiguous buffer, at non-negative element strides (what torch can
        express), is saved as that buffer plus offset and strides, so that views stay views.
        Anything else (negative strides, a reinterpreted dtype, empty) is saved as a copy.
        """
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        if arr.dtype not in _STORAGE_GLOBAL:
            raise TypeError(f"glasstorch.save cannot save arrays of dtype {arr.dtype}")
        root = _memory_root(arr)
        item = arr.itemsize
        if arr.size and root.dtype == arr.dtype and (root.flags.c_contiguous or root.flags.f_contiguous):
            start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            strides = arr.strides
            if start >= 0 and start % item == 0 and all(s >= 0 and s % item == 0 for s in strides):
                end = start + item + sum((n - 1) * s for n, s in zip(arr.shape, strides))
                if end <= root.nbytes:
                    entry = self._by_root.get(id(root))
                    if entry is None:
                        # The buffer in memory order, as a view: its index is the byte offset / itemsize.
                        flat = root.reshape(-1, order="C" if root.flags.c_contiguous else "F")
                        entry = self._by_root[id(root)] = (root, self._new_storage(flat))
                    return entry[1], start // item, tuple(s // item for s in strides)
        flat = np.ascontiguousarray(arr).reshape(-1)
        return self._new_storage(flat), 0, _contiguous_strides(arr.shape)

    # -------------------------------------------------------------------- objects
    def reducer_override(self, obj: Any):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is Size:
            return (_TORCH_SIZE, (tuple(obj),))
        if type(obj) is device:
            return (_TORCH_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        cls = type(t)
        state = t.__dict__
        if cls is Parameter:
            # torch pickles a parameter as _rebuild_parameter(<its data as a plain tensor>, ...).
            data = Tensor._make(t._data)
            if state:
                return (_REBUILD_PARAMETER_WITH_STATE, (data, t.requires_grad, OrderedDict(), dict(state)))
            return (_REBUILD_PARAMETER, (data, t.requires_grad, OrderedDict()))
        storage, offset, stride = self._storage_of(t._data)
        args = (storage, offset, Size(t._data.shape), stride, t.requires_grad, OrderedDict())
        if cls is Tensor and not state:
            return (_REBUILD_TENSOR_V2, args)
        # Attributes or a subclass: torch's _rebuild_from_type_v2 rebuilds, then re-types and sets state.
        # A glasstorch subclass is pickled by its own name, which weights_only loaders refuse (as torch does).
        return (_REBUILD_FROM_TYPE_V2, (_REBUILD_TENSOR_V2, _TORCH_TENSOR if cls is Tensor else cls, args,
                                        dict(state)))


def _little_endian_bytes(flat: np.ndarray) -> memoryview:
    le = flat.dtype.newbyteorder("<")
    if flat.dtype != le:
        flat = flat.astype(le)
    return memoryview(flat).cast("B")


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_aligned(zf: zipfile.ZipFile, name: str, data: memoryview) -> None:
    """Writes one stored record whose bytes start at a multiple of _ALIGNMENT in the file.

    The local file header is 30 bytes, then the name, then the "extra" field; a padding
    extra field (id 'FB', as torch writes) moves the data to the next boundary.
    """
    info = _zip_info(name)
    info.file_size = data.nbytes
    # zipfile adds a 20-byte zip64 extra to the local header under this same condition.
    zip64 = data.nbytes * 1.05 > zipfile.ZIP64_LIMIT
    header_end = zf.fp.tell() + 30 + len(name.encode("utf-8")) + 4 + (20 if zip64 else 0)
    pad = -header_end % _ALIGNMENT
    info.extra = struct.pack("<2sH", b"FB", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as out:
        out.write(data)


def _write_checkpoint(obj: Any, f: IO[bytes], protocol: int) -> None:
    # Pickle first: an unpicklable object then fails before anything is written to ``f``.
    buf = io.BytesIO()
    pickler = _CheckpointPickler(buf, protocol)
    pickler.dump(obj)
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(_zip_info(f"{_ARCHIVE}/data.pkl"), buf.getvalue())
        # No ".format_version" record: with it, torch may compute storage offsets assuming its own
        # zip writer's layout (data descriptors after every record), which Python's zipfile does not use.
        zf.writestr(_zip_info(f"{_ARCHIVE}/byteorder"), "little")
        for s in pickler.storages:
            _write_aligned(zf, f"{_ARCHIVE}/data/{s.key}", _little_endian_bytes(s.flat))
        zf.writestr(_zip_info(f"{_ARCHIVE}/version"), "3\n")


def _save_to_path(obj: Any, path: str, protocol: int) -> None:
    if os.path.islink(path):
        path = os.path.realpath(path)  # replace the file the link points to, not the link
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    with replacing(path) as fh:
        _write_checkpoint(obj, fh, protocol)


def save(obj: object, f: FileLike, pickle_module: Any = pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Saves an object (tensors, state_dicts, nested containers) to a file, in PyTorch's format.

    ``torch.load`` reads the file, and :func:`glasstorch.load` reads files from ``torch.save``.
    Saving to a path is atomic: the checkpoint is written to a temporary file in the same
    directory and renamed over ``f`` only once complete, so an error leaves any old file intact.

    Args:
        obj: the object to save. Tensors are saved with their dtype, shape and ``requires_grad``;
            ``nn.Parameter`` stays a Parameter; tensors sharing memory keep sharing it.
        f: a path (``str`` or ``os.PathLike``) or a binary file-like object with ``write``.
        pickle_module: only the standard ``pickle`` module is supported.
        pickle_protocol: the pickle protocol of the object graph (torch's default: 2).
        _use_new_zipfile_serialization, _disable_byteorder_record: accepted for torch compatibility;
            glasstorch always writes the zip format with its byteorder record.

    Example::

        >>> glasstorch.save(model.state_dict(), "model.pt")
        >>> model.load_state_dict(glasstorch.load("model.pt"))
    """
    if pickle_module is not pickle:
        raise ValueError("glasstorch.save supports only the standard pickle module")
    if not _use_new_zipfile_serialization:
        raise ValueError("glasstorch.save writes only the zip-based format (_use_new_zipfile_serialization=True)")
    if not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"pickle_protocol must be between 2 and {pickle.HIGHEST_PROTOCOL}, got {pickle_protocol}")
    if isinstance(f, (str, os.PathLike)):
        _save_to_path(obj, os.fsdecode(f), pickle_protocol)
    else:
        _write_checkpoint(obj, f, pickle_protocol)


# ============================================================================================== loading
class _StorageType:
    """What a torch storage class name (``torch.FloatStorage``) means when loading: its element type."""

    __slots__ = ("name", "np_dtype")

    def __init__(self, name: str, np_dtype: np.dtype | None):
        self.name = name
        self.np_dtype = np_dtype

    def __repr__(self) -> str:
        return f"<storage type torch.{self.name}>"


class _LoadedStorage:
    """A storage read from a checkpoint: a flat array of its element type."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array


def _as_int_tuple(value: Any, what: str) -> tuple:
    try:
        return tuple(int(v) for v in value) if not isinstance(value, (int, np.integer)) else (int(value),)
    except (TypeError, ValueError):
        raise TypeError(f"corrupt checkpoint: tensor {what} must be a tuple of ints, got {value!r}") from None


def _tensor_from_storage(storage: Any, storage_offset: Any, size: Any, stride: Any, np_dtype=None) -> Tensor:
    """A tensor on the memory of a loaded storage, after checking that it lies inside it."""
    if not isinstance(storage, _LoadedStorage):
        raise TypeError(f"corrupt checkpoint: expected a storage, got {type(storage).__name__}")
    flat = storage.array
    if np_dtype is not None and np_dtype != flat.dtype:
        if flat.nbytes % np_dtype.itemsize:
            raise RuntimeError(f"corrupt checkpoint: a storage of {flat.nbytes} bytes cannot hold {np_dtype}")
        flat = flat.view(np_dtype)
    size = _as_int_tuple(size, "size")
    stride = _as_int_tuple(stride, "stride")
    offset = int(storage_offset)
    if len(size) != len(stride) or any(n < 0 for n in size) or any(s < 0 for s in stride) or offset < 0:
        raise RuntimeError(f"corrupt checkpoint: invalid tensor geometry size={size} stride={stride} "
                           f"offset={offset}")
    numel = 1
    for n in size:
        numel *= n
    if numel == 0:
        return Tensor._make(np.empty(size, dtype=flat.dtype))
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        raise RuntimeError(f"corrupt checkpoint: a tensor of size {size}, stride {stride} and offset {offset} "
                           f"does not fit in its storage of {flat.size} elements")
    if stride == _contiguous_strides(size):
        arr = flat[offset:offset + numel].reshape(size)
    else:
        arr = np.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * flat.itemsize for s in stride))
    return Tensor._make(arr)


def _set_requires_grad(t: Tensor, requires_grad: Any) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


# The rebuild functions: glasstorch's versions of the torch._utils names a checkpoint calls.
def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor_from_storage(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    # backward_hooks are never saved with data (torch warns and drops them); metadata holds
    # flags (conjugate / negative bits) that only complex tensors use.
    return _set_requires_grad(_tensor_from_storage(storage, storage_offset, size, stride), requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None):
    if not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"corrupt checkpoint: expected a dtype, got {dtype!r}")
    t = _tensor_from_storage(storage, storage_offset, size, stride, np_dtype=dtype.np)
    return _set_requires_grad(t, requires_grad)


def _set_state(obj: Tensor, state: Any) -> None:
    # Only the instance __dict__: a Tensor's slots (_data, grad, ...) are not reachable from a file.
    if isinstance(state, tuple) and len(state) == 2:
        state = state[0]
    if state:
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise TypeError("corrupt checkpoint: tensor state must be a dict with str keys")
        obj.__dict__.update(state)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    if not isinstance(data, Tensor):
        raise TypeError(f"corrupt checkpoint: a Parameter needs a tensor, got {type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    _set_state(p, state)
    return p


_REBUILD_FUNCTIONS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
                      _rebuild_parameter_with_state)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILD_FUNCTIONS:
        raise TypeError(f"corrupt checkpoint: {func!r} is not a tensor rebuild function")
    t = func(*args)
    if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
        raise TypeError(f"corrupt checkpoint: {new_type!r} is not a tensor type")
    if type(t) is not new_type:
        if new_type is Parameter:
            t = Parameter(t, t.requires_grad)
        else:
            t = new_type._make_as(t._data, t.requires_grad)
    _set_state(t, state)
    return t


def _load_device(type: str, index: int | None = None):
    # A saved torch.device (e.g. in a training config). glasstorch computes on the CPU only: other
    # devices come back as their name, so that loading the rest of the checkpoint still works.
    if type == "cpu":
        return device("cpu", index)
    return str(type) if index is None else f"{type}:{index}"


def _encode(obj: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    # Protocol-2 pickles write bytes as _codecs.encode(str, 'latin1'); allow only that, not every codec.
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode is allowed only for latin1 text, got {encoding!r}")
    return obj.encode("latin1", errors)


def _allowed_globals() -> dict:
    allowed = {
        ("collections", "OrderedDict"): OrderedDict,
        ("collections", "Counter"): Counter,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("torch", "Tensor"): Tensor,
        ("torch.nn.parameter", "Parameter"): Parameter,
        ("torch", "Size"): Size,
        ("torch", "device"): _load_device,
        ("_codecs", "encode"): _encode,
    }
    # Protocol-2 pickles spell builtins "__builtin__" (Python 2's name).
    for module in ("builtins", "__builtin__"):
        for cls in (set, frozenset, complex, bytearray, slice):
            allowed[(module, cls.__name__)] = cls
    for d in _dtype._ALL:
        allowed[("torch", d.name)] = d
    for name, np_dtype in _STORAGE_DTYPES.items():
        allowed[("torch", name)] = _StorageType(name, np_dtype)
    for name in _UNSUPPORTED_STORAGES:
        allowed[("torch", name)] = _StorageType(name, None)
    return allowed


_ALLOWED_GLOBALS = _allowed_globals()

# Globals the user allows for weights_only loading (torch.serialization.add_safe_globals): what a
# file may name besides the built-in allow-list, e.g. numpy's array reconstruction.
_user_safe: dict = {}


def _safe_key(entry) -> tuple:
    if isinstance(entry, tuple):                 # (object, "module.name"), as torch accepts
        obj, full = entry
        module, _, name = full.rpartition(".")
        return (module, name), obj
    return (entry.__module__, entry.__qualname__), entry


def add_safe_globals(safe_globals: list) -> None:
    """Allows these functions and classes (or ``(obj, "module.name")`` pairs) in ``weights_only`` loads.
    Instances of an allowed class may be rebuilt with their ``__setstate__``: allow only what you trust."""
    for entry in safe_globals:
        key, obj = _safe_key(entry)
        _user_safe[key] = obj


def get_safe_globals() -> list:
    return list(_user_safe.values())


def clear_safe_globals() -> None:
    _user_safe.clear()


class safe_globals:
    """``with safe_globals([...]):`` allows the globals for the block only."""

    def __init__(self, safe_globals: list) -> None:
        self.entries = list(safe_globals)
        self._saved: dict = {}

    def __enter__(self) -> None:
        self._saved = dict(_user_safe)
        add_safe_globals(self.entries)

    def __exit__(self, *exc) -> None:
        _user_safe.clear()
        _user_safe.update(self._saved)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "0").lower() in ("1", "y", "yes", "true")


def _resolve_weights_only(weights_only: bool | None) -> bool:
    """torch's rule: TORCH_FORCE_WEIGHTS_ONLY_LOAD wins; else an explicit argument; else True unless
    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD is set."""
    if _env_flag("TORCH_FORCE_WEIGHTS_ONLY_LOAD"):
        return True
    if weights_only is not None:
        return bool(weights_only)
    if _env_flag("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"):
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the `weights_only` "
                      "argument was not explicitly passed to `torch.load`, forcing weights_only=False.",
                      UserWarning, stacklevel=3)
        return False
    return True


class _StorageReader:
    """Reads the storages a checkpoint's pickle asks for, each once, from the zip or a memory map."""

    def __init__(self, zf: zipfile.ZipFile, fh: IO[bytes], prefix: str, byteorder: str,
                 mapped: _mmap.mmap | None):
        self.zf = zf
        self.fh = fh
        self.prefix = prefix
        self.swap = byteorder != sys.byteorder
        self.mapped = mapped
        self.loaded: dict[str, _LoadedStorage] = {}

    def persistent_load(self, pid: Any) -> _LoadedStorage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] in ("storage", b"storage")):
            raise pickle.UnpicklingError(f"corrupt checkpoint: unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid
        # Every storage is loaded on the CPU, whatever device it was saved from.
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"corrupt checkpoint: {storage_type!r} is not a storage type")
        if storage_type.np_dtype is None:
            raise RuntimeError(f"glasstorch cannot load torch.{storage_type.name}: it has no matching dtype")
        key = key.decode("ascii") if isinstance(key, bytes) else key
        if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError(f"corrupt checkpoint: bad storage key {key!r} or size {numel!r}")
        np_dtype = storage_type.np_dtype
        storage = self.loaded.get(key)
        if storage is None:
            storage = self.loaded[key] = _LoadedStorage(self._read(key, np_dtype, numel))
        elif storage.array.dtype != np_dtype:
            # Two views of one storage as different types (torch refuses to write these).
            return _LoadedStorage(storage.array.view(np.uint8).view(np_dtype))
        return storage

    def _read(self, key: str, np_dtype: np.dtype, numel: int) -> np.ndarray:
        name = f"{self.prefix}data/{key}"
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise RuntimeError(f"corrupt checkpoint: the record {name} is missing") from None
        nbytes = numel * np_dtype.itemsize
        if info.file_size < nbytes:
            raise RuntimeError(f"corrupt checkpoint: {name} holds {info.file_size} bytes, "
                               f"{numel} elements of {np_dtype} need {nbytes}")
        if numel == 0:
            return np.empty(0, dtype=np_dtype)
        if self.mapped is not None:
            if info.compress_type != zipfile.ZIP_STORED:
                raise RuntimeError(f"mmap=True needs uncompressed records; {name} is compressed")
            arr = np.frombuffer(self.mapped, dtype=np_dtype, count=numel, offset=self._data_offset(info))
        else:
            arr = np.empty(numel, dtype=np_dtype)
            view = memoryview(arr).cast("B")
            if info.compress_type == zipfile.ZIP_STORED:
                # Straight from the file into the array: one copy, where zipfile's reader makes two.
                self.fh.seek(self._data_offset(info))
                self._read_into(self.fh, view, name)
                if zlib.crc32(view) != info.CRC:
                    raise RuntimeError(f"corrupt checkpoint: CRC-32 mismatch in {name}")
            else:
                with self.zf.open(info) as src:  # a compressed archive (e.g. re-zipped by a tool)
                    self._read_into(src, view, name)
        if self.swap and np_dtype.itemsize > 1:
            arr.byteswap(inplace=True)  # a memory map is copy-on-write, so this never touches the file
        return arr

    @staticmethod
    def _read_into(src: IO[bytes], view: memoryview, name: str) -> None:
        done = 0
        while done < view.nbytes:
            n = src.readinto(view[done:])
            if not n:
                raise RuntimeError(f"corrupt checkpoint: {name} ended early")
            done += n

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        """Where a stored record's bytes start: after its local header, name and extra field."""
        if self.mapped is not None:
            header = self.mapped[info.header_offset:info.header_offset + 30]
        else:
            self.fh.seek(info.header_offset)
            header = self.fh.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise RuntimeError(f"corrupt checkpoint: bad local header for {info.filename}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + name_len + extra_len


# weights_only=True: the pure-Python unpickler, because its opcode handlers can be replaced.
# find_class admits only the allow-list above, and the opcodes that mutate an object (BUILD,
# SETITEM(S), APPEND(S)) are limited to dicts and lists, so a file can neither reach any other
# callable nor patch attributes onto the allowed ones.
class _WeightsUnpickler(pickle._Unpickler):
    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, file: IO[bytes], persistent_load: Callable[[Any], Any] | None = None):
        super().__init__(file, encoding="utf-8")
        self._persistent_load = persistent_load

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except (KeyError, TypeError):
            pass
        if (module, name) in _user_safe:
            return _user_safe[(module, name)]
        raise pickle.UnpicklingError(
            f"Weights only load failed: unsupported global GLOBAL {module}.{name} is not in glasstorch's "
            "allow-list of tensor, storage and container types. Load with weights_only=False only if you "
            f"trust the file (that can execute arbitrary code), or allow it with "
            f"glasstorch.serialization.add_safe_globals([{name}]) or the safe_globals context manager.")

    def persistent_load(self, pid: Any) -> Any:
        if self._persistent_load is None:
            raise pickle.UnpicklingError("a persistent id was found outside a checkpoint archive")
        return self._persistent_load(pid)

    def _target(self, kinds: tuple, opcode: str) -> Any:
        target = self.stack[-1]
        if not isinstance(target, kinds) or isinstance(target, type):
            raise pickle.UnpicklingError(f"Weights only load failed: {opcode} on a {type(target).__name__}")
        return target

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if not isinstance(inst, type) and type(inst) in _user_safe.values():
            # an instance of a class the user allowed: rebuilt as pickle would
            setstate = getattr(inst, "__setstate__", None)
            if setstate is not None:
                setstate(state)
            else:
                inst.__dict__.update(state)
            return
        inst = self._target((OrderedDict, Counter), "BUILD")
        # The only BUILD a checkpoint needs: a state_dict's ``_metadata`` attribute.
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise pickle.UnpicklingError("Weights only load failed: BUILD state must be a dict with str keys")
        inst.__dict__.update(state)

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._target((dict,), "SETITEM")[key] = value

    def load_setitems(self):
        items = self.pop_mark()
        target = self._target((dict,), "SETITEMS")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def load_append(self):
        value = self.stack.pop()
        self._target((list,), "APPEND").append(value)

    def load_appends(self):
        items = self.pop_mark()
        self._target((list,), "APPENDS").extend(items)

    def load_additems(self):
        items = self.pop_mark()
        self._target((set,), "ADDITEMS").update(items)

    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.SETITEM[0]] = load_setitem
    dispatch[pickle.SETITEMS[0]] = load_setitems
    dispatch[pickle.APPEND[0]] = load_append
    dispatch[pickle.APPENDS[0]] = load_appends
    dispatch[pickle.ADDITEMS[0]] = load_additems


# weights_only=False: the ordinary (C) unpickler, with torch's names mapped to glasstorch's.
class _FullUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], persistent_load: Callable[[Any], Any]):
        super().__init__(file, encoding="utf-8")
        self._persistent_load = persistent_load

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[(module, name)]
        if module == "torch" or module.startswith("torch."):
            # A torch class pickled whole (torch.nn.modules.linear.Linear): try glasstorch's twin.
            try:
                obj = importlib.import_module("glasstorch" + module[len("torch"):])
                for part in name.split("."):
                    obj = getattr(obj, part)
                return obj
            except (ImportError, AttributeError):
                raise pickle.UnpicklingError(f"glasstorch has no equivalent of {module}.{name}") from None
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        return self._persistent_load(pid)


def _check_map_location(map_location: Any) -> None:
    # Storages always load on the CPU, the only device glasstorch has. A dict or a callable (which
    # in torch moves storages between devices) is accepted and has nothing to do.
    if map_location is None or isinstance(map_location, dict) or callable(map_location):
        return
    if isinstance(map_location, (str, device)) or hasattr(map_location, "type"):   # or a torch.device
        d = device(str(map_location))
        if d.type == "cuda":
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                               "is False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        _require_cpu(d)
    else:
        raise TypeError(f"map_location should be a str, a device, a dict or a callable, got "
                        f"{type(map_location).__name__}")


def _find_prefix(zf: zipfile.ZipFile, what: str) -> str:
    names = zf.namelist()
    pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) == 1:
        return pickles[0][:-len("data.pkl")]
    if any(n.endswith("constants.pkl") for n in names):
        raise RuntimeError(f"{what} is a TorchScript archive (torch.jit.save), which glasstorch cannot load")
    raise RuntimeError(f"{what} is a zip file but not a PyTorch checkpoint: it has no <name>/data.pkl record")


def _load_zip(zf: zipfile.ZipFile, fh: IO[bytes], what: str, weights_only: bool,
              mapped: _mmap.mmap | None) -> Any:
    prefix = _find_prefix(zf, what)
    byteorder = "little"  # torch's default for checkpoints that predate the byteorder record
    if f"{prefix}byteorder" in zf.NameToInfo:
        byteorder = zf.read(f"{prefix}byteorder").decode("ascii").strip()
        if byteorder not in ("little", "big"):
            raise RuntimeError(f"corrupt checkpoint: unknown byte order {byteorder!r}")
    reader = _StorageReader(zf, fh, prefix, byteorder, mapped)
    data = io.BytesIO(zf.read(f"{prefix}data.pkl"))
    unpickler_cls = _WeightsUnpickler if weights_only else _FullUnpickler
    return unpickler_cls(data, reader.persistent_load).load()


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *, weights_only: bool | None = None,
         mmap: bool | None = None) -> Any:
    """Loads an object saved with :func:`glasstorch.save` or ``torch.save``.

    Tensors come back as glasstorch tensors on the CPU with their dtype, shape and
    ``requires_grad``; ``nn.Parameter`` as Parameter; tensors that shared memory share it again.

    Args:
        f: a path (``str`` or ``os.PathLike``) or a binary file-like object with ``read`` and ``seek``.
        map_location: accepted for compatibility. Everything loads on the CPU: ``'cpu'``,
            a CPU device, a dict or a callable are fine; any other device raises.
        pickle_module: must be None or ``pickle`` (and None when ``weights_only``).
        weights_only: if True (the default), only tensors, primitive types, dicts, lists, tuples,
            sets and the other types a checkpoint needs can be loaded (plus what
            ``add_safe_globals`` allows), and no code from the file runs: any other global raises
            ``pickle.UnpicklingError``. If False, any pickled object is loaded, which can
            **execute arbitrary code**: use it only for files you trust. As in torch, the
            environment variable ``TORCH_FORCE_WEIGHTS_ONLY_LOAD=1`` forces True, and
            ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` makes False the default.
        mmap: if True, ``f`` must be a path; tensors are memory-mapped from the file
            (copy-on-write) instead of read into memory.

    Example::

        >>> state = glasstorch.load("model.pt")
        >>> model.load_state_dict(state)
    """
    weights_only = _resolve_weights_only(weights_only)
    if pickle_module is not None:
        if weights_only:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_module is not pickle:
            raise ValueError("glasstorch.load supports only the standard pickle module")
    _check_map_location(map_location)
    is_path = isinstance(f, (str, os.PathLike))
    if mmap and not is_path:
        raise ValueError("f must be a file path in order to use the mmap argument")
    what = repr(os.fsdecode(f)) if is_path else "the file"
    with contextlib.ExitStack() as stack:
        if is_path:
            fh = stack.enter_context(open(f, "rb"))
        else:
            fh = f
            if not (hasattr(fh, "seekable") and fh.seekable()):
                fh = io.BytesIO(fh.read())  # zipfile reads the directory at the end first
        start = fh.tell()
        if not zipfile.is_zipfile(fh):
            fh.seek(start)
            head = fh.read(2)
            if head[:1] == pickle.PROTO:
                raise RuntimeError(f"{what} is in the legacy (pre-1.6) torch.save format, which glasstorch cannot "
                                   "load: re-save it with a recent torch.save.")
            raise RuntimeError(f"{what} is not a PyTorch checkpoint (expected a zip archive)")
        fh.seek(start)
        mapped = None
        if mmap:
            mapped = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)
        zf = stack.enter_context(zipfile.ZipFile(fh))
        return _load_zip(zf, fh, what, weights_only, mapped)
