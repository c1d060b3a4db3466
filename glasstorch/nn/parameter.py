"""nn.Parameter: a tensor that a Module registers as one of its parameters."""
from __future__ import annotations

from .._tensor import Tensor
from .._creation import empty


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning it to a Module attribute registers it.

    Args:
        data: the tensor whose memory the parameter shares. Default: an empty tensor.
        requires_grad: whether the parameter requires gradient. Default: True.

    Example::

        >>> w = nn.Parameter(glasstorch.randn(3, 2))
        >>> w.requires_grad
        True
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            data = empty(0)
        p = object.__new__(cls)
        # Shares the memory of ``data`` (as torch does), but starts a new leaf.
        p._init(data._data, False)
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            data = empty(0)
        b = object.__new__(cls)
        b._init(data._data, False)
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent: bool = True):
        pass
