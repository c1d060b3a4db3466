"""Process-wide switches that torch programs set: ``torch.compile``, matmul precision, determinism.

glasstorch runs every op as written, in NumPy, the same way each time, so these change
nothing; they keep the values they are given, so that code reading them back works.
"""
from __future__ import annotations

import warnings

__all__ = ["compile", "set_float32_matmul_precision", "get_float32_matmul_precision",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled"]

_matmul_precision = "highest"
_deterministic = False
_deterministic_warn_only = False


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None, options=None,
            disable: bool = False):
    """Returns ``model`` itself (a module or a function): glasstorch has no compiler, and runs it as
    Python. As a decorator, ``@torch.compile`` and ``@torch.compile(...)`` both work.

    Unlike torch's compiled wrapper, the model's ``state_dict`` keys carry no ``_orig_mod.`` prefix.
    """
    if model is None:
        return lambda fn: fn
    return model


def set_float32_matmul_precision(precision: str) -> None:
    """Accepts ``"highest"``, ``"high"`` or ``"medium"`` (glasstorch always multiplies in float32)."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded; glasstorch's ops are deterministic already (the same inputs give the same bits)."""
    global _deterministic, _deterministic_warn_only
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}")
    _deterministic, _deterministic_warn_only = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic_warn_only
