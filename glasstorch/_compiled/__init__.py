"""Optional compiled kernels, for the few passes where NumPy is much slower than PyTorch.

NumPy has no fast float32 ``exp`` on every CPU, and a convolution with few output
channels spends most of its time copying im2col columns rather than multiplying. For
those passes glasstorch has kernels written as plain Python loops in ``kernels.py``,
which Numba (``pip install "glasstorch[fast]"``) compiles to vectorized machine code.

Each kernel has a NumPy twin in the op that calls it; the op uses the kernel only when

* Numba can be imported (it is loaded on first use, not at ``import glasstorch``),
* the environment variable ``GLASSTORCH_NUMBA`` is not ``0``, and
* the arrays are float32 or float64, and big enough for compiled code to matter
  (``for_array``).

Results agree with the NumPy path to float rounding; the tests run the op tables
through both.
"""
from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np

# Below this many elements a NumPy pass takes microseconds: not worth a call into compiled code.
_MIN_SIZE = 1 << 14
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

_enabled = os.environ.get("GLASSTORCH_NUMBA", "1") != "0"
_kernels = None  # the module of compiled kernels, once imported; False when Numba is missing


def get():
    """The module of compiled kernels, or None when they are off or cannot be loaded."""
    global _kernels
    if not _enabled:
        return None
    if _kernels is None:
        try:
            from . import kernels as module
        except ImportError:  # Numba is an optional extra
            module = False
        except Exception as e:  # noqa: BLE001  (Numba installed but unusable, e.g. nowhere to cache code)
            warnings.warn(f"glasstorch: compiled kernels are off, NumPy runs every op ({type(e).__name__}: {e})",
                          RuntimeWarning, stacklevel=2)
            module = False
        _kernels = module
    return _kernels or None


def enabled() -> bool:
    """Whether ops use the compiled kernels (Numba is installed and they are not switched off)."""
    return get() is not None


def for_array(x: np.ndarray):
    """The compiled kernels for work on ``x``, or None. They take float32 and float64 arrays (Numba
    has no float16 arithmetic) of at least ``min_size()`` elements."""
    if x.dtype not in _KERNEL_DTYPES or x.size < _MIN_SIZE:
        return None
    return get()


def min_size() -> int:
    """The number of elements from which an op hands its work to a compiled kernel."""
    return _MIN_SIZE


@contextlib.contextmanager
def use(flag: bool, threshold: int | None = None):
    """Within the block, switches the kernels on or off (and sets ``min_size()`` to ``threshold``);
    for tests and benchmarks."""
    global _enabled, _MIN_SIZE
    saved = _enabled, _MIN_SIZE
    _enabled = flag
    if threshold is not None:
        _MIN_SIZE = threshold
    try:
        yield
    finally:
        _enabled, _MIN_SIZE = saved
