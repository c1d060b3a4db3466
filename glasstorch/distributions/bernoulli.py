"""``Bernoulli(probs=... | logits=...)``: 1 with probability ``probs``, else 0."""
from __future__ import annotations

import numpy as np

from .. import random as _random
from ..ops import elementwise as _ew
from ..ops.loss import binary_cross_entropy_with_logits
from .distribution import Distribution, broadcast_all

__all__ = ["Bernoulli"]


def _logits_of(probs):
    eps = float(np.finfo(probs._data.dtype).eps)
    p = _ew.clamp(probs, eps, 1 - eps)
    return _ew.log(p) - _ew.log1p(-p)


class Bernoulli(Distribution):
    """Give exactly one of ``probs`` (in [0, 1]) and ``logits`` (log-odds)."""

    _param_names = ("probs",)

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            self.logits = _logits_of(self.probs)
            shape = tuple(self.probs.shape)
        else:
            (self.logits,) = broadcast_all(logits)
            self.probs = _ew.sigmoid(self.logits)
            shape = tuple(self.logits.shape)
        super().__init__(shape, (), validate_args)
        if probs is not None:
            ok = (self.probs._data >= 0) & (self.probs._data <= 1)
            self._check_param("probs", self.probs, ok, "Interval(lower_bound=0.0, upper_bound=1.0)")

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        u = _random.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype)
        return (u < self.probs.detach()).to(self.probs.dtype)

    def log_prob(self, value):
        v = value._data
        self._check_value(value, (v == 0) | (v == 1), "Boolean()")
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value.to(logits.dtype), reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
