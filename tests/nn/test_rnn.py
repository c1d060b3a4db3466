"""RNN, LSTM, GRU and the cells against torch: outputs, final states and every gradient in
float64 (atol 1e-10), torch state_dicts loaded in float32, packed ragged batches, double
backward, and torch's errors for bad input."""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch import _compiled

ATOL = 1e-10


def to_gt(t: torch.Tensor, requires_grad: bool = False) -> gt.Tensor:
    return gt.tensor(t.detach().numpy().copy(), requires_grad=requires_grad)


def pair(cls: str, dtype=torch.float64, **kw):
    """The torch module and a glasstorch one holding the same weights."""
    tm = getattr(torch.nn, cls)(**kw).to(dtype)
    gm = getattr(gt.nn, cls)(**kw)
    if dtype == torch.float64:
        gm = gm.double()
    gm.load_state_dict({k: to_gt(v) for k, v in tm.state_dict().items()})
    return tm, gm


def flat(x):
    return list(x) if isinstance(x, tuple) else [x]


def close(a, b, atol=ATOL):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=atol, rtol=0)


def weighted(outputs, seed=0):
    """Random weights for a sum of outputs, so every output's gradient is checked."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(o.shape, generator=g, dtype=o.dtype) for o in outputs]


def check_against_torch(tm, gm, x, hx=None, atol=ATOL):
    """Runs both modules on the same input (and state) and compares everything."""
    tx = x.clone().requires_grad_(True)
    gx = to_gt(x, True)
    if hx is None:
        t_out, t_hid = tm(tx)
        g_out, g_hid = gm(gx)
        t_hx = g_hx = []
    else:
        t_hx = [h.clone().requires_grad_(True) for h in flat(hx)]
        g_hx = [to_gt(h, True) for h in flat(hx)]
        t_out, t_hid = tm(tx, tuple(t_hx) if isinstance(hx, tuple) else t_hx[0])
        g_out, g_hid = gm(gx, tuple(g_hx) if isinstance(hx, tuple) else g_hx[0])
    t_all, g_all = [t_out] + flat(t_hid), [g_out] + flat(g_hid)
    for a, b in zip(t_all, g_all):
        assert tuple(b.shape) == tuple(a.shape)
        close(a, b, atol)
    ws = weighted(t_all)
    sum(((a * w).sum() for a, w in zip(t_all, ws))).backward()
    sum(((b * to_gt(w)).sum() for b, w in zip(g_all, ws))).backward()
    close(tx.grad, gx.grad, atol)
    for a, b in zip(t_hx, g_hx):
        close(a.grad, b.grad, atol)
    g_params = dict(gm.named_parameters())
    assert list(g_params) == [n for n, _ in tm.named_parameters()]
    for name, p in tm.named_parameters():
        assert g_params[name].grad is not None, name
        close(p.grad, g_params[name].grad, atol)


# ======================================================= the layers (table)
# (name, class, constructor kwargs, input shape, initial state given)
LAYERS = [
    ("rnn_tanh", "RNN", dict(input_size=3, hidden_size=4), (5, 2, 3), False),
    ("rnn_relu", "RNN", dict(input_size=3, hidden_size=4, nonlinearity="relu"), (5, 2, 3), True),
    ("rnn_2layer_bi", "RNN", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), (5, 2, 3), True),
    ("rnn_relu_bf_nobias", "RNN", dict(input_size=3, hidden_size=4, nonlinearity="relu", batch_first=True,
                                       bias=False), (2, 5, 3), False),
    ("rnn_unbatched", "RNN", dict(input_size=3, hidden_size=4, num_layers=2), (5, 3), True),
    ("lstm", "LSTM", dict(input_size=3, hidden_size=4), (5, 2, 3), False),
    ("lstm_hx", "LSTM", dict(input_size=3, hidden_size=4), (5, 2, 3), True),
    ("lstm_2layer", "LSTM", dict(input_size=3, hidden_size=4, num_layers=2), (6, 3, 3), True),
    ("lstm_bi", "LSTM", dict(input_size=3, hidden_size=4, bidirectional=True), (5, 2, 3), True),
    ("lstm_2layer_bi_bf", "LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True,
                                       batch_first=True), (2, 5, 3), True),
    ("lstm_nobias", "LSTM", dict(input_size=3, hidden_size=4, bias=False), (5, 2, 3), True),
    ("lstm_proj", "LSTM", dict(input_size=3, hidden_size=5, proj_size=2), (5, 2, 3), True),
    ("lstm_proj_2layer_bi", "LSTM", dict(input_size=3, hidden_size=5, proj_size=3, num_layers=2,
                                         bidirectional=True), (4, 2, 3), True),
    ("lstm_proj_bf_nohx", "LSTM", dict(input_size=3, hidden_size=5, proj_size=2, batch_first=True), (2, 4, 3),
     False),
    ("lstm_unbatched", "LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), (5, 3), True),
    ("lstm_unbatched_bf", "LSTM", dict(input_size=3, hidden_size=4, batch_first=True), (5, 3), False),
    ("lstm_seq1", "LSTM", dict(input_size=3, hidden_size=4), (1, 2, 3), True),
    ("lstm_batch1", "LSTM", dict(input_size=3, hidden_size=4, num_layers=2), (5, 1, 3), True),
    ("gru", "GRU", dict(input_size=3, hidden_size=4), (5, 2, 3), False),
    ("gru_hx", "GRU", dict(input_size=3, hidden_size=4), (5, 2, 3), True),
    ("gru_2layer_bi", "GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), (5, 2, 3), True),
    ("gru_bf_nobias", "GRU", dict(input_size=3, hidden_size=4, batch_first=True, bias=False), (2, 5, 3), True),
    ("gru_unbatched", "GRU", dict(input_size=3, hidden_size=4), (5, 3), True),
]


def initial_state(tm, shape, cls):
    """A random (h0, c0) / h0 of torch's expected shape for input ``shape``."""
    directions = 2 if tm.bidirectional else 1
    batched = len(shape) == 3
    batch = (shape[0] if tm.batch_first else shape[1]) if batched else None
    lead = (tm.num_layers * directions,) + ((batch,) if batched else ())
    out = tm.proj_size if tm.proj_size > 0 else tm.hidden_size
    h = torch.randn(lead + (out,), dtype=torch.float64)
    if cls == "LSTM":
        return (h, torch.randn(lead + (tm.hidden_size,), dtype=torch.float64))
    return h


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])
@pytest.mark.parametrize("name,cls,kw,shape,with_hx", LAYERS, ids=[row[0] for row in LAYERS])
def test_layer_matches_torch(name, cls, kw, shape, with_hx, compiled):
    torch.manual_seed(0)
    tm, gm = pair(cls, **kw)
    x = torch.randn(shape, dtype=torch.float64)
    hx = initial_state(tm, shape, cls) if with_hx else None
    # threshold 0: the compiled kernels take even these small arrays
    with _compiled.use(compiled, 0):
        check_against_torch(tm, gm, x, hx)


