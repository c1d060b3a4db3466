"""Linear algebra against torch: matmul in every shape case, mm/bmm/mv/dot/outer, einsum, addmm, tensordot."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Op, check, ints

# x.mT written as an einsum, so these rows do not depend on the shape family.
T = "ij->ji"

CASES = [
    # matmul: every shape case of torch.matmul
    Op("matmul_1d_1d", lambda t, a, b: t.matmul(a, b), [(4,), (4,)]),
    Op("matmul_2d_2d", lambda t, a, b: t.matmul(a, b), [(3, 4), (4, 5)]),
    Op("matmul_1d_2d", lambda t, a, b: t.matmul(a, b), [(4,), (4, 5)]),
    Op("matmul_2d_1d", lambda t, a, b: t.matmul(a, b), [(3, 4), (4,)]),
    Op("matmul_3d_3d", lambda t, a, b: t.matmul(a, b), [(2, 3, 4), (2, 4, 5)]),
    Op("matmul_batch_bcast", lambda t, a, b: t.matmul(a, b), [(2, 1, 3, 4), (5, 4, 2)]),
    Op("matmul_batch_bcast_both", lambda t, a, b: t.matmul(a, b), [(2, 1, 3, 4), (1, 5, 4, 2)]),
    Op("matmul_3d_2d", lambda t, a, b: t.matmul(a, b), [(2, 3, 4), (4, 5)]),
    Op("matmul_4d_2d", lambda t, a, b: t.matmul(a, b), [(2, 3, 2, 4), (4, 5)]),
    Op("matmul_2d_3d", lambda t, a, b: t.matmul(a, b), [(3, 4), (2, 4, 5)]),
    Op("matmul_1d_3d", lambda t, a, b: t.matmul(a, b), [(4,), (2, 4, 5)]),
    Op("matmul_3d_1d", lambda t, a, b: t.matmul(a, b), [(2, 3, 4), (4,)]),
    Op("matmul_1d_4d", lambda t, a, b: t.matmul(a, b), [(4,), (2, 3, 4, 5)]),
    Op("matmul_operator", lambda t, a, b: a @ b, [(3, 4), (4, 5)]),
    Op("matmul_method", lambda t, a, b: a.matmul(b), [(2, 3, 4), (4,)]),
    Op("matmul_inner_1", lambda t, a, b: a @ b, [(3, 1), (1, 5)]),
    # empty dimensions
    Op("matmul_empty_rows", lambda t, a, b: a @ b, [(0, 3), (3, 4)]),
    Op("matmul_empty_inner", lambda t, a, b: a @ b, [(3, 0), (0, 4)]),
    Op("matmul_empty_cols", lambda t, a, b: a @ b, [(5, 3), (3, 0)]),
    Op("matmul_empty_1d", lambda t, a, b: a @ b, [(0,), (0,)]),
    Op("matmul_empty_batch", lambda t, a, b: a @ b, [(2, 0, 3), (3, 4)]),
    Op("matmul_empty_batch_3d", lambda t, a, b: a @ b, [(0, 2, 3), (0, 3, 4)]),
    # one tensor used twice
    Op("x_at_xT", lambda t, a: a @ t.einsum(T, a), [(3, 4)]),
    Op("x_at_x", lambda t, a: a @ a, [(3, 3)]),
    Op("x_at_x_batched", lambda t, a: a @ a, [(2, 3, 3)]),
    Op("mm_x_x", lambda t, a: t.mm(a, a), [(4, 4)]),
    Op("dot_x_x", lambda t, a: t.dot(a, a), [(5,)]),
    Op("outer_x_x", lambda t, a: t.outer(a, a), [(4,)]),
    Op("chain", lambda t, a, b: ((a @ b).tanh() @ t.einsum(T, b)) @ a, [(3, 3), (3, 5)]),
    # the 2-D/3-D/vector forms and their methods
    Op("mm", lambda t, a, b: t.mm(a, b), [(3, 4), (4, 5)]),
    Op("mm_method", lambda t, a, b: a.mm(b), [(3, 4), (4, 2)]),
    Op("bmm", lambda t, a, b: t.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    Op("bmm_method", lambda t, a, b: a.bmm(b), [(3, 1, 4), (3, 4, 2)]),
    Op("mv", lambda t, a, b: t.mv(a, b), [(3, 4), (4,)]),
    Op("mv_method", lambda t, a, b: a.mv(b), [(2, 4), (4,)]),
    Op("dot", lambda t, a, b: t.dot(a, b), [(5,), (5,)]),
    Op("dot_method", lambda t, a, b: a.dot(b), [(5,), (5,)]),
    Op("outer", lambda t, a, b: t.outer(a, b), [(3,), (4,)]),
    Op("outer_method", lambda t, a, b: a.outer(b), [(3,), (2,)]),
    Op("ger", lambda t, a, b: t.ger(a, b), [(3,), (4,)]),
    Op("outer_empty", lambda t, a, b: t.outer(a, b), [(0,), (4,)]),
    # dtypes: float32 stays float32, integers multiply exactly
    # (the float32 products are cast back, so the harness's float64 upstream gradient matches their dtype;
    # test_float32_preserved checks the float32 outputs themselves)
    Op("matmul_f32", lambda t, a, b: (a.float() @ b.float()).double(), [(3, 4), (4, 5)], rtol=1e-5, atol=1e-6),
    Op("matmul_f32_batched", lambda t, a, b: (a.float() @ b.float()).double(), [(2, 3, 4), (4,)],
       rtol=1e-5, atol=1e-6),
    Op("bmm_f32", lambda t, a, b: t.bmm(a.float(), b.float()).double(), [(2, 3, 4), (2, 4, 5)], rtol=1e-5, atol=1e-6),
    Op("dot_f32", lambda t, a, b: t.dot(a.float(), b.float()).double(), [(5,), (5,)], rtol=1e-5, atol=1e-6),
    Op("outer_mixed", lambda t, a, b: t.outer(a.float(), b), [(3,), (4,)], rtol=1e-6),
    Op("einsum_f32", lambda t, a, b: t.einsum("ij,jk->ik", a.float(), b.float()).double(), [(3, 4), (4, 5)],
       rtol=1e-5, atol=1e-6),
    Op("matmul_int", lambda t, a, b: a @ b, [ints(5, 3, 4, low=-5), ints(5, 4, 2, low=-5)]),
    Op("matmul_int_1d", lambda t, a, b: a @ b, [ints(5, 4, low=-5), ints(5, 4, low=-5)]),
    Op("einsum_int", lambda t, a, b: t.einsum("ij,jk", a, b), [ints(5, 3, 4), ints(5, 4, 2)]),
    # addmm, baddbmm, tensordot
    Op("addmm", lambda t, c, a, b: t.addmm(c, a, b), [(3, 5), (3, 4), (4, 5)]),
    Op("addmm_bcast", lambda t, c, a, b: t.addmm(c, a, b, beta=0.5, alpha=2.0), [(5,), (3, 4), (4, 5)]),
    Op("addmm_beta0", lambda t, c, a, b: t.addmm(c.detach() * float("nan"), a, b, beta=0), [(3, 5), (3, 4), (4, 5)]),
    Op("baddbmm", lambda t, c, a, b: t.baddbmm(c, a, b, beta=-1.0, alpha=0.5), [(1, 5), (2, 3, 4), (2, 4, 5)]),
    Op("tensordot_int", lambda t, a, b: t.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 5)]),
    Op("tensordot_0", lambda t, a, b: t.tensordot(a, b, dims=0), [(2, 3), (4,)]),
    Op("tensordot_lists", lambda t, a, b: t.tensordot(a, b, dims=([0, 2], [2, 0])), [(2, 3, 4), (4, 5, 2)]),
    # einsum
    Op("einsum_mm", lambda t, a, b: t.einsum("ij,jk->ik", a, b), [(3, 4), (4, 5)]),
    Op("einsum_implicit", lambda t, a, b: t.einsum("ij,jk", a, b), [(3, 4), (4, 5)]),
    Op("einsum_list", lambda t, a, b: t.einsum("ij,jk->ik", [a, b]), [(3, 4), (4, 5)]),
    Op("einsum_spaces", lambda t, a, b: t.einsum("i j , j k -> k i", a, b), [(3, 4), (4, 5)]),
    Op("einsum_bmm", lambda t, a, b: t.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
    Op("einsum_dot", lambda t, a, b: t.einsum("i,i->", a, b), [(5,), (5,)]),
    Op("einsum_diag", lambda t, a: t.einsum("ii->i", a), [(4, 4)]),
    Op("einsum_trace", lambda t, a: t.einsum("ii", a), [(4, 4)]),
    Op("einsum_diag_3", lambda t, a: t.einsum("iji->j", a), [(3, 2, 3)]),
    Op("einsum_diag_batch", lambda t, a: t.einsum("...ii->...i", a), [(2, 3, 3)]),
    Op("einsum_transpose", lambda t, a: t.einsum("ij->ji", a), [(3, 4)]),
    Op("einsum_sum", lambda t, a: t.einsum("ij->", a), [(3, 4)]),
    Op("einsum_sum_dim", lambda t, a: t.einsum("ijk->j", a), [(2, 3, 4)]),
    Op("einsum_ellipsis", lambda t, a, b: t.einsum("...ij,...jk", a, b), [(5, 2, 3), (3, 4)]),
    Op("einsum_ellipsis_bcast", lambda t, a, b: t.einsum("...ij,...jk->...ik", a, b), [(2, 1, 2, 3), (5, 3, 4)]),
    Op("einsum_ellipsis_middle", lambda t, a: t.einsum("i...j->j...i", a), [(2, 3, 4, 5)]),
    Op("einsum_ellipsis_summed", lambda t, a, b: t.einsum("b...,b...->b", a, b), [(2, 3, 4), (2, 1, 4)]),
    Op("einsum_outer", lambda t, a, b: t.einsum("i,j->ij", a, b), [(3,), (4,)]),
    Op("einsum_batched_ikl", lambda t, a, b: t.einsum("ijk,ikl->ijl", a, b), [(2, 3, 4), (2, 4, 5)]),
    Op("einsum_three", lambda t, a, b, c: t.einsum("ij,jk,kl->il", a, b, c), [(2, 3), (3, 4), (4, 5)]),
    Op("einsum_three_bilinear", lambda t, a, w, b: t.einsum("bi,oij,bj->bo", a, w, b), [(2, 3), (5, 3, 4), (2, 4)]),
    Op("einsum_bcast_size1", lambda t, a, b: t.einsum("i,i->i", a, b), [(3,), (1,)]),
    Op("einsum_bcast_size1_2d", lambda t, a, b: t.einsum("ij,jk->ik", a, b), [(3, 1), (4, 2)]),
    Op("einsum_uppercase", lambda t, a, b: t.einsum("Ab,bc->Ac", a, b), [(2, 3), (3, 4)]),
    Op("einsum_0d", lambda t, a, b: t.einsum(",i->i", a, b), [(), (3,)]),
    Op("einsum_empty", lambda t, a, b: t.einsum("ij,jk->ik", a, b), [(0, 3), (3, 4)]),
    Op("einsum_x_x", lambda t, a: t.einsum("ij,kj->ik", a, a), [(3, 4)]),
    Op("einsum_x_diag_x", lambda t, a: t.einsum("ii,ij->j", a, a), [(3, 3)]),
    Op("einsum_sublist", lambda t, a, b: t.einsum(a, [0, 1], b, [1, 2], [0, 2]), [(3, 4), (4, 5)]),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_linalg(case):
    check(case)


def test_float32_preserved():
    a = gt.ones(3, 4)
    for out in (a @ gt.ones(4), gt.mm(a, gt.ones(4, 2)), gt.einsum("ij->", a), gt.outer(gt.ones(2), gt.ones(3))):
        assert out.dtype is gt.float32
    x = gt.ones(2, 3, requires_grad=True)
    (x @ gt.ones(3, 4)).sum().backward()
    assert x.grad.dtype is gt.float32


def test_einsum_views_share_memory():
    a = gt.zeros(3, 3)
    d = gt.einsum("ii->i", a)
    assert np.shares_memory(d.numpy(), a.numpy())


def test_matmul_folds_batch_with_right_values():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 6)).transpose(1, 0, 2)  # non-contiguous, folded with a copy
    w = rng.standard_normal((6, 3))
    np.testing.assert_allclose((gt.from_numpy(x) @ gt.from_numpy(w)).numpy(), x @ w)


# ------------------------------------------------------------------ errors
def _both_raise(exc, match, fn):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(gt)


@pytest.mark.parametrize("fn, exc, match", [
    (lambda t: t.zeros(3, 4) @ t.zeros(5, 6), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x6\)"),
    (lambda t: t.zeros(2, 3, 4) @ t.zeros(5, 6), RuntimeError, r"shapes cannot be multiplied \(6x4 and 5x6\)"),
    (lambda t: t.zeros(3) @ t.zeros(4, 5), RuntimeError, r"\(1x3 and 4x5\)"),
    (lambda t: t.zeros(3) @ t.zeros(4), RuntimeError, r"inconsistent tensor size, expected tensor \[3\] and src \[4\]"),
    (lambda t: t.zeros(3, 4) @ t.zeros(5), RuntimeError, r"size mismatch, got input \(3\), mat \(3x4\), vec \(5\)"),
    (lambda t: t.zeros(2, 3, 4) @ t.zeros(2, 5, 6), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[2, 5\]"),
    (lambda t: t.zeros(2, 3, 4) @ t.zeros(3, 4, 6), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
    (lambda t: t.matmul(t.zeros(()), t.zeros(3)), RuntimeError, r"at least 1D, but they are 0D and 1D"),
    (lambda t: t.zeros(3, 4) @ t.zeros(4, 5, dtype=t.float64), RuntimeError,
     r"expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda t: t.zeros(3) @ t.zeros(3, dtype=t.float64), RuntimeError, r"expected both vectors to have same dtype"),
    (lambda t: t.zeros(3, 4, dtype=t.int32) @ t.zeros(4, 5, dtype=t.int64), RuntimeError, r"same dtype"),
    (lambda t: t.zeros(3, 4, dtype=t.bool) @ t.zeros(4, 5, dtype=t.bool), NotImplementedError, r"Bool"),
    (lambda t: t.mm(t.zeros(3, 4), t.zeros(5, 6)), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied"),
    (lambda t: t.mm(t.zeros(2, 3, 4), t.zeros(4, 6)), RuntimeError, r"self must be a matrix"),
    (lambda t: t.mm(t.zeros(3, 4), t.zeros(4)), RuntimeError, r"mat2 must be a matrix"),
    (lambda t: t.bmm(t.zeros(3, 4), t.zeros(2, 4, 6)), RuntimeError, r"batch1 must be a 3D tensor"),
    (lambda t: t.bmm(t.zeros(2, 3, 4), t.zeros(4, 6)), RuntimeError, r"batch2 must be a 3D tensor"),
    (lambda t: t.bmm(t.zeros(2, 3, 4), t.zeros(3, 4, 6)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: \[3, 4\]"),
    (lambda t: t.bmm(t.zeros(2, 3, 4), t.zeros(2, 4, 6, dtype=t.float64)), RuntimeError,
     r"expected scalar type Float but found Double"),
    (lambda t: t.mv(t.zeros(3, 4), t.zeros(5)), RuntimeError,
     r"size mismatch, got input \(3\), mat \(3x4\), vec \(5\)"),
    (lambda t: t.mv(t.zeros(3, 4), t.zeros(4, 1)), RuntimeError, r"vector \+ matrix @ vector expected, got 1, 2, 2"),
    (lambda t: t.dot(t.zeros(3, 3), t.zeros(3, 3)), RuntimeError, r"1D tensors expected, but got 2D and 2D tensors"),
    (lambda t: t.dot(t.zeros(3), t.zeros(4)), RuntimeError, r"inconsistent tensor size"),
    (lambda t: t.dot(t.zeros(3), t.zeros(3, dtype=t.float64)), RuntimeError,
     r"dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda t: t.outer(t.zeros(3, 2), t.zeros(4)), RuntimeError, r"outer: Expected 1-D argument self, but got 2-D"),
    (lambda t: t.outer(t.zeros(3), t.zeros(())), RuntimeError, r"Expected 1-D argument vec2, but got 0-D"),
    (lambda t: t.addmm(t.zeros(3, 4), t.zeros(2, 4), t.zeros(4, 3)), RuntimeError,
     r"The expanded size of the tensor \(3\) must match the existing size \(4\) at non-singleton dimension 1"),
    (lambda t: t.addmm(t.zeros(3, dtype=t.float64), t.zeros(2, 4), t.zeros(4, 3)), RuntimeError, r"same dtype"),
    (lambda t: t.tensordot(t.zeros(2, 3, 4), t.zeros(3, 4, 5), dims=([1], [1])), RuntimeError,
     r"contracted dimensions need to match, but first has size 3 in dim 1 and second has size 4 in dim 1"),
    (lambda t: t.tensordot(t.zeros(2, 3), t.zeros(3, dtype=t.float64), dims=1), RuntimeError, r"same dtype"),
])
def test_matmul_errors(fn, exc, match):
    _both_raise(exc, match, fn)


@pytest.mark.parametrize("fn, match", [
    (lambda t: t.einsum("ij,jk->", t.zeros(2, 2), t.zeros(3, 4)),
     r"subscript j has size 3 for operand 1 which does not broadcast with previously seen size 2"),
    (lambda t: t.einsum("ii", t.zeros(3, 4)), r"subscript i is repeated for operand 0 but the sizes don't match"),
    (lambda t: t.einsum("ij", t.zeros(3)), r"number of subscripts in the equation \(2\) does not match the number of "
                                           r"dimensions \(1\) for operand 0 and no ellipsis was given"),
    (lambda t: t.einsum("ij,jk", t.zeros(3, 3)), r"fewer operands were provided than specified in the equation"),
    (lambda t: t.einsum("i->", t.zeros(3), t.zeros(3)), r"more operands were provided than specified in the equation"),
    (lambda t: t.einsum("ij->k", t.zeros(3, 3)), r"output subscript k does not appear in the equation"),
    (lambda t: t.einsum("ij->ii", t.zeros(3, 3)), r"output subscript i appears more than once in the output"),
    (lambda t: t.einsum("i1->", t.zeros(3)), r"invalid subscript given at index 1 in the equation string"),
    (lambda t: t.einsum("...ij,...jk", t.zeros(5, 2, 3), t.zeros(7, 3, 4)),
     r"dimension 0 covered by ellipsis in operand 1\s?has size 7 which does not broadcast"),
    (lambda t: t.einsum("ij,jk->ik", t.zeros(2, 3), t.zeros(3, 4, dtype=t.float64)),
     r"expected scalar type Float but found Double"),
])
def test_einsum_errors(fn, match):
    _both_raise(RuntimeError, match, fn)
