"""Elementwise ops: arithmetic, unary math, clamping and selection, comparison and logic.

Binary ops take tensors or Python numbers on either side. ``_operands`` applies
torch's type promotion once, so every forward below sees arrays of the result
dtype. Gradients come back in the broadcast shape; the engine sums them down to
each input's shape, so no op here un-broadcasts.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _compiled, _dtype, _parallel
from .._tensor import Tensor
from ..autograd.function import _Primitive

Number = (int, float, bool)


def _scalar(x):
    """NumPy scalars act like Python numbers in torch (``t * np.float64(2)`` stays float32)."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (int, float, bool)):
        return x
    raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")


def _operands(a, b, float_result: bool = False):
    """Arrays (or Python numbers) for NumPy, cast to torch's promoted dtype, and that dtype."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    # Fast paths for the common cases, which need no promotion: two tensors of one dtype, and a
    # float tensor with a Python number (torch keeps the tensor's dtype: float32 * 0.5 is float32).
    if ta:
        if tb:
            if a._data.dtype == b._data.dtype and (not float_result or a._data.dtype.kind == "f"):
                return a._data, b._data, a._data.dtype
        elif (type(b) is float or type(b) is int) and a._data.dtype.kind == "f":
            return a._data, b, a._data.dtype
    elif tb and (type(a) is float or type(a) is int) and b._data.dtype.kind == "f":
        return a, b._data, b._data.dtype
    if not ta:
        a = _scalar(a)
    if not tb:
        b = _scalar(b)
    dt = _dtype.result_type(a, b)
    if float_result and not dt.is_floating_point:
        dt = _dtype.get_default_dtype()
    dt = dt.np
    x = a._data.astype(dt, copy=False) if ta else a
    y = b._data.astype(dt, copy=False) if tb else b
    if not ta and not tb:
        x = np.asarray(x, dtype=dt)
    return x, y, dt


def _check_broadcast(a, b, x, y) -> None:
    sa, sb = np.shape(x), np.shape(y)
    if sa != sb:
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({_mismatch(sa, sb)[0]}) must match the size of tensor b "
                               f"({_mismatch(sa, sb)[1]}) at non-singleton dimension {_mismatch(sa, sb)[2]}; "
                               f"shapes are {list(sa)} and {list(sb)}") from None


def _mismatch(sa, sb):
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return pa[i], pb[i], i
    return sa, sb, 0


def _binary(a, b, ufunc, float_result=False):
    x, y, _ = _operands(a, b, float_result)
    try:
        return ufunc(x, y)
    except ValueError:
        _check_broadcast(a, b, x, y)
        raise


def _save_operands(ctx, a, b, keep_a: bool = True, keep_b: bool = True) -> None:
    """Saves tensor operands for backward, and keeps number operands as they are.

    ``keep_a`` / ``keep_b`` False: backward will not read that operand, so it is not kept alive
    (nor handed to a ``saved_tensors_hooks`` pack hook), as torch does.
    """
    ctx.save_for_backward(a if keep_a and isinstance(a, Tensor) else None,
                          b if keep_b and isinstance(b, Tensor) else None)
    ctx.numbers = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)


def _saved_operands(ctx) -> tuple:
    a, b = ctx.saved_tensors
    na, nb = ctx.numbers
    return (na if a is None else a), (nb if b is None else b)


def _mask(grad, cond: np.ndarray):
    """``grad`` where ``cond`` holds, else 0; differentiable in ``grad`` (a constant mask)."""
    return Mul.apply(grad, Tensor._make(cond.astype(grad._data.dtype, copy=False)))


# ------------------------------------------------------------------ arithmetic
class Add(_Primitive):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        x, y, _ = _operands(a, b)
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        try:
            return np.add(x, y)
        except ValueError:
            _check_broadcast(a, b, x, y)
            raise

    @staticmethod
    def backward(ctx, grad):
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha), None


class Sub(_Primitive):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        x, y, dt = _operands(a, b)
        if dt == np.bool_:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        try:
            return np.subtract(x, y)
        except ValueError:
            _check_broadcast(a, b, x, y)
            raise

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad if ctx.alpha == 1 else grad * (-ctx.alpha), None


class Mul(_Primitive):
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        _save_operands(ctx, a, b, keep_a=need_b, keep_b=need_a)   # d(ab)/da = b, d(ab)/db = a
        return _binary(a, b, np.multiply)

    @staticmethod
    def backward(ctx, grad):
        a, b = _saved_operands(ctx)
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(_Primitive):
    @staticmethod
    def forward(ctx, a, b):
        # d(a/b)/da = 1/b needs only b; d(a/b)/db = -a/b^2 needs both.
        _save_operands(ctx, a, b, keep_a=ctx.needs_input_grad[1])
        return _binary(a, b, np.true_divide, float_result=True)

    @staticmethod
    def backward(ctx, grad):
        a, b = _saved_operands(ctx)
        ga = grad / b if ctx.needs_input_grad[0] else None
        # -grad * (a / b) / b, in torch's order, so float32 rounding matches.
        gb = -grad * ((a / b) / b) if ctx.needs_input_grad[1] else None
        return ga, gb


class RoundedDiv(_Primitive):
    """``div`` with rounding_mode 'trunc' or 'floor': piecewise constant, so zero gradient."""

    @staticmethod
    def forward(ctx, a, b, mode):
        x, y, dt = _operands(a, b)
        if np.dtype(dt).kind == "f":
            q = np.true_divide(x, y)
            return np.floor(q) if mode == "floor" else np.trunc(q)
        if mode == "floor":
            return np.floor_divide(x, y)
        # Integer division towards zero.
        q = np.floor_divide(x, y)
        fix = (np.remainder(x, y) != 0) & ((np.asarray(x) < 0) != (np.asarray(y) < 0))
        return q + fix

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad * 0, None


class Remainder(_Primitive):
    """Python's ``%``: the result takes the divisor's sign."""

    @staticmethod
    def forward(ctx, a, b):
        _save_operands(ctx, a, b)
        return _binary(a, b, np.remainder)

    @staticmethod
    def backward(ctx, grad):
        a, b = _saved_operands(ctx)
        gb = -grad * RoundedDiv.apply(a, b, "floor") if ctx.needs_input_grad[1] else None
        return grad, gb


class Fmod(_Primitive):
    """C's ``fmod``: the result takes the dividend's sign."""

    @staticmethod
    def forward(ctx, a, b):
        _save_operands(ctx, a, b)
        return _binary(a, b, np.fmod)

    @staticmethod
    def backward(ctx, grad):
        a, b = _saved_operands(ctx)
        gb = -grad * RoundedDiv.apply(a, b, "trunc") if ctx.needs_input_grad[1] else None
        return grad, gb


class Pow(_Primitive):
    @staticmethod
    def forward(ctx, a, b):
        x, y, dt = _operands(a, b)
        if np.dtype(dt).kind in "iu" and np.any(np.asarray(y) < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        out = np.power(x, y)
        _save_operands(ctx, a, b)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = _saved_operands(ctx)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, Tensor):
                ga = where(b == 0, 0.0, grad * b * a ** (b - 1))
            else:
                ga = grad * 0 if b == 0 else grad * b * a ** (b - 1)
        if ctx.needs_input_grad[1]:
            out = a ** b
            # d(a**b)/db = a**b * log(a); torch defines it as 0 where a == 0 and b >= 0.
            if isinstance(a, Tensor):
                gb = where((a == 0) & (b >= 0), 0.0, grad * out * log(a))
            elif a > 0:
                gb = grad * out * math.log(a)
            else:
                log_a = -math.inf if a == 0 else math.nan
                gb = where(b >= 0, 0.0, grad * out * log_a) if a == 0 else grad * out * log_a
        return ga, gb


class Neg(_Primitive):
    @staticmethod
    def forward(ctx, a):
        if a._data.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return np.negative(a._data)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Abs(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a._data)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * sign(a)


class Sign(_Primitive):
    @staticmethod
    def forward(ctx, a):
        return np.sign(a._data)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Reciprocal(_Primitive):
    @staticmethod
    def forward(ctx, a):
        x = a._data if a._data.dtype.kind == "f" else a._data.astype(_dtype.get_default_dtype().np)
        out = Tensor._make(np.reciprocal(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return -grad * out * out


# --------------------------------------------------------------- unary math
def _float_data(a) -> np.ndarray:
    """Integer inputs to float math become the default float dtype, as in torch."""
    x = a._data
    return x if x.dtype.kind == "f" else x.astype(_dtype.get_default_dtype().np)


class Exp(_Primitive):
    @staticmethod
    def forward(ctx, a):
        out = Tensor._make(np.exp(_float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * out


class Exp2(_Primitive):
    @staticmethod
    def forward(ctx, a):
        out = Tensor._make(np.exp2(_float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * out * math.log(2.0)


class Log(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / a


class Log2(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log2(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (a * math.log(2.0))


class Log10(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log10(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (a * math.log(10.0))


class Log1p(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log1p(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (a + 1)


class Expm1(_Primitive):
    @staticmethod
    def forward(ctx, a):
        out = Tensor._make(np.expm1(_float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * (out + 1)


class Sqrt(_Primitive):
    @staticmethod
    def forward(ctx, a):
        out = Tensor._make(np.sqrt(_float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad / (2 * out)


class Rsqrt(_Primitive):
    @staticmethod
    def forward(ctx, a):
        x = _float_data(a)
        out = Tensor._make(np.reciprocal(np.sqrt(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * (out * out * out) * -0.5


class Sin(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * cos(a)


class Cos(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return -grad * sin(a)


class Tan(_Primitive):
    @staticmethod
    def forward(ctx, a):
        out = Tensor._make(np.tan(_float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * (out * out + 1)


class Asin(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsin(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * rsqrt(1 - a * a)


class Acos(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccos(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return -grad * rsqrt(1 - a * a)


class Atan(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctan(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (a * a + 1)


class Sinh(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sinh(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * cosh(a)


class Cosh(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cosh(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * sinh(a)


class Tanh(_Primitive):
    @staticmethod
    def forward(ctx, a):
        out = Tensor._make(np.tanh(_float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return TanhBackward.apply(grad, out)


def _tanh_backward_block(r: np.ndarray, g: np.ndarray, o: np.ndarray) -> None:
    np.multiply(o, o, out=r)
    np.subtract(1, r, out=r)
    r *= g


class TanhBackward(_Primitive):
    """``grad * (1 - out**2)``, the gradient of tanh, as one op (torch's ``tanh_backward``).

    One buffer instead of three ops' temporaries; its own backward makes double backward
    through tanh work.
    """

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(grad, out)
        return _fused_backward(_tanh_backward_block, grad._data, out._data, lambda g, o: g * (1 - o * o))

    @staticmethod
    def backward(ctx, gg):
        grad, out = ctx.saved_tensors
        g_grad = TanhBackward.apply(gg, out) if ctx.needs_input_grad[0] else None
        g_out = gg * grad * (-2 * out) if ctx.needs_input_grad[1] else None
        return g_grad, g_out


def _fused_backward(block, g: np.ndarray, o: np.ndarray, formula) -> np.ndarray:
    """An activation's gradient from ``grad`` and its saved output: ``block(r, g, o)`` writes it into
    one new buffer, in parallel for large arrays. ``formula(g, o)`` serves a broadcast ``grad``."""
    if g.shape != o.shape:
        return formula(g, o)
    r = np.empty(o.shape, np.result_type(o, g))
    _parallel.blocks(block, r, g, o)
    return r


def _sigmoid_block(e: np.ndarray, x: np.ndarray) -> None:
    # torch's formula. For very negative x, exp(-x) overflows to inf and 1/(1+inf) is exactly 0.
    np.negative(x, out=e)  # one buffer, reused in place
    with np.errstate(over="ignore"):
        np.exp(e, out=e)
    e += 1
    np.reciprocal(e, out=e)


def _sigmoid_kernel(x: np.ndarray):
    """The compiled float32 sigmoid, when it applies to ``x`` (see ``glasstorch._compiled``)."""
    if x.dtype != np.float32 or not x.flags.c_contiguous:
        return None
    kernels = _compiled.for_array(x)
    return kernels.sigmoid_f32 if kernels is not None else None


class Sigmoid(_Primitive):
    @staticmethod
    def forward(ctx, a):
        x = _float_data(a)
        out = np.empty(x.shape, x.dtype)
        _parallel.blocks(_sigmoid_kernel(x) or _sigmoid_block, out, x)
        out = Tensor._make(out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return SigmoidBackward.apply(grad, out)


def _sigmoid_backward_block(r: np.ndarray, g: np.ndarray, o: np.ndarray) -> None:
    np.subtract(1, o, out=r)
    r *= o
    r *= g


class SigmoidBackward(_Primitive):
    """``grad * out * (1 - out)``, the gradient of sigmoid, as one op (torch's ``sigmoid_backward``)."""

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(grad, out)
        return _fused_backward(_sigmoid_backward_block, grad._data, out._data, lambda g, o: g * (o * (1 - o)))

    @staticmethod
    def backward(ctx, gg):
        grad, out = ctx.saved_tensors
        g_grad = SigmoidBackward.apply(gg, out) if ctx.needs_input_grad[0] else None
        g_out = gg * grad * (1 - 2 * out) if ctx.needs_input_grad[1] else None
        return g_grad, g_out


def _relu_block(r: np.ndarray, x: np.ndarray) -> None:
    np.maximum(x, 0, out=r)


class Relu(_Primitive):
    @staticmethod
    def forward(ctx, a):
        x = a._data
        out = np.empty(x.shape, x.dtype)
        _parallel.blocks(_relu_block, out, x)
        out = Tensor._make(out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return ThresholdBackward.apply(grad, out)


class ThresholdBackward(_Primitive):
    """``0`` where ``out <= 0``, else ``grad``: the gradient of relu (torch's ``threshold_backward``).

    As in torch, the gradient at exactly 0 is 0, and a NaN output passes the gradient (NaN <= 0
    is false). The mask is a constant, so the op is linear in ``grad``; its gradient for ``out``
    is zero.
    """

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(out)
        g, o = grad._data, out._data
        if g.shape != o.shape or g.dtype.kind != "f":
            return np.where(o <= 0, np.zeros((), g.dtype), g)
        r = np.empty(g.shape, g.dtype)
        _parallel.blocks(_threshold_backward_block, r, g, o)
        return r

    @staticmethod
    def backward(ctx, gg):
        out, = ctx.saved_tensors
        g_out = Tensor._make(np.zeros_like(out._data)) if ctx.needs_input_grad[1] else None
        return _mask(gg, ~(out._data <= 0)), g_out


_SAME_SIZE_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def _threshold_backward_block(r: np.ndarray, g: np.ndarray, o: np.ndarray) -> None:
    # The gradient's bits ANDed with all zeros (out <= 0: +0.0) or all ones. Exactly torch's
    # select, NaN and inf gradients included (a multiply by the mask would make NaN of inf * 0),
    # and several times faster than np.where, whose branches mispredict on a random mask.
    as_int = _SAME_SIZE_INT[g.itemsize]
    bits = r.view(as_int)
    np.subtract(np.less_equal(o, 0).view(np.int8), 1, out=bits)  # True -> 0, False -> -1 (all bits)
    np.bitwise_and(g.view(as_int), bits, out=bits)


def _erf_array(x: np.ndarray) -> np.ndarray:
    """erf with NumPy alone (NumPy has no erf): about 1e-15 relative error in float64, 5e-7 in float32.

    Small |x|: erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1)), a series
    whose terms are all positive, so nothing cancels. Large |x|: erf = 1 - erfc, with erfc from its
    continued fraction evaluated from the tail. Float32 takes fewer terms.
    """
    double = x.dtype == np.float64
    threshold, n_series, n_fraction = (2.0, 40, 80) if double else (1.5, 16, 40)
    a = np.abs(x)
    out = np.empty_like(a)
    small = a < threshold
    s = a[small]
    term, total, two_s2 = s.copy(), s.copy(), 2 * s * s
    for n in range(1, n_series):
        term *= two_s2 * (1.0 / (2 * n + 1))
        total += term
    out[small] = (2 / math.sqrt(math.pi)) * np.exp(-s * s) * total
    large = a[~small]
    f = large.copy()
    for k in range(n_fraction, 0, -1):
        f = large + (k / 2) / f
    out[~small] = 1 - np.exp(-large * large) / math.sqrt(math.pi) / f
    return np.copysign(out, x).astype(x.dtype, copy=False)


class Erf(_Primitive):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _erf_array(_float_data(a))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (2.0 / math.sqrt(math.pi)) * exp(-a * a)


class _Rounding(_Primitive):
    """floor, ceil, round, trunc: piecewise constant, so their gradient is zero."""
    fn = None

    @classmethod
    def forward(cls, ctx, a, *args):
        return cls.fn(a._data, *args)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Floor(_Rounding):
    fn = staticmethod(np.floor)


class Ceil(_Rounding):
    fn = staticmethod(np.ceil)


class Round(_Rounding):
    # np.round rounds half to even, as torch.round does.
    fn = staticmethod(np.round)


class Trunc(_Rounding):
    fn = staticmethod(np.trunc)


# ------------------------------------------------------- clamping and selection
class Clamp(_Primitive):
    @staticmethod
    def forward(ctx, a, lo, hi):
        if lo is None and hi is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        x = a._data
        lo_v = lo._data if isinstance(lo, Tensor) else lo
        hi_v = hi._data if isinstance(hi, Tensor) else hi
        dt = _dtype.result_type(*[v for v in (a, lo, hi) if v is not None]).np
        x = x.astype(dt, copy=False)
        out = x
        if lo_v is not None:
            out = np.maximum(out, lo_v)
        if hi_v is not None:
            out = np.minimum(out, hi_v)
        ctx.save_for_backward(a, lo if isinstance(lo, Tensor) else None, hi if isinstance(hi, Tensor) else None)
        ctx.lo, ctx.hi = lo_v, hi_v
        return out.astype(dt, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, lo_t, hi_t = ctx.saved_tensors
        x, lo, hi = a._data, ctx.lo, ctx.hi
        inside = np.ones(x.shape, dtype=bool) if lo is None else (x >= lo)
        if hi is not None:
            inside = inside & (x <= hi)
        ga = _mask(grad, np.broadcast_to(inside, grad._data.shape)) if ctx.needs_input_grad[0] else None
        glo = ghi = None
        if lo_t is not None and ctx.needs_input_grad[1]:
            below = x < lo
            if hi is not None:
                below = below & (np.asarray(lo) <= hi)
            glo = _mask(grad, np.broadcast_to(below, grad._data.shape))
        if hi_t is not None and ctx.needs_input_grad[2]:
            ghi = _mask(grad, np.broadcast_to(x > hi if lo is None else (x > hi) | (np.asarray(lo) > hi),
                                              grad._data.shape))
        return ga, glo, ghi


class Maximum(_Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(a, b, np.maximum)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # Ties split the gradient evenly, as in torch.
        w = np.where(a._data == b._data, 0.5, (a._data > b._data).astype(np.float64))
        w = np.broadcast_to(w, grad._data.shape)
        return _scale(grad, w), _scale(grad, 1 - w)


class Minimum(_Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(a, b, np.minimum)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        w = np.where(a._data == b._data, 0.5, (a._data < b._data).astype(np.float64))
        w = np.broadcast_to(w, grad._data.shape)
        return _scale(grad, w), _scale(grad, 1 - w)


def _scale(grad, w: np.ndarray):
    return Mul.apply(grad, Tensor._make(w.astype(grad._data.dtype)))


class Where(_Primitive):
    @staticmethod
    def forward(ctx, cond, a, b):
        c = cond._data if isinstance(cond, Tensor) else np.asarray(cond)
        if c.dtype != np.bool_:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{_dtype._FROM_NP[c.dtype].name.capitalize()}")
        x, y, _ = _operands(a, b)
        ctx.cond = c
        return np.where(c, x, y)

    @staticmethod
    def backward(ctx, grad):
        c = np.broadcast_to(ctx.cond, grad._data.shape)
        return (None,
                _mask(grad, c) if ctx.needs_input_grad[1] else None,
                _mask(grad, ~c) if ctx.needs_input_grad[2] else None)


class MaskedFill(_Primitive):
    @staticmethod
    def forward(ctx, a, mask, value):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{_dtype._FROM_NP[m.dtype]}")
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                                   f"with {value._data.ndim} dimension(s).")
            v = value._data
        else:
            v = value
        try:
            out_shape = np.broadcast_shapes(m.shape, a._data.shape)
        except ValueError:
            out_shape = None
        if out_shape != a._data.shape:
            raise RuntimeError(f"The size of mask {list(m.shape)} must be broadcastable to the size of the "
                               f"input {list(a._data.shape)}")
        ctx.mask = m
        return np.where(m, np.asarray(v).astype(a._data.dtype), a._data)

    @staticmethod
    def backward(ctx, grad):
        m = np.broadcast_to(ctx.mask, grad._data.shape)
        ga = _mask(grad, ~m) if ctx.needs_input_grad[0] else None
        gv = _mask(grad, m).sum() if ctx.needs_input_grad[2] else None
        return ga, None, gv


class Cast(_Primitive):
    @staticmethod
    def forward(ctx, a, dt):
        ctx.src = a._data.dtype
        return a._data.astype(dt.np)

    @staticmethod
    def backward(ctx, grad):
        return Cast.apply(grad, _dtype._FROM_NP[ctx.src]), None


def _zeros_like(grad):
    """The gradient of values that were overwritten: zeros, kept in the graph as torch does."""
    return Tensor._make(np.zeros_like(grad._data))


class Fill(_Primitive):
    """Every element becomes ``value``: the old values get a zero gradient."""

    @staticmethod
    def forward(ctx, a, value):
        if isinstance(value, Tensor) and value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        v = value._data if isinstance(value, Tensor) else value
        return np.full(a._data.shape, v, dtype=a._data.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad), (grad.sum() if ctx.needs_input_grad[1] else None)


class CopyFrom(_Primitive):
    """The values of ``src``, broadcast to ``a``'s shape and cast to its dtype (``copy_``)."""

    @staticmethod
    def forward(ctx, a, src):
        s = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            return np.broadcast_to(s, a._data.shape).astype(a._data.dtype)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({a._data.shape}) must match the size of tensor b "
                               f"({s.shape}): src of shape {list(s.shape)} cannot be copied into "
                               f"{list(a._data.shape)}") from None

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad), grad


# --------------------------------------------------------------- public API
def _check_alpha(a, b, alpha):
    if alpha != 1 and isinstance(alpha, float):
        dt = _dtype.result_type(a, b) if isinstance(a, Tensor) or isinstance(b, Tensor) else None
        if dt is not None and not dt.is_floating_point:
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other``, with broadcasting and type promotion."""
    _check_alpha(input, other, alpha)
    return _out(Add.apply(input, other, alpha), out)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other``, with broadcasting and type promotion."""
    _check_alpha(input, other, alpha)
    return _out(Sub.apply(input, other, alpha), out)


subtract = sub


def mul(input, other, *, out=None) -> Tensor:
    """``input * other``, with broadcasting and type promotion."""
    return _out(Mul.apply(input, other), out)


multiply = mul


def div(input, other, *, rounding_mode: str | None = None, out=None) -> Tensor:
    """``input / other``: true division, or rounded with ``rounding_mode`` 'trunc' or 'floor'."""
    if rounding_mode is None:
        return _out(Div.apply(input, other), out)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"'{rounding_mode}'")
    return _out(RoundedDiv.apply(input, other, rounding_mode), out)


divide = true_divide = div


def floor_divide(input, other) -> Tensor:
    """``input // other``, rounding down."""
    return RoundedDiv.apply(input, other, "floor")


def remainder(input, other) -> Tensor:
    """Python's modulus: the result has the sign of ``other``."""
    return Remainder.apply(input, other)


def fmod(input, other) -> Tensor:
    """C's fmod: the result has the sign of ``input``."""
    return Fmod.apply(input, other)


def pow(input, exponent) -> Tensor:
    """``input ** exponent``; either may be a number."""
    return Pow.apply(input, exponent)


def neg(input: Tensor) -> Tensor:
    return Neg.apply(input)


negative = neg


def abs(input: Tensor) -> Tensor:
    return Abs.apply(input)


absolute = abs


def sign(input: Tensor) -> Tensor:
    return Sign.apply(input)


def reciprocal(input: Tensor) -> Tensor:
    return Reciprocal.apply(input)


def exp(input: Tensor) -> Tensor:
    return Exp.apply(input)


def exp2(input: Tensor) -> Tensor:
    return Exp2.apply(input)


def log(input: Tensor) -> Tensor:
    return Log.apply(input)


def log2(input: Tensor) -> Tensor:
    return Log2.apply(input)


def log10(input: Tensor) -> Tensor:
    return Log10.apply(input)


def log1p(input: Tensor) -> Tensor:
    return Log1p.apply(input)


def expm1(input: Tensor) -> Tensor:
    return Expm1.apply(input)


def sqrt(input: Tensor) -> Tensor:
    return Sqrt.apply(input)


def rsqrt(input: Tensor) -> Tensor:
    return Rsqrt.apply(input)


def square(input: Tensor) -> Tensor:
    """``input * input`` (a composite: one input used twice)."""
    return Mul.apply(input, input)


def sin(input: Tensor) -> Tensor:
    return Sin.apply(input)


def cos(input: Tensor) -> Tensor:
    return Cos.apply(input)


def tan(input: Tensor) -> Tensor:
    return Tan.apply(input)


def asin(input: Tensor) -> Tensor:
    return Asin.apply(input)


def acos(input: Tensor) -> Tensor:
    return Acos.apply(input)


def atan(input: Tensor) -> Tensor:
    return Atan.apply(input)


arcsin, arccos, arctan = asin, acos, atan


def sinh(input: Tensor) -> Tensor:
    return Sinh.apply(input)


def cosh(input: Tensor) -> Tensor:
    return Cosh.apply(input)


def tanh(input: Tensor) -> Tensor:
    return Tanh.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-input))``, computed without overflow for large ``|input|``."""
    return Sigmoid.apply(input)


def relu(input: Tensor) -> Tensor:
    return Relu.apply(input)


def erf(input: Tensor) -> Tensor:
    return Erf.apply(input)


def floor(input: Tensor) -> Tensor:
    return input if input._data.dtype.kind in "iub" else Floor.apply(input)


def ceil(input: Tensor) -> Tensor:
    return input if input._data.dtype.kind in "iub" else Ceil.apply(input)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    if input._data.dtype.kind in "iub" and decimals == 0:
        return input
    return Round.apply(input, decimals) if decimals else Round.apply(input)


def trunc(input: Tensor) -> Tensor:
    return input if input._data.dtype.kind in "iub" else Trunc.apply(input)


fix = trunc


def frac(input: Tensor) -> Tensor:
    """``input - trunc(input)`` (a composite)."""
    return input - trunc(input)


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    """Limits every element to ``[min, max]``; ``min`` and ``max`` may be numbers or tensors."""
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input: Tensor, min) -> Tensor:
    return Clamp.apply(input, min, None)


def clamp_max(input: Tensor, max) -> Tensor:
    return Clamp.apply(input, None, max)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors; at ties the gradient is split evenly."""
    return Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors; at ties the gradient is split evenly."""
    return Minimum.apply(input, other)


def where(condition: Tensor, input=None, other=None):
    """``input`` where ``condition`` is True, else ``other``; with only ``condition``, ``nonzero(as_tuple=True)``."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    return Where.apply(condition, input, other)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``value`` where ``mask`` is True, else ``input``."""
    return MaskedFill.apply(input, mask, value)


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """``input + weight * (end - input)`` (a composite)."""
    return input + weight * (end - input)


