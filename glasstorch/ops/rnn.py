"""Recurrent layers: one fused primitive per layer and direction, and the cells as composites.

Why a fused primitive. Written with ordinary ops, one LSTM step is about fifteen graph
nodes (a linear, four gate slices, three sigmoids, two tanh, the products and sums), so a
2-layer LSTM over 64 steps builds some two thousand nodes and walks them back one by one.
Instead ``RNNLayer`` runs a whole layer (one direction, every time step) as one node, on
the raw arrays, the way cuDNN and torch's CPU kernels do:

forward::

    G = X @ W_ih^T + b_ih (+ b_hh)      one GEMM for the input side of every time step
    for each step t:                    only the recurrent part is sequential
        G[t] += h @ W_hh^T              one small GEMM per step
        h, c = cell(G[t], c)            the gate nonlinearities, in place in G

backward (back-propagation through time), the same loop in reverse::

    for each step t, last to first:
        dh += dY[t]
        dG[t] = cell'(dh, dc, saved gates)     the gate derivatives
        dh    = dG[t] @ W_hh                   one small GEMM per step
    dX = dG @ W_ih,  dW_ih = dG^T @ X,  dW_hh = dG^T @ H_prev     one GEMM each, after the loop
    db_ih = db_hh = sum of dG over rows

``H_prev`` (the hidden state each step started from) is recorded during the forward, so the
weight gradients are single GEMMs over all steps rather than a sum of per-step products.

Packed (ragged) batches need no special path. Every input is handled as a flat ``(N, I)``
array plus ``batch_sizes``: step ``t`` owns the next ``batch_sizes[t]`` rows, and only the
first ``batch_sizes[t]`` hidden states take part (sequences are sorted longest first). A
padded ``(T, B, I)`` input is simply ``N = T*B`` with every batch size ``B``. The final state
of a sequence that ended early is the state it had at its last step, which is what stays in
``h`` when later steps only update ``h[:batch_size]``.

Gate layouts are torch's: LSTM rows of ``W_ih``/``W_hh`` are ``i, f, g, o``; GRU rows are
``r, z, n``, and GRU keeps ``b_hh`` apart because ``n = tanh(x_n + r * (h W_hn + b_hn))``.
With ``proj_size`` the LSTM output is ``h = (o * tanh(c)) @ W_hr^T``.

Double backward. The fast backward works on arrays, so it is not differentiable itself.
When backward runs with ``create_graph=True``, the node recomputes the layer from the cells
below (plain glasstorch ops) and differentiates that graph instead: exact second
derivatives at the price of a second forward, only on that rare path.
"""
from __future__ import annotations

import numpy as np

from .. import _compiled
from .._tensor import Tensor
from ..autograd.function import _Primitive
from ..autograd.grad_mode import _state, enable_grad
from .elementwise import add, mul, relu, sigmoid, sub, tanh
from .nn_misc import linear
from .shape import cat, chunk

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")


# ============================================================ the cells, as composites
# One time step written with glasstorch ops: what nn.RNNCell/LSTMCell/GRUCell run, and the
# readable definition that the fused layer below must agree with.
def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    return tanh(add(linear(input, w_ih, b_ih), linear(hx, w_hh, b_hh)))


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    return relu(add(linear(input, w_ih, b_ih), linear(hx, w_hh, b_hh)))


def lstm_cell(input: Tensor, hx: Tensor, cx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None, w_hr: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step; gates ``i, f, g, o``; returns ``(h', c')``."""
    gates = add(linear(input, w_ih, b_ih), linear(hx, w_hh, b_hh))
    i, f, g, o = chunk(gates, 4, -1)
    c = add(mul(sigmoid(f), cx), mul(sigmoid(i), tanh(g)))
    h = mul(sigmoid(o), tanh(c))
    if w_hr is not None:
        h = linear(h, w_hr)
    return h, c


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step; gates ``r, z, n``; ``h' = (1 - z) * n + z * h``."""
    xr, xz, xn = chunk(linear(input, w_ih, b_ih), 3, -1)
    hr, hz, hn = chunk(linear(hx, w_hh, b_hh), 3, -1)
    r = sigmoid(add(xr, hr))
    z = sigmoid(add(xz, hz))
    n = tanh(add(xn, mul(r, hn)))
    return add(n, mul(z, sub(hx, n)))


# ============================================================ array helpers
def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """In place: ``a = 1 / (1 + exp(-a))``; exp overflows to inf for very negative ``a``, giving 0."""
    np.negative(a, out=a)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)
    return a


