"""``torch.cuda`` as PyTorch built without CUDA has it: glasstorch computes on the CPU only.

So that programs written for a GPU run unchanged: ``is_available()`` is False and
``device_count()`` 0 (the usual ``"cuda" if torch.cuda.is_available() else "cpu"`` picks the
CPU), seeding, synchronizing and cache calls do nothing, memory counters are 0, and what
needs a real device (``current_device``, ``get_device_name``, ``set_device``,
``get_device_properties``) raises torch's ``AssertionError``.
"""
from __future__ import annotations

from . import amp  # noqa: F401

__all__ = ["is_available", "device_count", "is_initialized", "init", "current_device", "set_device",
           "get_device_name", "get_device_capability", "get_device_properties", "synchronize",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "empty_cache", "memory_allocated",
           "max_memory_allocated", "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats",
           "is_bf16_supported", "amp"]


def _no_cuda(*args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled")


def is_available() -> bool:
    """False: glasstorch has no CUDA device."""
    return False


def device_count() -> int:
    """0: glasstorch has no CUDA device."""
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


# What needs a device raises, as in torch without CUDA.
init = current_device = set_device = get_device_name = get_device_capability = get_device_properties = _no_cuda


def _nothing(*args, **kwargs) -> None:
    return None


# Seeding, waiting and freeing have nothing to act on. (torch without CUDA raises in
# synchronize(); glasstorch lets a program that calls it unguarded run.)
manual_seed = manual_seed_all = seed = seed_all = synchronize = empty_cache = reset_peak_memory_stats = _nothing


def _zero(device=None) -> int:
    return 0


memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _zero
