"""``torch.amp``: ``autocast`` and ``GradScaler``, on glasstorch's one device, the CPU."""
from .autocast_mode import autocast, is_autocast_available  # noqa: F401
from .grad_scaler import GradScaler  # noqa: F401

__all__ = ["autocast", "GradScaler", "is_autocast_available"]
