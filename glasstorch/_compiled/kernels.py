"""The compiled kernels: plain loops that Numba turns into vectorized machine code.

Read each one as the NumPy expression in its docstring, computed element by element.
Every kernel writes into an array given by its caller (the first argument), runs on one
thread, and releases the GIL (``nogil``), so that ``glasstorch._parallel`` can run it on
several blocks of an array at once, as it does NumPy passes.

Compilation options, and why:

* ``error_model="numpy"``: a division by zero gives inf, as in NumPy. (Python's model
  checks every division, and that branch keeps the loop from being vectorized.)
* ``fastmath={"contract"}``: a multiply and an add may become one fused instruction. No
  other reordering is allowed, so the results are those of the loop as written, to rounding.
  (The one exception, the convolution's weight gradient, also allows sums to be reordered:
  a loop that adds into one number is vectorized only then.)
* ``cache=True``: the machine code is kept on disk (in ``__pycache__``) and loaded by
  later processes, which then skip the second or so that compiling takes.

Importing this module imports Numba; ``glasstorch._compiled.get()`` does that
lazily and falls back to NumPy when Numba is missing.
"""
import numba
import numpy as np

_OPTIONS = dict(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
_F = np.float32


@numba.njit(inline="always", **_OPTIONS)
def _exp_nonpositive_f32(a):
    """exp(a) for float32 a <= 0 (or NaN), to about 1 ulp; exp(-inf) = 0.

    NumPy's float32 ``exp`` is a library call per element on some CPUs (about 4 ns each);
    this is the classic range reduction and polynomial (the coefficients of Cephes'
    ``expf``), which the compiler vectorizes: exp(a) = 2**n * exp(r) with n = round(a / ln 2)
    and |r| <= ln(2) / 2.
    """
    # 2**n must be a normal float (n >= -126, so a >= -87): below that, take exp(a/2) squared.
    tiny = a < _F(-87.0)
    if tiny:
        a = a * _F(0.5)
    a = max(a, _F(-87.0))  # a/2 is still below -87 only when the result underflows to 0 anyway
    # Round to the nearest integer by adding and subtracting 1.5 * 2**23 (no library call).
    n = (a * _F(1.44269504088896341) + _F(12582912.0)) - _F(12582912.0)
    # ln 2 in two parts, the first exact in a few bits, so that r keeps its precision.
    r = a - n * _F(0.693359375) - n * _F(-2.12194440e-4)
    p = _F(1.9875691500e-4)
    p = p * r + _F(1.3981999507e-3)
    p = p * r + _F(8.3334519073e-3)
    p = p * r + _F(4.1665795894e-2)
    p = p * r + _F(1.6666665459e-1)
    p = p * r + _F(5.0000001201e-1)
    p = p * r * r + r + _F(1.0)
    # 2**n built from its bits: exponent field n + 127, mantissa 0.
    e = p * np.int32((np.int32(n) + np.int32(127)) << 23).view(np.float32)
    return e * e if tiny else e


@numba.njit(**_OPTIONS)
def sigmoid_f32(out, x):
    """out = 1 / (1 + exp(-x)) for 1-D float32 arrays.

    Written with exp(-|x|), which never overflows: for x < 0, sigmoid(x) = e / (1 + e).
    """
    for i in range(x.size):
        v = x[i]
        e = _exp_nonpositive_f32(-abs(v))
        s = _F(1.0) / (_F(1.0) + e)
        out[i] = s if v >= 0 else e * s


@numba.njit(inline="always", **_OPTIONS)
def _runs(w_shape, xp_shape, ho, wo):
    """For a (O, C, kh, kw) kernel on padded samples (C, Hp, Wp): the length of the shifted runs,
    (Ho - 1) * Wp + Wo, and each tap's offset c*Hp*Wp + i*Wp + j, taps in the kernel's order."""
    c_in, kh, kw = w_shape[1], w_shape[2], w_shape[3]
    hp, wp = xp_shape[2], xp_shape[3]
    offset = np.empty(c_in * kh * kw, np.int64)
    for c in range(c_in):
        for i in range(kh):
            for j in range(kw):
                offset[(c * kh + i) * kw + j] = c * hp * wp + i * wp + j
    return (ho - 1) * wp + wo, offset


@numba.njit(inline="always", **_OPTIONS)
def _four_runs(sample, offset, t, span):
    """The shifted runs of taps t to t + 3 in a flat sample.

    Slices, not ``sample[offset + q]`` in the loops: indexing with a sum makes Numba check
    for negative indices on every element, and the loop is no longer vectorized."""
    return (sample[offset[t]:offset[t] + span], sample[offset[t + 1]:offset[t + 1] + span],
            sample[offset[t + 2]:offset[t + 2] + span], sample[offset[t + 3]:offset[t + 3] + span])


@numba.njit(**_OPTIONS)
def conv2d(out, xp, w, b):
    """out[n, o] = b[o] + sum over c, i, j of w[o, c, i, j] * xp[n, c, i:i+Ho, j:j+Wo].

    A direct convolution with stride 1, no dilation and one group, for padded input ``xp``
    (N, C, Hp, Wp), contiguous, into ``out`` (N, O, Ho, Wo).

    The trick that makes the inner loop long and contiguous: in a row-major sample, the
    window at (c, y + i, x + j) starts ``c*Hp*Wp + i*Wp + j`` elements (the tap's offset)
    after the one at (0, y, x). So for each kernel tap the whole output plane, read with row
    stride Wp, is one shifted run of the flat sample: ``acc[q] += w * sample[q + offset]``
    for q over (Ho - 1) * Wp + Wo positions. The positions with x >= Wo (between rows) are
    computed and thrown away.

    Taps go four at a time, so that each pass over ``acc`` loads and stores it once for four
    multiply-adds (1.5x faster than one tap per pass for LeNet's first layer).
    """
    n_img, n_out, ho, wo = out.shape
    c_in, hp, wp = xp.shape[1], xp.shape[2], xp.shape[3]
    span, offset = _runs(w.shape, xp.shape, ho, wo)
    taps = offset.size
    weights = w.reshape(n_out, taps)
    acc = np.empty(span, out.dtype)
    for n in range(n_img):
        sample = xp[n].reshape(c_in * hp * wp)
        for o in range(n_out):
            acc[:] = b[o]
            t = 0
            while t + 4 <= taps:
                x0, x1, x2, x3 = _four_runs(sample, offset, t, span)
                w0, w1, w2, w3 = weights[o, t], weights[o, t + 1], weights[o, t + 2], weights[o, t + 3]
                for q in range(span):
                    acc[q] += w0 * x0[q] + w1 * x1[q] + w2 * x2[q] + w3 * x3[q]
                t += 4
            for t in range(t, taps):
                x0 = sample[offset[t]:offset[t] + span]
                w0 = weights[o, t]
                for q in range(span):
                    acc[q] += w0 * x0[q]
            for y in range(ho):
                out[n, o, y, :] = acc[y * wp:y * wp + wo]


@numba.njit(**_OPTIONS)
def window_sums(out, xp, kh, kw, sh, sw, dh, dw):
    """out[p, y, x] = sum over i, j of xp[p, y*sh + i*dh, x*sw + j*dw]: the sums over pooling windows.

    For planes ``xp`` (P, Hp, Wp), already padded, into ``out`` (P, Ho, Wo). NumPy needs
    a strided copy and kh + kw - 1 strided passes over the whole array for this; here each
    window is read once, while it is in cache.
    """
    n_planes, ho, wo = out.shape
    for p in range(n_planes):
        for y in range(ho):
            for x in range(wo):
                s = xp[p, y * sh, x * sw]
                for i in range(kh):
                    row = xp[p, y * sh + i * dh]
                    for j in range(kw):
                        if i or j:
                            s += row[x * sw + j * dw]
                out[p, y, x] = s


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract", "reassoc"})
def conv2d_weight_grad(gw, xp, gy):
    """gw[o, c, i, j] += sum over n, y, x of gy[n, o, y, x] * xp[n, c, y + i, x + j].

    The weight gradient of ``conv2d`` (the adjoint of the kernel above in its weight), for
    padded input ``xp`` (N, C, Hp, Wp), contiguous, and output gradient ``gy`` (N, O, Ho, Wo).
    With the same shifted runs: each output plane of ``gy`` is first laid out with row stride
    Wp (zeros between rows), and then every weight is one dot product of that run with the
    tap's shifted run of the sample. Sums may be reordered (``reassoc``) so that they vectorize.
    """
    n_img, n_out, ho, wo = gy.shape
    c_in, hp, wp = xp.shape[1], xp.shape[2], xp.shape[3]
    span, offset = _runs(gw.shape, xp.shape, ho, wo)
    taps = offset.size
    sums = gw.reshape(n_out, taps)
    run = np.zeros(span, gy.dtype)  # the positions between rows stay 0
    for n in range(n_img):
        sample = xp[n].reshape(c_in * hp * wp)
        for o in range(n_out):
            for y in range(ho):
                run[y * wp:y * wp + wo] = gy[n, o, y, :]
            t = 0
            while t + 4 <= taps:
                x0, x1, x2, x3 = _four_runs(sample, offset, t, span)
                s0 = s1 = s2 = s3 = run.dtype.type(0)
                for q in range(span):
                    g = run[q]
                    s0 += g * x0[q]
                    s1 += g * x1[q]
                    s2 += g * x2[q]
                    s3 += g * x3[q]
                sums[o, t] += s0
                sums[o, t + 1] += s1
                sums[o, t + 2] += s2
                sums[o, t + 3] += s3
                t += 4
            for t in range(t, taps):
                x0 = sample[offset[t]:offset[t] + span]
                s0 = run.dtype.type(0)
                for q in range(span):
                    s0 += run[q] * x0[q]
                sums[o, t] += s0


# ---------------------------------------------------------------- the LSTM's pointwise step
@numba.njit(inline="always", **_OPTIONS)
def _sigmoid_f32(v):
    # exp(-|v|) never overflows; sigmoid(v) = e / (1 + e) for v < 0.
    e = _exp_nonpositive_f32(-abs(v))
    s = _F(1.0) / (_F(1.0) + e)
    return s if v >= 0 else e * s


@numba.njit(inline="always", **_OPTIONS)
def _tanh_f32(v):
    # (1 - e) / (1 + e) with e = exp(-2|v|); near 0 this is exact to about 1e-7 absolute.
    e = _exp_nonpositive_f32(_F(-2.0) * abs(v))
    t = (_F(1.0) - e) / (_F(1.0) + e)
    return t if v >= 0 else -t


@numba.njit(**_OPTIONS)
def lstm_forward_f32(g, hw, c, c_prev, tc, h):
    """One LSTM step on float32 (B, 4H) gates ``g`` (the input side) and ``hw = h @ W_hh^T``:
    ``g`` becomes the activations i, f, g, o; ``c_prev = c``; ``c = f * c + i * g``;
    ``tc = tanh(c)``; ``h = o * tc``. Row by row, one short loop per stage, so each vectorizes.
    Each loop counts from 0 over a view: a loop over ``range(2 * H, 3 * H)`` is not vectorized,
    and ran ten times slower. (float32 only: float64 runs the NumPy twin, whose exp and tanh
    are libm's.)"""
    H = c.shape[1]
    for b in range(c.shape[0]):
        gr, hr = g[b], hw[b]
        for j in range(2 * H):                           # i and f
            gr[j] = _sigmoid_f32(gr[j] + hr[j])
        gg, hg = gr[2 * H:3 * H], hr[2 * H:3 * H]
        for j in range(H):
            gg[j] = _tanh_f32(gg[j] + hg[j])
        go, ho = gr[3 * H:], hr[3 * H:]
        for j in range(H):
            go[j] = _sigmoid_f32(go[j] + ho[j])
        cr, pr, tr, out = c[b], c_prev[b], tc[b], h[b]
        for j in range(H):
            cp = cr[j]
            pr[j] = cp
            cr[j] = gr[H + j] * cp + gr[j] * gr[2 * H + j]
        for j in range(H):
            tr[j] = _tanh_f32(cr[j])
        for j in range(H):
            out[j] = gr[3 * H + j] * tr[j]


@numba.njit(**_OPTIONS)
def lstm_backward(d, dh, g, tc, c_prev, dc):
    """The LSTM step's gate gradients into ``d`` (B, 4H), from ``dh`` and ``dc`` (updated in
    place to the gradient of ``c_prev``), given the step's activations ``g`` and ``tc``."""
    H = dc.shape[1]
    for b in range(dc.shape[0]):
        # one view per gate, each indexed from 0, so that the loop vectorizes (see above)
        gi, gf, gg, go = g[b, :H], g[b, H:2 * H], g[b, 2 * H:3 * H], g[b, 3 * H:]
        di, df, dg, do = d[b, :H], d[b, H:2 * H], d[b, 2 * H:3 * H], d[b, 3 * H:]
        tr, xr, pr, cr = tc[b], dh[b], c_prev[b], dc[b]
        for j in range(H):
            i, f, n, o = gi[j], gf[j], gg[j], go[j]
            t = tr[j]
            x = xr[j]
            dct = cr[j] + x * o * (1 - t * t)
            di[j] = dct * n * i * (1 - i)
            df[j] = dct * pr[j] * f * (1 - f)
            dg[j] = dct * i * (1 - n * n)
            do[j] = x * t * o * (1 - o)
            cr[j] = dct * f


# ---------------------------------------------------------------- GELU
@numba.njit(inline="always", **_OPTIONS)
def _normal_cdf_f32(v):
    """Phi(v) = erfc(-v / sqrt 2) / 2 for float32, to about 2e-7 relative.

    erfc(z) for z >= 0 is the Chebyshev fit of Numerical Recipes (``erfcc``, fractional error
    below 1.2e-7 for every z); Phi takes it directly for v < 0 and as 1 - Phi(-v) for v >= 0,
    so neither side subtracts nearly equal numbers.
    """
    z = abs(v) * _F(0.70710678118654752)
    t = _F(1.0) / (_F(1.0) + _F(0.5) * z)
    p = _F(0.17087277)
    p = p * t - _F(0.82215223)
    p = p * t + _F(1.48851587)
    p = p * t - _F(1.13520398)
    p = p * t + _F(0.27886807)
    p = p * t - _F(0.18628806)
    p = p * t + _F(0.09678418)
    p = p * t + _F(0.37409196)
    p = p * t + _F(1.00002368)
    p = p * t - _F(1.26551223)
    half_erfc = _F(0.5) * t * _exp_nonpositive_f32(min(p - z * z, _F(0.0)))
    return half_erfc if v < 0 else _F(1.0) - half_erfc


@numba.njit(**_OPTIONS)
def gelu_f32(out, cdf, x):
    """cdf = Phi(x), out = x * cdf, for 1-D float32 arrays."""
    for i in range(x.size):
        v = x[i]
        c = _normal_cdf_f32(v)
        cdf[i] = c
        out[i] = v * c


@numba.njit(**_OPTIONS)
def gelu_backward_f32(out, g, x, cdf):
    """out = g * (Phi(x) + x * phi(x)), the gradient of GELU, for 1-D float32 arrays."""
    for i in range(x.size):
        v = x[i]
        pdf = _F(0.39894228040143268) * _exp_nonpositive_f32(_F(-0.5) * v * v)
        out[i] = g[i] * (cdf[i] + v * pdf)


# ---------------------------------------------------------------- statistics (glasstorch.inspect)
@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"reassoc", "contract"})
def sums(x):
    """``(dot(x, x), x.sum(), count of x == 0)`` of a 1-D array in one pass, summed in float64.

    The sums may be reordered (``reassoc``; the order of a sum of statistics does not matter), so
    that the loop vectorizes: one pass instead of NumPy's three. NaN or Inf in ``x`` make both
    sums non-finite, which is what the caller checks. (Max and min stay NumPy's: a running max
    keeps Numba's loop scalar, five times slower than the rest together.)
    """
    sq = 0.0
    total = 0.0
    zeros = 0
    for i in range(x.size):
        v = np.float64(x[i])
        total += v
        sq += v * v
        zeros += np.int64(v == 0)
    return sq, total, zeros


