"""nn.init: fill parameters in place with the distributions of the classic initialization schemes.

Every function runs under ``no_grad``, writes into the tensor it is given and
returns it. Random draws go through glasstorch's generators (the one passed as
``generator=``, else the global one), so ``glasstorch.manual_seed`` makes an
initialization reproducible. The distributions are torch's; the numbers are
not, since glasstorch's generator is not torch's.
"""
from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..random import Generator, _rng

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
    # deprecated aliases, as in torch
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform",
    "kaiming_normal", "orthogonal", "sparse",
]

_FanMode = Literal["fan_in", "fan_out"]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: int | float | None = None) -> float:
    r"""Returns the recommended gain for a nonlinearity (the ``nn.functional`` name).

    ================= ====================================================
    nonlinearity      gain
    ================= ====================================================
    Linear / Identity :math:`1`
    Conv{1,2,3}D      :math:`1`
    Sigmoid           :math:`1`
    Tanh              :math:`\frac{5}{3}`
    ReLU              :math:`\sqrt{2}`
    Leaky Relu        :math:`\sqrt{\frac{2}{1 + \text{negative\_slope}^2}}`
    SELU              :math:`\frac{3}{4}`
    ================= ====================================================

    Args:
        nonlinearity: the non-linear function's name.
        param: the negative slope, for ``'leaky_relu'`` (default 0.01).

    Example::

        >>> nn.init.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param  # bool is an int subclass, and no slope
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically (pytorch/pytorch#50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _write(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Copies ``values`` into ``tensor`` in place (a view's base sees it; the version counter is bumped)."""
    with no_grad():
        tensor.copy_(Tensor._make(values))
    return tensor


