"""Attention: ``scaled_dot_product_attention`` (one fused primitive) and ``multi_head_attention_forward``.

``ScaledDotProductAttention`` is a single graph node. Its forward runs, on the raw arrays,

    scores = q @ k^T * scale (+ mask)         one batched GEMM, then one in-place pass
    p = softmax(scores, -1)                   row by row, max-subtracted, in place
    out = dropout(p) @ v                      one batched GEMM

and saves ``p`` (the weights before dropout) and the dropout mask. Its backward is

    dv = p^T @ g,  dp = g @ v^T,  ds = p * (dp - sum(dp * p, -1)),
    dq = ds @ k * scale,  dk = ds^T @ q * scale,  dmask = ds

(with ``p`` replaced by its dropped-out version in ``dv``, and ``dp`` multiplied by the
dropout mask). A composite of matmul, softmax and mul would give the same numbers; the
fused node exists for speed: the (L, S) score matrix, the largest array by far, is written
once and then only updated in place, and the softmax and its gradient are each one pass
over it (a compiled kernel when Numba is there, see ``glasstorch._compiled``) instead of
five or six NumPy passes with a temporary each.

Gradients are not un-broadcast here: ``dq``, ``dk``, ``dv`` and ``dmask`` have the full
broadcast batch shape and the engine sums them down to each input's shape, as for every op.

Double backward. The fast backward works on arrays, so it is not itself differentiable.
When the engine runs backward with ``create_graph=True`` (the only time grad mode is on
inside a backward), the node instead recomputes the weights from q, k and the mask with
glasstorch ops and writes the same formulas with glasstorch ops, so the gradient is a
graph of its own and second derivatives are exact. That costs a second forward, but
only for the rare double-backward pass.

Fully masked rows (every key masked out) give zero weights, zero output and zero
gradients, as torch 2.13 does on the CPU (not NaN).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _compiled, _parallel
from .. import random as _random
from .._tensor import Tensor
from ..autograd.function import _Primitive
from ..autograd.grad_mode import _state
from . import reduction as _red
from .elementwise import add, mul, sub, where
from .linalg import baddbmm, bmm, matmul
from .nn_misc import _C_NAMES, dropout, linear
from .padding import pad
from .shape import _broadcast_pair, cat, expand, reshape, transpose, unsqueeze

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


# ============================================================ the softmax passes
# Plain loops over rows of a 2-D (rows, S) array, compiled by Numba on first use (see
# _kernels). Row r is query position r % L of its matrix; with ``causal`` it sees keys
# 0..r % L only (torch's upper-left aligned tril).
def _softmax_rows(s, lo, hi, scale, L, causal, f32):
    """In place: s[r] = softmax(s[r] * scale) for rows lo..hi; a row with no finite score becomes 0."""
    S = s.shape[1]
    for r in range(lo, hi):
        row = s[r]
        n = min(S, r % L + 1) if causal else S
        m = -np.inf
        for j in range(n):
            t = row[j] * scale
            row[j] = t
            m = max(m, t)
        if m == -np.inf:
            for j in range(S):
                row[j] = 0
            continue
        total = 0.0
        if f32:
            for j in range(n):
                e = _exp_f32(row[j] - m)
                row[j] = e
                total += e
        else:
            for j in range(n):
                e = np.exp(row[j] - m)
                row[j] = e
                total += e
        inv = 1.0 / total
        for j in range(n):
            row[j] *= inv
        for j in range(n, S):
            row[j] = 0


def _softmax_grad_rows(dp, p, lo, hi, scale):
    """In place: dp[r] = p[r] * (dp[r] - sum(dp[r] * p[r])) * scale for rows lo..hi."""
    S = dp.shape[1]
    for r in range(lo, hi):
        a = dp[r]
        b = p[r]
        dot = 0.0
        for j in range(S):
            dot += a[j] * b[j]
        for j in range(S):
            a[j] = b[j] * (a[j] - dot) * scale


_exp_f32 = None  # the compiled float32 exp for arguments <= 0, set by _kernels
_built = None    # (softmax, softmax_grad) once compiled


def _kernels(x: np.ndarray):
    """The compiled row passes for ``x``, or None (no Numba, switched off, or ``x`` too small)."""
    global _built, _exp_f32
    kernels = _compiled.for_array(x)
    if kernels is None or not x.flags.c_contiguous:
        return None
    if _built is None:
        import numba
        _exp_f32 = kernels._exp_nonpositive_f32
        # The options of glasstorch._compiled.kernels; reassoc lets the row sums vectorize.
        opts = dict(nogil=True, cache=True, error_model="numpy", fastmath={"contract", "reassoc"})
        _built = (numba.njit(**opts)(_softmax_rows), numba.njit(**opts)(_softmax_grad_rows))
    return _built


def _softmax_block(s3: np.ndarray, scale: float, causal: bool) -> None:
    """NumPy twin of ``_softmax_rows`` on a (n, L, S) block, in place."""
    if scale != 1.0:
        s3 *= s3.dtype.type(scale)
    L, S = s3.shape[1:]
    if causal:
        np.copyto(s3, -np.inf, where=np.triu(np.ones((L, S), bool), 1))
    m = s3.max(-1, keepdims=True) if S else np.zeros(s3.shape[:-1] + (1,), s3.dtype)
    dead = m == -np.inf
    any_dead = dead.any()
    if any_dead:
        m[dead] = 0  # exp(-inf - 0) = 0: the row sums to 0 and stays 0 below
    s3 -= m
    np.exp(s3, out=s3)
    total = s3.sum(-1, keepdims=True)
    if any_dead or not S:
        total[total == 0] = 1
    s3 /= total


def _softmax(s: np.ndarray, scale: float, causal: bool) -> None:
    """Scaled (and causally masked) softmax over the last dim of ``s``, in place, on all cores."""
    if not s.size:
        return
    L, S = s.shape[-2:]
    rows = s.reshape(-1, S)
    kern = _kernels(s)
    if kern is not None:
        fn, f32 = kern[0], s.dtype == np.float32
        _parallel.split(lambda lo, hi: fn(rows, lo, hi, scale, L, causal, f32), rows.shape[0], s.size)
        return
    s3 = s.reshape(-1, L, S)
    _parallel.split(lambda lo, hi: _softmax_block(s3[lo:hi], scale, causal), s3.shape[0], s.size)


def _softmax_grad(dp: np.ndarray, p: np.ndarray, scale: float) -> None:
    """``dp = p * (dp - sum(dp * p, -1)) * scale`` in place: the gradient through the softmax."""
    if not dp.size:
        return
    S = dp.shape[-1]
    kern = _kernels(dp)
    if kern is not None and p.flags.c_contiguous:
        fn, a, b = kern[1], dp.reshape(-1, S), p.reshape(-1, S)
        _parallel.split(lambda lo, hi: fn(a, b, lo, hi, scale), a.shape[0], dp.size)
        return
    a, b = dp.reshape(-1, S), p.reshape(-1, S)

    def block(lo, hi):
        x, y = a[lo:hi], b[lo:hi]
        dot = np.einsum("ij,ij->i", x, y)[:, None]
        x -= dot
        x *= y
        if scale != 1.0:
            x *= x.dtype.type(scale)

    _parallel.split(block, a.shape[0], dp.size)


def _swap(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _matmul_c(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` into a fresh C-contiguous array. np.matmul alone lays its output out like its
    inputs (order K), and the in-place softmax passes need rows they can reshape without a copy."""
    out = np.empty(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1]),
                   np.result_type(a, b))
    return np.matmul(a, b, out=out)


