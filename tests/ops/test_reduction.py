"""Reductions against torch: one row per op and argument pattern, then error cases and
a few properties (dtype, numerical stability, the (values, indices) result type)."""
import math

import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Op, check, distinct, positive

NAN, INF = math.nan, math.inf

# Rows with fewer elements than the correction warn in both frameworks, as they should.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")


def pinned(a, values):
    """``a`` with its values replaced by ``values`` (exactly), keeping the gradient path to ``a``.

    This is how rows put exact zeros, ties, NaN or -inf into a differentiable input.
    """
    return a - a.detach() + values


# Values with exact zeros / ties / infinities, for the pinned() rows.
ONE_ZERO = np.array([[1.5, 0.0, -2.0, 0.5], [0.7, 1.2, -1.1, 2.0], [0.3, -0.9, 1.4, 0.0]])
ZEROS = np.array([[1.5, 0.0, -2.0, 0.0], [0.0, 1.2, 0.0, 0.0], [0.7, -1.3, 2.0, 0.5]])
TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 2.0], [-5.0, 0.5, -5.0, 0.5]])
NANS = np.array([[1.0, NAN, 2.0], [NAN, NAN, 3.0]])
NEG_INF = np.array([[-INF, -INF, -INF], [-INF, 1.0, 2.0], [0.5, -1.0, 3.0]])
CUM_ZEROS = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [1.5, -2.0, 0.0, 0.5, 3.0], [0.9, 1.1, -1.2, 2.0, 0.7]])

