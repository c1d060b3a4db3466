"""Flattening parameters into one vector and back (for optimizers and methods that work on a flat vector)."""
from __future__ import annotations

from typing import Iterable

from ..._tensor import Tensor
from ...ops.shape import cat


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    r"""Flattens an iterable of parameters into a single vector.

    The result is a new tensor (a concatenation), differentiable with respect to the parameters.

    Example::

        >>> vec = nn.utils.parameters_to_vector(model.parameters())
    """
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    r"""Copies consecutive slices of ``vec`` into an iterable of parameters (the inverse of
    :func:`parameters_to_vector`).

    As in torch, each parameter's ``data`` becomes a view of ``vec``: they share memory afterwards.
    """
    if not isinstance(vec, Tensor):
        kind = type(vec)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"expected torch.Tensor, but got: {name}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
