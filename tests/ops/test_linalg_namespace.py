"""torch.linalg against torch: values and float64 gradients (second ones where torch has them)."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import check_same_error, Arg, Op, check


class _Matrix(Arg):
    """Well-conditioned square matrices: random plus a multiple of the identity."""

    def make(self, rng):
        a = rng.standard_normal(self.shape)
        return a + 3 * np.eye(self.shape[-1])


class _SPD(Arg):
    """Symmetric positive-definite matrices: ``M M^T + n I``."""

    def make(self, rng):
        m = rng.standard_normal(self.shape)
        return m @ np.swapaxes(m, -1, -2) + self.shape[-1] * np.eye(self.shape[-1])


def sq(*shape):
    return _Matrix(shape)


def spd(*shape):
    return _SPD(shape)


def sym(t, a):
    return (a + a.transpose(-2, -1)) / 2   # gradients of symmetric-input ops, compared on symmetric inputs


CASES = [
    Op("vector_norm", lambda t, a: t.linalg.vector_norm(a), [(3, 4)]),
    Op("vector_norm_ord_dim", lambda t, a: t.linalg.vector_norm(a, 3, dim=1, keepdim=True), [(3, 4)]),
    Op("vector_norm_inf", lambda t, a: t.linalg.vector_norm(a, math.inf, dim=(0, 1)), [(3, 4)], gradgrad=False),
    Op("vector_norm_0d", lambda t, a: t.linalg.vector_norm(a), [()], gradgrad=False),
    Op("matrix_norm_fro", lambda t, a: t.linalg.matrix_norm(a), [(2, 3, 4)]),
    Op("matrix_norm_nuc", lambda t, a: t.linalg.matrix_norm(a, "nuc"), [(3, 4)], gradgrad=False),
    Op("matrix_norm_2", lambda t, a: t.linalg.matrix_norm(a, 2, keepdim=True), [(2, 4, 3)], gradgrad=False),
    Op("matrix_norm_m2", lambda t, a: t.linalg.matrix_norm(a, -2), [(3, 3)], gradgrad=False),
    Op("matrix_norm_inf", lambda t, a: t.linalg.matrix_norm(a, math.inf), [(3, 4)], gradgrad=False),
    Op("matrix_norm_1_dims", lambda t, a: t.linalg.matrix_norm(a, 1, dim=(0, 2)), [(3, 2, 4)], gradgrad=False),
    Op("matrix_norm_m1", lambda t, a: t.linalg.matrix_norm(a, -1), [(4, 3)], gradgrad=False),
    Op("norm_vector", lambda t, a: t.linalg.norm(a), [(2, 3, 4)]),
    Op("norm_matrix_ord", lambda t, a: t.linalg.norm(a, "fro"), [(3, 4)]),
    Op("norm_2d_ord", lambda t, a: t.linalg.norm(a, math.inf), [(3, 4)], gradgrad=False),
    Op("norm_dim_pair", lambda t, a: t.linalg.norm(a, 2, dim=(1, 2)), [(2, 3, 3)], gradgrad=False),
    Op("norm_dim_int", lambda t, a: t.linalg.norm(a, 1, dim=0), [(3, 4)], gradgrad=False),
    Op("inv", lambda t, a: t.linalg.inv(a), [sq(3, 3)]),
    Op("inv_batched", lambda t, a: t.linalg.inv(a), [sq(2, 4, 4)]),
    Op("det", lambda t, a: t.linalg.det(a), [sq(3, 3)]),
    Op("det_batched", lambda t, a: t.linalg.det(a), [sq(2, 3, 3)]),
    Op("slogdet", lambda t, a: t.linalg.slogdet(a), [sq(3, 3)]),
    Op("slogdet_batched_negative", lambda t, a: t.linalg.slogdet(-a), [sq(2, 3, 3)]),
    Op("solve", lambda t, a, b: t.linalg.solve(a, b), [sq(3, 3), (3, 2)]),
    Op("solve_vector", lambda t, a, b: t.linalg.solve(a, b), [sq(3, 3), (3,)]),
    Op("solve_batched_vector", lambda t, a, b: t.linalg.solve(a, b), [sq(2, 3, 3), (2, 3)]),
    Op("solve_bcast", lambda t, a, b: t.linalg.solve(a, b), [sq(3, 3), (2, 3, 4)]),
    Op("solve_right", lambda t, a, b: t.linalg.solve(a, b, left=False), [sq(3, 3), (2, 3)]),
    Op("cholesky", lambda t, a: t.linalg.cholesky(a), [spd(3, 3)], extra={}),
    Op("cholesky_upper_batched", lambda t, a: t.linalg.cholesky(a, upper=True), [spd(2, 3, 3)]),
    Op("svdvals", lambda t, a: t.linalg.svdvals(a), [(4, 3)], gradgrad=False),
    Op("svdvals_batched", lambda t, a: t.linalg.svdvals(a), [(2, 3, 5)], gradgrad=False),
    Op("eigvalsh", lambda t, a: t.linalg.eigvalsh(sym(t, a)), [(4, 4)], gradgrad=False),
    Op("eigvalsh_upper", lambda t, a: t.linalg.eigvalsh(sym(t, a), UPLO="U"), [(2, 3, 3)], gradgrad=False),
    Op("matrix_rank", lambda t, a: t.linalg.matrix_rank(a @ a.transpose(-2, -1)[..., :2, :]), [(3, 2)],
       grad=False),
    Op("matrix_rank_tol", lambda t, a: t.linalg.matrix_rank(a, atol=1.0, rtol=0.0), [(2, 4, 4)], grad=False),
    Op("matrix_power", lambda t, a: t.linalg.matrix_power(a, 3), [(3, 3)]),
    Op("matrix_power_zero_negative", lambda t, a: (t.linalg.matrix_power(a, 0), t.linalg.matrix_power(a, -2)),
       [sq(2, 3, 3)]),
    Op("multi_dot", lambda t, a, b, c: t.linalg.multi_dot([a, b, c]), [(3,), (3, 4), (4,)]),
    Op("multi_dot_matrices", lambda t, a, b, c, d: t.linalg.multi_dot([a, b, c, d]), [(2, 3), (3, 4), (4, 2),
                                                                                      (2, 5)]),
    Op("cross", lambda t, a, b: t.linalg.cross(a, b), [(4, 3), (4, 3)]),
    Op("vecdot", lambda t, a, b: t.linalg.vecdot(a, b, dim=0), [(3, 4), (3, 1)]),
    Op("diagonal", lambda t, a: t.linalg.diagonal(a, offset=1), [(2, 3, 4)]),
    Op("matmul", lambda t, a, b: t.linalg.matmul(a, b), [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_linalg(case):
    check(case)


ERRORS = [
    lambda t: t.linalg.inv(t.ones(2, 3, dtype=t.float64)),
    lambda t: t.linalg.inv(t.zeros(3, 3, dtype=t.float64)),
    lambda t: t.linalg.det(t.ones(3, dtype=t.float64)),
    lambda t: t.linalg.solve(t.zeros(2, 2, dtype=t.float64), t.ones(2, dtype=t.float64)),
    lambda t: t.linalg.cholesky(-t.eye(3, dtype=t.float64)),
    lambda t: t.linalg.eigvalsh(t.eye(3, dtype=t.float64), UPLO="X"),
    lambda t: t.linalg.multi_dot([t.ones(3)]),
    lambda t: t.linalg.norm(t.ones(2, 2, 2), 2),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_as_torch(k):
    check_same_error(ERRORS[k])


def test_linalg_error_is_a_runtime_error():
    assert issubclass(gt.linalg.LinAlgError, RuntimeError) and issubclass(torch.linalg.LinAlgError, RuntimeError)
    with pytest.raises(gt.linalg.LinAlgError, match="singular"):
        gt.linalg.inv(gt.zeros(2, 2))


def test_spectral_second_derivatives_refuse():
    a = gt.randn(3, 3, dtype=gt.float64, requires_grad=True)
    (g,) = gt.autograd.grad(gt.linalg.svdvals(a).sum(), a, create_graph=False)
    assert g.shape == (3, 3)
    with pytest.raises(NotImplementedError, match="second derivative"):
        gt.autograd.grad(gt.linalg.svdvals(a).sum(), a, create_graph=True)


TORCH_SPELLINGS = [
    Op("torch_det_inverse", lambda t, a: (t.det(a), t.inverse(a), a.det(), a.inverse()), [sq(3, 3)]),
    Op("torch_slogdet_logdet", lambda t, a: (t.slogdet(a), t.logdet(a), a.logdet(), a.slogdet()), [sq(2, 3, 3)]),
    Op("logdet_negative", lambda t, a: t.logdet(-a), [sq(3, 3)], grad=False),
    Op("torch_matrix_power", lambda t, a: (t.matrix_power(a, 2), a.matrix_power(-1)), [sq(3, 3)]),
    Op("chain_matmul", lambda t, a, b, c: t.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 2)]),
]


@pytest.mark.parametrize("case", TORCH_SPELLINGS, ids=repr)
def test_torch_spellings(case):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch.chain_matmul is deprecated
        check(case)
