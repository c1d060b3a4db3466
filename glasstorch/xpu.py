"""``torch.xpu``: Intel GPUs, which glasstorch does not have."""
from .cuda import _nothing, _zero

__all__ = ["is_available", "device_count", "synchronize", "manual_seed", "manual_seed_all", "empty_cache",
           "memory_allocated"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


synchronize = manual_seed = manual_seed_all = empty_cache = _nothing
memory_allocated = _zero
