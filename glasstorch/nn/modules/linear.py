"""Linear layers: Identity, Linear, Bilinear."""
from __future__ import annotations

import math
from typing import Any

from ... import _creation
from ..._tensor import Tensor
from ...ops import nn_misc as F
from .. import init
from ..parameter import Parameter
from .module import Module

class Identity(Module):
    """Returns its input unchanged; takes (and ignores) any constructor arguments.

    Example::

        >>> nn.Identity(54, unused_argument=0.1)(glasstorch.randn(2)).shape
        glasstorch.Size([2])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Applies ``y = x A^T + b``.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias. Default: True.

    Shape:
        input ``(*, in_features)``; output ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in_features)``, initialized from U(-k, k) with ``k = 1/sqrt(in_features)``.
        bias: ``(out_features,)``, from the same distribution.

    Example::

        >>> m = nn.Linear(20, 30)
        >>> m(glasstorch.randn(128, 20)).shape
        glasstorch.Size([128, 30])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_creation.empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_ with a=sqrt(5) is U(-1/sqrt(in_features), 1/sqrt(in_features)); the bias
        # uses the same bound (torch's choice, kept for identical distributions).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """Applies ``y = x1^T A x2 + b`` for each output feature.

    Args:
        in1_features, in2_features: sizes of the two inputs' last dimension.
        out_features: size of each output sample.
        bias: learn an additive bias. Default: True.

    Attributes:
        weight: ``(out_features, in1_features, in2_features)``, from U(-k, k) with ``k = 1/sqrt(in1_features)``.
        bias: ``(out_features,)``, from the same distribution.

    Example::

        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(glasstorch.randn(128, 20), glasstorch.randn(128, 30)).shape
        glasstorch.Size([128, 40])
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(_creation.empty((out_features, in1_features, in2_features), device=device,
                                                dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under another name: torch uses it for ``MultiheadAttention.out_proj`` (to keep
    quantization from rewriting it), so the same class name appears in ``repr`` and checkpoints."""


__all__ = ["Identity", "Linear", "Bilinear", "NonDynamicallyQuantizableLinear"]