# ============================================================ the LSTM's pointwise step
# One step's gate arithmetic, on the rows of the step's batch. Each exists twice: as NumPy
# (a dozen whole-array passes) and as a plain loop that Numba compiles into one pass
# (``lstm_forward``/``lstm_backward`` in glasstorch/_compiled/kernels.py), which matters because these small arrays cost NumPy more in
# per-call overhead than in arithmetic. The two agree to rounding; the tests run both.
def _lstm_forward_numpy(g, hw, c, c_prev, tc, h):
    """In: ``g`` the input side of the gates, ``hw = h @ W_hh^T``, ``c`` the cell state.
    Out: ``g`` the activated gates i, f, g, o; ``c_prev`` the old and ``c`` the new state;
    ``tc = tanh(c)``; ``h = o * tc``."""
    H = c.shape[1]
    g += hw
    _sigmoid_(g[:, :2 * H])
    np.tanh(g[:, 2 * H:3 * H], out=g[:, 2 * H:3 * H])
    _sigmoid_(g[:, 3 * H:])
    i, f, gg, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
    c_prev[...] = c
    c *= f
    c += i * gg
    np.tanh(c, out=tc)
    np.multiply(o, tc, out=h)


def _lstm_backward_numpy(d, dh, g, tc, c_prev, dc):
    """The gradients of the pre-activation gates into ``d``, from ``dh`` (of h) and ``dc``
    (of c, updated in place to the gradient of ``c_prev``)."""
    H = dc.shape[1]
    i, f, gg, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
    dct = 1 - tc * tc                               # dc_t = dc + dh * o * (1 - tanh(c)^2)
    dct *= o
    dct *= dh
    dct += dc
    np.multiply(dh, tc, out=d[:, 3 * H:])           # do
    d[:, 3 * H:] *= o * (1 - o)
    np.multiply(dct, gg, out=d[:, :H])              # di
    d[:, :H] *= i * (1 - i)
    np.multiply(dct, c_prev, out=d[:, H:2 * H])     # df
    d[:, H:2 * H] *= f * (1 - f)
    np.multiply(dct, i, out=d[:, 2 * H:3 * H])      # dg
    d[:, 2 * H:3 * H] *= 1 - gg * gg
    np.multiply(dct, f, out=dc)


def _lstm_steps(G: np.ndarray) -> tuple:
    """``(forward_step, backward_step)`` for a layer whose gates are ``G``: the compiled
    kernels when Numba is there and ``G`` is big enough (the forward one for float32 only),
    else the NumPy twins.

    Each call runs on the calling thread: one step of a (32, 4 * 256) LSTM takes about 30 us
    compiled, no more than handing half of it to a second thread and waiting for it."""
    kernels = _compiled.for_array(G)
    if kernels is None:
        return _lstm_forward_numpy, _lstm_backward_numpy
    forward = kernels.lstm_forward_f32 if G.dtype == np.float32 else _lstm_forward_numpy
    return forward, kernels.lstm_backward


def _steps(batch_sizes: np.ndarray, reverse: bool) -> list:
    """``(first_row, batch_size)`` of each time step, in the order the layer visits them."""
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    steps = [(int(s), int(b)) for s, b in zip(starts, batch_sizes)]
    return steps[::-1] if reverse else steps


