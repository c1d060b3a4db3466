"""Attention against torch: ``F.scaled_dot_product_attention`` (the fused node), the functional
``multi_head_attention_forward`` and ``nn.MultiheadAttention``.

The SDPA rows go through the harness: forward, first and second gradients (double backward)
in float64, contiguous and transposed. MultiheadAttention is compared module to module: the
torch module's weights are copied into ours, and the outputs, the attention weights and every
parameter's gradient must agree.
"""
import math
import os

import numpy as np
import pytest
import torch
import torch.nn.attention  # noqa: F401  (sdpa_kernel)

import glasstorch as gt
from harness import Arg, Op, bools, check, nograd

ATOL = 1e-10  # float64 parity


def F(t):
    return t.nn.functional


def sdpa(t, *args, **kw):
    if t is torch:
        # torch's CPU flash kernel (which it picks for some shapes) has no double backward; the math
        # backend is its reference, and gives the same values and fully-masked-row zeros.
        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
            return F(t).scaled_dot_product_attention(*args, **kw)
    return F(t).scaled_dot_product_attention(*args, **kw)


Q, K, V = (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7)  # (B, H, L, E), (B, H, S, E), (B, H, S, Ev)
U = lambda *shape: Arg(shape, "uniform", 0.0, 1.0, grad=False)  # noqa: E731  uniform in [0, 1): mask source

