"""Shape and movement ops against torch: one row per op and argument pattern,
then small tests for views (shared memory and version counter) and error cases."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Op, check, nograd

M = [(3, 4)]
B = [(2, 3, 4)]
S = [()]

CASES = [
    # ---------------------------------------------------------------- reshape / view
    Op("reshape", lambda t, a: a.reshape(4, 3), M),
    Op("reshape_tuple_infer", lambda t, a: a.reshape((2, -1)), M),
    Op("reshape_fn", lambda t, a: t.reshape(a, (-1,)), B),
    Op("reshape_fn_list", lambda t, a: t.reshape(a, [4, -1, 2]), B),
    Op("reshape_0d_to_1", lambda t, a: a.reshape(1, 1), S),
    Op("reshape_to_0d", lambda t, a: a.reshape(()), [(1, 1)]),
    Op("reshape_empty", lambda t, a: a.reshape(-1, 2, 3), [(0, 6)]),
    Op("reshape_empty_zero", lambda t, a: a.reshape(3, 0), [(0, 6)]),
    Op("reshape_as", lambda t, a, b: a.reshape_as(b), [(3, 4), nograd(2, 6)]),
    Op("reshape_of_transpose", lambda t, a: a.t().reshape(-1), M),
    Op("view", lambda t, a: a.view(2, 6), M, noncontig=False),
    Op("view_infer", lambda t, a: a.view(-1), B, noncontig=False),
    Op("view_tuple", lambda t, a: a.view((4, -1)), B, noncontig=False),
    Op("view_as", lambda t, a, b: a.view_as(b), [(3, 4), nograd(12)], noncontig=False),
    Op("view_0d", lambda t, a: a.view(1), S),
    Op("view_to_0d", lambda t, a: a.view(()), [(1,)]),
    Op("view_noncontig_ok", lambda t, a: a.t().view(4, 1, 3, 1), M),  # only adds size-1 dims
    Op("view_dtype_same", lambda t, a: a.view(t.float64), M, noncontig=False),
    Op("view_dtype_int", lambda t, a: a.view(t.int64), M, noncontig=False),
    Op("view_dtype_smaller", lambda t: t.arange(6, dtype=t.float32).view(t.int16), [], grad=False),
    Op("view_dtype_bool", lambda t: t.tensor([0, 1, 2], dtype=t.uint8).view(t.bool), [], grad=False),
    Op("contiguous", lambda t, a: a.contiguous() * 2, M),
    Op("contiguous_view", lambda t, a: a.t().contiguous().view(-1), M),
    # ---------------------------------------------------------------- flatten / unflatten / ravel
    Op("flatten", lambda t, a: a.flatten(), B),
    Op("flatten_start", lambda t, a: a.flatten(1), B),
    Op("flatten_range", lambda t, a: a.flatten(0, 1), B),
    Op("flatten_neg", lambda t, a: t.flatten(a, -2, -1), B),
    Op("flatten_same_dim", lambda t, a: t.flatten(a, 1, 1) * 1.0, B),
    Op("flatten_0d", lambda t, a: a.flatten(), S),
    Op("flatten_empty", lambda t, a: a.flatten(1), [(2, 0, 3)]),
    Op("ravel", lambda t, a: t.ravel(a), B),
    Op("unflatten", lambda t, a: a.unflatten(1, (2, 2)), M),
    Op("unflatten_infer", lambda t, a: t.unflatten(a, -1, (-1, 2)), B),
    Op("unflatten_dim0", lambda t, a: a.unflatten(0, (1, 3, 1)), M),
    # ---------------------------------------------------------------- squeeze / unsqueeze
    Op("squeeze", lambda t, a: a.squeeze(), [(1, 3, 1, 4)]),
    Op("squeeze_dim", lambda t, a: a.squeeze(0), [(1, 3, 1, 4)]),
    Op("squeeze_neg", lambda t, a: a.squeeze(-2), [(1, 3, 1, 4)]),
    Op("squeeze_noop", lambda t, a: a.squeeze(1), [(1, 3, 1, 4)]),
    Op("squeeze_tuple", lambda t, a: a.squeeze((0, 1, 2)), [(1, 3, 1, 4)]),
    Op("squeeze_fn", lambda t, a: t.squeeze(a, dim=(0, -2)), [(1, 3, 1, 4)]),
    Op("squeeze_fn_none", lambda t, a: t.squeeze(a), [(3, 1)]),
    Op("squeeze_0d", lambda t, a: a.squeeze(0), S),
    Op("squeeze_to_0d", lambda t, a: a.squeeze(), [(1, 1)]),
    Op("squeeze_empty", lambda t, a: a.squeeze(), [(0, 1, 2)]),
    Op("unsqueeze", lambda t, a: a.unsqueeze(0), M),
    Op("unsqueeze_last", lambda t, a: a.unsqueeze(-1), M),
    Op("unsqueeze_mid", lambda t, a: t.unsqueeze(a, 1), M),
    Op("unsqueeze_0d", lambda t, a: a.unsqueeze(0), S),
    Op("unsqueeze_0d_neg", lambda t, a: t.unsqueeze(a, -1), S),
    # ---------------------------------------------------------------- permute / transpose / movedim
    Op("permute", lambda t, a: a.permute(2, 0, 1), B),
    Op("permute_tuple", lambda t, a: a.permute((1, 0, 2)), B),
    Op("permute_fn_neg", lambda t, a: t.permute(a, (-1, 0, 1)), B),
    Op("permute_0d", lambda t, a: a.permute(()), S),
    Op("transpose", lambda t, a: a.transpose(0, 1), M),
    Op("transpose_neg", lambda t, a: a.transpose(-1, 0), B),
    Op("transpose_fn", lambda t, a: t.transpose(a, 1, 2), B),
    Op("transpose_same", lambda t, a: a.transpose(1, 1), M),
    Op("transpose_0d", lambda t, a: a.transpose(0, -1), S),
    Op("swapaxes", lambda t, a: t.swapaxes(a, 0, 2), B),
    Op("swapaxes_method", lambda t, a: a.swapaxes(0, 1), M),
    Op("swapdims", lambda t, a: t.swapdims(a, -1, -2), B),
    Op("swapdims_method", lambda t, a: a.swapdims(1, 0), M),
    Op("t", lambda t, a: a.t(), M),
    Op("t_fn", lambda t, a: t.t(a), M),
    Op("t_1d", lambda t, a: a.t(), [(4,)]),
    Op("t_0d", lambda t, a: t.t(a), S),
    Op("T", lambda t, a: a.T, M),
    Op("mT", lambda t, a: a.mT, B),
    Op("movedim", lambda t, a: a.movedim(0, -1), B),
    Op("movedim_tuple", lambda t, a: t.movedim(a, (0, 1), (2, 0)), B),
    Op("moveaxis", lambda t, a: t.moveaxis(a, 1, 0), B),
    Op("movedim_0d", lambda t, a: a.movedim(0, 0), S),
    # ---------------------------------------------------------------- expand / broadcast
    Op("expand", lambda t, a: a.expand(2, 3, 4), [(3, 1)]),
    Op("expand_keep", lambda t, a: a.expand(-1, 4), [(3, 1)]),
    Op("expand_tuple_lead", lambda t, a: a.expand((2, -1, -1)), M),
    Op("expand_same", lambda t, a: a.expand(3, 4), M),
    Op("expand_as", lambda t, a, b: a.expand_as(b), [(1, 4), nograd(2, 3, 4)]),
    Op("expand_0d", lambda t, a: a.expand(2, 3), S),
    Op("expand_0d_to_0d", lambda t, a: a.expand(()), S),
    Op("expand_to_empty", lambda t, a: a.expand(0, 4), [(1, 4)]),
    Op("broadcast_to", lambda t, a: t.broadcast_to(a, (2, 3, 4)), [(4,)]),
    Op("broadcast_to_method", lambda t, a: a.broadcast_to((3, -1)), [(1, 4)]),
    Op("broadcast_tensors", lambda t, a, b, c: t.broadcast_tensors(a, b, c), [(3, 1), (4,), ()]),
    Op("broadcast_tensors_one", lambda t, a: t.broadcast_tensors(a), M),
    Op("broadcast_shapes", lambda t: t.broadcast_shapes((2, 1), (3,), 1), [], grad=False),
    # ---------------------------------------------------------------- repeat / tile
    Op("repeat", lambda t, a: a.repeat(2, 3), M),
    Op("repeat_new_dims", lambda t, a: a.repeat(2, 1, 3), M),
    Op("repeat_tuple", lambda t, a: a.repeat((1, 2)), M),
    Op("repeat_zero", lambda t, a: a.repeat(0, 2), M),
    Op("repeat_0d", lambda t, a: a.repeat(3), S),
    Op("repeat_0d_none", lambda t, a: a.repeat(()), S),
    Op("tile", lambda t, a: a.tile(2), M),
    Op("tile_fn", lambda t, a: t.tile(a, (2, 1, 2)), M),
    Op("tile_0d", lambda t, a: t.tile(a, (2,)), S),
    # ---------------------------------------------------------------- flip / roll
    Op("flip", lambda t, a: a.flip(0), M),
    Op("flip_two", lambda t, a: a.flip(0, 1), B),
    Op("flip_tuple_neg", lambda t, a: a.flip((-1,)), B),
    Op("flip_fn", lambda t, a: t.flip(a, [0, 2]), B),
    Op("flip_none", lambda t, a: t.flip(a, ()), M),
    Op("flip_0d", lambda t, a: a.flip(0), S),
    Op("fliplr", lambda t, a: t.fliplr(a), B),
    Op("flipud", lambda t, a: t.flipud(a), [(5,)]),
    Op("roll", lambda t, a: a.roll(1), M),
    Op("roll_dim", lambda t, a: a.roll(-2, 1), M),
    Op("roll_tuple", lambda t, a: a.roll((1, 2), (0, -1)), B),
    Op("roll_fn", lambda t, a: t.roll(a, 5, -1), M),
    Op("roll_fn_kw", lambda t, a: t.roll(a, shifts=(1,), dims=(0,)), M),
    Op("roll_0d", lambda t, a: a.roll(1), S),
    Op("roll_empty", lambda t, a: a.roll(1, 0), [(0, 3)]),
    # ---------------------------------------------------------------- cat / stack and friends
    Op("cat", lambda t, a, b: t.cat([a, b]), [(2, 3), (4, 3)]),
    Op("cat_dim", lambda t, a, b: t.cat((a, b), 1), [(2, 3), (2, 1)]),
    Op("cat_neg_dim", lambda t, a, b, c: t.cat([a, b, c], dim=-1), [(2, 3), (2, 1), (2, 2)]),
    Op("cat_one", lambda t, a: t.cat([a]), M),
    Op("cat_same_twice", lambda t, a: t.cat([a, a]), M),
    Op("cat_skip_empty_1d", lambda t, a, e: t.cat([e, a, e], 1), [(2, 3), (0,)]),
    Op("cat_all_skipped", lambda t, a, b: t.cat([a, b]), [(0,), (0,)]),
    Op("cat_empty_dim", lambda t, a, b: t.cat([a, b]), [(0, 3), (2, 3)]),
    Op("cat_1d", lambda t, a, b: t.cat([a, b]), [(3,), (2,)]),
    Op("cat_promote", lambda t, a, b: t.cat([a, b.float()]), [(2, 3), (1, 3)], rtol=1e-6),
    Op("cat_int", lambda t: t.cat([t.arange(3), t.arange(2, dtype=t.int32)]), [], grad=False),
    Op("cat_int_float", lambda t, a: t.cat([t.arange(3).reshape(1, 3), a]), [(2, 3)]),
    Op("concat", lambda t, a, b: t.concat([a, b], 1), [(2, 3), (2, 2)]),
    Op("concatenate", lambda t, a, b: t.concatenate([a, b], axis=0), [(2, 3), (1, 3)]),
    Op("stack", lambda t, a, b: t.stack([a, b]), M * 2),
    Op("stack_dim", lambda t, a, b: t.stack((a, b), 1), M * 2),
    Op("stack_neg", lambda t, a, b, c: t.stack([a, b, c], dim=-1), M * 3),
    Op("stack_0d", lambda t, a, b: t.stack([a, b]), S * 2),
    Op("stack_same_twice", lambda t, a: t.stack([a, a * 2], 2), M),
    Op("stack_promote", lambda t, a, b: t.stack([a.float(), b]), M * 2, rtol=1e-6),
    Op("stack_empty", lambda t, a, b: t.stack([a, b], 1), [(0, 3), (0, 3)]),
    Op("hstack", lambda t, a, b: t.hstack([a, b]), [(2, 3), (2, 1)]),
    Op("hstack_1d", lambda t, a, b: t.hstack((a, b)), [(3,), ()]),
    Op("vstack", lambda t, a, b: t.vstack([a, b]), [(3,), (2, 3)]),
    Op("row_stack", lambda t, a, b: t.row_stack([a, b]), [(3,), (3,)]),
    Op("dstack", lambda t, a, b: t.dstack([a, b]), [(2, 3), (2, 3, 2)]),
    Op("column_stack", lambda t, a, b, c: t.column_stack([a, b, c]), [(2,), (2, 3), (2,)]),
    Op("atleast_1d", lambda t, a: t.atleast_1d(a), S),
    Op("atleast_1d_many", lambda t, a, b: t.atleast_1d(a, b), [(), (3,)]),
    Op("atleast_2d", lambda t, a, b, c: t.atleast_2d((a, b, c)), [(), (3,), (2, 3)]),
    Op("atleast_3d", lambda t, a, b, c, d: t.atleast_3d(a, b, c, d), [(), (3,), (2, 3), (2, 3, 4)]),
    # ---------------------------------------------------------------- split / chunk / unbind
    Op("split", lambda t, a: a.split(2), [(5, 3)]),
    Op("split_dim", lambda t, a: a.split(2, 1), [(3, 5)]),
    Op("split_list", lambda t, a: a.split([1, 3, 1]), [(5, 3)]),
    Op("split_fn", lambda t, a: t.split(a, [2, 2], dim=-1), B),
    Op("split_fn_kw", lambda t, a: t.split(a, split_size_or_sections=1, dim=1), M),
    Op("split_big", lambda t, a: a.split(10), M),
    Op("split_zero_piece", lambda t, a: a.split([0, 5]), [(5,)]),
    Op("split_empty", lambda t, a: a.split(2), [(0, 3)]),
    Op("split_one_used", lambda t, a: a.split(2)[1] * 3, [(5, 3)]),
    Op("split_reused", lambda t, a: a.split(2)[0] * a.split(2)[0], [(5, 3)]),
    Op("chunk", lambda t, a: a.chunk(2), [(5, 3)]),
    Op("chunk_fewer", lambda t, a: a.chunk(4), [(6,)]),
    Op("chunk_fn", lambda t, a: t.chunk(a, 3, dim=1), [(2, 7)]),
    Op("chunk_neg", lambda t, a: a.chunk(2, -1), B),
    Op("chunk_empty", lambda t, a: a.chunk(3), [(0, 2)]),
    Op("chunk_one_used", lambda t, a: a.chunk(3)[2].exp(), [(6, 2)]),
    Op("unbind", lambda t, a: a.unbind(), M),
    Op("unbind_dim", lambda t, a: a.unbind(1), B),
    Op("unbind_fn", lambda t, a: t.unbind(a, -1), M),
    Op("unbind_1d", lambda t, a: a.unbind(), [(3,)]),
    Op("unbind_one_used", lambda t, a: a.unbind(1)[2] * 2, M),
    Op("iterate", lambda t, a: [row * i for i, row in enumerate(a)], M),
    # ---------------------------------------------------------------- narrow
    Op("narrow", lambda t, a: a.narrow(0, 1, 2), M),
    Op("narrow_neg", lambda t, a: a.narrow(-1, -3, 2), M),
    Op("narrow_fn", lambda t, a: t.narrow(a, 1, 0, 3), B),
    Op("narrow_empty", lambda t, a: a.narrow(1, 4, 0), M),
    Op("narrow_tensor_start", lambda t, a: a.narrow(1, t.tensor(1), 2), M),
    Op("narrow_twice", lambda t, a: a.narrow(0, 0, 2) * a.narrow(0, 1, 2), M),
    # ---------------------------------------------------------------- tril / triu
    Op("tril", lambda t, a: a.tril(), [(4, 4)]),
    Op("tril_k", lambda t, a: a.tril(1), M),
    Op("tril_fn", lambda t, a: t.tril(a, -1), B),
    Op("tril_kw", lambda t, a: t.tril(a, diagonal=-2), [(5, 3)]),
    Op("triu", lambda t, a: a.triu(), [(4, 4)]),
    Op("triu_k", lambda t, a: a.triu(-1), M),
    Op("triu_fn", lambda t, a: t.triu(a, diagonal=2), B),
    Op("tril_int", lambda t: t.arange(9).reshape(3, 3).tril(), [], grad=False),
    # ---------------------------------------------------------------- clone / diagonal / diag
    Op("clone", lambda t, a: a.clone(), M),
    Op("clone_fn", lambda t, a: t.clone(a) * a, M),
    Op("clone_0d", lambda t, a: a.clone(), S),
    Op("diagonal", lambda t, a: a.diagonal(), [(4, 4)]),
    Op("diagonal_offset", lambda t, a: a.diagonal(1), M),
    Op("diagonal_neg_offset", lambda t, a: a.diagonal(-1), M),
    Op("diagonal_dims", lambda t, a: t.diagonal(a, 0, 1, 2), B),
    Op("diagonal_kw", lambda t, a: t.diagonal(a, offset=1, dim1=-1, dim2=0), B),
    Op("diagonal_empty", lambda t, a: a.diagonal(5), M),
    Op("diag_vec", lambda t, a: t.diag(a), [(3,)]),
    Op("diag_vec_offset", lambda t, a: t.diag(a, 1), [(3,)]),
    Op("diag_vec_neg", lambda t, a: t.diag(a, -2), [(3,)]),
    Op("diag_mat", lambda t, a: t.diag(a), M),
    Op("diag_mat_offset", lambda t, a: t.diag(a, 1), M),
    Op("diag_embed", lambda t, a: t.diag_embed(a), M),
    Op("diag_embed_dims", lambda t, a: t.diag_embed(a, 1, 2, 0), M),
    # ---------------------------------------------------------------- one tensor used twice, chains
    Op("x_times_xt", lambda t, a: a * a.t(), [(3, 3)]),
    Op("x_plus_x_reshaped", lambda t, a: a.reshape(-1) * a.flatten() + a.view(-1), M, noncontig=False),
    Op("x_matmul_like", lambda t, a: (a.unsqueeze(-1) * a.t().unsqueeze(0)).sum(1), M),
    Op("x_diag_times_x", lambda t, a: a.diagonal() * a.diagonal(1), [(4, 5)]),
    Op("permute_chain", lambda t, a: a.permute(2, 0, 1).reshape(4, -1).t().flip(0).roll(1, 1), B),
    Op("int_shape_ops", lambda t: t.arange(6).reshape(2, 3).t().flip(0).repeat(2, 1), [], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_shape(case):
    check(case)


# ----------------------------------------------------------------------- views
def _both(fn):
    """Runs ``fn(framework)`` for glasstorch and torch."""
    return fn(gt), fn(torch)


VIEW_OPS = {
    "reshape": lambda x: x.reshape(6, 2),
    "view": lambda x: x.view(-1),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 2)),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "permute": lambda x: x.permute(1, 0),
    "transpose": lambda x: x.transpose(0, 1),
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "movedim": lambda x: x.movedim(0, 1),
    "expand": lambda x: x.narrow(0, 0, 1).expand(5, 4),
    "split": lambda x: x.split(2)[1],
    "chunk": lambda x: x.chunk(3, 1)[0],
    "unbind": lambda x: x.unbind(1)[2],
    "narrow": lambda x: x.narrow(1, 1, 2),
    "diagonal": lambda x: x.diagonal(),
    "view_dtype": lambda x: x.view(torch.int64 if isinstance(x, torch.Tensor) else gt.int64),
}


@pytest.mark.parametrize("name", list(VIEW_OPS), ids=str)
def test_views_share_memory(name):
    op = VIEW_OPS[name]
    for t in (gt, torch):
        base = t.arange(12, dtype=t.float64).reshape(3, 4)
        v = op(base)
        before = v.clone()
        with t.no_grad():
            base.add_(1)  # an in-place change of the base is seen through the view
        if v.is_floating_point():
            assert t.equal(v, before + 1), f"{t.__name__}: {name} does not see the base's change"
        else:
            assert not t.equal(v, before), f"{t.__name__}: {name} does not see the base's change"


@pytest.mark.parametrize("name", ["flip", "roll", "repeat", "tile", "cat", "stack", "tril", "clone", "diag",
                                  "expand_write"])
def test_copies_do_not_share_memory(name):
    ops = {"flip": lambda t, x: x.flip(0), "roll": lambda t, x: x.roll(1), "repeat": lambda t, x: x.repeat(1, 1),
           "tile": lambda t, x: x.tile(1), "cat": lambda t, x: t.cat([x]), "stack": lambda t, x: t.stack([x]),
           "tril": lambda t, x: x.tril(5), "clone": lambda t, x: x.clone(), "diag": lambda t, x: t.diag(x),
           "expand_write": lambda t, x: x.expand(3, 4).clone()}
    for t in (gt, torch):
        base = t.arange(12, dtype=t.float64).reshape(3, 4)
        out = ops[name](t, base)
        before = out.clone()
        with t.no_grad():
            base.add_(1)
        assert t.equal(out, before), f"{t.__name__}: {name} shares memory with its input"


def test_view_writes_reach_base():
    for t in (gt, torch):
        base = t.zeros(3, 3, dtype=t.float64)
        base.diagonal().fill_(1)
        base.narrow(0, 0, 1).add_(2)
        base.t().narrow(0, 2, 1).mul_(0)
        assert t.equal(base, t.tensor([[3.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=t.float64))


@pytest.mark.parametrize("name", ["view", "transpose", "narrow", "split", "unbind", "diagonal", "expand"])
def test_view_shares_version_counter(name):
    """An in-place change of the base invalidates a view saved for backward, as in torch."""
    ops = {"view": lambda x: x.view(-1), "transpose": lambda x: x.t(), "narrow": lambda x: x.narrow(0, 1, 2),
           "split": lambda x: x.split(1)[0], "unbind": lambda x: x.unbind(1)[0], "diagonal": lambda x: x.diagonal(),
           "expand": lambda x: x.narrow(0, 0, 1).expand(3, 3)}
    for t in (gt, torch):
        leaf = t.ones(3, 3, dtype=t.float64, requires_grad=True)
        base = leaf * 2
        v = ops[name](base)
        y = (v * v).sum()  # mul saves v
        base.add_(1)
        # torch words it differently for outputs of multi-output views (split, unbind).
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified inplace"):
            y.backward()


def test_view_version_bump_from_view_side():
    """Writing through a view bumps the base's version, so what saved the base fails too."""
    for t in (gt, torch):
        a = t.ones(2, 3, dtype=t.float64, requires_grad=True)
        base = a * 1
        y = (base * base).sum()
        with t.no_grad():
            base.t().narrow(0, 0, 1).add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_split_unused_outputs_get_zero_grad():
    for t in (gt, torch):
        x = t.arange(6, dtype=t.float64).requires_grad_()
        parts = x.split(2)
        (parts[1] * 3).sum().backward()
        assert x.grad.tolist() == [0, 0, 3, 3, 0, 0]


