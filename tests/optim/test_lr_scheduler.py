"""glasstorch.optim.lr_scheduler against torch.optim.lr_scheduler.

The schedules are Python float arithmetic in both libraries, evaluated in the
same order, so the learning rates must be equal, not just close.
"""
import copy
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt


def make_optimizer(lib, name="SGD", **kwargs):
    """An optimizer with two parameter groups (different lrs), on parameters without grads."""
    p1 = lib.nn.Parameter(lib.zeros(3))
    p2 = lib.nn.Parameter(lib.zeros(2))
    groups = [{"params": [p1]}, {"params": [p2], "lr": 0.01}]
    if name == "SGD":
        kwargs.setdefault("momentum", 0.9)
    return getattr(lib.optim, name)(groups, lr=0.1, **kwargs)


def f_lambda(epoch):
    return 0.95 ** epoch


def g_lambda(epoch):
    return 1.0 / (1 + epoch)


def f_mult(epoch):
    return 0.98 if epoch % 3 else 0.9


def cyclic_scale(x):
    return 1.0 / (1.0 + 0.1 * x)


# Each maker builds a scheduler with the given library, for its optimizer.
SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=20, eta_min=0.001),
    "CosineAnnealingLR-no-min": lambda S, o: S.CosineAnnealingLR(o, T_max=13),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2, eta_min=1e-4),
    "CosineAnnealingWarmRestarts-mult1": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=9),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lr_lambda=f_lambda),
    "LambdaLR-per-group": lambda S, o: S.LambdaLR(o, lr_lambda=[f_lambda, g_lambda]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lr_lambda=f_mult),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=30),
    "LinearLR-decay": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=45),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.4, total_iters=12),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=40, power=2.0),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.05], total_steps=101),
    "OneCycleLR-three-phase-linear": lambda S, o: S.OneCycleLR(
        o, max_lr=1.0, epochs=10, steps_per_epoch=11, pct_start=0.25, anneal_strategy="linear", three_phase=True,
        base_momentum=[0.8, 0.7], max_momentum=0.9),
    "OneCycleLR-no-momentum": lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=120, cycle_momentum=False,
                                                        div_factor=10.0, final_div_factor=100.0),
    "CyclicLR": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=8,
                                                    step_size_down=5, mode="triangular2"),
    "CyclicLR-exp-range": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range",
                                                  gamma=0.99, base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-scale-fn": lambda S, o: S.CyclicLR(o, base_lr=0.02, max_lr=0.2, step_size_up=7, scale_fn=cyclic_scale,
                                                 scale_mode="iterations", cycle_momentum=False),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, schedulers=[S.LinearLR(o, start_factor=0.1, total_iters=10), S.ExponentialLR(o, gamma=0.95)],
        milestones=[10]),
    "SequentialLR-three": lambda S, o: S.SequentialLR(
        o, schedulers=[S.ConstantLR(o, factor=0.5, total_iters=5), S.ExponentialLR(o, gamma=0.9),
                       S.CosineAnnealingLR(o, T_max=30, eta_min=0.001)], milestones=[5, 30]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.3, total_iters=8), S.ExponentialLR(o, gamma=0.97), S.StepLR(o, 20, 0.5)]),
}

# Schedulers that cycle the momentum, and the optimizer they need for beta1 cycling.
MOMENTUM_SCHEDULERS = [k for k in SCHEDULERS if k.startswith(("OneCycleLR", "CyclicLR"))]


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def run_schedule(lib, name, optimizer="SGD", n=100):
    opt = make_optimizer(lib, optimizer)
    sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
    lrs, moms = [sched.get_last_lr()], [momenta(opt)]
    for _ in range(n):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        moms.append(momenta(opt))
    return opt, sched, lrs, moms


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_matches_torch(name):
    g_opt, g_sched, g_lrs, g_moms = run_schedule(gt, name)
    t_opt, t_sched, t_lrs, t_moms = run_schedule(torch, name)
    assert g_lrs == t_lrs
    assert g_moms == t_moms
    assert [g["lr"] for g in g_opt.param_groups] == [g["lr"] for g in t_opt.param_groups]
    assert getattr(g_sched, "last_epoch", None) == getattr(t_sched, "last_epoch", None)
    assert g_sched.state_dict() == t_sched.state_dict()
    # The optimizer's groups carry the same extra keys (initial_lr, max_lr, ...).
    assert g_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]
    assert len(set(map(tuple, g_lrs))) > 1  # the schedule did change the rates