# ==================================================================== the node
class ScaledDotProductAttention(_Primitive):
    """``dropout(softmax(q @ k^T * scale + mask)) @ v``; see the module docstring.

    ``mask`` is None, a bool Tensor (True = take part) or a float Tensor (added);
    ``scaled_dot_product_attention`` has checked every shape and dtype.
    """

    @staticmethod
    def forward(ctx, query, key, value, mask, scale, causal, dropout_p):
        q, k, v = query._data, key._data, value._data
        s = _matmul_c(q, _swap(k))
        kernel_scale = scale
        if mask is not None:
            # The scale goes first (torch: q @ k^T * scale + mask); the kernel then only normalizes.
            s *= s.dtype.type(scale)
            kernel_scale = 1.0
            m = mask._data
            if m.dtype == np.bool_:
                np.copyto(s, -np.inf, where=~m)
            else:
                s += m
        _softmax(s, kernel_scale, causal)
        p = s
        drop = None
        if dropout_p > 0:
            keep = _random._rng().random(p.shape, dtype=np.float32) >= np.float32(dropout_p)
            factor = 0.0 if dropout_p >= 1 else 1.0 / (1.0 - dropout_p)
            drop = np.where(keep, p.dtype.type(factor), p.dtype.type(0))
            out = np.matmul(p * drop, v)
        else:
            out = np.matmul(p, v)
        ctx.scale, ctx.causal = scale, causal
        ctx.save_for_backward(query, key, value, mask, Tensor._make(p),
                              None if drop is None else Tensor._make(drop))
        return out

    @staticmethod
    def backward(ctx, grad):
        q, k, v, mask, p, drop = ctx.saved_tensors
        if _state.enabled:  # create_graph=True: a differentiable backward
            return _backward_graph(ctx, grad, q, k, v, mask, drop)
        need_q, need_k, need_v, need_m = ctx.needs_input_grad[:4]
        need_m = need_m and mask._data.dtype != np.bool_
        scale = ctx.scale
        g, P = grad._data, p._data
        D = None if drop is None else drop._data
        dq = dk = dv = dm = None
        if need_v:
            dv = np.matmul(_swap(P if D is None else P * D), g)
        if need_q or need_k or need_m:
            ds = _matmul_c(g, _swap(v._data))
            if D is not None:
                ds *= D
            # The mask's gradient is ds itself: fold the scale into ds only when it is not needed.
            fold = 1.0 if need_m else scale
            _softmax_grad(ds, P, fold)
            if need_q:
                dq = np.matmul(ds, k._data)
                if fold != scale:
                    dq *= dq.dtype.type(scale)
            if need_k:
                dk = np.matmul(_swap(ds), q._data)
                if fold != scale:
                    dk *= dk.dtype.type(scale)
            if need_m:
                dm = ds
        wrap = Tensor._make
        return (None if dq is None else wrap(dq), None if dk is None else wrap(dk),
                None if dv is None else wrap(dv), None if dm is None else wrap(dm), None, None, None)