def test_lstm_float32_compiled_kernel_agrees():
    """The float32 forward kernel has its own exp and tanh: compare with torch at float32 tolerance."""
    torch.manual_seed(1)
    tm, gm = pair("LSTM", dtype=torch.float32, input_size=8, hidden_size=16, num_layers=2)
    x = torch.randn(7, 3, 8) * 4  # large inputs saturate the gates, small ones test tanh near 0
    for on in (False, True):
        with _compiled.use(on, 0):
            out, (h, c) = gm(to_gt(x))
        t_out, (th, tc) = tm(x)
        for a, b in ((t_out, out), (th, h), (tc, c)):
            assert b.dtype == gt.float32
            close(a, b, 2e-6)


def test_lstm_float32_gradients():
    torch.manual_seed(2)
    tm, gm = pair("LSTM", dtype=torch.float32, input_size=8, hidden_size=16, num_layers=2, bidirectional=True)
    check_against_torch(tm, gm, torch.randn(6, 4, 8), atol=1e-5)


def test_state_dict_keys_and_shapes_match_torch():
    for cls, kw in [("LSTM", dict(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, proj_size=2)),
                    ("GRU", dict(input_size=3, hidden_size=5, num_layers=2, bias=False)),
                    ("RNN", dict(input_size=3, hidden_size=5, bidirectional=True))]:
        tm = getattr(torch.nn, cls)(**kw)
        gm = getattr(gt.nn, cls)(**kw)
        t_sd, g_sd = tm.state_dict(), gm.state_dict()
        assert list(g_sd) == list(t_sd)
        for k in t_sd:
            assert tuple(g_sd[k].shape) == tuple(t_sd[k].shape), k
            assert g_sd[k].dtype == gt.float32
        assert [[tuple(p.shape) for p in ws] for ws in gm.all_weights] == \
            [[tuple(p.shape) for p in ws] for ws in tm.all_weights]


