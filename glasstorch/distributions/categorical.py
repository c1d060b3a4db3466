"""``Categorical(probs=... | logits=...)``: one of ``K`` classes, along the last dimension."""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from .._tensor import Tensor
from ..ops import reduction as _red
from ..ops.indexing import gather
from .distribution import Distribution

__all__ = ["Categorical"]


class Categorical(Distribution):
    """Class ``k`` with probability ``probs[..., k]`` (normalized to sum 1), or ``softmax(logits)[..., k]``."""

    _param_names = ("probs",)

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs._data.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            eps = float(np.finfo(self.probs._data.dtype).eps)
            self.logits = self.probs.clamp(eps, 1 - eps).log()
        else:
            if logits._data.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - _red.logsumexp(logits, -1, keepdim=True)
            self.probs = _red.softmax(logits, -1)
        self._num_events = self.probs.shape[-1]
        super().__init__(tuple(self.probs.shape[:-1]), (), validate_args)
        if probs is not None:
            self._check_param("probs", probs, (probs._data >= 0).all(-1) & (probs._data.sum(-1) > 0), "Simplex()")

    @property
    def param_shape(self):
        return self.probs.shape

    @property
    def mean(self):
        return Tensor._make(np.full(self._batch_shape, math.nan, self.probs._data.dtype))

    variance = mean

    def sample(self, sample_shape=()):
        # Inverse CDF: the first class whose cumulative probability exceeds a uniform draw.
        shape = tuple(sample_shape) + self._batch_shape
        cdf = np.cumsum(self.probs._data, -1)
        u = _random.rand(shape, dtype=self.probs.dtype)._data[..., None]
        idx = (np.broadcast_to(cdf, shape + (self._num_events,)) < u).sum(-1)
        return Tensor._make(np.minimum(idx, self._num_events - 1).astype(np.int64))

    def log_prob(self, value):
        v = value._data
        self._check_value(value, (v >= 0) & (v < self._num_events) & (v == np.round(v)),
                          f"IntegerInterval(lower_bound=0, upper_bound={self._num_events - 1})")
        shape = np.broadcast_shapes(v.shape, self._batch_shape)
        idx = Tensor._make(np.broadcast_to(v.astype(np.int64), shape)[..., None].copy())
        logits = self.logits.expand(shape + (self._num_events,))
        return gather(logits, -1, idx).squeeze(-1)

    def entropy(self):
        # log(0) is clamped to the dtype's minimum, so a class of probability 0 adds 0, not NaN
        floor = float(np.finfo(self.logits._data.dtype).min)
        return -(self.logits.clamp(min=floor) * self.probs).sum(-1)
