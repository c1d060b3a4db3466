"""Activation functions: the functional forms behind ``torch.nn.functional``'s activations.

``relu``, ``sigmoid`` and ``tanh`` live in ``ops/elementwise.py``, ``softmax`` and
``log_softmax`` in ``ops/reduction.py``; ``nn.functional`` re-exports them.

Most activations here are composites of existing primitives and get their
gradients for free. A few are primitives of their own, each for a stated reason:

* ``Hardtanh``, ``LeakyRelu``, ``Threshold``, ``Hardsigmoid``: piecewise-linear.
  One NumPy pass forward and a constant-factor backward, instead of a chain of
  comparisons and ``where``s; and torch's gradient at the kinks (0 at exactly
  ``min_val``/``max_val``) differs from ``clamp``'s, which is 1 there.
* ``Elu`` (elu, selu, celu): ``exp`` of a large positive input overflows, so the
  forward only exponentiates the negative part; torch's derivatives at exactly 0
  (first from the negative side, second equal to 0) are kept.
* ``Softplus`` (also behind ``logsigmoid`` and ``mish``): ``log1p(exp(x))``
  overflows for large ``x``; the stable form ``max(x, 0) + log1p(exp(-|x|))``
  needs a backward of its own to stay cheap and exact at ``|x| = 1e4``.

Backward formulas are written with glasstorch ops, so double backward works.
In-place forms (``inplace=True``, ``relu_`` ...) run the out-of-place function
through ``Tensor._inplace``, exactly as the in-place Tensor methods do.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _compiled, _parallel
from .._tensor import Tensor, _TYPE_NAMES, _wrap_dim
from ..autograd.grad_mode import _state
from ..autograd.function import _Primitive
from . import elementwise as _ew
from .elementwise import Mul, abs, clamp, erf, exp, sigmoid, tanh, where
from .reduction import softmax

# The SELU constants (Klambauer et al., 2017), to torch's precision.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
# sqrt(2 / pi), formed as torch's kernel forms it (M_SQRT2 * M_2_SQRTPI * 0.5), to match its last bit.
_GELU_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5


def _need_float(input: Tensor, kernel: str) -> None:
    """torch has no integer kernels for the smooth activations; it names the kernel it lacks."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TYPE_NAMES[input._data.dtype.name]}'")


def _times(grad: Tensor, factor: np.ndarray) -> Tensor:
    """``grad * factor`` for a constant NumPy ``factor``: differentiable in ``grad`` only."""
    return Mul.apply(grad, Tensor._make(factor.astype(grad._data.dtype, copy=False)))


def _const(values: np.ndarray, like: Tensor) -> Tensor:
    return Tensor._make(np.asarray(values).astype(like._data.dtype, copy=False))


def _log1p_small(e: np.ndarray) -> np.ndarray:
    """``log1p(e)`` for ``e`` in [0, 1], within 2 ulp; about 3x faster than ``np.log1p``.

    With ``u = 1 + e`` rounded, ``log(u)`` is exact for the rounded ``u``; the term
    ``((u - 1) - e) / u`` removes the rounding error of ``u`` to first order (Goldberg's correction).
    For tiny ``e``, ``u == 1`` and the result is ``e``, as it should be.
    """
    u = 1 + e
    return np.log(u) - ((u - 1) - e) / u


def _pick(mask: np.ndarray, a: float, b: float, dtype) -> np.ndarray:
    """``a`` where ``mask`` else ``b``, for two finite numbers.

    ``np.where`` on a data-dependent mask is branchy and slow (about 30x a multiply on a
    half-true mask), so the choice is made with arithmetic, which is exact here:
    ``m * a + (1 - m) * b`` multiplies only by 0 and 1.
    """
    m = mask.astype(dtype)
    out = m * dtype.type(a) if a != 1 else m
    return np.asarray(out + (1 - m) * dtype.type(b) if b != 0 else out)