CASES = [
    # ------------------------------------------------------------------ sum
    Op("sum_all", lambda t, a: t.sum(a), [(3, 4)]),
    Op("sum_dim", lambda t, a: a.sum(0), [(3, 4)]),
    Op("sum_dim_neg", lambda t, a: t.sum(a, -1), [(2, 3, 4)]),
    Op("sum_tuple", lambda t, a: a.sum((0, 2)), [(2, 3, 4)]),
    Op("sum_tuple_neg_keepdim", lambda t, a: t.sum(a, (-1, 0), keepdim=True), [(2, 3, 4)]),
    Op("sum_list", lambda t, a: a.sum([1]), [(2, 3, 4)]),
    Op("sum_keepdim_positional", lambda t, a: a.sum(1, True), [(3, 4)]),
    Op("sum_empty_tuple_is_all", lambda t, a: a.sum(()), [(3, 4)]),
    Op("sum_0d", lambda t, a: t.sum(a), [()]),
    Op("sum_0d_dim", lambda t, a: a.sum(0), [()]),
    Op("sum_0d_dim_neg_keepdim", lambda t, a: a.sum(-1, keepdim=True), [()]),
    Op("sum_empty", lambda t, a: a.sum(), [(0, 3)]),
    Op("sum_empty_dim", lambda t, a: a.sum(0), [(0, 3)]),
    Op("sum_empty_other_dim", lambda t, a: a.sum(1), [(0, 3)]),
    Op("sum_dtype", lambda t, a: t.sum(a, 1, dtype=t.float32), [(3, 4)], rtol=1e-6, atol=1e-6),
    Op("sum_int", lambda t: t.arange(12).reshape(3, 4).sum(1), [], grad=False),
    Op("sum_int32", lambda t: t.ones(3, dtype=t.int32).sum(), [], grad=False),
    Op("sum_bool", lambda t, a: (a > 0).sum(0), [(3, 4)], grad=False),
    Op("sum_int_dtype", lambda t: t.arange(6).sum(dtype=t.float64), [], grad=False),
    Op("sum_used_twice", lambda t, a: (a.sum(0) * a).sum(), [(3, 4)]),
    Op("sum_of_square", lambda t, a: (a * a).sum(1), [(3, 4)]),
    # ----------------------------------------------------------------- mean
    Op("mean_all", lambda t, a: t.mean(a), [(3, 4)]),
    Op("mean_dim", lambda t, a: a.mean(1), [(3, 4)]),
    Op("mean_tuple_keepdim", lambda t, a: t.mean(a, (0, -1), keepdim=True), [(2, 3, 4)]),
    Op("mean_neg", lambda t, a: a.mean(-2), [(2, 3, 4)]),
    Op("mean_0d", lambda t, a: a.mean(), [()]),
    Op("mean_0d_dim", lambda t, a: a.mean(0), [()]),
    Op("mean_empty", lambda t, a: a.mean(), [(0, 3)]),
    Op("mean_empty_dim", lambda t, a: a.mean(0), [(0, 3)]),
    Op("mean_empty_other_dim", lambda t, a: a.mean(1, keepdim=True), [(0, 3)]),
    Op("mean_dtype", lambda t, a: t.mean(a, 0, dtype=t.float32), [(3, 4)], rtol=1e-6, atol=1e-6),
    Op("mean_int_dtype", lambda t: t.arange(6).reshape(2, 3).mean(1, dtype=t.float64), [], grad=False),
    Op("nansum", lambda t, a: t.nansum(pinned(a, t.tensor(NANS))), [(2, 3)]),
    Op("nansum_dim", lambda t, a: t.nansum(pinned(a, t.tensor(NANS)), 1), [(2, 3)]),
    Op("nanmean", lambda t, a: t.nanmean(pinned(a, t.tensor(NANS))), [(2, 3)]),
    Op("nanmean_dim_keepdim", lambda t, a: t.nanmean(pinned(a, t.tensor(NANS)), 1, keepdim=True), [(2, 3)]),
    # ------------------------------------------------------------- var, std
    Op("var_all", lambda t, a: a.var(), [(3, 4)]),
    Op("var_dim", lambda t, a: t.var(a, 0), [(3, 4)]),
    Op("var_dim_unbiased_false", lambda t, a: a.var(0, False), [(3, 4)]),
    Op("var_unbiased_kw", lambda t, a: a.var(unbiased=False), [(3, 4)]),
    Op("var_legacy_bool", lambda t, a: a.var(False), [(3, 4)]),
    Op("var_legacy_keepdim", lambda t, a: t.var(a, 1, True, True), [(3, 4)]),
    Op("var_keepdim", lambda t, a: a.var(1, keepdim=True), [(3, 4)]),
    Op("var_correction0", lambda t, a: a.var(correction=0), [(3, 4)]),
    Op("var_correction2_tuple", lambda t, a: a.var(dim=(0, 2), correction=2), [(3, 4, 5)]),
    Op("var_neg_dim", lambda t, a: t.var(a, -1), [(2, 3, 4)]),
    Op("var_0d", lambda t, a: a.var(), [()]),
    Op("var_single_element_dim", lambda t, a: a.var(0), [(1, 3)]),
    Op("var_empty", lambda t, a: a.var(), [(0, 3)]),
    Op("var_empty_other_dim", lambda t, a: a.var(1), [(0, 3)]),
    Op("std_all", lambda t, a: a.std(), [(3, 4)]),
    Op("std_dim_keepdim", lambda t, a: a.std(dim=1, keepdim=True), [(3, 4)]),
    Op("std_legacy", lambda t, a: t.std(a, 0, False, True), [(3, 4)]),
    Op("std_correction0_tuple", lambda t, a: t.std(a, (0, 1), correction=0), [(2, 3, 4)]),
    Op("std_zero_spread", lambda t, a: pinned(a, t.ones(3, 4)).std(1), [(3, 4)]),
    Op("std_0d", lambda t, a: t.std(a), [()]),
    Op("var_mean", lambda t, a: t.var_mean(a, 1), [(3, 4)]),
    Op("var_mean_legacy", lambda t, a: t.var_mean(a, 0, False, True), [(3, 4)]),
    Op("std_mean", lambda t, a: t.std_mean(a, (0, 1), correction=0, keepdim=True), [(2, 3, 4)]),
    Op("std_mean_all", lambda t, a: t.std_mean(a), [(3, 4)]),
    # ----------------------------------------------------------------- prod
    Op("prod_all", lambda t, a: a.prod(), [(3, 4)]),
    Op("prod_dim", lambda t, a: t.prod(a, 1), [(3, 4)]),
    Op("prod_dim_neg_keepdim", lambda t, a: a.prod(-2, keepdim=True), [(2, 3, 4)]),
    Op("prod_keepdim_positional", lambda t, a: t.prod(a, 0, True), [(3, 4)]),
    Op("prod_0d", lambda t, a: a.prod(), [()]),
    Op("prod_0d_dim", lambda t, a: a.prod(0), [()]),
    Op("prod_empty", lambda t, a: a.prod(), [(0, 3)]),
    Op("prod_empty_dim", lambda t, a: a.prod(0), [(0, 3)]),
    Op("prod_dtype", lambda t, a: t.prod(a, 1, dtype=t.float32), [(3, 4)], rtol=1e-6, atol=1e-6),
    Op("prod_int", lambda t: t.arange(1, 7).reshape(2, 3).prod(1), [], grad=False),
    Op("prod_bool", lambda t, a: (a > -1).prod(), [(3, 4)], grad=False),
    Op("prod_one_zero_all", lambda t, a: pinned(a, t.tensor(ONE_ZERO[:1])).prod(), [(1, 4)]),
    Op("prod_one_zero_dim", lambda t, a: pinned(a, t.tensor(ONE_ZERO)).prod(1), [(3, 4)]),
    Op("prod_zeros_all", lambda t, a: pinned(a, t.tensor(ZEROS)).prod(), [(3, 4)]),
    Op("prod_two_zeros_all", lambda t, a: pinned(a, t.tensor(ZEROS[:1])).prod(), [(1, 4)]),
    Op("prod_zeros_dim1", lambda t, a: pinned(a, t.tensor(ZEROS)).prod(1), [(3, 4)]),
    Op("prod_zeros_dim0", lambda t, a: pinned(a, t.tensor(ZEROS)).prod(0, keepdim=True), [(3, 4)]),
    Op("prod_used_twice", lambda t, a: a.prod(1, keepdim=True) * a, [(3, 4)]),
    # ------------------------------------------------------------ max, min
    Op("max_all", lambda t, a: a.max(), [distinct(3, 4)]),
    Op("max_all_ties", lambda t, a: t.max(pinned(a, t.tensor(TIES))), [(3, 4)]),
    Op("min_all", lambda t, a: t.min(a), [distinct(3, 4)]),
    Op("min_all_ties", lambda t, a: pinned(a, t.tensor(TIES)).min(), [(3, 4)]),
    Op("max_dim", lambda t, a: a.max(1), [distinct(3, 4)]),
    Op("max_dim_keepdim", lambda t, a: t.max(a, dim=0, keepdim=True), [distinct(3, 4)]),
    Op("max_dim_neg", lambda t, a: t.max(a, -1), [distinct(2, 3, 4)]),
    Op("max_dim_values", lambda t, a: a.max(1).values, [distinct(3, 4)]),
    Op("max_dim_indices", lambda t, a: a.max(1).indices, [distinct(3, 4)]),
    Op("max_dim_ties", lambda t, a: pinned(a, t.tensor(TIES)).max(1), [(3, 4)]),
    Op("min_dim", lambda t, a: a.min(0), [distinct(3, 4)]),
    Op("min_dim_ties_keepdim", lambda t, a: t.min(pinned(a, t.tensor(TIES)), 1, True), [(3, 4)]),
    Op("max_0d", lambda t, a: a.max(), [()]),
    Op("max_0d_dim", lambda t, a: t.max(a, 0), [()]),
    Op("min_0d_dim_keepdim", lambda t, a: a.min(-1, keepdim=True), [()]),
    Op("max_empty_other_dim", lambda t, a: a.max(1), [(0, 3)]),
    Op("max_other", lambda t, a, b: t.max(a, b), [(3, 1), (2, 3, 4)]),
    Op("min_other", lambda t, a, b: a.min(b), [(3, 4), (4,)]),
    Op("max_other_kw", lambda t, a, b: t.max(a, other=b), [(3, 4), (3, 4)]),
    Op("max_int", lambda t: t.max(t.tensor([[1, 5, 2], [7, 0, 7]]), 1), [], grad=False),
    Op("max_bool_all", lambda t, a: (a > 0).max(), [(3, 4)], grad=False),
    Op("amax_all", lambda t, a: t.amax(a), [distinct(3, 4)]),
    Op("amax_dim", lambda t, a: a.amax(1), [distinct(3, 4)]),
    Op("amax_tuple", lambda t, a: t.amax(a, (0, 2)), [distinct(2, 3, 4)]),
    Op("amax_neg_keepdim", lambda t, a: a.amax(-1, True), [distinct(2, 3, 4)]),
    Op("amax_empty_tuple_is_all", lambda t, a: a.amax(()), [distinct(3, 4)]),
    Op("amax_ties", lambda t, a: pinned(a, t.tensor(TIES)).amax(1), [(3, 4)]),
    Op("amax_ties_all", lambda t, a: pinned(a, t.tensor(TIES)).amax(), [(3, 4)]),
    Op("amax_0d", lambda t, a: a.amax(0), [()]),
    Op("amax_empty_other_dim", lambda t, a: a.amax(1), [(0, 3)]),
    Op("amin_dim", lambda t, a: t.amin(a, 0), [distinct(3, 4)]),
    Op("amin_ties_tuple", lambda t, a: pinned(a, t.tensor(TIES)).amin((0, 1), keepdim=True), [(3, 4)]),
    Op("amax_int", lambda t: t.arange(6).reshape(2, 3).amax(0), [], grad=False),
    Op("argmax_all", lambda t, a: a.argmax(), [distinct(3, 4)]),
    Op("argmax_all_keepdim", lambda t, a: t.argmax(a, keepdim=True), [distinct(3, 4)]),
    Op("argmax_dim", lambda t, a: t.argmax(a, 1), [distinct(3, 4)]),
    Op("argmax_dim_neg_keepdim", lambda t, a: a.argmax(-1, True), [distinct(2, 3, 4)]),
    Op("argmax_ties", lambda t, a: pinned(a, t.tensor(TIES)).argmax(1), [(3, 4)]),
    Op("argmax_0d", lambda t, a: a.argmax(0), [()]),
    Op("argmin_all", lambda t, a: t.argmin(a), [distinct(3, 4)]),
    Op("argmin_dim", lambda t, a: a.argmin(0), [distinct(3, 4)]),
    Op("argmin_ties", lambda t, a: pinned(a, t.tensor(TIES)).argmin(dim=1, keepdim=True), [(3, 4)]),
    Op("argmax_int", lambda t: t.tensor([1, 3, 3]).argmax(), [], grad=False),
    Op("median_all", lambda t, a: t.median(a), [distinct(3, 4)]),
    Op("median_all_ties", lambda t, a: t.median(pinned(a, t.tensor(TIES))), [(3, 4)]),
    Op("median_dim", lambda t, a: t.median(a, 1), [distinct(3, 5)]),
    Op("median_dim_keepdim", lambda t, a: t.median(a, 0, keepdim=True), [distinct(4, 3)]),
    Op("median_0d", lambda t, a: t.median(a), [()]),
    # ------------------------------------------------------------ logsumexp
    Op("logsumexp", lambda t, a: t.logsumexp(a, 1), [(3, 4)]),
    Op("logsumexp_tuple", lambda t, a: a.logsumexp((0, 2)), [(2, 3, 4)]),
    Op("logsumexp_neg_keepdim", lambda t, a: t.logsumexp(a, -1, keepdim=True), [(2, 3, 4)]),
    Op("logsumexp_0d", lambda t, a: a.logsumexp(0), [()]),
    Op("logsumexp_large", lambda t, a: t.logsumexp(a * 1e4, 1), [(3, 4)]),
    Op("logsumexp_neg_inf_rows", lambda t, a: pinned(a, t.tensor(NEG_INF)).logsumexp(1), [(3, 3)]),
    Op("logsumexp_empty", lambda t, a: a.logsumexp(0), [(0, 3)]),
    Op("logsumexp_int", lambda t: t.logsumexp(t.arange(6).reshape(2, 3), 1), [], grad=False),
    # ---------------------------------------------------- softmax, log_softmax
    Op("softmax", lambda t, a: t.softmax(a, 1), [(3, 4)]),
    Op("softmax_dim0", lambda t, a: a.softmax(0), [(3, 4)]),
    Op("softmax_neg_3d", lambda t, a: t.softmax(a, -2), [(2, 3, 4)]),
    Op("softmax_dim_kw", lambda t, a: a.softmax(dim=1), [(2, 3, 4)]),
    Op("softmax_dtype", lambda t, a: t.softmax(a, 1, dtype=t.float32), [(3, 4)], rtol=1e-5, atol=1e-6),
    Op("softmax_dtype_positional", lambda t, a: a.float().softmax(1, t.float64), [(3, 4)], rtol=1e-6, atol=1e-7),
    Op("softmax_large", lambda t, a: t.softmax(a * 1e4, 1), [(3, 4)]),
    Op("softmax_0d", lambda t, a: t.softmax(a, 0), [()]),
    Op("softmax_empty", lambda t, a: t.softmax(a, 1), [(0, 3)]),
    Op("softmax_used_twice", lambda t, a: (t.softmax(a, 1) * a).sum(1), [(3, 4)]),
    Op("log_softmax", lambda t, a: t.log_softmax(a, 1), [(3, 4)]),
    Op("log_softmax_dim0", lambda t, a: a.log_softmax(0), [(3, 4)]),
    Op("log_softmax_3d", lambda t, a: t.log_softmax(a, dim=1), [(2, 3, 4)]),
    Op("log_softmax_dtype", lambda t, a: a.log_softmax(-1, dtype=t.float32), [(3, 4)], rtol=1e-5, atol=1e-6),
    Op("log_softmax_large", lambda t, a: t.log_softmax(a * 1e4, 1), [(3, 4)]),
    Op("log_softmax_neg_inf", lambda t, a: pinned(a, t.tensor(NEG_INF[1:])).log_softmax(1), [(2, 3)]),
    Op("log_softmax_0d", lambda t, a: t.log_softmax(a, -1), [()]),
    Op("log_softmax_empty", lambda t, a: a.log_softmax(0), [(0, 3)]),
    Op("log_softmax_used_twice", lambda t, a: t.log_softmax(a, 1) * a.exp(), [(3, 4)]),
    # ----------------------------------------------------------------- norm
    Op("norm", lambda t, a: a.norm(), [(3, 4)]),
    Op("norm_fro_dims", lambda t, a: t.norm(a, "fro", (0, 1)), [(2, 3, 4)]),
    Op("norm_fro_dim", lambda t, a: t.norm(a, "fro", 1), [(3, 4)]),
    Op("norm_2_dim_keepdim", lambda t, a: a.norm(2, 1, True), [(3, 4)]),
    Op("norm_2_tuple", lambda t, a: t.norm(a, 2, (0, 2)), [(2, 3, 4)]),
    Op("norm_none_p", lambda t, a: t.norm(a, p=None, dim=-1), [(3, 4)]),
    Op("norm_1", lambda t, a: a.norm(1), [(3, 4)]),
    Op("norm_1_dim", lambda t, a: t.norm(a, 1, dim=0), [(3, 4)]),
    Op("norm_inf", lambda t, a: a.norm(INF), [(3, 4)]),
    Op("norm_inf_dim_ties", lambda t, a: t.norm(pinned(a, t.tensor(TIES)), INF, 1), [(3, 4)]),
    Op("norm_neg_inf", lambda t, a: t.norm(a, -INF, 1), [(3, 4)]),
    Op("norm_3", lambda t, a: a.norm(3, (0, 1)), [(3, 4)]),
    Op("norm_1_5", lambda t, a: t.norm(a, 1.5, 1), [(3, 4)]),
    Op("norm_0_5", lambda t, a: a.norm(0.5), [(3, 4)]),
    Op("norm_neg_2", lambda t, a: t.norm(a, -2, 0), [(3, 4)]),
    Op("norm_0", lambda t, a: t.norm(pinned(a, t.tensor(ONE_ZERO)), 0, 1), [(3, 4)]),
    # At a zero vector torch's second derivative is NaN (0 * inf inside its formula); ours is 0.
    Op("norm_zero_vector", lambda t, a: pinned(a, t.zeros(2, 3)).norm(), [(2, 3)], gradgrad=False),
    Op("norm_zero_row", lambda t, a: t.norm(pinned(a, t.tensor([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])), dim=1),
       [(2, 3)], gradgrad=False),
    Op("norm_3_zero_row", lambda t, a: t.norm(pinned(a, t.tensor([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])), 3, 1),
       [(2, 3)], gradgrad=False),
    Op("norm_0d", lambda t, a: a.norm(), [()]),
    Op("norm_empty", lambda t, a: a.norm(), [(0, 3)]),
    Op("norm_inf_empty_other_dim", lambda t, a: t.norm(a, INF, 1), [(0, 3)]),
    Op("norm_dtype", lambda t, a: t.norm(a.float(), dtype=t.float64), [(3, 4)], rtol=1e-6),
    Op("norm_used_twice", lambda t, a: a / a.norm(dim=1, keepdim=True), [(3, 4)]),
    # ------------------------------------------------------- cumsum, cumprod
    Op("cumsum", lambda t, a: t.cumsum(a, 0), [(3, 4)]),
    Op("cumsum_neg", lambda t, a: a.cumsum(-1), [(3, 4)]),
    Op("cumsum_3d", lambda t, a: a.cumsum(dim=1), [(2, 3, 4)]),
    Op("cumsum_0d", lambda t, a: t.cumsum(a, 0), [()]),
    Op("cumsum_empty", lambda t, a: a.cumsum(0), [(0, 3)]),
    Op("cumsum_dtype", lambda t, a: t.cumsum(a, 1, dtype=t.float32), [(3, 4)], rtol=1e-6, atol=1e-6),
    Op("cumsum_int", lambda t: t.arange(6).reshape(2, 3).cumsum(1), [], grad=False),
    Op("cumsum_bool", lambda t, a: t.cumsum(a > 0, 0), [(3, 4)], grad=False),
    Op("cumsum_used_twice", lambda t, a: (a.cumsum(1) * a).sum(), [(3, 4)]),
    Op("cumprod", lambda t, a: t.cumprod(a, 1), [(3, 5)]),
    Op("cumprod_dim0", lambda t, a: a.cumprod(0), [(3, 4)]),
    Op("cumprod_neg_3d", lambda t, a: a.cumprod(-2), [(2, 3, 4)]),
    Op("cumprod_0d", lambda t, a: t.cumprod(a, 0), [()]),
    Op("cumprod_empty", lambda t, a: a.cumprod(1), [(0, 3)]),
    Op("cumprod_zeros", lambda t, a: t.cumprod(pinned(a, t.tensor(CUM_ZEROS)), 1), [(3, 5)]),
    Op("cumprod_zeros_dim0", lambda t, a: pinned(a, t.tensor(CUM_ZEROS.T.copy())).cumprod(0), [(5, 3)]),
    Op("cumprod_int", lambda t: t.arange(1, 7).reshape(2, 3).cumprod(1), [], grad=False),
    Op("cumprod_dtype", lambda t, a: a.cumprod(1, dtype=t.float32), [positive(3, 4)], rtol=1e-6, atol=1e-6),
    # ---------------------------------------------------- all, any, counting
    Op("all", lambda t, a: t.all(a > -1), [(3, 4)], grad=False),
    Op("all_dim", lambda t, a: (a > 0).all(1), [(3, 4)], grad=False),
    Op("all_float", lambda t, a: a.all(), [(3, 4)], grad=False),
    Op("all_tuple_keepdim", lambda t, a: t.all(a > -1, (0, 1), keepdim=True), [(3, 4)], grad=False),
    Op("all_empty_tuple_no_reduction", lambda t, a: t.all(a > 0, ()), [(3, 4)], grad=False),
    Op("all_uint8", lambda t, a: (a > 0).to(t.uint8).all(0), [(3, 4)], grad=False),
    Op("all_empty", lambda t, a: t.all(a), [(0, 3)], grad=False),
    Op("all_0d", lambda t, a: (a > 0).all(0), [()], grad=False),
    Op("any", lambda t, a: t.any(a > 1), [(3, 4)], grad=False),
    Op("any_dim_neg_keepdim", lambda t, a: (a > 0.5).any(-1, True), [(3, 4)], grad=False),
    Op("any_int", lambda t: t.tensor([[0, 0], [0, 3]]).any(1), [], grad=False),
    Op("any_empty_dim", lambda t, a: t.any(a, 0), [(0, 3)], grad=False),
    Op("count_nonzero", lambda t, a: t.count_nonzero(t.relu(a)), [(3, 4)], grad=False),
    Op("count_nonzero_dim", lambda t, a: t.count_nonzero(t.relu(a), (0, -1)), [(2, 3, 4)], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_reduction(case):
    check(case)


# ------------------------------------------------------------- error cases
def _both_raise(exc, match, fn, setup=lambda t: t.ones(3, 4)):
    """``fn(t, x)`` raises ``exc`` in torch and in glasstorch, and ours says ``match``."""
    with pytest.raises(exc):
        fn(torch, setup(torch))
    with pytest.raises(exc, match=match):
        fn(gt, setup(gt))


ERRORS = [
    ("sum_dim_out_of_range", IndexError, r"range of \[-2, 1\], but got 2", lambda t, x: x.sum(2), None),
    ("sum_dup_dims", RuntimeError, "dim 0 appears multiple times", lambda t, x: t.sum(x, (0, -2)), None),
    ("sum_0d_dim", IndexError, r"range of \[-1, 0\], but got 1", lambda t, x: x.sum(1), lambda t: t.tensor(2.0)),
    ("mean_int", RuntimeError, "Got: Long", lambda t, x: x.mean(), lambda t: t.arange(4)),
    ("mean_bool", RuntimeError, "Got: Bool", lambda t, x: t.mean(x, 0), lambda t: t.ones(3, dtype=t.bool)),
    ("mean_int_dtype", RuntimeError, "Optional dtype .* Got: Long", lambda t, x: x.mean(dtype=t.int64), None),
    ("nanmean_int", RuntimeError, "got Long", lambda t, x: t.nanmean(x), lambda t: t.arange(4)),
    ("var_int", RuntimeError, "floating point", lambda t, x: x.var(), lambda t: t.arange(4)),
    ("std_int", RuntimeError, "floating point", lambda t, x: t.std(x, 0), lambda t: t.arange(4)),
    ("var_unbiased_and_correction", TypeError, "unbiased", lambda t, x: x.var(0, unbiased=False, correction=0),
     None),
    ("var_dim_out_of_range", IndexError, "but got 3", lambda t, x: x.var(3), None),
    ("prod_tuple_dim", TypeError, "must be int, not tuple", lambda t, x: t.prod(x, (0,)), None),
    ("prod_dim_out_of_range", IndexError, "but got -3", lambda t, x: x.prod(-3), None),
    ("max_empty", RuntimeError, "numel\\(\\) == 0", lambda t, x: x.max(), lambda t: t.zeros(0, 3)),
    ("min_empty_dim", IndexError, "reduction dim 0 to have non-zero size", lambda t, x: t.min(x, 0),
     lambda t: t.zeros(0, 3)),
    ("max_tuple_dim", TypeError, "must be int, not tuple", lambda t, x: x.max((0, 1)), None),
    ("max_dim_out_of_range", IndexError, "but got 2", lambda t, x: t.max(x, 2), None),
    ("amax_empty", RuntimeError, "numel\\(\\) == 0", lambda t, x: x.amax(), lambda t: t.zeros(0, 3)),
    ("amax_empty_dim", IndexError, "dim 0 to have non-zero size", lambda t, x: t.amax(x, 0),
     lambda t: t.zeros(0, 3)),
    ("amin_dup_dims", RuntimeError, "appears multiple times", lambda t, x: x.amin((1, 1)), None),
    ("argmax_empty", IndexError, "numel\\(\\) == 0", lambda t, x: x.argmax(), lambda t: t.zeros(0, 3)),
    ("argmin_empty_dim", IndexError, "dim 0 to have non-zero size", lambda t, x: x.argmin(0),
     lambda t: t.zeros(0, 3)),
    ("argmax_bool", RuntimeError, "bool", lambda t, x: x.argmax(), lambda t: t.ones(3, dtype=t.bool)),
    ("median_empty_dim", IndexError, "dim 0 to have non-zero size", lambda t, x: t.median(x, 0),
     lambda t: t.zeros(0, 3)),
    ("logsumexp_dim_out_of_range", IndexError, "but got 2", lambda t, x: t.logsumexp(x, 2), None),
    ("softmax_int", NotImplementedError, "not implemented for 'Long'", lambda t, x: t.softmax(x, 0),
     lambda t: t.arange(3)),
    ("log_softmax_bool", NotImplementedError, "not implemented for 'Bool'", lambda t, x: x.log_softmax(0),
     lambda t: t.ones(3, dtype=t.bool)),
    ("softmax_dim_out_of_range", IndexError, "but got 2", lambda t, x: x.softmax(2), None),
    ("norm_int", RuntimeError, "Expected a floating point .* Got Long", lambda t, x: t.norm(x),
     lambda t: t.arange(3)),
    ("norm_narrowing_dtype", RuntimeError, "without narrowing", lambda t, x: t.norm(x, dtype=t.float32),
     lambda t: t.ones(3, dtype=t.float64)),
    ("norm_bad_order", RuntimeError, "Order abc not supported", lambda t, x: x.norm("abc"), None),
    ("norm_fro_three_dims", RuntimeError, "2-tuple", lambda t, x: t.norm(x, "fro", (0, 1, 2)),
     lambda t: t.ones(2, 3, 4)),
    ("norm_inf_empty", RuntimeError, "inf norm on an empty tensor", lambda t, x: x.norm(INF),
     lambda t: t.zeros(0, 3)),
    ("norm_inf_empty_dim", RuntimeError, "inf norm on the dimension 0", lambda t, x: t.norm(x, INF, 0),
     lambda t: t.zeros(0, 3)),
    ("cumsum_dim_out_of_range", IndexError, "but got 2", lambda t, x: t.cumsum(x, 2), None),
    ("cumsum_0d_dim", IndexError, r"\[-1, 0\], but got 1", lambda t, x: x.cumsum(1), lambda t: t.tensor(1.0)),
    ("cumprod_tuple_dim", TypeError, "must be int", lambda t, x: t.cumprod(x, (0,)), None),
]


@pytest.mark.parametrize("name,exc,match,fn,setup", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, exc, match, fn, setup):
    if setup is None:
        _both_raise(exc, match, fn)
    else:
        _both_raise(exc, match, fn, setup)


# ------------------------------------------------------------- properties
FLOAT32_OPS = {
    "sum": lambda t, a: a.sum(1),
    "mean": lambda t, a: a.mean(),
    "var": lambda t, a: a.var(0),
    "std": lambda t, a: a.std(1),
    "prod": lambda t, a: a.prod(1),
    "max": lambda t, a: a.max(),
    "max_dim": lambda t, a: a.max(1).values,
    "amin": lambda t, a: a.amin(0),
    "median": lambda t, a: t.median(a),
    "logsumexp": lambda t, a: a.logsumexp(1),
    "softmax": lambda t, a: a.softmax(1),
    "log_softmax": lambda t, a: a.log_softmax(0),
    "norm": lambda t, a: a.norm(),
    "norm_3": lambda t, a: a.norm(3, 1),
    "norm_inf": lambda t, a: a.norm(INF),
    "cumsum": lambda t, a: a.cumsum(1),
    "cumprod": lambda t, a: a.cumprod(1),
    "nanmean": lambda t, a: t.nanmean(a),
}


@pytest.mark.parametrize("name", list(FLOAT32_OPS))
def test_float32_stays_float32(name):
    fn = FLOAT32_OPS[name]
    arr = np.random.default_rng(0).uniform(0.5, 1.5, (3, 4)).astype(np.float32)
    x = gt.tensor(arr, requires_grad=True)
    out = fn(gt, x)
    assert out.dtype == gt.float32
    (g,) = gt.autograd.grad(out.sum(), x)
    assert g.dtype == gt.float32
    tx = torch.tensor(arr, requires_grad=True)
    tout = fn(torch, tx)
    (tg,) = torch.autograd.grad(tout.sum(), tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_stable_at_large_logits(name):
    arr = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 + 1, -1e4]], dtype=np.float32)
    x = gt.tensor(arr, requires_grad=True)
    out = getattr(x, name)(1)
    (g,) = gt.autograd.grad((out * gt.tensor(np.arange(out.numel(), dtype=np.float32).reshape(out.shape))).sum(), x)
    assert np.isfinite(out.detach().numpy()).all() and np.isfinite(g.numpy()).all()
    tx = torch.tensor(arr, requires_grad=True)
    tout = getattr(tx, name)(1)
    (tg,) = torch.autograd.grad((tout * torch.arange(tout.numel(), dtype=torch.float32).reshape(tout.shape)).sum(), tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-6, atol=1e-6)


