"""Handles for registered hooks, as in torch.utils.hooks.

One handle class serves tensors, graph nodes and modules; it lives beside Function.
"""
from ..autograd.function import RemovableHandle

__all__ = ["RemovableHandle"]