def test_default_init_range():
    gm = gt.nn.LSTM(3, 25, 2)
    bound = 1 / 5
    for p in gm.parameters():
        v = p.detach().numpy()
        assert v.min() >= -bound and v.max() <= bound and v.std() > bound / 3


@pytest.mark.parametrize("cls,kw", [
    ("LSTM", dict(input_size=4, hidden_size=6, num_layers=2, bidirectional=True)),
    ("LSTM", dict(input_size=4, hidden_size=6, proj_size=3, batch_first=True)),
    ("GRU", dict(input_size=4, hidden_size=6, num_layers=2)),
    ("RNN", dict(input_size=4, hidden_size=6, nonlinearity="relu")),
])
def test_torch_saved_state_dict_loads_float32(tmp_path, cls, kw):
    torch.manual_seed(3)
    tm = getattr(torch.nn, cls)(**kw)
    path = tmp_path / "rnn.pt"
    torch.save(tm.state_dict(), path)
    gm = getattr(gt.nn, cls)(**kw)
    gm.load_state_dict(gt.load(path))
    x = torch.randn(3, 5, 4)
    t_out, t_hid = tm(x)
    g_out, g_hid = gm(to_gt(x))
    for a, b in zip([t_out] + flat(t_hid), [g_out] + flat(g_hid)):
        close(a, b, 1e-5)


def test_eval_dropout_matches_and_train_dropout_changes_outputs():
    torch.manual_seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tm, gm = pair("LSTM", input_size=3, hidden_size=8, num_layers=3, dropout=0.5)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    tm.eval(), gm.eval()
    close(tm(x)[0], gm(to_gt(x))[0])
    gm.train()
    gt.manual_seed(0)
    a = gm(to_gt(x))[0].detach().numpy()
    b = gm(to_gt(x))[0].detach().numpy()
    assert not np.allclose(a, b)


def test_dropout_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        torch.nn.LSTM(3, 4, dropout=0.2)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        gt.nn.LSTM(3, 4, dropout=0.2)


def test_flatten_parameters_and_repr():
    tm, gm = pair("LSTM", input_size=3, hidden_size=4, num_layers=2, batch_first=True, bidirectional=True)
    gm.flatten_parameters()
    assert repr(gm) == repr(tm)
    tm, gm = pair("GRU", input_size=3, hidden_size=4, bias=False, dropout=0.0)
    assert repr(gm) == repr(tm)


def test_one_graph_node_per_layer_and_direction():
    gm = gt.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    out, (h, c) = gm(gt.randn(50, 2, 3))
    seen, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(n for n, _ in node.next_functions)
    # the 50 time steps are not 50 nodes: a handful of nodes in all
    assert len(seen) < 30


