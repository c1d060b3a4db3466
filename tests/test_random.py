"""Random numbers: reproducibility, shapes and dtypes against torch, value ranges,
statistics with fixed seeds, in-place fills and torch's errors.

The numbers themselves cannot match torch's (different generators), so values
are checked through ranges and statistics; shapes, dtypes and errors are
compared with torch call by call.
"""
import copy
import pickle

import numpy as np
import pytest
import torch

import glasstorch as gt

N = 100_000


def _both(fn):
    """Runs ``fn(t)`` with t = glasstorch and t = torch."""
    return fn(gt), fn(torch)


# --------------------------------------------------------- shape and dtype
# Each row: (id, fn(t)). The result's shape and dtype must be torch's.
SHAPES = [
    ("rand_varargs", lambda t: t.rand(2, 3)),
    ("rand_tuple", lambda t: t.rand((2, 3))),
    ("rand_list", lambda t: t.rand([4])),
    ("rand_size", lambda t: t.rand(t.Size([2, 1]))),
    ("rand_0d", lambda t: t.rand(())),
    ("rand_empty", lambda t: t.rand(0, 3)),
    ("rand_f64", lambda t: t.rand(3, dtype=t.float64)),
    ("rand_f16", lambda t: t.rand(3, dtype=t.float16)),
    ("rand_gen", lambda t: t.rand(2, generator=t.Generator().manual_seed(1))),
    ("randn_varargs", lambda t: t.randn(2, 3, 4)),
    ("randn_tuple", lambda t: t.randn((5,))),
    ("randn_f64", lambda t: t.randn(2, dtype=t.float64)),
    ("randn_f16", lambda t: t.randn(2, dtype=t.float16)),
    ("randint_high", lambda t: t.randint(10, (2, 3))),
    ("randint_low_high", lambda t: t.randint(3, 10, (4,))),
    ("randint_kw", lambda t: t.randint(low=2, high=10, size=(2,))),
    ("randint_high_kwsize", lambda t: t.randint(10, size=(3,))),
    ("randint_list_size", lambda t: t.randint(3, [2])),
    ("randint_f32", lambda t: t.randint(0, 5, (3,), dtype=t.float32)),
    ("randint_int32", lambda t: t.randint(0, 5, (3,), dtype=t.int32)),
    ("randint_uint8", lambda t: t.randint(0, 256, (3,), dtype=t.uint8)),
    ("randint_bool", lambda t: t.randint(0, 2, (3,), dtype=t.bool)),
    ("randint_full_int64", lambda t: t.randint(-2**63, 2**63 - 1, (3,))),
    ("randperm", lambda t: t.randperm(7)),
    ("randperm_0", lambda t: t.randperm(0)),
    ("randperm_f32", lambda t: t.randperm(5, dtype=t.float32)),
    ("randperm_int32", lambda t: t.randperm(5, dtype=t.int32)),
    ("randperm_uint8_256", lambda t: t.randperm(256, dtype=t.uint8)),
    ("normal_tt", lambda t: t.normal(t.zeros(2, 3), t.ones(2, 3))),
    ("normal_tt_bcast", lambda t: t.normal(t.zeros(3), t.ones(2, 1))),
    ("normal_tf", lambda t: t.normal(t.zeros(2, 3), 2.0)),
    ("normal_t_default_std", lambda t: t.normal(t.zeros(4))),
    ("normal_ft", lambda t: t.normal(1.0, t.ones(3))),
    ("normal_ffs", lambda t: t.normal(0.0, 1.0, (2, 2))),
    ("normal_ffs_kw", lambda t: t.normal(2, 3, size=(3,))),
    ("normal_ffs_f64", lambda t: t.normal(0.0, 1.0, (2,), dtype=t.float64)),
    ("normal_0d", lambda t: t.normal(t.zeros(()), t.ones(()))),
    ("normal_mean_f64", lambda t: t.normal(t.zeros(2, dtype=t.float64), t.ones(2))),
    ("normal_std_f64", lambda t: t.normal(t.zeros(2), t.ones(2, dtype=t.float64))),
    ("normal_ft_f64", lambda t: t.normal(0.0, t.ones(2, dtype=t.float64))),
    ("bernoulli", lambda t: t.bernoulli(t.full((2, 3), 0.5))),
    ("bernoulli_f64", lambda t: t.bernoulli(t.full((3,), 0.5, dtype=t.float64))),
    ("bernoulli_p", lambda t: t.bernoulli(t.zeros(2, 2), 0.3)),
    ("bernoulli_p_int", lambda t: t.bernoulli(t.zeros(3, dtype=t.int64), 0.5)),
    ("multinomial_1d", lambda t: t.multinomial(t.tensor([1.0, 2.0, 3.0]), 2)),
    ("multinomial_2d", lambda t: t.multinomial(t.ones(4, 5), 3)),
    ("multinomial_repl", lambda t: t.multinomial(t.tensor([1.0, 2.0]), 7, True)),
    ("multinomial_2d_repl", lambda t: t.multinomial(t.ones(3, 2), 6, replacement=True)),
    ("multinomial_f64", lambda t: t.multinomial(t.ones(3, dtype=t.float64), 1)),
    ("multinomial_no_rows", lambda t: t.multinomial(t.ones(0, 3), 2)),
    ("poisson", lambda t: t.poisson(t.full((2, 3), 4.0))),
    ("rand_like", lambda t: t.rand_like(t.zeros(2, 3))),
    ("rand_like_f64", lambda t: t.rand_like(t.zeros(2, dtype=t.float64))),
    ("rand_like_dtype", lambda t: t.rand_like(t.zeros(2), dtype=t.float64)),
    ("randn_like", lambda t: t.randn_like(t.zeros(3, 1))),
    ("randint_like_high", lambda t: t.randint_like(t.zeros(2, 3), 5)),
    ("randint_like_low_high", lambda t: t.randint_like(t.zeros(2, dtype=t.int32), 3, 5)),
    ("randint_like_kw", lambda t: t.randint_like(t.zeros(4, dtype=t.int64), high=9)),
    ("uniform_", lambda t: t.zeros(2, 3).uniform_(-1, 1)),
    ("normal_", lambda t: t.zeros(2, 3, dtype=t.float64).normal_(1, 2)),
    ("bernoulli_", lambda t: t.zeros(3, dtype=t.int64).bernoulli_(0.5)),
    ("bernoulli_tensor_p", lambda t: t.zeros(2, 3).bernoulli_(t.full((3,), 0.5))),
    ("random_", lambda t: t.zeros(3, dtype=t.uint8).random_()),
    ("random_to", lambda t: t.zeros(3).random_(5)),
    ("random_from_to", lambda t: t.zeros(3, dtype=t.int8).random_(-5, 0)),
    ("exponential_", lambda t: t.zeros(2, 2).exponential_(3.0)),
]


