"""User-defined autograd.Function behaves as torch's."""
import numpy as np
import pytest
import torch

import glasstorch as gt


def make_square(t):
    class Square(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad
    return Square


def make_scaled(t):
    class Scaled(t.autograd.Function):
        """Two tensor inputs and a number; records needs_input_grad."""
        seen = []

        @staticmethod
        def forward(ctx, x, y, k):
            ctx.k = k
            ctx.save_for_backward(x, y)
            Scaled.seen.append(tuple(ctx.needs_input_grad))
            return x * y * k

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            gx = grad * y * ctx.k if ctx.needs_input_grad[0] else None
            gy = grad * x * ctx.k if ctx.needs_input_grad[1] else None
            return gx, gy, None
    return Scaled


def make_argmax_and_max(t):
    class MaxWithIndex(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return x.max(), idx

        @staticmethod
        def backward(ctx, grad, grad_idx):
            x, idx = ctx.saved_tensors
            g = t.zeros_like(x)
            g[idx] = grad
            return g
    return MaxWithIndex


def test_custom_square_matches_torch():
    arr = np.array([1.0, -2.0, 3.0])
    res = []
    for t in (gt, torch):
        x = t.tensor(arr, requires_grad=True)
        y = make_square(t).apply(x)
        (y * t.tensor([1.0, 2.0, 3.0], dtype=t.float64)).sum().backward()
        res.append((y.detach().numpy().copy(), x.grad.numpy().copy(), y.grad_fn.__class__.__name__))
    np.testing.assert_allclose(res[0][0], res[1][0])
    np.testing.assert_allclose(res[0][1], res[1][1])


def test_needs_input_grad_and_non_tensor_args():
    for t in (gt, torch):
        Scaled = make_scaled(t)
        x = t.tensor([2.0], requires_grad=True)
        y = t.tensor([5.0])
        out = Scaled.apply(x, y, 3.0)
        out.sum().backward()
        assert Scaled.seen == [(True, False, False)]
        assert x.grad.tolist() == [15.0]


def test_mark_non_differentiable():
    for t in (gt, torch):
        x = t.tensor([1.0, 5.0, 2.0], requires_grad=True)
        value, idx = make_argmax_and_max(t).apply(x)
        assert value.requires_grad and not idx.requires_grad
        value.backward()
        assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_custom_function_double_backward():
    res = []
    for t in (gt, torch):
        x = t.tensor([1.5, -0.5], dtype=t.float64, requires_grad=True)
        y = make_square(t).apply(x).sum()
        (g,) = t.autograd.grad(y, x, create_graph=True)
        (gg,) = t.autograd.grad(g.sum(), x)
        res.append(gg.tolist())
    assert res[0] == res[1] == [2.0, 2.0]


def test_wrong_number_of_gradients_raises():
    for t in (gt, torch):
        class Bad(t.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, grad):
                return grad

        x = t.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="incorrect number of gradients"):
            Bad.apply(x, x).sum().backward()


def test_saved_tensor_modified_in_place_raises():
    for t in (gt, torch):
        x = t.tensor([1.0, 2.0], requires_grad=True)
        y = make_square(t).apply(x * 1)
        z = x * 1
        w = make_square(t).apply(z)
        z.add_(1)  # the Square node saved z
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            w.sum().backward()
        del y


def test_gradcheck_and_gradgradcheck():
    x = gt.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    y = gt.tensor(np.random.default_rng(1).standard_normal((2,)), requires_grad=True)
    assert gt.autograd.gradcheck(lambda a, b: (a * b).tanh() * a.exp(), (x, y))
    assert gt.autograd.gradgradcheck(lambda a, b: (a * b).sin() * b, (x, y))
    assert gt.autograd.gradcheck(make_square(gt).apply, (x,))


def test_gradcheck_catches_a_wrong_gradient():
    class Wrong(gt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * grad  # should be 2 * x

    x = gt.tensor([1.0, 2.0], dtype=gt.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gt.autograd.gradcheck(Wrong.apply, (x,))
    assert not gt.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)


def test_backward_may_return_a_tuple_subclass():
    # torch accepts any tuple from backward, a namedtuple included.
    from collections import namedtuple
    Grads = namedtuple("Grads", "a b")

    class MulFn(gt.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return Grads(g * b, g * a)

    a, b = gt.tensor(2.0, requires_grad=True), gt.tensor(3.0, requires_grad=True)
    MulFn.apply(a, b).backward()
    assert a.grad.item() == 3.0 and b.grad.item() == 2.0