def test_double_backward_matches_torch():
    torch.manual_seed(5)
    for cls, kw in [("LSTM", dict(input_size=3, hidden_size=4, proj_size=2)),
                    ("GRU", dict(input_size=3, hidden_size=4, bidirectional=True)),
                    ("RNN", dict(input_size=3, hidden_size=4))]:
        tm, gm = pair(cls, **kw)
        x = torch.randn(4, 2, 3, dtype=torch.float64)
        tx, gx = x.clone().requires_grad_(True), to_gt(x, True)
        (tg,) = torch.autograd.grad((tm(tx)[0] ** 2).sum(), tx, create_graph=True)
        (gg,) = gt.autograd.grad((gm(gx)[0] ** 2).sum(), gx, create_graph=True)
        close(tg, gg)
        (tg ** 2).sum().backward()
        (gg ** 2).sum().backward()
        close(tx.grad, gx.grad)
        g_params = dict(gm.named_parameters())
        for name, p in tm.named_parameters():
            close(p.grad, g_params[name].grad)


# ======================================================= packed sequences
@pytest.mark.parametrize("cls,kw", [
    ("LSTM", dict(input_size=3, hidden_size=4)),
    ("LSTM", dict(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, proj_size=2)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
    ("RNN", dict(input_size=3, hidden_size=4, nonlinearity="relu", bidirectional=True)),
])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_hx", [False, True])
def test_packed_ragged_batch_matches_torch(cls, kw, enforce_sorted, with_hx):
    torch.manual_seed(6)
    tm, gm = pair(cls, **kw)
    lengths = [6, 4, 4, 1] if enforce_sorted else [3, 6, 1, 4]
    x = torch.randn(6, 4, 3, dtype=torch.float64)
    tx, gx = x.clone().requires_grad_(True), to_gt(x, True)
    t_hx = initial_state(tm, (6, 4, 3), cls) if with_hx else None
    g_hx = None
    if with_hx:
        t_hx = tuple(h.requires_grad_(True) for h in flat(t_hx))
        g_hx = tuple(to_gt(h, True) for h in t_hx)
        if cls != "LSTM":
            t_hx, g_hx = t_hx[0], g_hx[0]
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, enforce_sorted=enforce_sorted)
    gp = gt.nn.utils.rnn.pack_padded_sequence(gx, lengths, enforce_sorted=enforce_sorted)
    t_out, t_hid = tm(tp, t_hx)
    g_out, g_hid = gm(gp, g_hx)
    assert isinstance(g_out, gt.nn.utils.rnn.PackedSequence)
    np.testing.assert_array_equal(g_out.batch_sizes.numpy(), t_out.batch_sizes.numpy())
    t_pad, t_len = torch.nn.utils.rnn.pad_packed_sequence(t_out)
    g_pad, g_len = gt.nn.utils.rnn.pad_packed_sequence(g_out)
    np.testing.assert_array_equal(g_len.numpy(), t_len.numpy())
    t_all, g_all = [t_pad] + flat(t_hid), [g_pad] + flat(g_hid)
    for a, b in zip(t_all, g_all):
        close(a, b)
    ws = weighted(t_all)
    sum(((a * w).sum() for a, w in zip(t_all, ws))).backward()
    sum(((b * to_gt(w)).sum() for b, w in zip(g_all, ws))).backward()
    close(tx.grad, gx.grad)
    if with_hx:
        for a, b in zip(flat(t_hx), flat(g_hx)):
            close(a.grad, b.grad)
    g_params = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        close(p.grad, g_params[name].grad)


