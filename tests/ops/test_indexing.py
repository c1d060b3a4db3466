"""Indexing, gather/scatter and sorting ops against torch: one row per op and key pattern.

Index tensors are built inside the lambdas with ``t.tensor`` (``t`` is glasstorch or
torch), so each row runs the same code in both frameworks. Rows that write with
``__setitem__`` go through ``_set``: a non-leaf copy, the assignment, the copy returned;
the gradients of both the input and the assigned value are compared.
"""
import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Op, bools, check, distinct, ints

# torch warns on these deprecated (but still supported) forms, which the table checks on purpose.
pytestmark = [pytest.mark.filterwarnings("ignore:.*non-tuple sequence"),
              pytest.mark.filterwarnings("ignore:.*reduce argument"),
              pytest.mark.filterwarnings("ignore:.*uint8")]


def _set(x, key, value):
    y = x * 1  # a non-leaf copy (the framework's clone), so the assignment is recorded
    y[key] = value
    return y


M = [(3, 4)]
C = [(2, 3, 4)]
MASK = [[True, False, True, True], [False, False, True, False], [True, True, False, False]]

CASES = [
    # ---- ints, slices, None, Ellipsis (views)
    Op("int", lambda t, a: a[1], M),
    Op("int_negative", lambda t, a: a[-1], M),
    Op("int_int_0d", lambda t, a: a[1, 2], M),
    Op("int_negative_both", lambda t, a: a[-1, -4], M),
    Op("int_on_3d_middle", lambda t, a: a[:, 2], C),
    Op("int_on_vector_0d", lambda t, a: a[3], [(5,)]),
    Op("slice", lambda t, a: a[1:], M),
    Op("slice_step", lambda t, a: a[::2], [(5, 3)]),
    Op("slice_2d_step", lambda t, a: a[1:3, ::2], M),
    Op("slice_negative_start", lambda t, a: a[-2:, :-1], M),
    Op("slice_past_end", lambda t, a: a[1:100], M),
    Op("slice_empty", lambda t, a: a[5:], M),
    Op("slice_empty_cols", lambda t, a: a[:, 2:2], M),
    Op("slice_0d_result", lambda t, a: a[1:2, 3:4][0, 0], M),
    Op("none_front", lambda t, a: a[None], M),
    Op("none_ellipsis", lambda t, a: a[..., None], M),
    Op("ellipsis_none_int", lambda t, a: a[..., None, 0], C),
    Op("none_ellipsis_int", lambda t, a: a[None, ..., 1], C),
    Op("none_between", lambda t, a: a[:, None, 1:, None], M),
    Op("ellipsis", lambda t, a: a[...], M),
    Op("empty_tuple", lambda t, a: a[()], M),
    Op("ellipsis_ints_0d", lambda t, a: a[..., 1, 2, 3], C),
    Op("int_ellipsis_int", lambda t, a: a[1, ..., 3], C),
    Op("int_tensor_0d", lambda t, a: a[t.tensor(2)], M),
    Op("numpy_int", lambda t, a: a[np.int64(-2)], M),
    Op("slice_tensor_bounds", lambda t, a: a[t.tensor(1):t.tensor(3)], M),
    # ---- Python bools
    Op("true", lambda t, a: a[True], M),
    Op("false", lambda t, a: a[False], M),
    Op("int_true", lambda t, a: a[0, True], M),
    Op("true_with_array", lambda t, a: a[:, True, [0, 2]], C),
    Op("bool_tensor_0d", lambda t, a: a[t.tensor(True), 1], M),
    # ---- integer arrays (advanced indexing, repeated positions)
    Op("list", lambda t, a: a[[2, 0]], M),
    Op("list_repeated", lambda t, a: a[[0, 0, 1]], [(3,)]),
    Op("list_repeated_rows", lambda t, a: a[[0, 2, 0, 0]], M),
    Op("list_negative", lambda t, a: a[[-1, 0, -3]], M),
    Op("list_empty", lambda t, a: a[[]], M),
    Op("tensor_index", lambda t, a: a[t.tensor([1, 1, 0])], M),
    Op("tensor_index_int32", lambda t, a: a[t.tensor([2, 0, 2], dtype=t.int32)], M),
    Op("tensor_index_2d", lambda t, a: a[t.tensor([[0, 2], [1, 1]])], M),
    Op("numpy_index_2d", lambda t, a: a[np.array([[0, 2], [2, 2]])], M),
    Op("numpy_float_list_truncates", lambda t, a: a[[0, 1.5]], M),
    Op("rows_slice_cols_array", lambda t, a: a[1:, [0, 2]], M),
    Op("rows_array_cols_slice", lambda t, a: a[[0, 2, 2], 1:], M),
    Op("cols_repeated", lambda t, a: a[:, [0, 0, 3]], M),
    Op("two_arrays_adjacent", lambda t, a: a[:, [0, 1, 1], [3, 3, 0]], C),
    Op("two_arrays_separated", lambda t, a: a[[0, 1, 1], :, [1, 3, 1]], C),
    Op("int_then_array_torch_order", lambda t, a: a[0, :, [0, 1]], C),
    Op("int_and_array_adjacent", lambda t, a: a[:, 0, [0, 1, 0]], C),
    Op("arrays_broadcast", lambda t, a: a[[[0], [1]], [0, 2, 2]], C),
    Op("array_2d_pair", lambda t, a: a[t.tensor([[0, 1], [1, 1]]), :, t.tensor([[0, 2], [3, 3]])], C),
    Op("ellipsis_array", lambda t, a: a[..., [3, 3, 0]], C),
    Op("none_array_none_array", lambda t, a: a[None, [1, 0], None, [2, 2]], C),
    Op("all_dims_arrays", lambda t, a: a[[-2, 1, 1], [0, -3, 0], [3, 2, 3]], C),
    Op("list_of_lists_is_tuple", lambda t, a: a[[[0, 1, 1], [1, 0, 1]]], C),
    Op("array_then_int", lambda t, a: a[[1, 0, 1], 2], M),
    # ---- boolean masks
    Op("mask_from_input", lambda t, a: a[a > 0], M),
    Op("mask_rows", lambda t, a: a[t.tensor([True, False, True])], M),
    Op("mask_cols", lambda t, a: a[:, t.tensor([True, False, True, True])], M),
    Op("mask_list", lambda t, a: a[[True, False, True]], M),
    Op("mask_numpy", lambda t, a: a[np.array([False, True, True])], M),
    Op("mask_uint8_deprecated", lambda t, a: a[t.tensor([1, 0, 1], dtype=t.uint8)], M),
    Op("mask_2d", lambda t, a: a[t.tensor(MASK)], M),
    Op("mask_2d_then_int", lambda t, a: a[t.tensor(MASK), 1], [(3, 4, 2)]),
    Op("mask_2d_with_array", lambda t, a: a[t.tensor([[True, False, True], [False, True, True]]), [0, 1, 2, 3]], C),
    Op("mask_none_selected", lambda t, a: a[a > 100], M),
    Op("mask_3d_all_dims", lambda t, a, m: a[m], [C[0], bools(2, 3, 4)]),
    # ---- 0-d and empty inputs
    Op("0d_empty_tuple", lambda t, a: a[()], [()]),
    Op("0d_none", lambda t, a: a[None], [()]),
    Op("0d_ellipsis", lambda t, a: a[...], [()]),
    Op("0d_true", lambda t, a: a[True], [()]),
    Op("0d_bool_tensor", lambda t, a: a[t.tensor(False)], [()]),
    Op("empty_rows_array_cols", lambda t, a: a[:, [0, 2]], [(0, 3)]),
    Op("empty_select", lambda t, a: a[1], [(3, 0)]),
    # ---- one tensor used twice
    Op("twice_arrays", lambda t, a: a[[0, 1]] * a[[1, 1]], M),
    Op("twice_row_col", lambda t, a: a[0] + a[:, 0][:, None].sum(), M),
    Op("twice_chained", lambda t, a: a[1:][[0, 0]][:, ::2], M),
    # ---- scatter paths of the backward: dense, sparse with and without repeats, rows
    Op("grad_dense_vector", lambda t, a: a[[1, 1, 0, 3, 3, 3, 2, 0]], [(4,)]),
    Op("grad_sparse_vector_repeats", lambda t, a: a[[7, 7, 20, 3]], [(30,)]),
    Op("grad_sparse_rows_repeats", lambda t, a: a[[7, 7, 20, 3, 7]], [(30, 3)]),
    Op("grad_sparse_rows_distinct", lambda t, a: a[[7, 29, 0]], [(30, 3)]),
    Op("grad_dense_rows", lambda t, a: a[:, [1, 0, 1, 1, 0]], [(2, 3, 2)]),
    Op("grad_sparse_middle_dim", lambda t, a: a[:, [4, 4, 11], 1:], [(3, 20, 3)]),
    # ---- setitem (out-of-place index_put through __setitem__)
    Op("set_int_row", lambda t, x, v: _set(x, 0, v), [(3, 4), (4,)]),
    Op("set_int_number", lambda t, x: _set(x, 1, 2.5), M),
    Op("set_column", lambda t, x, v: _set(x, (slice(None), 1), v), [(3, 4), (3,)]),
    Op("set_slice_broadcast", lambda t, x, v: _set(x, (slice(1, None), slice(None, None, 2)), v), [(3, 4), (1, 2)]),
    Op("set_0d_element", lambda t, x, v: _set(x, (0, 0), v), [(3, 4), ()]),
    Op("set_leading_ones", lambda t, x, v: _set(x, 0, v), [(3, 4), (1, 1, 4)]),
    Op("set_ellipsis_none", lambda t, x, v: _set(x, (Ellipsis, None, 2), v), [(2, 3, 4), (3, 1)]),
    Op("set_rows_list", lambda t, x, v: _set(x, [0, 2], v), [(3, 4), (2, 4)]),
    Op("set_rows_broadcast", lambda t, x, v: _set(x, t.tensor([2, 1]), v), [(3, 4), (4,)]),
    Op("set_cols_array", lambda t, x, v: _set(x, (slice(None), [1, 3]), v), [(3, 4), (3, 1)]),
    Op("set_mask_number", lambda t, x: _set(x, x > 0, 0.0), M),
    Op("set_mask_0d_value", lambda t, x, v: _set(x, x > 0, v), [(3, 4), ()]),
    Op("set_mask_rows", lambda t, x, v: _set(x, t.tensor([True, False, True]), v), [(3, 4), (2, 4)]),
    Op("set_two_arrays_separated", lambda t, x, v: _set(x, ([0, 1], slice(None), [1, 3]), v), [(2, 3, 4), (2, 3)]),
    Op("set_int_then_array", lambda t, x, v: _set(x, (0, slice(None), [0, 2]), v), [(2, 3, 4), (3, 2)]),
    Op("set_value_float32", lambda t, x, v: _set(x, 0, v.float()), [(3, 4), (4,)], rtol=1e-6),
    Op("set_true", lambda t, x, v: _set(x, True, v), [(3, 4), (4,)]),
    Op("set_0d_input", lambda t, x, v: _set(x, (), v), [(), ()]),
    Op("set_same_tensor", lambda t, x: _set(x, 0, x[1] * 2), M),
    Op("set_int_tensor", lambda t: _set(t.arange(6).reshape(2, 3), 0, t.tensor([2.7, -1.5, 3.9])), [], grad=False),
    Op("set_int_tensor_number", lambda t: _set(t.arange(6).reshape(2, 3), (slice(None), 1), 2.7), [], grad=False),
    Op("set_bool_tensor", lambda t: _set(t.zeros(3, dtype=t.bool), 1, 2.5), [], grad=False),
    Op("set_twice", lambda t, x, v: _set(_set(x, 0, v), [2, 1], v[:2, None]), [(3, 4), (4,)]),
    Op("index_put", lambda t, x, v: t.index_put(x, (t.tensor([2, 0]),), v), [(3, 4), (4,)]),
    Op("index_put_accumulate", lambda t, x, v: t.index_put(x, (t.tensor([0, 2, 0]),), v, accumulate=True),
       [(3, 4), (3, 4)]),
    Op("index_put_accumulate_pairs", lambda t, x, v: t.index_put(x, (t.tensor([0, 2, 0]), t.tensor([1, 1, 1])), v,
                                                                 True), [(3, 4), ()]),
    # ---- index_select
    Op("index_select", lambda t, a: t.index_select(a, 0, t.tensor([2, 0, 2])), M),
    Op("index_select_dim1", lambda t, a: a.index_select(1, t.tensor([3, 3, 0])), M),
    Op("index_select_neg_dim", lambda t, a: a.index_select(-1, t.tensor([1], dtype=t.int32)), C),
    Op("index_select_0d_index", lambda t, a: a.index_select(0, t.tensor(1)), M),
    Op("index_select_empty", lambda t, a: a.index_select(0, t.tensor([], dtype=t.long)), M),
    Op("index_select_0d_input", lambda t, a: a.index_select(0, t.tensor([0])), [()]),
    Op("index_select_sparse", lambda t, a: a.index_select(0, t.tensor([5, 5, 17])), [(20, 3)]),
    # ---- gather
    Op("gather", lambda t, a, i: t.gather(a, 1, i), [(3, 4), ints(4, 3, 5)]),
    Op("gather_dim0", lambda t, a, i: a.gather(0, i), [(3, 4), ints(3, 5, 4)]),
    Op("gather_neg_dim", lambda t, a, i: a.gather(-1, i), [(2, 3, 4), ints(4, 2, 3, 2)]),
    Op("gather_smaller_index", lambda t, a, i: a.gather(1, i), [(3, 4), ints(4, 2, 2)]),
    Op("gather_int32", lambda t, a, i: a.gather(1, i.int()), [(3, 4), ints(4, 3, 2)]),
    Op("gather_0d", lambda t, a: a.gather(0, t.tensor(0)), [()]),
    Op("gather_0d_repeat", lambda t, a: a.gather(0, t.tensor([0, 0])), [()]),
    Op("gather_empty", lambda t, a: a.gather(0, t.zeros(0, 4, dtype=t.long)), M),
    Op("gather_twice", lambda t, a, i: a.gather(1, i) * a.gather(1, i.flip(1)), [(3, 4), ints(4, 3, 3)]),
    Op("gather_sparse", lambda t, a: a.gather(1, t.tensor([[3], [0]])), [(2, 30)]),
    # ---- scatter / scatter_add
    Op("scatter", lambda t, a, s: a.scatter(1, t.tensor([[0, 2], [1, 3], [3, 0]]), s), [(3, 4), (3, 2)]),
    Op("scatter_fn", lambda t, a, s: t.scatter(a, 0, t.tensor([[2, 0, 1, 0]]), s), [(3, 4), (1, 4)]),
    Op("scatter_src_larger", lambda t, a, s: a.scatter(1, t.tensor([[0, 2], [1, 3]]), s), [(3, 4), (2, 3)],
       grad=False),
    Op("scatter_value", lambda t, a: a.scatter(1, t.tensor([[0, 2], [1, 3], [3, 0]]), 2.5), M),
    Op("scatter_value_kw", lambda t, a: a.scatter(1, t.tensor([[0], [1]]), value=-1.0), M),
    Op("scatter_int32", lambda t, a, s: a.scatter(-1, t.tensor([[1, 0]], dtype=t.int32), s), [(3, 4), (1, 2)]),
    Op("scatter_reduce_add", lambda t, a, s: a.scatter(1, t.tensor([[0, 0], [1, 1]]), s, reduce="add"),
       [(3, 4), (2, 2)], grad=False),
    Op("scatter_reduce_multiply", lambda t, a: a.scatter(1, t.tensor([[0, 0], [1, 1]]), 3.0, reduce="multiply"),
       M, grad=False),
    Op("scatter_0d", lambda t, a, s: a.scatter(0, t.tensor(0), s), [(), ()]),
    Op("scatter_int_tensor", lambda t: t.arange(12).reshape(3, 4).scatter(1, t.tensor([[1], [2]]), 7), [],
       grad=False),
    Op("scatter_add", lambda t, a, i, s: a.scatter_add(1, i, s), [(3, 4), ints(4, 3, 6), (3, 6)]),
    Op("scatter_add_fn_dim0", lambda t, a, i, s: t.scatter_add(a, 0, i, s), [(3, 4), ints(3, 5, 4), (5, 4)]),
    Op("scatter_add_index_smaller", lambda t, a, i, s: a.scatter_add(1, i, s), [(3, 4), ints(4, 2, 3), (2, 3)]),
    Op("scatter_add_0d", lambda t, a, s: a.scatter_add(0, t.tensor([0, 0]), s), [(), (2,)]),
    Op("scatter_add_sparse", lambda t, a, s: a.scatter_add(1, t.tensor([[29, 29, 3]]), s), [(2, 30), (1, 3)]),
    Op("scatter_add_int", lambda t: t.zeros(5, dtype=t.long).scatter_add(0, t.tensor([1, 1, 4]),
                                                                          t.tensor([2, 3, 4])), [], grad=False),
    # ---- index_add
    Op("index_add", lambda t, a, s: a.index_add(0, t.tensor([0, 2, 0]), s), [(3, 4), (3, 4)]),
    Op("index_add_alpha", lambda t, a, s: t.index_add(a, 1, t.tensor([3, 3]), s, alpha=-2.5), [(3, 4), (3, 2)]),
    Op("index_add_int32", lambda t, a, s: a.index_add(-1, t.tensor([1], dtype=t.int32), s), [(2, 3, 4), (2, 3, 1)]),
    Op("index_add_0d", lambda t, a, s: a.index_add(0, t.tensor([0]), s), [(), ()]),
    Op("index_add_sparse", lambda t, a, s: a.index_add(0, t.tensor([9, 9, 1]), s), [(30, 2), (3, 2)]),
    Op("index_add_int", lambda t: t.zeros(3, 2, dtype=t.long).index_add(0, t.tensor([1, 1]), t.ones(2, 2,
                                                                         dtype=t.long)), [], grad=False),
    # ---- take_along_dim
    Op("take_along_dim", lambda t, a: t.take_along_dim(a, a.argsort(1), 1), M),
    Op("take_along_dim_argmax", lambda t, a: a.take_along_dim(t.tensor([[2], [0], [3]]), dim=1), M),
    Op("take_along_dim_flat", lambda t, a: a.take_along_dim(t.tensor([0, 5, 11, 5])), M),
    Op("take_along_dim_flat_2d_index", lambda t, a: t.take_along_dim(a, t.tensor([[1, 2], [3, 3]])), M),
    Op("take_along_dim_broadcast_index", lambda t, a: a.take_along_dim(t.tensor([[1, 0, 0, 2]]), 0), M),
    Op("take_along_dim_broadcast_input", lambda t, a: a.take_along_dim(t.tensor([[1, 0], [3, 3], [2, 0]]), 1),
       [(1, 4)]),
    Op("take_along_dim_negative", lambda t, a: a.take_along_dim(t.tensor([[-1, 0], [-4, -4]]), 1), [(2, 4)]),
    # ---- nonzero / where / masked_select
    Op("nonzero", lambda t, a: t.nonzero(a > 0), M, grad=False),
    Op("nonzero_as_tuple", lambda t, a: (a > 0).nonzero(as_tuple=True), C, grad=False),
    Op("nonzero_float", lambda t: t.tensor([[0.0, 1.5], [-2.0, 0.0]]).nonzero(), [], grad=False),
    Op("nonzero_0d", lambda t: (t.nonzero(t.tensor(3.0)), t.nonzero(t.tensor(0.0))), [], grad=False),
    Op("nonzero_0d_tuple", lambda t: t.tensor(3.0).nonzero(as_tuple=True), [], grad=False),
    Op("nonzero_empty", lambda t: t.nonzero(t.zeros(2, 0)), [], grad=False),
    Op("where_one_arg", lambda t, a: t.where(a > 0.5), M, grad=False),
    Op("masked_select", lambda t, a: t.masked_select(a, a > 0), M),
    Op("masked_select_bcast_mask", lambda t, a, m: a.masked_select(m), [(3, 4), bools(4)]),
    Op("masked_select_bcast_input", lambda t, a, m: a.masked_select(m), [(4,), bools(3, 4)]),
    Op("masked_select_bcast_both", lambda t, a, m: t.masked_select(a, m), [(3, 1), bools(2, 1, 4)]),
    Op("masked_select_0d", lambda t, a: t.masked_select(a, t.tensor(True)), [()]),
    Op("masked_select_none", lambda t, a: a.masked_select(a > 100), M),
    # ---- sort / argsort / topk
    Op("sort", lambda t, a: t.sort(a), [distinct(3, 5)]),
    Op("sort_dim0_desc", lambda t, a: a.sort(0, True), [distinct(4, 3)]),
    Op("sort_kw", lambda t, a: t.sort(a, dim=-2, descending=True), [distinct(2, 3, 4)]),
    Op("sort_stable_ties", lambda t: t.tensor([[3, 1, 2, 1, 2], [0, 0, 5, -1, 0]]).sort(stable=True), [],
       grad=False),
    Op("sort_stable_ties_desc", lambda t: t.sort(t.tensor([3.0, 1, 2, 1, 3]), descending=True, stable=True), [],
       grad=False),
    Op("sort_nan", lambda t: t.tensor([1.0, float("nan"), 0, -2]).sort(), [], grad=False),
    Op("sort_nan_desc", lambda t: t.tensor([1.0, float("nan"), 0, -2]).sort(descending=True), [], grad=False),
    Op("sort_bool", lambda t: t.tensor([True, False, True]).sort(), [], grad=False),
    Op("sort_uint8_desc", lambda t: t.tensor([3, 1, 2], dtype=t.uint8).sort(descending=True), [], grad=False),
    Op("sort_0d", lambda t, a: a.sort(), [()]),
    Op("sort_empty", lambda t, a: a.sort(), [(0, 3)]),
    Op("sort_values_twice", lambda t, a: a.sort().values * a, [distinct(3, 4)]),
    Op("argsort", lambda t, a: t.argsort(a), [distinct(3, 5)], grad=False),
    Op("argsort_desc_dim0", lambda t, a: a.argsort(0, descending=True), [distinct(4, 3)], grad=False),
    Op("argsort_stable", lambda t: t.argsort(t.tensor([2, 1, 2, 1]), stable=True), [], grad=False),
    Op("topk", lambda t, a: t.topk(a, 2), [distinct(3, 5)]),
    Op("topk_smallest", lambda t, a: a.topk(2, largest=False), [distinct(3, 5)]),
    Op("topk_dim0", lambda t, a: a.topk(3, dim=0), [distinct(4, 3)]),
    Op("topk_partition_path", lambda t, a: a.topk(3, 1), [distinct(2, 40)]),
    Op("topk_partition_smallest", lambda t, a: t.topk(a, 4, -1, False), [distinct(2, 40)]),
    Op("topk_unsorted", lambda t, a: a.topk(3, sorted=False).values.sort().values, [distinct(2, 40)]),
    Op("topk_all", lambda t, a: a.topk(5), [distinct(3, 5)]),
    Op("topk_zero", lambda t, a: a.topk(0), [distinct(3, 5)]),
    Op("topk_0d", lambda t, a: a.topk(1), [()]),
    Op("topk_nan", lambda t: t.tensor([1.0, float("nan"), 0.0, 3.0]).topk(2), [], grad=False),
    Op("topk_int", lambda t: t.tensor([[4, 1, 9, 3]]).topk(2), [], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_indexing(case):
    check(case)


# ------------------------------------------------------------ specific behaviour
def test_repeated_index_gradient_accumulates():
    x = gt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    assert x.grad.tolist() == [2.0, 1.0, 0.0]


def test_repeated_index_tensor_gradient_float32():
    x = gt.zeros(5, 3, requires_grad=True)
    x[gt.tensor([4, 4, 4, 0])].sum().backward()
    assert x.grad.dtype == gt.float32
    np.testing.assert_array_equal(x.grad.numpy(), [[1] * 3, [0] * 3, [0] * 3, [0] * 3, [3] * 3])


def test_basic_index_is_view():
    x = gt.arange(12.0).reshape(3, 4)
    for v, expect in ((x[1:, ::2], lambda: x.numpy()[1:, ::2]), (x[1, 2], lambda: x.numpy()[1, 2]),
                      (x[None, ..., 0], lambda: x.numpy()[None, ..., 0])):
        assert np.shares_memory(v.numpy(), x.numpy())
        with gt.no_grad():
            x.add_(1.0)
        np.testing.assert_array_equal(v.numpy(), expect())


def test_advanced_index_is_copy():
    x = gt.arange(12.0).reshape(3, 4)
    for v in (x[[0, 1]], x[x > 3], x[True], x[:, [1]]):
        assert not np.shares_memory(v.numpy(), x.numpy())


def test_setitem_view_writes_through():
    x = gt.zeros(3, 4)
    row = x[1]
    x[1, 1:3] = 5.0
    assert row.tolist() == [0.0, 5.0, 5.0, 0.0]
    x[gt.tensor([True, False, True])] = gt.tensor([1.0, 2.0, 3.0, 4.0])
    assert x[2].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_float32_stays_float32():
    x = gt.ones(4, 3, requires_grad=True)
    for y in (x[[0, 0]], x.gather(1, gt.tensor([[0], [1], [2], [0]])), x.sort(0).values,
              x.index_select(0, gt.tensor([1])), x.masked_select(x > 0), x.topk(1).values):
        assert y.dtype == gt.float32
        (g,) = gt.autograd.grad(y.sum(), x)
        assert g.dtype == gt.float32


def test_index_outputs_are_int64_without_grad():
    x = gt.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
    for idx in (x.sort().indices, x.topk(2).indices, x.argsort(), x.nonzero()):
        assert idx.dtype == gt.int64 and not idx.requires_grad


def test_return_types():
    x = gt.tensor([[3.0, 1.0, 2.0]])
    values, indices = x.topk(2)
    r = x.topk(2)
    assert r.values is not None and r.indices.tolist() == [[0, 2]] and type(r).__name__ == "topk"
    s = gt.sort(x, descending=True)
    assert type(s).__name__ == "sort" and s.indices.tolist() == [[0, 2, 1]]


def test_inplace_scatter_and_index_add_methods():
    a = gt.zeros(2, 3)
    a.scatter_(1, gt.tensor([[2], [0]]), gt.tensor([[1.0], [2.0]]))
    a.scatter_add_(1, gt.tensor([[2, 2]]), gt.tensor([[1.0, 1.0]]))
    a.index_add_(0, gt.tensor([1]), gt.ones(1, 3), alpha=3)
    assert a.tolist() == [[0.0, 0.0, 3.0], [5.0, 3.0, 3.0]]


def test_scatter_reduce_has_no_derivative():
    for t in (torch, gt):
        x = t.zeros(2, 3, requires_grad=True)
        y = x.scatter(1, t.tensor([[0], [1]]), 2.0, reduce="add")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()


def test_double_backward_through_index_put():
    # d/dx of sum((y)**2) where y = x with y[key] = x[other]**2; second order through both paths.
    outs = []
    for t in (torch, gt):
        x = t.tensor([0.5, -1.0, 2.0, 3.0], dtype=t.float64, requires_grad=True)
        y = x * 1
        y[[0, 2]] = x[[1, 1]] ** 2
        (g,) = t.autograd.grad((y ** 2).sum(), x, create_graph=True)
        (h,) = t.autograd.grad((g * t.tensor([1.0, 2.0, 3.0, 4.0], dtype=t.float64)).sum(), x)
        outs.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0])
    np.testing.assert_allclose(outs[1][1], outs[0][1])