# ======================================================= SDPA rows (harness)
CASES = [
    Op("sdpa_4d", lambda t, q, k, v: sdpa(t, q, k, v), [Q, K, V]),
    Op("sdpa_3d", lambda t, q, k, v: sdpa(t, q, k, v), [(3, 5, 4), (3, 6, 4), (3, 6, 7)]),
    Op("sdpa_2d", lambda t, q, k, v: sdpa(t, q, k, v), [(5, 4), (6, 4), (6, 7)]),
    Op("sdpa_5d", lambda t, q, k, v: sdpa(t, q, k, v), [(2, 2, 3, 5, 4), (2, 2, 3, 6, 4), (2, 2, 3, 6, 3)]),
    Op("sdpa_self", lambda t, x: sdpa(t, x, x, x), [(2, 3, 5, 4)]),
    Op("sdpa_bcast_batch", lambda t, q, k, v: sdpa(t, q, k, v), [Q, (1, 3, 6, 4), (2, 1, 6, 7)]),
    Op("sdpa_bcast_rank", lambda t, q, k, v: sdpa(t, q, k, v), [Q, (6, 4), (3, 6, 7)]),
    Op("sdpa_nograd_k", lambda t, q, k, v: sdpa(t, q, k, v), [Q, nograd(*K), V]),
    Op("sdpa_only_v", lambda t, q, k, v: sdpa(t, q, k, v), [nograd(*Q), nograd(*K), V]),
    # ---- float masks: added to the scores, and differentiable
    Op("sdpa_float_mask", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m), [Q, K, V, (2, 3, 5, 6)]),
    Op("sdpa_float_mask_LS", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m), [Q, K, V, (5, 6)]),
    Op("sdpa_float_mask_B1LS", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m), [Q, K, V, (2, 1, 5, 6)]),
    Op("sdpa_float_mask_1S", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m), [Q, K, V, (1, 6)]),
    Op("sdpa_float_mask_nograd", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m), [Q, K, V, nograd(5, 6)]),
    Op("sdpa_float_mask_3d", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m),
       [(3, 5, 4), (3, 6, 4), (3, 6, 7), (3, 5, 6)]),
    Op("sdpa_float_mask_inf", lambda t, q, k, v, m, u: sdpa(t, q, k, v, attn_mask=m.masked_fill(u < 0.3, -math.inf)),
       [Q, K, V, (5, 6), U(5, 6)]),
    # ---- bool masks: True = the key takes part
    Op("sdpa_bool_mask", lambda t, q, k, v, u: sdpa(t, q, k, v, attn_mask=u < 0.8), [Q, K, V, U(2, 3, 5, 6)]),
    Op("sdpa_bool_mask_LS", lambda t, q, k, v, u: sdpa(t, q, k, v, attn_mask=u < 0.8), [Q, K, V, U(5, 6)]),
    Op("sdpa_bool_mask_B1LS", lambda t, q, k, v, u: sdpa(t, q, k, v, attn_mask=u < 0.8), [Q, K, V, U(2, 1, 5, 6)]),
    # Rows where every key is masked out: torch 2.13 on the CPU gives zero output and zero gradients.
    Op("sdpa_bool_mask_dead_rows", lambda t, q, k, v, u: sdpa(t, q, k, v, attn_mask=u < 0.3), [Q, K, V, U(5, 6)]),
    Op("sdpa_bool_mask_all_dead", lambda t, q, k, v: sdpa(t, q, k, v, attn_mask=t.zeros(5, 6, dtype=t.bool)),
       [Q, K, V]),
    Op("sdpa_float_mask_dead_rows",
       lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m.masked_fill(t.arange(5).reshape(5, 1) % 2 == 0,
                                                                       float("-inf"))),
       [Q, K, V, (5, 6)]),
    Op("sdpa_float32_mask", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m.float()), [Q, K, V, (5, 6)],
       atol=1e-6),
    # ---- causal (upper-left aligned tril), scale
    Op("sdpa_causal", lambda t, q, k, v: sdpa(t, q, k, v, is_causal=True), [Q, (2, 3, 5, 4), (2, 3, 5, 7)]),
    Op("sdpa_causal_L_lt_S", lambda t, q, k, v: sdpa(t, q, k, v, is_causal=True), [(2, 3, 4, 4), K, V]),
    Op("sdpa_causal_L_gt_S", lambda t, q, k, v: sdpa(t, q, k, v, is_causal=True),
       [(2, 3, 7, 4), (2, 3, 4, 4), (2, 3, 4, 7)]),
    Op("sdpa_causal_3d", lambda t, q, k, v: sdpa(t, q, k, v, is_causal=True), [(3, 5, 4), (3, 5, 4), (3, 5, 2)]),
    Op("sdpa_scale", lambda t, q, k, v: sdpa(t, q, k, v, scale=0.3), [Q, K, V]),
    Op("sdpa_scale_mask", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m, scale=2.5), [Q, K, V, (5, 6)]),
    Op("sdpa_scale_causal", lambda t, q, k, v: sdpa(t, q, k, v, is_causal=True, scale=1.7), [Q, K, V]),
    # ---- grouped-query attention: key / value heads repeated to the query heads
    Op("sdpa_gqa", lambda t, q, k, v: sdpa(t, q, k, v, enable_gqa=True), [(2, 6, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3)]),
    Op("sdpa_gqa_kv_differ", lambda t, q, k, v: sdpa(t, q, k, v, enable_gqa=True),
       [(2, 6, 5, 4), (2, 3, 6, 4), (2, 1, 6, 3)]),
    Op("sdpa_gqa_same_heads", lambda t, q, k, v: sdpa(t, q, k, v, enable_gqa=True), [Q, K, V]),
    Op("sdpa_gqa_causal_mask", lambda t, q, k, v, m: sdpa(t, q, k, v, attn_mask=m, enable_gqa=True),
       [(2, 4, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), (5, 6)]),
    # ---- empty and degenerate sizes
    Op("sdpa_empty_L", lambda t, q, k, v: sdpa(t, q, k, v), [(2, 3, 0, 4), K, V]),
    Op("sdpa_empty_S", lambda t, q, k, v: sdpa(t, q, k, v), [Q, (2, 3, 0, 4), (2, 3, 0, 7)]),
    Op("sdpa_empty_batch", lambda t, q, k, v: sdpa(t, q, k, v), [(0, 3, 5, 4), (0, 3, 6, 4), (0, 3, 6, 7)]),
    Op("sdpa_zero_head_dim", lambda t, q, k, v: sdpa(t, q, k, v), [(2, 5, 0), (2, 6, 0), (2, 6, 3)]),
    Op("sdpa_one_key", lambda t, q, k, v: sdpa(t, q, k, v), [Q, (2, 3, 1, 4), (2, 3, 1, 7)]),
    Op("sdpa_dropout_p0", lambda t, q, k, v: sdpa(t, q, k, v, dropout_p=0.0), [Q, K, V]),
    # ---- sharp scores: the max-subtraction must keep the softmax finite
    Op("sdpa_large_scores", lambda t, q, k, v: sdpa(t, q * 30, k * 30, v), [Q, K, V], rtol=1e-6),
]
for c in CASES:
    c.atol = min(c.atol, ATOL)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_sdpa(case):
    check(case)