# ======================================================= cells
CELLS = [
    ("rnn_cell", "RNNCell", dict(input_size=3, hidden_size=4)),
    ("rnn_cell_relu_nobias", "RNNCell", dict(input_size=3, hidden_size=4, nonlinearity="relu", bias=False)),
    ("lstm_cell", "LSTMCell", dict(input_size=3, hidden_size=4)),
    ("lstm_cell_nobias", "LSTMCell", dict(input_size=3, hidden_size=4, bias=False)),
    ("gru_cell", "GRUCell", dict(input_size=3, hidden_size=4)),
    ("gru_cell_nobias", "GRUCell", dict(input_size=3, hidden_size=4, bias=False)),
]


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
@pytest.mark.parametrize("name,cls,kw", CELLS, ids=[row[0] for row in CELLS])
def test_cell_matches_torch(name, cls, kw, batched, with_hx):
    torch.manual_seed(7)
    tm, gm = pair(cls, **kw)
    lead = (5,) if batched else ()
    x = torch.randn(lead + (3,), dtype=torch.float64)
    tx, gx = x.clone().requires_grad_(True), to_gt(x, True)
    t_args, g_args = [tx], [gx]
    hs = []
    if with_hx:
        hs = [torch.randn(lead + (4,), dtype=torch.float64, requires_grad=True)
              for _ in range(2 if cls == "LSTMCell" else 1)]
        ghs = [to_gt(h, True) for h in hs]
        t_args.append(tuple(hs) if cls == "LSTMCell" else hs[0])
        g_args.append(tuple(ghs) if cls == "LSTMCell" else ghs[0])
    t_out, g_out = flat(tm(*t_args)), flat(gm(*g_args))
    for a, b in zip(t_out, g_out):
        assert tuple(b.shape) == tuple(a.shape)
        close(a, b)
    ws = weighted(t_out)
    sum(((a * w).sum() for a, w in zip(t_out, ws))).backward()
    sum(((b * to_gt(w)).sum() for b, w in zip(g_out, ws))).backward()
    close(tx.grad, gx.grad)
    for a, b in zip(hs, ghs if with_hx else []):
        close(a.grad, b.grad)
    g_params = dict(gm.named_parameters())
    assert list(gm.state_dict()) == list(tm.state_dict())
    for n, p in tm.named_parameters():
        close(p.grad, g_params[n].grad)