def test_double_backward_through_views():
    def run(t):
        x = t.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=t.float64, requires_grad=True)
        y = (t.cat([x, x.t()]) ** 3).sum() + (x.unbind(0)[0] * x.diagonal()).sum() ** 2
        (g,) = t.autograd.grad(y, x, create_graph=True)
        (h,) = t.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.numpy()
    (g1, h1), (g2, h2) = _both(run)
    np.testing.assert_allclose(g1, g2)
    np.testing.assert_allclose(h1, h2)


def test_cat_skipped_input_gets_empty_grad():
    for t in (gt, torch):
        e = t.zeros(0, dtype=t.float64, requires_grad=True)
        x = t.ones(2, 3, dtype=t.float64, requires_grad=True)
        t.cat([e, x]).sum().backward()
        assert tuple(e.grad.shape) == (0,)


def test_cat_promoted_grads_keep_input_dtypes():
    for t in (gt, torch):
        a = t.ones(2, dtype=t.float32, requires_grad=True)
        b = t.ones(3, dtype=t.float64, requires_grad=True)
        out = t.cat([a, b])
        assert out.dtype == t.float64
        out.sum().backward()
        assert a.grad.dtype == t.float32 and b.grad.dtype == t.float64


def test_flatten_same_dim_returns_input():
    for t in (gt, torch):
        x = t.ones(2, 3)
        assert x.flatten(1, 1) is x


