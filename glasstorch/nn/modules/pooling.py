"""Pooling layers: max, average and adaptive pooling in 1-D and 2-D.

They hold no parameters; each forwards its arguments to the functional form in
``glasstorch/ops/pooling.py``. Arguments are stored as given (AvgPool1d stores
1-tuples), as torch does, so ``repr`` matches torch's.
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...ops import pooling as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


def _single(value) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Applies 1-D max pooling over an input of shape (N, C, L) or (C, L).

    Args:
        kernel_size: the window size.
        stride: the window step. Default: kernel_size.
        padding: implicit -inf padding on both sides (at most half the kernel). Default: 0.
        dilation: the step between window elements. Default: 1.
        return_indices: also return the position of each maximum (for MaxUnpool1d). Default: False.
        ceil_mode: round the output size up instead of down. Default: False.

    Example::

        >>> nn.MaxPool1d(3, stride=2)(glasstorch.randn(20, 16, 50)).shape
        glasstorch.Size([20, 16, 24])
    """

    def forward(self, input: Tensor):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Applies 2-D max pooling over an input of shape (N, C, H, W) or (C, H, W).

    Args:
        kernel_size: an int or (kH, kW).
        stride: the window step. Default: kernel_size.
        padding: implicit -inf padding on both sides (at most half the kernel). Default: 0.
        dilation: the step between window elements. Default: 1.
        return_indices: also return each maximum's flat index into its H*W plane. Default: False.
        ceil_mode: round the output size up instead of down. Default: False.

    Shape:
        H_out = (H + 2*padding - dilation*(kH-1) - 1) // stride + 1 (rounded up with ceil_mode).

    Example::

        >>> nn.MaxPool2d(2)(glasstorch.randn(8, 16, 32, 32)).shape
        glasstorch.Size([8, 16, 16, 16])
    """

    def forward(self, input: Tensor):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """Applies 1-D average pooling over an input of shape (N, C, L) or (C, L).

    Args:
        kernel_size: the window size.
        stride: the window step. Default: kernel_size.
        padding: implicit zero padding on both sides (at most half the kernel). Default: 0.
        ceil_mode: round the output size up instead of down. Default: False.
        count_include_pad: count the zero padding in the divisor. Default: True.

    Example::

        >>> nn.AvgPool1d(3, stride=2)(glasstorch.tensor([[[1., 2, 3, 4, 5, 6, 7]]]))
        tensor([[[2., 4., 6.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Applies 2-D average pooling over an input of shape (N, C, H, W) or (C, H, W).

    Args:
        kernel_size: an int or (kH, kW).
        stride: the window step. Default: kernel_size.
        padding: implicit zero padding on both sides (at most half the kernel). Default: 0.
        ceil_mode: round the output size up instead of down. Default: False.
        count_include_pad: count the zero padding in the divisor. Default: True.
        divisor_override: divide every window sum by this instead. Default: None.

    Example::

        >>> nn.AvgPool2d(2, 2)(glasstorch.randn(8, 6, 28, 28)).shape
        glasstorch.Size([8, 6, 14, 14])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePoolNd(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Average-pools (N, C, L) or (C, L) to length ``output_size``, whatever L is.

    Example::

        >>> nn.AdaptiveAvgPool1d(5)(glasstorch.randn(1, 64, 8)).shape
        glasstorch.Size([1, 64, 5])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Average-pools (N, C, H, W) or (C, H, W) to ``output_size``, whatever H and W are.

    Args:
        output_size: an int or (H_out, W_out); None keeps that input size.

    Example::

        >>> nn.AdaptiveAvgPool2d((5, 7))(glasstorch.randn(1, 64, 8, 9)).shape
        glasstorch.Size([1, 64, 5, 7])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePoolNd):
    """Max-pools (N, C, L) or (C, L) to length ``output_size``, whatever L is.

    Args:
        output_size: the output length.
        return_indices: also return the position of each maximum. Default: False.
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePoolNd):
    """Max-pools (N, C, H, W) or (C, H, W) to ``output_size``, whatever H and W are.

    Args:
        output_size: an int or (H_out, W_out); None keeps that input size.
        return_indices: also return each maximum's flat index into its H*W plane. Default: False.

    Example::

        >>> nn.AdaptiveMaxPool2d(7)(glasstorch.randn(1, 64, 10, 9)).shape
        glasstorch.Size([1, 64, 7, 7])
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)