def test_cell_loop_equals_layer():
    """An LSTMCell stepped by hand gives the LSTM layer's numbers (the fused node and the composite agree)."""
    torch.manual_seed(8)
    layer = gt.nn.LSTM(3, 4).double()
    cell = gt.nn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = gt.randn(6, 2, 3, dtype=gt.float64)
    out, (h, c) = layer(x)
    hc = None
    for t in range(6):
        hc = cell(x[t], hc)
        np.testing.assert_allclose(hc[0].detach().numpy(), out[t].detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(hc[1].detach().numpy(), c[0].detach().numpy(), atol=ATOL)


# ======================================================= errors, as torch raises them
def raises_like_torch(fn_torch, fn_gt, match=None):
    with pytest.raises(Exception) as t_err:
        fn_torch()
    with pytest.raises(t_err.type, match=match) as g_err:
        fn_gt()
    return t_err.value, g_err.value


def both(cls, *args, **kw):
    return getattr(torch.nn, cls)(*args, **kw), getattr(gt.nn, cls)(*args, **kw)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_wrong_input_rank(cls):
    tm, gm = both(cls, 3, 4)
    raises_like_torch(lambda: tm(torch.randn(2, 2, 2, 3)), lambda: gm(gt.randn(2, 2, 2, 3)), "2D or 3D, got 4D")
    raises_like_torch(lambda: tm(torch.randn(3)), lambda: gm(gt.randn(3)), "got 1D")


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_wrong_input_size(cls):
    tm, gm = both(cls, 3, 4)
    raises_like_torch(lambda: tm(torch.randn(5, 2, 7)), lambda: gm(gt.randn(5, 2, 7)), "Expected 3, got 7")


def test_wrong_hidden_size():
    tm, gm = both("GRU", 3, 4, num_layers=2)
    raises_like_torch(lambda: tm(torch.randn(5, 2, 3), torch.randn(1, 2, 4)),
                      lambda: gm(gt.randn(5, 2, 3), gt.randn(1, 2, 4)), r"Expected hidden size \(2, 2, 4\), got \[1, 2, 4\]")
    tm, gm = both("LSTM", 3, 4)
    raises_like_torch(lambda: tm(torch.randn(5, 2, 3), (torch.randn(1, 2, 4), torch.randn(1, 3, 4))),
                      lambda: gm(gt.randn(5, 2, 3), (gt.randn(1, 2, 4), gt.randn(1, 3, 4))), r"hidden\[1\] size")
    tm, gm = both("LSTM", 3, 5, proj_size=2)
    raises_like_torch(lambda: tm(torch.randn(5, 2, 3), (torch.randn(1, 2, 5), torch.randn(1, 2, 5))),
                      lambda: gm(gt.randn(5, 2, 3), (gt.randn(1, 2, 5), gt.randn(1, 2, 5))), r"hidden\[0\] size")


def test_hidden_rank_mismatch():
    tm, gm = both("RNN", 3, 4)
    raises_like_torch(lambda: tm(torch.randn(5, 2, 3), torch.randn(2, 4)),
                      lambda: gm(gt.randn(5, 2, 3), gt.randn(2, 4)), "should also be 3-D but got 2-D")
    raises_like_torch(lambda: tm(torch.randn(5, 3), torch.randn(1, 1, 4)),
                      lambda: gm(gt.randn(5, 3), gt.randn(1, 1, 4)), "should also be 2-D but got 3-D")
    tm, gm = both("LSTM", 3, 4)
    raises_like_torch(lambda: tm(torch.randn(5, 3), (torch.randn(1, 1, 4), torch.randn(1, 4))),
                      lambda: gm(gt.randn(5, 3), (gt.randn(1, 1, 4), gt.randn(1, 4))), r"\(3-D, 2-D\)")


def test_dtype_mismatch():
    tm, gm = both("LSTM", 3, 4)
    raises_like_torch(lambda: tm(torch.randn(5, 2, 3, dtype=torch.float64)),
                      lambda: gm(gt.randn(5, 2, 3, dtype=gt.float64)), "does not match weight dtype")


@pytest.mark.parametrize("args,kw", [
    ((3, 4), dict(dropout=1.5)),
    ((3, 4), dict(dropout=True)),
    ((3, 0), {}),
    ((0, 4), {}),
    ((3, 4), dict(num_layers=0)),
    ((3, 4), dict(proj_size=-1)),
    ((3, 4), dict(proj_size=4)),
    ((3, 4.0), {}),
    ((3, 4), dict(bias=1)),
    ((3, 4), dict(batch_first="yes")),
])
def test_bad_constructor_arguments(args, kw):
    raises_like_torch(lambda: torch.nn.LSTM(*args, **kw), lambda: gt.nn.LSTM(*args, **kw))


def test_proj_size_and_nonlinearity_are_checked():
    raises_like_torch(lambda: torch.nn.GRU(3, 4, proj_size=2), lambda: gt.nn.GRU(3, 4, proj_size=2), "only supported")
    raises_like_torch(lambda: torch.nn.RNN(3, 4, proj_size=2), lambda: gt.nn.RNN(3, 4, proj_size=2), "only supported")
    raises_like_torch(lambda: torch.nn.RNN(3, 4, nonlinearity="gelu"), lambda: gt.nn.RNN(3, 4, nonlinearity="gelu"),
                      "Unknown nonlinearity")


def test_cell_errors():
    tm, gm = both("LSTMCell", 3, 4)
    raises_like_torch(lambda: tm(torch.randn(2, 2, 3)), lambda: gm(gt.randn(2, 2, 3)), "1D or 2D, got 3D")
    raises_like_torch(lambda: tm(torch.randn(2, 5)), lambda: gm(gt.randn(2, 5)), "input_size")
    tm, gm = both("GRUCell", 3, 4)
    raises_like_torch(lambda: tm(torch.randn(2, 3), torch.randn(3, 4)), lambda: gm(gt.randn(2, 3), gt.randn(3, 4)),
                      "batch size")
    raises_like_torch(lambda: tm(torch.randn(2, 3), torch.randn(2, 5)), lambda: gm(gt.randn(2, 3), gt.randn(2, 5)),
                      "hidden_size")
    tm, gm = both("RNNCell", 3, 4)
    raises_like_torch(lambda: tm(torch.randn(3), torch.randn(1, 1, 4)), lambda: gm(gt.randn(3), gt.randn(1, 1, 4)),
                      "Expected hidden to be 1D or 2D")
