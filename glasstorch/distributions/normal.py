"""``Normal(loc, scale)``: the Gaussian, with ``rsample`` as ``loc + scale * eps``."""
from __future__ import annotations

import math

from .. import random as _random
from ..ops import elementwise as _ew
from .distribution import LOG_SQRT_2PI, Distribution, broadcast_all

__all__ = ["Normal"]


class Normal(Distribution):
    """The normal distribution with mean ``loc`` and standard deviation ``scale`` (> 0)."""

    has_rsample = True
    _param_names = ("loc", "scale")

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(tuple(self.loc.shape), (), validate_args)
        self._check_param("loc", self.loc, self.loc._data == self.loc._data, "Real()")
        self._check_param("scale", self.scale, self.scale._data > 0, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale ** 2

    def rsample(self, sample_shape=()):
        eps = _random.randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        return -((value - self.loc) ** 2) / (2 * self.variance) - _ew.log(self.scale) - LOG_SQRT_2PI

    def cdf(self, value):
        return 0.5 * (1 + _ew.erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + _ew.log(self.scale)
