"""In-place ops under autograd: version counters and torch's errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt

A = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]])
B = np.array([[1.5, 2.0, -0.5], [0.3, -1.2, 0.8]])

def setitem(y, key, value):
    y[key] = value
    return y


# (name, in-place function applied to the non-leaf y = x * 1, with the other tensor w)
CASES = [
    ("add_", lambda y, w: y.add_(w)),
    ("add_alpha", lambda y, w: y.add_(w, alpha=2.0)),
    ("sub_", lambda y, w: y.sub_(w)),
    ("mul_", lambda y, w: y.mul_(w)),
    ("div_", lambda y, w: y.div_(w + 3)),
    ("iadd", lambda y, w: y.__iadd__(w)),
    ("isub", lambda y, w: y.__isub__(w * 2)),
    ("imul", lambda y, w: y.__imul__(w)),
    ("itruediv", lambda y, w: y.__itruediv__(w + 3)),
    ("pow_", lambda y, w: y.pow_(2)),
    ("clamp_", lambda y, w: y.clamp_(-0.5, 0.6)),
    ("masked_fill_", lambda y, w: y.masked_fill_(w > 0, 0.0)),
    ("zero_", lambda y, w: y.zero_()),
    ("fill_", lambda y, w: y.fill_(2.0)),
    ("copy_", lambda y, w: y.copy_(w * 2)),
    ("copy_broadcast", lambda y, w: y.copy_(w[0])),
    ("setitem_row", lambda y, w: setitem(y, 0, w[1])),
    ("setitem_mask", lambda y, w: setitem(y, w > 0, 0.0)),
    ("setitem_slice", lambda y, w: setitem(y, (slice(None), slice(0, 2)), w[:, 1:] * 3)),
    ("sigmoid_", lambda y, w: y.sigmoid_()),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_inplace_matches_torch(name, fn):
    res = []
    for t in (gt, torch):
        x = t.tensor(A, requires_grad=True)
        w = t.tensor(B, requires_grad=True)
        y = x * 1
        out = fn(y, w)
        assert out is y, "in-place ops return self"
        (y * t.tensor(A + 2.0)).sum().backward()
        res.append((y.detach().numpy().copy(), x.grad.numpy().copy(),
                    None if w.grad is None else w.grad.numpy().copy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)
    if res[1][2] is None:
        assert res[0][2] is None or not np.any(res[0][2])
    else:
        np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-12)


def test_modifying_a_saved_tensor_raises():
    for t in (gt, torch):
        x = t.tensor([1.0, 2.0], requires_grad=True)
        y = x.sigmoid()  # sigmoid saves its output
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_inplace_after_inplace_that_saved_its_output_raises():
    for t in (gt, torch):
        x = t.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y.exp_().mul_(2)  # exp_ saved its result, which mul_ then overwrote
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_modifying_a_saved_input_raises():
    for t in (gt, torch):
        x = t.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        y = h * h  # mul saves both inputs
        h += 1
        with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
            y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    for t in (gt, torch):
        x = t.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.add_(1)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x[0] = 3.0


def test_sgd_step_under_no_grad():
    for t in (gt, torch):
        p = t.tensor([1.0, 2.0], requires_grad=True)
        (p * p).sum().backward()
        with t.no_grad():
            p -= 0.1 * p.grad
        assert p.is_leaf and p.requires_grad
        np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6], rtol=1e-6)


def test_data_assignment_form():
    p = gt.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data -= 0.1 * p.grad
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    assert p.requires_grad and p.is_leaf


def test_version_counter_shared_with_views_and_detach():
    x = gt.zeros(4)
    v = x.detach()
    before = x._version.value
    v.add_(1)
    assert x._version.value == before + 1
    assert x.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_inplace_cast_error():
    for t in (gt, torch):
        x = t.tensor([1, 2])
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            x.add_(1.5)


def test_inplace_shape_error():
    for t in (gt, torch):
        x = t.zeros(3)
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            x.add_(t.ones(2, 3))


def test_inplace_int_and_float_under_no_grad():
    x = gt.tensor([1.0, 2.0])
    x.mul_(2).add_(1)
    assert x.tolist() == [3.0, 5.0]
    y = gt.tensor([1, 2])
    y += 3
    assert y.tolist() == [4, 5] and y.dtype == gt.int64
