"""Image transforms with torchvision's names, arguments and reprs.

Images come in two forms:

* a uint8 NumPy array (H, W) or (H, W, C): what the datasets give, where
  torchvision gives a PIL image;
* a Tensor (..., C, H, W), usually float, after :class:`ToTensor`.

Geometric transforms (crops, flips, resizing) take both and give back the same
form. Random transforms draw from glasstorch's global generator
(``glasstorch.rand`` / ``glasstorch.randint``), so ``glasstorch.manual_seed``
makes a pipeline reproducible. Resizing and padding work on the arrays and are
not recorded by autograd; ``Normalize``, crops and flips of a tensor are.

Example::

    >>> from glasstorch.vision import transforms as T
    >>> tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
    ...                 T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])
"""
from __future__ import annotations

import functools
import numbers
from enum import Enum
from typing import Any, Callable, Sequence

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled
from ..random import rand, randint

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "Resize", "CenterCrop", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "Pad", "Lambda", "InterpolationMode"]


class InterpolationMode(Enum):
    """Interpolation methods, as ``torchvision.transforms.InterpolationMode``.

    Only NEAREST, NEAREST_EXACT and BILINEAR are implemented.
    """
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# PIL's integer constants, which torchvision also accepts.
_PIL_MODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
              4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
_IMPLEMENTED = (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT, InterpolationMode.BILINEAR)


# ------------------------------------------------------------------ helpers
def _check_image(img: Any) -> None:
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"Tensor is not a torch image: expected (..., H, W), got shape {list(img.shape)}")
    elif isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"an image array should be (H, W) or (H, W, C), got shape {list(img.shape)}")
    else:
        raise TypeError(f"img should be a Tensor or a NumPy array (H, W[, C]). Got {type(img)}")


def _size_hw(img: Any) -> tuple[int, int]:
    """(height, width) of a tensor (..., H, W) or an array (H, W[, C])."""
    _check_image(img)
    return tuple(img.shape[-2:]) if isinstance(img, Tensor) else tuple(img.shape[:2])


def _setup_size(size, error_msg: str):
    """torchvision's rule: an int n means (n, n); a 1-sequence (n,) too; a 2-sequence is kept as given."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _parse_padding(padding) -> tuple[int, int, int, int]:
    """int / (all,) / (left-right, top-bottom) / (left, top, right, bottom) to (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    padding = list(padding)
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    if len(padding) == 4:
        return tuple(int(p) for p in padding)
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def _check_padding_args(padding, fill, padding_mode: str) -> None:
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                         f"tuple")