def _backward_graph(ctx, grad, q, k, v, mask, drop):
    """The backward written with glasstorch ops (recomputing the weights), for double backward."""
    scale, causal = ctx.scale, ctx.causal
    s = mul(matmul(q, transpose(k, -2, -1)), scale)
    L, S = s._data.shape[-2:]
    allowed = None
    if mask is not None and mask._data.dtype == np.bool_:
        allowed = mask._data
    elif mask is not None:
        s = add(s, mask)
    if causal:
        tril = np.tril(np.ones((L, S), bool))
        allowed = tril if allowed is None else allowed & tril
    if allowed is not None:
        s = where(Tensor._make(np.broadcast_to(allowed, s._data.shape)), s,
                  Tensor._make(np.asarray(-np.inf, s._data.dtype)))
    # Rows with no finite score would give NaN in softmax; they are zero in the forward.
    alive = np.isfinite(s._data).any(-1, keepdims=True) if S else np.zeros(s._data.shape[:-1] + (1,), bool)
    if not alive.all():
        s = where(Tensor._make(np.broadcast_to(alive, s._data.shape)), s, Tensor._make(np.zeros((), s._data.dtype)))
    p = _red.softmax(s, -1)
    if not alive.all():
        p = mul(p, Tensor._make(alive.astype(s._data.dtype)))
    pd = p if drop is None else mul(p, drop)
    need_q, need_k, need_v, need_m = ctx.needs_input_grad[:4]
    dq = dk = dv = dm = None
    if need_v:
        dv = matmul(transpose(pd, -2, -1), grad)
    if need_q or need_k or need_m:
        dp = matmul(grad, transpose(v, -2, -1))
        if drop is not None:
            dp = mul(dp, drop)
        ds = mul(p, sub(dp, _red.sum(mul(dp, p), -1, keepdim=True)))
        if need_q:
            dq = mul(matmul(ds, k), scale)
        if need_k:
            dk = mul(matmul(transpose(ds, -2, -1), q), scale)
        if need_m and mask._data.dtype != np.bool_:
            dm = ds
    return dq, dk, dv, dm, None, None, None


# ============================================================ the functional form
def _name(dt: np.dtype) -> str:
    return _C_NAMES.get(dt.name, dt.name)


