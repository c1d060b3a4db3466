"""utils.checkpoint: the same outputs and gradients as without it (and as torch's), activations
recomputed in backward, dropout replayed with the same random state."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt


def _model(t):
    """The same weights in either framework (from one NumPy generator)."""
    model = t.nn.Sequential(t.nn.Linear(4, 8), t.nn.Tanh(), t.nn.Linear(8, 8), t.nn.Sigmoid(), t.nn.Linear(8, 2))
    rng = np.random.default_rng(0)
    with t.no_grad():
        for p in model.parameters():
            p.copy_(t.tensor(rng.standard_normal(tuple(p.shape)) * 0.5, dtype=p.dtype))
    return model


def _grads(t, use_checkpoint, use_reentrant=False, x_requires_grad=True):
    model = _model(t).double()
    x = t.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=t.float64, requires_grad=x_requires_grad)
    if use_checkpoint:
        from importlib import import_module
        cp = import_module(t.__name__ + ".utils.checkpoint")
        out = cp.checkpoint(model, x, use_reentrant=use_reentrant)
    else:
        out = model(x)
    (out ** 2).sum().backward()
    return [out.detach().numpy()] + [p.grad.numpy() for p in model.parameters()] + (
        [x.grad.numpy()] if x_requires_grad else [])


@pytest.mark.parametrize("reentrant", [False, True])
def test_same_gradients_as_without_and_as_torch(reentrant):
    plain = _grads(gt, False)
    ours = _grads(gt, True, reentrant)
    theirs = _grads(torch, True, reentrant)
    for a, b, c in zip(ours, plain, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-12)


def test_non_reentrant_gives_parameter_gradients_for_an_input_without_grad():
    ours = _grads(gt, True, False, x_requires_grad=False)
    theirs = _grads(torch, True, False, x_requires_grad=False)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_reentrant_with_no_input_requiring_grad_detaches_as_torch():
    for t in (gt, torch):
        from importlib import import_module
        cp = import_module(t.__name__ + ".utils.checkpoint")
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            out = cp.checkpoint(_model(t), t.ones(2, 4), use_reentrant=True)
        assert not out.requires_grad


def test_activations_are_recomputed_not_kept():
    calls = []
    lin = gt.nn.Linear(3, 3).double()

    def block(x):
        calls.append(1)
        return gt.tanh(lin(x)) * x

    x = gt.ones(2, 3, dtype=gt.float64, requires_grad=True)
    out = gt.utils.checkpoint.checkpoint(block, x, use_reentrant=False)
    assert len(calls) == 1
    out.sum().backward()
    assert len(calls) == 2           # run once more in backward
    ref_x = gt.ones(2, 3, dtype=gt.float64, requires_grad=True)
    (gt.tanh(lin(ref_x)) * ref_x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref_x.grad.numpy(), rtol=1e-14)


def test_dropout_is_replayed_with_the_same_mask():
    gt.manual_seed(3)
    drop = gt.nn.Dropout(0.5)
    w = gt.ones(50, dtype=gt.float64, requires_grad=True)
    out = gt.utils.checkpoint.checkpoint(lambda v: drop(v) * v, w, use_reentrant=False)
    out.sum().backward()
    kept = out.detach().numpy() != 0
    # d(drop(w) * w)/dw = 2 * w * mask / (1 - p) where kept, 0 elsewhere: the recomputed mask is the same
    np.testing.assert_allclose(w.grad.numpy(), np.where(kept, 4.0, 0.0))


def test_checkpoint_sequential_matches_plain():
    for segments in (1, 2, 3):
        model = _model(gt).double()
        x = gt.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=gt.float64, requires_grad=True)
        out = gt.utils.checkpoint.checkpoint_sequential(model, segments, x, use_reentrant=False)
        out.sum().backward()
        got = [p.grad.numpy().copy() for p in model.parameters()]
        model.zero_grad()
        model(x).sum().backward()
        for a, p in zip(got, model.parameters()):
            np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-12)


def test_missing_use_reentrant_warns_as_torch():
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        gt.utils.checkpoint.checkpoint(lambda v: v * 2, gt.ones(2, requires_grad=True))
