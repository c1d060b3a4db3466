"""Normalization against torch: the functional forms through the harness (double backward included),
then the layers (running statistics, modes, state_dict, repr, float32) and the errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Op, check, nograd, positive


def _bn(t, x, w, b, rm, rv, training=True, momentum=0.1, eps=1e-5):
    y = t.nn.functional.batch_norm(x, rm, rv, w, b, training, momentum, eps)
    return y, rm, rv  # the running statistics are compared too, after their in-place update


def _ln(t, x, shape, w=None, b=None, eps=1e-5):
    return t.nn.functional.layer_norm(x, shape, w, b, eps)


def _gn(t, x, groups, w=None, b=None, eps=1e-5):
    return t.nn.functional.group_norm(x, groups, w, b, eps)


STATS3 = [nograd(3), positive(3, grad=False)]  # running_mean, running_var

CASES = [
    # batch_norm, training: batch statistics, running statistics updated
    Op("bn_train_2d", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv), [(6, 3), (3,), (3,)] + STATS3),
    Op("bn_train_3d", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv, momentum=0.3),
       [(4, 3, 5), (3,), (3,)] + STATS3),
    Op("bn_train_4d", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv, eps=1e-3),
       [(4, 3, 2, 3), (3,), (3,)] + STATS3),
    Op("bn_train_5d", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv), [(2, 3, 2, 2, 2), (3,), (3,)] + STATS3),
    Op("bn_train_no_affine", lambda t, x, rm, rv: _bn(t, x, None, None, rm, rv), [(5, 3, 4)] + STATS3),
    Op("bn_train_weight_only", lambda t, x, w: _bn(t, x, w, None, None, None), [(5, 3, 4), (3,)]),
    # torch's double backward fails when a bias comes without a weight ("Expected a proper Tensor but got None"),
    # so torch computes the same function with the bias added outside.
    Op("bn_train_bias_only", lambda t, x, b: _bn(t, x, None, b, None, None)[0] if t is gt else
       _bn(t, x, None, None, None, None)[0] + b.reshape(3, 1), [(5, 3, 4), (3,)]),
    Op("bn_train_no_stats", lambda t, x, w, b: _bn(t, x, w, b, None, None), [(2, 3, 4, 4), (3,), (3,)]),
    Op("bn_train_two_values", lambda t, x, w, b: _bn(t, x, w, b, None, None), [(2, 3), (3,), (3,)]),
    Op("bn_train_nograd_params", lambda t, x, w, b: _bn(t, x, w, b, None, None), [(4, 3, 2), nograd(3), nograd(3)]),
    Op("bn_train_params_only", lambda t, x, w, b: _bn(t, x, w, b, None, None), [nograd(4, 3, 2), (3,), (3,)]),
    Op("bn_train_x_twice", lambda t, x, w, b: t.nn.functional.batch_norm(x * x, None, None, w, b, True) * x,
       [(4, 3, 2), (3,), (3,)]),
    Op("bn_train_empty", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv), [(0, 3, 2), (3,), (3,)] + STATS3),
    # batch_norm, evaluation: the running statistics are constants
    Op("bn_eval", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv, training=False),
       [(4, 3, 2, 2), (3,), (3,)] + STATS3),
    Op("bn_eval_params_only", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv, training=False),
       [nograd(4, 3, 2), (3,), (3,)] + STATS3),
    Op("bn_eval_weight_only", lambda t, x, w, rm, rv: _bn(t, x, w, None, rm, rv, training=False),
       [(4, 3, 2), (3,)] + STATS3),
    Op("bn_eval_2d", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv, training=False), [(4, 3), (3,), (3,)] + STATS3),
    Op("bn_eval_no_affine", lambda t, x, rm, rv: _bn(t, x, None, None, rm, rv, training=False), [(4, 3, 5)] + STATS3),
    Op("bn_eval_single_sample", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv, training=False),
       [(1, 3), (3,), (3,)] + STATS3),
    Op("bn_eval_empty", lambda t, x, w, b, rm, rv: _bn(t, x, w, b, rm, rv, training=False),
       [(0, 3), (3,), (3,)] + STATS3),
    # layer_norm
    Op("ln_last", lambda t, x, w, b: _ln(t, x, (5,), w, b), [(3, 4, 5), (5,), (5,)]),
    Op("ln_multi_dim", lambda t, x, w, b: _ln(t, x, (4, 5), w, b, eps=1e-3), [(3, 4, 5), (4, 5), (4, 5)]),
    Op("ln_list_shape", lambda t, x, w, b: _ln(t, x, [4, 5], w, b), [(2, 4, 5), (4, 5), (4, 5)]),
    Op("ln_whole_input", lambda t, x, w, b: _ln(t, x, (3, 4), w, b), [(3, 4), (3, 4), (3, 4)]),
    Op("ln_1d", lambda t, x, w, b: _ln(t, x, (6,), w, b), [(6,), (6,), (6,)]),
    Op("ln_no_affine", lambda t, x: _ln(t, x, (4,)), [(3, 2, 4)]),
    Op("ln_weight_only", lambda t, x, w: _ln(t, x, (4,), w), [(3, 4), (4,)]),
    Op("ln_bias_only", lambda t, x, b: _ln(t, x, (4,), None, b) if t is gt else _ln(t, x, (4,)) + b,
       [(3, 4), (4,)]),  # torch's double backward fails here: bias added outside for torch
    Op("ln_params_only", lambda t, x, w, b: _ln(t, x, (4,), w, b), [nograd(3, 4), (4,), (4,)]),
    Op("ln_weight_as_bias", lambda t, x, w: _ln(t, x, (4,), w, w), [(3, 4), (4,)]),
    Op("ln_size_one", lambda t, x, w, b: _ln(t, x, (1,), w, b), [(3, 1), (1,), (1,)]),
    Op("ln_empty_batch", lambda t, x, w, b: _ln(t, x, (4,), w, b), [(0, 4), (4,), (4,)]),
    # group_norm
    Op("gn_3d", lambda t, x, w, b: _gn(t, x, 3, w, b), [(2, 6, 4), (6,), (6,)]),
    Op("gn_4d", lambda t, x, w, b: _gn(t, x, 2, w, b, eps=1e-3), [(2, 4, 3, 3), (4,), (4,)]),
    Op("gn_2d", lambda t, x, w, b: _gn(t, x, 2, w, b), [(3, 6), (6,), (6,)]),
    Op("gn_one_group", lambda t, x, w, b: _gn(t, x, 1, w, b), [(2, 4, 3), (4,), (4,)]),
    Op("gn_group_per_channel", lambda t, x, w, b: _gn(t, x, 4, w, b), [(2, 4, 3), (4,), (4,)]),
    Op("gn_no_affine", lambda t, x: _gn(t, x, 2), [(2, 4, 5)]),
    Op("gn_weight_only", lambda t, x, w: _gn(t, x, 2, w), [(2, 4, 5), (4,)]),
    Op("gn_params_only", lambda t, x, w, b: _gn(t, x, 2, w, b), [nograd(2, 4, 5), (4,), (4,)]),
    Op("gn_empty_batch", lambda t, x, w, b: _gn(t, x, 2, w, b), [(0, 4, 3), (4,), (4,)]),
    # instance_norm (composite, through batch_norm)
    Op("in_3d", lambda t, x, w, b: t.nn.functional.instance_norm(x, weight=w, bias=b), [(2, 3, 5), (3,), (3,)]),
    Op("in_4d_no_affine", lambda t, x: t.nn.functional.instance_norm(x), [(2, 3, 2, 3)]),
    Op("in_running_stats", lambda t, x, rm, rv: (t.nn.functional.instance_norm(x, rm, rv, momentum=0.2), rm, rv),
       [(2, 3, 4)] + STATS3),
    Op("in_use_running_stats", lambda t, x, w, b, rm, rv: t.nn.functional.instance_norm(
        x, rm, rv, w, b, use_input_stats=False), [(2, 3, 4), (3,), (3,)] + STATS3),
    # rms_norm (composite)
    Op("rms_norm", lambda t, x, w: t.nn.functional.rms_norm(x, (4,), w, 1e-6), [(3, 4), (4,)]),
    Op("rms_norm_multi_dim", lambda t, x: t.nn.functional.rms_norm(x, (3, 4)), [(2, 3, 4)]),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_functional(case):
    check(case)


def test_grad_fn_names():
    x = gt.randn(4, 3, requires_grad=True)
    assert gt.nn.functional.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"
    assert gt.nn.functional.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"
    assert gt.nn.functional.group_norm(x, 3).grad_fn.name() == "NativeGroupNormBackward0"


# ------------------------------------------------------------------ layers
def _pair(name, *args, **kwargs):
    """The same layer in both frameworks, in float64, with torch's parameters and buffers copied over."""
    tmod = getattr(torch.nn, name)(*args, **kwargs).double()
    gmod = getattr(gt.nn, name)(*args, **kwargs).double()
    rng = np.random.default_rng(0)
    with torch.no_grad():  # non-trivial affine parameters, so that their gradients mean something
        for p in tmod.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape))))
    gmod.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()})
    return tmod, gmod


