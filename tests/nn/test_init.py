"""nn.init against torch.

glasstorch's generator is not torch's, so random inits cannot match number for
number. Each distribution is instead tested statistically on a large tensor:
its sample moments and bounds against the theory, a one-sample
Kolmogorov-Smirnov test against the theoretical CDF, and a two-sample KS test
against torch's own init of the same shape. Seeds are fixed, so the tests are
deterministic; the thresholds are the KS critical values at p = 1e-4.
"""
import math
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt

N_BIG = 200_000
KS_ONE = 2.23 / math.sqrt(N_BIG)       # one-sample critical value, p = 1e-4


def _ks_two_critical(n: int, m: int) -> float:
    return 2.23 * math.sqrt((n + m) / (n * m))  # p = 1e-4


def _ks_two(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    both = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, both, "right") / a.size - np.searchsorted(b, both, "right") / b.size).max())


def _ks_one(a: np.ndarray, cdf) -> float:
    a = np.sort(a.ravel()).astype(np.float64)
    n = a.size
    f = cdf(a)
    return float(max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max()))


_erf = np.vectorize(math.erf)


def _phi(z):
    return 0.5 * (1 + _erf(np.asarray(z) / math.sqrt(2)))


def _pdf(z):
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _uniform(lo, hi):
    return dict(cdf=lambda x: np.clip((x - lo) / (hi - lo), 0, 1), mean=(lo + hi) / 2, std=(hi - lo) / math.sqrt(12),
                lo=lo, hi=hi)


def _normal(mean, std):
    return dict(cdf=lambda x: _phi((x - mean) / std), mean=mean, std=std, lo=-math.inf, hi=math.inf)