@pytest.mark.parametrize("fn", [c[1] for c in SHAPES], ids=[c[0] for c in SHAPES])
def test_shape_and_dtype_match_torch(fn):
    ours, theirs = _both(fn)
    assert isinstance(ours, gt.Tensor)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert ours._data.dtype == ours.dtype.np


# -------------------------------------------------------- reproducibility
def _draw_all(gen=None):
    """One call of every random function; returns their values as arrays."""
    kw = {} if gen is None else {"generator": gen}
    out = [gt.rand(3, 2, **kw), gt.randn(4, **kw), gt.randint(5, 50, (6,), **kw), gt.randperm(9, **kw),
           gt.normal(gt.zeros(3), gt.ones(3), **kw), gt.normal(0.0, 2.0, (3,), **kw),
           gt.bernoulli(gt.full((8,), 0.5), **kw), gt.multinomial(gt.ones(10), 4, **kw),
           gt.multinomial(gt.tensor([1.0, 2.0, 3.0]), 5, True, **kw), gt.poisson(gt.full((4,), 3.0), **kw),
           gt.rand_like(gt.zeros(2), **kw), gt.randn_like(gt.zeros(2), **kw),
           gt.randint_like(gt.zeros(3), 100, **kw)]
    out += [gt.zeros(4).uniform_(**kw), gt.zeros(4).normal_(**kw), gt.zeros(6).bernoulli_(**kw),
            gt.zeros(4, dtype=gt.int64).random_(**kw), gt.zeros(4).exponential_(**kw)]
    return [t.numpy().copy() for t in out]


def _same(a, b):
    return len(a) == len(b) and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a, b))


def test_manual_seed_reproduces_every_function():
    gt.manual_seed(1234)
    first = _draw_all()
    gt.manual_seed(1234)
    second = _draw_all()
    assert _same(first, second)
    gt.manual_seed(1235)
    assert not _same(first, _draw_all())


def test_manual_seed_returns_default_generator_and_sets_initial_seed():
    assert gt.manual_seed(7) is gt.default_generator
    assert gt.initial_seed() == 7 == gt.default_generator.initial_seed()
    gt.manual_seed(-5)  # wraps modulo 2**64, as in torch
    assert gt.initial_seed() == torch.Generator().manual_seed(-5).initial_seed() == 2**64 - 5
    s = gt.seed()
    assert isinstance(s, int) and gt.initial_seed() == s


def test_generator_is_independent_of_the_global_one():
    g = gt.Generator().manual_seed(99)
    alone = _draw_all(g)
    g.manual_seed(99)
    gt.manual_seed(0)
    mixed = []
    for a in _draw_all(g):  # interleave global draws: they must not disturb g
        gt.rand(5)
        mixed.append(a)
    assert _same(alone, mixed)
    # ...and draws from g must not disturb the global sequence.
    gt.manual_seed(5)
    ref = gt.randn(10).numpy()
    gt.manual_seed(5)
    gt.randn(3, generator=g)
    assert np.array_equal(gt.randn(10).numpy(), ref)


