"""glasstorch.distributions against torch.distributions: log_prob, entropy, cdf, moments and KL in
float64 with their gradients (the harness), shapes of samples, sampling statistics and rsample
gradients, and the same argument checks."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import check_same_error, Op, check, ints, nograd, positive, uniform


def D(t):
    return t.distributions


CASES = [
    Op("normal_log_prob", lambda t, m, s, x: D(t).Normal(m, s).log_prob(x), [(3,), positive(3), (2, 3)]),
    Op("normal_bcast_number", lambda t, m, x: D(t).Normal(m, 2.0).log_prob(x), [(2, 1), (4,)]),
    Op("normal_entropy_moments", lambda t, m, s: (D(t).Normal(m, s).entropy(), D(t).Normal(m, s).mean,
                                                  D(t).Normal(m, s).variance, D(t).Normal(m, s).stddev),
       [(4,), positive(4)]),
    Op("normal_cdf", lambda t, m, s, x: D(t).Normal(m, s).cdf(x), [(3,), positive(3), (3,)]),
    Op("bernoulli_probs", lambda t, p, x: D(t).Bernoulli(probs=p).log_prob(x.to(p.dtype)), [uniform(0.1, 0.9, 5),
                                                                                 ints(2, 5)]),
    Op("bernoulli_logits", lambda t, l, x: (D(t).Bernoulli(logits=l).log_prob(x.to(l.dtype)),
                                            D(t).Bernoulli(logits=l).entropy(),
                                            D(t).Bernoulli(logits=l).mean, D(t).Bernoulli(logits=l).variance),
       [(2, 3), ints(2, 2, 3)]),
    Op("bernoulli_probs_entropy", lambda t, p: D(t).Bernoulli(probs=p).entropy(), [uniform(0.1, 0.9, 4)]),
    Op("categorical_logits", lambda t, l, k: (D(t).Categorical(logits=l).log_prob(k),
                                              D(t).Categorical(logits=l).entropy(), D(t).Categorical(logits=l).probs),
       [(2, 4), ints(4, 3, 2)]),
    Op("categorical_probs", lambda t, p, k: (D(t).Categorical(probs=p).log_prob(k), D(t).Categorical(probs=p).entropy()),
       [positive(3, 5), ints(5, 3)]),
    Op("uniform", lambda t, lo, w, u: (D(t).Uniform(lo, lo + w).log_prob(lo + w * u), D(t).Uniform(lo, lo + w).entropy(),
                                       D(t).Uniform(lo, lo + w).mean, D(t).Uniform(lo, lo + w).variance,
                                       D(t).Uniform(lo, lo + w).cdf(lo + w * u)),
       [(3,), positive(3), uniform(0.05, 0.95, 3)]),
    Op("exponential", lambda t, r, x: (D(t).Exponential(r).log_prob(x), D(t).Exponential(r).entropy(),
                                       D(t).Exponential(r).mean, D(t).Exponential(r).variance,
                                       D(t).Exponential(r).cdf(x)), [positive(4), positive(4)]),
    Op("laplace", lambda t, m, s, x: (D(t).Laplace(m, s).log_prob(x), D(t).Laplace(m, s).entropy(),
                                      D(t).Laplace(m, s).variance, D(t).Laplace(m, s).stddev,
                                      D(t).Laplace(m, s).cdf(x)), [(3,), positive(3), (3,)], gradgrad=False),
    Op("independent", lambda t, m, s, x: (D(t).Independent(D(t).Normal(m, s), 1).log_prob(x),
                                          D(t).Independent(D(t).Normal(m, s), 1).entropy()),
       [(2, 3), positive(2, 3), (2, 3)]),
    Op("kl_normal", lambda t, a, b, c, d: D(t).kl_divergence(D(t).Normal(a, b), D(t).Normal(c, d)),
       [(3,), positive(3), (3,), positive(3)]),
    Op("kl_bernoulli", lambda t, p, q: D(t).kl_divergence(D(t).Bernoulli(probs=p), D(t).Bernoulli(logits=q)),
       [uniform(0.1, 0.9, 4), (4,)]),
    Op("kl_categorical", lambda t, a, b: D(t).kl_divergence(D(t).Categorical(logits=a), D(t).Categorical(logits=b)),
       [(2, 5), (2, 5)]),
    Op("kl_exponential", lambda t, a, b: D(t).kl_divergence(D(t).Exponential(a), D(t).Exponential(b)),
       [positive(3), positive(3)]),
    Op("kl_laplace", lambda t, a, b, c, d: D(t).kl_divergence(D(t).Laplace(a, b), D(t).Laplace(c, d)),
       [(3,), positive(3), (3,), positive(3)], gradgrad=False),
    Op("kl_uniform", lambda t, lo, w: D(t).kl_divergence(D(t).Uniform(lo, lo + w), D(t).Uniform(lo - 1, lo + w + 1)),
       [(3,), positive(3)]),
    Op("kl_independent", lambda t, a, b: D(t).kl_divergence(D(t).Independent(D(t).Normal(a, b), 1),
                                                            D(t).Independent(D(t).Normal(a * 0, b * 0 + 1), 1)),
       [(2, 3), positive(2, 3)]),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_distribution(case):
    check(case)


SHAPES = [
    (lambda t: D(t).Normal(t.zeros(2, 3), t.ones(3)), (4,)),
    (lambda t: D(t).Bernoulli(probs=t.full((3,), 0.3)), (5, 2)),
    (lambda t: D(t).Categorical(logits=t.zeros(2, 4)), (6,)),
    (lambda t: D(t).Uniform(t.zeros(3), t.ones(3)), ()),
    (lambda t: D(t).Exponential(t.ones(2)), (3,)),
    (lambda t: D(t).Laplace(t.zeros(1), t.ones(1)), (2, 2)),
    (lambda t: D(t).Independent(D(t).Normal(t.zeros(2, 3), t.ones(2, 3)), 1), (4,)),
]


@pytest.mark.parametrize("k", range(len(SHAPES)))
def test_shapes_and_dtypes_as_torch(k):
    make, sample_shape = SHAPES[k]
    ours, theirs = make(gt), make(torch)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    a, b = ours.sample(sample_shape), theirs.sample(sample_shape)
    assert tuple(a.shape) == tuple(b.shape) and a.dtype.name == str(b.dtype).replace("torch.", "")
    assert not a.requires_grad
    assert tuple(ours.log_prob(a).shape) == tuple(theirs.log_prob(b).shape)


def test_sample_statistics():
    gt.manual_seed(0)
    n = 200_000
    checks = [(D(gt).Normal(gt.tensor(1.5), gt.tensor(0.5)), 1.5, 0.25),
              (D(gt).Bernoulli(probs=gt.tensor(0.3)), 0.3, 0.21),
              (D(gt).Uniform(gt.tensor(-1.0), gt.tensor(3.0)), 1.0, 16 / 12),
              (D(gt).Exponential(gt.tensor(2.0)), 0.5, 0.25),
              (D(gt).Laplace(gt.tensor(0.5), gt.tensor(2.0)), 0.5, 8.0)]
    for dist, mean, var in checks:
        x = dist.sample((n,)).numpy().astype(np.float64)
        assert abs(x.mean() - mean) < 5 * math.sqrt(var / n), type(dist).__name__
        assert abs(x.var() - var) < 0.02 * var + 1e-3, type(dist).__name__
    counts = np.bincount(D(gt).Categorical(probs=gt.tensor([0.1, 0.2, 0.7])).sample((n,)).numpy(), minlength=3) / n
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.7], atol=0.005)


def test_rsample_carries_gradients_to_the_parameters():
    gt.manual_seed(1)
    loc = gt.tensor([0.5, -1.0], dtype=gt.float64, requires_grad=True)
    scale = gt.tensor([2.0, 0.5], dtype=gt.float64, requires_grad=True)
    d = D(gt).Normal(loc, scale)
    assert d.has_rsample
    x = d.rsample((1000,))
    x.mean().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [0.5, 0.5])             # d mean(loc + eps*scale) / d loc
    eps = (x.detach().numpy() - loc.detach().numpy()) / scale.detach().numpy()
    np.testing.assert_allclose(scale.grad.numpy(), eps.mean(0) / 2, rtol=1e-12)
    rate = gt.tensor(2.0, dtype=gt.float64, requires_grad=True)
    D(gt).Exponential(rate).rsample((10,)).sum().backward()
    assert rate.grad is not None and rate.grad.item() < 0


# validate_args=True throughout: importing torch's compiler (torch.compile) turns its default off
ERRORS = [
    lambda t: D(t).Normal(t.tensor([0.0]), t.tensor([-1.0]), validate_args=True),
    lambda t: D(t).Bernoulli(probs=t.tensor([1.5]), validate_args=True),
    lambda t: D(t).Bernoulli(),
    lambda t: D(t).Categorical(probs=t.tensor([0.5, 0.5]), logits=t.tensor([0.0, 0.0])),
    lambda t: D(t).Categorical(logits=t.tensor(1.0)),
    lambda t: D(t).Uniform(t.tensor([1.0]), t.tensor([0.0]), validate_args=True),
    lambda t: D(t).Exponential(t.tensor([0.0]), validate_args=True),
    lambda t: D(t).Uniform(t.tensor([0.0]), t.tensor([1.0]), validate_args=True).log_prob(t.tensor([2.0])),
    lambda t: D(t).Bernoulli(probs=t.tensor([0.5]), validate_args=True).log_prob(t.tensor([0.5])),
    lambda t: D(t).Categorical(logits=t.zeros(3), validate_args=True).log_prob(t.tensor(3)),
    lambda t: D(t).Independent(D(t).Normal(t.zeros(3), t.ones(3)), 2),
    lambda t: D(t).kl_divergence(D(t).Categorical(logits=t.zeros(3)), D(t).Normal(t.zeros(1), t.ones(1))),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_as_torch(k):
    check_same_error(ERRORS[k])


def test_validation_can_be_switched_off():
    d = D(gt).Normal(gt.tensor([0.0]), gt.tensor([-1.0]), validate_args=False)
    assert d.scale.item() == -1.0
