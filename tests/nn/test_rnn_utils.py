"""nn.utils.rnn against torch: pad_sequence, pack_padded_sequence, pad_packed_sequence,
pack_sequence, unpad/unpack, PackedSequence fields, gradients in float64, and torch's errors."""
import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as T

import glasstorch as gt
import glasstorch.nn.utils.rnn as G


def to_gt(t, requires_grad=False):
    return gt.tensor(t.detach().numpy().copy(), requires_grad=requires_grad)


def close(a, b, atol=1e-12):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=atol, rtol=0)


def same_fields(tp, gp):
    close(tp.data, gp.data)
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        a, b = getattr(tp, name), getattr(gp, name)
        if a is None:
            assert b is None, name
        else:
            assert b.dtype == gt.int64, name
            np.testing.assert_array_equal(b.numpy(), a.numpy())


def backward_both(t_out, g_out, t_in, g_in):
    w = torch.randn(t_out.shape, dtype=t_out.dtype)
    (t_out * w).sum().backward()
    (g_out * to_gt(w)).sum().backward()
    for a, b in zip(t_in, g_in):
        close(a.grad, b.grad)


LENGTHS = [[5, 3, 3, 1], [2, 5, 1, 4], [4, 4, 4], [1], [3, 1, 2, 3, 1]]
TRAILING = [(), (3,), (3, 2)]


@pytest.mark.parametrize("lengths", LENGTHS, ids=str)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(lengths, trailing, batch_first, padding_side):
    torch.manual_seed(0)
    ts = [torch.randn((n,) + trailing, dtype=torch.float64, requires_grad=True) for n in lengths]
    gs = [to_gt(s, True) for s in ts]
    t_out = T.pad_sequence(ts, batch_first=batch_first, padding_value=-7.5, padding_side=padding_side)
    g_out = G.pad_sequence(gs, batch_first=batch_first, padding_value=-7.5, padding_side=padding_side)
    assert tuple(g_out.shape) == tuple(t_out.shape)
    close(t_out, g_out)
    backward_both(t_out, g_out, ts, gs)


@pytest.mark.parametrize("lengths", LENGTHS, ids=str)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_round_trip(lengths, trailing, batch_first):
    torch.manual_seed(1)
    sorted_ = list(lengths) == sorted(lengths, reverse=True)
    steps, batch = max(lengths) + 1, len(lengths)  # one step more than the longest: padding is dropped
    shape = ((batch, steps) if batch_first else (steps, batch)) + trailing
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    gx = to_gt(x, True)
    for enforce in ([True, False] if sorted_ else [False]):
        for as_tensor in (False, True):
            lens_t = torch.tensor(lengths) if as_tensor else lengths
            lens_g = gt.tensor(lengths) if as_tensor else lengths
            tp = T.pack_padded_sequence(x, lens_t, batch_first=batch_first, enforce_sorted=enforce)
            gp = G.pack_padded_sequence(gx, lens_g, batch_first=batch_first, enforce_sorted=enforce)
            assert isinstance(gp, G.PackedSequence) and isinstance(gp, tuple)
            same_fields(tp, gp)
            for total in (None, steps + 2):
                t_pad, t_len = T.pad_packed_sequence(tp, batch_first=batch_first, padding_value=3.0,
                                                     total_length=total)
                g_pad, g_len = G.pad_packed_sequence(gp, batch_first=batch_first, padding_value=3.0,
                                                     total_length=total)
                assert tuple(g_pad.shape) == tuple(t_pad.shape)
                close(t_pad, g_pad)
                assert g_len.dtype == gt.int64
                np.testing.assert_array_equal(g_len.numpy(), t_len.numpy())
            x.grad = None
            gx.grad = None
            backward_both(t_pad, g_pad, [x], [gx])


