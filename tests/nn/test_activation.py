"""Activations against torch: the functional forms (one harness row per form and input
pattern), then the modules (parity, repr, in-place, float32) and the error cases."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Arg, Op, check

M = (3, 4)  # a matrix, so the harness also runs a non-contiguous variant


def F(t):
    return t.nn.functional


def zeros(*shape):
    """An input that is exactly 0: adding a constant to it puts the op exactly at that constant,
    while the gradient still flows back to a leaf."""
    return Arg(shape, "uniform", 0.0, 0.0)


def at(t, z, values):
    """``z`` (all zeros) plus exact ``values``: inputs at chosen points (kinks, thresholds, +-1e4)."""
    return z + t.tensor(values, dtype=t.float64)


# Two rows of exact inputs per op: one of special points, one of huge magnitudes.
HUGE = [[-1e4, -1e3, -50.0, -25.0, 0.0], [25.0, 50.0, 1e3, 1e4, 1.0]]
KINKS = [-6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 2.5]

# (name, torch/glasstorch call, gradgrad): gradgrad=False only where torch has no double backward.
FORMS = [
    ("relu6", lambda t, x: F(t).relu6(x), True),
    ("hardtanh", lambda t, x: F(t).hardtanh(x), True),
    ("hardtanh_bounds", lambda t, x: F(t).hardtanh(x, -0.5, 3.0), True),
    ("leaky_relu", lambda t, x: F(t).leaky_relu(x), True),
    ("leaky_relu_slope", lambda t, x: F(t).leaky_relu(x, 0.2), True),
    ("prelu_shared", lambda t, x: F(t).prelu(x, t.tensor([0.3], dtype=t.float64)), True),
    ("elu", lambda t, x: F(t).elu(x), True),
    ("elu_alpha", lambda t, x: F(t).elu(x, 0.5), True),
    ("selu", lambda t, x: F(t).selu(x), True),
    ("celu", lambda t, x: F(t).celu(x), True),
    ("celu_alpha", lambda t, x: F(t).celu(x, 2.0), True),
    ("gelu", lambda t, x: F(t).gelu(x), True),
    ("gelu_tanh", lambda t, x: F(t).gelu(x, approximate="tanh"), True),
    ("silu", lambda t, x: F(t).silu(x), True),
    ("mish", lambda t, x: F(t).mish(x), True),
    ("softplus", lambda t, x: F(t).softplus(x), True),
    ("softplus_beta", lambda t, x: F(t).softplus(x, beta=2.0, threshold=5.0), True),
    ("softplus_low_threshold", lambda t, x: F(t).softplus(x, 1.0, 0.5), True),
    ("softplus_neg_beta", lambda t, x: F(t).softplus(x, beta=-1.5), True),
    ("softsign", lambda t, x: F(t).softsign(x), True),
    ("hardsigmoid", lambda t, x: F(t).hardsigmoid(x), False),  # torch: no hardsigmoid_backward derivative
    ("hardswish", lambda t, x: F(t).hardswish(x), True),
    ("logsigmoid", lambda t, x: F(t).logsigmoid(x), True),
    ("tanhshrink", lambda t, x: F(t).tanhshrink(x), True),
    ("threshold", lambda t, x: F(t).threshold(x, 0.5, -2.0), True),
    ("hardshrink", lambda t, x: F(t).hardshrink(x), True),
    ("hardshrink_lambd", lambda t, x: F(t).hardshrink(x, 1.0), True),
    ("softshrink", lambda t, x: F(t).softshrink(x), True),
    ("softshrink_lambd", lambda t, x: F(t).softshrink(x, 1.0), True),
    ("sigmoid", lambda t, x: F(t).sigmoid(x), True),
    ("tanh", lambda t, x: F(t).tanh(x), True),
    ("relu", lambda t, x: F(t).relu(x), True),
]

CASES = []
for name, fn, gg in FORMS:
    CASES += [
        Op(name, lambda t, a, fn=fn: fn(t, a * 3), [M], gradgrad=gg),
        Op(f"{name}_0d", lambda t, a, fn=fn: fn(t, a), [()], gradgrad=gg),
        Op(f"{name}_empty", lambda t, a, fn=fn: fn(t, a), [(0, 3)], gradgrad=gg),
        # Exactly at the kinks, thresholds and 0, where the one-sided choices show.
        Op(f"{name}_kinks", lambda t, z, fn=fn: fn(t, at(t, z, KINKS)), [zeros(2, 10)], gradgrad=gg),
        Op(f"{name}_huge", lambda t, z, fn=fn: fn(t, at(t, z, HUGE)), [zeros(2, 5)],
           gradgrad=gg and name != "mish"),  # torch's mish double backward is NaN at x >= 1e3
    ]

CASES += [
    Op("mish_huge_gradgrad", lambda t, z: F(t).mish(at(t, z, [-1e4, -1e3, -50.0, 0.0, 25.0, 50.0])),
       [zeros(6)]),
    # softplus with beta * x exactly at the threshold (2 * 2.5 == 5).
    Op("softplus_at_threshold", lambda t, z: F(t).softplus(at(t, z, [2.5, -2.5, 2.0, 3.0]), 2.0, 5.0),
       [zeros(4)]),
    # Below a huge threshold: exact softplus (torch's log1p(exp(x)) overflows at 1e4, tested below).
    Op("softplus_huge_threshold", lambda t, z: F(t).softplus(at(t, z, [100.0, -1e4, 0.0, 30.0]), 1.0, 1e6),
       [zeros(4)]),
    Op("celu_kinks_alpha", lambda t, z: F(t).celu(at(t, z, KINKS), 0.5), [zeros(10)]),
    # prelu: one weight per channel (dim 1), broadcast over the rest, with weight gradients.
    Op("prelu_channels", lambda t, x, w: F(t).prelu(x, w), [(2, 3, 4), (3,)]),
    Op("prelu_channels_2d", lambda t, x, w: F(t).prelu(x, w), [(5, 3), (3,)]),
    Op("prelu_channels_4d", lambda t, x, w: F(t).prelu(x, w), [(2, 3, 2, 2), (3,)]),
    Op("prelu_one_weight", lambda t, x, w: F(t).prelu(x, w), [(2, 3, 4), (1,)]),
    Op("prelu_1d", lambda t, x, w: F(t).prelu(x, w), [(5,), (1,)]),
    Op("prelu_0d", lambda t, x, w: F(t).prelu(x, w), [(), (1,)]),
    Op("prelu_0d_weight", lambda t, x, w: F(t).prelu(x, w), [(2, 3), ()]),
    Op("prelu_kinks", lambda t, z, w: F(t).prelu(at(t, z, [[0.0, -1.0, 1.0], [2.0, 0.0, -3.0]]), w),
       [zeros(2, 3), (3,)]),
    # glu and softmin
    Op("glu", lambda t, x: F(t).glu(x), [(3, 4)]),
    Op("glu_dim", lambda t, x: F(t).glu(x, 0), [(4, 3)]),
    Op("glu_neg_dim", lambda t, x: F(t).glu(x, -2), [(2, 6, 3)]),
    Op("softmin", lambda t, x: F(t).softmin(x, dim=1), [(3, 4)]),
    Op("softmin_dim0", lambda t, x: F(t).softmin(x, 0), [(3, 4)]),
    Op("softmin_dtype", lambda t, x: F(t).softmin(x.float(), -1, dtype=t.float64), [(3, 4)], rtol=1e-6),
    Op("softmin_huge", lambda t, z: F(t).softmin(at(t, z, HUGE), dim=1), [zeros(2, 5)]),
    # one tensor used twice in one expression
    Op("silu_times_x", lambda t, x: F(t).silu(x) * x, [M]),
    Op("gelu_of_gelu", lambda t, x: F(t).gelu(F(t).gelu(x) + x), [M]),
    Op("elu_plus_softplus", lambda t, x: F(t).elu(x) + F(t).softplus(x), [M]),
    # integer inputs where torch has integer kernels (or promotes)
    Op("relu6_int", lambda t: F(t).relu6(t.arange(-3, 9)), [], grad=False),
    Op("hardtanh_int_frac_bounds", lambda t: F(t).hardtanh(t.arange(-3, 4), -1.5, 2.5), [], grad=False),
    Op("threshold_int", lambda t: F(t).threshold(t.arange(-3, 4), 0.5, 2.7), [], grad=False),
    Op("threshold_int_neg", lambda t: F(t).threshold(t.arange(-3, 4), -0.5, 9), [], grad=False),
    Op("softsign_int", lambda t: F(t).softsign(t.arange(-3, 4)), [], grad=False, rtol=1e-6),
    Op("tanhshrink_int", lambda t: F(t).tanhshrink(t.arange(-3, 4)), [], grad=False, rtol=1e-6),
]

# In-place forms, on a non-leaf (a * 1), with first and second gradients through the in-place node.
INPLACE = [
    ("relu_", lambda t, x: F(t).relu_(x)),
    ("relu_method", lambda t, x: x.relu_()),
    ("elu_", lambda t, x: F(t).elu_(x)),
    ("elu_inplace", lambda t, x: F(t).elu(x, 0.7, inplace=True)),
    ("selu_", lambda t, x: F(t).selu_(x)),
    ("selu_inplace", lambda t, x: F(t).selu(x, True)),
    ("celu_", lambda t, x: F(t).celu_(x, 1.5)),
    ("celu_inplace", lambda t, x: F(t).celu(x, 1.5, True)),
    ("leaky_relu_", lambda t, x: F(t).leaky_relu_(x, 0.1)),
    ("leaky_relu_inplace", lambda t, x: F(t).leaky_relu(x, inplace=True)),
    ("hardtanh_", lambda t, x: F(t).hardtanh_(x, -0.5, 0.5)),
    ("hardtanh_inplace", lambda t, x: F(t).hardtanh(x, inplace=True)),
    ("relu6_inplace", lambda t, x: F(t).relu6(x * 4, inplace=True)),
    ("threshold_", lambda t, x: F(t).threshold_(x, 0.1, 5.0)),
    ("threshold_inplace", lambda t, x: F(t).threshold(x, 0.1, 5.0, True)),
    ("silu_inplace", lambda t, x: F(t).silu(x, inplace=True)),
    ("mish_inplace", lambda t, x: F(t).mish(x, inplace=True)),
    ("hardswish_inplace", lambda t, x: F(t).hardswish(x * 4, inplace=True)),
]
for name, fn in INPLACE:
    CASES.append(Op(name, lambda t, a, fn=fn: fn(t, a * 1) * 1, [M]))
CASES.append(Op("hardsigmoid_inplace", lambda t, a: F(t).hardsigmoid(a * 4, inplace=True) * 1, [M], gradgrad=False))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_activation(case):
    check(case)


# ----------------------------------------------------------------- big inputs
SMOOTH = ["gelu", "silu", "mish", "softplus", "logsigmoid", "elu", "selu", "celu", "softsign", "hardswish",
          "tanhshrink", "leaky_relu", "hardtanh", "relu6", "hardsigmoid"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", SMOOTH + ["gelu_tanh"])
def test_huge_inputs_finite(name, dtype):
    """At |x| = 1e4 (and 1e30 in float64) no inf/NaN appears, forward or backward, and no NumPy
    overflow warning is raised on the way; the values equal torch's."""
    values = [-1e4, -1e3, -100.0, -20.0, 20.0, 100.0, 1e3, 1e4] + ([-1e30, 1e30] if dtype == "float64" else [])
    kw = {"approximate": "tanh"} if name == "gelu_tanh" else {}
    fname = "gelu" if name == "gelu_tanh" else name
    g = gt.tensor(values, dtype=getattr(gt, dtype), requires_grad=True)
    t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = getattr(gt.nn.functional, fname)(g, **kw)
        grad, = gt.autograd.grad(out.sum(), g, create_graph=True)
        # Piecewise-linear ops give a first gradient that is constant in x: no second to take.
        gg = gt.autograd.grad(grad.sum(), g)[0] if grad.requires_grad else gt.zeros_like(g)
    tout = getattr(torch.nn.functional, fname)(t, **kw)
    tgrad, = torch.autograd.grad(tout.sum(), t)
    if name in ("gelu_tanh", "mish") and dtype == "float64":
        # torch itself overflows (x**3, exp(x)) at 1e30; ours must still be finite there.
        keep = slice(0, 8)
    else:
        keep = slice(None)
    for ours in (out, grad, gg):
        assert np.isfinite(ours.detach().numpy()).all(), f"{name}: {ours}"
    assert out.dtype == grad.dtype == getattr(gt, dtype)
    rtol = 1e-5 if dtype == "float32" else 1e-7
    if name == "softsign" and dtype == "float32":
        # The gradient 1/(1+|x|) - |x|/(1+|x|)^2 cancels; torch's and our Div backward round differently.
        rtol = 1e-3
    np.testing.assert_allclose(out.detach().numpy()[keep], tout.detach().numpy()[keep], rtol=rtol, atol=1e-30)
    np.testing.assert_allclose(grad.detach().numpy()[keep], tgrad.numpy()[keep], rtol=rtol, atol=1e-30)