def _trunc(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    z = float(_phi(be) - _phi(al))
    m = mean + std * (_pdf(al) - _pdf(be)) / z
    var = std ** 2 * (1 + (al * _pdf(al) - be * _pdf(be)) / z - ((_pdf(al) - _pdf(be)) / z) ** 2)
    return dict(cdf=lambda x: np.clip((_phi((x - mean) / std) - _phi(al)) / z, 0, 1), mean=m, std=math.sqrt(var),
                lo=a, hi=b)


SHAPE = (400, 500)
CONV = (50, 40, 10, 10)  # fan_in = 4000, fan_out = 5000
SQ3 = math.sqrt(3)

# (id, init call (works for both frameworks' nn.init), shape, theory)
DISTRIBUTIONS = [
    ("uniform_default", lambda i, w: i.uniform_(w), SHAPE, _uniform(0, 1)),
    ("uniform", lambda i, w: i.uniform_(w, -0.3, 0.7), SHAPE, _uniform(-0.3, 0.7)),
    ("normal_default", lambda i, w: i.normal_(w), SHAPE, _normal(0, 1)),
    ("normal", lambda i, w: i.normal_(w, 0.5, 0.02), SHAPE, _normal(0.5, 0.02)),
    ("xavier_uniform", lambda i, w: i.xavier_uniform_(w), SHAPE, _uniform(-math.sqrt(6 / 900), math.sqrt(6 / 900))),
    ("xavier_uniform_gain", lambda i, w: i.xavier_uniform_(w, gain=i.calculate_gain("tanh")), CONV,
     _uniform(-5 / 3 * math.sqrt(6 / 9000), 5 / 3 * math.sqrt(6 / 9000))),
    ("xavier_normal", lambda i, w: i.xavier_normal_(w), SHAPE, _normal(0, math.sqrt(2 / 900))),
    ("xavier_normal_gain", lambda i, w: i.xavier_normal_(w, gain=2.5), CONV, _normal(0, 2.5 * math.sqrt(2 / 9000))),
    ("kaiming_uniform_default", lambda i, w: i.kaiming_uniform_(w), SHAPE,
     _uniform(-SQ3 * math.sqrt(2) / math.sqrt(500), SQ3 * math.sqrt(2) / math.sqrt(500))),  # a=0: the gain of relu
    ("kaiming_uniform_linear_layer", lambda i, w: i.kaiming_uniform_(w, a=math.sqrt(5)), SHAPE,
     _uniform(-1 / math.sqrt(500), 1 / math.sqrt(500))),  # what nn.Linear uses: bound 1/sqrt(fan_in)
    ("kaiming_uniform_fan_out_relu", lambda i, w: i.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"), CONV,
     _uniform(-SQ3 * math.sqrt(2) / math.sqrt(5000), SQ3 * math.sqrt(2) / math.sqrt(5000))),
    ("kaiming_normal_default", lambda i, w: i.kaiming_normal_(w), SHAPE,
     _normal(0, math.sqrt(2) / math.sqrt(500))),
    ("kaiming_normal_fan_out_relu", lambda i, w: i.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"), CONV,
     _normal(0, math.sqrt(2) / math.sqrt(5000))),
    ("kaiming_normal_leaky", lambda i, w: i.kaiming_normal_(w, a=0.2, mode="fan_in"), CONV,
     _normal(0, math.sqrt(2 / 1.04) / math.sqrt(4000))),
    ("trunc_normal_default", lambda i, w: i.trunc_normal_(w), SHAPE, _trunc(0, 1, -2, 2)),
    ("trunc_normal_vit", lambda i, w: i.trunc_normal_(w, std=0.02, a=-0.04, b=0.04), SHAPE,
     _trunc(0, 0.02, -0.04, 0.04)),
    # torch's sampler is slow in these two (little mass in [a, b]): a smaller torch sample
    ("trunc_normal_narrow", lambda i, w: i.trunc_normal_(w, 0.0, 1.0, -0.5, 0.5), SHAPE,
     dict(_trunc(0, 1, -0.5, 0.5), torch_shape=(100, 200))),
    ("trunc_normal_tail", lambda i, w: i.trunc_normal_(w, 0.0, 1.0, 1.5, 3.0), SHAPE,
     dict(_trunc(0, 1, 1.5, 3.0), torch_shape=(100, 200))),
    ("trunc_normal_shifted", lambda i, w: i.trunc_normal_(w, 1.0, 2.0, -1.0, 4.0), SHAPE, _trunc(1, 2, -1, 4)),
]


@pytest.mark.parametrize("name,init,shape,theory", DISTRIBUTIONS, ids=[d[0] for d in DISTRIBUTIONS])
def test_distribution(name, init, shape, theory):
    gt.manual_seed(1)
    torch.manual_seed(1)
    ours = gt.empty(*shape)
    returned = init(gt.nn.init, ours)
    assert returned is ours and ours.dtype == gt.float32
    theirs = init(torch.nn.init, torch.empty(*theory.get("torch_shape", shape))).numpy()
    a = ours.numpy()
    n = a.size
    assert n == N_BIG
    # moments against the theory
    assert abs(a.mean() - theory["mean"]) < 5 * theory["std"] / math.sqrt(n), (a.mean(), theory["mean"])
    assert abs(a.std() / theory["std"] - 1) < 0.01, (a.std(), theory["std"])
    # bounds: inside, and (for bounded distributions) reaching close to them, like torch's
    assert a.min() >= theory["lo"] and a.max() <= theory["hi"]
    if math.isfinite(theory["lo"]):
        width = theory["hi"] - theory["lo"]
        assert a.min() - theory["lo"] < 1e-3 * width and theory["hi"] - a.max() < 1e-3 * width
        assert abs(a.min() - theirs.min()) < 1e-2 * width and abs(a.max() - theirs.max()) < 1e-2 * width
    # the whole distribution: against the theoretical CDF and against torch's sample
    assert _ks_one(a, theory["cdf"]) < KS_ONE
    assert _ks_two(a, theirs) < _ks_two_critical(a.size, theirs.size)
    assert _ks_one(theirs, theory["cdf"]) < 2.23 / math.sqrt(theirs.size)  # the theory is torch's


@pytest.mark.parametrize("shape,gain", [((200, 250), 1.0), ((250, 200), 1.0), ((150, 150), 2.0), ((20, 6, 5, 5), 0.5),
                                        ((150, 2, 3), 1.0)])
def test_orthogonal(shape, gain):
    gt.manual_seed(0)
    w = gt.empty(*shape, dtype=gt.float64)
    assert gt.nn.init.orthogonal_(w, gain=gain) is w
    q = w.numpy().reshape(shape[0], -1)
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-10)
    # the entries are distributed like torch's (Haar-uniform Q: random signs, not biased by the QR convention)
    torch.manual_seed(0)
    t = torch.nn.init.orthogonal_(torch.empty(*shape, dtype=torch.float64), gain=gain).numpy()
    if q.size >= 20_000:
        assert _ks_two(q, t) < _ks_two_critical(q.size, t.size)
    assert abs(q.mean()) < 5 * gain / math.sqrt(max(rows, cols)) / math.sqrt(q.size)
    np.testing.assert_allclose(q.std(), t.std(), rtol=0.02)


def test_orthogonal_diagonal_signs_uniform():
    # Without the sign fix of QR, the diagonal of a square Q would be biased positive.
    gt.manual_seed(0)
    w = gt.nn.init.orthogonal_(gt.empty(200, 200, dtype=gt.float64)).numpy()
    assert abs((np.diag(w) > 0).mean() - 0.5) < 0.15