# ======================================================= SDPA: dropout, float32 and errors
def test_sdpa_dropout_keeps_the_mean_and_drops_about_p():
    gt.manual_seed(0)
    q = gt.zeros(4, 2, 64, 8)  # equal scores: every weight is 1/64
    v = gt.ones(4, 2, 64, 8)
    out = F(gt).scaled_dot_product_attention(q, q, v, dropout_p=0.25).numpy()
    # each output is (kept weights) / (1 - p): mean 1 over many draws
    assert abs(out.mean() - 1.0) < 0.03
    v1 = gt.eye(64).expand(4, 2, 64, 64)
    w = F(gt).scaled_dot_product_attention(gt.zeros(4, 2, 64, 64), gt.zeros(4, 2, 64, 64), v1, dropout_p=0.25)
    assert abs((w.numpy() == 0).mean() - 0.25) < 0.02


def test_sdpa_float32_matches_torch():
    torch.manual_seed(1)
    q, k, v = torch.randn(2, 4, 16, 8), torch.randn(2, 4, 20, 8), torch.randn(2, 4, 20, 8)
    m = torch.randn(16, 20)
    for kw in (dict(), dict(is_causal=True), dict(attn_mask=m), dict(attn_mask=m > 0)):
        if kw.get("is_causal"):
            a = torch.nn.functional.scaled_dot_product_attention(q, k[:, :, :16], v[:, :, :16], **kw)
            b = F(gt).scaled_dot_product_attention(*(gt.tensor(x.numpy()) for x in (q, k[:, :, :16], v[:, :, :16])),
                                                   **kw)
        else:
            gkw = {n: gt.tensor(x.numpy()) for n, x in kw.items()}
            a = torch.nn.functional.scaled_dot_product_attention(q, k, v, **kw)
            b = F(gt).scaled_dot_product_attention(*(gt.tensor(x.numpy()) for x in (q, k, v)), **gkw)
        assert b.dtype == gt.float32
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=2e-6)


def _raises_like_torch(fn, match=None):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(t_err.type, match=match):
        fn(gt)


@pytest.mark.parametrize("name,fn", [
    ("head_dims_differ", lambda t: F(t).scaled_dot_product_attention(t.randn(2, 3, 4), t.randn(2, 5, 3),
                                                                     t.randn(2, 5, 4))),
    ("mask_shape", lambda t: F(t).scaled_dot_product_attention(t.randn(2, 3, 4), t.randn(2, 5, 4), t.randn(2, 5, 4),
                                                               attn_mask=t.randn(3, 4))),
    ("causal_with_mask", lambda t: F(t).scaled_dot_product_attention(t.randn(2, 3, 4), t.randn(2, 3, 4),
                                                                     t.randn(2, 3, 4), attn_mask=t.randn(3, 3),
                                                                     is_causal=True)),
    ("dtype_mismatch", lambda t: F(t).scaled_dot_product_attention(t.randn(2, 3, 4), t.randn(2, 5, 4).double(),
                                                                   t.randn(2, 5, 4))),
])
def test_sdpa_errors(name, fn):
    _raises_like_torch(fn)


