"""``torch.autocast``: regions where torch runs matrix products in a lower precision.

glasstorch has no lower-precision kernels, so an autocast region runs in the tensors' own
dtypes, and says so once with a warning. What torch does with the arguments is kept: the
device type is checked, a device glasstorch lacks disables the region with torch's warning,
an unsupported CPU dtype does the same, and ``is_autocast_enabled`` reports the state. It
works as a context manager and as a decorator.
"""
from __future__ import annotations

import functools
import warnings

from .._tensor import _DEVICE_TYPES

__all__ = ["autocast", "is_autocast_enabled", "is_autocast_available"]

_enabled: dict[str, bool] = {}     # device type -> whether an enabled region is open
_warned = False


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can be enabled for ``device_type``: only ``"cpu"`` in glasstorch."""
    return device_type == "cpu"


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an enabled autocast region for ``device_type`` is open (no argument: CUDA's, as torch)."""
    return _enabled.get("cuda" if device_type is None else device_type, False)


class autocast:
    """``autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``.

    Example::

        >>> with glasstorch.autocast("cpu"):
        ...     y = model(x)          # runs in float32 in glasstorch
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device "
                               f"string: {device_type}")
        self.device = device_type
        self.fast_dtype = dtype
        self._cache_enabled = cache_enabled
        if enabled and device_type != "cpu":
            name = "CUDA" if device_type == "cuda" else device_type.upper()
            warnings.warn(f"{name} is not available or torch_xla is imported. Disabling autocast.", UserWarning,
                          stacklevel=2)
            enabled = False
        if enabled and dtype is not None and getattr(dtype, "name", str(dtype)) not in ("bfloat16", "float16"):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                          UserWarning, stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._prev = None

    def __enter__(self) -> "autocast":
        global _warned
        self._prev = _enabled.get(self.device, False)
        _enabled[self.device] = self._enabled
        if self._enabled and not _warned:
            _warned = True
            warnings.warn("glasstorch has no lower-precision kernels: autocast regions run in the tensors' own "
                          "dtypes (float32 where torch would use bfloat16 or float16)", UserWarning, stacklevel=2)
        return self

    def __exit__(self, *exc) -> None:
        _enabled[self.device] = self._prev

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, dtype=self.fast_dtype, enabled=self._enabled,
                          cache_enabled=self._cache_enabled):
                return func(*args, **kwargs)
        return wrapper
