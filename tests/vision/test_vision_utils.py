"""glasstorch.vision.utils: make_grid layout and PNG files that decode correctly."""
import importlib.util
import io
import math
import os
import struct
import zlib

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.vision import utils as U

RNG = np.random.default_rng(0)


def reference_grid(batch, nrow=8, padding=2, pad_value=0.0):
    """torchvision's documented loop: each image at (y * (H + p) + p, x * (W + p) + p)."""
    n, c, h, w = batch.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value, batch.dtype)
    for k in range(n):
        y, x = divmod(k, cols)
        grid[:, y * (h + padding) + padding:(y + 1) * (h + padding), x * (w + padding) + padding:
             (x + 1) * (w + padding)] = batch[k]
    return grid


# --------------------------------------------------------------- make_grid
def test_make_grid_hand_computed():
    # Three 1-channel 2x2 images, two per row, padding 1 of value 9.
    imgs = gt.tensor([[[[1., 1.], [1., 1.]]], [[[2., 2.], [2., 2.]]], [[[3., 3.], [3., 3.]]]])
    grid = U.make_grid(imgs, nrow=2, padding=1, pad_value=9)
    expected = np.array([[9, 9, 9, 9, 9, 9, 9],
                         [9, 1, 1, 9, 2, 2, 9],
                         [9, 1, 1, 9, 2, 2, 9],
                         [9, 9, 9, 9, 9, 9, 9],
                         [9, 3, 3, 9, 9, 9, 9],
                         [9, 3, 3, 9, 9, 9, 9],
                         [9, 9, 9, 9, 9, 9, 9]], np.float32)
    assert tuple(grid.shape) == (3, 7, 7) and grid.dtype == gt.float32  # gray -> 3 channels
    for ch in range(3):
        np.testing.assert_array_equal(grid.numpy()[ch], expected)


@pytest.mark.parametrize("n,nrow,padding", [(1, 8, 2), (5, 2, 0), (8, 8, 2), (9, 4, 3), (3, 10, 1)])
def test_make_grid_matches_reference(n, nrow, padding):
    batch = RNG.random((n, 3, 4, 5)).astype(np.float32)
    grid = U.make_grid(gt.from_numpy(batch), nrow=nrow, padding=padding, pad_value=0.5).numpy()
    if n == 1:
        np.testing.assert_array_equal(grid, batch[0])  # a single image: no padding
    else:
        np.testing.assert_array_equal(grid, reference_grid(batch, nrow, padding, 0.5))
    listed = U.make_grid([gt.from_numpy(b) for b in batch], nrow=nrow, padding=padding, pad_value=0.5)
    np.testing.assert_array_equal(listed.numpy(), grid)


def test_make_grid_normalize():
    batch = np.array([[[[0., 2.]]], [[[4., 8.]]]], np.float32)  # two 1x1x2 images
    t = gt.from_numpy(batch)
    whole = U.make_grid(t, padding=0, normalize=True).numpy()[0]
    np.testing.assert_allclose(whole, [[0, 0.25, 0.5, 1.0]])
    each = U.make_grid(t, padding=0, normalize=True, scale_each=True).numpy()[0]
    np.testing.assert_allclose(each, [[0, 1, 0, 1]])
    ranged = U.make_grid(t, padding=0, normalize=True, value_range=(1.0, 5.0)).numpy()[0]
    np.testing.assert_allclose(ranged, [[0, 0.25, 0.75, 1.0]])
    np.testing.assert_array_equal(t.numpy(), batch)  # the input is left alone
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        U.make_grid(t, normalize=True, value_range=[0, 1])


def test_make_grid_2d_and_3d_inputs():
    img = gt.from_numpy(RNG.random((4, 5)).astype(np.float32))
    out = U.make_grid(img)
    assert tuple(out.shape) == (3, 4, 5)
    np.testing.assert_array_equal(out.numpy()[2], img.numpy())


# ------------------------------------------------------------------- PNG
def decode_png(data: bytes) -> np.ndarray:
    """A small PNG reader: checks signature and CRCs, inflates IDAT, undoes filter 0 (the only one written)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        pos += 12 + length
    kinds = [k for k, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    w, h, depth, color, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, comp, filt, interlace) == (8, 0, 0, 0)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    rows = np.frombuffer(raw, np.uint8).reshape(h, 1 + w * channels)
    assert (rows[:, 0] == 0).all()  # filter type None on every scanline
    return rows[:, 1:].reshape(h, w, channels)


def test_save_image_writes_a_decodable_png(tmp_path):
    batch = RNG.random((5, 3, 6, 7)).astype(np.float32)
    batch[0, 0, 0, 0], batch[0, 1, 0, 0] = -0.3, 1.7  # clamped
    path = tmp_path / "grid.png"
    U.save_image(gt.from_numpy(batch), str(path), nrow=3, padding=1)
    pixels = decode_png(path.read_bytes())
    grid = reference_grid(batch, 3, 1)
    # torchvision: grid.mul(255).add_(0.5).clamp_(0, 255) then uint8.
    expected = torch.from_numpy(grid).mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    assert pixels.shape == expected.shape == (2 * 7 + 1, 3 * 8 + 1, 3)
    np.testing.assert_array_equal(pixels, expected)
    assert pixels[1, 1].tolist()[:2] == [0, 255]
    assert os.listdir(tmp_path) == ["grid.png"]  # no temporary file left behind


def test_save_image_gray_grid_and_file_object(tmp_path):
    img = gt.from_numpy(np.linspace(0, 1, 12, dtype=np.float32).reshape(1, 3, 4))
    buf = io.BytesIO()
    U.save_image(img, buf)
    pixels = decode_png(buf.getvalue())
    expected = np.clip(np.linspace(0, 1, 12, dtype=np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)
    assert pixels.shape == (3, 4, 3)  # one channel becomes RGB, as torchvision
    np.testing.assert_array_equal(pixels[..., 0].ravel(), expected)
    np.testing.assert_array_equal(pixels[..., 0], pixels[..., 2])
    if importlib.util.find_spec("matplotlib") is not None:
        import matplotlib.image as mpimg
        path = tmp_path / "g.png"
        U.save_image(img, path)
        np.testing.assert_allclose(mpimg.imread(str(path))[..., :3], pixels / 255.0, atol=1e-6)


def test_encode_png_grayscale_and_rgba():
    for shape in ((4, 5), (4, 5, 1), (2, 3, 2), (3, 2, 3), (3, 3, 4)):
        arr = RNG.integers(0, 256, shape, dtype=np.uint8)
        pixels = decode_png(U.encode_png(arr))
        np.testing.assert_array_equal(pixels.reshape(arr.shape), arr)
    data = U.encode_png(np.zeros((2, 2), np.uint8))
    assert struct.unpack(">IIBB", data[16:26]) == (2, 2, 8, 0)  # IHDR: width, height, depth 8, grey


def test_save_image_errors(tmp_path):
    img = gt.rand(3, 2, 2)
    with pytest.raises(ValueError, match="PNG only"):
        U.save_image(img, tmp_path / "a.jpg")
    with pytest.raises(ValueError, match="PNG only"):
        U.save_image(img, tmp_path / "a.png", format="JPEG")
    with pytest.raises(TypeError, match="binary file"):
        U.save_image(img, io.StringIO())
    assert os.listdir(tmp_path) == []