# ======================================================= MultiheadAttention, module against module
def _pair(kw, dtype=torch.float64):
    tm = torch.nn.MultiheadAttention(**kw).to(dtype)
    gm = gt.nn.MultiheadAttention(**kw)
    if dtype == torch.float64:
        gm = gm.double()
    gm.load_state_dict({k: gt.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    return tm, gm


def _compare_modules(tm, gm, t_inputs, kwargs_t, kwargs_g, atol=ATOL, t_call=None, g_call=None):
    """Same outputs, same gradients of the inputs and of every parameter. ``t_call``/``g_call``
    replace calling the modules directly (as self-attention passes one input three times)."""
    g_inputs = [gt.tensor(x.detach().numpy().copy(), requires_grad=x.requires_grad) for x in t_inputs]
    t_out, g_out = (t_call or tm)(*t_inputs, **kwargs_t), (g_call or gm)(*g_inputs, **kwargs_g)
    t_out = [o for o in (t_out if isinstance(t_out, tuple) else (t_out,)) if o is not None]
    g_out = [o for o in (g_out if isinstance(g_out, tuple) else (g_out,)) if o is not None]
    assert len(t_out) == len(g_out)
    gen = torch.Generator().manual_seed(0)
    t_loss = g_loss = 0
    for a, b in zip(t_out, g_out):
        assert tuple(b.shape) == tuple(a.shape)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=atol, rtol=0)
        w = torch.randn(a.shape, generator=gen, dtype=a.dtype)
        t_loss = t_loss + (a * w).sum()
        g_loss = g_loss + (b * gt.tensor(w.numpy())).sum()
    t_loss.backward()
    g_loss.backward()
    for a, b in zip(t_inputs, g_inputs):
        if a.requires_grad:
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=atol, rtol=0)
    g_params = dict(gm.named_parameters())
    assert list(g_params) == [n for n, _ in tm.named_parameters()]
    for n, p in tm.named_parameters():
        assert g_params[n].grad is not None, n
        np.testing.assert_allclose(g_params[n].grad.numpy(), p.grad.numpy(), atol=atol, rtol=0, err_msg=n)


def _r(*shape, grad=True):
    return torch.randn(shape, dtype=torch.float64, requires_grad=grad)