# -------------------------------------------------------------------- float32
F32 = [
    ("relu6", {}), ("hardtanh", {"min_val": -0.5, "max_val": 0.5}), ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}), ("selu", {}), ("celu", {"alpha": 0.5}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}), ("mish", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 1.0}), ("softsign", {}),
    ("hardsigmoid", {}), ("hardswish", {}), ("logsigmoid", {}), ("tanhshrink", {}),
    ("threshold", {"threshold": 0.1, "value": 2.0}), ("hardshrink", {}), ("softshrink", {}), ("glu", {}),
    ("softmin", {"dim": 1}),
]


@pytest.mark.parametrize("name,kw", F32, ids=[f"{n}-{k}" for n, k in F32])
def test_float32_stays_float32(name, kw):
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32) * 4
    g = gt.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    out = getattr(gt.nn.functional, name)(g, **kw)
    tout = getattr(torch.nn.functional, name)(t, **kw)
    up = np.random.default_rng(1).standard_normal(tuple(tout.shape)).astype(np.float32)
    out.backward(gt.tensor(up))
    tout.backward(torch.tensor(up))
    assert out.dtype == gt.float32 and g.grad.dtype == gt.float32
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_prelu_float32():
    g = gt.nn.PReLU(3)
    t = torch.nn.PReLU(3)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    out = g(gt.tensor(x))
    out.sum().backward()
    t(torch.tensor(x)).sum().backward()
    assert out.dtype == gt.float32 and g.weight.dtype == gt.float32 and g.weight.grad.dtype == gt.float32
    np.testing.assert_allclose(g.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5)