def test_max_dim_result_type():
    x = gt.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]], requires_grad=True)
    res = gt.max(x, 1)
    values, indices = res
    assert res.values is values and res.indices is indices
    assert indices.dtype == gt.int64 and not indices.requires_grad and indices.grad_fn is None
    assert values.requires_grad
    assert indices.tolist() == [1, 0]
    res = x.min(dim=0, keepdim=True)
    assert res.indices.shape == (1, 3) and res.values.shape == (1, 3)


def test_max_dim_gradient_goes_to_returned_index():
    x = gt.tensor([[1.0, 5.0, 5.0], [7.0, 7.0, 2.0]], requires_grad=True)
    x.max(1).values.sum().backward()
    tx = torch.tensor([[1.0, 5.0, 5.0], [7.0, 7.0, 2.0]], requires_grad=True)
    tx.max(1).values.sum().backward()
    assert x.grad.tolist() == tx.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_full_max_and_amax_share_ties_evenly():
    for fn in (lambda x: x.max(), lambda x: x.amax(), lambda x: x.amax(1).sum()):
        x = gt.tensor([[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]], requires_grad=True)
        fn(x).backward()
        tx = torch.tensor([[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]], requires_grad=True)
        fn(tx).backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_prod_gradient_with_zeros():
    # one zero: only the zero gets a gradient, the product of the others
    x = gt.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]
    # two zeros: every gradient is 0
    x = gt.tensor([2.0, 0.0, 3.0, 0.0], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    # the Hessian of a product with two zeros is not 0 between the two zeros
    x = gt.tensor([2.0, 0.0, 3.0, 0.0], dtype=gt.float64, requires_grad=True)
    (g,) = gt.autograd.grad(x.prod(), x, create_graph=True)
    (h,) = gt.autograd.grad(g[1], x)
    assert h.tolist() == [0.0, 0.0, 0.0, 6.0]


def test_norm_gradient_at_zero_is_zero():
    for p in (2, 3, 1.5, "fro"):
        x = gt.zeros(3, requires_grad=True)
        gt.norm(x, p).backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_softmax_implicit_dim_warns():
    x = gt.tensor(np.random.default_rng(0).standard_normal((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = gt.softmax(x)
    np.testing.assert_allclose(out.numpy(), torch.nn.functional.softmax(torch.tensor(x.numpy()), 1).numpy(),
                               rtol=1e-6)


def test_softmax_double_backward_is_graph():
    x = gt.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    y = gt.softmax(x, 1)
    (g,) = gt.autograd.grad((y * y).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