def test_orthogonal_float32():
    w = gt.nn.init.orthogonal_(gt.empty(64, 32))
    assert w.dtype == gt.float32
    np.testing.assert_allclose(w.numpy().T @ w.numpy(), np.eye(32), atol=1e-5)


def test_sparse():
    gt.manual_seed(0)
    w = gt.nn.init.sparse_(gt.empty(50, 400), sparsity=0.3, std=0.5).numpy()
    zeros_per_column = (w == 0).sum(axis=0)
    assert (zeros_per_column == math.ceil(0.3 * 50)).all()
    nonzero = w[w != 0]
    assert abs(nonzero.std() / 0.5 - 1) < 0.02
    rows_hit = (w == 0).mean(axis=1)  # every row is zeroed about 30% of the time
    assert abs(rows_hit.mean() - 0.3) < 1e-9 and rows_hit.min() > 0.15 and rows_hit.max() < 0.45


# ------------------------------------------------------------------ deterministic inits: exactly torch's
@pytest.mark.parametrize("call", [
    lambda i, w: i.constant_(w, 0.3),
    lambda i, w: i.constant_(w, -2),
    lambda i, w: i.zeros_(w),
    lambda i, w: i.ones_(w),
], ids=["constant", "constant_int", "zeros", "ones"])
@pytest.mark.parametrize("shape", [(3, 5), (7,), (), (2, 3, 4)])
def test_fill(call, shape):
    ours = call(gt.nn.init, gt.empty(shape))
    theirs = call(torch.nn.init, torch.empty(shape))
    assert ours.dtype == gt.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 6), (0, 3)])
def test_eye(shape):
    np.testing.assert_array_equal(gt.nn.init.eye_(gt.empty(*shape)).numpy(),
                                  torch.nn.init.eye_(torch.empty(*shape)).numpy())


@pytest.mark.parametrize("shape,groups", [((3, 16, 5, 5), 1), ((6, 4, 3, 3), 2), ((3, 24, 5, 5), 3),
                                          ((8, 3, 4), 1), ((4, 4, 3, 3, 3), 2), ((5, 2, 4, 4), 1)])
def test_dirac(shape, groups):
    ours = gt.nn.init.dirac_(gt.randn(*shape), groups)
    theirs = torch.nn.init.dirac_(torch.randn(*shape), groups)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ------------------------------------------------------------------ gains and fans
GAIN_CASES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
              ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
              ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", 0),
              ("leaky_relu", math.sqrt(5)), ("selu", None), ("tanh", 3)]


@pytest.mark.parametrize("nonlinearity,param", GAIN_CASES)
def test_calculate_gain(nonlinearity, param):
    ours = gt.nn.init.calculate_gain(nonlinearity, param)
    theirs = torch.nn.init.calculate_gain(nonlinearity, param)
    assert ours == theirs and type(ours) is type(theirs)


def test_calculate_gain_errors():
    for bad in (True, "0.1", [0.1]):
        for i in (torch.nn.init, gt.nn.init):
            with pytest.raises(ValueError, match="negative_slope .* not a valid number"):
                i.calculate_gain("leaky_relu", bad)
    for i in (torch.nn.init, gt.nn.init):
        with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
            i.calculate_gain("gelu")


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (16, 3, 3, 3), (8, 4, 5), (2, 3, 4, 5, 6), (4, 0), (0, 4, 3),
                                   (6, 1, 1, 1)])