@pytest.mark.parametrize("name", MOMENTUM_SCHEDULERS)
def test_beta1_cycling_with_adam_matches_torch(name):
    _, _, g_lrs, g_moms = run_schedule(gt, name, optimizer="Adam", n=60)
    t_opt, _, t_lrs, t_moms = run_schedule(torch, name, optimizer="Adam", n=60)
    assert g_lrs == t_lrs
    assert g_moms == t_moms


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_resume_from_state_dict(name):
    _, _, full, full_moms = run_schedule(gt, name)

    opt, sched, lrs, moms = run_schedule(gt, name, n=40)
    opt_state = copy.deepcopy(opt.state_dict())
    sched_state = copy.deepcopy(sched.state_dict())
    # Fresh optimizer and scheduler; as torch advises, load the scheduler, then the optimizer.
    opt = make_optimizer(gt)
    sched = SCHEDULERS[name](gt.optim.lr_scheduler, opt)
    sched.load_state_dict(sched_state)
    opt.load_state_dict(opt_state)
    for _ in range(60):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        moms.append(momenta(opt))
    assert lrs == full
    assert moms == full_moms


def test_closed_form_with_epoch_argument_matches_torch():
    for name in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "ConstantLR",
                 "PolynomialLR"):
        results = []
        for lib in (gt, torch):
            opt = make_optimizer(lib)
            sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
            seq = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for epoch in (3, 10, 7, 31, 64, 35):
                    opt.step()
                    sched.step(epoch)
                    seq.append(sched.get_last_lr())
            results.append(seq)
        assert results[0] == results[1], name


def test_warm_restarts_fractional_epochs_match_torch():
    results = []
    for lib in (gt, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=0.001)
        seq = []
        for epoch in range(12):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                seq.append(sched.get_last_lr())
        results.append(seq)
    assert results[0] == results[1]


REDUCE_CASES = [
    dict(mode="min", factor=0.5, patience=3, cooldown=2, min_lr=[1e-3, 1e-4]),
    dict(mode="max", factor=0.3, patience=2, threshold=0.05, threshold_mode="abs"),
    dict(mode="min", threshold_mode="abs", patience=0, min_lr=0.002, eps=1e-3),
    dict(mode="max", patience=4, cooldown=1),
]


