"""``torch.mps``: Apple's Metal devices, which glasstorch does not have."""
from .cuda import _nothing, _zero

__all__ = ["is_available", "device_count", "synchronize", "manual_seed", "seed", "empty_cache",
           "current_allocated_memory", "driver_allocated_memory"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


synchronize = manual_seed = seed = empty_cache = _nothing
current_allocated_memory = driver_allocated_memory = _zero