# ============================================================ the fused layer
class RNNLayer(_Primitive):
    """One layer and direction of RNN/LSTM/GRU over every time step; see the module docstring.

    Inputs: ``x`` (N, I) flat rows, ``h0`` (B, H_out), ``c0`` (B, H) or None, the weights in
    torch's layout (``b_ih``, ``b_hh``, ``w_hr`` may be None), then ``mode`` (one of MODES),
    ``batch_sizes`` (int array, non-increasing, summing to N) and ``reverse``.
    Returns ``(y, h_n)``, or ``(y, h_n, c_n)`` for LSTM; ``y`` is (N, H_out).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, batch_sizes, reverse):
        X, Wih, Whh = x._data, w_ih._data, w_hh._data
        lstm, gru = mode == "LSTM", mode == "GRU"
        N = X.shape[0]
        H = Wih.shape[0] // (4 if lstm else 3 if gru else 1)
        # A contiguous copy: BLAS multiplies by it about a fifth faster than by the transposed
        # view, and the layer does so once per step.
        WhhT = np.ascontiguousarray(Whh.T)
        # The input side of every step at once; the recurrent bias joins it except for GRU's.
        G = X @ Wih.T
        bias = None if b_ih is None else b_ih._data
        if b_hh is not None and not gru:
            bias = b_hh._data if bias is None else bias + b_hh._data  # one pass over G, not two
        if bias is not None:
            G += bias
        h = h0._data.copy()
        Hout = h.shape[1]
        Y = np.empty((N, Hout), G.dtype)
        Hprev = np.empty((N, Hout), G.dtype)
        saved = {}
        if lstm:
            c = c0._data.copy()
            Cprev, Tc = np.empty((N, H), G.dtype), np.empty((N, H), G.dtype)
            Hraw = np.empty((N, H), G.dtype) if w_hr is not None else None
            WhrT = None if w_hr is None else w_hr._data.T
            saved.update(Cprev=Cprev, Tc=Tc, Hraw=Hraw)
            hw = np.empty((h.shape[0], 4 * H), G.dtype)
            lstm_step, _ = _lstm_steps(G)
        if gru:
            HWn = np.empty((N, H), G.dtype)
            bhh = None if b_hh is None else b_hh._data
            saved["HWn"] = HWn
        steps = _steps(batch_sizes, reverse)
        for s, bt in steps:
            rows = slice(s, s + bt)
            hp = h[:bt]
            Hprev[rows] = hp
            g = G[rows]
            if lstm:
                np.matmul(hp, WhhT, out=hw[:bt])
                hn = Hraw[rows] if Hraw is not None else Y[rows]
                lstm_step(g, hw[:bt], c[:bt], Cprev[rows], Tc[rows], hn)
                if Hraw is not None:
                    hn = hn @ WhrT
            elif gru:
                hw = hp @ WhhT
                if bhh is not None:
                    hw += bhh
                g[:, :2 * H] += hw[:, :2 * H]
                _sigmoid_(g[:, :2 * H])
                r, z = g[:, :H], g[:, H:2 * H]
                HWn[rows] = hw[:, 2 * H:]
                n = g[:, 2 * H:]
                n += r * hw[:, 2 * H:]
                np.tanh(n, out=n)
                hn = hp - n
                hn *= z
                hn += n
            else:
                g += hp @ WhhT
                if mode == "RNN_TANH":
                    np.tanh(g, out=g)
                else:
                    np.maximum(g, 0, out=g)
                hn = g
            if hn.base is not Y:
                Y[rows] = hn
            h[:bt] = hn
        ctx.mode, ctx.steps, ctx.H = mode, steps, H
        ctx.batch_sizes, ctx.reverse = batch_sizes, reverse
        ctx.arrays = dict(G=G, Y=Y, Hprev=Hprev, **saved)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        if lstm:
            return Y, h, c
        return Y, h

    @staticmethod
    def backward(ctx, gy, gh, gc=None):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = ctx.saved_tensors
        if _state.enabled:  # create_graph=True: differentiate the composite instead
            return _backward_graph(ctx, (gy, gh, gc), x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        a, mode, H = ctx.arrays, ctx.mode, ctx.H
        lstm, gru = mode == "LSTM", mode == "GRU"
        G, Y, Hprev = a["G"], a["Y"], a["Hprev"]
        Whh = w_hh._data
        gY = gy._data
        dh = gh._data.copy()
        dG = np.empty_like(G)
        dHW = np.empty_like(G) if gru else dG  # GRU: the recurrent side sees r * dn for the n gate
        if lstm:
            dc = gc._data.copy()
            Cprev, Tc, Hraw = a["Cprev"], a["Tc"], a["Hraw"]
            Whr = None if w_hr is None else w_hr._data
            dYp = np.empty_like(Y) if Hraw is not None else None
            _, lstm_back = _lstm_steps(G)
        if gru:
            HWn = a["HWn"]
        for s, bt in reversed(ctx.steps):
            rows = slice(s, s + bt)
            dht = dh[:bt] + gY[rows]
            g, d = G[rows], dG[rows]
            if lstm:
                if Whr is not None:
                    dYp[rows] = dht
                    dht = dht @ Whr
                lstm_back(d, dht, g, Tc[rows], Cprev[rows], dc[:bt])
                np.matmul(d, Whh, out=dh[:bt])
            elif gru:
                r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
                hp = Hprev[rows]
                dn = dht * (1 - z)
                dn *= 1 - n * n                                  # d(pre-activation of n)
                d[:, 2 * H:] = dn
                np.multiply(dht, hp - n, out=d[:, H:2 * H])      # dz
                d[:, H:2 * H] *= z * (1 - z)
                np.multiply(dn, HWn[rows], out=d[:, :H])         # dr
                d[:, :H] *= r * (1 - r)
                e = dHW[rows]
                e[:, :2 * H] = d[:, :2 * H]
                np.multiply(dn, r, out=e[:, 2 * H:])
                dh[:bt] = e @ Whh
                dh[:bt] += dht * z
            else:
                y = Y[rows]
                if mode == "RNN_TANH":
                    np.multiply(dht, 1 - y * y, out=d)
                else:
                    np.multiply(dht, y > 0, out=d)
                dh[:bt] = d @ Whh
        need = ctx.needs_input_grad
        wrap = Tensor._make
        dx = wrap(dG @ w_ih._data) if need[0] else None
        dh0 = wrap(dh) if need[1] else None
        dc0 = wrap(dc) if lstm and need[2] else None
        dwih = wrap(dG.T @ x._data) if need[3] else None
        dwhh = wrap(dHW.T @ Hprev) if need[4] else None
        # b_ih and b_hh enter as one sum (all but GRU's b_hh), so their gradients are one sum too;
        # the copy keeps the two .grad arrays apart
        same = dHW is dG
        sum_g = dG.sum(0) if need[5] or (need[6] and same) else None
        dbih = wrap(sum_g) if need[5] else None
        dbhh = (wrap(sum_g.copy()) if same else wrap(dHW.sum(0))) if need[6] else None
        dwhr = wrap(dYp.T @ Hraw) if lstm and need[7] else None
        return dx, dh0, dc0, dwih, dwhh, dbih, dbhh, dwhr, None, None, None


def _composite_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, steps):
    """The layer built from the cells above: the same numbers as RNNLayer, as a graph of small ops."""
    h, c = h0, c0
    outs = {}
    for s, bt in steps:
        xt = x[s:s + bt]
        hp = h[:bt]
        if mode == "LSTM":
            hn, cn = lstm_cell(xt, hp, c[:bt], w_ih, w_hh, b_ih, b_hh, w_hr)
            c = cn if bt == c.shape[0] else cat([cn, c[bt:]])
        elif mode == "GRU":
            hn = gru_cell(xt, hp, w_ih, w_hh, b_ih, b_hh)
        else:
            cell = rnn_tanh_cell if mode == "RNN_TANH" else rnn_relu_cell
            hn = cell(xt, hp, w_ih, w_hh, b_ih, b_hh)
        h = hn if bt == h.shape[0] else cat([hn, h[bt:]])
        outs[s] = hn
    y = cat([outs[s] for s in sorted(outs)])
    return (y, h, c) if mode == "LSTM" else (y, h)


def _backward_graph(ctx, grads, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
    """The backward as a graph (for create_graph=True): recompute with the cells, then differentiate."""
    from ..autograd.engine import grad as _grad

    inputs = (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
    with enable_grad():
        outs = _composite_layer(*inputs, ctx.mode, ctx.steps)
    used = [(k, t) for k, t in enumerate(inputs) if t is not None and ctx.needs_input_grad[k]]
    pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
    got = _grad([o for o, _ in pairs], [t for _, t in used], [g for _, g in pairs],
                create_graph=True, allow_unused=True)
    result = [None] * 11
    for (k, _), g in zip(used, got):
        result[k] = g
    return tuple(result)
