"""The compiled kernels (glasstorch/_compiled), forced on small inputs and checked against torch.

Ops hand large float arrays to Numba-compiled kernels; the parity tables use small arrays,
where they stay in NumPy. Here the size threshold is lowered to zero so that the kernels
run on every row of the conv, average-pooling and sigmoid tables (float64: the convolution
and pooling kernels are compiled for float32 and float64), and float32, where the sigmoid
kernel runs, is checked on its own. Numba is part of the test environment: without it these tests fail, not skip.
"""
import warnings

import numba  # noqa: F401  (fails the module, loudly, when the optional extra is missing)
import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch import _compiled, _parallel
from glasstorch.ops import conv as gconv
from glasstorch.ops import elementwise
from harness import check, table

CASES = (table("nn/test_conv.py") + table("nn/test_pooling.py", lambda c: "avg" in c.name)
         + table("ops/test_elementwise.py", lambda c: c.name.split("_")[0] == "sigmoid")
         + table("nn/test_activation.py", lambda c: c.name.split("_")[0] == "sigmoid"))


@pytest.fixture
def forced_kernels(monkeypatch):
    """The kernels from the smallest arrays on, split over three threads (an odd split)."""
    monkeypatch.setattr(_parallel, "_MIN_PER_THREAD", 1)
    before = _parallel.get_num_threads()
    _parallel.set_num_threads(3)
    with _compiled.use(True, threshold=0):
        yield
    _parallel.set_num_threads(before)


def test_kernels_are_available():
    assert _compiled.enabled()
    with _compiled.use(False):
        assert not _compiled.enabled() and _compiled.get() is None


def test_conv_table_uses_the_kernel(forced_kernels, monkeypatch):
    """Guards the test below: most conv rows really run the direct kernel."""
    calls = []
    real = gconv._direct_kernels

    def spy(*args):
        kernels = real(*args)
        calls.append(kernels is not None)
        return kernels

    monkeypatch.setattr(gconv, "_direct_kernels", spy)
    for case in table("nn/test_conv.py"):
        check(case)
    assert sum(calls) >= 100


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_table_with_kernels(forced_kernels, case):
    check(case)


def _sigmoid_inputs() -> np.ndarray:
    rng = np.random.default_rng(0)
    specials = [0.0, -0.0, 1e-8, -1e-8, 15.0, 17.0, 30.0, -30.0, 87.0, -87.0, -87.5, -88.0, -90.0, -103.0,
                -104.0, -150.0, -200.0, 88.8, 89.0, 1e30, -1e30, np.inf, -np.inf, np.nan]
    return np.concatenate([rng.standard_normal(5000) * 10, np.linspace(-110, 110, 20001), specials])


def test_sigmoid_float32_against_torch_and_exact(forced_kernels):
    x = _sigmoid_inputs().astype(np.float32)
    ours = gt.sigmoid(gt.tensor(x)).numpy()
    theirs = torch.sigmoid(torch.tensor(x)).numpy()
    assert ours.dtype == np.float32
    # torch flushes results below float32's normal range (about 1.2e-38) to zero; we keep them.
    np.testing.assert_allclose(ours, theirs, rtol=4e-7, atol=2e-38, equal_nan=True)
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    normal = exact > 1.2e-38
    np.testing.assert_allclose(ours[normal], exact[normal], rtol=4e-7)
    assert np.all(ours[~normal & ~np.isnan(x)] <= 1.2e-38) and np.isnan(ours[np.isnan(x)]).all()
    assert ours[x == np.inf][0] == 1 and ours[x == -np.inf][0] == 0


def test_sigmoid_kernel_matches_numpy_path():
    """The kernel and the NumPy twin it replaces agree to a few ulp, at full size and by default."""
    x = (_sigmoid_inputs() * np.float32(1.0)).astype(np.float32)
    x = np.tile(x, 2)  # above the default size threshold
    assert x.size >= _compiled.min_size() and elementwise._sigmoid_kernel(x) is not None
    with _compiled.use(True):
        compiled = gt.sigmoid(gt.tensor(x)).numpy()
    with _compiled.use(False):
        assert elementwise._sigmoid_kernel(x) is None
        plain = gt.sigmoid(gt.tensor(x)).numpy()
    np.testing.assert_allclose(compiled, plain, rtol=4e-7, atol=2e-38, equal_nan=True)


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (5,), (2, 3, 4)])
def test_sigmoid_float32_shapes_and_grad(forced_kernels, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32) * 4
    g = rng.standard_normal(shape).astype(np.float32)
    ours = gt.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out_o, out_t = gt.sigmoid(ours), torch.sigmoid(theirs)
    out_o.backward(gt.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=4e-7, atol=1e-7)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=2e-6, atol=1e-7)
    assert out_o.dtype == gt.float32 and ours.grad.dtype == gt.float32


