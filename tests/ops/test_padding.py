"""pad against torch.nn.functional.pad: every mode, 1/2/3-D padding, negative widths, value, errors."""
import pytest
import torch
import torch.nn.functional as F

import glasstorch as gt
from glasstorch.ops.padding import pad
from harness import Op, check, ints

PAD = {gt: pad, torch: F.pad}


def row(name, widths, shape, mode="constant", **kwargs):
    return Op(name, lambda t, x: PAD[t](x, widths, mode=mode, **kwargs), [shape])


CASES = [
    # constant: any number of dimensions, negative widths crop
    row("constant_1d", (1, 2), (3, 4)),
    row("constant_2d", (1, 2, 0, 3), (2, 3, 4)),
    row("constant_3d", (1, 0, 2, 1, 1, 1), (2, 2, 3, 4)),
    row("constant_all_dims", (1, 1, 2, 0, 0, 1), (2, 3, 4)),
    row("constant_1d_input", (2, 3), (4,)),
    row("constant_value", (1, 2, 2, 1), (2, 3), value=2.5),
    row("constant_crop", (-1, -1, -2, 0), (3, 4)),
    row("constant_crop_and_pad", (-2, 3, 1, -1), (3, 4)),
    row("constant_crop_to_empty", (-2, -2), (3, 4)),
    row("constant_crop_all_then_pad", (-4, 1), (3, 4)),
    row("constant_empty_pad", (), (3, 4)),
    row("constant_0d", (), ()),
    row("constant_empty_input", (1, 1), (0, 3)),
    Op("constant_list_arg", lambda t, x: PAD[t](x, [1, 0, 0, 2]), [(3, 4)]),
    Op("constant_positional", lambda t, x: PAD[t](x, (1, 1), "constant", -1.0), [(3, 4)]),
    Op("constant_int", lambda t, x: PAD[t](x, (1, 2), value=2.7), [ints(9, 2, 3)]),
    Op("constant_f32", lambda t, x: PAD[t](x.float(), (1, 2)).double(), [(2, 3)], rtol=1e-6),
    Op("constant_twice", lambda t, x: PAD[t](x, (1, 1)) * PAD[t](x * x, (1, 1), value=1.0), [(2, 3)]),
]
for mode in ["reflect", "replicate", "circular"]:
    CASES += [
        row(f"{mode}_1d", (2, 1), (2, 3, 4), mode),
        row(f"{mode}_1d_nobatch", (1, 3), (3, 4), mode),
        row(f"{mode}_2d", (1, 2, 2, 1), (2, 2, 3, 4), mode),
        row(f"{mode}_2d_nobatch", (2, 0, 1, 1), (2, 3, 4), mode),
        row(f"{mode}_3d", (1, 2, 2, 1, 1, 1), (1, 2, 3, 3, 4), mode),
        row(f"{mode}_3d_nobatch", (0, 1, 1, 2, 2, 1), (2, 3, 3, 4), mode),
        row(f"{mode}_crop", (-1, 2), (2, 5), mode),
        row(f"{mode}_crop_2d", (2, -1, -1, 1), (2, 3, 4), mode),
        row(f"{mode}_zero_batch", (1, 1), (0, 2, 3), mode),
        row(f"{mode}_value_zero", (1, 1), (2, 3), mode, value=0.0),
        Op(f"{mode}_int", lambda t, x, m=mode: PAD[t](x, (1, 2), mode=m), [ints(9, 2, 3)]),
        Op(f"{mode}_f32", lambda t, x, m=mode: PAD[t](x.float(), (1, 2, 2, 1), mode=m).double(), [(2, 3, 4)],
           rtol=1e-6),
        Op(f"{mode}_twice", lambda t, x, m=mode: PAD[t](x, (2, 2), mode=m) * PAD[t](x, (1, 3), mode=m), [(2, 4)]),
    ]