def cast(input: Tensor, dtype) -> Tensor:
    """``input`` converted to ``dtype``; the gradient is converted back."""
    return Cast.apply(input, _dtype.to_dtype(dtype))


def fill(input: Tensor, value) -> Tensor:
    return Fill.apply(input, value)


def copy_from(input: Tensor, src) -> Tensor:
    return CopyFrom.apply(input, src)


def _out(result: Tensor, out):
    if out is None:
        return result
    out._write(result._data) if out._data.shape == result._data.shape else _resize_into(out, result)
    return out


def _resize_into(out, result):
    out._data = result._data.copy()
    out._version.value += 1


# ------------------------------------------------------ comparison and logic
def _compare(ufunc):
    def op(input, other) -> Tensor:
        return Tensor._make(np.asarray(_binary(input, other, ufunc)))
    op.__doc__ = f"Elementwise ``{ufunc.__name__}``, returning a bool tensor (no gradient)."
    return op


eq = _compare(np.equal)
ne = not_equal = _compare(np.not_equal)
lt = less = _compare(np.less)
le = less_equal = _compare(np.less_equal)
gt = greater = _compare(np.greater)
ge = greater_equal = _compare(np.greater_equal)


def _logical(ufunc):
    def op(input, other) -> Tensor:
        x = input._data if isinstance(input, Tensor) else input
        y = other._data if isinstance(other, Tensor) else other
        return Tensor._make(np.asarray(ufunc(x, y)))
    op.__doc__ = f"Elementwise ``{ufunc.__name__}``, treating nonzero as True."
    return op