# --------------------------------------------------------------------- modules
MODULES = [
    ("ReLU", {}), ("ReLU", {"inplace": True}), ("ReLU6", {}), ("ReLU6", {"inplace": True}),
    ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2, "inplace": True}),
    ("PReLU", {}), ("PReLU", {"num_parameters": 4}), ("PReLU", {"num_parameters": 4, "init": 0.1}),
    ("ELU", {}), ("ELU", {"alpha": 0.5, "inplace": True}), ("SELU", {}), ("SELU", {"inplace": True}),
    ("CELU", {}), ("CELU", {"alpha": 2.0}), ("GELU", {}), ("GELU", {"approximate": "tanh"}),
    ("SiLU", {}), ("SiLU", {"inplace": True}), ("Mish", {}), ("Mish", {"inplace": True}),
    ("Sigmoid", {}), ("Tanh", {}), ("Softplus", {}), ("Softplus", {"beta": 2, "threshold": 1.5}),
    ("Softsign", {}), ("Hardtanh", {}), ("Hardtanh", {"min_val": -2.0, "max_val": 0.5, "inplace": True}),
    ("Hardtanh", {"min_val": -2, "max_val": 3}),
    ("Hardsigmoid", {}), ("Hardsigmoid", {"inplace": True}), ("Hardswish", {}), ("Hardswish", {"inplace": True}),
    ("LogSigmoid", {}), ("Softmax", {"dim": 1}), ("Softmax", {"dim": -1}), ("LogSoftmax", {"dim": 1}),
    ("Softmin", {"dim": 2}), ("Softmax2d", {}), ("Threshold", {"threshold": 0.1, "value": 20.0}),
    ("Threshold", {"threshold": 0.1, "value": 20, "inplace": True}), ("Tanhshrink", {}), ("Hardshrink", {}),
    ("Hardshrink", {"lambd": 1.0}), ("Softshrink", {}), ("Softshrink", {"lambd": 0.25}), ("GLU", {}),
    ("GLU", {"dim": 1}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in MODULES]