CASES += [
    row("reflect_max_width", (3, 3, 2, 2), (1, 3, 4), "reflect"),
    row("replicate_wide", (6, 5, 4, 7), (1, 2, 3), "replicate"),
    row("circular_full_wrap", (4, 4, 3, 3), (1, 3, 4), "circular"),
    row("reflect_crop_past_center", (-3, 2), (2, 4), "reflect"),
    row("circular_crop_both", (-1, -1, 1, 1), (1, 3, 5), "circular"),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_padding(case):
    check(case)


def test_pad_keeps_float32():
    assert pad(gt.ones(2, 3), (1, 1)).dtype is gt.float32
    assert pad(gt.ones(2, 3), (1, 1), mode="reflect").dtype is gt.float32
    x = gt.ones(1, 2, 3, requires_grad=True)
    pad(x, (1, 1, 1, 1), mode="replicate").sum().backward()
    assert x.grad.dtype is gt.float32


@pytest.mark.parametrize("fn, exc, match", [
    (lambda p, t: p(t.zeros(3, 4), (1,)), RuntimeError, r"Padding length must be divisible by 2"),
    (lambda p, t: p(t.zeros(3, 4), (1, 1, 1, 1, 1, 1)), RuntimeError,
     r"should be less than or equal to two times the input dimension but got padding length 6 and input of "
     r"dimension 2"),
    (lambda p, t: p(t.zeros(3, 4), (-3, -2)), RuntimeError, r"length must be non-negative"),
    (lambda p, t: p(t.zeros(3, 4), (-5, 6)), RuntimeError, r"length must be non-negative"),
    (lambda p, t: p(t.zeros(3, 4), (1.0, 2)), TypeError, r"must be tuple of ints, but found element of type float"),
    (lambda p, t: p(t.zeros(3, 4), (1, 2), mode="foo"), NotImplementedError, r"Unrecognised padding mode foo"),
    (lambda p, t: p(t.zeros(3), (1, 1), mode="reflect"), NotImplementedError,
     r"Padding size 2 is not supported for 1D input tensor"),
    (lambda p, t: p(t.zeros(2, 3), (1, 1, 1, 1), mode="replicate"), NotImplementedError,
     r"Padding size 4 is not supported for 2D input tensor"),
    (lambda p, t: p(t.zeros(2, 2, 3, 4), (1, 1), mode="circular"), NotImplementedError,
     r"Padding size 2 is not supported for 4D input tensor"),
    (lambda p, t: p(t.zeros(1, 1, 2, 2, 3, 4), (1,) * 6, mode="reflect"), NotImplementedError,
     r"Padding size 6 is not supported for 6D input tensor"),
    (lambda p, t: p(t.zeros(2, 3), (3, 0), mode="reflect"), RuntimeError,
     r"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding \(3, 0\) "
     r"at dimension 1 of input \[2, 3\]"),
    (lambda p, t: p(t.zeros(2, 3, 4), (1, 1, 3, 3), mode="reflect"), RuntimeError,
     r"Argument #6: Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) "
     r"at dimension 1"),
    (lambda p, t: p(t.zeros(2, 0, 3), (1, 1), mode="reflect"), RuntimeError,
     r"Expected 2D or 3D \(batch mode\) tensor with possibly 0 batch size and other non-zero dimensions for input, "
     r"but got: \[2, 0, 3\]"),
    (lambda p, t: p(t.zeros(2, 2, 0, 4), (1, 1, 1, 1), mode="replicate"), RuntimeError,
     r"Expected 3D or 4D \(batch mode\) tensor"),
    (lambda p, t: p(t.zeros(2, 4), (-3, -3), mode="replicate"), RuntimeError,
     r"input \(W: 4\) is too small. Calculated output W: -2"),
    (lambda p, t: p(t.zeros(2, 3), (4, 0), mode="circular"), RuntimeError,
     r"Padding value causes wrapping around more than once"),
    (lambda p, t: p(t.zeros(2, 3), (-3, -1), mode="circular"), RuntimeError,
     r"Negative padding value is resulting in an empty dimension"),
    (lambda p, t: p(t.zeros(2, 3), (1, 1), mode="reflect", value=1.0), RuntimeError,
     r'Padding mode "reflect" doesn\'t take in value argument'),
    (lambda p, t: p(t.zeros(3, 3, dtype=t.bool), (1, 1), mode="reflect"), NotImplementedError,
     r"\"reflection_pad1d\" not implemented for 'Bool'"),
])
def test_pad_errors(fn, exc, match):
    with pytest.raises(exc):
        fn(F.pad, torch)
    with pytest.raises(exc, match=match):
        fn(pad, gt)