def test_pack_sequence_and_unpack_sequence():
    torch.manual_seed(2)
    for enforce, lengths in ((True, [4, 2, 1]), (False, [1, 4, 2, 4])):
        ts = [torch.randn(n, 2, dtype=torch.float64, requires_grad=True) for n in lengths]
        gs = [to_gt(s, True) for s in ts]
        tp, gp = T.pack_sequence(ts, enforce_sorted=enforce), G.pack_sequence(gs, enforce_sorted=enforce)
        same_fields(tp, gp)
        t_back, g_back = T.unpack_sequence(tp), G.unpack_sequence(gp)
        assert len(g_back) == len(t_back)
        for a, b in zip(t_back, g_back):
            close(a, b)
        backward_both(tp.data, gp.data, ts, gs)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    torch.manual_seed(3)
    ts = [torch.randn(n, 3, dtype=torch.float64) for n in (3, 5, 1)]
    padded_t = T.pad_sequence(ts, batch_first=batch_first)
    padded_g = to_gt(padded_t, True)
    lengths = torch.tensor([3, 5, 1])
    outs = G.unpad_sequence(padded_g, gt.tensor([3, 5, 1]), batch_first=batch_first)
    # torch transposes its argument in place, so it gets a copy
    for a, b in zip(T.unpad_sequence(padded_t.clone(), lengths, batch_first=batch_first), outs):
        close(a, b)
    sum((o ** 2).sum() for o in outs).backward()
    expected = 2 * padded_t * (T.pad_sequence([torch.ones_like(t) for t in ts], batch_first=batch_first))
    close(expected, padded_g.grad)


def test_packed_sequence_constructor_and_methods():
    data, sizes = gt.randn(6, 2), gt.tensor([3, 2, 1])
    p = G.PackedSequence(data, sizes)
    assert p.sorted_indices is None and p.unsorted_indices is None
    q = G.PackedSequence((data, sizes))
    assert q.data is data and q.batch_sizes is sizes
    r = G.PackedSequence(data, sizes, gt.tensor([2, 0, 1]))
    np.testing.assert_array_equal(r.unsorted_indices.numpy(), [1, 2, 0])
    assert r.double().data.dtype == gt.float64 and r.to(gt.float64).data.dtype == gt.float64
    assert r.double().batch_sizes is sizes and not r.is_cuda and not r.is_pinned()
    data_t, batch_sizes, sorted_i, unsorted_i = r  # a namedtuple, as in torch
    assert batch_sizes is sizes
    np.testing.assert_array_equal(G.invert_permutation(gt.tensor([2, 0, 1])).numpy(),
                                  T.invert_permutation(torch.tensor([2, 0, 1])).numpy())
    assert G.invert_permutation(None) is None


def test_pack_is_one_gather():
    """Packing 32 sequences of 64 steps is a reshape and one index, not a node per step."""
    x = gt.randn(64, 32, 8, requires_grad=True)
    p = G.pack_padded_sequence(x, list(range(64, 32, -1)))
    names, node = [], p.data.grad_fn
    while node is not None:
        names.append(node.name())
        node = next((n for n, _ in node.next_functions if n is not None and n.name() != "AccumulateGrad"), None)
    assert len(names) <= 2, names


def raises_like_torch(fn_torch, fn_gt, match):
    with pytest.raises(Exception) as t_err:
        fn_torch()
    with pytest.raises(t_err.type, match=match):
        fn_gt()


def test_errors():
    x_t, x_g = torch.randn(4, 3, 2), gt.randn(4, 3, 2)
    raises_like_torch(lambda: T.pack_padded_sequence(x_t, [2, 4, 1]), lambda: G.pack_padded_sequence(x_g, [2, 4, 1]),
                      "must be sorted in decreasing order")
    raises_like_torch(lambda: T.pack_padded_sequence(x_t, [3, 0, 2], enforce_sorted=False),
                      lambda: G.pack_padded_sequence(x_g, [3, 0, 2], enforce_sorted=False), "greater than 0")
    raises_like_torch(lambda: T.pack_padded_sequence(x_t, [3, 2]), lambda: G.pack_padded_sequence(x_g, [3, 2]),
                      "batch_size=3")
    tp = T.pack_padded_sequence(x_t, [4, 2, 1])
    gp = G.pack_padded_sequence(x_g, [4, 2, 1])
    raises_like_torch(lambda: T.pad_packed_sequence(tp, total_length=3),
                      lambda: G.pad_packed_sequence(gp, total_length=3), "total_length=3")
    raises_like_torch(lambda: T.pad_sequence([torch.ones(2)], padding_side="up"),
                      lambda: G.pad_sequence([gt.ones(2)], padding_side="up"), "left or right")
    raises_like_torch(lambda: T.pad_sequence([torch.ones(2, 3), torch.ones(2, 4)]),
                      lambda: G.pad_sequence([gt.ones(2, 3), gt.ones(2, 4)]), "must match")
    raises_like_torch(lambda: T.pad_sequence(5), lambda: G.pad_sequence(5), "Expected iterable")
    with pytest.raises(RuntimeError, match="only 4 time steps"):  # torch reads past the end here
        G.pack_padded_sequence(x_g, [6, 2, 1])