def _draw_dtype(tensor: Tensor):
    # NumPy samples float32 and float64 only; narrower floats are drawn as float32 and rounded.
    return np.float64 if tensor._data.dtype == np.float64 else np.float32


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None) -> Tensor:
    r"""Fills ``tensor`` with values drawn from the uniform distribution :math:`\mathcal{U}(a, b)`.

    Example::

        >>> w = glasstorch.empty(3, 5)
        >>> nn.init.uniform_(w, -0.1, 0.1)
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None) -> Tensor:
    r"""Fills ``tensor`` with values drawn from the normal distribution :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Example::

        >>> w = glasstorch.empty(3, 5)
        >>> nn.init.normal_(w, std=0.02)
    """
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Generator | None = None) -> Tensor:
    r"""Fills ``tensor`` with values drawn from a normal distribution truncated to :math:`[a, b]`.

    Values are drawn from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`, redrawing those outside
    :math:`[a, b]`. Like torch, when the interval holds little of the mass (30% or less), it
    instead draws uniformly in :math:`[a, b]` and accepts each value with probability
    proportional to the normal density, which needs far fewer rounds.

    Example::

        >>> w = glasstorch.empty(3, 5)
        >>> nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    rng = _rng(generator)
    shape, dt = tensor._data.shape, _draw_dtype(tensor)

    def cdf(v: float) -> float:
        return (1.0 + math.erf(v / math.sqrt(2.0))) / 2.0

    mass = cdf((b - mean) / std) - cdf((a - mean) / std)
    if mass > 0.3:
        # The bounds as the tensor's dtype represents them, so that the accepted values are in [a, b] there.
        lo, hi = (float(np.asarray(v, tensor._data.dtype)) for v in (a, b))
        out = rng.standard_normal(shape, dtype=dt) * dt(std) + dt(mean)
        bad = (out < lo) | (out > hi)
        while bad.any():
            out[bad] = rng.standard_normal(int(bad.sum()), dtype=dt) * dt(std) + dt(mean)
            bad = (out < lo) | (out > hi)
    else:
        # Rejection from the uniform on [a, b]: accept x with probability pdf(x) / pdf(mode).
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2
        out = np.empty(shape, dtype=dt)
        pending = np.ones(shape, dtype=bool)
        while pending.any():
            k = int(pending.sum())
            cand = rng.uniform(a, b, k).astype(dt)
            ratio = np.exp(-0.5 * ((cand - mean) / std) ** 2 - log_peak)
            accept = rng.random(k, dtype=dt) <= ratio
            idx = np.flatnonzero(pending)[accept]
            out.flat[idx] = cand[accept]
            pending.flat[idx] = False
    return _write(tensor, out)


def constant_(tensor: Tensor, val: float) -> Tensor:
    r"""Fills ``tensor`` with the value ``val``.

    Example::

        >>> nn.init.constant_(glasstorch.empty(3, 5), 0.3)
    """
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    r"""Fills ``tensor`` with ones."""
    with no_grad():
        return tensor.fill_(1.0)


def zeros_(tensor: Tensor) -> Tensor:
    r"""Fills ``tensor`` with zeros."""
    with no_grad():
        return tensor.zero_()


def eye_(tensor: Tensor) -> Tensor:
    r"""Fills the 2-D ``tensor`` with the identity matrix (ones on the main diagonal).

    In a ``Linear`` layer this preserves as many inputs as possible.

    Example::

        >>> nn.init.eye_(glasstorch.empty(3, 5))
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor._data.shape, dtype=tensor._data.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    r"""Fills the {3, 4, 5}-D ``tensor`` with the Dirac delta, so that a convolution preserves its inputs.

    With ``groups > 1`` each group of output channels preserves the identity.

    Args:
        tensor: a {3, 4, 5}-dimensional tensor (a convolution weight).
        groups: the number of groups of the convolution.

    Example::

        >>> nn.init.dirac_(glasstorch.empty(3, 24, 5, 5), 3)
    """
    nd = tensor.dim()
    if nd not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor._data.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    k = min(per_group, sizes[1])
    out = np.zeros(sizes, dtype=tensor._data.dtype)
    d = np.arange(k)
    rows = (np.arange(groups)[:, None] * per_group + d).ravel()  # output channel g*per_group + d ...
    cols = np.tile(d, groups)                                      # ... takes input channel d
    centre = tuple(s // 2 for s in sizes[2:])
    out[(rows, cols) + centre] = 1
    return _write(tensor, out)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight laid out as (out, in, *kernel)."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field_size, tensor.shape[0] * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: _FanMode) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    r"""Fills ``tensor`` with Glorot (Xavier) uniform values: :math:`\mathcal{U}(-a, a)` with

    .. math::
        a = \text{gain} \times \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    Example::

        >>> nn.init.xavier_uniform_(glasstorch.empty(3, 5), gain=nn.init.calculate_gain("relu"))
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # the uniform on [-a, a] has this std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    r"""Fills ``tensor`` with Glorot (Xavier) normal values: :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \text{gain} \times \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: _FanMode = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    r"""Fills ``tensor`` with He (Kaiming) uniform values: :math:`\mathcal{U}(-\text{bound}, \text{bound})` with

    .. math::
        \text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan\_mode}}}

    Args:
        tensor: the weight, laid out as (out, in, *kernel).
        a: the negative slope of the rectifier after this layer (for ``'leaky_relu'``).
        mode: ``'fan_in'`` (preserves the variance in the forward pass) or ``'fan_out'`` (in backward).
        nonlinearity: the nonlinearity's name (see :func:`calculate_gain`).
        generator: the generator to draw from.

    Example::

        >>> nn.init.kaiming_uniform_(glasstorch.empty(3, 5), mode="fan_in", nonlinearity="relu")
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: _FanMode = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    r"""Fills ``tensor`` with He (Kaiming) normal values: :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \frac{\text{gain}}{\sqrt{\text{fan\_mode}}}

    The arguments are those of :func:`kaiming_uniform_`.
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return normal_(tensor, 0, gain / math.sqrt(fan), generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    r"""Fills ``tensor`` with a (semi-)orthogonal matrix, times ``gain``.

    Trailing dimensions are flattened: the result viewed as (rows, cols) has orthonormal rows or
    columns, whichever are fewer. It is the Q of the QR factorization of a Gaussian matrix, with
    signs fixed so that the distribution is uniform (Haar) over orthogonal matrices.

    Example::

        >>> nn.init.orthogonal_(glasstorch.empty(3, 5))
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, cols), dtype=_draw_dtype(tensor))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    # Without this sign fix, Q would not be uniformly distributed (Mezzadri, math-ph/0609050).
    q *= np.sign(np.diagonal(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tensor._data.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None) -> Tensor:
    r"""Fills the 2-D ``tensor`` as a sparse matrix: in each column a fraction ``sparsity`` of the rows
    is zero, the rest drawn from :math:`\mathcal{N}(0, \text{std}^2)`.
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor._data.shape
    num_zeros = math.ceil(sparsity * rows)
    normal_(tensor, 0, std, generator)
    # A random subset of rows per column: the first num_zeros of each column's random permutation.
    zero_rows = _rng(generator).random((rows, cols)).argsort(axis=0)[:num_zeros]
    out = tensor._data.copy()
    out[zero_rows, np.arange(cols)] = 0
    return _write(tensor, out)


def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated: use :func:`glasstorch.nn.init.{new_name}`."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
