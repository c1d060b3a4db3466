"""conv1d, conv2d, conv_transpose1d/2d and the Conv modules against torch."""
import math
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.ops.conv as gconv
from harness import Op, check, nograd


def F(t):
    return t.nn.functional


X = (2, 4, 7, 6)        # batch, channels, height, width
W = (3, 4, 3, 3)
B = (3,)

# ======================================================= functional rows (harness)
CASES = [
    # ---- conv2d: every argument, forward + first + second gradients for input, weight, bias
    Op("conv2d", lambda t, x, w, b: F(t).conv2d(x, w, b), [X, W, B]),
    Op("conv2d_nobias", lambda t, x, w: F(t).conv2d(x, w), [X, W]),
    Op("conv2d_stride", lambda t, x, w, b: F(t).conv2d(x, w, b, stride=2), [X, W, B]),
    Op("conv2d_stride_tuple", lambda t, x, w, b: F(t).conv2d(x, w, b, stride=(2, 1)), [X, W, B]),
    Op("conv2d_padding", lambda t, x, w, b: F(t).conv2d(x, w, b, padding=1), [X, W, B]),
    Op("conv2d_padding_tuple", lambda t, x, w, b: F(t).conv2d(x, w, b, padding=(2, 0)), [X, W, B]),
    Op("conv2d_padding_wide", lambda t, x, w: F(t).conv2d(x, w, padding=4), [X, W]),
    Op("conv2d_same", lambda t, x, w, b: F(t).conv2d(x, w, b, padding="same"), [X, W, B]),
    Op("conv2d_same_even_kernel", lambda t, x, w, b: F(t).conv2d(x, w, b, padding="same"), [X, (3, 4, 2, 4), B]),
    Op("conv2d_same_dilated_even", lambda t, x, w: F(t).conv2d(x, w, padding="same", dilation=(1, 2)),
       [X, (3, 4, 2, 2)]),
    # stride 1 with O <= C: the input gradient is computed as a convolution with the flipped kernel
    Op("conv2d_same_groups_dilated", lambda t, x, w, b: F(t).conv2d(x, w, b, padding="same", groups=2, dilation=2),
       [X, (4, 2, 3, 2), (4,)]),
    # 32+ output channels per group: the GEMMs run in the other orientation
    Op("conv2d_many_channels", lambda t, x, w, b: F(t).conv2d(x, w, b, padding=1), [(2, 3, 4, 5), (32, 3, 2, 2),
                                                                                    (32,)]),
    Op("conv2d_many_channels_groups", lambda t, x, w: F(t).conv2d(x, w, stride=2, groups=2), [(2, 4, 5, 5),
                                                                                           (64, 2, 2, 2)]),
    Op("conv2d_valid", lambda t, x, w, b: F(t).conv2d(x, w, b, padding="valid"), [X, W, B]),
    Op("conv2d_dilation", lambda t, x, w, b: F(t).conv2d(x, w, b, dilation=2), [X, W, B]),
    Op("conv2d_dilation_tuple", lambda t, x, w: F(t).conv2d(x, w, dilation=(2, 1), padding=(1, 2)), [X, W]),
    Op("conv2d_groups", lambda t, x, w, b: F(t).conv2d(x, w, b, groups=2), [X, (6, 2, 3, 3), (6,)]),
    Op("conv2d_depthwise", lambda t, x, w, b: F(t).conv2d(x, w, b, groups=4, padding=1), [X, (8, 1, 3, 3), (8,)]),
    Op("conv2d_all_options", lambda t, x, w, b: F(t).conv2d(x, w, b, stride=(2, 3), padding=(1, 2), dilation=(1, 2),
                                                            groups=2), [(2, 4, 9, 11), (6, 2, 3, 2), (6,)]),
    Op("conv2d_rect_kernel", lambda t, x, w: F(t).conv2d(x, w, stride=(1, 2)), [X, (5, 4, 1, 4)]),
    Op("conv2d_1x1", lambda t, x, w, b: F(t).conv2d(x, w, b), [X, (5, 4, 1, 1), (5,)]),
    Op("conv2d_kernel_is_input", lambda t, x, w: F(t).conv2d(x, w), [X, (2, 4, 7, 6)]),
    Op("conv2d_unbatched", lambda t, x, w, b: F(t).conv2d(x, w, b, padding=1), [(4, 5, 6), W, B]),
    Op("conv2d_single_channel", lambda t, x, w, b: F(t).conv2d(x, w, b, padding=2), [(3, 1, 8, 8), (6, 1, 5, 5),
                                                                                     (6,)]),
    Op("conv2d_empty_batch", lambda t, x, w, b: F(t).conv2d(x, w, b), [(0, 4, 5, 5), W, B]),
    Op("conv2d_nograd_weight", lambda t, x, w: F(t).conv2d(x, w), [X, nograd(*W)]),
    Op("conv2d_nograd_input", lambda t, x, w: F(t).conv2d(x, w, stride=2), [nograd(*X), W]),
    Op("conv2d_same_tensor", lambda t, x: F(t).conv2d(x, x), [(2, 2, 3, 3)]),
    Op("conv2d_squared", lambda t, x, w, b: F(t).conv2d(x, w, b, padding=1, stride=2) ** 2, [X, W, B]),
    Op("conv2d_chain", lambda t, x, w1, w2: F(t).conv2d(F(t).conv2d(x, w1, padding=1).tanh(), w2),
       [X, (5, 4, 3, 3), (2, 5, 2, 2)]),
    Op("conv2d_int", lambda t: F(t).conv2d(t.arange(32).reshape(1, 2, 4, 4), t.arange(18).reshape(1, 2, 3, 3)), [],
       grad=False),
    # ---- conv1d
    Op("conv1d", lambda t, x, w, b: F(t).conv1d(x, w, b), [(2, 4, 9), (3, 4, 3), B]),
    Op("conv1d_nobias", lambda t, x, w: F(t).conv1d(x, w), [(2, 4, 9), (3, 4, 3)]),
    Op("conv1d_options", lambda t, x, w, b: F(t).conv1d(x, w, b, stride=2, padding=2, dilation=2, groups=2),
       [(2, 4, 11), (6, 2, 3), (6,)]),
    Op("conv1d_tuple_args", lambda t, x, w: F(t).conv1d(x, w, stride=(2,), padding=(1,), dilation=[1]),
       [(2, 4, 9), (3, 4, 3)]),
    Op("conv1d_same_even", lambda t, x, w, b: F(t).conv1d(x, w, b, padding="same"), [(2, 4, 9), (3, 4, 4), B]),
    Op("conv1d_valid", lambda t, x, w: F(t).conv1d(x, w, padding="valid"), [(2, 4, 9), (3, 4, 4)]),
    Op("conv1d_unbatched", lambda t, x, w, b: F(t).conv1d(x, w, b, padding=1), [(4, 9), (3, 4, 3), B]),
    # ---- conv_transpose2d
    Op("conv_transpose2d", lambda t, x, w, b: F(t).conv_transpose2d(x, w, b), [X, (4, 3, 3, 3), B]),
    Op("conv_transpose2d_nobias", lambda t, x, w: F(t).conv_transpose2d(x, w), [X, (4, 3, 3, 3)]),
    Op("conv_transpose2d_stride", lambda t, x, w, b: F(t).conv_transpose2d(x, w, b, stride=2), [X, (4, 3, 3, 3), B]),
    Op("conv_transpose2d_padding", lambda t, x, w, b: F(t).conv_transpose2d(x, w, b, stride=2, padding=1),
       [X, (4, 3, 4, 4), B]),
    Op("conv_transpose2d_output_padding",
       lambda t, x, w, b: F(t).conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0), output_padding=(1, 2)),
       [X, (4, 3, 3, 3), B]),
    Op("conv_transpose2d_dilation_op",
       lambda t, x, w: F(t).conv_transpose2d(x, w, stride=1, dilation=2, output_padding=1), [X, (4, 3, 3, 2)]),
    Op("conv_transpose2d_groups", lambda t, x, w, b: F(t).conv_transpose2d(x, w, b, stride=2, groups=2),
       [X, (4, 3, 2, 3), (6,)]),
    Op("conv_transpose2d_all", lambda t, x, w, b: F(t).conv_transpose2d(x, w, b, (2, 1), (1, 2), (1, 0), 2, (1, 2)),
       [X, (4, 1, 3, 3), (2,)]),
    Op("conv_transpose2d_unbatched", lambda t, x, w, b: F(t).conv_transpose2d(x, w, b, stride=2),
       [(4, 5, 6), (4, 3, 3, 3), B]),
    Op("conv_transpose2d_padding_crops", lambda t, x, w: F(t).conv_transpose2d(x, w, padding=2), [(1, 4, 3, 4),
                                                                                                  (4, 3, 3, 3)]),
    Op("conv_transpose2d_many_channels", lambda t, x, w: F(t).conv_transpose2d(x, w, stride=2),
       [(2, 32, 2, 3), (32, 2, 2, 2)]),
    # ---- conv_transpose1d
    Op("conv_transpose1d", lambda t, x, w, b: F(t).conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
       [(2, 4, 6), (4, 3, 3), B]),
    Op("conv_transpose1d_groups", lambda t, x, w: F(t).conv_transpose1d(x, w, groups=4, dilation=2),
       [(4, 6), (4, 2, 3)]),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_functional(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about 'same' with even kernels
        check(case)


@pytest.mark.parametrize("keep", [True, False], ids=["kept_columns", "recomputed_columns"])
@pytest.mark.parametrize("name,kwargs,shapes", [
    ("conv2d", dict(padding=1), [(5, 3, 9, 8), (4, 3, 3, 3), (4,)]),
    ("conv2d", dict(padding=(1, 2), dilation=(1, 2)), [(5, 4, 9, 8), (3, 4, 3, 3), (3,)]),
    ("conv2d", dict(stride=2, groups=3, dilation=2), [(5, 3, 11, 9), (6, 1, 3, 2), (6,)]),
    ("conv_transpose2d", dict(stride=2, padding=1, output_padding=1), [(5, 3, 4, 5), (3, 2, 3, 3), (2,)]),
])
def test_batch_chunking(monkeypatch, name, kwargs, shapes, keep):
    """The batch is processed in chunks, and the forward keeps its im2col columns for the weight
    gradient only when they are small: one sample per chunk, and columns recomputed in backward,
    give the same numbers."""
    monkeypatch.setattr(gconv, "_CHUNK_BYTES", 1)
    if not keep:
        monkeypatch.setattr(gconv, "_KEEP_COLS_BYTES", 0)
    check(Op(f"{name}_chunked", lambda t, x, w, b: getattr(F(t), name)(x, w, b, **kwargs), shapes))


# Batches of 16+ with outputs narrower than 16: the columns put the sample index last.
LAST = [
    Op("conv2d_batch16", lambda t, x, w, b: F(t).conv2d(x, w, b, padding=1), [(16, 3, 6, 5), (4, 3, 3, 3), (4,)]),
    Op("conv2d_batch16_many_channels", lambda t, x, w, b: F(t).conv2d(x, w, b, stride=2),
       [(16, 2, 5, 5), (32, 2, 2, 2), (32,)]),
    Op("conv2d_batch16_groups", lambda t, x, w: F(t).conv2d(x, w, groups=2, dilation=2), [(16, 4, 6, 7),
                                                                                         (6, 2, 3, 2)]),
    Op("conv2d_batch16_many_groups", lambda t, x, w: F(t).conv2d(x, w, groups=2), [(16, 4, 4, 5), (64, 2, 2, 2)]),
    Op("conv2d_batch16_flipped", lambda t, x, w: F(t).conv2d(x, w, padding="same"), [(16, 4, 6, 6), (3, 4, 2, 3)]),
    Op("conv_transpose2d_batch16", lambda t, x, w, b: F(t).conv_transpose2d(x, w, b, stride=2, padding=1),
       [(16, 3, 3, 4), (3, 2, 3, 3), (2,)]),
    Op("conv1d_batch16", lambda t, x, w, b: F(t).conv1d(x, w, b, padding=1), [(16, 3, 9), (4, 3, 3), (4,)]),
]


@pytest.mark.parametrize("keep", [True, False], ids=["kept_columns", "recomputed_columns"])
@pytest.mark.parametrize("case", LAST, ids=repr)
def test_sample_last_columns(monkeypatch, case, keep):
    if not keep:
        monkeypatch.setattr(gconv, "_KEEP_COLS_BYTES", 0)
    assert gconv._plan(16, 1, gconv._Geometry(2, (6, 6), (4, 4), (3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1))[1]
    check(case)


def test_kept_columns_survive_retain_graph():
    x = gt.randn(3, 2, 6, 6)
    w = gt.randn(4, 2, 3, 3, requires_grad=True)
    y = F(gt).conv2d(x, w, padding=1)
    assert y.grad_fn.cols  # LeNet-sized: the forward kept its columns
    y.sum().backward(retain_graph=True)
    first = w.grad.numpy().copy()
    w.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), first)
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    F(torch).conv2d(torch.tensor(x.numpy()), tw, padding=1).sum().backward()
    np.testing.assert_allclose(first, tw.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_grad_fn_names():
    x = gt.randn(1, 2, 5, 5, requires_grad=True)
    assert F(gt).conv2d(x, gt.randn(3, 2, 3, 3)).grad_fn.name() == "ConvolutionBackward0"
    assert F(gt).conv_transpose2d(x, gt.randn(2, 3, 3, 3)).grad_fn.name() == "ConvolutionBackward0"
    assert F(gt).conv1d(x[0], gt.randn(3, 5, 2)).grad_fn.name() == "ConvolutionBackward0"


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    for fn, shapes in [
        (lambda t, x, w, b: F(t).conv2d(x, w, b, padding="same"), [(2, 3, 6, 6), (4, 3, 2, 2), (4,)]),
        (lambda t, x, w, b: F(t).conv2d(x, w, b, stride=2, groups=3), [(2, 3, 7, 7), (6, 1, 3, 3), (6,)]),
        (lambda t, x, w, b: F(t).conv1d(x, w, b, padding=1), [(2, 3, 6), (4, 3, 3), (4,)]),
        (lambda t, x, w, b: F(t).conv_transpose2d(x, w, b, stride=2), [(2, 3, 4, 4), (3, 4, 3, 3), (4,)]),
    ]:
        arrs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        g_in = [gt.tensor(a, requires_grad=True) for a in arrs]
        t_in = [torch.tensor(a, requires_grad=True) for a in arrs]
        y, ty = fn(gt, *g_in), fn(torch, *t_in)
        assert y.dtype == gt.float32
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
        grads = gt.autograd.grad((y * y).sum(), g_in, create_graph=True)
        t_grads = torch.autograd.grad((ty * ty).sum(), t_in)
        for g, tg in zip(grads, t_grads):
            assert g.dtype == gt.float32
            np.testing.assert_allclose(g.detach().numpy(), tg.numpy(), rtol=1e-4, atol=1e-4)
        second = gt.autograd.grad(sum(g.sum() for g in grads), g_in)
        assert all(s.dtype == gt.float32 for s in second)


# ================================================================== errors
ERRORS = [
    ("conv2d_input_2d", lambda t: F(t).conv2d(t.ones(2, 3), t.ones(4, 3, 3, 3)), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[2, 3\]"),
    ("conv2d_input_5d", lambda t: F(t).conv2d(t.ones(1, 2, 3, 8, 8), t.ones(4, 3, 3, 3)), RuntimeError,
     r"input to conv2d, but got input of size: \[1, 2, 3, 8, 8\]"),
    ("conv1d_input_4d", lambda t: F(t).conv1d(t.ones(2, 3, 8, 8), t.ones(4, 3, 3)), RuntimeError,
     r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"),
    ("conv2d_channels", lambda t: F(t).conv2d(t.ones(2, 3, 8, 8), t.ones(4, 2, 3, 3)), RuntimeError,
     r"Given groups=1, weight of size \[4, 2, 3, 3\], expected input\[2, 3, 8, 8\] to have 2 channels, "
     r"but got 3 channels instead"),
    ("conv2d_channels_unbatched", lambda t: F(t).conv2d(t.ones(4, 8, 8), t.ones(2, 3, 2, 2)), RuntimeError,
     r"expected input\[1, 4, 8, 8\] to have 3 channels"),
    ("conv2d_kernel_too_big", lambda t: F(t).conv2d(t.ones(2, 3, 8, 8), t.ones(4, 3, 9, 9)), RuntimeError,
     r"Calculated padded input size per channel: \(8 x 8\). Kernel size: \(9 x 9\)"),
    ("conv1d_kernel_too_big", lambda t: F(t).conv1d(t.ones(2, 3, 8), t.ones(4, 3, 9)), RuntimeError,
     r"Calculated padded input size per channel: \(8\). Kernel size: \(9\)"),
    ("conv2d_groups_weight", lambda t: F(t).conv2d(t.ones(2, 3, 8, 8), t.ones(5, 1, 3, 3), groups=3),
     RuntimeError, r"Given groups=3, expected weight to be divisible by 3 at dimension 0"),
    ("conv2d_same_strided", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3), padding="same", stride=2),
     RuntimeError, "padding='same' is not supported for strided convolutions"),
    ("conv2d_bad_padding_string", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3), padding="foo"),
     RuntimeError, "Invalid padding string: 'foo'"),
    ("conv2d_negative_padding", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3), padding=-1),
     RuntimeError, "negative padding is not supported"),
    ("conv2d_zero_stride", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3), stride=0), RuntimeError,
     "non-positive stride is not supported"),
    ("conv2d_zero_dilation", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3), dilation=0),
     RuntimeError, "non-positive dilation is not supported"),
    ("conv2d_zero_groups", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3), groups=0), RuntimeError,
     "non-positive groups is not supported"),
    ("conv2d_bias_size", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3), t.ones(3)), RuntimeError,
     r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[3\]"),
    ("conv2d_padding_len", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3), padding=(1, 1, 1)),
     RuntimeError, r"expected padding to be a single integer value or a list of 2 values"),
    ("conv1d_stride_len", lambda t: F(t).conv1d(t.ones(2, 3, 8), t.ones(4, 3, 3), stride=(1, 1)), RuntimeError,
     r"expected stride to be a single integer value or a list of 1 values"),
    ("conv2d_dtype", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(4, 3, 3, 3, dtype=t.float64)), RuntimeError,
     r"Input type \(torch.FloatTensor\) and weight type \(torch.DoubleTensor\) should be the same"),
    ("conv2d_bias_dtype", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8, dtype=t.float64),
                                                t.ones(4, 3, 3, 3, dtype=t.float64), t.ones(4)), RuntimeError,
     r"Input type \(double\) and bias type \(float\) should be the same"),
    ("conv_transpose2d_output_padding", lambda t: F(t).conv_transpose2d(t.ones(2, 3, 8, 8), t.ones(3, 4, 3, 3),
                                                                        stride=2, output_padding=2), RuntimeError,
     "output padding must be smaller than either stride or dilation"),
    ("conv_transpose2d_channels", lambda t: F(t).conv_transpose2d(t.ones(2, 3, 8, 8), t.ones(4, 4, 3, 3)),
     RuntimeError, r"Given transposed=1, weight of size \[4, 4, 3, 3\], expected input\[2, 3, 8, 8\] to have 4 "
                   r"channels, but got 3 channels instead"),
    # modules
    ("Conv2d_in_groups", lambda t: t.nn.Conv2d(3, 4, 3, groups=2), ValueError,
     "in_channels must be divisible by groups"),
    ("Conv2d_out_groups", lambda t: t.nn.Conv2d(4, 3, 3, groups=2), ValueError,
     "out_channels must be divisible by groups"),
    ("Conv2d_groups_zero", lambda t: t.nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
    ("Conv2d_padding_string", lambda t: t.nn.Conv2d(4, 4, 3, padding="foo"), ValueError,
     "Invalid padding string 'foo', should be one of"),
    ("Conv2d_same_strided", lambda t: t.nn.Conv2d(4, 4, 3, padding="same", stride=2), ValueError,
     "padding='same' is not supported for strided convolutions"),
    ("Conv2d_padding_mode", lambda t: t.nn.Conv2d(4, 4, 3, padding_mode="foo"), ValueError,
     "padding_mode must be one of .*, but got padding_mode='foo'"),
    ("ConvTranspose2d_padding_mode", lambda t: t.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
    ("Conv2d_wrong_channels", lambda t: t.nn.Conv2d(3, 4, 3)(t.ones(2, 4, 8, 8)), RuntimeError,
     r"expected input\[2, 4, 8, 8\] to have 3 channels, but got 4 channels instead"),
    ("Conv1d_wrong_dims", lambda t: t.nn.Conv1d(3, 4, 3)(t.ones(2, 3, 8, 8)), RuntimeError,
     r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d, but got input of size: \[2, 3, 8, 8\]"),
    ("ConvTranspose2d_output_size", lambda t: t.nn.ConvTranspose2d(3, 2, 3, stride=2)(t.ones(1, 3, 4, 4),
                                                                                    output_size=[12, 12]),
     ValueError, r"requested an output size of \[12, 12\], but valid sizes range from \[9, 9\] to \[10, 10\]"),
]


@pytest.mark.parametrize("name,fn,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_like_torch(name, fn, exc, match):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc, match=match.replace("torch.", "(torch|glasstorch).")):
        fn(gt)


# ============================================================== module parity
def _parity(make, x, forward=None, rtol=1e-7, atol=1e-9):
    """Same constructor, torch's weights copied in, float64: outputs and all gradients equal."""
    tmod, gmod = make(torch).double(), make(gt).double()
    assert repr(gmod) == repr(tmod)
    t_sd, g_sd = tmod.state_dict(), gmod.state_dict()
    assert list(g_sd.keys()) == list(t_sd.keys())
    assert [tuple(v.shape) for v in g_sd.values()] == [tuple(v.shape) for v in t_sd.values()]
    gmod.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in t_sd.items()})
    forward = forward or (lambda m, inp: m(inp))
    tx, gx = torch.tensor(x, requires_grad=True), gt.tensor(x, requires_grad=True)
    t_out, g_out = forward(tmod, tx), forward(gmod, gx)
    assert tuple(g_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=rtol, atol=atol)
    v = np.random.default_rng(3).standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(v))
    g_out.backward(gt.tensor(v))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)
    g_params = dict(gmod.named_parameters())
    for name, tp in tmod.named_parameters():
        np.testing.assert_allclose(g_params[name].grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


RNG = np.random.default_rng(7)
MODULES = [
    ("Conv2d", lambda t: t.nn.Conv2d(3, 4, 3), RNG.standard_normal((2, 3, 7, 6))),
    ("Conv2d_lenet", lambda t: t.nn.Conv2d(1, 6, 5, padding=2), RNG.standard_normal((2, 1, 12, 12))),
    ("Conv2d_options", lambda t: t.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2,
                                             bias=False), RNG.standard_normal((2, 4, 9, 8))),
    ("Conv2d_same", lambda t: t.nn.Conv2d(3, 4, 4, padding="same"), RNG.standard_normal((2, 3, 7, 6))),
    ("Conv2d_valid", lambda t: t.nn.Conv2d(3, 4, 3, padding="valid"), RNG.standard_normal((2, 3, 7, 6))),
    ("Conv2d_unbatched", lambda t: t.nn.Conv2d(3, 4, 3, padding=1), RNG.standard_normal((3, 5, 6))),
    ("Conv2d_reflect", lambda t: t.nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode="reflect"),
     RNG.standard_normal((2, 3, 7, 6))),
    ("Conv2d_replicate_same", lambda t: t.nn.Conv2d(3, 2, (2, 3), padding="same", padding_mode="replicate"),
     RNG.standard_normal((2, 3, 7, 6))),
    ("Conv2d_circular_strided", lambda t: t.nn.Conv2d(3, 2, 3, stride=2, padding=1, padding_mode="circular"),
     RNG.standard_normal((2, 3, 7, 6))),
    ("Conv1d", lambda t: t.nn.Conv1d(3, 4, 3), RNG.standard_normal((2, 3, 9))),
    ("Conv1d_options", lambda t: t.nn.Conv1d(4, 2, 2, stride=2, padding=1, dilation=2, groups=2),
     RNG.standard_normal((2, 4, 9))),
    ("Conv1d_same_circular", lambda t: t.nn.Conv1d(3, 4, 4, padding="same", padding_mode="circular"),
     RNG.standard_normal((2, 3, 9))),
    ("ConvTranspose2d", lambda t: t.nn.ConvTranspose2d(3, 4, 3), RNG.standard_normal((2, 3, 5, 4))),
    ("ConvTranspose2d_options", lambda t: t.nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1, output_padding=1,
                                                               groups=2, bias=False, dilation=(1, 2)),
     RNG.standard_normal((2, 4, 5, 4))),
    ("ConvTranspose1d", lambda t: t.nn.ConvTranspose1d(3, 2, 3, stride=2), RNG.standard_normal((2, 3, 5))),
]