@pytest.mark.parametrize("kwargs", REDUCE_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(0)
    # A noisy metric that improves, then plateaus, then gets worse.
    metrics = np.concatenate([np.linspace(1.0, 0.5, 20), np.full(30, 0.5), np.linspace(0.5, 0.8, 30)])
    metrics = metrics + rng.normal(0, 0.01, metrics.shape)
    results = []
    for lib in (gt, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        seq = [sched.get_last_lr()]
        for i, m in enumerate(metrics):
            opt.step()
            # Metrics arrive as floats or 0-d tensors.
            sched.step(lib.tensor(m) if i % 2 else float(m))
            seq.append(sched.get_last_lr())
        results.append((seq, sched.state_dict()))
    assert results[0][0] == results[1][0]
    assert len(set(map(tuple, results[0][0]))) > 1
    assert results[0][1] == results[1][1]

    # Resume half way.
    opt = make_optimizer(gt)
    sched = gt.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    for m in metrics[:40]:
        sched.step(float(m))
    state, opt_state = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    opt = make_optimizer(gt)
    sched = gt.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    sched.load_state_dict(state)
    opt.load_state_dict(opt_state)
    seq = []
    for m in metrics[40:]:
        sched.step(float(m))
        seq.append(sched.get_last_lr())
    assert seq == results[0][0][41:]


def test_initial_lr_and_base_lrs():
    for lib in (gt, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
        assert sched.base_lrs == [0.1, 0.01]
        assert sched.last_epoch == 0 and sched._step_count == 1
        assert isinstance(sched, lib.optim.lr_scheduler.LRScheduler)
        assert issubclass(lib.optim.lr_scheduler._LRScheduler, lib.optim.lr_scheduler.LRScheduler)
        # Resuming with last_epoch needs initial_lr in every group.
        fresh = make_optimizer(lib)
        with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
            lib.optim.lr_scheduler.StepLR(fresh, step_size=2, last_epoch=3)
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=4)
        assert sched.get_last_lr() == [0.1, 0.01]


def test_warnings_match_torch():
    for lib in (gt, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched.step()


def test_constructor_errors_match_torch():
    for lib in (gt, torch):
        S = lib.optim.lr_scheduler
        opt = make_optimizer(lib)
        with pytest.raises(TypeError, match="is not an Optimizer"):
            S.StepLR(object(), step_size=2)
        with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1"):
            S.ConstantLR(opt, factor=2.0)
        with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
            S.LinearLR(opt, start_factor=0.0)
        with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
            S.LambdaLR(opt, lr_lambda=[f_lambda])
        with pytest.raises(ValueError, match="Expected positive integer T_0"):
            S.CosineAnnealingWarmRestarts(opt, T_0=0)
        with pytest.raises(ValueError, match="Factor should be < 1.0"):
            S.ReduceLROnPlateau(opt, factor=1.0)
        with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
            S.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])
        with pytest.raises(ValueError, match="mode bogus is unknown"):
            S.ReduceLROnPlateau(opt, mode="bogus")
        with pytest.raises(ValueError, match="You must define either total_steps OR"):
            S.OneCycleLR(opt, max_lr=0.1)
        with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
            S.OneCycleLR(opt, max_lr=[0.1], total_steps=10)
        with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
            S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="bogus")
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            S.CyclicLR(lib.optim.Adagrad([lib.nn.Parameter(lib.zeros(2))]), base_lr=0.01, max_lr=0.1)
        with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers provided"):
            S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(opt, 3)], milestones=[])
        with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
            S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
        one_cycle = S.OneCycleLR(make_optimizer(lib), max_lr=0.1, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                one_cycle.step()
            with pytest.raises(ValueError, match="Tried to step 4 times"):
                one_cycle.step()


def test_tensor_lr_is_updated_in_place():
    p = gt.nn.Parameter(gt.zeros(2))
    lr = gt.tensor(0.1)
    opt = gt.optim.SGD([p], lr=lr)
    sched = gt.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert abs(lr.item() - 0.05) < 1e-9


@pytest.mark.parametrize("optimizer, scheduler", [
    ("SGD", lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5)),
    ("Adam", lambda S, o: S.OneCycleLR(o, max_lr=0.2, total_steps=40)),
    ("AdamW", lambda S, o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, 30)],
                                          milestones=[5])),
], ids=["SGD+CyclicLR", "Adam+OneCycleLR", "AdamW+SequentialLR"])
def test_scheduled_training_matches_torch(optimizer, scheduler):
    # The scheduled lr and momentum (beta1) must reach the update maths.
    rng = np.random.default_rng(4)
    x, target, w0 = rng.standard_normal((16, 3)), rng.standard_normal(16), rng.standard_normal(3)
    finals = []
    for lib in (gt, torch):
        w = lib.nn.Parameter(lib.tensor(w0))
        opt = getattr(lib.optim, optimizer)([w], lr=0.1)
        sched = scheduler(lib.optim.lr_scheduler, opt)
        X, y = lib.tensor(x), lib.tensor(target)
        for _ in range(40):
            opt.zero_grad()
            ((X @ w - y) ** 2).mean().backward()
            opt.step()
            sched.step()
        finals.append(w.detach().numpy())
    np.testing.assert_allclose(finals[0], finals[1], rtol=1e-10, atol=1e-12)
