"""``kl_divergence(p, q)``: KL(p || q) in closed form for pairs of one family, and ``register_kl``."""
from __future__ import annotations

import math

from ..ops import elementwise as _ew
from .bernoulli import Bernoulli
from .categorical import Categorical
from .continuous import Exponential, Laplace, Uniform
from .independent import Independent, _sum_rightmost
from .normal import Normal

__all__ = ["kl_divergence", "register_kl"]

_REGISTRY: dict = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(P, Q) def kl(p, q): ...`` adds a closed form."""
    def add(fn):
        _REGISTRY[(type_p, type_q)] = fn
        return fn
    return add


def kl_divergence(p, q):
    """KL(p || q) per batch element."""
    for (tp, tq), fn in _REGISTRY.items():
        if isinstance(p, tp) and isinstance(q, tq):
            return fn(p, q)
    raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
                              f"{type(q).__name__}")


@register_kl(Normal, Normal)
def _kl_normal(p, q):
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - _ew.log(var_ratio))


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p, q):
    from ..nn import functional as F
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = _ew.where(q.probs == 0, math.inf, t)
    t = _ew.where(p.probs == 0, 0.0, t)
    return t.sum(-1)


@register_kl(Exponential, Exponential)
def _kl_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - 1 - _ew.log(ratio)


@register_kl(Laplace, Laplace)
def _kl_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -_ew.log(scale_ratio)
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * _ew.exp(-loc_abs_diff / p.scale)
    return t1 + t2 + t3 - 1


@register_kl(Uniform, Uniform)
def _kl_uniform(p, q):
    result = _ew.log((q.high - q.low) / (p.high - p.low))
    outside = (q.low > p.low) | (q.high < p.high)
    return _ew.where(outside, math.inf, result)


@register_kl(Independent, Independent)
def _kl_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents with different reinterpreted_batch_ndims")
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)