@pytest.mark.parametrize("name,make,x", MODULES, ids=[m[0] for m in MODULES])
def test_module_parity(name, make, x):
    _parity(make, x)


@pytest.mark.parametrize("size", [[9, 9], [10, 10], (1, 2, 10, 9)])
def test_conv_transpose_output_size(size):
    _parity(lambda t: t.nn.ConvTranspose2d(3, 2, 3, stride=2), RNG.standard_normal((1, 3, 4, 4)),
            forward=lambda m, inp: m(inp, output_size=size))


def test_lenet_stack_matches_torch():
    def make(t):
        nn = t.nn
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.AvgPool2d(2, 2), nn.Conv2d(6, 16, 5),
                             nn.MaxPool2d(2), nn.Conv2d(16, 4, 2, stride=2, groups=2))
    _parity(make, RNG.standard_normal((3, 1, 28, 28)))


def test_state_dict_round_trip_with_torch():
    """A state_dict saved from torch loads into glasstorch and back, values and layout unchanged."""
    tm = torch.nn.ConvTranspose2d(4, 6, 3, groups=2)
    gm = gt.nn.ConvTranspose2d(4, 6, 3, groups=2)
    gm.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tm2 = torch.nn.ConvTranspose2d(4, 6, 3, groups=2)
    tm2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in gm.state_dict().items()})
    for (k, a), b in zip(tm.state_dict().items(), tm2.state_dict().values()):
        assert torch.equal(a, b), k


