"""Upsample, UpsamplingNearest2d, UpsamplingBilinear2d: F.interpolate as a layer."""
from __future__ import annotations

from ..._tensor import Tensor
from ...ops import nn_misc as F
from .module import Module


class Upsample(Module):
    """Resamples its input to ``size`` or by ``scale_factor`` (see ``F.interpolate``).

    Args:
        size: output spatial size.
        scale_factor: multiplier for the spatial size (stored as a float, or a tuple of floats).
        mode: 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'trilinear'. Default: 'nearest'.
        align_corners: for the linear modes.
        recompute_scale_factor: sample with the scale implied by the output size.

    Example::

        >>> nn.Upsample(scale_factor=2, mode='nearest')(glasstorch.randn(1, 1, 2, 2)).shape
        glasstorch.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def __setstate__(self, state: dict) -> None:
        if "recompute_scale_factor" not in state:
            state["recompute_scale_factor"] = True
        super().__setstate__(state)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of ``(N, C, H, W)`` input (``Upsample(mode='nearest')``)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling with ``align_corners=True`` (``Upsample(mode='bilinear', align_corners=True)``)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
