"""Normalization layers: BatchNorm{1,2,3}d, InstanceNorm{1,2,3}d, LayerNorm, GroupNorm, RMSNorm.

torch splits these over batchnorm.py, instancenorm.py and normalization.py;
here they share one file. Each layer keeps torch's parameters, buffers,
``state_dict`` keys and ``repr``, and calls the functional form in
``glasstorch/ops/normalization.py``.
"""
from __future__ import annotations

import numbers
import warnings

from ..._creation import empty, ones, tensor, zeros
from ..._dtype import int64
from ..._tensor import Tensor
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
           "LayerNorm", "GroupNorm", "RMSNorm"]


def _register_affine(module: Module, affine: bool, bias: bool, shape, dtype, device) -> None:
    """``weight`` (and ``bias``) of ``shape`` as torch's norm layers register them: parameters when
    ``affine``, else None entries, so that ``state_dict`` keys match torch's either way."""
    if affine:
        module.weight = Parameter(empty(shape, dtype=dtype, device=device))
        if bias:
            module.bias = Parameter(empty(shape, dtype=dtype, device=device))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    """weight 1 and bias 0, where the layer has them."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """Parameters (weight, bias) and running statistics shared by batch and instance norm."""

    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, affine, bias, num_features, dtype, device)
        if self.track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        # momentum=None means a cumulative average: the n-th batch gets weight 1/n.
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        # In eval mode the running statistics are used, unless there are none.
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep_stats = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep_stats else None,
                            self.running_var if keep_stats else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    r"""Applies Batch Normalization over a 2-D or 3-D input.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta

    The mean and (biased) variance are computed per channel over the batch (and length) dims. In
    training the running estimates are updated as
    ``running = (1 - momentum) * running + momentum * batch_stat`` (the unbiased variance), and
    eval mode normalizes with them.

    Args:
        num_features: the number of channels C.
        eps: added to the variance for numerical stability. Default: 1e-5.
        momentum: the weight of each new batch in the running statistics; None gives a cumulative
            average. Default: 0.1.
        affine: learnable per-channel weight (init 1) and bias (init 0). Default: True.
        track_running_stats: keep running statistics; if False, batch statistics are always used.
            Default: True.

    Shape:
        - Input: (N, C) or (N, C, L)
        - Output: same as the input

    Example::

        >>> m = nn.BatchNorm1d(100)
        >>> m(glasstorch.randn(20, 100)).shape
        glasstorch.Size([20, 100])
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    r"""Applies Batch Normalization over a 4-D input (N, C, H, W).

    See :class:`BatchNorm1d` for the formula and arguments.

    Example::

        >>> m = nn.BatchNorm2d(16)
        >>> m(glasstorch.randn(8, 16, 5, 5)).shape
        glasstorch.Size([8, 16, 5, 5])
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    r"""Applies Batch Normalization over a 5-D input (N, C, D, H, W).

    See :class:`BatchNorm1d` for the formula and arguments.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class _InstanceNorm(_NormBase):
    _no_batch_dim: int

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _check_input_dim(self, input: Tensor) -> None:
        nd = self._no_batch_dim
        if input.dim() not in (nd, nd + 1):
            raise ValueError(f"expected {nd}D or {nd + 1}D input (got {input.dim()}D input)")

    def _apply_instance_norm(self, input: Tensor) -> Tensor:
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                               self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features"
                                 f" ({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        if input.dim() == self._no_batch_dim:  # an unbatched sample
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    r"""Applies Instance Normalization over a 2-D (C, L) or 3-D (N, C, L) input.

    Each channel of each sample is normalized over its length. Unlike batch norm, ``affine`` and
    ``track_running_stats`` default to False.

    Args:
        num_features: the number of channels C.
        eps, momentum, affine, track_running_stats: as in :class:`BatchNorm1d`.
    """
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    r"""Applies Instance Normalization over a 3-D (C, H, W) or 4-D (N, C, H, W) input.

    See :class:`InstanceNorm1d`.
    """
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    r"""Applies Instance Normalization over a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input.

    See :class:`InstanceNorm1d`.
    """
    _no_batch_dim = 4


def _as_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    r"""Applies Layer Normalization over the last dims of the input.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta

    The mean and (biased) variance are taken over the last ``len(normalized_shape)`` dims of each
    sample; :math:`\gamma` and :math:`\beta` have shape ``normalized_shape``. The same statistics
    are used in training and eval mode.

    Args:
        normalized_shape: an int or the trailing shape to normalize over.
        eps: added to the variance for numerical stability. Default: 1e-5.
        elementwise_affine: learnable weight (init 1) and bias (init 0). Default: True.
        bias: whether to learn the bias (when ``elementwise_affine``). Default: True.

    Example::

        >>> m = nn.LayerNorm(10)
        >>> m(glasstorch.randn(20, 5, 10)).shape
        glasstorch.Size([20, 5, 10])
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, elementwise_affine, bias, self.normalized_shape, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    r"""Applies Group Normalization: the C channels are split into ``num_groups`` groups, and each
    group of each sample is normalized over its channels and spatial positions.

    Args:
        num_groups: the number of groups (must divide ``num_channels``).
        num_channels: the number of channels C.
        eps: added to the variance for numerical stability. Default: 1e-5.
        affine: learnable per-channel weight (init 1) and bias (init 0). Default: True.

    Shape:
        - Input: (N, C, *)
        - Output: same as the input

    Example::

        >>> m = nn.GroupNorm(3, 6)
        >>> m(glasstorch.randn(20, 6, 10, 10)).shape
        glasstorch.Size([20, 6, 10, 10])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, affine, bias, num_channels, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    r"""Applies Root Mean Square Layer Normalization: :math:`y = \frac{x}{\sqrt{\mathrm{E}[x^2] + \epsilon}} * \gamma`.

    Args:
        normalized_shape: an int or the trailing shape to normalize over.
        eps: added to the mean square; None uses the machine epsilon of the input's dtype.
        elementwise_affine: learnable weight (init 1). Default: True.
    """

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