def test_generator_api():
    g = gt.Generator()
    assert g.device == gt.device("cpu") and str(g.device) == "cpu"
    assert g.initial_seed() == torch.Generator().initial_seed()
    assert gt.Generator("cpu").manual_seed(3) is not None
    assert g.manual_seed(11) is g
    assert g.initial_seed() == 11
    with pytest.raises(RuntimeError):
        gt.Generator("cuda")


def test_rng_state_round_trip():
    gt.manual_seed(3)
    gt.rand(7)  # leave numpy's buffered half-word in a non-trivial place
    state = gt.get_rng_state()
    saved = state.numpy().copy()
    assert state.dtype == gt.uint8 and state.dim() == 1
    a = _draw_all()
    assert np.array_equal(state.numpy(), saved)  # a snapshot, not a live view
    gt.manual_seed(999)
    gt.set_rng_state(state)
    assert _same(a, _draw_all())
    assert gt.initial_seed() == 3


def test_generator_state_round_trip_and_clone():
    g = gt.Generator().manual_seed(21)
    gt.rand(3, generator=g)
    st = g.get_state()
    a = gt.randn(5, generator=g).numpy()
    assert g.set_state(st) is g
    assert np.array_equal(gt.randn(5, generator=g).numpy(), a)
    g.set_state(st)
    h = g.clone_state()
    assert np.array_equal(gt.rand(4, generator=g).numpy(), gt.rand(4, generator=h).numpy())
    for other in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g)):
        assert other.initial_seed() == 21
        assert np.array_equal(gt.rand(4, generator=g.clone_state()).numpy(), gt.rand(4, generator=other).numpy())


def test_set_state_errors_like_torch():
    for t in (gt, torch):
        with pytest.raises(TypeError, match="ByteTensor"):
            t.Generator().set_state(t.zeros(48))
        with pytest.raises(RuntimeError, match="size"):
            t.Generator().set_state(t.zeros(3, dtype=t.uint8))


def test_fork_rng_restores_state():
    gt.manual_seed(8)
    with gt.random.fork_rng():
        gt.rand(100)
    after = gt.rand(4).numpy()
    gt.manual_seed(8)
    assert np.array_equal(gt.rand(4).numpy(), after)


def test_rng_helper_is_shared_with_other_modules():
    # Other modules draw through _rng(); manual_seed must steer it, and it must survive set_rng_state.
    rng = gt.random._rng()
    gt.manual_seed(4)
    a = rng.random(3)
    gt.manual_seed(4)
    assert np.array_equal(gt.random._rng().random(3), a)
    with pytest.raises(TypeError):
        gt.rand(2, generator=5)


# ----------------------------------------------------------- value ranges
def test_float_defaults_are_float32_and_follow_default_dtype():
    for x in (gt.rand(3), gt.randn(3), gt.normal(0.0, 1.0, (3,)), gt.normal(gt.zeros(3)),
              gt.randint(3, (2,), dtype=gt.float32), gt.zeros(3).uniform_(0, 2), gt.zeros(3).normal_(1, 3),
              gt.zeros(3).exponential_(2.0), gt.bernoulli(gt.full((3,), 0.5)), gt.poisson(gt.ones(3))):
        assert x._data.dtype == np.float32
    gt.set_default_dtype(gt.float64)
    try:
        assert gt.rand(2).dtype == gt.float64 and gt.randn(2).dtype == gt.float64
    finally:
        gt.set_default_dtype(gt.float32)


def test_rand_in_unit_interval():
    gt.manual_seed(0)
    for dtype in (gt.float16, gt.float32, gt.float64):
        x = gt.rand(N, dtype=dtype).numpy()
        assert x.min() >= 0 and x.max() < 1
        assert x.max() > 0.99 and x.min() < 0.01


def test_randint_in_range():
    gt.manual_seed(0)
    x = gt.randint(-3, 4, (N,)).numpy()
    assert x.min() == -3 and x.max() == 3
    assert set(np.unique(x)) == set(range(-3, 4))
    y = gt.randint(0, 256, (N,), dtype=gt.uint8).numpy()
    assert y.min() == 0 and y.max() == 255
    z = gt.randint_like(gt.zeros(N), 2, 5).numpy()
    assert set(np.unique(z)) == {2.0, 3.0, 4.0}


@pytest.mark.parametrize("dtype,args,low,high", [
    ("uint8", (), 0, 255),
    ("bool", (), 0, 1),
    ("int8", (), -0, 127),
    ("int8", (-5, 0), -5, -1),
    ("int16", (7,), 0, 6),
    ("int32", (100, None), 100, 2**31 - 1),
    ("int64", (3, 6), 3, 5),
    ("float16", (), 0, 2**11),
    ("float32", (10,), 0, 9),
    ("float64", (-4, 4), -4, 3),
])
def test_random__ranges(dtype, args, low, high):
    gt.manual_seed(0)
    x = gt.zeros(20000, dtype=getattr(gt, dtype)).random_(*args).numpy()
    assert x.dtype == np.dtype(dtype)
    assert x.min() >= low and x.max() <= high
    if high - low < 300:  # every value shows up
        assert x.min() == low and x.max() == high
    else:
        assert x.max() > low + (high - low) * 0.9


