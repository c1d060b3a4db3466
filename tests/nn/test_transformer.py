"""Transformer layers against torch in float64: outputs and every parameter's gradient, with
torch's weights copied in (dropout 0), over norm_first, activations, masks of each kind,
batch_first, unbatched input; torch checkpoints loaded in float32; submodule names; errors."""
import numpy as np
import pytest
import torch

import glasstorch as gt

ATOL = 1e-10
D, H, FF = 8, 2, 16


def to_gt(x):
    return gt.tensor(x.detach().numpy().copy(), requires_grad=x.requires_grad)


def make(cls, *args, dtype=torch.float64, **kw):
    """The torch module, built with torch's classes, and ours from the same arguments and weights."""
    def build(t):
        conv = {k: (v(t) if callable(v) and getattr(v, "__name__", "") == "<lambda>" else v) for k, v in kw.items()}
        return getattr(t.nn, cls)(*[a(t) if callable(a) else a for a in args], **conv)
    tm = build(torch).to(dtype)
    gm = build(gt)
    if dtype == torch.float64:
        gm = gm.double()
    assert list(gm.state_dict()) == list(tm.state_dict())
    gm.load_state_dict({k: gt.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    return tm, gm


def compare(tm, gm, inputs, t_kw=None, g_kw=None, atol=ATOL):
    g_inputs = [to_gt(x) for x in inputs]
    a = tm(*inputs, **(t_kw or {}))
    b = gm(*g_inputs, **(g_kw or {}))
    assert tuple(b.shape) == tuple(a.shape)
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=atol, rtol=0)
    w = torch.randn(a.shape, dtype=a.dtype, generator=torch.Generator().manual_seed(0))
    (a * w).sum().backward()
    (b * gt.tensor(w.numpy())).sum().backward()
    for x, y in zip(inputs, g_inputs):
        np.testing.assert_allclose(y.grad.numpy(), x.grad.numpy(), atol=atol, rtol=0)
    g_params = dict(gm.named_parameters())
    for n, p in tm.named_parameters():
        assert g_params[n].grad is not None, n
        np.testing.assert_allclose(g_params[n].grad.numpy(), p.grad.numpy(), atol=atol, rtol=0, err_msg=n)


def r(*shape):
    return torch.randn(shape, dtype=torch.float64, requires_grad=True)


def masks(t, L, S, N, kinds):
    """Masks built the same way on either framework."""
    out = {}
    if "mask_float" in kinds:
        out[kinds["mask_float"]] = t.linspace(-1, 1, L * S, dtype=t.float64).reshape(L, S)
    if "mask_bool" in kinds:
        out[kinds["mask_bool"]] = t.arange(L * S).reshape(L, S) % 4 == 1
    if "causal" in kinds:
        out[kinds["causal"]] = t.nn.Transformer.generate_square_subsequent_mask(L, dtype=t.float64)
    if "kpm_bool" in kinds:
        out[kinds["kpm_bool"]] = t.arange(N * S).reshape(N, S) % S >= S - 1
    if "kpm_float" in kinds:
        out[kinds["kpm_float"]] = t.linspace(-1, 0, N * S, dtype=t.float64).reshape(N, S)
    if "is_causal" in kinds:
        out[kinds["is_causal"]] = True
    return out


LAYER_OPTS = dict(dim_feedforward=FF, dropout=0.0)
ENCODER_CASES = [
    ("post_norm", {}, {}),
    ("pre_norm", dict(norm_first=True), {}),
    ("gelu", dict(activation="gelu"), {}),
    ("callable_activation", dict(activation=lambda t: t.nn.functional.silu), {}),
    ("module_activation", dict(activation=lambda t: t.nn.Tanh()), {}),
    ("no_bias", dict(bias=False), {}),
    ("eps", dict(layer_norm_eps=1e-3), {}),
    ("batch_first", dict(batch_first=True), {}),
    ("src_mask_float", {}, dict(mask_float="src_mask")),
    ("src_mask_bool", {}, dict(mask_bool="src_mask")),
    ("kpm_bool", {}, dict(kpm_bool="src_key_padding_mask")),
    ("kpm_float", dict(norm_first=True), dict(kpm_float="src_key_padding_mask")),
    ("causal_mask_and_flag", {}, dict(causal="src_mask", is_causal="is_causal")),
    ("mask_and_kpm", dict(batch_first=True), dict(mask_float="src_mask", kpm_float="src_key_padding_mask")),
]


@pytest.mark.parametrize("name,opts,mask_kinds", ENCODER_CASES, ids=[c[0] for c in ENCODER_CASES])
def test_encoder_layer(name, opts, mask_kinds):
    torch.manual_seed(0)
    tm, gm = make("TransformerEncoderLayer", D, H, **LAYER_OPTS, **opts)
    S, N = 5, 3
    x = r(N, S, D) if opts.get("batch_first") else r(S, N, D)
    compare(tm, gm, [x], masks(torch, S, S, N, mask_kinds), masks(gt, S, S, N, mask_kinds))


def test_encoder_layer_unbatched():
    torch.manual_seed(1)
    tm, gm = make("TransformerEncoderLayer", D, H, **LAYER_OPTS)
    compare(tm, gm, [r(5, D)], dict(src_key_padding_mask=torch.tensor([False] * 4 + [True])),
            dict(src_key_padding_mask=gt.tensor([False] * 4 + [True])))


DECODER_CASES = [
    ("post_norm", {}, {}),
    ("pre_norm", dict(norm_first=True), {}),
    ("gelu_batch_first", dict(activation="gelu", batch_first=True), {}),
    ("tgt_causal", {}, dict(causal="tgt_mask", is_causal="tgt_is_causal")),
    ("tgt_mask_bool", {}, dict(mask_bool="tgt_mask")),
    ("tgt_kpm", dict(norm_first=True), dict(kpm_bool="tgt_key_padding_mask")),
]


@pytest.mark.parametrize("name,opts,mask_kinds", DECODER_CASES, ids=[c[0] for c in DECODER_CASES])
def test_decoder_layer(name, opts, mask_kinds):
    torch.manual_seed(2)
    tm, gm = make("TransformerDecoderLayer", D, H, **LAYER_OPTS, **opts)
    T, S, N = 4, 6, 3
    bf = opts.get("batch_first")
    tgt, mem = (r(N, T, D), r(N, S, D)) if bf else (r(T, N, D), r(S, N, D))
    t_kw, g_kw = masks(torch, T, T, N, mask_kinds), masks(gt, T, T, N, mask_kinds)
    # memory masks too: a float attention mask and a bool padding mask over the memory
    t_kw.update(memory_mask=torch.linspace(-1, 1, T * S, dtype=torch.float64).reshape(T, S),
                memory_key_padding_mask=torch.arange(N * S).reshape(N, S) % S == 0)
    g_kw.update(memory_mask=gt.linspace(-1, 1, T * S, dtype=gt.float64).reshape(T, S),
                memory_key_padding_mask=gt.arange(N * S).reshape(N, S) % S == 0)
    compare(tm, gm, [tgt, mem], t_kw, g_kw)


@pytest.mark.parametrize("norm", [False, True])
def test_encoder_stack(norm):
    torch.manual_seed(3)
    tl, gl = make("TransformerEncoderLayer", D, H, **LAYER_OPTS, batch_first=True)
    tm = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(D) if norm else None,
                                     enable_nested_tensor=False).double()
    gm = gt.nn.TransformerEncoder(gl, 2, norm=gt.nn.LayerNorm(D) if norm else None).double()
    assert list(gm.state_dict()) == list(tm.state_dict())
    gm.load_state_dict({k: gt.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    # the copies are independent parameters
    assert gm.layers[0].linear1.weight is not gm.layers[1].linear1.weight
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    mask_g = gt.nn.Transformer.generate_square_subsequent_mask(5, dtype=gt.float64)
    compare(tm, gm, [r(3, 5, D)], dict(mask=mask_t, src_key_padding_mask=torch.tensor([[False] * 4 + [True]] * 3)),
            dict(mask=mask_g, src_key_padding_mask=gt.tensor([[False] * 4 + [True]] * 3)))


def test_decoder_stack():
    torch.manual_seed(4)
    tl, gl = make("TransformerDecoderLayer", D, H, **LAYER_OPTS, norm_first=True)
    tm = torch.nn.TransformerDecoder(tl, 2, norm=torch.nn.LayerNorm(D)).double()
    gm = gt.nn.TransformerDecoder(gl, 2, norm=gt.nn.LayerNorm(D)).double()
    gm.load_state_dict({k: gt.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    m_t = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    m_g = gt.nn.Transformer.generate_square_subsequent_mask(4, dtype=gt.float64)
    compare(tm, gm, [r(4, 2, D), r(6, 2, D)], dict(tgt_mask=m_t), dict(tgt_mask=m_g))


@pytest.mark.parametrize("opts", [dict(), dict(batch_first=True, norm_first=True, activation="gelu")], ids=str)
def test_full_transformer(opts):
    torch.manual_seed(5)
    tm, gm = make("Transformer", d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=2, **LAYER_OPTS,
                  **opts)
    bf = opts.get("batch_first")
    src, tgt = (r(2, 6, D), r(2, 4, D)) if bf else (r(6, 2, D), r(4, 2, D))
    m_t = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    m_g = gt.nn.Transformer.generate_square_subsequent_mask(4, dtype=gt.float64)
    kpm_t, kpm_g = torch.tensor([[False] * 5 + [True]] * 2), gt.tensor([[False] * 5 + [True]] * 2)
    compare(tm, gm, [src, tgt], dict(tgt_mask=m_t, src_key_padding_mask=kpm_t, memory_key_padding_mask=kpm_t),
            dict(tgt_mask=m_g, src_key_padding_mask=kpm_g, memory_key_padding_mask=kpm_g))


def test_generate_square_subsequent_mask():
    for dtype_t, dtype_g in ((None, None), (torch.float64, gt.float64)):
        a = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=dtype_t)
        b = gt.nn.Transformer.generate_square_subsequent_mask(5, dtype=dtype_g)
        assert str(b.dtype).split(".")[-1] == str(a.dtype).split(".")[-1]
        np.testing.assert_array_equal(b.numpy(), a.numpy())


def test_torch_checkpoint_loads_float32(tmp_path):
    torch.manual_seed(6)
    kw = dict(d_model=D, nhead=H, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=FF, dropout=0.0,
              batch_first=True)
    tm = torch.nn.Transformer(**kw)
    torch.save(tm.state_dict(), tmp_path / "transformer.pt")
    gm = gt.nn.Transformer(**kw)
    gm.load_state_dict(gt.load(tmp_path / "transformer.pt"))
    src, tgt = torch.randn(2, 6, D), torch.randn(2, 4, D)
    a = tm(src, tgt)
    b = gm(gt.tensor(src.numpy()), gt.tensor(tgt.numpy()))
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=1e-5)
    assert repr(gm) == repr(tm)


def test_default_init_is_xavier_for_matrices():
    gm = gt.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32)
    w = gm.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and w.std() > bound / 3


def raises_like_torch(fn, match=None):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(t_err.type, match=match):
        fn(gt)


def test_errors():
    raises_like_torch(lambda t: t.nn.TransformerEncoderLayer(D, H, activation="swish"), "relu/gelu")
    raises_like_torch(lambda t: t.nn.TransformerEncoderLayer(10, 3))
    raises_like_torch(lambda t: t.nn.Transformer(D, H, 1, 1, FF)(t.randn(5, 2, D), t.randn(4, 3, D)),
                      "batch number")
    raises_like_torch(lambda t: t.nn.Transformer(D, H, 1, 1, FF)(t.randn(5, 2, D), t.randn(4, 2, 6)),
                      "feature number")
    raises_like_torch(lambda t: t.nn.TransformerEncoderLayer(D, H, FF)(t.randn(5, 2, D), src_mask=t.zeros(4, 4)))
