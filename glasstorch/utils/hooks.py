"""Handles for registered hooks, as in torch.utils.hooks."""
from __future__ import annotations

import itertools

_ids = itertools.count()


class RemovableHandle:
    """Returned by a hook registration; ``remove()`` unregisters the hook. Also a context manager."""

    def __init__(self, hooks_dict: dict):
        self._hooks_dict = hooks_dict
        self.id = next(_ids)

    def remove(self) -> None:
        self._hooks_dict.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
