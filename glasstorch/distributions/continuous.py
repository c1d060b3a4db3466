"""``Uniform(low, high)``, ``Exponential(rate)`` and ``Laplace(loc, scale)``, each with ``rsample``."""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from .._tensor import Tensor
from ..ops import elementwise as _ew
from .distribution import Distribution, broadcast_all

__all__ = ["Uniform", "Exponential", "Laplace"]


class Uniform(Distribution):
    """Uniform on ``[low, high)``."""

    has_rsample = True
    _param_names = ("low", "high")

    def __init__(self, low, high, validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all(low, high)
        super().__init__(tuple(self.low.shape), (), validate_args)
        self._check_param("low", self.low, self.low._data < self.high._data, "LessThan(upper_bound=high)")

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()):
        u = _random.rand(self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        v, lo, hi = value._data, self.low._data, self.high._data
        self._check_value(value, (v >= lo) & (v < hi), "Interval(lower_bound=low, upper_bound=high)")
        inside = Tensor._make(((v >= lo) & (v < hi)).astype(self.low._data.dtype))
        return _ew.log(inside) - _ew.log(self.high - self.low)

    def cdf(self, value):
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def entropy(self):
        return _ew.log(self.high - self.low)


class Exponential(Distribution):
    """Density ``rate * exp(-rate * x)`` on ``x >= 0``."""

    has_rsample = True
    _param_names = ("rate",)

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(tuple(self.rate.shape), (), validate_args)
        self._check_param("rate", self.rate, self.rate._data > 0, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate ** -2

    def rsample(self, sample_shape=()):
        u = _random.rand(self._extended_shape(sample_shape), dtype=self.rate.dtype)
        return -_ew.log1p(-u) / self.rate

    def log_prob(self, value):
        self._check_value(value, value._data >= 0, "GreaterThanEq(lower_bound=0.0)")
        return _ew.log(self.rate) - self.rate * value

    def cdf(self, value):
        return 1 - _ew.exp(-self.rate * value)

    def entropy(self):
        return 1.0 - _ew.log(self.rate)


class Laplace(Distribution):
    """Density ``exp(-|x - loc| / scale) / (2 scale)``."""

    has_rsample = True
    _param_names = ("loc", "scale")

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(tuple(self.loc.shape), (), validate_args)
        self._check_param("scale", self.scale, self.scale._data > 0, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale ** 2

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=()):
        eps = float(np.finfo(self.loc._data.dtype).eps)
        u = _random.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype) * 2 - 1
        u = u.clamp(eps - 1, 1)            # |u| < 1, so log1p(-|u|) is finite
        return self.loc - self.scale * _ew.sign(u) * _ew.log1p(-u.abs())

    def log_prob(self, value):
        return -_ew.log(2 * self.scale) - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        z = (value - self.loc) / self.scale
        return 0.5 - 0.5 * _ew.sign(z) * _ew.expm1(-z.abs())

    def entropy(self):
        return 1 + _ew.log(2 * self.scale)
