"""``torch.accelerator``: the current accelerator, of which glasstorch has none."""

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """None: glasstorch runs on the CPU, which torch does not count as an accelerator."""
    return None


def device_count() -> int:
    return 0