def test_fans(shape):
    ours = gt.nn.init._calculate_fan_in_and_fan_out(gt.empty(*shape))
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert ours == theirs
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert gt.nn.init._calculate_correct_fan(gt.empty(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(*shape), mode)


@pytest.mark.parametrize("shape", [(5,), ()])
def test_fan_errors(shape):
    msg = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
    for t in (torch, gt):
        for fn in (t.nn.init._calculate_fan_in_and_fan_out, t.nn.init.xavier_uniform_, t.nn.init.xavier_normal_,
                   t.nn.init.kaiming_uniform_, t.nn.init.kaiming_normal_):
            with pytest.raises(ValueError, match=msg):
                fn(t.empty(shape))


def test_init_errors():
    for t in (torch, gt):
        i = t.nn.init
        with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
            i.kaiming_uniform_(t.empty(3, 4), mode="fan_avg")
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
            i.eye_(t.empty(3, 4, 5))
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
            i.sparse_(t.empty(3), 0.1)
        with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
            i.dirac_(t.empty(3, 4))
        with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
            i.dirac_(t.empty(5, 4, 3, 3), groups=2)
        with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
            i.orthogonal_(t.empty(5))
        with pytest.raises(ValueError, match="Unsupported nonlinearity"):
            i.kaiming_normal_(t.empty(3, 4), nonlinearity="swish")


def test_zero_element_tensors():
    for t in (torch, gt):
        for fn in (t.nn.init.kaiming_uniform_, t.nn.init.kaiming_normal_):
            w = t.empty(0, 3)
            with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
                assert fn(w) is w
        w = t.empty(0, 3)
        assert t.nn.init.orthogonal_(w) is w
        assert t.nn.init.xavier_uniform_(t.empty(0, 3)).shape == (0, 3)


def test_trunc_normal_warns_far_mean():
    for t in (torch, gt):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            t.nn.init.trunc_normal_(t.empty(100), mean=5.0, std=1.0, a=-1.0, b=1.0)


def test_deprecated_aliases():
    for t in (torch, gt):
        with pytest.warns(FutureWarning, match="nn.init.uniform` is now deprecated in favor of `nn.init.uniform_`"):
            t.nn.init.uniform(t.empty(3))


# ------------------------------------------------------------------ in place, no grad, dtypes, seeds
ALL_RANDOM = [
    lambda i, w: i.uniform_(w), lambda i, w: i.normal_(w), lambda i, w: i.trunc_normal_(w),
    lambda i, w: i.xavier_uniform_(w), lambda i, w: i.xavier_normal_(w), lambda i, w: i.kaiming_uniform_(w),
    lambda i, w: i.kaiming_normal_(w), lambda i, w: i.orthogonal_(w), lambda i, w: i.sparse_(w, 0.5),
    lambda i, w: i.trunc_normal_(w, a=1.5, b=3.0),
]
ALL_INITS = ALL_RANDOM + [lambda i, w: i.constant_(w, 2.0), lambda i, w: i.zeros_(w), lambda i, w: i.ones_(w),
                          lambda i, w: i.eye_(w)]


@pytest.mark.parametrize("k", range(len(ALL_INITS)))
def test_in_place_on_parameter(k):
    p = gt.nn.Parameter(gt.zeros(6, 4))
    data = p._data
    version = p._version.value
    out = ALL_INITS[k](gt.nn.init, p)
    assert out is p and p._data is data  # in place
    assert p.requires_grad and p.grad_fn is None and p.is_leaf  # still a leaf: no graph was recorded
    assert p._version.value > version
    assert p.dtype == gt.float32


@pytest.mark.parametrize("k", range(len(ALL_INITS)))
def test_float64_preserved(k):
    w = gt.zeros(8, 5, dtype=gt.float64)
    ALL_INITS[k](gt.nn.init, w)
    assert w.dtype == gt.float64


@pytest.mark.parametrize("k", range(len(ALL_INITS)))
def test_view_writes_through(k):
    base = gt.zeros(10, 4)
    ALL_INITS[k](gt.nn.init, base[2:8])
    assert (base.numpy()[:2] == 0).all() and (base.numpy()[8:] == 0).all()


@pytest.mark.parametrize("k", range(len(ALL_RANDOM)))
def test_reproducible_under_manual_seed(k):
    init = ALL_RANDOM[k]
    gt.manual_seed(123)
    a = init(gt.nn.init, gt.empty(40, 30)).numpy().copy()
    b = init(gt.nn.init, gt.empty(40, 30)).numpy().copy()
    gt.manual_seed(123)
    c = init(gt.nn.init, gt.empty(40, 30)).numpy().copy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("name,args", [("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()),
                                       ("xavier_uniform_", ()), ("xavier_normal_", ()), ("kaiming_uniform_", ()),
                                       ("kaiming_normal_", ()), ("orthogonal_", ()), ("sparse_", (0.2,))])
def test_generator_argument(name, args):
    fn = getattr(gt.nn.init, name)
    state = gt.get_rng_state()
    a = fn(gt.empty(30, 20), *args, generator=gt.Generator().manual_seed(7)).numpy().copy()
    b = fn(gt.empty(30, 20), *args, generator=gt.Generator().manual_seed(7)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    if name != "sparse_":  # sparse_ shuffles rows with the global generator, as torch's randperm does
        assert gt.get_rng_state().numpy().tolist() == state.numpy().tolist()  # the global generator is untouched


def test_global_seed_shared_with_other_random_ops():
    gt.manual_seed(5)
    w1 = gt.nn.init.kaiming_uniform_(gt.empty(8, 8), a=math.sqrt(5)).numpy().copy()
    r1 = gt.rand(3).numpy().copy()
    gt.manual_seed(5)
    w2 = gt.nn.init.kaiming_uniform_(gt.empty(8, 8), a=math.sqrt(5)).numpy().copy()
    r2 = gt.rand(3).numpy().copy()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(r1, r2)


def test_no_warnings_on_regular_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gt.nn.init.trunc_normal_(gt.empty(50, 50), std=0.02)
        gt.nn.init.kaiming_uniform_(gt.empty(5, 5))