logical_and = _logical(np.logical_and)
logical_or = _logical(np.logical_or)
logical_xor = _logical(np.logical_xor)


def logical_not(input: Tensor) -> Tensor:
    return Tensor._make(np.logical_not(input._data))


def _bitwise(ufunc):
    def op(input, other) -> Tensor:
        for t in (input, other):
            if isinstance(t, Tensor) and t._data.dtype.kind == "f":
                raise RuntimeError(f"\"{ufunc.__name__}_cpu\" not implemented for '{t.dtype.name.capitalize()}'")
        return Tensor._make(np.asarray(_binary(input, other, ufunc)))
    return op


bitwise_and = _bitwise(np.bitwise_and)
bitwise_or = _bitwise(np.bitwise_or)
bitwise_xor = _bitwise(np.bitwise_xor)


def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "f":
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{input.dtype.name.capitalize()}'")
    return Tensor._make(np.invert(input._data))


def isnan(input: Tensor) -> Tensor:
    return Tensor._make(np.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    return Tensor._make(np.isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    return Tensor._make(np.isfinite(input._data))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    x, y, _ = _operands(input, other)
    return Tensor._make(np.asarray(np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True if every pair of elements is close: ``|input - other| <= atol + rtol * |other|``."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


# ------------------------------------------------------------------ more of torch's everyday math
class Atan2(_Primitive):
    """``atan2(a, b)``, the angle of the point (b, a); d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)."""

    @staticmethod
    def forward(ctx, a, b):
        _save_operands(ctx, a, b)
        return _binary(a, b, np.arctan2, float_result=True)

    @staticmethod
    def backward(ctx, grad):
        a, b = _saved_operands(ctx)
        scale = grad / (a * a + b * b)
        return (scale * b if ctx.needs_input_grad[0] else None,
                -scale * a if ctx.needs_input_grad[1] else None)


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point ``(other, input)``, in ``(-pi, pi]``."""
    return Atan2.apply(input, other)


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """``sqrt(input^2 + other^2)``."""
    return sqrt(input * input + other * other)


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """``log(exp(input) + exp(other))``, without overflow: ``max + log1p(exp(-|input - other|))``."""
    return maximum(input, other) + log1p(exp(-abs(input - other)))


def deg2rad(input: Tensor) -> Tensor:
    return input * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    return input * (180.0 / math.pi)


def sgn(input: Tensor) -> Tensor:
    """``sign`` (glasstorch has no complex tensors, where the two differ)."""
    return sign(input)


class NanToNum(_Primitive):
    """NaN, +Inf and -Inf replaced by numbers; the gradient flows only where the value was finite."""

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        x = a._data
        ctx.finite = np.isfinite(x) if x.dtype.kind == "f" else None
        if x.dtype.kind != "f":
            return x.copy()
        info = np.finfo(x.dtype)
        return np.nan_to_num(x, nan=0.0 if nan is None else nan, posinf=info.max if posinf is None else posinf,
                             neginf=info.min if neginf is None else neginf)

    @staticmethod
    def backward(ctx, grad):
        return (grad if ctx.finite is None else _mask(grad, ctx.finite)), None, None, None


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """NaN to ``nan``, +Inf to ``posinf`` and -Inf to ``neginf`` (default: the dtype's largest and smallest)."""
    return NanToNum.apply(input, nan, posinf, neginf)


arctan2 = atan2

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "fmod", "pow", "neg", "negative", "abs", "absolute", "sign", "reciprocal", "exp", "exp2", "log", "log2",
    "log10", "log1p", "expm1", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "sigmoid", "relu", "erf", "floor", "ceil", "round", "trunc", "fix",
    "frac", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "where", "masked_fill", "lerp",
    "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "isnan", "isinf", "isfinite", "isclose", "allclose", "equal",
    "atan2", "arctan2", "hypot", "logaddexp", "deg2rad", "rad2deg", "sgn", "nan_to_num",
]