L_, S_, N_, E_ = 4, 6, 3, 8
MHA_CASES = [
    # (name, constructor kwargs, self-attention?, forward kwargs built from torch module t)
    ("self", dict(), True, lambda t: {}),
    ("cross", dict(), False, lambda t: {}),
    ("batch_first_self", dict(batch_first=True), True, lambda t: {}),
    ("batch_first_cross", dict(batch_first=True), False, lambda t: {}),
    ("kdim_vdim", dict(kdim=3, vdim=5), False, lambda t: {}),
    ("kdim_vdim_bf", dict(kdim=3, vdim=5, batch_first=True), False, lambda t: {}),
    ("no_bias", dict(bias=False), False, lambda t: {}),
    ("bias_kv", dict(add_bias_kv=True), False, lambda t: {}),
    ("zero_attn", dict(add_zero_attn=True), False, lambda t: {}),
    ("bias_kv_zero_attn_masks", dict(add_bias_kv=True, add_zero_attn=True), False,
     lambda t: dict(key_padding_mask=t.tensor([[False] * 5 + [True]] * 3), attn_mask=t.ones(L_, S_) * 0.5)),
    ("kpm_bool", dict(), False, lambda t: dict(key_padding_mask=t.tensor([[False, True, False, False, True, False],
                                                                         [False] * 6, [True] * 5 + [False]]))),
    ("kpm_float", dict(), False, lambda t: dict(key_padding_mask=t.linspace(-2, 1, N_ * S_, dtype=t.float64)
                                                  .reshape(N_, S_))),
    ("attn_mask_bool_2d", dict(), False, lambda t: dict(attn_mask=t.tensor([[False, True] * 3] * L_))),
    ("attn_mask_float_2d", dict(), False, lambda t: dict(attn_mask=t.linspace(-1, 1, L_ * S_, dtype=t.float64)
                                                           .reshape(L_, S_))),
    ("attn_mask_float_3d", dict(), False, lambda t: dict(attn_mask=t.linspace(-1, 1, N_ * 2 * L_ * S_,
                                                                              dtype=t.float64).reshape(N_ * 2, L_, S_))),
    ("attn_mask_bool_3d", dict(), False, lambda t: dict(attn_mask=t.arange(N_ * 2 * L_ * S_).reshape(N_ * 2, L_, S_)
                                                          % 3 == 0)),
    ("both_masks", dict(), False, lambda t: dict(attn_mask=t.linspace(-1, 1, L_ * S_, dtype=t.float64)
                                                   .reshape(L_, S_),
                                                   key_padding_mask=t.linspace(-1, 0, N_ * S_, dtype=t.float64)
                                                   .reshape(N_, S_))),
    ("no_weights", dict(), False, lambda t: dict(need_weights=False)),
    ("no_weights_masks", dict(), False, lambda t: dict(need_weights=False, attn_mask=t.tensor([[False, True] * 3] * L_),
                                                       key_padding_mask=t.tensor([[False] * 5 + [True]] * 3))),
    ("per_head_weights", dict(), False, lambda t: dict(average_attn_weights=False)),
    ("causal", dict(), True, lambda t: dict(is_causal=True, need_weights=False,
                                            attn_mask=t.triu(t.ones(L_, L_, dtype=t.bool), 1))),
    ("causal_with_weights", dict(), True, lambda t: dict(is_causal=True,
                                                         attn_mask=t.triu(t.ones(L_, L_, dtype=t.bool), 1))),
]


@pytest.mark.parametrize("name,kw,self_attn,fwd", MHA_CASES, ids=[c[0] for c in MHA_CASES])
def test_multihead_attention_matches_torch(name, kw, self_attn, fwd):
    torch.manual_seed(3)
    kw = dict(embed_dim=E_, num_heads=2, **kw)
    tm, gm = _pair(kw)
    bf = kw.get("batch_first", False)
    lead_q, lead_k = ((N_, L_) if bf else (L_, N_)), ((N_, S_) if bf else (S_, N_))
    if self_attn:  # one tensor as query, key and value: the packed projection's one-GEMM path
        t_inputs = [_r(*lead_q, E_)]
        _compare_modules(tm, gm, t_inputs, fwd(torch), fwd(gt), t_call=lambda x, **k: tm(x, x, x, **k),
                         g_call=lambda x, **k: gm(x, x, x, **k))
    else:
        t_inputs = [_r(*lead_q, E_), _r(*lead_k, kw.get("kdim", E_)), _r(*lead_k, kw.get("vdim", E_))]
        _compare_modules(tm, gm, t_inputs, fwd(torch), fwd(gt))


def test_multihead_attention_unbatched():
    torch.manual_seed(4)
    tm, gm = _pair(dict(embed_dim=E_, num_heads=2, kdim=3, vdim=5))
    _compare_modules(tm, gm, [_r(L_, E_), _r(S_, 3), _r(S_, 5)],
                     dict(key_padding_mask=torch.tensor([False, True] * 3)),
                     dict(key_padding_mask=gt.tensor([False, True] * 3)))
    tm, gm = _pair(dict(embed_dim=E_, num_heads=2))
    m = torch.linspace(-1, 1, 2 * L_ * S_, dtype=torch.float64).reshape(2, L_, S_)
    _compare_modules(tm, gm, [_r(L_, E_), _r(S_, E_), _r(S_, E_)], dict(attn_mask=m),
                     dict(attn_mask=gt.tensor(m.numpy())))