# ============================================================ initialization
@pytest.mark.parametrize("make,fan_in", [
    (lambda t: t.nn.Conv2d(64, 32, 3), 64 * 9),
    (lambda t: t.nn.Conv2d(64, 32, (3, 5), groups=4), 16 * 15),
    (lambda t: t.nn.Conv1d(40, 300, 7), 40 * 7),
    # torch's fan_in for transposed convs is weight.size(1) * kernel: out_channels / groups.
    (lambda t: t.nn.ConvTranspose2d(16, 64, 4, groups=2), 32 * 16),
])
def test_init_distribution(make, fan_in):
    gt.manual_seed(0)
    m = make(gt)
    bound = 1 / math.sqrt(fan_in)
    for p in (m.weight, m.bias):
        a = p.detach().numpy()
        assert a.dtype == np.float32 and p.requires_grad
        assert a.min() >= -bound and a.max() < bound
    w = m.weight.detach().numpy().astype(np.float64)
    # U(-b, b): mean 0 and std b / sqrt(3); with ~1e4+ samples the estimates are within a few percent.
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * w.size)
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.03
    assert abs(w.min() + bound) < 0.01 * bound and abs(w.max() - bound) < 0.01 * bound
    tw = make(torch).weight.detach().numpy().astype(np.float64)
    assert abs(w.std() / tw.std() - 1) < 0.04