@numba.njit(nogil=True, cache=True, error_model="numpy")
def log_bins(bits, shift, exp_mask, mant_mask, bias, runs, step, run, e_lo, e_hi, counts):
    """The trace's log-scale histogram of floats given by their ``bits`` (an int view of float32
    or float64 data): ``counts[0]`` gets the zeros, ``counts[1 + e - e_lo]`` the values with
    frexp exponent ``e`` (``|x|`` in [2**(e-1), 2**e)), clamped to ``[e_lo, e_hi]``; NaN and Inf
    are left out. Reads ``runs`` runs of ``run`` elements, ``step`` apart (the sample).

    The exponent is read from the bits: ``e = field - bias``, with ``bias`` 126 for float32 and
    1022 for float64 (the IEEE bias less one, as frexp's mantissa is in [0.5, 1)).
    """
    top = exp_mask  # an all-ones exponent field: Inf or NaN
    for r in range(runs):
        start = r * step
        for i in range(start, start + run):
            b = bits[i]
            field = (b >> shift) & exp_mask
            if field == top:
                continue
            if field == 0 and (b & mant_mask) == 0:
                counts[0] += 1
                continue
            e = field - bias
            if e < e_lo:
                e = e_lo
            elif e > e_hi:
                e = e_hi
            counts[1 + e - e_lo] += 1