def test_sigmoid_non_contiguous_uses_numpy(forced_kernels):
    x = np.random.default_rng(2).standard_normal((40, 30)).astype(np.float32).T
    assert elementwise._sigmoid_kernel(x) is None
    np.testing.assert_allclose(gt.sigmoid(gt.tensor(x)).numpy(), torch.sigmoid(torch.tensor(x)).numpy(), rtol=4e-7)


@pytest.mark.parametrize("out_channels", [1, 6, 16, 17])
@pytest.mark.parametrize("padding", [0, 2, "same"])
def test_conv2d_float32_lenet_sizes(out_channels, padding):
    """At full size and default settings, float32, LeNet-like layers: forward and gradients."""
    rng = np.random.default_rng(out_channels)
    x = rng.standard_normal((64, 3, 20, 19)).astype(np.float32)
    w = (rng.standard_normal((out_channels, 3, 5, 4)) * 0.2).astype(np.float32)
    b = rng.standard_normal(out_channels).astype(np.float32)
    g = None
    results = []
    for t in (gt, torch):
        xs, ws, bs = (t.tensor(a, requires_grad=True) for a in (x, w, b))
        y = t.nn.functional.conv2d(xs, ws, bs, padding=padding)
        g = rng.standard_normal(tuple(y.shape)).astype(np.float32) if g is None else g
        y.backward(t.tensor(g))
        results.append([a.detach().numpy() for a in (y, xs.grad, ws.grad, bs.grad)])
    for ours, theirs in zip(*results):
        assert ours.dtype == np.float32
        # float32 sums of up to 16,384 terms: errors grow with the size of the values.
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(theirs).max()))
    geometry = gconv._Geometry(2, (20, 19), (16, 16), (5, 4), (1, 1), (0, 0), (0, 0), (1, 1), 1)
    direct = gconv._direct_kernels(x, w, out_channels, geometry)
    assert (direct is not None) == (out_channels <= gconv._DIRECT_MAX_CHANNELS)


def test_conv2d_kernels_match_numpy_path():
    """Forward and both gradients, float32 at full size, with the kernels on and off."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 2, 28, 28)).astype(np.float32)
    g = rng.standard_normal((200, 6, 28, 28)).astype(np.float32)
    conv = gt.nn.Conv2d(2, 6, 5, padding=2)
    results = []
    for flag in (True, False):
        with _compiled.use(flag):
            xs = gt.tensor(x, requires_grad=True)
            conv.zero_grad()
            conv(xs).backward(gt.tensor(g))
            with gt.no_grad():
                results.append([conv(xs).numpy(), xs.grad.numpy(), conv.weight.grad.numpy(), conv.bias.grad.numpy()])
    for compiled, plain in zip(*results):
        np.testing.assert_allclose(compiled, plain, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(plain).max()))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=(2, 3), stride=1, ceil_mode=True)])
def test_avg_pool_float32_at_size(kwargs):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 6, 28, 27)).astype(np.float32)
    g = None
    results = []
    for t in (gt, torch):
        xs = t.tensor(x, requires_grad=True)
        y = t.nn.functional.avg_pool2d(xs, **kwargs)
        g = rng.standard_normal(tuple(y.shape)).astype(np.float32) if g is None else g
        y.backward(t.tensor(g))
        results.append([y.detach().numpy(), xs.grad.numpy()])
    for ours, theirs in zip(*results):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(4, 4, 32, 32), (16, 1024)])
def test_float16_stays_on_numpy(forced_kernels, shape):
    """Numba has no float16 arithmetic: float16 pooling and convolution run on NumPy, as torch computes them."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype(np.float16)
    if len(shape) == 4:
        ours = gt.nn.functional.avg_pool2d(gt.tensor(x), 2).numpy()
        theirs = torch.nn.functional.avg_pool2d(torch.tensor(x), 2).numpy()
        w = rng.standard_normal((3, 4, 3, 3)).astype(np.float16)
        conv = gt.nn.functional.conv2d(gt.tensor(x), gt.tensor(w)).numpy()
        np.testing.assert_allclose(conv, torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w)).numpy(),
                                   rtol=2e-2, atol=5e-2)
        assert conv.dtype == np.float16
    else:
        ours = gt.nn.functional.avg_pool1d(gt.tensor(x)[:, None], 2).numpy()
        theirs = torch.nn.functional.avg_pool1d(torch.tensor(x)[:, None], 2).numpy()
    assert ours.dtype == np.float16
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-3)