def test_random__keyword_to():
    x = gt.zeros(1000)
    gt.random.random_(x, 2, to=4)
    assert set(np.unique(x.numpy())) == {2.0, 3.0}
    gt.random.random_(x, to=2)
    assert set(np.unique(x.numpy())) == {0.0, 1.0}


# -------------------------------------------------------------- statistics
# With N = 1e5 samples the standard error of a mean is about 0.003 * std; the
# bounds below are 5-10 standard errors wide, yet far tighter than any bug.

def _check_moments(x, mean, std, tol=0.02):
    x = np.asarray(x, dtype=np.float64)
    assert abs(x.mean() - mean) < tol * max(std, 1), (x.mean(), mean)
    assert abs(x.std() - std) < tol * max(std, 1), (x.std(), std)


def test_rand_randn_moments():
    gt.manual_seed(1)
    _check_moments(gt.rand(N).numpy(), 0.5, 12 ** -0.5)
    _check_moments(gt.rand(N, dtype=gt.float16).numpy(), 0.5, 12 ** -0.5)
    _check_moments(gt.randn(N).numpy(), 0.0, 1.0)
    _check_moments(gt.randn(N, dtype=gt.float64).numpy(), 0.0, 1.0)
    _check_moments(gt.randn(N, dtype=gt.float16).numpy(), 0.0, 1.0)
    x = gt.randn(N).numpy()  # roughly normal, not just the right moments
    assert abs(np.mean(np.abs(x) < 1) - 0.6827) < 0.01


def test_normal_moments():
    gt.manual_seed(2)
    _check_moments(gt.normal(3.0, 2.0, (N,)).numpy(), 3.0, 2.0)
    _check_moments(gt.normal(gt.full((N,), -1.0), 0.5).numpy(), -1.0, 0.5)
    _check_moments(gt.normal(2.0, gt.full((N,), 3.0)).numpy(), 2.0, 3.0)
    x = gt.normal(gt.tensor([0.0, 10.0]).repeat(N, 1), gt.tensor([1.0, 4.0]))  # std broadcast over rows
    _check_moments(x.numpy()[:, 0], 0.0, 1.0)
    _check_moments(x.numpy()[:, 1], 10.0, 4.0)


def test_inplace_moments():
    gt.manual_seed(3)
    _check_moments(gt.empty(N).uniform_(-2, 4).numpy(), 1.0, 6 * 12 ** -0.5)
    _check_moments(gt.empty(N).normal_(5, 0.1).numpy(), 5.0, 0.1, tol=0.002)
    _check_moments(gt.empty(N, dtype=gt.float64).normal_(-3, 2).numpy(), -3.0, 2.0)
    _check_moments(gt.empty(N).exponential_(4.0).numpy(), 0.25, 0.25, tol=0.005)
    _check_moments(gt.empty(N, dtype=gt.float16).exponential_().numpy(), 1.0, 1.0)
    x = gt.empty(N).uniform_(-2, 4).numpy()
    assert x.min() >= -2 and x.max() < 4
    assert gt.empty(N).exponential_().numpy().min() >= 0


def test_bernoulli_frequencies():
    gt.manual_seed(4)
    assert abs(gt.bernoulli(gt.full((N,), 0.3)).numpy().mean() - 0.3) < 0.01
    assert abs(gt.bernoulli(gt.zeros(N), 0.7).numpy().mean() - 0.7) < 0.01
    assert abs(gt.zeros(N).bernoulli_(0.1).numpy().mean() - 0.1) < 0.01
    assert abs(gt.zeros(N, dtype=gt.bool).bernoulli_().numpy().mean() - 0.5) < 0.01
    p = gt.tensor([0.0, 0.25, 1.0])
    x = gt.zeros(N, 3).bernoulli_(p).numpy()
    assert np.allclose(x.mean(axis=0), [0.0, 0.25, 1.0], atol=0.01)
    assert np.all(x[:, 0] == 0) and np.all(x[:, 2] == 1)
    assert set(np.unique(gt.bernoulli(gt.full((100,), 0.5)).numpy())) == {0.0, 1.0}


def test_poisson_moments():
    gt.manual_seed(5)
    x = gt.poisson(gt.full((N,), 4.0)).numpy()
    assert np.all(x == np.round(x)) and x.min() >= 0
    _check_moments(x, 4.0, 2.0)