def test_view_dtype_not_differentiable():
    for t in (gt, torch):
        x = t.ones(3, dtype=t.float64, requires_grad=True)
        assert not x.view(t.int64).requires_grad


def test_repr_node_names():
    x = gt.ones(2, 3, requires_grad=True)
    names = {"view": x.view(6), "t": x.t(), "permute": x.permute(1, 0), "cat": gt.cat([x, x]),
             "expand": x.expand(2, 2, 3), "unbind": x.unbind()[0], "split": x.split(1)[0],
             "split_list": x.split([1, 1])[0], "squeeze": x.unsqueeze(0).squeeze(0)}
    expected = {"view": "ViewBackward0", "t": "TBackward0", "permute": "PermuteBackward0", "cat": "CatBackward0",
                "expand": "ExpandBackward0", "unbind": "UnbindBackward0", "split": "SplitBackward0",
                "split_list": "SplitWithSizesBackward0", "squeeze": "SqueezeBackward0"}
    for k, v in names.items():
        assert v.grad_fn.name() == expected[k], k


# ----------------------------------------------------------------------- errors
def _raises(exc, match, fn):
    """``fn(framework, x)`` must raise ``exc`` (message matching ``match``) in glasstorch and torch alike."""
    for t in (gt, torch):
        x = t.ones(2, 3)
        with pytest.raises(exc, match=match):
            fn(t, x)


