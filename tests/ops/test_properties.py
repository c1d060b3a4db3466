"""Property tests: random shapes and arguments, checked against torch by the same harness.

Hypothesis draws the cases; ``derandomize=True`` makes every run draw the same ones, so
CI is deterministic. Each drawn case becomes a harness row (forward values, dtype and
shape, first and second gradients, and a non-contiguous variant).
"""
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import glasstorch as gt
from harness import Arg, Op, check

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


# --------------------------------------------------------------- broadcasting
BINARY = {
    "add": lambda t, a, b: t.add(a, b),
    "mul": lambda t, a, b: a * b,
    "sub": lambda t, a, b: t.sub(a, b),
    "div": lambda t, a, b: a / b,
    "maximum": lambda t, a, b: t.maximum(a, b),
}


# Empty sides are allowed, but most draws are non-empty, where the values say more.
PAIRS = st.one_of(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=4),
                  mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4))


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes=PAIRS)
def test_broadcasting_binary_ops(name, shapes):
    a, b = shapes.input_shapes
    # A denominator kept away from 0, so the quotient and its gradients are well conditioned.
    denominator = Arg(tuple(b), "uniform", 0.5, 2.0)
    args = [tuple(a), denominator if name == "div" else tuple(b)]
    check(Op(f"{name}{tuple(a)}{tuple(b)}", BINARY[name], args))


# ----------------------------------------------------------------- reductions
def _call(name: str, dim, keepdim: bool):
    """The reduction as a harness function; ``dim=None`` means the no-dim form."""
    if name == "var":
        if dim is None:
            return lambda t, a: a.var()
        return lambda t, a: t.var(a, dim, keepdim=keepdim)
    if dim is None:
        return lambda t, a: getattr(t, name)(a)
    return lambda t, a: getattr(t, name)(a, dim, keepdim)


SHAPES = st.one_of(array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4),
                   array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))


@st.composite
def reduction_args(draw, name: str):
    """A shape, a dim (None, an int, or a tuple of distinct dims, negative or not) and keepdim."""
    shape = draw(SHAPES)
    ndim = len(shape)
    one = st.integers(-max(ndim, 1), max(ndim, 1) - 1)
    if ndim:
        # Distinct dims, each written as either its positive or its negative index.
        many = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
            lambda ds: st.tuples(*[st.sampled_from([d, d - ndim]) for d in ds]))
    else:
        many = st.just((0,))
    if name == "prod":  # torch's prod takes one int dim
        dim = draw(st.one_of(st.none(), one))
    elif name == "logsumexp":  # dim is required
        dim = draw(st.one_of(one, many))
    else:
        dim = draw(st.one_of(st.none(), one, many))
    return shape, dim, draw(st.booleans())


@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "prod", "logsumexp", "var"])
@SETTINGS
@given(data=st.data())
def test_reductions(name, data):
    shape, dim, keepdim = data.draw(reduction_args(name))
    fn = _call(name, dim, keepdim)
    try:
        fn(torch, torch.zeros(shape, dtype=torch.float64))
    except Exception as e:  # torch refuses (e.g. amax over an empty dim): so must we, with the same type
        with pytest.raises(type(e)):
            fn(gt, gt.zeros(shape, dtype=gt.float64))
        return
    check(Op(f"{name}{shape}dim={dim}keepdim={keepdim}", fn, [shape]))
