"""The backward engine: known pitfalls, graph shapes, memory, higher order, errors."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

import glasstorch as gt


def pair(shape, seed=0, grad=True):
    arr = np.random.default_rng(seed).standard_normal(shape)
    return (gt.tensor(arr, requires_grad=grad), torch.tensor(arr, requires_grad=grad))


def close(ours, theirs, rtol=1e-7, atol=1e-10):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=rtol, atol=atol)


# ------------------------------------------------------------- known pitfalls
def test_x_minus_x_has_zero_grad():
    x = gt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x - x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_x_plus_x_sums_both_paths():
    x = gt.tensor(3.0, requires_grad=True)
    (x + x).backward()
    assert x.grad.item() == 2.0


def test_x_times_x_one_op_same_input_twice():
    x = gt.tensor([1.0, -2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, -4.0]


def test_repeated_fancy_index_accumulates():
    x = gt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    assert x.grad.tolist() == [2.0, 1.0, 0.0]


def test_broadcast_from_both_sides():
    (a, ta), (b, tb) = pair((3, 1), 1), pair((2, 3, 4), 2)
    (a * b).sum().backward()
    (ta * tb).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (2, 3, 4)
    close(a.grad, ta.grad)
    close(b.grad, tb.grad)


def test_diamond_graph():
    (a, ta) = pair((4,), 3)
    for t, x in ((gt, a), (torch, ta)):
        b = x * 2
        c = x.exp()
        d = b * c + b.sin() * c
        d.sum().backward()
    close(a.grad, ta.grad)


def test_leaf_grad_does_not_alias_between_leaves():
    a = gt.tensor([1.0, 2.0], requires_grad=True)
    b = gt.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(10)
    assert b.grad.tolist() == [1.0, 1.0]


def test_grads_accumulate_across_backward_calls():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3 + 2.0, 3 + 4.0]


def test_long_chain_has_no_recursion_limit():
    x = gt.tensor(1.0, dtype=gt.float64, requires_grad=True)
    y = x
    n = 100_000
    for _ in range(n):
        y = y * 1.00001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.00001 ** n, rtol=1e-9)


def test_deep_chain_graph_is_freed_without_recursion():
    x = gt.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y  # a long linked list of nodes must be freed without blowing the C stack
    gc.collect()


# --------------------------------------------------------------- grad modes
def test_no_grad_records_nothing():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    with gt.no_grad():
        y = x * 2 + 1
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_requires_grad_propagates_only_from_inputs_that_need_it():
    x = gt.tensor([1.0], requires_grad=True)
    c = gt.tensor([2.0])
    assert (c * 2).grad_fn is None
    assert (x * c).requires_grad
    assert (x * c).grad_fn.name() == "MulBackward0"


# -------------------------------------------------------------------- memory
def test_graph_is_freed_after_backward():
    x = gt.tensor(np.ones(1000), requires_grad=True)
    y = x.exp()
    node = weakref.ref(y.grad_fn)
    loss = (y * y).sum()
    loss.backward()
    assert y.grad_fn._saved is None, "saved tensors must be released after backward"
    gc.disable()
    try:
        del y, loss
        assert node() is None, "the graph must be freed by reference counting alone (no cycles)"
    finally:
        gc.enable()


def test_forward_without_backward_leaks_nothing():
    w = gt.randn(16, 16, requires_grad=True)
    x = gt.randn(8, 16)

    def step():
        h = (x @ w).tanh()
        return (h * h).sum().exp() + h.mean()

    gc.disable()
    try:
        for _ in range(200):
            step()
        tracemalloc.start()
        for _ in range(1000):
            step()
        first, _ = tracemalloc.get_traced_memory()
        for _ in range(9000):
            step()
        second, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        gc.enable()
    assert second - first < 64 * 1024, f"memory grew by {second - first} bytes over 9,000 forward passes"


def test_backward_twice_through_freed_graph_raises():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (tx.exp() * tx).sum()
    ty.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        ty.backward()


def test_retain_graph_allows_second_backward():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.tolist()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array(first))


# -------------------------------------------------------------- higher order
def test_hessian_vector_product_matches_torch():
    (x, tx), (v, tv) = pair((5,), 4), pair((5,), 5, grad=False)
    results = []
    for t, xx, vv in ((gt, x, v), (torch, tx, tv)):
        f = (xx.sin() * xx * xx).sum() + (xx.exp() * xx.roll(1)).sum()
        (g,) = t.autograd.grad(f, xx, create_graph=True)
        (hv,) = t.autograd.grad((g * vv).sum(), xx)
        results.append(hv)
    close(results[0], results[1])


def test_gradient_penalty_matches_torch():
    (w, tw), (x, tx) = pair((3, 4), 6), pair((8, 3), 7)
    for t, ww, xx in ((gt, w, x), (torch, tw, tx)):
        xx.requires_grad_(True)
        out = (xx @ ww).tanh().sum()
        (gx,) = t.autograd.grad(out, xx, create_graph=True)
        penalty = ((gx.norm(2, dim=1) - 1) ** 2).mean()
        penalty.backward()
    close(w.grad, tw.grad)


def test_third_derivative():
    x = gt.tensor(0.7, dtype=gt.float64, requires_grad=True)
    tx = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    res = []
    for t, xx in ((gt, x), (torch, tx)):
        y = xx.sin() * xx.exp()
        (g1,) = t.autograd.grad(y, xx, create_graph=True)
        (g2,) = t.autograd.grad(g1, xx, create_graph=True)
        (g3,) = t.autograd.grad(g2, xx)
        res.append(g3)
    close(res[0], res[1])


# ------------------------------------------------------------ autograd.grad
def test_grad_does_not_accumulate_into_leaves():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    (g,) = gt.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0] and x.grad is None


def test_grad_wrt_non_leaf():
    (x, tx) = pair((3,), 8)
    res = []
    for t, xx in ((gt, x), (torch, tx)):
        h = xx.exp()
        y = (h * h.sin()).sum()
        res.append(t.autograd.grad(y, h)[0])
    close(res[0], res[1])


def test_grad_allow_unused():
    x = gt.tensor([1.0], requires_grad=True)
    z = gt.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not have been used in the graph"):
        gt.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = gt.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gx.tolist() == [2.0] and gz is None
    gx, gz = gt.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert gz.tolist() == [0.0]


def test_grad_with_grad_outputs_and_several_outputs():
    (x, tx) = pair((2, 3), 9)
    res = []
    for t, xx in ((gt, x), (torch, tx)):
        a, b = xx * 2, xx.exp()
        ga = t.ones(2, 3, dtype=t.float64)
        gb = t.full((2, 3), 0.5, dtype=t.float64)
        res.append(t.autograd.grad([a, b], xx, [ga, gb])[0])
    close(res[0], res[1])


def test_backward_inputs_argument():
    x = gt.tensor([1.0], requires_grad=True)
    y = gt.tensor([2.0], requires_grad=True)
    (x * y).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and y.grad is None


# -------------------------------------------------------------------- hooks
def test_hooks_on_leaf_and_non_leaf():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h1 = x.register_hook(lambda g: g * 10)
    y = x * 3
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    assert x.grad.tolist() == [30.0, 30.0]
    h1.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_retain_grad():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    z = y.sum() * 2
    z.backward()
    assert y.grad.tolist() == [2.0, 2.0] and y.retains_grad
    assert x.grad.tolist() == [4.0, 8.0]


@pytest.mark.parametrize("hook_first", [False, True])
def test_retain_grad_keeps_the_gradient_after_the_hooks_as_torch(hook_first):
    # torch stores the retained gradient after the tensor's own hooks, in either order of registration
    results = []
    for t in (gt, torch):
        x = t.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        if hook_first:
            y.register_hook(lambda g: g * 2)
        y.retain_grad()
        if not hook_first:
            y.register_hook(lambda g: g * 2)
        (y * y).sum().backward()
        results.append((y.grad.tolist(), x.grad.tolist()))
    assert results[0] == results[1]


def test_next_functions_show_the_graph():
    x = gt.tensor([1.0], requires_grad=True)
    y = (x * 2).exp()
    node = y.grad_fn
    assert node.name() == "ExpBackward0"
    (mul, _), = node.next_functions
    assert mul.name() == "MulBackward0"
    (acc, _), none = mul.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x and none == (None, 0)  # as torch


# ------------------------------------------------------------------- errors
def test_backward_on_non_scalar_needs_gradient():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (torch.tensor([1.0, 2.0], requires_grad=True) * 2).backward()


def test_backward_gradient_shape_mismatch():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\[3\].*\[2\]"):
        (x * 2).backward(gt.ones(3))


def test_backward_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gt.tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.tensor([1.0]).sum().backward()


def test_mismatched_shapes_raise_with_shapes_named():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\)"):
        gt.ones(2, 3) + gt.ones(4)
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\)"):
        torch.ones(2, 3) + torch.ones(4)


def test_bad_dim_raises_index_error():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        gt.ones(2, 3).sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.ones(2, 3).sum(2)


def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        gt.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)