def test_wide_kernels_stay_on_im2col():
    """A kernel nearly as wide as the input would make the direct kernel compute mostly thrown-away positions."""
    x, w = np.zeros((64, 4, 64, 64), np.float32), np.zeros((4, 4, 1, 61), np.float32)
    wide = gconv._Geometry(2, (64, 64), (64, 4), (1, 61), (1, 1), (0, 0), (0, 0), (1, 1), 1)
    narrow = gconv._Geometry(2, (64, 64), (64, 60), (1, 5), (1, 1), (0, 0), (0, 0), (1, 1), 1)
    assert gconv._direct_kernels(x, w, 4, wide) is None
    assert gconv._direct_kernels(x, w, 4, narrow) is not None


def _kernels_fail_to_import(monkeypatch, error: Exception) -> None:
    """From now on (until monkeypatch undoes it), importing glasstorch._compiled.kernels raises ``error``."""
    import builtins
    real_import = builtins.__import__

    def failing(name, globals=None, locals=None, fromlist=(), level=0):
        if level and fromlist and "kernels" in fromlist:
            raise error
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(_compiled, "_kernels", None)
    monkeypatch.setattr(builtins, "__import__", failing)


def test_unusable_numba_falls_back_with_a_warning(monkeypatch):
    """Numba installed but failing at import (e.g. nowhere to cache compiled code): a warning, then NumPy."""
    _kernels_fail_to_import(monkeypatch, RuntimeError("cannot cache function: no locator available"))
    with pytest.warns(RuntimeWarning, match="compiled kernels are off"):
        assert _compiled.get() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _compiled.get() is None  # decided once: no second attempt, no second warning
    x = np.random.default_rng(7).standard_normal(100_000).astype(np.float32)
    np.testing.assert_allclose(gt.sigmoid(gt.tensor(x)).numpy(), torch.sigmoid(torch.tensor(x)).numpy(), rtol=4e-7)


def test_fallback_without_numba(monkeypatch):
    """With Numba missing (an import error), ops run on NumPy alone and give the same results."""
    _kernels_fail_to_import(monkeypatch, ImportError("No module named 'numba'"))
    assert not _compiled.enabled() and _compiled.get() is None
    rng = np.random.default_rng(4)
    x = rng.standard_normal((100, 1, 28, 28)).astype(np.float32)
    w = rng.standard_normal((6, 1, 5, 5)).astype(np.float32)
    with gt.no_grad():
        ours = gt.sigmoid(gt.nn.functional.conv2d(gt.tensor(x), gt.tensor(w), padding=2)).numpy()
    theirs = torch.sigmoid(torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=2)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    monkeypatch.undo()
    assert _compiled.enabled()


def _awkward_floats(rng, n, dtype):
    """Values over 60 binary orders of magnitude, with zeros, -0.0, NaN, +-Inf and subnormals."""
    x = (rng.standard_normal(n) * np.exp2(rng.uniform(-30, 30, n))).astype(dtype)
    if n > 30:
        x[::5], x[1::11], x[2::13] = 0, -0.0, np.nan
        x[3::17], x[4::19], x[6::23] = np.inf, -np.inf, np.finfo(dtype).tiny / 8
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 7, 4096, 4097, 100_003])
def test_trace_histogram_kernel_matches_numpy_path(dtype, n):
    from glasstorch.inspect.trace import log_histogram
    x = _awkward_floats(np.random.default_rng(n), n, dtype)
    with _compiled.use(True):
        fast = log_histogram(x)
    with _compiled.use(False):
        plain = log_histogram(x)
    assert fast.dtype == plain.dtype == np.uint16
    np.testing.assert_array_equal(fast, plain)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [False, True])
def test_statistics_kernel_matches_numpy_path(dtype, bad):
    from glasstorch.inspect.stats import array_stats
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(300_001) * 3 + 1).astype(dtype)
    x[::7] = 0
    if bad:
        x[5], x[9] = np.nan, -np.inf
    with _compiled.use(True, threshold=0):
        fast = array_stats(x)
    with _compiled.use(False):
        plain = array_stats(x)
    tol = 1e-5 if dtype == np.float32 else 1e-12   # float32 sums in NumPy's order against float64 ones
    for key in ("mean", "std", "norm", "abs_max"):
        assert getattr(fast, key) == pytest.approx(getattr(plain, key), rel=tol), key
    for key in ("numel", "zero_frac", "nan_count", "inf_count"):
        assert getattr(fast, key) == getattr(plain, key), key
    finite = x[np.isfinite(x)].astype(np.float64)
    assert fast.mean == pytest.approx(finite.mean(), rel=1e-9)
    assert fast.std == pytest.approx(finite.std(), rel=1e-9)
