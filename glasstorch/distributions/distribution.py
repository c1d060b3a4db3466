"""The base class of ``glasstorch.distributions``, as ``torch.distributions.Distribution``.

A distribution has a ``batch_shape`` (independent distributions side by side, from broadcasting
its parameters) and an ``event_shape`` (the shape of one draw). ``sample(sample_shape)`` returns
``sample_shape + batch_shape + event_shape`` values without a graph; ``rsample`` (where there is
one) draws by reparameterization, so gradients flow to the parameters. Parameters and the values
given to ``log_prob`` are checked unless ``validate_args=False`` (torch's default is to check).
"""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = ["Distribution"]


def _as_tensor(x, like: Tensor | None = None) -> Tensor:
    from .. import _creation
    if isinstance(x, Tensor):
        return x
    dtype = like.dtype if like is not None and like.dtype.is_floating_point else None
    return _creation.tensor(float(x), dtype=dtype)


def broadcast_all(*values):
    """The parameters as tensors of one broadcast shape (numbers take the dtype of the tensors)."""
    from ..ops.shape import broadcast_tensors
    like = next((v for v in values if isinstance(v, Tensor)), None)
    return broadcast_tensors(*[_as_tensor(v, like) for v in values])


class Distribution:
    """The base class. Subclasses set ``batch_shape``/``event_shape`` through ``__init__`` and define
    ``log_prob``, ``rsample`` or ``sample``, ``entropy``, ``mean`` and ``variance``."""

    has_rsample = False
    _validate_default = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = self._validate_default if validate_args is None else validate_args

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self):
        from .._tensor import Size
        return Size(self._batch_shape)

    @property
    def event_shape(self):
        from .._tensor import Size
        return Size(self._event_shape)

    def _extended_shape(self, sample_shape=()) -> tuple:
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample")

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    # -------------------------------------------------------------- checks
    def _check_param(self, name: str, value: Tensor, ok: np.ndarray, constraint: str) -> None:
        if self._validate_args and not bool(np.all(ok)):
            raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) of "
                             f"distribution {self!r} to satisfy the constraint {constraint}, but found invalid "
                             f"values:\n{value}")

    def _check_value(self, value: Tensor, ok: np.ndarray, support: str) -> None:
        if self._validate_args and not bool(np.all(ok)):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    def __repr__(self) -> str:
        parts = []
        for k in getattr(self, "_param_names", ()):
            if k in self.__dict__:
                v = self.__dict__[k]
                # as torch: a parameter with many values shows its shape, one value itself
                parts.append(f"{k}: {tuple(v.shape) if isinstance(v, Tensor) and v.numel() > 1 else v}")
        return f"{type(self).__name__}({', '.join(parts)})"


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