def test_randperm_is_a_permutation():
    gt.manual_seed(6)
    for n in (0, 1, 2, 1000):
        p = gt.randperm(n).numpy()
        assert np.array_equal(np.sort(p), np.arange(n))
    assert not np.array_equal(gt.randperm(1000).numpy(), np.arange(1000))
    # Every position is uniform: the first element over many permutations.
    firsts = np.array([gt.randperm(4)[0].item() for _ in range(4000)])
    assert np.allclose(np.bincount(firsts, minlength=4) / 4000, 0.25, atol=0.04)


def _chi2(counts, weights):
    """Pearson's statistic; its mean is (categories - 1)."""
    expected = counts.sum() * np.asarray(weights, dtype=np.float64) / np.sum(weights)
    pos = expected > 0
    assert np.all(counts[~pos] == 0)
    return float(((counts[pos] - expected[pos]) ** 2 / expected[pos]).sum())


def test_multinomial_with_replacement_frequencies():
    gt.manual_seed(7)
    w = [0.0, 1.0, 2.0, 0.0, 5.0, 2.0]  # rows need not sum to 1; zero weights are never drawn
    x = gt.multinomial(gt.tensor(w), N, replacement=True).numpy()
    assert x.dtype == np.int64
    assert _chi2(np.bincount(x, minlength=6), w) < 30  # 4 degrees of freedom: mean 4, p(>30) ~ 5e-6
    rows = [[1.0, 1.0, 0.0], [0.0, 0.0, 3.0], [3.0, 0.0, 1.0]]
    y = gt.multinomial(gt.tensor(rows), N, replacement=True).numpy()
    for r, wr in zip(y, rows):
        assert _chi2(np.bincount(r, minlength=3), wr) < 30


def test_multinomial_many_rows_with_trailing_zeros():
    # Many rows exercise the shifted single search; trailing zero weights must never be drawn.
    gt.manual_seed(8)
    w = np.zeros((3000, 4), dtype=np.float32)
    w[:, :2] = np.random.default_rng(0).uniform(0.1, 1, (3000, 2))
    x = gt.multinomial(gt.tensor(w), 50, True).numpy()
    assert x.shape == (3000, 50) and x.min() >= 0 and x.max() <= 1


def test_multinomial_uniform_draw_just_below_one_stays_in_range():
    # Rounding u + row in the shifted search can land on the row's upper edge; the
    # largest double below 1 does so (1 + u rounds to 2). A trailing zero weight must still not be drawn.
    class Edge:
        def random(self, shape):
            return np.full(shape, np.nextafter(1.0, 0.0))

    g = gt.Generator()
    g._rng = Edge()
    x = gt.multinomial(gt.tensor([[1.0, 1.0, 0.0]] * 3), 2, True, generator=g).numpy()
    assert np.all(x == 1)


def test_multinomial_without_replacement():
    gt.manual_seed(9)
    x = gt.multinomial(gt.ones(500, 10), 10).numpy()
    assert np.all(np.sort(x, axis=1) == np.arange(10))  # no repeats
    # The first draw is proportional to the weights; zeros come after all positive weights.
    w = [4.0, 0.0, 1.0, 3.0]
    y = gt.multinomial(gt.tensor(w).expand(20000, 4), 4).numpy()
    assert np.all(y[:, 3] == 1)
    assert _chi2(np.bincount(y[:, 0], minlength=4), w) < 25
    # Second draw given the first was category 0: proportional to the rest, [0, 0, 1, 3].
    second = y[y[:, 0] == 0, 1]
    assert _chi2(np.bincount(second, minlength=4), [0.0, 0.0, 1.0, 3.0]) < 20
    # Like torch, asking for more samples than positive weights is allowed (zeros fill the tail).
    z = gt.multinomial(gt.tensor([1.0, 0.0, 2.0]), 3).numpy()
    assert z[2] == 1 and sorted(z) == [0, 1, 2]


def test_multinomial_non_contiguous_and_float64():
    gt.manual_seed(10)
    w = gt.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=gt.float64).t()  # (2, 3), non-contiguous
    x = gt.multinomial(w, 200, True).numpy()
    assert set(np.unique(x[0])) == {0, 2} and set(np.unique(x[1])) == {1, 2}


# ------------------------------------------------------- requires_grad
def test_requires_grad_constructors():
    for fn in (lambda t: t.rand(2, 3, requires_grad=True), lambda t: t.randn(4, requires_grad=True),
               lambda t: t.normal(0.0, 1.0, (2,), requires_grad=True),
               lambda t: t.randint(0, 5, (2,), dtype=t.float32, requires_grad=True),
               lambda t: t.rand_like(t.zeros(2), requires_grad=True)):
        ours, theirs = _both(fn)
        assert ours.requires_grad and theirs.requires_grad and ours.is_leaf
        (ours * 2).sum().backward()
        assert np.array_equal(ours.grad.numpy(), np.full(ours.shape, 2, dtype=np.float32))