def _maybe_inplace(fn, input: Tensor, inplace: bool, *args) -> Tensor:
    return input._inplace(fn, *args) if inplace else fn(input, *args)


# ----------------------------------------------------- piecewise-linear primitives
class Hardtanh(_Primitive):
    @staticmethod
    def forward(ctx, a, min_val, max_val):
        x = a._data
        if x.dtype.kind in "iu":  # torch casts the bounds to the input's integer type
            min_val, max_val = int(min_val), int(max_val)
        ctx.save_for_backward(a)
        ctx.bounds = (min_val, max_val)
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        lo, hi = ctx.bounds
        x = a._data
        # Zero at exactly min_val and max_val, as torch's hardtanh_backward (clamp would pass it).
        return _times(grad, (x > lo) & (x < hi)), None, None


class LeakyRelu(_Primitive):
    @staticmethod
    def forward(ctx, a, negative_slope):
        x = a._data
        ctx.save_for_backward(a)
        ctx.slope = negative_slope
        # max(x, slope * x) is x for x > 0 and slope * x otherwise when slope <= 1 (min when above):
        # the select without np.where's cost.
        pick = np.maximum if negative_slope <= 1 else np.minimum
        return pick(x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        x = a._data
        # At exactly 0 torch takes the negative side's slope.
        return _times(grad, _pick(x > 0, 1.0, ctx.slope, x.dtype)), None


class Threshold(_Primitive):
    @staticmethod
    def forward(ctx, a, threshold, value):
        x = a._data
        if x.dtype.kind in "iu":  # torch casts both numbers to the input's integer type
            threshold, value = int(threshold), int(value)
        ctx.save_for_backward(a)
        ctx.threshold = threshold
        return np.where(x > threshold, x, value).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return _times(grad, a._data > ctx.threshold), None, None


class Hardsigmoid(_Primitive):
    @staticmethod
    def forward(ctx, a):
        x = a._data
        ctx.save_for_backward(a)
        return np.clip(x + 3.0, 0.0, 6.0) / 6.0

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        x = a._data
        # torch's slope is 1/6 on the open interval (-3, 3) and 0 at both ends.
        return _times(grad, _pick((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0, x.dtype))


# ------------------------------------------------------------ smooth primitives
class Elu(_Primitive):
    """``scale * x`` for ``x > 0``, else ``scale * alpha * (exp(x * input_scale) - 1)`` (elu, selu, celu)."""

    @staticmethod
    def forward(ctx, a, alpha, scale, input_scale):
        x = a._data
        # Only the non-positive part is exponentiated: exp of a large positive x would overflow.
        neg = np.expm1(np.minimum(x, 0.0) * input_scale) * (alpha * scale)
        ctx.save_for_backward(a)
        ctx.coefs = (alpha, scale, input_scale)
        # neg is exactly 0 for x > 0 and max(x, 0) is 0 elsewhere, so the sum selects the branch.
        return np.maximum(x, 0.0) * scale + neg

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        alpha, scale, input_scale = ctx.coefs
        x = a._data
        coef = alpha * scale * input_scale
        # For x < 0 the slope is coef * exp(x * input_scale). It is computed from x, not as
        # input_scale * (out + alpha * scale): in float32, out + alpha * scale cancels to 0 at x = -20.
        # Positive x are clamped to 0 first, so exp cannot overflow there.
        slope_neg = exp(clamp(a, max=0.0) * input_scale) * coef
        # torch takes the first derivative at exactly 0 from the negative side, but the second as 0:
        # the constant part carries x >= 0, so no second derivative flows there.
        slope_rest = _pick(x > 0, scale, 0.0, x.dtype)
        zero = x == 0
        if zero.any():
            slope_rest += _pick(zero, coef, 0.0, x.dtype)
        slope = slope_neg * Tensor._make((x < 0).astype(x.dtype)) + Tensor._make(slope_rest)
        return grad * slope, None, None, None


class Softplus(_Primitive):
    """``log(1 + exp(beta * x)) / beta``, or ``x`` where ``beta * x > threshold``."""

    @staticmethod
    def forward(ctx, a, beta, threshold):
        x = a._data
        z = x * beta
        # log1p(exp(z)) rewritten so that exp only sees non-positive numbers: no overflow at z = 1e4.
        soft = np.asarray((np.maximum(z, 0.0) + _log1p_small(np.exp(-np.abs(z)))) / beta)
        ctx.save_for_backward(a)
        ctx.params = (beta, threshold)
        # Few elements pass the threshold, and copyto with a sparse mask is cheap (np.where is not).
        np.copyto(soft, x, where=z > threshold)
        return soft

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        beta, threshold = ctx.params
        # sigmoid(beta * x) is computed without overflow, and differentiable for double backward.
        s = sigmoid(a * beta)
        z = a._data * beta
        below = z < threshold
        if below.all():
            return grad * s, None, None
        # Above the threshold the slope is 1. At exactly the threshold torch keeps the sigmoid slope
        # but gives second derivative 0, so that point goes into the constant branch too.
        rest = np.where(z > threshold, 1.0, s._data)
        return grad * where(Tensor._make(below), s, _const(rest, a)), None, None


# ------------------------------------------------------------------- public API
def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`."""
    return input._inplace(_ew.relu)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(0, x)`` elementwise (torch.nn.functional.relu, with its ``inplace`` flag)."""
    return input._inplace(_ew.relu) if inplace else _ew.relu(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(0, x), 6)``.

    Args:
        input: the input tensor.
        inplace: overwrite ``input`` with the result.
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """Clamps every element to ``[min_val, max_val]``; the gradient is 0 outside the open interval.

    Args:
        input: the input tensor.
        min_val: the lower bound. Default: -1.
        max_val: the upper bound. Default: 1.
        inplace: overwrite ``input`` with the result.
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(Hardtanh.apply, input, inplace, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` if ``x > 0`` else ``negative_slope * x``.

    Args:
        input: a floating point tensor.
        negative_slope: the slope for negative inputs. Default: 0.01.
        inplace: overwrite ``input`` with the result.
    """
    _need_float(input, "leaky_relu_cpu")
    return _maybe_inplace(LeakyRelu.apply, input, inplace, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def _prelu(input: Tensor, weight: Tensor) -> Tensor:
    # The weights run along dim 1 (the channels); one weight is shared by every element.
    if weight.numel() == 1:
        w = weight.reshape(())
    else:
        w = weight.reshape((weight.numel(),) + (1,) * (input.dim() - 2))
    x = input._data
    dt = x.dtype
    # The slope is 1 for x > 0 and w elsewhere. At exactly 0 torch uses w as the slope but treats
    # it as a constant in double backward (no d/dw of the input gradient), so there the slope is
    # a constant, and only x < 0 links it to the weight. Masks multiply (exactly) instead of np.where.
    zero = x == 0
    rest = (x > 0).astype(dt)
    if zero.any():
        rest += zero.astype(dt) * w._data.astype(dt, copy=False)
    return input * (w * Tensor._make((x < 0).astype(dt)) + Tensor._make(rest))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` if ``x > 0`` else ``weight * x``, with one learned slope per channel (dim 1) or one shared.

    A composite: ``input * (1 if input > 0 else weight)``.

    Args:
        input: the input tensor; dim 1 is the channel dim.
        weight: a 1-D tensor of 1 or ``input.size(1)`` slopes.
    """
    _need_float(input, "prelu_cpu")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    n = weight.numel()
    if n != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {channels}.")
    return _prelu(input, weight)


def _elu(alpha, scale, input_scale):
    return lambda input: Elu.apply(input, alpha, scale, input_scale)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Args:
        input: a floating point tensor.
        alpha: the value approached for large negative inputs is ``-alpha``. Default: 1.
        inplace: overwrite ``input`` with the result.
    """
    _need_float(input, "elu_cpu")
    return _maybe_inplace(_elu(alpha, 1.0, 1.0), input, inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalizing constants alpha ~ 1.6733, scale ~ 1.0507.

    Args:
        input: a floating point tensor.
        inplace: overwrite ``input`` with the result.
    """
    _need_float(input, "elu_cpu")
    return _maybe_inplace(_elu(_SELU_ALPHA, _SELU_SCALE, 1.0), input, inplace)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        input: a floating point tensor.
        alpha: a nonzero scale. Default: 1.
        inplace: overwrite ``input`` with the result.
    """
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _need_float(input, "elu_cpu")
    return _maybe_inplace(_elu(alpha, 1.0, 1.0 / alpha), input, inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` if ``x > threshold`` else ``value``.

    Args:
        input: the input tensor.
        threshold: the value to threshold at.
        value: the value that replaces elements not above ``threshold``.
        inplace: overwrite ``input`` with the result.
    """
    return _maybe_inplace(Threshold.apply, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    # (The ``threshold`` argument shadows the function, so the primitive is called directly.)
    return input._inplace(Threshold.apply, threshold, value)


def _gelu_kernels(x: np.ndarray):
    """The compiled float32 GELU passes for ``x``, or None (float64 and small arrays use NumPy)."""
    if x.dtype != np.float32 or not x.flags.c_contiguous:
        return None
    return _compiled.for_array(x)


class Gelu(_Primitive):
    """``x * Phi(x)`` as one node. The composite above is six nodes and two erf passes (one for
    the value, one again for the gradient); a transformer's MLP runs it on its widest array.
    Forward saves ``Phi(x)``, so backward is one pass: ``grad * (Phi(x) + x * phi(x))``.
    Float32 has a compiled pass (glasstorch/_compiled/kernels.py); float64 keeps NumPy's exact
    erf series. With create_graph the backward is written with ops, for second derivatives."""

    @staticmethod
    def forward(ctx, a):
        x = a._data
        kernels = _gelu_kernels(x)
        if kernels is not None:
            out, cdf = np.empty_like(x), np.empty_like(x)
            _parallel.blocks(kernels.gelu_f32, out, cdf, x)
        else:
            cdf = 0.5 * (1.0 + _ew._erf_array(x * x.dtype.type(math.sqrt(0.5))))
            cdf = cdf.astype(x.dtype, copy=False)
            out = x * cdf
        ctx.save_for_backward(a, Tensor._make(cdf))
        return out

    @staticmethod
    def backward(ctx, grad):
        a, cdf = ctx.saved_tensors
        if _state.enabled:  # create_graph=True: a differentiable backward
            # erf saturates at +-1 and exp(-x^2/2) underflows to 0, so |x| = 1e4 gives 0, not NaN
            pdf = exp(a * a * -0.5) * (1.0 / math.sqrt(2 * math.pi))
            return grad * (0.5 * (1.0 + erf(a * math.sqrt(0.5))) + a * pdf)
        x, c, g = a._data, cdf._data, grad._data
        kernels = _gelu_kernels(x)
        if kernels is not None and g.dtype == np.float32 and g.shape == x.shape and g.flags.c_contiguous:
            out = np.empty_like(x)
            _parallel.blocks(kernels.gelu_backward_f32, out, g, x, c)
            return Tensor._make(out)
        pdf = np.exp(x * x * x.dtype.type(-0.5)) * x.dtype.type(1.0 / math.sqrt(2 * math.pi))
        return Tensor._make(g * (c + x * pdf))


def _gelu(input: Tensor, approximate: str) -> Tensor:
    if approximate == "tanh":
        inner = _GELU_BETA * (input + 0.044715 * (input * input * input))
        return 0.5 * input * (1.0 + tanh(inner))
    return Gelu.apply(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, with ``Phi`` the standard normal CDF.

    One node, ``Gelu`` (or, with ``approximate='tanh'``, a composite of tanh).

    Args:
        input: a floating point tensor.
        approximate: ``'none'`` for the exact erf form, ``'tanh'`` for the tanh approximation.
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _need_float(input, "GeluKernelImpl")
    return _gelu(input, approximate)


def _silu(input: Tensor) -> Tensor:
    # sigmoid is stable, and x * 0 at x = -1e4 is 0: no inf/NaN forward or backward.
    return input * sigmoid(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish). A composite.

    Args:
        input: a floating point tensor.
        inplace: overwrite ``input`` with the result.
    """
    _need_float(input, "silu_cpu")
    return _maybe_inplace(_silu, input, inplace)


def _mish(input: Tensor) -> Tensor:
    # No threshold: the exact softplus everywhere, as torch's mish kernel uses.
    return input * tanh(Softplus.apply(input, 1.0, math.inf))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``. A composite of the stable softplus.

    Args:
        input: a floating point tensor.
        inplace: overwrite ``input`` with the result.
    """
    _need_float(input, "mish_cpu")
    return _maybe_inplace(_mish, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``; where ``beta * x > threshold`` it is ``x``.

    Args:
        input: a floating point tensor.
        beta: the sharpness. Default: 1.
        threshold: above it (in ``beta * x``) the function is linear. Default: 20.
    """
    _need_float(input, "softplus_cpu")
    return Softplus.apply(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, computed stably. A composite of softplus.

    Args:
        input: a floating point tensor.
    """
    _need_float(input, "log_sigmoid_cpu")
    return -Softplus.apply(-input, 1.0, math.inf)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``. A composite."""
    return input / (abs(input) + 1)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``; the slope is 1/6 on ``(-3, 3)`` and 0 elsewhere.

    Args:
        input: a floating point tensor.
        inplace: overwrite ``input`` with the result.
    """
    _need_float(input, "hardsigmoid_cpu")
    return _maybe_inplace(Hardsigmoid.apply, input, inplace)


def _hardswish(input: Tensor) -> Tensor:
    # The product rule gives torch's kinks exactly: slope 0 at -3, 1 at 3, second derivative 1/3 inside.
    return input * Hardsigmoid.apply(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``. A composite of :func:`hardsigmoid`.

    Args:
        input: a floating point tensor.
        inplace: overwrite ``input`` with the result.
    """
    _need_float(input, "hardswish_cpu")
    return _maybe_inplace(_hardswish, input, inplace)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``. A composite."""
    return input - tanh(input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0. A composite (a constant mask)."""
    _need_float(input, "hardshrink_cpu")
    return input * _const(np.abs(input._data) > lambd, input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0. A composite."""
    _need_float(input, "softshrink_check")
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype "
                           f"{_TYPE_NAMES[input._data.dtype.name]}, but found {lambd:g}")
    x = input._data
    above, below = x > lambd, x < -lambd
    shift = _pick(above, lambd, 0.0, x.dtype) - _pick(below, lambd, 0.0, x.dtype)
    return input * _const(above | below, input) - Tensor._make(shift)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)``, where ``a`` and ``b`` are the halves of ``input`` along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = _wrap_dim(dim, input.dim())
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {size}")
    a, b = input.chunk(2, dim)
    return a * sigmoid(b)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x, dim)``. A composite.

    Args:
        input: a floating point tensor.
        dim: the dimension the probabilities sum to 1 over.
        dtype: cast the input to this dtype first.
    """
    return softmax(-input, dim, _stacklevel, dtype)


__all__ = [
    "relu", "relu_", "relu6", "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu",
    "selu_", "celu", "celu_", "threshold", "threshold_", "gelu", "silu", "mish", "softplus", "logsigmoid",
    "softsign", "hardsigmoid", "hardswish", "tanhshrink", "hardshrink", "softshrink", "glu", "softmin",
]