# c10's ScalarType names, for torch's wording of a non-float input.
_SCALAR_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _check_sdpa(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask, is_causal: bool) -> None:
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_name(q.dtype)} key.dtype: {_name(k.dtype)} and value.dtype: {_name(v.dtype)} instead.")
    if q.dtype.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {_SCALAR_NAMES.get(q.dtype.name, q.dtype.name)}")
    if mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        if q.ndim == 2 and k.ndim == 2 and q.shape[-1] != k.shape[-1]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({q.shape[0]}x{q.shape[1]} and "
                               f"{k.shape[1]}x{k.shape[0]})")
        n = math.prod(k.shape[:-2])
        want, got = ((q.shape[-1], k.shape[-1]) if q.shape[-1] != k.shape[-1] else (k.shape[-2], v.shape[-2]))
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {want}] but got: "
                           f"[{n}, {got}].")
    if mask is not None:
        m = mask._data
        if m.dtype != np.bool_ and m.dtype != np.float32 and m.dtype != q.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_name(m.dtype)} and  query.dtype: {_name(q.dtype)} instead.")


def _repeat_heads(x: Tensor, n: int) -> Tensor:
    """``x.repeat_interleave(n, dim=-3)``, from views and one reshape (differentiable)."""
    shape = x._data.shape
    y = expand(unsqueeze(x, -3), shape[:-3] + (shape[-3], n) + shape[-2:])
    return reshape(y, shape[:-3] + (shape[-3] * n,) + shape[-2:])


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, with optional dropout on the weights.

    Args:
        query: ``(..., L, E)``.
        key: ``(..., S, E)``.
        value: ``(..., S, Ev)``. The leading dims of all three broadcast.
        attn_mask: a bool mask (True: the position takes part) or a float mask added to the
            scores; it broadcasts to ``(..., L, S)``.
        dropout_p: probability of zeroing each attention weight (drawn from glasstorch's
            global generator). Applied whenever it is > 0, as in torch: pass 0 in eval mode.
        is_causal: mask out keys after each query, ``tril(ones(L, S))`` (upper-left aligned);
            an error together with ``attn_mask``.
        scale: the score scale; default ``1 / sqrt(E)``.
        enable_gqa: grouped-query attention: key and value heads (dim -3) are each repeated
            to the number of query heads, which they must divide.

    Shape:
        output: ``(..., L, Ev)``. Queries that can see no key give zeros.

    Example::

        >>> q = k = v = glasstorch.randn(2, 4, 16, 8)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        glasstorch.Size([2, 4, 16, 8])
    """
    q, k, v = query._data, key._data, value._data
    _check_sdpa(q, k, v, attn_mask, is_causal)
    if enable_gqa and q.ndim >= 3:
        hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        if hk != hq:
            key = _repeat_heads(key, hq // hk)
        if hv != hq:
            value = _repeat_heads(value, hq // hv)
        k, v = key._data, value._data
    batch = _broadcast_pair(_broadcast_pair(q.shape[:-2], k.shape[:-2]), v.shape[:-2])
    if attn_mask is not None:
        out_shape = batch + (q.shape[-2], k.shape[-2])
        full = _broadcast_pair(out_shape, attn_mask._data.shape)
        if full != out_shape:
            raise RuntimeError(f"output with shape {list(out_shape)} doesn't match the broadcast shape {list(full)}")
    if not q.shape[-1]:
        scale = 1.0  # empty dot products: every score is 0 whatever the scale (torch: uniform weights)
    elif scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    if not dropout_p > 0:
        dropout_p = 0.0
    elif dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    return ScaledDotProductAttention.apply(query, key, value, attn_mask, float(scale), bool(is_causal),
                                           float(dropout_p))


# ================================================================ multi-head attention
def _dtype_of(t: Tensor | None):
    if t is None:
        return None
    if isinstance(t, Tensor):
        return t._data.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask: Tensor | None, mask_name: str, other_type, other_name: str, target_type: np.dtype,
                    check_other: bool = True) -> Tensor | None:
    """A bool mask (True: masked out) as a float mask of 0 and -inf; float masks are returned as they are."""
    if mask is None:
        return None
    m = mask._data
    if m.dtype != np.bool_ and m.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and m.dtype != other_type:
        import warnings
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if m.dtype == np.bool_:
        return Tensor._make(np.where(m, target_type.type(-np.inf), target_type.type(0)))
    return mask


def _mha_shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask, attn_mask, num_heads: int) -> bool:
    """Checks the dims of the inputs and masks as torch does; returns whether the input is batched."""
    qd = query.dim()
    if qd not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query tensor")
    kind = "batched (3-D)" if qd == 3 else "unbatched (2-D)"
    if key.dim() != qd or value.dim() != qd:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {qd}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != qd - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {qd - 1}-D but "
                             f"found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        if qd == 2 and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
    return qd == 3


def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None = None) -> list:
    """The q, k, v projections with one packed ``(3E, E)`` weight: one GEMM for self-attention,
    two for encoder-decoder attention (k is v), three otherwise."""
    E = q.size(-1)
    if k is v:
        if q is k:
            return list(linear(q, w, b).chunk(3, dim=-1))
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        return [linear(q, w_q, b_q)] + list(linear(k, w_kv, b_kv).chunk(2, dim=-1))
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return [linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)]


def _in_projection(q: Tensor, k: Tensor, v: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor,
                   b_q: Tensor | None = None, b_k: Tensor | None = None, b_v: Tensor | None = None) -> list:
    """The q, k, v projections with separate weights (``kdim`` / ``vdim`` differ from ``embed_dim``)."""
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    for name, t, want in (("query weights", w_q, (Eq, Eq)), ("key weights", w_k, (Eq, Ek)),
                          ("value weights", w_v, (Eq, Ev)), ("query bias", b_q, (Eq,)), ("key bias", b_k, (Eq,)),
                          ("value bias", b_v, (Eq,))):
        if t is not None and tuple(t.shape) != want:
            raise AssertionError(f"expecting {name} shape of {want}, but got {t.shape}")
    return [linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)]


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None, bias_v: Tensor | None,
        add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
        training: bool = True, key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None, static_v: Tensor | None = None,
        average_attn_weights: bool = True, is_causal: bool = False) -> tuple:
    """The forward of :class:`~glasstorch.nn.MultiheadAttention`, with its weights passed in.

    Masks follow torch's MHA convention: in a bool ``key_padding_mask`` or ``attn_mask``, True
    means *masked out*; float masks are added to the scores. With ``need_weights=False`` the
    attention runs through :func:`scaled_dot_product_attention`; with ``need_weights=True`` it is
    written out (scores, softmax, dropout, product) so that the weights can be returned, as in
    torch. Then a query whose keys are all masked gets NaN, as in torch.

    Shape:
        query ``(L, N, E)`` or ``(L, E)``; key ``(S, N, Ek)``, value ``(S, N, Ev)`` (or 2-D);
        key_padding_mask ``(N, S)`` or ``(S)``; attn_mask ``(L, S)`` or ``(N * num_heads, L, S)``.
        Returns ``attn_output`` ``(L, N, E)`` and the weights, ``(N, L, S)`` averaged over heads
        or ``(N, num_heads, L, S)`` (``None`` with ``need_weights=False``); unbatched inputs
        drop the N dim.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    dt = query._data.dtype
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _dtype_of(attn_mask), "attn_mask", dt)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        # The hint replaces the mask: SDPA builds the causal mask itself.
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dt, check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is not causal any more

    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            missing = next(n for n, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight))
                           if w is None)
            raise AssertionError(f"use_separate_proj_weight is True but {missing}_proj_weight is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # (L, N, E) -> (N * heads, L, head_dim): each head is one batch entry.
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _static_or_heads(k, static_k, bsz * num_heads, head_dim, "static_k")
    v = _static_or_heads(v, static_v, bsz * num_heads, head_dim, "static_v")

    if add_zero_attn:
        zeros = Tensor._make(np.zeros((bsz * num_heads, 1, head_dim), dtype=k._data.dtype))
        k = cat([k, zeros], dim=1)
        v = cat([v, Tensor._make(np.zeros((bsz * num_heads, 1, head_dim), dtype=v._data.dtype))], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

    src_len = k.size(1)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = (key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
                            .reshape(bsz * num_heads, 1, src_len))
        attn_mask = key_padding_mask if attn_mask is None else add(attn_mask, key_padding_mask)

    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = mul(q, math.sqrt(1.0 / float(head_dim)))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        kt = k.transpose(-2, -1)
        weights = baddbmm(attn_mask, q_scaled, kt) if attn_mask is not None else bmm(q_scaled, kt)
        weights = _red.softmax(weights, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, out_proj_weight.shape[0])
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, out_proj_weight.shape[0])
    if not is_batched:
        out = out.squeeze(1)
    return out, None


def _static_or_heads(x: Tensor, static: Tensor | None, n: int, head_dim: int, name: str) -> Tensor:
    """(S, N, E) -> (N * heads, S, head_dim), or the given static keys / values, checked."""
    if static is None:
        return x.reshape(x.shape[0], n, head_dim).transpose(0, 1)
    if static.size(0) != n:
        raise AssertionError(f"expecting {name}.size(0) of {n}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static