def test_sampling_from_tensors_gives_zero_gradients_like_torch():
    for fn, name in [(lambda t, m: t.normal(m, 1.0), "NormalBackward1"),
                     (lambda t, m: t.normal(1.0, m + 1), "NormalBackward2"),
                     (lambda t, m: t.normal(m, m + 1), "NormalBackward3"),
                     (lambda t, m: t.bernoulli(m.sigmoid()), "BernoulliBackward0"),
                     (lambda t, m: t.poisson(m.exp()), "PoissonBackward0")]:
        for t in (gt, torch):
            m = t.zeros(3, requires_grad=True)
            y = fn(t, m)
            assert y.requires_grad and y.grad_fn.name() == name
            y.sum().backward()
            assert np.array_equal(m.grad.numpy(), np.zeros(3))
        with gt.no_grad():
            assert not fn(gt, gt.zeros(3, requires_grad=True)).requires_grad


# ------------------------------------------------------ in-place fills
INPLACE = [
    ("uniform_", lambda x: x.uniform_(), "UniformBackward0"),
    ("normal_", lambda x: x.normal_(), "NormalBackward0"),
    ("bernoulli_", lambda x: x.bernoulli_(0.5), "BernoulliBackward2"),
    ("bernoulli_tensor", lambda x: x.bernoulli_(x.detach() * 0 + 0.5), "BernoulliBackward1"),
    ("random_", lambda x: x.random_(), "RandomBackward2"),
    ("random_to", lambda x: x.random_(5), "RandomBackward1"),
    ("random_from_to", lambda x: x.random_(1, 5), "RandomBackward0"),
    ("exponential_", lambda x: x.exponential_(), "ExponentialBackward0"),
]
IP_FNS, IP_IDS = [(c[1], c[2]) for c in INPLACE], [c[0] for c in INPLACE]


@pytest.mark.parametrize("fn,node", IP_FNS, ids=IP_IDS)
def test_inplace_returns_self_and_bumps_version(fn, node):
    x = gt.zeros(2000)
    v = x._version.value
    assert fn(x) is x
    assert x._version.value == v + 1
    assert x.dtype == gt.float32 and np.any(x.numpy() != 0)


@pytest.mark.parametrize("fn,node", IP_FNS, ids=IP_IDS)
def test_inplace_on_leaf_requiring_grad_errors_like_torch(fn, node):
    for t in (gt, torch):
        x = t.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            fn(x)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            fn(x[:2])
        with t.no_grad():  # how nn.init uses them
            assert fn(x) is x
        assert x.requires_grad and x.is_leaf and x.grad_fn is None


@pytest.mark.parametrize("fn,node", IP_FNS, ids=IP_IDS)
def test_inplace_on_non_leaf_cuts_the_gradient_like_torch(fn, node):
    for t in (gt, torch):
        w = t.ones(3, requires_grad=True)
        y = w * 2
        fn(y)
        assert y.grad_fn.name() == node
        (y * 3).sum().backward()
        assert np.array_equal(w.grad.numpy(), np.zeros(3))


def test_inplace_on_non_contiguous_views():
    gt.manual_seed(11)
    base = gt.zeros(6, 8)
    view = base.t()[::2]  # non-contiguous
    for fn in (lambda v: v.normal_(), lambda v: v.uniform_(1, 2), lambda v: v.exponential_(),
               lambda v: v.bernoulli_(1.0), lambda v: v.random_(1, 9)):
        base.zero_()
        fn(view)
        arr = base.numpy()
        assert np.all(arr[:, 0::2] != 0) and np.all(arr[:, 1::2] == 0)
    h = gt.zeros(4, 4, dtype=gt.float16).t()
    h.uniform_()
    assert h.numpy().min() >= 0 and h.numpy().max() < 1 and h.dtype == gt.float16


def test_inplace_keeps_integer_dtypes():
    x = gt.zeros(1000, dtype=gt.int32)
    x.bernoulli_(0.5)
    assert x.dtype == gt.int32 and set(np.unique(x.numpy())) == {0, 1}
    x.random_(-3, 3)
    assert x.dtype == gt.int32 and x.numpy().min() == -3 and x.numpy().max() == 2