ERRORS = [
    ("reshape_size", RuntimeError, r"shape '\[5\]' is invalid for input of size 6", lambda t, x: x.reshape(5)),
    ("reshape_two_infer", RuntimeError, "only one dimension can be inferred", lambda t, x: x.reshape(-1, -1)),
    ("reshape_negative", RuntimeError, "invalid shape dimension -2", lambda t, x: x.reshape(-2, 3)),
    ("reshape_ambiguous", RuntimeError, "ambiguous", lambda t, x: t.zeros(0, 3).reshape(0, -1)),
    ("view_noncontig", RuntimeError, "view size is not compatible", lambda t, x: x.t().view(6)),
    ("view_dtype_size", RuntimeError, "must be divisible by 2", lambda t, x: x.view(t.float64)),
    ("view_dtype_0d", RuntimeError, "cannot be 0", lambda t, x: t.tensor(1.0).view(t.int16)),
    ("view_dtype_stride", RuntimeError, "stride", lambda t, x: x.t().view(t.int16)),
    ("flatten_order", RuntimeError, "start_dim cannot come after end_dim", lambda t, x: x.flatten(1, 0)),
    ("flatten_dim", IndexError, "Dimension out of range", lambda t, x: x.flatten(2)),
    ("unflatten_sizes", RuntimeError, r"sizes \[2, 2\] don't multiply up to the size of dim 1 \(3\)",
     lambda t, x: x.unflatten(1, (2, 2))),
    ("unflatten_empty", RuntimeError, "sizes must be non-empty", lambda t, x: x.unflatten(1, ())),
    ("squeeze_dim", IndexError, r"range of \[-2, 1\], but got 3", lambda t, x: x.squeeze(3)),
    ("squeeze_repeat", RuntimeError, "dim 0 appears multiple times", lambda t, x: x.squeeze((0, 0))),
    ("unsqueeze_dim", IndexError, r"range of \[-3, 2\], but got 3", lambda t, x: x.unsqueeze(3)),
    ("permute_len", RuntimeError, "number of dimensions in the tensor input does not match",
     lambda t, x: x.permute(0, 1, 2)),
    ("permute_dup", RuntimeError, "duplicate dims are not allowed", lambda t, x: x.permute(0, -2)),
    ("permute_dim", IndexError, "Dimension out of range", lambda t, x: x.permute(0, 2)),
    ("transpose_dim", IndexError, "Dimension out of range", lambda t, x: x.transpose(0, 2)),
    ("t_3d", RuntimeError, "expects a tensor with <= 2 dimensions, but self is 3D", lambda t, x: t.ones(1, 2, 3).t()),
    ("movedim_len", RuntimeError, "should contain the same number of dims", lambda t, x: x.movedim((0, 1), (0,))),
    ("movedim_dup", RuntimeError, "repeated dim in `source`", lambda t, x: x.movedim((0, 0), (0, 1))),
    ("movedim_dim", IndexError, "Dimension out of range", lambda t, x: x.movedim(2, 0)),
    ("expand_mismatch", RuntimeError, r"expanded size of the tensor \(4\) must match the existing size \(3\) at "
     r"non-singleton dimension 1", lambda t, x: x.expand(2, 4)),
    ("expand_few", RuntimeError, r"number of sizes provided \(1\) must be greater or equal",
     lambda t, x: x.expand(3)),
    ("expand_lead", RuntimeError, "isn't allowed in a leading, non-existing dimension 0",
     lambda t, x: x.expand(-1, 2, 3)),
    ("broadcast_tensors", RuntimeError, r"size of tensor a \(3\) must match the size of tensor b \(4\)",
     lambda t, x: t.broadcast_tensors(x, t.ones(4))),
    ("broadcast_shapes", RuntimeError, "Attempting to broadcast a dimension of length 3",
     lambda t, x: t.broadcast_shapes((2, 1), (3, 2))),
    ("repeat_few", RuntimeError, "can not be smaller than number of dimensions", lambda t, x: x.repeat(2)),
    ("flip_dup", RuntimeError, "dim 0 appears multiple times", lambda t, x: x.flip(0, -2)),
    ("flip_dim", IndexError, "Dimension out of range", lambda t, x: x.flip(2)),
    ("flip_int", TypeError, "must be tuple of ints", lambda t, x: t.flip(x, 0)),
    ("fliplr_1d", RuntimeError, "Input must be >= 2-d", lambda t, x: t.fliplr(t.ones(3))),
    ("roll_align", RuntimeError, "shifts and dimensions must align", lambda t, x: x.roll((1, 2), 0)),
    ("roll_no_dims", RuntimeError, "shifts and dimensions must align", lambda t, x: x.roll((1, 2))),
    ("roll_0d_dim", IndexError, "tensor has no dimensions", lambda t, x: t.tensor(1.0).roll(1, 0)),
    ("cat_sizes", RuntimeError, r"Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 "
     r"for tensor number 1", lambda t, x: t.cat([x, t.ones(3, 3)], 1)),
    ("cat_ndim", RuntimeError, "Tensors must have same number of dimensions: got 2 and 3",
     lambda t, x: t.cat([x, t.ones(1, 2, 3)])),
    ("cat_0d", RuntimeError, r"zero-dimensional tensor \(at position 1\) cannot be concatenated",
     lambda t, x: t.cat([t.ones(1), t.tensor(1.0)])),
    ("cat_empty_list", ValueError, "expected a non-empty list of Tensors", lambda t, x: t.cat([])),
    ("cat_dim", IndexError, "Dimension out of range", lambda t, x: t.cat([x, x], 2)),
    ("cat_tensor", TypeError, "must be tuple of Tensors", lambda t, x: t.cat(x)),
    ("cat_number", TypeError, "expected Tensor as element 1", lambda t, x: t.cat([x, 1])),
    ("stack_sizes", RuntimeError, r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and "
     r"\[3, 3\] at entry 1", lambda t, x: t.stack([x, t.ones(3, 3)])),
    ("stack_empty", RuntimeError, "stack expects a non-empty TensorList", lambda t, x: t.stack([])),
    ("stack_dim", IndexError, "Dimension out of range", lambda t, x: t.stack([x, x], 3)),
    ("hstack_empty", RuntimeError, "hstack expects a non-empty TensorList", lambda t, x: t.hstack([])),
    ("split_sum", RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 3",
     lambda t, x: x.split([1, 1], 1)),
    ("split_negative_size", RuntimeError, "non-negative", lambda t, x: x.split(-1)),
    ("split_zero", RuntimeError, "split_size can only be 0 if dimension size is 0", lambda t, x: x.split(0)),
    ("split_0d", RuntimeError, "at least a 1-dimensional tensor", lambda t, x: t.tensor(1.0).split(1)),
    ("chunk_zero", RuntimeError, "chunk expects `chunks` to be greater than 0", lambda t, x: x.chunk(0)),
    ("chunk_0d", RuntimeError, "at least a 1-dimensional tensor", lambda t, x: t.tensor(1.0).chunk(1)),
    ("unbind_0d", IndexError, "tensor has no dimensions", lambda t, x: t.tensor(1.0).unbind()),
    ("unbind_dim", IndexError, "Dimension out of range", lambda t, x: x.unbind(2)),
    ("narrow_start", IndexError, r"start out of range \(expected to be in range of \[-3, 3\], but got 4\)",
     lambda t, x: x.narrow(1, 4, 0)),
    ("narrow_length", RuntimeError, r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)",
     lambda t, x: x.narrow(1, -1, 2)),
    ("narrow_negative_length", RuntimeError, "length must be non-negative", lambda t, x: x.narrow(1, 0, -1)),
    ("narrow_0d", RuntimeError, "cannot be applied to a 0-dim tensor", lambda t, x: t.tensor(1.0).narrow(0, 0, 1)),
    ("narrow_float_start", RuntimeError, "start must be an 0-dim integral Tensor",
     lambda t, x: x.narrow(1, t.tensor(1.0), 1)),
    ("tril_1d", RuntimeError, "must have at least 2 dimensions", lambda t, x: t.ones(3).tril()),
    ("triu_1d", RuntimeError, "must have at least 2 dimensions", lambda t, x: t.triu(t.ones(3))),
    ("diagonal_same", RuntimeError, "diagonal dimensions cannot be identical", lambda t, x: x.diagonal(0, 1, -1)),
    ("diagonal_1d", IndexError, "Dimension out of range", lambda t, x: t.ones(3).diagonal()),
    ("diag_3d", RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D", lambda t, x: t.diag(t.ones(2, 2, 2))),
]


@pytest.mark.parametrize("name,exc,match,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, exc, match, fn):
    _raises(exc, match, fn)
