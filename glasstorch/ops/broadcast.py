"""Broadcasting and its inverse.

``sum_to`` is how the engine undoes broadcasting for every op, in one place;
``broadcast_to`` is its adjoint (and backs ``Tensor.expand``). Each is the
other's backward, so both work to any order of differentiation.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import _Primitive


def _sum_axes(from_shape: tuple, to_shape: tuple) -> tuple:
    """The axes of ``from_shape`` to sum so that it becomes ``to_shape``; ValueError if impossible."""
    lead = len(from_shape) - len(to_shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {from_shape} to {to_shape}")
    axes = list(range(lead))
    for i, s in enumerate(to_shape):
        f = from_shape[lead + i]
        if s == 1 and f != 1:
            axes.append(lead + i)
        elif s != f:
            raise ValueError(f"cannot sum shape {from_shape} to {to_shape}")
    return tuple(axes)


class SumTo(_Primitive):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        axes = _sum_axes(x._data.shape, shape)
        return x._data.sum(axis=axes).reshape(shape) if axes else x._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return BroadcastTo.apply(grad, ctx.in_shape), None


class BroadcastTo(_Primitive):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        from .._tensor import Tensor
        # A read-only NumPy view: expanded tensors share memory, as in torch.
        return Tensor._view_of(x, np.broadcast_to(x._data, shape))

    @staticmethod
    def backward(ctx, grad):
        return SumTo.apply(grad, ctx.in_shape), None


def sum_to(x, shape: tuple):
    """Sums ``x`` over broadcast dimensions so that its shape becomes ``shape``."""
    shape = tuple(shape)
    if x._data.shape == shape:
        return x
    return SumTo.apply(x, shape)


def broadcast_to(x, shape: tuple):
    """Broadcasts ``x`` to ``shape`` without copying (torch.broadcast_to)."""
    shape = tuple(shape)
    if x._data.shape == shape:
        return x
    return BroadcastTo.apply(x, shape)
