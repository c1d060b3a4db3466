"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d.

Weights use torch's layout: (out_channels, in_channels / groups, *kernel_size) for
convolutions and (in_channels, out_channels / groups, *kernel_size) for transposed
ones, so state_dicts interchange with torch's.
"""
from __future__ import annotations

import math
from typing import Sequence

from ... import _creation
from ..._tensor import Tensor
from ...ops import conv as F
from ...ops.padding import pad as _pad
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_STRINGS = {"same", "valid"}
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """What Conv and ConvTranspose layers share: arguments, parameters, init and repr."""

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding, dilation,
                 transposed: bool, output_padding, groups: int, bias: bool, padding_mode: str,
                 device=None, dtype=None) -> None:
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {_PADDING_STRINGS}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's widths for padding_mode != 'zeros': last dim first, (before, after) each.
        if isinstance(padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * nd
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(nd - 1, -1, -1)):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * i] = total // 2
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - total // 2
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in range(2)]
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + tuple(kernel_size)
        self.weight = Parameter(_creation.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_ with a=sqrt(5) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in being
        # weight.size(1) * prod(kernel_size) (for transposed convs too: torch's choice); the bias
        # uses the same bound.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"


class _Conv(_ConvNd):
    _function = staticmethod(F.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        nd = self._nd
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, nd), _ntuple(stride, nd),
                         padding if isinstance(padding, str) else _ntuple(padding, nd), _ntuple(dilation, nd),
                         False, _ntuple(0, nd), groups, bias, padding_mode, device=device, dtype=dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.padding_mode != "zeros":
            return self._function(_pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode),
                                  weight, bias, self.stride, 0, self.dilation, self.groups)
        return self._function(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """Applies a 1-D convolution over an input signal of several channels.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: the window length.
        stride: the window step. Default: 1.
        padding: an int, a 1-tuple, 'valid' or 'same'. Default: 0.
        dilation: the step between window taps. Default: 1.
        groups: split the channels into this many independent groups. Default: 1.
        bias: learn an additive bias. Default: True.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'.

    Shape:
        input (N, C_in, L) or (C_in, L); output (N, C_out, L_out).

    Attributes:
        weight: (out_channels, in_channels / groups, kernel_size), from U(-k, k),
            k = 1 / sqrt(in_channels / groups * kernel_size); bias: (out_channels,), same distribution.

    Example::

        >>> nn.Conv1d(16, 33, 3, stride=2)(glasstorch.randn(20, 16, 50)).shape
        glasstorch.Size([20, 33, 24])
    """

    _nd = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """Applies a 2-D convolution over an input image of several channels.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: an int or (kH, kW).
        stride: the window step. Default: 1.
        padding: an int, a tuple, 'valid' or 'same'. Default: 0.
        dilation: the step between window taps. Default: 1.
        groups: split the channels into this many independent groups. Default: 1.
        bias: learn an additive bias. Default: True.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'.

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out),
        H_out = (H + 2*padding - dilation*(kH-1) - 1) // stride + 1.

    Attributes:
        weight: (out_channels, in_channels / groups, kH, kW), from U(-k, k),
            k = 1 / sqrt(in_channels / groups * kH * kW); bias: (out_channels,), same distribution.

    Example::

        >>> nn.Conv2d(1, 6, 5, padding=2)(glasstorch.randn(8, 1, 28, 28)).shape
        glasstorch.Size([8, 6, 28, 28])
    """

    _nd = 2
    _function = staticmethod(F.conv2d)


class _ConvTransposeNd(_ConvNd):
    _function = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        nd = self._nd
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, nd), _ntuple(stride, nd),
                         _ntuple(padding, nd), _ntuple(dilation, nd), True, _ntuple(output_padding, nd), groups,
                         bias, padding_mode, device=device, dtype=dtype)

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None, stride, padding, kernel_size,
                        num_spatial_dims: int, dilation=None) -> list:
        """The output_padding that makes the output ``output_size`` (torch's rule)."""
        if output_size is None:
            return list(self.output_padding)
        has_batch = input.dim() == num_spatial_dims + 2
        size = list(output_size)
        if len(size) == num_spatial_dims + (2 if has_batch else 1):
            size = size[-num_spatial_dims:]
        if len(size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have "
                             f"{num_spatial_dims} or {num_spatial_dims + (2 if has_batch else 1)} elements "
                             f"(got {len(output_size)})")
        dilation = self.dilation if dilation is None else dilation
        spatial = list(input.shape[-num_spatial_dims:])
        smallest = [(n - 1) * s - 2 * p + d * (k - 1) + 1
                    for n, s, p, d, k in zip(spatial, stride, padding, dilation, kernel_size)]
        largest = [lo + s - 1 for lo, s in zip(smallest, stride)]
        if any(not lo <= req <= hi for req, lo, hi in zip(size, smallest, largest)):
            raise ValueError(f"requested an output size of {size}, but valid sizes range from {smallest} to "
                             f"{largest} (for an input of {spatial})")
        return [req - lo for req, lo in zip(size, smallest)]

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        nd = self._nd
        if input.dim() not in (nd + 1, nd + 2):
            raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                               f"conv_transpose{nd}d, but got input of size: {list(input.shape)}")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              nd, self.dilation)
        return self._function(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                              self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """Applies a 1-D transposed convolution: the gradient of Conv1d with respect to its input.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias: as for Conv1d.
        output_padding: extra length added at the end of the output. Default: 0.

    Shape:
        input (N, C_in, L) or (C_in, L); output (N, C_out, L_out),
        L_out = (L-1)*stride - 2*padding + dilation*(kernel_size-1) + output_padding + 1.

    Attributes:
        weight: (in_channels, out_channels / groups, kernel_size).
    """

    _nd = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Applies a 2-D transposed convolution ("deconvolution"): the gradient of Conv2d for its input.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias: as for Conv2d.
        output_padding: extra rows and columns added at the end of the output. Default: 0.

    ``forward(input, output_size=None)``: ``output_size`` picks the output_padding that gives that size.

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out),
        H_out = (H-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1.

    Attributes:
        weight: (in_channels, out_channels / groups, kH, kW), from U(-k, k),
            k = 1 / sqrt(out_channels / groups * kH * kW).

    Example::

        >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> up(glasstorch.randn(1, 16, 12, 12), output_size=[24, 24]).shape
        glasstorch.Size([1, 8, 24, 24])
    """

    _nd = 2
    _function = staticmethod(F.conv_transpose2d)