# ---------------------------------------------------------------- errors
# Each row: (id, fn(t), exception type, message pattern). torch must raise the same type.
ERRORS = [
    ("rand_negative", lambda t: t.rand(2, -3), RuntimeError, r"negative dimension -3"),
    ("randn_negative", lambda t: t.randn(-1), RuntimeError, r"negative dimension -1"),
    ("rand_float_size", lambda t: t.rand(2.0), TypeError, r"rand\(\)"),
    ("rand_no_size", lambda t: t.rand(), TypeError, r"rand\(\)"),
    ("rand_int_dtype", lambda t: t.rand(2, dtype=t.int64), NotImplementedError, r"not implemented for 'Long'"),
    ("randn_int_dtype", lambda t: t.randn(2, dtype=t.int32), NotImplementedError, r"not implemented for 'Int'"),
    ("rand_like_int", lambda t: t.rand_like(t.zeros(2, dtype=t.int64)), NotImplementedError, r"'Long'"),
    ("randint_high_le_low", lambda t: t.randint(5, 3, (2,)), RuntimeError, r"from=5 >= to=3"),
    ("randint_equal", lambda t: t.randint(5, 5, (2,)), RuntimeError, r"from=5 >= to=5"),
    ("randint_high_0", lambda t: t.randint(0, (2,)), RuntimeError, r"from=0 >= to=0"),
    ("randint_float_high", lambda t: t.randint(3.5, (2,)), TypeError, r"high"),
    ("randint_int_size", lambda t: t.randint(0, 3, 2), TypeError, r"randint\(\)"),
    ("randint_negative_size", lambda t: t.randint(0, 3, (-2,)), RuntimeError, r"negative dimension"),
    ("randint_bool_range", lambda t: t.randint(10, (2,), dtype=t.bool), RuntimeError, r"to - 1 is out of bounds"),
    ("randint_uint8_from", lambda t: t.randint(-1, 3, (2,), dtype=t.uint8), RuntimeError,
     r"from is out of bounds for unsigned char"),
    ("randint_overflow", lambda t: t.randint(-2**63, 2**63, (3,)), ValueError, r"Overflow"),
    ("randint_grad_int", lambda t: t.randint(3, (2,), requires_grad=True), RuntimeError, r"floating point"),
    ("randint_like_bad", lambda t: t.randint_like(t.zeros(2), 5, 3), RuntimeError, r"from=5 >= to=3"),
    ("randperm_negative", lambda t: t.randperm(-1), RuntimeError, r"negative dimension -1"),
    ("randperm_float", lambda t: t.randperm(2.0), TypeError, r"randperm\(\)"),
    ("randperm_bool", lambda t: t.randperm(3, dtype=t.bool), NotImplementedError, r"'Bool'"),
    ("randperm_uint8", lambda t: t.randperm(300, dtype=t.uint8), RuntimeError, r"uint8_t without overflow"),
    ("randperm_half", lambda t: t.randperm(3000, dtype=t.float16), RuntimeError, r"2049 for Half"),
    ("normal_neg_std", lambda t: t.normal(0.0, -1.0, (2,)), RuntimeError, r"std >= 0.0, but found std -1"),
    ("normal_neg_std_t", lambda t: t.normal(t.zeros(2), -1.0), RuntimeError, r"std >= 0.0"),
    ("normal_neg_std_tensor", lambda t: t.normal(t.zeros(2), t.tensor([1.0, -1.0])), RuntimeError,
     r"all elements of std >= 0.0"),
    ("normal_no_size", lambda t: t.normal(0.0, 1.0), TypeError, r"normal\(\)"),
    ("normal_size_with_tensor", lambda t: t.normal(t.zeros(2), 1.0, size=(3,)), TypeError, r"normal\(\)"),
    ("normal_bad_broadcast", lambda t: t.normal(t.zeros(2), t.ones(3)), RuntimeError,
     r"size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
    ("normal_int_mean", lambda t: t.normal(t.zeros(2, dtype=t.int64), 1.0), NotImplementedError, r"'Long'"),
    ("bernoulli_p_above_1", lambda t: t.bernoulli(t.tensor([0.5, 1.5])), RuntimeError, r"p_in >= 0 && p_in <= 1"),
    ("bernoulli_p_negative", lambda t: t.bernoulli(t.tensor([-0.5])), RuntimeError, r"p_in >= 0"),
    ("bernoulli_p_nan", lambda t: t.bernoulli(t.tensor([float("nan")])), RuntimeError, r"p_in >= 0"),
    ("bernoulli_int", lambda t: t.bernoulli(t.tensor([1, 0])), NotImplementedError, r"'Long'"),
    ("bernoulli_float_p", lambda t: t.bernoulli(t.zeros(2), 2.0), RuntimeError, r"p to be in \[0, 1\], but got p=2"),
    ("bernoulli_tensor_p", lambda t: t.bernoulli(t.zeros(2), t.ones(2)), TypeError, r"bernoulli\(\)"),
    ("multinomial_too_many", lambda t: t.multinomial(t.tensor([1.0, 2.0]), 3), RuntimeError,
     r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement"),
    ("multinomial_negative", lambda t: t.multinomial(t.tensor([1.0, -1.0, 2.0]), 1), RuntimeError,
     r"`inf`, `nan` or element < 0"),
    ("multinomial_inf", lambda t: t.multinomial(t.tensor([1.0, float("inf")]), 1, True), RuntimeError,
     r"`inf`, `nan` or element < 0"),
    ("multinomial_nan", lambda t: t.multinomial(t.tensor([[1.0, 1.0], [float("nan"), 1.0]]), 1), RuntimeError,
     r"`inf`, `nan` or element < 0"),
    ("multinomial_zero_row", lambda t: t.multinomial(t.tensor([[1.0, 1.0], [0.0, 0.0]]), 1), RuntimeError,
     r"sum of probabilities <= 0"),
    ("multinomial_zero_repl", lambda t: t.multinomial(t.zeros(3), 2, True), RuntimeError,
     r"sum of probabilities <= 0"),
    ("multinomial_n_zero", lambda t: t.multinomial(t.ones(2), 0), RuntimeError, r"n_sample <= 0"),
    ("multinomial_0d", lambda t: t.multinomial(t.tensor(1.0), 1), RuntimeError, r"prob_dist must be 1 or 2 dim"),
    ("multinomial_3d", lambda t: t.multinomial(t.ones(2, 2, 2), 1), RuntimeError, r"1 or 2 dim"),
    ("multinomial_int", lambda t: t.multinomial(t.tensor([1, 2]), 1), RuntimeError,
     r"floating-point dtypes for input, got: Long"),
    ("multinomial_float_n", lambda t: t.multinomial(t.ones(2), 1.5), TypeError, r"num_samples"),
    ("poisson_negative", lambda t: t.poisson(t.tensor([-1.0])), RuntimeError, r"non-negative"),
    ("poisson_int", lambda t: t.poisson(t.tensor([1, 2])), NotImplementedError, r"'Long'"),
    ("uniform_reversed", lambda t: t.zeros(3).uniform_(2, 1), RuntimeError, r"from=2 > to=1"),
    ("uniform_int", lambda t: t.zeros(3, dtype=t.int64).uniform_(), NotImplementedError, r"'Long'"),
    ("normal__neg_std", lambda t: t.zeros(3).normal_(0, -1), RuntimeError, r"found std -1"),
    ("normal__int", lambda t: t.zeros(3, dtype=t.int64).normal_(), NotImplementedError, r"'Long'"),
    ("exponential_zero", lambda t: t.zeros(3).exponential_(0), RuntimeError, r"lambda > 0.0, but found lambda=0"),
    ("exponential_int", lambda t: t.zeros(3, dtype=t.int64).exponential_(), RuntimeError,
     r"dtype must be a floating point but you specified Long"),
    ("bernoulli__p", lambda t: t.zeros(3).bernoulli_(1.5), RuntimeError, r"got p=1.5"),
    ("bernoulli__tensor_range", lambda t: t.zeros(3).bernoulli_(t.tensor([0.5, 2.0, 0.0])), RuntimeError,
     r"p_in <= 1"),
    ("bernoulli__shape", lambda t: t.zeros(3).bernoulli_(t.tensor([0.5, 1.0])), RuntimeError,
     r"expanded size of the tensor \(3\) must match the existing size \(2\)"),
    ("random__reversed", lambda t: t.zeros(3).random_(5, 2), RuntimeError, r"from=5 >= to=2"),
    ("random__zero", lambda t: t.zeros(3).random_(0), RuntimeError, r"from=0 >= to=0"),
    ("random__int32_bound", lambda t: t.zeros(3, dtype=t.int32).random_(2**40), RuntimeError,
     r"to - 1 is out of bounds for int"),
    ("random__uint8_from", lambda t: t.zeros(3, dtype=t.uint8).random_(-5, 0), RuntimeError,
     r"from is out of bounds for unsigned char"),
    ("random__half_bound", lambda t: t.zeros(3, dtype=t.float16).random_(2**40), RuntimeError,
     r"out of bounds for c10::Half"),
    ("inplace_expanded", lambda t: t.zeros(3).expand(2, 3).normal_(), RuntimeError,
     r"more than one element of the written-to tensor refers to a single memory location"),
    ("manual_seed_overflow", lambda t: t.manual_seed(2**64), ValueError, r"Overflow"),
]


@pytest.mark.parametrize("fn,exc,pattern", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors_like_torch(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn(gt)
    with pytest.raises(exc):
        fn(torch)


def test_out_argument_like_torch():
    # (call, shape of out): an empty out is resized silently; torch's normal(Tensor, ...) wants the shape.
    for fn, shape in [(lambda t, o: t.rand(2, 3, out=o), 0), (lambda t, o: t.randn(4, out=o), 0),
                      (lambda t, o: t.randint(5, (4,), out=o), 0), (lambda t, o: t.randperm(5, out=o), 0),
                      (lambda t, o: t.normal(0.0, 1.0, (3,), out=o), 0),
                      (lambda t, o: t.normal(t.zeros(2), 1.0, out=o), 2),
                      (lambda t, o: t.multinomial(t.ones(3), 2, out=o), 0)]:
        for dtype in ("float64", "int32"):
            results = []
            for t in (gt, torch):
                o = t.zeros(shape, dtype=getattr(t, dtype))
                try:
                    r = fn(t, o)
                except (RuntimeError, NotImplementedError) as e:
                    results.append(type(e))
                    continue
                v = o._version.value if t is gt else o._version
                assert r is o and v > 0
                results.append((tuple(o.shape), str(o.dtype).split(".")[-1]))
            assert results[0] == results[1]