def pad(img: Any, padding, fill=0, padding_mode: str = "constant") -> Any:
    """Pads the borders of ``img``; ``padding`` as in :class:`Pad`. ``fill`` may be per channel."""
    _check_image(img)
    _check_padding_args(padding, fill, padding_mode)
    left, top, right, bottom = _parse_padding(padding)
    if min(left, top, right, bottom) < 0:
        raise ValueError(f"negative padding {padding} is not supported")
    is_tensor = isinstance(img, Tensor)
    arr = img._data if is_tensor else img
    h_ax, w_ax = (arr.ndim - 2, arr.ndim - 1) if is_tensor else (0, 1)
    if padding_mode == "constant":
        shape = list(arr.shape)
        shape[h_ax] += top + bottom
        shape[w_ax] += left + right
        out = np.empty(shape, dtype=arr.dtype)
        value = np.asarray(fill, dtype=np.float64)
        if value.ndim and is_tensor:
            value = value.reshape(-1, 1, 1)  # one value per channel of (..., C, H, W)
        out[...] = value.astype(arr.dtype) if arr.dtype.kind != "f" else value
        region = [slice(None)] * arr.ndim
        region[h_ax] = slice(top, top + arr.shape[h_ax])
        region[w_ax] = slice(left, left + arr.shape[w_ax])
        out[tuple(region)] = arr
    else:
        widths = [(0, 0)] * arr.ndim
        widths[h_ax], widths[w_ax] = (top, bottom), (left, right)
        out = np.pad(arr, widths, mode=padding_mode)
    return Tensor._make(out) if is_tensor else out


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height`` x ``width`` region of ``img`` whose top-left corner is (top, left).

    Parts outside the image are filled with zeros, as torchvision does.
    """
    h, w = _size_hw(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        inner = crop(img, max(top, 0), max(left, 0), min(bottom, h) - max(top, 0), min(right, w) - max(left, 0))
        return pad(inner, [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)])
    if isinstance(img, Tensor):
        return img[..., top:bottom, left:right]
    return np.ascontiguousarray(img[top:bottom, left:right])


def center_crop(img: Any, output_size) -> Any:
    """Crops the centre of ``img``; an image smaller than ``output_size`` is first padded with zeros."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    crop_h, crop_w = output_size
    img_h, img_w = _size_hw(img)
    if crop_w > img_w or crop_h > img_h:
        img = pad(img, [(crop_w - img_w) // 2 if crop_w > img_w else 0,
                        (crop_h - img_h) // 2 if crop_h > img_h else 0,
                        (crop_w - img_w + 1) // 2 if crop_w > img_w else 0,
                        (crop_h - img_h + 1) // 2 if crop_h > img_h else 0])
        img_h, img_w = _size_hw(img)
        if (crop_h, crop_w) == (img_h, img_w):
            return img
    # Python's round (half to even), as torchvision: a 1-pixel surplus split 0.5 goes to an even offset.
    top = int(round((img_h - crop_h) / 2.0))
    left = int(round((img_w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def hflip(img: Any) -> Any:
    """Flips ``img`` left to right."""
    _check_image(img)
    if isinstance(img, Tensor):
        return img.flip(-1)
    return np.ascontiguousarray(img[:, ::-1])


def vflip(img: Any) -> Any:
    """Flips ``img`` upside down."""
    _check_image(img)
    if isinstance(img, Tensor):
        return img.flip(-2)
    return np.ascontiguousarray(img[::-1])


# ----------------------------------------------------------------- resizing
def _linear_taps(n_in: int, n_out: int, dt: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Source indices (n_out, 2) and weights (n_out, 2) of bilinear resampling, align_corners=False.

    Computed in ``dt`` with torch's formulas (``area_pixel_compute_source_index``),
    so a float32 image gets float32 weights that equal torch's.
    """
    if n_in == n_out:
        idx = np.arange(n_out)[:, None].repeat(2, 1)
        return idx, np.array([[1, 0]], dtype=dt).repeat(n_out, 0)
    scale = dt.type(n_in) / dt.type(n_out)
    src = scale * (np.arange(n_out, dtype=dt) + dt.type(0.5)) - dt.type(0.5)
    np.maximum(src, 0, out=src)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam1 = np.clip(src - i0.astype(dt), 0, 1).astype(dt)
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], 1), np.stack([dt.type(1) - lam1, lam1], 1)


def _antialias_taps(n_in: int, n_out: int, dt: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Indices and weights (n_out, K) of antialiased bilinear downsampling, as torch's
    ``interpolate(..., antialias=True)``: a triangle filter stretched by the scale
    (so each output averages every input pixel under it), normalized per output."""
    scale = float(n_in) / n_out
    support = scale  # the triangle's half-width (1 for plain bilinear) times the scale
    center = scale * (np.arange(n_out) + 0.5)
    lo = np.maximum((center - support + 0.5).astype(np.int64), 0)  # astype truncates, as torch's int cast
    hi = np.minimum((center + support + 0.5).astype(np.int64), n_in)
    k = lo[:, None] + np.arange(int((hi - lo).max()))
    w = np.maximum(0.0, 1.0 - np.abs((k - center[:, None] + 0.5) / scale))
    w[k >= hi[:, None]] = 0.0
    w /= w.sum(1, keepdims=True)
    return np.minimum(k, n_in - 1), w.astype(dt)


def _nearest_taps(n_in: int, n_out: int, exact: bool) -> np.ndarray:
    scale = np.float32(n_in) / np.float32(n_out)
    pos = np.arange(n_out, dtype=np.float32)
    if exact:
        pos += np.float32(0.5)
    return np.minimum(np.floor(pos * scale).astype(np.int64), n_in - 1)


@functools.lru_cache(maxsize=256)
def _taps(n_in: int, n_out: int, dt: np.dtype, antialias: bool) -> tuple:
    """The taps of one axis as ``((index, weight), ...)``, one pair per tap, cached.

    A data pipeline resizes every image between the same sizes, so the weights are
    computed once. Weights are shaped (n_out, 1), ready for the height axis; the
    width axis uses them raveled.
    """
    idx, w = _antialias_taps(n_in, n_out, dt) if antialias else _linear_taps(n_in, n_out, dt)
    taps = tuple((np.ascontiguousarray(idx[:, k]), np.ascontiguousarray(w[:, k, None])) for k in range(idx.shape[1]))
    for i, wk in taps:
        i.flags.writeable = wk.flags.writeable = False
    return taps


def _resample(x: np.ndarray, axis: int, taps: tuple) -> np.ndarray:
    """Weighted sum of the taps along ``axis`` (-1 or -2): out[i] = sum_k w[i, k] * x[idx[i, k]]."""
    out = None
    for idx, w in taps:
        part = np.take(x, idx, axis=axis)
        part *= w if axis == -2 else w.ravel()
        if out is None:
            out = part
        else:
            out += part
    return out


def _resize_chw(x: np.ndarray, size: tuple[int, int], mode: InterpolationMode, antialias: bool) -> np.ndarray:
    """Resizes the last two axes of ``x`` to ``size``, returning ``x``'s dtype."""
    (h, w), (oh, ow) = x.shape[-2:], size
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        exact = mode is InterpolationMode.NEAREST_EXACT
        return x[..., _nearest_taps(h, oh, exact)[:, None], _nearest_taps(w, ow, exact)]
    # As torchvision: float32/float64 are resized in their own precision, anything
    # else in float32 and converted back (rounded, for integers).
    work = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    out = x.astype(work, copy=False)
    # Width first, then height: torch's bilinear kernel sums in this order.
    for axis, n_in, n_out in ((-1, w, ow), (-2, h, oh)):
        if n_in == n_out:
            continue
        out = _resample(out, axis, _taps(n_in, n_out, work, antialias and n_in > n_out))
    if x.dtype.kind in "iub":
        info = np.iinfo(x.dtype) if x.dtype.kind != "b" else None
        out = np.rint(out)
        if info is not None:
            out = np.clip(out, info.min, info.max)
    return out.astype(x.dtype, copy=False)


def _output_size(h: int, w: int, size, max_size: int | None) -> tuple[int, int]:
    """torchvision's rule: an int (or 1-sequence) is the new shorter side, keeping the aspect ratio."""
    if isinstance(size, numbers.Number):
        size = [int(size)]
    if size is None or len(size) == 1:
        short, long = (w, h) if w <= h else (h, w)
        if size is None:
            new_long = max_size
            new_short = int(max_size * short / long)
        else:
            new_short = size[0]
            new_long = int(new_short * long / short)
            if max_size is not None:
                if max_size <= new_short:
                    raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size "
                                     f"for the smaller edge size = {size}")
                if new_long > max_size:
                    new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    return int(size[0]), int(size[1])


def resize(img: Any, size, interpolation: InterpolationMode = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool = True) -> Any:
    """Resizes ``img`` to ``size`` (see :class:`Resize`)."""
    interpolation = _interpolation(interpolation)
    h, w = _size_hw(img)
    oh, ow = _output_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    if isinstance(img, Tensor):
        return Tensor._make(_resize_chw(img._data, (oh, ow), interpolation, antialias))
    if img.ndim == 2:
        return _resize_chw(img, (oh, ow), interpolation, antialias)
    chw = _resize_chw(np.moveaxis(img, -1, 0), (oh, ow), interpolation, antialias)
    return np.ascontiguousarray(np.moveaxis(chw, 0, -1))


def _interpolation(mode) -> InterpolationMode:
    if isinstance(mode, int) and not isinstance(mode, bool) and mode in _PIL_MODES:
        mode = _PIL_MODES[mode]
    elif isinstance(mode, str):
        mode = InterpolationMode(mode)
    if not isinstance(mode, InterpolationMode):
        raise TypeError("Argument interpolation should be of type InterpolationMode")
    if mode not in _IMPLEMENTED:
        raise NotImplementedError(f"interpolation={mode.value} is not implemented in glasstorch.vision; use "
                                  f"bilinear, nearest or nearest-exact")
    return mode


# --------------------------------------------------------------- transforms
class Compose:
    """Chains transforms: ``Compose([t1, t2])(x)`` is ``t2(t1(x))``.

    Example::

        >>> Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
    """

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return type(self).__name__ + "(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class ToTensor:
    """Converts an image array (H, W) or (H, W, C) to a tensor (C, H, W).

    uint8 arrays become float tensors (the default dtype, float32) divided by 255,
    so in [0, 1]. Arrays of other dtypes keep their dtype and values, as in
    torchvision. This takes the place of torchvision's PIL-image input.
    """

    def __call__(self, pic: np.ndarray) -> Tensor:
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        chw = np.ascontiguousarray(pic.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            dt = _dtype.get_default_dtype().np
            # The same float division as torch's ``img.to(float32).div(255)``.
            return Tensor._make(np.divide(chw, dt.type(255), dtype=dt))
        _dtype.from_numpy_dtype(chw.dtype)  # raises for dtypes glasstorch has no tensor for
        return Tensor._make(chw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """Converts an image array (H, W) or (H, W, C) to a tensor (C, H, W) with the same dtype and values."""

    def __call__(self, pic: np.ndarray) -> Tensor:
        if not isinstance(pic, np.ndarray) or pic.ndim not in (2, 3):
            raise TypeError(f"pic should be an image array (H, W[, C]). Got {type(pic)}")
        return Tensor._make(np.ascontiguousarray((pic[:, :, None] if pic.ndim == 2 else pic).transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """Normalizes a float tensor image (..., C, H, W) per channel: ``(x - mean[c]) / std[c]``.

    Args:
        mean: the channel means.
        std: the channel standard deviations.
        inplace: write the result into the input tensor.

    Example::

        >>> Normalize((0.1307,), (0.3081,))(ToTensor()(img))
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tensor.size()}")
        np_dt = tensor._data.dtype
        mean, std = np.asarray(self.mean, dtype=np_dt), np.asarray(self.std, dtype=np_dt)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by "
                             f"zero.")
        if mean.ndim == 1:
            mean = mean.reshape(-1, 1, 1)
        if std.ndim == 1:
            std = std.reshape(-1, 1, 1)
        if self.inplace or (tensor.requires_grad and is_grad_enabled()):
            # Through glasstorch ops: recorded by autograd, and version-counted when in place.
            mean, std = Tensor._make(mean), Tensor._make(std)
            return tensor.sub_(mean).div_(std) if self.inplace else (tensor - mean) / std
        # The common case (a fresh image in a data pipeline): the same float arithmetic
        # straight on the array, without the cost of two graph-aware ops.
        return Tensor._make((tensor._data - mean) / std)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Resize:
    """Resizes an image to ``size``.

    Args:
        size: (h, w), or an int: the new length of the shorter side, the longer one
            keeping the aspect ratio (``int(size * long / short)``).
        interpolation: ``InterpolationMode.BILINEAR`` (default), ``NEAREST`` or
            ``NEAREST_EXACT`` (or the matching PIL integer constant).
        max_size: the longest the longer side may become when ``size`` is an int.
        antialias: when shrinking with bilinear, average every input pixel under an
            output pixel (torch's ``interpolate(..., antialias=True)``), instead of
            sampling just the two nearest. Enlarging is the same either way.

    Bilinear sampling is torch's ``interpolate(mode='bilinear', align_corners=False)``.
    A float32/float64 tensor is resized in its own precision; other dtypes in
    float32, then rounded back. For uint8 images the result can differ by 1 from
    torchvision's (whose PIL and uint8 kernels round in fixed point).

    Example::

        >>> Resize(28)(digits_img).shape     # an 8x8 image becomes 28x28
        (28, 28)
    """

    def __init__(self, size, interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        if size is not None and not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        if size is None and max_size is None:
            raise ValueError("If size is None, max_size must be set")
        self.size = size
        self.max_size = max_size
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    def __call__(self, img: Any) -> Any:
        return resize(img, self.size, self.interpolation, self.max_size, bool(self.antialias))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop:
    """Crops the centre of an image to ``size`` (an int n means n x n).

    An image smaller than ``size`` is padded with zeros first.
    """

    def __init__(self, size) -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def __call__(self, img: Any) -> Any:
        return center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    """Pads the borders of an image.

    Args:
        padding: an int for every side, (left/right, top/bottom), or (left, top, right, bottom).
        fill: the value for ``'constant'`` padding (one per channel allowed).
        padding_mode: ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'``.
    """

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        _check_padding_args(padding, fill, padding_mode)
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img: Any) -> Any:
        return pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class RandomCrop:
    """Crops a ``size`` region at a random position.

    Args:
        size: (h, w), or an int n for n x n.
        padding: padding added first (as :class:`Pad`), e.g. 4 for the usual CIFAR augmentation.
        pad_if_needed: pad an image smaller than ``size`` (by the shortfall on both sides, as torchvision).
        fill: the value for constant padding.
        padding_mode: ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'``.

    The position is drawn with ``glasstorch.randint`` (top, then left).
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant") -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if padding is not None:
            _check_padding_args(padding, fill, padding_mode)
        elif padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """A random ``(top, left, height, width)`` for a crop of ``output_size``."""
        h, w = _size_hw(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        i = randint(0, h - th + 1, size=(1,)).item()
        j = randint(0, w - tw + 1, size=(1,)).item()
        return i, j, th, tw

    def __call__(self, img: Any) -> Any:
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        h, w = _size_hw(img)
        if self.pad_if_needed and w < self.size[1]:
            img = pad(img, [self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = pad(img, [0, self.size[0] - h], self.fill, self.padding_mode)
        top, left, th, tw = self.get_params(img, self.size)
        return crop(img, top, left, th, tw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Flips an image left to right with probability ``p`` (one ``glasstorch.rand(1)`` draw per call)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        if rand(1).item() < self.p:
            return hflip(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip:
    """Flips an image upside down with probability ``p`` (one ``glasstorch.rand(1)`` draw per call)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        if rand(1).item() < self.p:
            return vflip(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class Lambda:
    """Wraps a function as a transform: ``Lambda(lambda x: x * 2)``."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