def _step(tmod, gmod, shape, seed, check_grads=True):
    """One forward (and backward) through both layers; compares output, input grad and parameter grads."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2 + 0.5
    up = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    gx = gt.tensor(x, requires_grad=True)
    ty, gy = tmod(tx), gmod(gx)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-10)
    if not check_grads:
        return
    tmod.zero_grad()
    gmod.zero_grad()
    (ty * torch.tensor(up)).sum().backward()
    (gy * gt.tensor(up)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-10)
    tparams = dict(tmod.named_parameters())
    for name, p in gmod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)


def _same_state(tmod, gmod):
    tstate = tmod.state_dict()
    gstate = gmod.state_dict()
    assert list(gstate) == list(tstate)
    for k, v in tstate.items():
        assert tuple(gstate[k].shape) == tuple(v.shape), k
        assert str(gstate[k].dtype).split(".")[-1] == str(v.dtype).split(".")[-1], k
        np.testing.assert_allclose(gstate[k].numpy(), v.numpy(), rtol=1e-7, atol=1e-12, err_msg=k)


BN_CONFIGS = [
    ("BatchNorm1d", (3,), {}, (6, 3)),
    ("BatchNorm1d", (3,), {}, (4, 3, 5)),
    ("BatchNorm2d", (3,), {}, (4, 3, 3, 2)),
    ("BatchNorm3d", (2,), {}, (3, 2, 2, 3, 2)),
    ("BatchNorm2d", (3,), {"momentum": None}, (4, 3, 2, 2)),
    ("BatchNorm2d", (3,), {"momentum": 0.5, "eps": 1e-3}, (4, 3, 2, 2)),
    ("BatchNorm2d", (3,), {"affine": False}, (4, 3, 2, 2)),
    ("BatchNorm1d", (3,), {"bias": False}, (4, 3, 5)),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, (4, 3, 2, 2)),
    ("BatchNorm1d", (4,), {"affine": False, "track_running_stats": False, "momentum": None}, (5, 4)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", BN_CONFIGS, ids=lambda v: str(v))
def test_batchnorm_layer(name, args, kwargs, shape):
    tmod, gmod = _pair(name, *args, **kwargs)
    for seed in range(4):  # several steps: running statistics accumulate (momentum=None: a cumulative mean)
        _step(tmod, gmod, shape, seed)
        _same_state(tmod, gmod)
    tmod.eval()
    gmod.eval()
    _step(tmod, gmod, shape, 10)  # eval: the running statistics (or batch ones when none are tracked)
    _same_state(tmod, gmod)  # and they are not updated
    # a single sample is fine in eval mode when running statistics are tracked
    if tmod.track_running_stats:
        _step(tmod, gmod, (1,) + shape[1:], 11)


def test_batchnorm_eval_then_train_again():
    tmod, gmod = _pair("BatchNorm2d", 3)
    _step(tmod, gmod, (4, 3, 2, 2), 0)
    tmod.eval(), gmod.eval()
    _step(tmod, gmod, (4, 3, 2, 2), 1)
    tmod.train(), gmod.train()
    _step(tmod, gmod, (4, 3, 2, 2), 2)
    _same_state(tmod, gmod)
    assert int(gmod.num_batches_tracked) == 2


def test_batchnorm_reset_running_stats():
    _, gmod = _pair("BatchNorm1d", 3)
    gmod(gt.randn(5, 3, dtype=gt.float64))
    gmod.reset_running_stats()
    assert gmod.running_mean.tolist() == [0, 0, 0] and gmod.running_var.tolist() == [1, 1, 1]
    assert gmod.num_batches_tracked.item() == 0


def test_batchnorm_inplace_after():
    """relu_ on the output must not change what backward uses (torch saves the input, not the output)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 2))
    outs = []
    for t in (torch, gt):
        m = t.nn.BatchNorm1d(3, affine=False).double()
        xt = t.tensor(x, requires_grad=True)
        y = m(xt)
        y.relu_()
        (y * y).sum().backward()
        outs.append(xt.grad.numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-7, atol=1e-10)


