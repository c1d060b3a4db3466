"""Everyday torch functions against torch: grids and blocks, splits, differences, counting and
searching, distances, and the elementwise ones (atan2, hypot, logaddexp, nan_to_num, ...).

One row per function and input pattern; forward values, dtypes and (for the differentiable
ones) first and second gradients in float64, as every op table.
"""
import re
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import check_same_error, Op, check, distinct, ints, nograd


def _q(fn):
    """Runs ``fn`` with the deprecation warnings that torch and glasstorch both raise silenced."""
    def run(t, *a):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(t, *a)
    return run


CASES = [
    # elementwise
    Op("atan2", lambda t, a, b: t.atan2(a, b), [(3, 4), (3, 4)]),
    Op("atan2_bcast", lambda t, a, b: t.atan2(a, b), [(3, 1), (2, 3, 4)]),
    Op("atan2_0d", lambda t, a, b: t.arctan2(a, b), [(), (2, 3)]),
    Op("atan2_empty", lambda t, a, b: t.atan2(a, b), [(0, 3), (3,)]),
    Op("atan2_method", lambda t, a, b: a.atan2(b), [(5,), (5,)]),
    Op("hypot", lambda t, a, b: t.hypot(a, b), [(3, 4), (4,)]),
    Op("logaddexp", lambda t, a, b: t.logaddexp(a, b), [(3, 4), (3, 1)]),
    Op("logaddexp_large", lambda t, a: t.logaddexp(a * 500, a * 500 - 3), [(6,)]),
    Op("deg2rad", lambda t, a: t.deg2rad(a * 90), [(3, 4)]),
    Op("rad2deg", lambda t, a: t.rad2deg(a), [(3, 4)]),
    Op("sgn", lambda t, a: t.sgn(a), [(3, 4)]),
    Op("nan_to_num", lambda t, a: t.nan_to_num(t.log(a)), [(3, 4)]),
    Op("nan_to_num_values", lambda t, a: t.nan_to_num(1 / (a - a.round()) * t.log(a), nan=2.0, posinf=9.0,
                                                         neginf=-9.0), [(4, 5)]),
    Op("nan_to_num_int", lambda t, a: t.nan_to_num(a), [ints(5, 3)], grad=False),
    # grids and blocks
    Op("meshgrid_ij", lambda t, a, b: t.meshgrid(a, b, indexing="ij"), [(3,), (4,)]),
    Op("meshgrid_xy", lambda t, a, b, c: t.meshgrid(a, b, c, indexing="xy"), [(3,), (4,), (2,)]),
    Op("meshgrid_list_0d", lambda t, a, b: t.meshgrid([a, b], indexing="ij"), [(), (3,)]),
    Op("meshgrid_default", _q(lambda t, a, b: t.meshgrid(a, b)), [(2,), (3,)]),
    Op("cartesian_prod", lambda t, a, b: t.cartesian_prod(a, b), [(3,), (2,)]),
    Op("cartesian_prod_one", lambda t, a: t.cartesian_prod(a), [(3,)]),
    Op("kron", lambda t, a, b: t.kron(a, b), [(2, 3), (3, 2)]),
    Op("kron_ranks", lambda t, a, b: t.kron(a, b), [(3,), (2, 2, 2)]),
    Op("rot90", lambda t, a: t.rot90(a), [(3, 4)]),
    Op("rot90_k", lambda t, a: [t.rot90(a, k, (1, 2)) for k in (-1, 2, 3, 4)], [(2, 3, 4)]),
    Op("rot90_method", lambda t, a: a.rot90(1, [-1, 0]), [(3, 4)]),
    Op("block_diag", lambda t, a, b, c: t.block_diag(a, b, c), [(2, 3), (4,), ()]),
    Op("block_diag_ints", lambda t, a, b: t.block_diag(a, b), [ints(5, 2, 2), ints(5, 1, 3)], grad=False),
    # torch's own vander backward fails (it writes in place); the gradient is gradchecked below
    Op("vander", lambda t, a: t.vander(a), [(4,)], grad=False),
    Op("vander_n_increasing", lambda t, a: t.vander(a, N=5, increasing=True), [(3,)], grad=False),
    Op("vander_ints", lambda t, a: t.vander(a, 3), [ints(5, 4)], grad=False),
    # splits and selections
    Op("tensor_split_sections", lambda t, a: t.tensor_split(a, 3, dim=1), [(2, 7)]),
    Op("tensor_split_indices", lambda t, a: t.tensor_split(a, [1, 4, 9]), [(6, 2)]),
    Op("tensor_split_tensor", lambda t, a: a.tensor_split(t.tensor([2, -1]), 0), [(5,)]),
    Op("hsplit", lambda t, a: t.hsplit(a, 2), [(3, 4)]),
    Op("hsplit_1d", lambda t, a: t.hsplit(a, [2]), [(5,)]),
    Op("vsplit", lambda t, a: t.vsplit(a, [1, 2]), [(4, 3)]),
    Op("dsplit", lambda t, a: a.dsplit(2), [(2, 3, 4)]),
    Op("select", lambda t, a: (t.select(a, 1, -1), a.select(0, 2)), [(3, 4)]),
    Op("tensor_unfold", lambda t, a: (a.unfold(1, 3, 2), a.unfold(0, 2, 1), a.unfold(-1, 7, 1)), [(2, 7)]),
    Op("tensor_unfold_1d_0d", lambda t, a, b: (a.unfold(0, 4, 3), b.unfold(0, 1, 1)), [(10,), ()]),
    Op("repeat_interleave_int", lambda t, a: t.repeat_interleave(a, 2), [(2, 3)]),
    Op("repeat_interleave_dim", lambda t, a: t.repeat_interleave(a, t.tensor([1, 0, 2]), dim=1), [(2, 3)]),
    Op("repeat_interleave_counts", lambda t: t.repeat_interleave(t.tensor([2, 0, 3])), [], grad=False),
    Op("kthvalue", lambda t, a: t.kthvalue(a, 2), [distinct(3, 5)]),
    Op("kthvalue_dim_keepdim", lambda t, a: a.kthvalue(3, 0, True), [distinct(4, 2)]),
    Op("msort", lambda t, a: t.msort(a), [distinct(4, 3)]),
    Op("aminmax", lambda t, a: t.aminmax(a), [distinct(3, 4)]),
    Op("aminmax_dim", lambda t, a: a.aminmax(dim=1, keepdim=True), [distinct(3, 4)]),
    Op("argwhere", lambda t, a: t.argwhere(a > 0), [(3, 4)], grad=False),
    # differences and areas
    Op("diff", lambda t, a: t.diff(a), [(3, 5)]),
    Op("diff_n_dim", lambda t, a: t.diff(a, n=2, dim=0), [(5, 3)]),
    Op("diff_prepend_append", lambda t, a, b, c: t.diff(a, prepend=b, append=c), [(2, 3), (2, 1), (2, 2)]),
    Op("diff_bool", lambda t, a: (a > 0).diff(), [(6,)], grad=False),
    Op("diff_int", lambda t, a: t.diff(a, 3), [ints(9, 6)], grad=False),
    Op("trapezoid", lambda t, a: t.trapezoid(a), [(3, 5)]),
    Op("trapezoid_dx_dim", lambda t, a: t.trapezoid(a, dx=0.5, dim=0), [(4, 3)]),
    Op("trapezoid_x", lambda t, a, x: t.trapezoid(a, x), [(2, 4), (4,)]),
    Op("trapezoid_x_full", lambda t, a, x: t.trapezoid(a, x, dim=0), [(4, 2), (4, 2)]),
    # counting and searching
    Op("bincount", lambda t, a: t.bincount(a), [ints(6, 20)], grad=False),
    Op("bincount_weights", lambda t, a, w: t.bincount(a, w, minlength=8), [ints(6, 20), nograd(20)],
       grad=False),
    Op("bincount_f32_weights", lambda t, a, w: t.bincount(a, w.float()), [ints(4, 7), nograd(7)], grad=False,
       rtol=1e-6),
    Op("histc", lambda t, a: t.histc(a, bins=7), [nograd(50)], grad=False),
    Op("histc_range", lambda t, a: a.histc(bins=4, min=-1, max=1), [nograd(30)], grad=False),
    Op("searchsorted", lambda t, s, v: t.searchsorted(t.sort(s).values, v), [nograd(8), nograd(3, 4)],
       grad=False),
    Op("searchsorted_right_rows", lambda t, s, v: t.searchsorted(t.sort(s).values, v, right=True),
       [ints(5, 3, 6), ints(5, 3, 4)], grad=False),
    Op("searchsorted_side_int32", lambda t, s, v: t.searchsorted(t.sort(s).values, v, side="right", out_int32=True),
       [ints(4, 6), ints(4, 5)], grad=False),
    Op("bucketize", lambda t, v, b: t.bucketize(v, t.sort(b).values), [nograd(3, 4), nograd(5)], grad=False),
    Op("bucketize_right", lambda t, v, b: t.bucketize(v, t.sort(b).values, right=True),
       [ints(6, 10), ints(6, 4)], grad=False),
    Op("unique", lambda t, a: t.unique(a), [ints(5, 12)], grad=False),
    Op("unique_all", lambda t, a: t.unique(a, return_inverse=True, return_counts=True), [ints(4, 3, 4)],
       grad=False),
    Op("unique_dim", lambda t, a: t.unique(a, dim=0, return_inverse=True, return_counts=True), [ints(2, 6, 2)],
       grad=False),
    Op("unique_consecutive", lambda t, a: t.unique_consecutive(a, return_inverse=True, return_counts=True),
       [ints(3, 15)], grad=False),
    Op("unique_consecutive_dim", lambda t, a: a.unique_consecutive(return_counts=True, dim=1), [ints(2, 2, 7)],
       grad=False),
    Op("tril_indices", lambda t: (t.tril_indices(4, 3), t.tril_indices(3, 5, 1), t.tril_indices(4, 4, -2)),
       [], grad=False),
    Op("triu_indices", lambda t: (t.triu_indices(4, 3), t.triu_indices(3, 5, -1), t.triu_indices(2, 2, 3)),
       [], grad=False),
    # distances and products
    # torch has no second derivative of cdist
    Op("cdist", lambda t, a, b: t.cdist(a, b), [(4, 3), (5, 3)], gradgrad=False),
    Op("cdist_batched_p1", lambda t, a, b: t.cdist(a, b, p=1), [(2, 4, 3), (2, 5, 3)], gradgrad=False),
    Op("cdist_p3", lambda t, a, b: t.cdist(a, b, p=3), [(3, 2), (4, 2)], gradgrad=False),
    Op("dist", lambda t, a, b: t.dist(a, b), [(3, 4), (4,)]),
    Op("dist_p1", lambda t, a, b: a.dist(b, 1), [(3, 4), (3, 4)], gradgrad=False),
    Op("inner", lambda t, a, b: t.inner(a, b), [(2, 3), (4, 3)]),
    Op("inner_0d", lambda t, a, b: t.inner(a, b), [(), (2, 3)]),
    Op("vdot", lambda t, a, b: t.vdot(a, b), [(5,), (5,)]),
    Op("cross", lambda t, a, b: t.cross(a, b, dim=1), [(4, 3), (4, 3)]),
    Op("cross_default_dim", _q(lambda t, a, b: t.cross(a, b)), [(3, 2), (3, 2)]),
    Op("cross_bcast_method", lambda t, a, b: a.cross(b, -1), [(2, 1, 3), (1, 4, 3)]),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_everyday(case):
    check(case)


# ------------------------------------------------ dtype information
@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_as_torch(name):
    ours, theirs = gt.finfo(getattr(gt, name)), torch.finfo(getattr(torch, name))
    for key in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, key) == getattr(theirs, key), key
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_as_torch(name):
    ours, theirs = gt.iinfo(getattr(gt, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == (theirs.bits, theirs.max, theirs.min, theirs.dtype)
    assert repr(ours) == repr(theirs)


def test_finfo_default_and_errors():
    assert gt.finfo().dtype == torch.finfo().dtype == "float32"
    for fn, arg in ((gt.finfo, gt.int32), (gt.iinfo, gt.float32), (gt.iinfo, gt.bool)):
        torch_arg = getattr(torch, arg.name)
        with pytest.raises(TypeError) as theirs:
            getattr(torch, fn.__name__)(torch_arg)
        with pytest.raises(TypeError, match=re.escape(str(theirs.value))):
            fn(arg)


NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_can_cast_as_torch():
    for a in NAMES:
        for b in NAMES:
            assert gt.can_cast(getattr(gt, a), getattr(gt, b)) == torch.can_cast(getattr(torch, a),
                                                                                 getattr(torch, b)), (a, b)


# ------------------------------------------------ errors of torch's kind
ERRORS = [
    lambda t: t.meshgrid(t.ones(2, 2), t.ones(2), indexing="ij"),
    lambda t: t.meshgrid(t.ones(2), indexing="yx"),
    lambda t: t.rot90(t.ones(3), 1),
    lambda t: t.rot90(t.ones(2, 2), 1, (0, 0)),
    lambda t: t.block_diag(t.ones(2, 2, 2)),
    lambda t: t.hsplit(t.ones(3, 4), 3),
    lambda t: t.vsplit(t.ones(3), 1),
    lambda t: t.kthvalue(t.ones(3), 4),
    lambda t: t.bincount(t.tensor([-1, 2])),
    lambda t: t.bincount(t.ones(3)),
    lambda t: t.cdist(t.ones(3, 2), t.ones(3, 4)),
    lambda t: t.cross(t.ones(3, 4), t.ones(3, 4), dim=1),
    lambda t: t.inner(t.ones(2, 3), t.ones(2)),
    lambda t: t.vander(t.ones(2, 2)),
    lambda t: t.searchsorted(t.ones(2, 3), t.ones(3, 2)),
    lambda t: t.repeat_interleave(t.ones(3), t.tensor([1, 2])),
    lambda t: t.select(t.ones(2, 3), 1, 3),
    lambda t: t.ones(5).unfold(0, 6, 1),
    lambda t: t.ones(5).unfold(0, 2, 0),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_as_torch(k):
    check_same_error(ERRORS[k])


def test_vander_gradients_numerically():
    from glasstorch.autograd import gradcheck, gradgradcheck
    x = gt.tensor([0.5, -1.2, 2.0], dtype=gt.float64, requires_grad=True)
    assert gradcheck(lambda v: gt.vander(v, N=4), (x,))
    assert gradgradcheck(lambda v: gt.vander(v, N=3, increasing=True), (x,))