def test_init_is_reproducible_and_dtype():
    gt.manual_seed(5)
    a = gt.nn.Conv2d(3, 4, 3)
    gt.manual_seed(5)
    b = gt.nn.Conv2d(3, 4, 3)
    assert np.array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert np.array_equal(a.bias.detach().numpy(), b.bias.detach().numpy())
    m = gt.nn.Conv2d(3, 4, 3, dtype=gt.float64)
    assert m.weight.dtype == gt.float64 and m.bias.dtype == gt.float64


def test_module_float32_parameters_and_grads():
    for m, x in [(gt.nn.Conv2d(3, 4, 3, padding="same"), gt.randn(2, 3, 6, 6)),
                 (gt.nn.Conv1d(3, 4, 3, padding_mode="reflect", padding=1), gt.randn(2, 3, 6)),
                 (gt.nn.ConvTranspose2d(3, 4, 3, stride=2), gt.randn(2, 3, 4, 4))]:
        out = m(x)
        assert out.dtype == gt.float32
        out.sum().backward()
        for p in m.parameters():
            assert p.dtype == gt.float32 and p.grad.dtype == gt.float32


def test_input_modified_in_place_before_backward_raises_like_torch():
    for t in (torch, gt):
        x = t.ones(2, 3, 5, 5)
        w = t.ones(4, 3, 3, 3, requires_grad=True)
        y = F(t).conv2d(x, w)
        x.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
