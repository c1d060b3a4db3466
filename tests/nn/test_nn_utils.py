"""nn.utils against torch: gradient clipping and parameter/vector conversion."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt

SHAPES = [(3, 4), (5,), (2, 2, 3), ()]


def _params(t, grads, dtype="float64"):
    """Parameters of the given shapes whose .grad are the given arrays (None: no gradient)."""
    params = []
    for g, shape in zip(grads, SHAPES):
        p = t.nn.Parameter(t.zeros(shape, dtype=getattr(t, dtype)))
        if g is not None:
            p.grad = t.tensor(g.astype(dtype))
        params.append(p)
    return params


def _grads(seed, none_at=(), scale=1.0):
    rng = np.random.default_rng(seed)
    return [None if i in none_at else rng.standard_normal(s) * scale for i, s in enumerate(SHAPES)]


def _compare_params(ours, theirs, rtol=1e-12):
    for o, t in zip(ours, theirs):
        if t.grad is None:
            assert o.grad is None
        else:
            assert o.grad.dtype == gt.float64 if t.grad.dtype == torch.float64 else o.grad.dtype == gt.float32
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-15)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, 0.5, math.inf, -math.inf, 0, "inf", 2])
@pytest.mark.parametrize("max_norm", [0.7, 1e3])  # clipped, and left alone (the scale clamps to 1)
@pytest.mark.parametrize("none_at", [(), (1,), (0, 3)])
def test_clip_grad_norm(norm_type, max_norm, none_at):
    grads = _grads(0, none_at)
    ours, theirs = _params(gt, grads), _params(torch, grads)
    o_total = gt.nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(o_total, gt.Tensor) and o_total.shape == () and o_total.dtype == gt.float64
    np.testing.assert_allclose(o_total.item(), t_total.item(), rtol=1e-12)
    _compare_params(ours, theirs)


def test_clip_grad_norm_float32():
    grads = _grads(1, scale=3.0)
    ours, theirs = _params(gt, grads, "float32"), _params(torch, grads, "float32")
    o_total = gt.nn.utils.clip_grad_norm_(ours, 1.0)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert o_total.dtype == gt.float32
    np.testing.assert_allclose(o_total.item(), t_total.item(), rtol=1e-6)
    _compare_params(ours, theirs, rtol=1e-6)


def test_clip_grad_norm_mixed_dtypes():
    grads = _grads(2, scale=2.0)
    ours, theirs = _params(gt, grads), _params(torch, grads)
    for plist, t in ((ours, gt), (theirs, torch)):  # one float32 parameter among float64 ones
        plist[1] = t.nn.Parameter(t.zeros(SHAPES[1]))
        plist[1].grad = t.tensor(grads[1].astype(np.float32))
    o_total = gt.nn.utils.clip_grad_norm_(ours, 0.5)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, 0.5)
    assert str(o_total.dtype).split(".")[-1] == str(t_total.dtype).split(".")[-1]
    np.testing.assert_allclose(o_total.item(), t_total.item(), rtol=1e-6)
    _compare_params(ours, theirs, rtol=1e-6)


def test_clip_grad_norm_forms():
    # a single tensor, a generator, a module's parameters
    g = np.arange(6.0).reshape(2, 3)
    for t in (torch, gt):
        p = t.nn.Parameter(t.zeros(2, 3, dtype=t.float64))
        p.grad = t.tensor(g)
        total = t.nn.utils.clip_grad_norm_(p, 1.0)
        np.testing.assert_allclose(total.item(), np.sqrt((g ** 2).sum()))
        np.testing.assert_allclose(p.grad.numpy(), g / (np.sqrt((g ** 2).sum()) + 1e-6), rtol=1e-12)
        p.grad = t.tensor(g)
        t.nn.utils.clip_grad_norm_((q for q in [p]), max_norm=2.0, norm_type=1.0)
        np.testing.assert_allclose(p.grad.numpy(), g * 2.0 / (g.sum() + 1e-6), rtol=1e-12)
    ours, theirs = [], []
    for t, out in ((torch, theirs), (gt, ours)):
        t.manual_seed(0)
        m = t.nn.Linear(4, 3).double()
        with t.no_grad():
            m.weight.copy_(t.tensor(np.linspace(-1, 1, 12).reshape(3, 4)))
            m.bias.copy_(t.tensor([0.5, -0.5, 2.0]))
        m(t.tensor(np.ones((2, 4)))).pow(2).sum().backward()
        out.append(t.nn.utils.clip_grad_norm_(m.parameters(), 0.1).item())
        out.extend(p.grad.numpy().copy() for p in m.parameters())
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-12)


def test_clip_grad_norm_nothing_to_clip():
    for t in (torch, gt):
        total = t.nn.utils.clip_grad_norm_([], 1.0)
        assert total.item() == 0.0 and str(total.dtype).endswith("float32")
        p = t.nn.Parameter(t.ones(3))
        assert t.nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0 and p.grad is None
        with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur"):
            t.nn.utils.clip_grad_norm_((q for q in []), 1.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_nonfinite(bad):
    grads = _grads(3)
    grads[0][1, 2] = bad
    ours, theirs = _params(gt, grads), _params(torch, grads)
    for t, params in ((torch, theirs), (gt, ours)):
        with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                               "non-finite, so it cannot be clipped"):
            t.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    # without the check, the gradients are scaled by the non-finite norm anyway
    o_total = gt.nn.utils.clip_grad_norm_(ours, 1.0)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert (math.isnan(o_total.item()) and math.isnan(t_total.item())) or o_total.item() == t_total.item()
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(o.grad.numpy()), np.isnan(t.grad.numpy()))


def test_get_total_norm_and_clip_with_norm():
    grads = _grads(4)
    ours, theirs = _params(gt, grads), _params(torch, grads)
    for norm_type in (2.0, 1.0, math.inf):
        o = gt.nn.utils.get_total_norm([p.grad for p in ours], norm_type)
        t = torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type)
        np.testing.assert_allclose(o.item(), t.item(), rtol=1e-12)
    gt.nn.utils.clip_grads_with_norm_(ours, 0.3, gt.tensor(2.5, dtype=gt.float64))
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.3, torch.tensor(2.5, dtype=torch.float64))
    _compare_params(ours, theirs)


def test_clip_grad_norm_keeps_grad_objects():
    p = gt.nn.Parameter(gt.ones(3))
    p.grad = gt.full((3,), 10.0)
    g = p.grad
    version = g._version.value
    gt.nn.utils.clip_grad_norm_([p], 1.0)
    assert p.grad is g and g._version.value > version  # in place


@pytest.mark.parametrize("clip_value", [0.5, 1, 0.0, 10.0])
@pytest.mark.parametrize("none_at", [(), (2,)])
def test_clip_grad_value(clip_value, none_at):
    grads = _grads(5, none_at, scale=2.0)
    ours, theirs = _params(gt, grads), _params(torch, grads)
    assert gt.nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _compare_params(ours, theirs)


def test_clip_grad_value_single_tensor_and_float32():
    g = np.linspace(-3, 3, 7).astype(np.float32)
    for t in (torch, gt):
        p = t.nn.Parameter(t.zeros(7))
        p.grad = t.tensor(g)
        t.nn.utils.clip_grad_value_(p, 1.5)
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -1.5, 1.5))
        assert str(p.grad.dtype).endswith("float32")


def test_vector_round_trip():
    shapes = [(3, 4), (4,), (2, 1, 3), ()]
    rng = np.random.default_rng(6)
    values = [rng.standard_normal(s) for s in shapes]
    results = []
    for t in (torch, gt):
        params = [t.nn.Parameter(t.tensor(v)) for v in values]
        vec = t.nn.utils.parameters_to_vector(params)
        assert tuple(vec.shape) == (12 + 4 + 6 + 1,)
        new = t.tensor(np.arange(23.0))
        t.nn.utils.vector_to_parameters(new, params)
        results.append((vec.detach().numpy().copy(), [p.detach().numpy().copy() for p in params]))
        for p, s in zip(params, shapes):
            assert tuple(p.shape) == s
        # the parameters now share memory with the vector, as in torch
        with t.no_grad():
            new[0] = 100.0
        assert params[0].detach().numpy()[0, 0] == 100.0
        back = t.nn.utils.parameters_to_vector(params)
        np.testing.assert_array_equal(back.detach().numpy(), new.numpy())
    np.testing.assert_array_equal(results[1][0], results[0][0])
    for o, t in zip(results[1][1], results[0][1]):
        np.testing.assert_array_equal(o, t)


def test_parameters_to_vector_is_differentiable():
    grads = []
    for t in (torch, gt):
        t.manual_seed(0)
        a = t.nn.Parameter(t.tensor([[1.0, 2.0], [3.0, 4.0]]))
        b = t.nn.Parameter(t.tensor([5.0, 6.0]))
        vec = t.nn.utils.parameters_to_vector([a, b])
        (vec * t.arange(6.0)).sum().backward()
        grads.append((a.grad.numpy().copy(), b.grad.numpy().copy()))
        assert vec.dtype == t.float32
    for o, t in zip(grads[1], grads[0]):
        np.testing.assert_array_equal(o, t)


def test_vector_to_parameters_type_error():
    for t in (torch, gt):
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            t.nn.utils.vector_to_parameters([1.0, 2.0], [t.nn.Parameter(t.zeros(2))])