# ------------------------------------------------------------------ error cases
def _both(fn, exc, match):
    """``fn(t)`` raises ``exc`` matching ``match`` in torch and in glasstorch."""
    for t in (torch, gt):
        with pytest.raises(exc, match=match):
            fn(t)


def _m(t):
    return t.arange(24.0).reshape(2, 3, 4)


ERRORS = [
    ("int_oob", lambda t: _m(t)[5], IndexError, r"index 5 is out of bounds for dimension 0 with size 2"),
    ("int_oob_negative", lambda t: _m(t)[-3], IndexError, r"index -3 is out of bounds for dimension 0 with size 2"),
    ("int_oob_second", lambda t: _m(t)[0, 5], IndexError, r"index 5 is out of bounds for dimension 1 with size 3"),
    ("int_oob_after_none", lambda t: _m(t)[None, None, 0, 7], IndexError,
     r"index 7 is out of bounds for dimension 3 with size 3"),
    ("int_tensor_oob", lambda t: _m(t)[t.tensor(5)], IndexError, r"index 5 is out of bounds for dimension 0"),
    ("int_0d_input", lambda t: t.tensor(1.0)[0], IndexError, r"invalid index of a 0-dim tensor"),
    ("array_oob", lambda t: _m(t)[:, [0, 5, 7]], IndexError, r"index 5 is out of bounds for dimension 0 with size 3"),
    ("array_oob_negative", lambda t: _m(t)[:, [-7, 1]], IndexError, r"index -7 is out of bounds for dimension 0"),
    ("array_oob_second_adv", lambda t: _m(t)[[0, 1], [0, 9]], IndexError,
     r"index 9 is out of bounds for dimension 1 with size 3"),
    ("too_many", lambda t: _m(t)[0, 0, 0, 0], IndexError, r"too many indices for tensor of dimension 3"),
    ("too_many_ellipsis", lambda t: _m(t)[..., 0, 0, 0, 0], IndexError, r"too many indices"),
    ("negative_step", lambda t: _m(t)[::-1], ValueError, r"step must be greater than zero"),
    ("zero_step", lambda t: _m(t)[::0], ValueError, r"slice step cannot be zero"),
    ("mask_shape", lambda t: _m(t)[t.tensor([True, False, True])], IndexError,
     r"The shape of the mask \[3\] at index 0 does not match the shape of the indexed tensor \[2, 3, 4\] at index 0"),
    ("mask_shape_dim1", lambda t: _m(t)[:, t.tensor([True, False])], IndexError,
     r"The shape of the mask \[2\] at index 0 does not match .* at index 1"),
    ("float_index_tensor", lambda t: _m(t)[t.tensor([0.0, 1.0])], IndexError,
     r"tensors used as indices must be long, int, byte or bool tensors"),
    ("int16_index_tensor", lambda t: _m(t)[t.tensor([0, 1], dtype=t.int16)], IndexError,
     r"tensors used as indices must be long, int, byte or bool tensors"),
    ("float_key", lambda t: _m(t)[1.0], IndexError, r"only integers, slices .* \(got float\)"),
    ("broadcast_mismatch", lambda t: _m(t)[[0, 1], [0, 1, 2]], IndexError,
     r"shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], \[3\]"),
    ("set_basic_shape", lambda t: _set(_m(t), 0, t.ones(3)), RuntimeError,
     r"The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1"),
    ("set_basic_too_many_dims", lambda t: _set(_m(t), 0, t.ones(2, 3, 4)), RuntimeError,
     r"the number of sizes provided \(2\) must be greater or equal to the number of dimensions in the tensor \(3\)"),
    ("set_adv_shape", lambda t: _set(_m(t), [0, 1], t.ones(3)), RuntimeError,
     r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2, 3, 4\]"),
    ("set_list_value", lambda t: _set(_m(t), 0, [1.0, 2.0, 3.0, 4.0]), TypeError, r"can't assign a list"),
    ("set_oob", lambda t: _set(_m(t), 5, 1.0), IndexError, r"index 5 is out of bounds"),
    ("gather_float_index", lambda t: t.ones(3, 4).gather(1, t.tensor([[0.0]])), RuntimeError,
     r"gather\(\): Expected dtype int32/int64 for index"),
    ("gather_oob", lambda t: t.ones(3, 4).gather(1, t.tensor([[0], [4]])), RuntimeError,
     r"index 4 is out of bounds for dimension 1 with size 4"),
    ("gather_negative", lambda t: t.ones(3, 4).gather(1, t.tensor([[-1]])), RuntimeError,
     r"index -1 is out of bounds for dimension 1 with size 4"),
    ("gather_ndim", lambda t: t.ones(3, 4).gather(1, t.tensor([0, 1])), RuntimeError,
     r"Index tensor must have the same number of dimensions as input tensor"),
    ("gather_size", lambda t: t.ones(3, 4).gather(1, t.zeros(4, 1, dtype=t.long)), RuntimeError,
     r"Size does not match at dimension 0 expected index \[4, 1\] to be no larger than self \[3, 4\] apart from "
     r"dimension 1"),
    ("gather_dim", lambda t: t.ones(3, 4).gather(2, t.zeros(1, 1, dtype=t.long)), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    ("scatter_dtype", lambda t: t.ones(3, 4).scatter(1, t.tensor([[0]]), t.ones(1, 1, dtype=t.float64)),
     RuntimeError, r"scatter\(\): Expected self.dtype to be equal to src.dtype"),
    ("scatter_index_dtype", lambda t: t.ones(3, 4).scatter(1, t.tensor([[0.0]]), 1.0), RuntimeError,
     r"scatter\(\): Expected dtype int32/int64 for index"),
    ("scatter_src_small", lambda t: t.ones(3, 4).scatter(1, t.zeros(2, 2, dtype=t.long), t.ones(1, 1)),
     RuntimeError, r"Expected index \[2, 2\] to be no larger than self \[3, 4\] apart from dimension 1 and to be "
                   r"no larger size than src \[1, 1\]"),
    ("scatter_self_small", lambda t: t.ones(3, 4).scatter(1, t.zeros(4, 2, dtype=t.long), 2.0), RuntimeError,
     r"Expected index \[4, 2\] to be no larger than self \[3, 4\] apart from dimension 1$"),
    ("scatter_ndim", lambda t: t.ones(3, 4).scatter(1, t.tensor([0]), 2.0), RuntimeError,
     r"Index tensor must have the same number of dimensions as self tensor"),
    ("scatter_oob", lambda t: t.ones(3, 4).scatter(1, t.tensor([[5]]), 2.0), RuntimeError,
     r"index 5 is out of bounds for dimension 1 with size 4"),
    ("scatter_bad_reduce", lambda t: t.ones(3, 4).scatter(1, t.tensor([[0]]), t.ones(1, 1), reduce="sum"),
     RuntimeError, r"reduce argument must be either add or multiply"),
    ("scatter_add_number", lambda t: t.ones(3, 4).scatter_add(1, t.tensor([[0]]), 1.0), TypeError,
     r"scatter_add\(\): argument 'src' \(position 3\) must be Tensor, not float"),
    ("index_select_dtype", lambda t: t.ones(3, 4).index_select(0, t.tensor([0.0])), RuntimeError,
     r"index_select\(\): Expected dtype int32 or int64 for index"),
    ("index_select_oob", lambda t: t.ones(3, 4).index_select(0, t.tensor([0, 3])), IndexError,
     r"index out of range in self"),
    ("index_select_negative", lambda t: t.ones(3, 4).index_select(0, t.tensor([-1])), IndexError,
     r"index out of range in self"),
    ("index_select_2d", lambda t: t.ones(3, 4).index_select(0, t.tensor([[0]])), IndexError,
     r"index_select\(\): Index is supposed to be a vector"),
    ("index_select_scalar", lambda t: t.tensor(1.0).index_select(0, t.tensor([0, 0])), RuntimeError,
     r"index_select\(\): Index to scalar can have only 1 value, got 2 value\(s\)"),
    ("index_add_count", lambda t: t.ones(3, 4).index_add(0, t.tensor([0, 0]), t.ones(3, 4)), RuntimeError,
     r"index_add_\(\): Number of indices \(2\) should be equal to source.size\(dim\): \(3\), for dim: 0"),
    ("index_add_shape", lambda t: t.ones(3, 4).index_add(1, t.tensor([0, 0]), t.ones(4, 2)), RuntimeError,
     r"source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = "
     r"\[3, 4\] source.shape = \[4, 2\]"),
    ("index_add_dtype", lambda t: t.ones(3, 4).index_add(0, t.tensor([0]), t.ones(1, 4, dtype=t.float64)),
     RuntimeError, r"index_add_\(\): self \(Float\) and source \(Double\) must have the same scalar type"),
    ("index_add_index_dtype", lambda t: t.ones(3, 4).index_add(0, t.tensor([0.0]), t.ones(1, 4)), RuntimeError,
     r"index_add_\(\): Expected dtype int32/int64 for index but got: Float"),
    ("index_add_negative", lambda t: t.ones(3, 4).index_add(0, t.tensor([-1]), t.ones(1, 4)), RuntimeError,
     r"index -1 is out of bounds for dimension 0 with size 3"),
    ("take_along_dim_dtype", lambda t: t.ones(3, 4).take_along_dim(t.tensor([[0]], dtype=t.int32), 1),
     RuntimeError, r"torch.take_along_dim\(\): dtype of indices should be Long but got Int"),
    ("take_along_dim_ndim", lambda t: t.ones(3, 4).take_along_dim(t.tensor([0]), 1), RuntimeError,
     r"input and indices should have the same number of dimensions, but got 2 dimensions for input, and 1 "
     r"dimensions for indices"),
    ("take_along_dim_bcast", lambda t: t.ones(3, 4).take_along_dim(t.zeros(2, 2, dtype=t.long), 1), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0"),
    ("take_along_dim_flat_oob", lambda t: t.ones(3, 4).take_along_dim(t.tensor([12])), RuntimeError,
     r"index 12 is out of bounds for dimension 0 with size 12"),
    ("masked_select_dtype", lambda t: t.ones(3, 4).masked_select(t.tensor([1, 0, 1, 0])), RuntimeError,
     r"masked_select: expected BoolTensor for mask"),
    ("masked_select_bcast", lambda t: t.ones(3, 4).masked_select(t.tensor([True, False])), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ("topk_k", lambda t: t.ones(3, 4).topk(5), RuntimeError, r"selected index k out of range"),
    ("topk_negative_k", lambda t: t.ones(3, 4).topk(-1), RuntimeError, r"selected index k out of range"),
    ("topk_bool", lambda t: t.tensor([True, False]).topk(1), RuntimeError, r"topk does not support bool dtypes"),
    ("topk_float_k", lambda t: t.ones(3, 4).topk(2.0), TypeError, r"must be int, not float"),
    ("topk_dim", lambda t: t.ones(3, 4).topk(1, dim=2), IndexError, r"Dimension out of range"),
    ("sort_dim", lambda t: t.tensor(3.0).sort(1), IndexError,
     r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"),
]


@pytest.mark.parametrize("fn,exc,match", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(fn, exc, match):
    _both(fn, exc, match)
