"""Max, average and adaptive pooling (functional and modules) against torch."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Op, check, distinct, ints


def F(t):
    return t.nn.functional


X = (2, 3, 9, 8)    # odd sizes, so that floor and ceil modes differ


def mp(*args, **kwargs):
    return lambda t, x: F(t).max_pool2d(x, *args, **kwargs)


def ap(*args, **kwargs):
    return lambda t, x: F(t).avg_pool2d(x, *args, **kwargs)


# ======================================================= functional rows (harness)
CASES = [
    # ---- max_pool2d: distinct values, so the maxima (and gradients) are unambiguous
    Op("max_pool2d", mp(2), [distinct(*X)]),
    Op("max_pool2d_kernel3", mp(3), [distinct(*X)]),
    Op("max_pool2d_rect", mp((2, 3)), [distinct(*X)]),
    Op("max_pool2d_stride", mp(3, 2), [distinct(*X)]),
    Op("max_pool2d_stride_tuple", mp((3, 2), (1, 2)), [distinct(*X)]),
    Op("max_pool2d_overlap", mp(3, 1), [distinct(*X)]),
    Op("max_pool2d_padding", mp(3, 2, 1), [distinct(*X)]),
    Op("max_pool2d_padding_tuple", mp((3, 4), 2, (1, 2)), [distinct(*X)]),
    Op("max_pool2d_dilation", mp(2, 1, 0, 2), [distinct(*X)]),
    Op("max_pool2d_dilation_padding", mp(3, 2, 1, (2, 1)), [distinct(*X)]),
    Op("max_pool2d_ceil", mp(2, ceil_mode=True), [distinct(*X)]),
    Op("max_pool2d_ceil_padding", mp(3, 2, 1, ceil_mode=True), [distinct(2, 3, 10, 7)]),
    Op("max_pool2d_ceil_stride3", mp(2, 3, ceil_mode=True), [distinct(*X)]),
    Op("max_pool2d_all", mp((2, 3), (2, 1), (1, 1), (1, 2), True), [distinct(*X)]),
    Op("max_pool2d_indices", mp(3, 2, 1, return_indices=True), [distinct(*X)]),
    Op("max_pool2d_indices_dilated", mp(2, 1, 1, 3, True, True), [distinct(*X)]),
    Op("max_pool2d_unbatched", mp(2, return_indices=True), [distinct(3, 9, 8)]),
    Op("max_pool2d_empty_batch", mp(2), [(0, 3, 4, 4)]),
    Op("max_pool2d_squared", lambda t, x: F(t).max_pool2d(x * x, 2, 1), [distinct(*X)]),
    Op("max_pool2d_ties", lambda t: F(t).max_pool2d(t.ones(1, 2, 4, 5), 3, 1, 1, return_indices=True), [],
       grad=False),
    Op("max_pool2d_ties_grad", lambda t, x: F(t).max_pool2d(x.round(), 3, 1), [(2, 2, 5, 5)]),
    Op("max_pool2d_int", lambda t, x: F(t).max_pool2d(x, 3, 2, 1, return_indices=True), [ints(10, 2, 2, 7, 7,
                                                                                               low=-10)]),
    Op("max_pool2d_with_indices", lambda t, x: F(t).max_pool2d_with_indices(x, 2), [distinct(*X)]),
    # ---- max_pool1d
    Op("max_pool1d", lambda t, x: F(t).max_pool1d(x, 3), [distinct(2, 3, 10)]),
    Op("max_pool1d_options", lambda t, x: F(t).max_pool1d(x, 3, 2, 1, 2, True, True), [distinct(2, 3, 10)]),
    Op("max_pool1d_unbatched", lambda t, x: F(t).max_pool1d(x, 2, 1, return_indices=True), [distinct(3, 10)]),
    Op("max_pool1d_tuples", lambda t, x: F(t).max_pool1d(x, (3,), (2,), (1,)), [distinct(2, 3, 10)]),
    # ---- avg_pool2d
    Op("avg_pool2d", ap(2), [X]),
    Op("avg_pool2d_rect", ap((2, 3)), [X]),
    Op("avg_pool2d_stride", ap(3, 2), [X]),
    Op("avg_pool2d_overlap", ap(3, 1), [X]),
    Op("avg_pool2d_padding", ap(3, 2, 1), [X]),
    Op("avg_pool2d_padding_exclude", ap(3, 2, 1, count_include_pad=False), [X]),
    Op("avg_pool2d_padding_tuple", ap((3, 2), (2, 1), (1, 1)), [X]),
    Op("avg_pool2d_ceil", ap(2, ceil_mode=True), [X]),
    Op("avg_pool2d_ceil_padding", ap(3, 2, 1, ceil_mode=True), [(2, 3, 10, 7)]),
    Op("avg_pool2d_ceil_padding_exclude", ap(3, 2, 1, True, False), [(2, 3, 10, 7)]),
    Op("avg_pool2d_divisor", ap(3, 2, 1, divisor_override=2), [X]),
    Op("avg_pool2d_divisor_ceil", ap(2, ceil_mode=True, divisor_override=3), [X]),
    Op("avg_pool2d_divisor_negative", ap(2, divisor_override=-1), [X]),
    Op("avg_pool2d_unbatched", ap(2, 1, 1), [(3, 9, 8)]),
    Op("avg_pool2d_global", ap((9, 8)), [X]),
    Op("avg_pool2d_empty_batch", ap(2), [(0, 3, 4, 4)]),
    Op("avg_pool2d_squared", lambda t, x: F(t).avg_pool2d(x, 2) ** 2, [X]),
    Op("avg_pool2d_long", lambda t, x: F(t).avg_pool2d(x, 3, 2, 1), [ints(20, 2, 2, 7, 7, low=-20)]),
    # ---- avg_pool1d
    Op("avg_pool1d", lambda t, x: F(t).avg_pool1d(x, 3), [(2, 3, 10)]),
    Op("avg_pool1d_options", lambda t, x: F(t).avg_pool1d(x, 3, 2, 1, True, False), [(2, 3, 10)]),
    Op("avg_pool1d_unbatched", lambda t, x: F(t).avg_pool1d(x, 2, 1, 1), [(3, 10)]),
    # ---- adaptive pooling: divisible, non-divisible, None entries, larger than the input
    Op("adaptive_avg_pool2d", lambda t, x: F(t).adaptive_avg_pool2d(x, 3), [X]),
    Op("adaptive_avg_pool2d_global", lambda t, x: F(t).adaptive_avg_pool2d(x, 1), [X]),
    Op("adaptive_avg_pool2d_divisible", lambda t, x: F(t).adaptive_avg_pool2d(x, (3, 4)), [X]),
    Op("adaptive_avg_pool2d_nondiv", lambda t, x: F(t).adaptive_avg_pool2d(x, (4, 5)), [X]),
    Op("adaptive_avg_pool2d_none", lambda t, x: F(t).adaptive_avg_pool2d(x, (None, 3)), [X]),
    Op("adaptive_avg_pool2d_upsample", lambda t, x: F(t).adaptive_avg_pool2d(x, (11, 13)), [X]),
    Op("adaptive_avg_pool2d_unbatched", lambda t, x: F(t).adaptive_avg_pool2d(x, (2, 3)), [(3, 7, 5)]),
    Op("adaptive_avg_pool2d_empty_batch", lambda t, x: F(t).adaptive_avg_pool2d(x, 2), [(0, 3, 5, 5)]),
    # torch has no backward for an empty output
    Op("adaptive_avg_pool2d_zero_size", lambda t, x: F(t).adaptive_avg_pool2d(x, 0), [X], grad=False),
    Op("adaptive_max_pool2d", lambda t, x: F(t).adaptive_max_pool2d(x, 3), [distinct(*X)]),
    Op("adaptive_max_pool2d_nondiv", lambda t, x: F(t).adaptive_max_pool2d(x, (4, 5), True), [distinct(*X)]),
    Op("adaptive_max_pool2d_none", lambda t, x: F(t).adaptive_max_pool2d(x, (5, None), True), [distinct(*X)]),
    Op("adaptive_max_pool2d_upsample", lambda t, x: F(t).adaptive_max_pool2d(x, (11, 13), True), [distinct(*X)]),
    Op("adaptive_max_pool2d_unbatched", lambda t, x: F(t).adaptive_max_pool2d(x, 2, True), [distinct(3, 7, 5)]),
    Op("adaptive_max_pool2d_ties", lambda t: F(t).adaptive_max_pool2d(t.ones(1, 1, 7, 5), 3, True), [], grad=False),
    Op("adaptive_avg_pool1d", lambda t, x: F(t).adaptive_avg_pool1d(x, 4), [(2, 3, 10)]),
    Op("adaptive_avg_pool1d_unbatched", lambda t, x: F(t).adaptive_avg_pool1d(x, (3,)), [(3, 10)]),
    Op("adaptive_max_pool1d", lambda t, x: F(t).adaptive_max_pool1d(x, 4, True), [distinct(2, 3, 10)]),
    Op("adaptive_max_pool1d_unbatched", lambda t, x: F(t).adaptive_max_pool1d(x, 3), [distinct(3, 10)]),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_functional(case):
    check(case)


def test_nan_propagates_with_torchs_index():
    x = np.array([[[[1.0, np.nan, 3.0, np.nan], [0.0, 2.0, np.nan, 5.0]]]])
    for fn in (lambda t, a: F(t).max_pool2d(a, 2, 1, return_indices=True),
               lambda t, a: F(t).max_pool2d(a, (2, 4), return_indices=True),
               lambda t, a: F(t).adaptive_max_pool2d(a, (1, 2), return_indices=True),
               lambda t, a: F(t).max_pool1d(a[0], 3, 1, return_indices=True)):
        tv, ti = fn(torch, torch.tensor(x))
        gv, gi = fn(gt, gt.tensor(x))
        np.testing.assert_array_equal(gv.numpy(), tv.numpy())
        np.testing.assert_array_equal(gi.numpy(), ti.numpy())


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    x32 = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    for fn in (lambda t, x: F(t).max_pool2d(x, 3, 2, 1),
               lambda t, x: F(t).avg_pool2d(x, 3, 2, 1, True, False),
               lambda t, x: F(t).avg_pool2d(x, 2, divisor_override=3),
               lambda t, x: F(t).adaptive_avg_pool2d(x, (4, 3)),
               lambda t, x: F(t).adaptive_avg_pool2d(x, 1),
               lambda t, x: F(t).adaptive_max_pool2d(x, (4, 3)),
               lambda t, x: F(t).max_pool1d(x[0], 2),
               lambda t, x: F(t).avg_pool1d(x[0], 2, 1, 1)):
        gx, tx = gt.tensor(x32, requires_grad=True), torch.tensor(x32, requires_grad=True)
        y, ty = fn(gt, gx), fn(torch, tx)
        assert y.dtype == gt.float32
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
        (g,) = gt.autograd.grad((y * y).sum(), gx, create_graph=True)
        (tg,) = torch.autograd.grad((ty * ty).sum(), tx)
        assert g.dtype == gt.float32
        np.testing.assert_allclose(g.detach().numpy(), tg.numpy(), rtol=1e-5, atol=1e-6)
        (gg,) = gt.autograd.grad(g.sum(), gx)
        assert gg.dtype == gt.float32


def test_grad_fn_names():
    x = gt.randn(1, 2, 6, 6, requires_grad=True)
    assert F(gt).max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F(gt).avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert F(gt).adaptive_avg_pool2d(x, 4).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert F(gt).adaptive_max_pool2d(x, 4).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    values, indices = F(gt).max_pool2d(x, 2, return_indices=True)
    assert not indices.requires_grad and indices.dtype == gt.int64


def test_large_tiled_pooling_matches_torch():
    """The reshape fast paths (stride == kernel) on a LeNet-sized batch, and its non-tiling remainder."""
    rng = np.random.default_rng(1)
    for shape in [(16, 6, 28, 28), (4, 3, 29, 31)]:
        x = rng.standard_normal(shape)
        for fn in (lambda t, a: F(t).avg_pool2d(a, 2), lambda t, a: F(t).max_pool2d(a, 2, return_indices=True)[1],
                   lambda t, a: F(t).adaptive_avg_pool2d(a, 7)):
            ours = fn(gt, gt.tensor(x))
            theirs = fn(torch, torch.tensor(x))
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


# ================================================================== errors
ERRORS = [
    ("max_pool2d_pad_too_big", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    ("max_pool2d_pad_dilated", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8), 3, padding=2, dilation=2),
     RuntimeError, "pad should be smaller than or equal to half of kernel size"),
    ("avg_pool2d_pad_too_big", lambda t: F(t).avg_pool2d(t.ones(2, 3, 8, 8), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size"),
    ("max_pool2d_too_small", lambda t: F(t).max_pool2d(t.ones(2, 3, 1, 1), 2), RuntimeError,
     r"Given input size: \(3x1x1\). Calculated output size: \(3x0x0\). Output size is too small"),
    ("avg_pool2d_too_small", lambda t: F(t).avg_pool2d(t.ones(3, 1, 8), 2), RuntimeError,
     r"Given input size: \(3x1x8\). Calculated output size: \(3x0x4\). Output size is too small"),
    ("avg_pool1d_too_small", lambda t: F(t).avg_pool1d(t.ones(2, 3, 1), 2), RuntimeError,
     r"Given input size: \(3x1x1\). Calculated output size: \(3x1x0\)"),
    ("max_pool2d_2d_input", lambda t: F(t).max_pool2d(t.ones(8, 8), 2), RuntimeError,
     r"non-empty 3D or 4D \(batch mode\) tensor expected for input"),
    ("max_pool2d_empty_channels", lambda t: F(t).max_pool2d(t.ones(2, 0, 8, 8), 2), RuntimeError,
     r"Expected 3D or 4D \(batch mode\) tensor with optional 0 dim batch size for input, but got:\[2, 0, 8, 8\]"),
    ("avg_pool2d_2d_input", lambda t: F(t).avg_pool2d(t.ones(8, 8), 2), IndexError, "Dimension out of range"),
    ("max_pool1d_1d_input", lambda t: F(t).max_pool1d(t.ones(8), 2), RuntimeError,
     r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor with optional 0 dim batch size for input, but got:\[8\]"),
    ("avg_pool1d_1d_input", lambda t: F(t).avg_pool1d(t.ones(8), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor"),
    ("max_pool2d_zero_kernel", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8), 0, 1), RuntimeError,
     "kernel size should be greater than zero, but got kH: 0 kW: 0"),
    ("max_pool2d_zero_stride", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8), 2, 0), RuntimeError,
     "stride should not be zero"),
    ("avg_pool2d_default_stride_zero", lambda t: F(t).avg_pool2d(t.ones(2, 3, 8, 8), 0), RuntimeError,
     "stride should not be zero"),
    ("max_pool2d_zero_dilation", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero"),
    ("max_pool2d_negative_pad", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8), 2, 1, -1), RuntimeError,
     "pad must be non-negative, but got pad: -1"),
    ("max_pool2d_kernel_len", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8), (2, 2, 2)), RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    ("max_pool2d_stride_len", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8), 2, (2, 2, 2)), RuntimeError,
     "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints"),
    ("avg_pool2d_padding_len", lambda t: F(t).avg_pool2d(t.ones(2, 3, 8, 8), 2, 2, (1, 1, 1)), RuntimeError,
     "avg_pool2d: padding must either be a single int, or a tuple of two ints"),
    ("max_pool1d_kernel_len", lambda t: F(t).max_pool1d(t.ones(2, 3, 8), (2, 2)), RuntimeError,
     "max_pool1d\\(\\) kernel_size must be an int, list of ints or tuple of ints of size 1"),
    ("max_pool1d_zero_kernel", lambda t: F(t).max_pool1d(t.ones(2, 3, 8), 0, 1), RuntimeError,
     "max_pool1d\\(\\) kernel_size must be greater than zero, but got 0"),
    ("avg_pool2d_divisor_zero", lambda t: F(t).avg_pool2d(t.ones(2, 3, 8, 8), 2, divisor_override=0),
     RuntimeError, "divisor must be not zero"),
    ("max_pool2d_bool", lambda t: F(t).max_pool2d(t.ones(2, 3, 8, 8, dtype=t.bool), 2), NotImplementedError,
     "\"max_pool2d\" not implemented for 'Bool'"),
    ("avg_pool2d_int32", lambda t: F(t).avg_pool2d(t.ones(2, 3, 8, 8, dtype=t.int32), 2), NotImplementedError,
     "\"avg_pool2d\" not implemented for 'Int'"),
    ("adaptive_avg_pool2d_long", lambda t: F(t).adaptive_avg_pool2d(t.ones(2, 3, 8, 8, dtype=t.int64), 2),
     NotImplementedError, "\"adaptive_avg_pool2d\" not implemented for 'Long'"),
    ("adaptive_avg_pool2d_1d", lambda t: F(t).adaptive_avg_pool2d(t.ones(8), 2), RuntimeError,
     r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[8\]"),
    ("adaptive_max_pool2d_2d", lambda t: F(t).adaptive_max_pool2d(t.ones(3, 8), 2), RuntimeError,
     r"adaptive_max_pool2d\(\): Expected 3D or 4D tensor, but got: \[3, 8\]"),
    ("adaptive_avg_pool2d_empty_dim", lambda t: F(t).adaptive_avg_pool2d(t.ones(2, 3, 0, 8), 2), RuntimeError,
     r"Expected input to have non-zero size for non-batch dimensions, but input has sizes \[2, 3, 0, 8\] with "
     r"dimension 2 being empty"),
    ("adaptive_avg_pool2d_size_len", lambda t: F(t).adaptive_avg_pool2d(t.ones(2, 3, 8, 8), (2, 3, 4)),
     RuntimeError, "adaptive_avg_pool2d: output_size must be 2"),
    ("adaptive_avg_pool2d_negative", lambda t: F(t).adaptive_avg_pool2d(t.ones(2, 3, 8, 8), -1), RuntimeError,
     r"elements of output_size must be greater than or equal to 0 but received \{-1, -1\}"),
    ("adaptive_avg_pool1d_size_len", lambda t: F(t).adaptive_avg_pool1d(t.ones(2, 3, 8), (2, 3)), RuntimeError,
     r"adaptive_avg_pool1d\(\) argument 'output_size' should contain one int \(got 2\)"),
    ("adaptive_avg_pool1d_1d", lambda t: F(t).adaptive_avg_pool1d(t.ones(8), 3), RuntimeError,
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor"),
    ("MaxPool2d_module_pad", lambda t: t.nn.MaxPool2d(2, padding=3)(t.ones(1, 1, 8, 8)), RuntimeError,
     "pad should be at most half of effective kernel size"),
]


@pytest.mark.parametrize("name,fn,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_like_torch(name, fn, exc, match):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(gt)


# ============================================================== modules
RNG = np.random.default_rng(7)
DISTINCT = (RNG.permutation(2 * 3 * 9 * 8) + 0.5).reshape(2, 3, 9, 8) / 10
MODULES = [
    ("MaxPool2d", lambda t: t.nn.MaxPool2d(2), DISTINCT),
    ("MaxPool2d_options", lambda t: t.nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
     DISTINCT),
    ("MaxPool2d_indices", lambda t: t.nn.MaxPool2d(3, 2, 1, return_indices=True), DISTINCT),
    ("MaxPool1d", lambda t: t.nn.MaxPool1d(3, 2, 1, ceil_mode=True), DISTINCT[0]),
    ("AvgPool2d", lambda t: t.nn.AvgPool2d(2), DISTINCT),
    ("AvgPool2d_options", lambda t: t.nn.AvgPool2d(3, 2, 1, True, False, None), DISTINCT),
    ("AvgPool2d_divisor", lambda t: t.nn.AvgPool2d((3, 2), (1, 2), (1, 0), divisor_override=4), DISTINCT),
    ("AvgPool1d", lambda t: t.nn.AvgPool1d(3, 2, 1, True, False), DISTINCT[0]),
    ("AdaptiveAvgPool2d", lambda t: t.nn.AdaptiveAvgPool2d((4, None)), DISTINCT),
    ("AdaptiveAvgPool2d_global", lambda t: t.nn.AdaptiveAvgPool2d(1), DISTINCT),
    ("AdaptiveAvgPool1d", lambda t: t.nn.AdaptiveAvgPool1d(5), DISTINCT[0]),
    ("AdaptiveMaxPool2d", lambda t: t.nn.AdaptiveMaxPool2d((4, 5), return_indices=True), DISTINCT),
    ("AdaptiveMaxPool1d", lambda t: t.nn.AdaptiveMaxPool1d(5), DISTINCT[0]),
]


@pytest.mark.parametrize("name,make,x", MODULES, ids=[m[0] for m in MODULES])
def test_module_parity(name, make, x):
    tmod, gmod = make(torch), make(gt)
    assert repr(gmod) == repr(tmod)
    assert list(gmod.state_dict().keys()) == list(tmod.state_dict().keys()) == []
    tx, gx = torch.tensor(x, requires_grad=True), gt.tensor(x, requires_grad=True)
    t_out, g_out = tmod(tx), gmod(gx)
    if isinstance(t_out, tuple):
        np.testing.assert_array_equal(g_out[1].numpy(), t_out[1].numpy())
        t_out, g_out = t_out[0], g_out[0]
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = RNG.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(v))
    g_out.backward(gt.tensor(v))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