def _pair(name, kw):
    tmod = getattr(torch.nn, name)(**kw).double()
    with torch.no_grad():  # distinct values per channel, so the copy and the broadcast are checked
        for p in tmod.parameters():
            p.add_(torch.linspace(-0.2, 0.3, p.numel(), dtype=p.dtype).reshape(p.shape))
    gmod = getattr(gt.nn, name)(**kw).double()
    gmod.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()})
    return tmod, gmod


@pytest.mark.parametrize("name,kw", MODULES, ids=IDS)
def test_module_parity(name, kw):
    """Same output, input gradient and parameter gradients as torch (in-place modules get a non-leaf)."""
    tmod, gmod = _pair(name, kw)
    shape = (2, 4, 3, 2) if name in ("Softmax2d",) else (2, 4, 6)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 3
    gx = gt.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy_in, ty_in = gx * 1, tx * 1
    gout, tout = gmod(gy_in), tmod(ty_in)
    if kw.get("inplace"):
        assert gout is gy_in and tout is ty_in
    up = rng.standard_normal(tuple(tout.shape))
    gout.backward(gt.tensor(up))
    tout.backward(torch.tensor(up))
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-12)
    gparams, tparams = dict(gmod.named_parameters()), dict(tmod.named_parameters())
    assert gparams.keys() == tparams.keys()
    for k in tparams:
        np.testing.assert_allclose(gparams[k].grad.numpy(), tparams[k].grad.numpy(), rtol=1e-7, atol=1e-12)
    sd_g, sd_t = gmod.state_dict(), tmod.state_dict()
    assert list(sd_g) == list(sd_t)
    assert all(tuple(sd_g[k].shape) == tuple(sd_t[k].shape) for k in sd_t)