def test_batchnorm_input_modified_inplace_raises():
    for t in (torch, gt):
        x = t.randn(4, 3, dtype=t.float64, requires_grad=True)
        h = x * 1
        w = t.ones(3, dtype=t.float64, requires_grad=True)
        y = t.nn.functional.batch_norm(h, None, None, w, training=True)
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


INSTANCE_CONFIGS = [
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), {"affine": True}, (3, 5)),  # unbatched
    ("InstanceNorm2d", (3,), {"affine": True}, (2, 3, 4, 3)),
    ("InstanceNorm2d", (3,), {"track_running_stats": True, "momentum": 0.3}, (2, 3, 4, 3)),
    ("InstanceNorm3d", (2,), {"affine": True, "track_running_stats": True}, (2, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", INSTANCE_CONFIGS, ids=lambda v: str(v))
def test_instancenorm_layer(name, args, kwargs, shape):
    tmod, gmod = _pair(name, *args, **kwargs)
    for seed in range(3):
        _step(tmod, gmod, shape, seed)
        _same_state(tmod, gmod)
    tmod.eval()
    gmod.eval()
    _step(tmod, gmod, shape, 10)
    _same_state(tmod, gmod)


OTHER_CONFIGS = [
    ("LayerNorm", (5,), {}, (3, 4, 5)),
    ("LayerNorm", ((4, 5),), {}, (3, 4, 5)),
    ("LayerNorm", ([4, 5],), {"bias": False, "eps": 1e-3}, (2, 4, 5)),
    ("LayerNorm", (5,), {"elementwise_affine": False}, (3, 5)),
    ("GroupNorm", (3, 6), {}, (2, 6, 4, 3)),
    ("GroupNorm", (2, 4), {"affine": False}, (3, 4, 5)),
    ("GroupNorm", (2, 4), {"bias": False, "eps": 1e-4}, (3, 4)),
    ("RMSNorm", (5,), {}, (3, 4, 5)),
    ("RMSNorm", ((4, 5),), {"eps": 1e-3}, (3, 4, 5)),
    ("RMSNorm", (5,), {"elementwise_affine": False}, (3, 5)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", OTHER_CONFIGS, ids=lambda v: str(v))
def test_other_layers(name, args, kwargs, shape):
    tmod, gmod = _pair(name, *args, **kwargs)
    _step(tmod, gmod, shape, 0)
    tmod.eval()
    gmod.eval()
    _step(tmod, gmod, shape, 1)  # eval mode changes nothing for these
    _same_state(tmod, gmod)


ALL_LAYERS = [(n, a, k) for n, a, k, _ in BN_CONFIGS + INSTANCE_CONFIGS + OTHER_CONFIGS] + [
    ("InstanceNorm2d", (4,), {"affine": True, "bias": False}),
    ("BatchNorm2d", (4,), {"affine": False, "bias": False}),
]


@pytest.mark.parametrize("name,args,kwargs", ALL_LAYERS, ids=lambda v: str(v))
def test_state_dict_and_repr(name, args, kwargs):
    tmod = getattr(torch.nn, name)(*args, **kwargs)
    gmod = getattr(gt.nn, name)(*args, **kwargs)
    assert repr(gmod) == repr(tmod)
    tstate, gstate = tmod.state_dict(), gmod.state_dict()
    assert list(gstate) == list(tstate)
    for k, v in tstate.items():
        assert tuple(gstate[k].shape) == tuple(v.shape), k
        assert str(gstate[k].dtype).split(".")[-1] == str(v.dtype).split(".")[-1], k  # float32, int64
        np.testing.assert_array_equal(gstate[k].numpy(), v.numpy(), err_msg=k)  # the initial values
    assert [n for n, _ in gmod.named_parameters()] == [n for n, _ in tmod.named_parameters()]
    assert [n for n, _ in gmod.named_buffers()] == [n for n, _ in tmod.named_buffers()]


def test_repr_in_container():
    tnet = torch.nn.Sequential(torch.nn.BatchNorm2d(8, momentum=None), torch.nn.GroupNorm(2, 8, eps=1e-3),
                               torch.nn.LayerNorm([8, 4], elementwise_affine=False))
    gnet = gt.nn.Sequential(gt.nn.BatchNorm2d(8, momentum=None), gt.nn.GroupNorm(2, 8, eps=1e-3),
                            gt.nn.LayerNorm([8, 4], elementwise_affine=False))
    assert repr(gnet) == repr(tnet)


@pytest.mark.parametrize("layer,shape", [
    (lambda nn: nn.BatchNorm2d(3), (4, 3, 2, 2)),
    (lambda nn: nn.BatchNorm1d(3), (4, 3)),
    (lambda nn: nn.LayerNorm((2, 2)), (4, 3, 2, 2)),
    (lambda nn: nn.GroupNorm(3, 3), (4, 3, 2, 2)),
    (lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (4, 3, 2, 2)),
    (lambda nn: nn.RMSNorm(2), (4, 3, 2)),
], ids=["bn2d", "bn1d", "ln", "gn", "in2d", "rms"])
def test_float32(layer, shape):
    m = layer(gt.nn)
    x = gt.randn(*shape, requires_grad=True)
    for mode in ("train", "eval"):
        getattr(m, mode)()
        y = m(x)
        assert y.dtype == gt.float32
        g, = gt.autograd.grad(y.sum() + (y * y).sum(), x, create_graph=True)
        assert g.dtype == gt.float32
        gg, = gt.autograd.grad((g * g).sum(), x, retain_graph=True)
        assert gg.dtype == gt.float32
        m.zero_grad()
        (y * y).sum().backward()
        for name, p in m.named_parameters():
            assert p.grad.dtype == gt.float32, name
        for name, b in m.named_buffers():
            expected = gt.int64 if name == "num_batches_tracked" else gt.float32
            assert b.dtype == expected, name


def test_float32_values_close_to_torch():
    x = np.random.default_rng(0).standard_normal((8, 4, 5, 5)).astype(np.float32) * 3 + 1
    tm, gm = torch.nn.BatchNorm2d(4), gt.nn.BatchNorm2d(4)
    ty, gy = tm(torch.from_numpy(x)), gm(gt.tensor(x))
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gm.running_var.numpy(), tm.running_var.numpy(), rtol=1e-5)


def test_double_backward_through_layer():
    """A gradient penalty through BatchNorm: d/dw of |dL/dx|^2."""
    results = []
    for t in (torch, gt):
        m = t.nn.BatchNorm1d(3).double()
        with t.no_grad():
            m.weight.copy_(t.tensor([0.5, -1.0, 2.0], dtype=t.float64))
        x = t.tensor(np.linspace(-2, 3, 15).reshape(5, 3) ** 2, requires_grad=True)
        y = m(x)
        g, = t.autograd.grad((y ** 3).sum(), x, create_graph=True)
        (g * g).sum().backward()
        results.append((m.weight.grad.numpy().copy(), m.bias.grad.numpy().copy(), x.grad.numpy().copy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


def test_no_grad_forward_updates_running_stats():
    for t in (torch, gt):
        m = t.nn.BatchNorm1d(2)
        with t.no_grad():
            y = m(t.tensor([[1.0, 2.0], [3.0, 6.0]]))
        assert not y.requires_grad
        np.testing.assert_allclose(m.running_mean.numpy(), [0.2, 0.4], rtol=1e-6)
        np.testing.assert_allclose(m.running_var.numpy(), [0.9 + 0.1 * 2, 0.9 + 0.1 * 8], rtol=1e-6)


# ------------------------------------------------------------------ errors
def _both_raise(exc, match, fn):
    with pytest.raises(exc, match=match):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(gt)


@pytest.mark.parametrize("name,shape,msg", [
    ("BatchNorm2d", (4, 3, 2), r"expected 4D input \(got 3D input\)"),
    ("BatchNorm1d", (4, 3, 2, 2), r"expected 2D or 3D input \(got 4D input\)"),
    ("BatchNorm1d", (3,), r"expected 2D or 3D input \(got 1D input\)"),
    ("BatchNorm3d", (4, 3, 2, 2), r"expected 5D input \(got 4D input\)"),
    ("InstanceNorm2d", (4, 3), r"expected 3D or 4D input \(got 2D input\)"),
])
def test_layer_input_dim_errors(name, shape, msg):
    _both_raise(ValueError, msg, lambda t: getattr(t.nn, name)(3)(t.randn(*shape)))


def test_instancenorm_channel_mismatch():
    _both_raise(ValueError, r"expected input's size at dim=1 to match num_features \(3\), but got: 4",
                lambda t: t.nn.InstanceNorm1d(3, affine=True)(t.randn(2, 4, 5)))


def test_batch_of_one_in_training():
    msg = "Expected more than 1 value per channel when training, got input size"
    _both_raise(ValueError, msg, lambda t: t.nn.BatchNorm1d(3)(t.randn(1, 3)))
    _both_raise(ValueError, msg, lambda t: t.nn.BatchNorm2d(3)(t.randn(1, 3, 1, 1)))
    _both_raise(ValueError, msg, lambda t: t.nn.functional.group_norm(t.randn(1, 2), 2))
    _both_raise(ValueError, "Expected more than 1 spatial element when training",
                lambda t: t.nn.functional.instance_norm(t.randn(2, 3, 1)))


def test_groupnorm_errors():
    _both_raise(ValueError, r"num_channels \(6\) must be divisible by num_groups \(4\)",
                lambda t: t.nn.GroupNorm(4, 6))
    _both_raise(RuntimeError, r"Expected number of channels in input to be divisible by num_groups, but got input "
                r"of shape \[2, 6, 4\] and num_groups=4", lambda t: t.nn.functional.group_norm(t.randn(2, 6, 4), 4))
    _both_raise(RuntimeError, r"Expected weight to be a vector of size equal to the number of channels in input, "
                r"but got weight of shape \[5\]", lambda t: t.nn.functional.group_norm(t.randn(2, 6, 4), 3,
                                                                                     t.ones(5)))
    _both_raise(RuntimeError, "Expected at least 2 dimensions for input tensor but received 1",
                lambda t: t.nn.functional.group_norm(t.randn(6), 3))


def test_batch_norm_functional_errors():
    bn = lambda t: t.nn.functional.batch_norm  # noqa: E731
    _both_raise(RuntimeError, "running_mean should contain 3 elements not 4",
                lambda t: bn(t)(t.randn(4, 3), t.zeros(4), t.ones(3), training=True))
    _both_raise(RuntimeError, "running_var should contain 3 elements not 4",
                lambda t: bn(t)(t.randn(4, 3), t.zeros(3), t.ones(4), training=True))
    _both_raise(RuntimeError, "weight should contain 3 elements not 4",
                lambda t: bn(t)(t.randn(4, 3), None, None, t.ones(4), training=True))
    _both_raise(RuntimeError, "bias should contain 3 elements not 2",
                lambda t: bn(t)(t.randn(4, 3), None, None, None, t.ones(2), training=True))
    _both_raise(RuntimeError, "running_mean must be defined in evaluation mode",
                lambda t: bn(t)(t.randn(4, 3), None, None, training=False))
    _both_raise(ValueError, "batch_norm eps must be positive during training, but got 0",
                lambda t: bn(t)(t.randn(4, 3), None, None, training=True, eps=0))
    _both_raise(NotImplementedError, "\"batch_norm\" not implemented for 'Long'",
                lambda t: bn(t)(t.arange(12).reshape(4, 3), None, None, training=True))
    _both_raise(RuntimeError, "mixed dtype",
                lambda t: bn(t)(t.randn(4, 3), None, None, t.ones(3, dtype=t.float64), training=True))


def test_layer_norm_errors():
    ln = lambda t: t.nn.functional.layer_norm  # noqa: E731
    _both_raise(RuntimeError, r"Given normalized_shape=\[3\], expected input with shape \[\*, 3\], but got input of "
                r"size\[2, 3, 4\]", lambda t: ln(t)(t.randn(2, 3, 4), [3]))
    _both_raise(RuntimeError, r"Given normalized_shape=\[2, 3, 4, 5\]", lambda t: ln(t)(t.randn(2, 3, 4), [2, 3, 4, 5]))
    _both_raise(RuntimeError, r"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                r"\[3\] and normalized_shape = \[4\]", lambda t: ln(t)(t.randn(2, 3, 4), [4], t.ones(3)))
    _both_raise(RuntimeError, r"Expected bias to be of same shape as normalized_shape",
                lambda t: ln(t)(t.randn(2, 3, 4), [4], None, t.ones(3)))
    _both_raise(RuntimeError, "Expected normalized_shape to be at least 1-dimensional",
                lambda t: ln(t)(t.randn(2, 3, 4), []))
    _both_raise(TypeError, "must be tuple of ints, not int", lambda t: ln(t)(t.randn(2, 3, 4), 4))
    _both_raise(NotImplementedError, "not implemented for 'Long'", lambda t: ln(t)(t.arange(4), (4,)))


def test_batch_norm_float16_sums_do_not_overflow():
    # 65,536 values per channel: float16 sums would overflow; torch accumulates in float32.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4, 32, 32)).astype(np.float16)
    g = rng.standard_normal((64, 4, 32, 32)).astype(np.float16)
    out = []
    for lib in (gt, torch):
        xt = lib.tensor(x, requires_grad=True)
        w = lib.ones(4, dtype=lib.float16, requires_grad=True)
        b = lib.zeros(4, dtype=lib.float16, requires_grad=True)
        y = lib.nn.functional.batch_norm(xt, None, None, w, b, training=True)
        y.backward(lib.tensor(g))
        out.append([a.detach().numpy().astype(np.float32) for a in (y, xt.grad, w.grad, b.grad)])
    for ours, theirs, what in zip(*out, ["output", "input grad", "weight grad", "bias grad"]):
        assert np.isfinite(ours).all(), what
        np.testing.assert_allclose(ours, theirs, rtol=2e-2, atol=2e-2, err_msg=what)
