"""glasstorch.optim optimizers against torch.optim, in float64.

Each framework computes its own gradients of the same loss (with its own
autograd), so a run checks the whole training step: backward, then the update.
"""
import copy
from typing import NamedTuple

import numpy as np
import pytest
import torch

import glasstorch as gt

SHAPES = [(3, 4), (4,), (5,)]


def init_arrays(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def make_params(lib, arrays):
    return [lib.nn.Parameter(lib.tensor(a.copy())) for a in arrays]


def loss_fn(w, b, c):
    # Quadratic bowls plus trigonometric terms and a coupling term: the gradients are
    # nonlinear in the parameters, and every parameter feels the others.
    return ((w - 0.5).pow(2).sum() + (w @ b).tanh().sum() * 0.2 + (b * b).sum()
            + (c * c + c.cos() * 0.5).sum())


def param_groups(params, group2):
    w, b, c = params
    if group2 is None:
        return [w, b, c]
    return [{"params": [w, b]}, {"params": [c], **group2}]


def train_step(opt, params):
    opt.zero_grad()
    loss_fn(*params).backward()
    opt.step()


def assert_params_close(ours, theirs, rtol=1e-10, atol=1e-12, msg=""):
    for i, (po, pt) in enumerate(zip(ours, theirs)):
        assert po.dtype == (gt.float64 if pt.dtype == torch.float64 else gt.float32)
        np.testing.assert_allclose(po.detach().numpy(), pt.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{msg} param {i}")


class Case(NamedTuple):
    name: str            # the optimizer class
    kwargs: dict         # constructor options
    group2: dict | None  # options of a second parameter group (None: one group)
    resume: bool = False  # also check the state_dict round trip (100 steps, so only the richest cases)


CASES = [
    Case("SGD", dict(lr=0.05), None),
    Case("SGD", dict(lr=0.05, momentum=0.9), None),
    Case("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01), None),
    Case("SGD", dict(lr=0.03, momentum=0.9, nesterov=True, weight_decay=0.02), None, resume=True),
    Case("SGD", dict(lr=0.01, momentum=0.5, maximize=True), None),
    Case("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True), None),
    Case("SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.01, momentum=0.5, nesterov=True), resume=True),
    Case("Adam", dict(), None),
    Case("Adam", dict(lr=0.05, weight_decay=0.1), None),
    Case("Adam", dict(lr=0.05, amsgrad=True), None),
    Case("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, maximize=True), None),
    Case("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True), None, resume=True),
    Case("Adam", dict(lr=0.05), dict(lr=0.01, amsgrad=True, weight_decay=0.2), resume=True),
    Case("AdamW", dict(), None),
    Case("AdamW", dict(lr=0.05, weight_decay=0.5, amsgrad=True), None, resume=True),
    Case("AdamW", dict(lr=0.02, maximize=True), dict(weight_decay=0.0, betas=(0.5, 0.9))),
    Case("RMSprop", dict(), None),
    Case("RMSprop", dict(lr=0.01, alpha=0.9, centered=True), None),
    Case("RMSprop", dict(lr=0.01, momentum=0.9), None),
    Case("RMSprop", dict(lr=0.01, momentum=0.8, centered=True, weight_decay=0.1, eps=1e-5), None, resume=True),
    Case("RMSprop", dict(lr=0.01, maximize=True), dict(centered=True, momentum=0.5), resume=True),
    Case("Adagrad", dict(lr=0.1), None),
    Case("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1, eps=1e-8), None,
         resume=True),
    Case("Adagrad", dict(lr=0.1, maximize=True), dict(lr=0.3, lr_decay=0.05)),
    Case("Adadelta", dict(), None),
    Case("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, eps=1e-5), None),
    Case("Adadelta", dict(maximize=True), dict(lr=2.0, rho=0.95), resume=True),
    Case("Adamax", dict(), None),
    Case("Adamax", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1), None, resume=True),
    Case("Adamax", dict(lr=0.02, maximize=True), dict(lr=0.1, eps=1e-4)),
    Case("NAdam", dict(), None),
    Case("NAdam", dict(lr=0.05, weight_decay=0.1), None, resume=True),
    Case("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.01), None,
         resume=True),
    Case("NAdam", dict(lr=0.02, maximize=True), dict(lr=0.1, betas=(0.8, 0.9))),
    Case("RAdam", dict(), None),
    Case("RAdam", dict(lr=0.05, weight_decay=0.1), None),
    Case("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), None),
    Case("RAdam", dict(lr=0.02, maximize=True), dict(lr=0.1, betas=(0.5, 0.9)), resume=True),
]


def case_id(case):
    name, kwargs, group2, _ = case
    opts = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}({opts})" + ("+group" if group2 else "")


def build(lib, case, arrays):
    name, kwargs, group2, _ = case
    params = make_params(lib, arrays)
    opt = getattr(lib.optim, name)(param_groups(params, group2), **kwargs)
    return opt, params


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch_over_50_steps(case):
    arrays = init_arrays()
    g_opt, g_params = build(gt, case, arrays)
    t_opt, t_params = build(torch, case, arrays)
    for step in range(1, 51):
        train_step(g_opt, g_params)
        train_step(t_opt, t_params)
        if step % 5 == 0:
            assert_params_close(g_params, t_params, msg=f"step {step}")
    # The run must have moved the parameters, or the comparison proves little.
    assert not np.allclose(g_params[0].detach().numpy(), arrays[0])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_state_dict_matches_torch_layout(case):
    arrays = init_arrays()
    g_opt, g_params = build(gt, case, arrays)
    t_opt, t_params = build(torch, case, arrays)
    for _ in range(3):
        train_step(g_opt, g_params)
        train_step(t_opt, t_params)
    g_sd, t_sd = g_opt.state_dict(), t_opt.state_dict()
    assert g_sd.keys() == t_sd.keys() == {"state", "param_groups"}
    assert g_sd["param_groups"] == t_sd["param_groups"]  # options, their order, and param indices
    assert [list(g) for g in g_sd["param_groups"]] == [list(g) for g in t_sd["param_groups"]]
    assert list(g_sd["state"]) == list(t_sd["state"])
    for idx in t_sd["state"]:
        g_state, t_state = g_sd["state"][idx], t_sd["state"][idx]
        assert list(g_state) == list(t_state)
        for key, t_val in t_state.items():
            g_val = g_state[key]
            assert isinstance(g_val, gt.Tensor), key
            assert g_val.shape == tuple(t_val.shape), key
            assert str(g_val.dtype).split(".")[-1] == str(t_val.dtype).split(".")[-1], key
            np.testing.assert_allclose(g_val.numpy(), t_val.numpy(), rtol=1e-10, atol=1e-14, err_msg=key)
    assert repr(g_opt) == repr(t_opt)


@pytest.mark.parametrize("case", [c for c in CASES if c.resume], ids=case_id)
def test_resume_from_state_dict_is_exact(case):
    arrays = init_arrays(seed=1)
    opt, params = build(gt, case, arrays)
    for _ in range(50):
        train_step(opt, params)
    uninterrupted = [p.detach().numpy().copy() for p in params]

    opt, params = build(gt, case, arrays)
    for _ in range(25):
        train_step(opt, params)
    saved = copy.deepcopy(opt.state_dict())
    midway = [p.detach().numpy().copy() for p in params]
    # A fresh model and optimizer, as when resuming from a checkpoint in a new process.
    opt, params = build(gt, case, midway)
    opt.load_state_dict(saved)
    for _ in range(25):
        train_step(opt, params)
    for p, expected in zip(params, uninterrupted):
        np.testing.assert_array_equal(p.detach().numpy(), expected)


@pytest.mark.parametrize("case", [c for c in CASES if c[2] is None], ids=case_id)
def test_float32_params_stay_float32(case):
    arrays = init_arrays(dtype=np.float32)
    g_opt, g_params = build(gt, case, arrays)
    t_opt, t_params = build(torch, case, arrays)
    for _ in range(5):
        train_step(g_opt, g_params)
        train_step(t_opt, t_params)
    for p in g_params:
        assert p.dtype == gt.float32 and p._data.dtype == np.float32
    for state in g_opt.state.values():
        for key, val in state.items():
            # Buffers follow the parameters; step and mu_product the default dtype: float32 both.
            assert val.dtype == gt.float32 and val._data.dtype == np.float32, key
    assert_params_close(g_params, t_params, rtol=2e-5, atol=2e-6)


def test_scalar_state_follows_default_dtype():
    # With float64 as the default dtype, torch keeps ``step`` and NAdam's ``mu_product``
    # in float64; the running product then carries no float32 rounding.
    case = Case("NAdam", dict(lr=0.05), None)
    prev_t, prev_g = torch.get_default_dtype(), gt.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    gt.set_default_dtype(gt.float64)
    try:
        arrays = init_arrays()
        g_opt, g_params = build(gt, case, arrays)
        t_opt, t_params = build(torch, case, arrays)
        for _ in range(20):
            train_step(g_opt, g_params)
            train_step(t_opt, t_params)
        assert g_opt.state[g_params[0]]["mu_product"].dtype == gt.float64
        assert_params_close(g_params, t_params)
    finally:
        torch.set_default_dtype(prev_t)
        gt.set_default_dtype(prev_g)


def test_numpy_float64_hyperparameters_keep_float32():
    # A NumPy float64 scalar would promote float32 arrays; options go through float().
    arrays = init_arrays(dtype=np.float32)
    params = make_params(gt, arrays)
    opt = gt.optim.Adam(params, lr=np.float64(0.01), betas=(0.9, 0.999), weight_decay=np.float64(0.1))
    for _ in range(3):
        train_step(opt, params)
    assert all(p._data.dtype == np.float32 for p in params)


# ----------------------------------------------------------------------------- LBFGS
LBFGS_CASES = [
    dict(),
    dict(lr=0.5, max_iter=4, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=5, history_size=2, lr=0.8),
    dict(max_iter=7, max_eval=9, tolerance_change=1e-12),
]


def lbfgs_run(lib, kwargs, arrays, n_steps):
    params = make_params(lib, arrays)
    opt = lib.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn(*params)
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(n_steps)]
    return opt, params, losses


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
def test_lbfgs_matches_torch(kwargs):
    arrays = init_arrays(seed=2)
    g_opt, g_params, g_losses = lbfgs_run(gt, kwargs, arrays, 3)
    t_opt, t_params, t_losses = lbfgs_run(torch, kwargs, arrays, 3)
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-10)
    assert_params_close(g_params, t_params, rtol=1e-9, atol=1e-11)
    g_state, t_state = g_opt.state[g_params[0]], t_opt.state[t_params[0]]
    assert g_state["func_evals"] == t_state["func_evals"]
    assert g_state["n_iter"] == t_state["n_iter"]
    assert set(g_state) == set(t_state)
    assert len(g_state["old_dirs"]) == len(t_state["old_dirs"])
    np.testing.assert_allclose(g_state["d"].numpy(), t_state["d"].numpy(), rtol=1e-8, atol=1e-10)
    assert repr(g_opt) == repr(t_opt)


def test_lbfgs_resume_from_state_dict_is_exact():
    kwargs = dict(max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    arrays = init_arrays(seed=3)
    _, params, _ = lbfgs_run(gt, kwargs, arrays, 4)
    uninterrupted = [p.detach().numpy().copy() for p in params]

    opt, params, _ = lbfgs_run(gt, kwargs, arrays, 2)
    saved = copy.deepcopy(opt.state_dict())
    assert isinstance(saved["state"][0]["d"], gt.Tensor)
    midway = [p.detach().numpy() for p in params]
    params = make_params(gt, midway)
    opt = gt.optim.LBFGS(params, **kwargs)
    opt.load_state_dict(saved)

    def closure():
        opt.zero_grad()
        loss = loss_fn(*params)
        loss.backward()
        return loss

    for _ in range(2):
        opt.step(closure)
    for p, expected in zip(params, uninterrupted):
        np.testing.assert_array_equal(p.detach().numpy(), expected)


def test_lbfgs_float32_and_errors():
    arrays = init_arrays(seed=2, dtype=np.float32)
    _, g_params, g_losses = lbfgs_run(gt, dict(line_search_fn="strong_wolfe"), arrays, 2)
    _, t_params, t_losses = lbfgs_run(torch, dict(line_search_fn="strong_wolfe"), arrays, 2)
    assert all(p._data.dtype == np.float32 for p in g_params)
    np.testing.assert_allclose(g_losses, t_losses, rtol=1e-4)

    for lib in (gt, torch):
        params = make_params(lib, init_arrays())
        with pytest.raises(ValueError, match="doesn't support per-parameter options"):
            lib.optim.LBFGS([{"params": params[:1]}, {"params": params[1:]}])
        opt = lib.optim.LBFGS(params, line_search_fn="bogus")

        def closure():
            opt.zero_grad()
            loss = loss_fn(*params)
            loss.backward()
            return loss

        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(closure)


# ----------------------------------------------------------------------------- the base class
def test_zero_grad():
    for lib in (gt, torch):
        params = make_params(lib, init_arrays())
        opt = lib.optim.SGD(params, lr=0.1)
        loss_fn(*params).backward()
        grad = params[0].grad
        opt.zero_grad(set_to_none=False)
        assert params[0].grad is grad  # zeroed in place
        assert not params[0].grad.requires_grad
        np.testing.assert_array_equal(params[0].grad.numpy(), np.zeros(SHAPES[0]))
        opt.zero_grad()
        assert all(p.grad is None for p in params)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_zero_grad_detaches_a_graph_grad():
    for lib in (gt, torch):
        x = lib.nn.Parameter(lib.tensor([1.0, 2.0], dtype=lib.float64))
        opt = lib.optim.SGD([x], lr=0.1)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        opt.zero_grad(set_to_none=False)
        assert x.grad.grad_fn is None and not x.grad.requires_grad
        assert x.grad.tolist() == [0.0, 0.0]


def test_params_without_grad_are_skipped():
    for lib in (gt, torch):
        params = make_params(lib, init_arrays())
        opt = lib.optim.Adam(params, lr=0.1)
        (params[0] * params[0]).sum().backward()
        before = [p.detach().numpy().copy() for p in params]
        opt.step()
        assert not np.array_equal(params[0].detach().numpy(), before[0])
        np.testing.assert_array_equal(params[1].detach().numpy(), before[1])
        assert len(opt.state) == 1


def test_add_param_group_errors_match_torch():
    for lib in (gt, torch):
        w, b, c = make_params(lib, init_arrays())
        opt = lib.optim.SGD([w], lr=0.1)
        with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
            opt.add_param_group({"params": [b, w]})
        with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
            lib.optim.Adam([{"params": [w, b]}, {"params": [b]}])
        with pytest.raises(TypeError, match="ordered collections"):
            opt.add_param_group({"params": {b}})
        with pytest.raises(TypeError, match="param_group must be a dict"):
            opt.add_param_group([b])
        with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
            opt.add_param_group({"params": [1.0]})
        with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
            opt.add_param_group({"params": [w * 2]})
        with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
            lib.optim.SGD([], lr=0.1)
        with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
            lib.optim.SGD(w, lr=0.1)
        with pytest.raises(ValueError, match="all optimizer param groups should be with/without names"):
            opt.add_param_group({"params": [("c", c)]})
        with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
            lib.optim.SGD([c], lr=0.1, nesterov=True)
        with pytest.raises(ValueError, match="Invalid learning rate"):
            lib.optim.Adam([c], lr=-1.0)
        with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
            lib.optim.NAdam([c], betas=(0.9, 1.0))
        with pytest.raises(ValueError, match="Invalid rho value"):
            lib.optim.Adadelta([c], rho=1.5)
        with pytest.raises(ValueError, match="Invalid momentum value"):
            lib.optim.RMSprop([c], momentum=-0.1)
        with pytest.raises(ValueError, match="Invalid lr_decay value"):
            lib.optim.Adagrad([c], lr_decay=-0.1)
        with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
            opt.load_state_dict({"state": {}, "param_groups": []})
        opt.add_param_group({"params": b, "lr": 0.5})  # a single tensor is accepted
        assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0
        with pytest.warns(UserWarning, match="duplicate parameters"):
            opt.add_param_group({"params": [c, c]})


def test_named_parameters():
    arrays = init_arrays()
    state_dicts = []
    for lib in (gt, torch):
        w, b, c = make_params(lib, arrays)
        opt = lib.optim.SGD([("w", w), ("b", b)], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": [("c", c)], "lr": 0.01})
        with pytest.raises(ValueError, match="cannot add param group without names"):
            opt.add_param_group({"params": [lib.nn.Parameter(lib.zeros(2))]})
        train_step(opt, [w, b, c])
        state_dicts.append(opt.state_dict())
    ours, theirs = state_dicts
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["param_groups"][0]["param_names"] == ["w", "b"]


def test_step_hooks_and_closure():
    arrays = init_arrays()
    params = make_params(gt, arrays)
    opt = gt.optim.SGD(params, lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    glob = gt.optim.optimizer.register_optimizer_step_pre_hook(lambda o, args, kwargs: calls.append("global"))

    def closure():
        calls.append("closure")
        assert gt.is_grad_enabled()
        opt.zero_grad()
        loss = loss_fn(*params)
        loss.backward()
        return loss

    with gt.no_grad():
        loss = opt.step(closure)
    assert calls == ["global", "pre", "closure", "post"]
    assert isinstance(loss, gt.Tensor)
    pre.remove(), post.remove(), glob.remove()
    opt.step()
    assert calls == ["global", "pre", "closure", "post"]


def test_state_dict_hooks_and_load_casts_dtype():
    arrays = init_arrays()
    params = make_params(gt, arrays)
    opt = gt.optim.Adam(params, lr=0.1)
    train_step(opt, params)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    sd = opt.state_dict()
    assert sd["extra"] == 1
    # Loading float64 state into float32 parameters casts it (the step counter excepted).
    params32 = make_params(gt, [a.astype(np.float32) for a in arrays])
    opt32 = gt.optim.Adam(params32, lr=0.1)
    seen = []
    opt32.register_load_state_dict_post_hook(lambda o: seen.append(True))
    opt32.load_state_dict(sd)
    assert seen == [True]
    state = opt32.state[params32[0]]
    assert state["exp_avg"].dtype == gt.float32 and state["step"].dtype == gt.float32
    assert opt32.param_groups[0]["params"] == params32


def test_version_counter_bumped_by_step():
    # A graph that saved a parameter must refuse to backward through it after step(),
    # as in torch (the optimizer updates parameters in place).
    params = make_params(gt, init_arrays())
    opt = gt.optim.SGD(params, lr=0.1)
    loss_fn(*params).backward()
    v = params[0]._version.value
    opt.step()
    assert params[0]._version.value > v


def test_custom_optimizer_subclass():
    # A user-written optimizer on the public API, as in a torch tutorial.
    finals = []
    for lib in (gt, torch):
        class SignSGD(lib.optim.Optimizer):
            def __init__(self, params, lr=0.01):
                super().__init__(params, dict(lr=lr))

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            state = self.state[p]
                            state["n"] = state.get("n", 0) + 1
                            p.add_(p.grad.sign(), alpha=-group["lr"])

        params = make_params(lib, init_arrays())
        opt = SignSGD(param_groups(params, dict(lr=0.001)), lr=0.02)
        calls = []
        opt.register_step_post_hook(lambda o, a, k: calls.append(1))
        for _ in range(10):
            train_step(opt, params)
        assert len(calls) == 10 and opt.state_dict()["state"][0] == {"n": 10}
        assert opt.param_groups[1]["lr"] == 0.001
        finals.append(params)
    assert_params_close(*finals)