@pytest.mark.parametrize("name,kw", MODULES + [("Softmax", {}), ("LogSoftmax", {}), ("Softmin", {})], ids=repr)
def test_module_repr(name, kw):
    assert repr(getattr(gt.nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))


@pytest.mark.parametrize("name,kw", MODULES, ids=IDS)
def test_module_float32(name, kw):
    """A float32 input through a default (float32) module: float32 output, input and weight grads."""
    tmod, gmod = getattr(torch.nn, name)(**kw), getattr(gt.nn, name)(**kw)
    shape = (2, 4, 3, 2) if name == "Softmax2d" else (2, 4, 6)
    x = (np.random.default_rng(0).standard_normal(shape) * 3).astype(np.float32)
    gx, tx = gt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gout, tout = gmod(gx * 1), tmod(tx * 1)
    gout.sum().backward()
    tout.sum().backward()
    assert gout.dtype == gt.float32 and gx.grad.dtype == gt.float32
    assert all(p.grad.dtype == gt.float32 for p in gmod.parameters())
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_repr_in_sequential():
    def build(nn):
        return nn.Sequential(nn.ReLU(inplace=True), nn.PReLU(3), nn.GELU("tanh"), nn.Softmax(dim=1),
                             nn.Sequential(nn.LeakyReLU(0.2), nn.Hardtanh(-2.0, 2.0, True)))
    assert repr(build(gt.nn)) == repr(build(torch.nn))


def test_prelu_defaults():
    m = gt.nn.PReLU(4, init=0.1)
    assert isinstance(m.weight, gt.nn.Parameter) and m.weight.requires_grad
    assert tuple(m.weight.shape) == (4,) and m.weight.dtype == gt.float32
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(4, 0.1, np.float32))
    assert m.num_parameters == 4 and m.init == 0.1


def test_softmax_module_no_dim_warns_like_torch():
    x = np.random.default_rng(0).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        tout = torch.nn.Softmax()(torch.tensor(x))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        gout = gt.nn.Softmax()(gt.tensor(x))
    np.testing.assert_allclose(gout.numpy(), tout.numpy(), rtol=1e-12)


def test_inplace_returns_input_and_bumps_version():
    for fn in ("relu_", "elu_", "leaky_relu_", "hardtanh_", "selu_", "celu_"):
        x = gt.tensor([-1.0, 0.5, 2.0])
        v = x._version.value
        assert getattr(gt.nn.functional, fn)(x) is x
        assert x._version.value > v
        t = torch.tensor([-1.0, 0.5, 2.0])
        getattr(torch.nn.functional, fn)(t)
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)


def test_inplace_saved_input_is_detected():
    """Overwriting a tensor that an earlier node saved makes its backward fail, in both."""
    for t in (torch, gt):
        a = t.tensor([-1.0, 0.5, 2.0], requires_grad=True)
        b = a * 1
        c = b * b  # saves b
        t.nn.functional.elu_(b)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            c.sum().backward()


# ----------------------------------------------------------------------- errors
def _both(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(gt)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus",
                                  "hardsigmoid", "hardswish", "logsigmoid", "hardshrink", "softshrink"])
def test_integer_input_not_implemented(name):
    kernel = {"selu": "elu_cpu", "celu": "elu_cpu", "gelu": "GeluKernelImpl", "logsigmoid": "log_sigmoid_cpu",
              "softshrink": "softshrink_check"}.get(name, f"{name}_cpu")
    _both(lambda t: getattr(t.nn.functional, name)(t.arange(-3, 4)), NotImplementedError,
          f"\"{kernel}\" not implemented for 'Long'")


def test_prelu_integer_input():
    _both(lambda t: t.nn.functional.prelu(t.arange(3), t.ones(1, dtype=t.int64)), NotImplementedError, "prelu_cpu")


