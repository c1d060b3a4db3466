"""nn.Module: registration, enumeration, state_dict, modes, hooks, containers."""
import copy

import numpy as np
import pytest
import torch

import glasstorch as gt


def make_affine(t, n_in=3, n_out=2, seed=0):
    nn = t.nn

    class Affine(nn.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(seed)
            self.weight = nn.Parameter(t.tensor(rng.standard_normal((n_out, n_in))))
            self.bias = nn.Parameter(t.tensor(rng.standard_normal(n_out)))
            self.register_buffer("steps", t.zeros((), dtype=t.int64))
            self.register_buffer("scratch", t.zeros(2), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

    return Affine()


def make_net(t):
    nn = t.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = make_affine(t, 3, 4, 1)
            self.blocks = nn.ModuleList([make_affine(t, 4, 4, 2), make_affine(t, 4, 4, 3)])
            self.head = nn.Sequential(make_affine(t, 4, 2, 4))
            self.shared = self.first  # the same module twice: its parameters are yielded once
            self.scale = nn.Parameter(t.tensor(2.0, dtype=t.float64))

        def forward(self, x):
            x = self.first(x).tanh()
            for b in self.blocks:
                x = b(x).tanh()
            return self.head(x) * self.scale

    return Net()


def test_names_and_enumeration_match_torch():
    ours, theirs = make_net(gt), make_net(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert [n for n, _ in ours.named_parameters(recurse=False)] == ["scale"]
    assert ours.get_submodule("blocks.1") is ours.blocks[1]
    assert ours.get_parameter("head.0.bias") is ours.head[0].bias


def test_forward_backward_matches_torch():
    ours, theirs = make_net(gt), make_net(torch)
    x = np.random.default_rng(5).standard_normal((6, 3))
    out_o = ours(gt.tensor(x))
    out_t = theirs(torch.tensor(x))
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-10)
    out_o.sum().backward()
    out_t.sum().backward()
    for (n, po), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(po.grad.numpy(), pt.grad.numpy(), rtol=1e-10, err_msg=n)


def test_state_dict_round_trip_with_torch():
    ours, theirs = make_net(gt), make_net(torch)
    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(3)
    result = ours.load_state_dict({k: gt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    # state_dict tensors share memory and are detached
    sd = ours.state_dict()
    assert not sd["first.weight"].requires_grad
    sd["first.weight"].add_(1)
    assert ours.first.weight[0, 0].item() == sd["first.weight"][0, 0].item()


def test_strict_load_lists_every_problem():
    m = make_affine(gt)
    sd = m.state_dict()
    sd.pop("bias")
    sd["extra"] = gt.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "bias"' in msg and 'Unexpected key(s) in state_dict: "extra"' in msg
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    bad = m.state_dict()
    bad["weight"] = gt.zeros(5, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape"):
        m.load_state_dict(bad)
    # torch reports the same kinds of error
    tm = make_affine(torch)
    tsd = tm.state_dict()
    tsd.pop("bias")
    with pytest.raises(RuntimeError, match='Missing key'):
        tm.load_state_dict(tsd)


def test_train_eval_change_mode_not_grad():
    m = make_net(gt)
    m.eval()
    assert not m.training and not m.blocks[0].training and gt.is_grad_enabled()
    out = m(gt.ones(1, 3, dtype=gt.float64))
    assert out.requires_grad
    m.train()
    assert all(mod.training for mod in m.modules())
    with pytest.raises(ValueError):
        m.train("yes")


def test_zero_grad_requires_grad_apply_and_to():
    m = make_net(gt)
    m(gt.ones(2, 3, dtype=gt.float64)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen.count("Affine") == 4
    w = m.first.weight
    m.float()
    assert m.first.weight is w and w.dtype == gt.float32 and m.first.steps.dtype == gt.int64
    m.double()
    assert w.dtype == gt.float64


def test_setattr_rules():
    m = make_affine(gt)
    with pytest.raises(TypeError, match="cannot assign"):
        m.weight = gt.zeros(2, 3)
    m.weight = None
    assert "weight" in dict(m._parameters) and m.weight is None
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        m.nope
    del m.bias
    assert "bias" not in [n for n, _ in m.named_parameters()]


def test_forward_hooks_and_removal():
    m = make_affine(gt)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 100)
    x = gt.ones(1, 3, dtype=gt.float64)
    plain = (x * 2) @ m.weight.t() + m.bias + 100
    np.testing.assert_allclose(m(x).detach().numpy(), plain.detach().numpy())
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(m(x).detach().numpy(), (x @ m.weight.t() + m.bias).detach().numpy())
    assert not calls


def test_full_backward_hook_matches_torch():
    records = {}
    for t in (gt, torch):
        m = make_affine(t)
        seen = []

        def hook(mod, grad_input, grad_output):
            seen.append((grad_input[0].detach().numpy().copy(), grad_output[0].detach().numpy().copy()))
            return (grad_input[0] * 2,)

        m.register_full_backward_hook(hook)
        x = t.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        (m(x) * t.tensor([[1.0, 2.0]], dtype=t.float64)).sum().backward()
        records[t.__name__] = (seen, x.grad.numpy().copy())
    (so, xo), (st, xt) = records["glasstorch"], records["torch"]
    assert len(so) == len(st) == 1
    np.testing.assert_allclose(so[0][0], st[0][0])
    np.testing.assert_allclose(so[0][1], st[0][1])
    np.testing.assert_allclose(xo, xt)


def test_containers():
    nn = gt.nn
    a, b, c = make_affine(gt, 3, 3, 0), make_affine(gt, 3, 3, 1), make_affine(gt, 3, 3, 2)
    seq = nn.Sequential(a, b)
    seq.append(c)
    assert len(seq) == 3 and seq[-1] is c and isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    assert [n for n, _ in seq.named_parameters()][:2] == ["0.weight", "0.bias"]
    del seq[0]
    assert [k for k in seq._modules] == ["0", "1"] and seq[0] is b
    ml = nn.ModuleList([a])
    ml.append(b)
    ml += [c]
    assert len(ml) == 3 and ml[-1] is c and len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"x": a, "y": b})
    assert list(md.keys()) == ["x", "y"] and md["y"] is b and "x" in md
    pl = nn.ParameterList([gt.zeros(2), nn.Parameter(gt.ones(1))])
    assert len(pl) == 2 and isinstance(pl[0], nn.Parameter) and [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"w": gt.zeros(2)})
    assert isinstance(pd["w"], nn.Parameter) and [n for n, _ in pd.named_parameters()] == ["w"]


def test_repr_matches_torch_structure():
    ours, theirs = make_net(gt), make_net(torch)
    assert repr(ours) == repr(theirs)


def test_deepcopy_keeps_parameters():
    m = make_net(gt)
    m2 = copy.deepcopy(m)
    assert isinstance(m2.first.weight, gt.nn.Parameter) and m2.first.weight is not m.first.weight
    assert m2.shared is m2.first
    np.testing.assert_array_equal(m2.first.weight.detach().numpy(), m.first.weight.detach().numpy())


def test_parameter_repr_and_missing_forward():
    p = gt.nn.Parameter(gt.tensor([1.0, 2.0]))
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        gt.nn.Module()(1)