def test_multihead_attention_parameters_and_state_dict():
    for kw in (dict(), dict(kdim=3, vdim=5), dict(bias=False, add_bias_kv=True)):
        tm = torch.nn.MultiheadAttention(E_, 2, **kw)
        gm = gt.nn.MultiheadAttention(E_, 2, **kw)
        assert list(gm.state_dict()) == list(tm.state_dict())
        for k, v in tm.state_dict().items():
            assert tuple(gm.state_dict()[k].shape) == tuple(v.shape)
        assert repr(gm) == repr(tm)
        assert type(gm.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
        assert isinstance(gm.out_proj, gt.nn.Linear)
    gm = gt.nn.MultiheadAttention(E_, 2)
    assert gm.in_proj_bias.detach().numpy().any() == False  # noqa: E712  torch zeroes the biases
    assert gm.q_proj_weight is None and gm.in_proj_weight is not None


def test_multihead_attention_torch_checkpoint_float32(tmp_path):
    torch.manual_seed(5)
    tm = torch.nn.MultiheadAttention(E_, 4, kdim=6, vdim=6, batch_first=True)
    torch.save(tm.state_dict(), tmp_path / "mha.pt")
    gm = gt.nn.MultiheadAttention(E_, 4, kdim=6, vdim=6, batch_first=True)
    gm.load_state_dict(gt.load(tmp_path / "mha.pt"))
    q, kv = torch.randn(2, 5, E_), torch.randn(2, 7, 6)
    a, wa = tm(q, kv, kv)
    b, wb = gm(gt.tensor(q.numpy()), gt.tensor(kv.numpy()), gt.tensor(kv.numpy()))
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(wb.detach().numpy(), wa.detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("name,fn", [
    ("not_divisible", lambda t: t.nn.MultiheadAttention(10, 3)),
    ("query_4d", lambda t: t.nn.MultiheadAttention(8, 2)(t.randn(2, 3, 4, 8), t.randn(2, 3, 4, 8),
                                                         t.randn(2, 3, 4, 8))),
    ("wrong_embed", lambda t: t.nn.MultiheadAttention(8, 2)(t.randn(4, 3, 6), t.randn(5, 3, 6), t.randn(5, 3, 6))),
    ("mask_2d_shape", lambda t: t.nn.MultiheadAttention(8, 2)(t.randn(4, 3, 8), t.randn(5, 3, 8), t.randn(5, 3, 8),
                                                              attn_mask=t.zeros(4, 4))),
    ("mask_3d_shape", lambda t: t.nn.MultiheadAttention(8, 2)(t.randn(4, 3, 8), t.randn(5, 3, 8), t.randn(5, 3, 8),
                                                              attn_mask=t.zeros(3, 4, 5))),
    ("kpm_shape", lambda t: t.nn.MultiheadAttention(8, 2)(t.randn(4, 3, 8), t.randn(5, 3, 8), t.randn(5, 3, 8),
                                                          key_padding_mask=t.zeros(3, 4, dtype=t.bool))),
    ("kpm_rank", lambda t: t.nn.MultiheadAttention(8, 2)(t.randn(4, 3, 8), t.randn(5, 3, 8), t.randn(5, 3, 8),
                                                         key_padding_mask=t.zeros(5, dtype=t.bool))),
    ("causal_without_mask", lambda t: t.nn.MultiheadAttention(8, 2)(t.randn(4, 3, 8), t.randn(4, 3, 8),
                                                                    t.randn(4, 3, 8), is_causal=True)),
    ("int_mask", lambda t: t.nn.MultiheadAttention(8, 2)(t.randn(4, 3, 8), t.randn(5, 3, 8), t.randn(5, 3, 8),
                                                         attn_mask=t.zeros(4, 5, dtype=t.int64))),
])
def test_multihead_attention_errors(name, fn):
    _raises_like_torch(fn)