def test_gelu_bad_approximate():
    _both(lambda t: t.nn.functional.gelu(t.ones(3), approximate="fast"), RuntimeError,
          "approximate argument must be either none or tanh")


def test_hardtanh_min_above_max():
    _both(lambda t: t.nn.functional.hardtanh(t.ones(3), 2.0, 1.0), ValueError, "min_val cannot be greater than max_val")
    _both(lambda t: t.nn.Hardtanh(2.0, 1.0), AssertionError, r"max_val \(1.0\) must be greater than min_val \(2.0\)")


def test_prelu_errors():
    _both(lambda t: t.nn.functional.prelu(t.ones(2, 3, 4), t.ones(4)), RuntimeError,
          "Found parameter numbers = 4 and channel size = 3")
    _both(lambda t: t.nn.functional.prelu(t.ones(4), t.ones(4)), RuntimeError,
          "Found parameter numbers = 4 and channel size = 1")
    _both(lambda t: t.nn.functional.prelu(t.ones(2, 3), t.ones(3, 1)), RuntimeError, "ndim = 2")
    _both(lambda t: t.nn.functional.prelu(t.tensor(1.0), t.ones(3)), RuntimeError, "Not allow zero-dim input")
    _both(lambda t: t.nn.PReLU(3)(t.ones(2, 4)), RuntimeError, "Found parameter numbers = 3 and channel size = 4")


def test_softshrink_negative_lambda():
    _both(lambda t: t.nn.functional.softshrink(t.ones(3), -1.0), RuntimeError, "lambda must be in range .* found -1")


def test_celu_zero_alpha():
    _both(lambda t: t.nn.functional.celu(t.ones(3), 0.0), RuntimeError, "alpha cannot be 0 for CELU")


def test_glu_errors():
    _both(lambda t: t.nn.functional.glu(t.ones(2, 3), 1), RuntimeError,
          "Halving dimension must be even, but dimension 1 is size 3")
    _both(lambda t: t.nn.functional.glu(t.ones(2, 3), -1), RuntimeError,
          "Halving dimension must be even, but dimension 1 is size 3")
    _both(lambda t: t.nn.functional.glu(t.tensor(1.0)), RuntimeError, "glu does not support scalars")
    _both(lambda t: t.nn.functional.glu(t.ones(2, 4), 2), IndexError, "Dimension out of range")


def test_softmax2d_needs_3d_or_4d():
    _both(lambda t: t.nn.Softmax2d()(t.ones(3, 4)), ValueError, "expected input to be 3D or 4D, got 2D")


def test_inplace_on_leaf_requiring_grad():
    for fn in ("elu", "leaky_relu", "hardtanh", "silu", "threshold"):
        args = (0.1, 2.0) if fn == "threshold" else ()
        _both(lambda t: getattr(t.nn.functional, fn)(t.ones(3, requires_grad=True), *args, inplace=True),
              RuntimeError, "a leaf Variable that requires grad is being used in an in-place operation")
    _both(lambda t: t.nn.ReLU(inplace=True)(t.ones(3, requires_grad=True)), RuntimeError, "leaf Variable")


def test_softplus_stable_above_float_range():
    """With a threshold so high that torch's log1p(exp(x)) overflows to inf, ours stays exact:
    a deliberate difference from torch (the value is x, the gradient 1)."""
    x = gt.tensor([1e4, -1e4], dtype=gt.float64, requires_grad=True)
    out = gt.nn.functional.softplus(x, 1.0, 1e6)
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), [1e4, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])
    assert torch.isinf(torch.nn.functional.softplus(torch.tensor(1e4, dtype=torch.float64), 1.0, 1e6))


def test_relu_gradient_at_nan_and_double_backward_like_torch():
    # threshold_backward zeroes where out <= 0: a NaN output passes its gradient.
    x = [float("nan"), 1.0, -1.0, 0.0]
    ours, theirs = gt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gt.relu(ours).sum().backward()
    torch.relu(theirs).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    # The gradient of relu's gradient with respect to x is zero (torch gives zeros, not an error).
    x = [1.0, -2.0, 3.0]
    results = []
    for lib in (gt, torch):
        t = lib.tensor(x, requires_grad=True)
        gx, = lib.autograd.grad(lib.relu(t).sum(), t, create_graph=True)
        results.append(lib.autograd.grad(gx.sum(), t)[0].detach().numpy())
    np.testing.assert_array_equal(results[0], results[1])
