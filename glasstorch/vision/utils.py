"""Image grids and PNG files: ``make_grid`` and ``save_image`` as torchvision.utils, with NumPy and zlib only."""
from __future__ import annotations

import io
import math
import os
import struct
import zlib
from typing import BinaryIO

import numpy as np

from .._io import write_atomic
from .._tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _as_array(tensor) -> np.ndarray:
    if isinstance(tensor, (list, tuple)):
        return np.stack([_as_array(t) for t in tensor])
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    return tensor._data


def _normalize_range(arr: np.ndarray, low: float, high: float) -> None:
    """Clamps ``arr`` to [low, high] and maps that range onto [0, 1], in place."""
    np.clip(arr, low, high, out=arr)
    arr -= arr.dtype.type(low)
    arr /= arr.dtype.type(max(high - low, 1e-5))


def make_grid(tensor: Tensor | list[Tensor], nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Lays out a batch of images as a grid, in one image.

    Args:
        tensor: a 4-D batch (B, C, H, W), one image (C, H, W) or (H, W), or a list of images.
        nrow: images per row (the number of columns).
        padding: pixels between images and around the grid.
        normalize: map the values to [0, 1]: from ``value_range`` if given, else from
            the min and max (of each image, with ``scale_each``; of all of them otherwise).
        value_range: (min, max) for ``normalize``; values outside are clamped.
        scale_each: normalize each image by its own min and max.
        pad_value: the value of the padding pixels.

    Returns:
        a (C, H', W') tensor. One-channel images become three channels (as torchvision),
        and a single image is returned without padding.

    Example::

        >>> make_grid(glasstorch.rand(10, 1, 28, 28), nrow=5).shape
        glasstorch.Size([3, 62, 152])
    """
    arr = _as_array(tensor)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate([arr] * 3, axis=0)
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid expects images (B, C, H, W), (C, H, W) or (H, W), got shape {list(arr.shape)}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)

    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        arr = arr.copy()
        groups = arr if scale_each else [arr]
        for g in groups:
            low, high = value_range if value_range is not None else (float(g.min()), float(g.max()))
            _normalize_range(g, low, high)

    if arr.shape[0] == 1:
        return Tensor._make(arr[0].copy())
    n, c, h, w = arr.shape
    cols = min(nrow, n)
    rows = int(math.ceil(n / cols))
    # Each cell is an image with ``padding`` pixels above and to its left; one more
    # band of padding closes the grid at the bottom and right.
    cells = np.full((rows * cols, c, h + padding, w + padding), pad_value, dtype=arr.dtype)
    cells[:n, :, padding:, padding:] = arr
    body = cells.reshape(rows, cols, c, h + padding, w + padding).transpose(2, 0, 3, 1, 4)
    grid = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value, dtype=arr.dtype)
    grid[:, :rows * (h + padding), :cols * (w + padding)] = body.reshape(c, rows * (h + padding), cols * (w + padding))
    return Tensor._make(grid)


# ------------------------------------------------------------------- PNG
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour types by channel count: grey, grey + alpha, RGB, RGBA.
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}


def _chunk(kind: bytes, payload: bytes) -> bytes:
    """A PNG chunk: length, type, data, and the CRC-32 of type + data."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(payload, zlib.crc32(kind)))


def encode_png(pixels: np.ndarray) -> bytes:
    """Encodes a uint8 image (H, W) or (H, W, C), C in 1..4, as PNG bytes (8 bits per sample).

    Every row gets filter type 0 (none); zlib does the compression.
    """
    if pixels.dtype != np.uint8:
        raise TypeError(f"encode_png expects uint8 pixels, got {pixels.dtype}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.ndim != 3 or pixels.shape[2] not in _COLOR_TYPES:
        raise ValueError(f"encode_png expects (H, W) or (H, W, C) with C in 1..4, got shape {list(pixels.shape)}")
    h, w, c = pixels.shape
    if h == 0 or w == 0:
        raise ValueError(f"a PNG must have at least one pixel, got {h}x{w}")
    rows = np.empty((h, 1 + w * c), dtype=np.uint8)
    rows[:, 0] = 0  # the filter byte that starts each scanline
    rows[:, 1:] = pixels.reshape(h, w * c)
    header = struct.pack(">IIBBBBB", w, h, 8, _COLOR_TYPES[c], 0, 0, 0)
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
            + _chunk(b"IEND", b""))


def save_image(tensor: Tensor | list[Tensor], fp: str | os.PathLike | BinaryIO, format: str | None = None,
               **kwargs) -> None:
    """Saves an image, or a batch as a grid (``make_grid(tensor, **kwargs)``), to a PNG file.

    Values are taken to be in [0, 1]: each becomes ``uint8(clamp(x * 255 + 0.5, 0, 255))``,
    as torchvision. The file is written whole or not at all (a temporary file in the
    same directory, then ``os.replace``).

    Args:
        tensor: an image (C, H, W) or a batch (B, C, H, W), or a list of images.
        fp: a file name or a binary file object.
        format: only ``'png'`` (or None) is supported.
        **kwargs: passed to :func:`make_grid`.

    Example::

        >>> save_image(glasstorch.rand(16, 3, 32, 32), "samples.png", nrow=4)
    """
    if format is not None and format.lower() != "png":
        raise ValueError(f"save_image writes PNG only, got format={format!r}")
    if format is None and isinstance(fp, (str, os.PathLike)):
        ext = os.path.splitext(os.fspath(fp))[1].lower()
        if ext and ext != ".png":
            raise ValueError(f"save_image writes PNG only; {os.fspath(fp)!r} asks for {ext!r}")
    grid = make_grid(tensor, **kwargs)._data
    if grid.ndim == 2:
        grid = grid[None]
    # The float32 arithmetic of torchvision's ``grid.mul(255).add_(0.5).clamp_(0, 255)``; the cast truncates.
    scaled = grid * grid.dtype.type(255) + grid.dtype.type(0.5) if grid.dtype.kind == "f" else grid
    pixels = np.clip(scaled, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    data = encode_png(np.ascontiguousarray(pixels))
    if isinstance(fp, (str, os.PathLike)):
        write_atomic(os.fspath(fp), data)
    elif isinstance(fp, io.TextIOBase):
        raise TypeError("save_image needs a binary file object (open it with 'wb')")
    else:
        fp.write(data)
