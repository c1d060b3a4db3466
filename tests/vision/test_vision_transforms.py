"""glasstorch.vision.transforms against torch's ops (torchvision is not installed: its documented rules)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import glasstorch as gt
from glasstorch.vision import transforms as T

RNG = np.random.default_rng(0)


def u8(*shape):
    return RNG.integers(0, 256, shape, dtype=np.uint8)


# ---------------------------------------------------------------- ToTensor
def test_to_tensor_uint8():
    for arr in (u8(5, 7), u8(5, 7, 3), u8(4, 6, 1)):
        ours = T.ToTensor()(arr)
        chw = arr[:, :, None] if arr.ndim == 2 else arr
        ref = torch.from_numpy(chw.transpose(2, 0, 1).copy()).to(torch.float32).div(255)
        assert ours.dtype == gt.float32 and tuple(ours.shape) == tuple(ref.shape)
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
        assert float(ours.min()) >= 0 and float(ours.max()) <= 1


def test_to_tensor_float_not_rescaled():
    arr = RNG.random((4, 5, 3)) * 7
    ours = T.ToTensor()(arr)
    assert ours.dtype == gt.float64  # torchvision keeps the array's dtype
    np.testing.assert_array_equal(ours.numpy(), arr.transpose(2, 0, 1))
    ours32 = T.ToTensor()(arr[:, :, 0].astype(np.float32))
    assert ours32.dtype == gt.float32 and tuple(ours32.shape) == (1, 4, 5)


def test_to_tensor_errors():
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(gt.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        T.ToTensor()(u8(1, 2, 3, 4))
    assert repr(T.ToTensor()) == "ToTensor()"


def test_pil_to_tensor_keeps_values():
    arr = u8(3, 4, 3)
    out = T.PILToTensor()(arr)
    assert out.dtype == gt.uint8
    np.testing.assert_array_equal(out.numpy(), arr.transpose(2, 0, 1))


# --------------------------------------------------------------- Normalize
def test_normalize_matches_torch():
    x = RNG.random((3, 6, 5)).astype(np.float32)
    mean, std = (0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)
    ours = T.Normalize(mean, std)(gt.from_numpy(x.copy()))
    ref = (torch.from_numpy(x) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    assert ours.dtype == gt.float32
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    # A batch (..., C, H, W) and float64.
    xb = RNG.random((2, 3, 4, 4))
    ours = T.Normalize(mean, std)(gt.from_numpy(xb))
    ref = (torch.from_numpy(xb) - torch.tensor(mean, dtype=torch.float64).view(-1, 1, 1)) / \
        torch.tensor(std, dtype=torch.float64).view(-1, 1, 1)
    assert ours.dtype == gt.float64
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_normalize_inplace_and_errors():
    x = gt.from_numpy(RNG.random((1, 3, 3)).astype(np.float32))
    before = x.numpy().copy()
    out = T.Normalize((0.5,), (0.25,))(x)
    np.testing.assert_array_equal(x.numpy(), before)  # not in place by default
    same = T.Normalize((0.5,), (0.25,), inplace=True)(x)
    assert same is x
    np.testing.assert_array_equal(x.numpy(), out.numpy())
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got glasstorch.uint8"):
        T.Normalize((0.5,), (0.5,))(gt.zeros(1, 2, 2, dtype=gt.uint8))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"):
        T.Normalize((0.5,), (0.5,))(gt.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to glasstorch.float32"):
        T.Normalize((0.5,), (0.0,))(gt.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        T.Normalize((0.5,), (0.5,))(np.zeros((1, 2, 2), np.float32))
    assert repr(T.Normalize((0.1307,), (0.3081,))) == "Normalize(mean=(0.1307,), std=(0.3081,))"


def test_normalize_is_differentiable():
    x = gt.ones(2, 2, 2, requires_grad=True)
    T.Normalize((0.5, 0.0), (2.0, 4.0))(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:, 0, 0], [0.5, 0.25])


# ------------------------------------------------------------------ Resize
SIZES = [((8, 8), (28, 28)), ((28, 28), (8, 8)), ((5, 7), (3, 11)), ((10, 10), (10, 3)), ((32, 17), (32, 40)),
         ((7, 9), (50, 2)), ((1, 1), (3, 4)), ((6, 6), (1, 1))]


@pytest.mark.parametrize("src,dst", SIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_tensor_matches_interpolate(src, dst, dtype, antialias):
    x = RNG.random((2, 3) + src).astype(dtype)
    ours = T.Resize(dst, antialias=antialias)(gt.from_numpy(x))
    ref = F.interpolate(torch.from_numpy(x), size=dst, mode="bilinear", align_corners=False, antialias=antialias)
    assert ours.dtype == gt.from_numpy(x).dtype and tuple(ours.shape) == tuple(ref.shape)
    tol = 2e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=0, atol=tol)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_resize_nearest_matches_interpolate(mode):
    for src, dst in SIZES:
        x = RNG.random((3,) + src).astype(np.float32)
        ours = T.Resize(dst, interpolation=T.InterpolationMode(mode))(gt.from_numpy(x))
        ref = F.interpolate(torch.from_numpy(x)[None], size=dst, mode=mode)[0]
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_resize_uint8_arrays():
    """(H, W) and (H, W, C) uint8 arrays stay arrays in that layout; values within 1 of torch's."""
    for shape, dst in (((8, 8), (28, 28)), ((32, 32, 3), (20, 24)), ((9, 5, 3), (4, 4))):
        arr = u8(*shape)
        ours = T.Resize(dst)(arr)
        assert isinstance(ours, np.ndarray) and ours.dtype == np.uint8 and ours.shape == dst + shape[2:]
        t = torch.from_numpy(arr if arr.ndim == 3 else arr[:, :, None]).permute(2, 0, 1)[None].float()
        ref = F.interpolate(t, size=dst, mode="bilinear", align_corners=False, antialias=True)
        ref = ref.round().clamp(0, 255)[0].permute(1, 2, 0).numpy().reshape(ours.shape)
        diff = np.abs(ours.astype(int) - ref.astype(int))
        assert diff.max() <= 1 and (diff == 0).mean() > 0.9


def test_resize_digits_to_mnist_size():
    img = u8(8, 8)
    out = T.Compose([T.ToTensor(), T.Resize(28)])(img)
    ref = F.interpolate(torch.from_numpy(img)[None, None].float().div(255), size=(28, 28), mode="bilinear",
                        align_corners=False)[0]
    assert tuple(out.shape) == (1, 28, 28) and out.dtype == gt.float32
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=0, atol=2e-6)


def test_resize_int_size_is_the_shorter_side():
    # torchvision: new_short = size, new_long = int(size * long / short).
    cases = {(8, 12): (4, 6), (30, 20): (15, 10), (7, 5): (4, 3), (10, 10): (3, 3), (3, 100): (2, 66)}
    for (h, w), expected in cases.items():
        size = min(expected)
        assert tuple(T.Resize(size)(gt.zeros(1, h, w)).shape[1:]) == expected
        assert T.Resize([size])(np.zeros((h, w, 3), np.uint8)).shape == expected + (3,)
    # max_size caps the longer side.
    assert tuple(T.Resize(10, max_size=12)(gt.zeros(1, 10, 20)).shape[1:]) == (6, 12)
    with pytest.raises(ValueError, match="max_size = 10 must be strictly greater"):
        T.Resize(10, max_size=10)(gt.zeros(1, 5, 5))
    x = gt.zeros(1, 6, 6)
    assert T.Resize(6)(x) is x  # the same size: returned as is, as torchvision


def test_resize_args_and_repr():
    assert repr(T.Resize(28)) == "Resize(size=28, interpolation=bilinear, max_size=None, antialias=True)"
    assert T.Resize((3, 4), interpolation=0).interpolation is T.InterpolationMode.NEAREST
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize((1, 2, 3))
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    with pytest.raises(NotImplementedError, match="bicubic"):
        T.Resize(4, interpolation=T.InterpolationMode.BICUBIC)


# -------------------------------------------------------------- CenterCrop
def test_center_crop_offsets():
    arr = np.arange(5 * 6).reshape(5, 6).astype(np.uint8)
    # (5 - 2) / 2 = 1.5 rounds to 2 and (6 - 3) / 2 = 1.5 to 2 (Python's round, as torchvision).
    np.testing.assert_array_equal(T.CenterCrop((2, 3))(arr), arr[2:4, 2:5])
    np.testing.assert_array_equal(T.CenterCrop(4)(arr), arr[0:4, 1:5])  # 0.5 -> 0, 1.0 -> 1
    t = gt.from_numpy(RNG.random((2, 3, 7, 9)).astype(np.float32))
    np.testing.assert_array_equal(T.CenterCrop(3)(t).numpy(), t.numpy()[..., 2:5, 3:6])
    assert repr(T.CenterCrop(24)) == "CenterCrop(size=(24, 24))"


def test_center_crop_pads_small_images():
    arr = np.full((3, 2, 3), 7, np.uint8)
    out = T.CenterCrop((6, 5))(arr)
    assert out.shape == (6, 5, 3)
    # Padding: top (6-3)//2 = 1, bottom 2, left (5-2)//2 = 1, right 2, with zeros.
    expected = np.zeros((6, 5, 3), np.uint8)
    expected[1:4, 1:3] = 7
    np.testing.assert_array_equal(out, expected)
    t = T.CenterCrop(4)(gt.ones(1, 2, 2))
    np.testing.assert_array_equal(t.numpy()[0], np.pad(np.ones((2, 2), np.float32), 1))


# -------------------------------------------------------------- RandomCrop
def test_random_crop_draws_from_global_generator():
    arr = u8(10, 12, 3)
    crop = T.RandomCrop((6, 5))
    gt.manual_seed(123)
    outs = [crop(arr) for _ in range(5)]
    gt.manual_seed(123)
    for out in outs:
        top = gt.randint(0, 10 - 6 + 1, size=(1,)).item()
        left = gt.randint(0, 12 - 5 + 1, size=(1,)).item()
        np.testing.assert_array_equal(out, arr[top:top + 6, left:left + 5])
    gt.manual_seed(123)
    again = [crop(arr) for _ in range(5)]
    for a, b in zip(outs, again):
        np.testing.assert_array_equal(a, b)


def test_random_crop_covers_every_position():
    arr = np.arange(16, dtype=np.uint8).reshape(4, 4)
    crop = T.RandomCrop(2)
    gt.manual_seed(0)
    corners = {int(crop(arr)[0, 0]) for _ in range(300)}
    assert corners == {0, 1, 2, 4, 5, 6, 8, 9, 10}


def test_random_crop_padding_and_modes():
    t = gt.from_numpy(RNG.random((3, 32, 32)).astype(np.float32))
    gt.manual_seed(1)
    out = T.RandomCrop(32, padding=4)(t)
    gt.manual_seed(1)
    top, left = gt.randint(0, 9, size=(1,)).item(), gt.randint(0, 9, size=(1,)).item()
    padded = np.pad(t.numpy(), ((0, 0), (4, 4), (4, 4)))
    np.testing.assert_array_equal(out.numpy(), padded[:, top:top + 32, left:left + 32])
    arr = u8(5, 6, 3)
    for mode in ("reflect", "edge", "symmetric"):
        full = T.RandomCrop((9, 8), padding=(1, 2), padding_mode=mode)(arr)  # left/right 1, top/bottom 2
        np.testing.assert_array_equal(full, np.pad(arr, ((2, 2), (1, 1), (0, 0)), mode=mode))
    out = T.RandomCrop((5, 6), padding=(1, 2, 3, 4), fill=(10, 20, 30))(arr)
    assert out.shape == (5, 6, 3)
    big = T.Pad((1, 2, 3, 4), fill=(10, 20, 30))(arr)
    assert big.shape == (5 + 2 + 4, 6 + 1 + 3, 3) and big[0, 0].tolist() == [10, 20, 30]
    np.testing.assert_array_equal(big[2:7, 1:7], arr)


def test_random_crop_pad_if_needed_and_errors():
    arr = u8(3, 4)
    out = T.RandomCrop((5, 6), pad_if_needed=True)(arr)
    assert out.shape == (5, 6)
    with pytest.raises(ValueError, match=r"Required crop size \(5, 6\) is larger than input image size \(3, 4\)"):
        T.RandomCrop((5, 6))(arr)
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple"):
        T.RandomCrop(2, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="Padding mode should be either"):
        T.RandomCrop(2, padding=1, padding_mode="wrap")
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    x = gt.ones(1, 4, 4)
    gt.manual_seed(0)
    state = gt.get_rng_state()
    T.RandomCrop(4)(x)  # nothing to choose: no draw
    assert gt.get_rng_state().tolist() == state.tolist()


# --------------------------------------------------------- flips and others
def test_random_horizontal_flip():
    arr = u8(3, 5, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(arr), arr[:, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(arr), arr)
    t = gt.from_numpy(RNG.random((2, 3, 4)).astype(np.float32))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(t).numpy(), torch.from_numpy(t.numpy()).flip(-1))
    flip = T.RandomHorizontalFlip()
    gt.manual_seed(7)
    outs = [flip(arr) for _ in range(40)]
    gt.manual_seed(7)
    decisions = [gt.rand(1).item() < 0.5 for _ in range(40)]
    assert 5 < sum(decisions) < 35
    for out, flipped in zip(outs, decisions):
        np.testing.assert_array_equal(out, arr[:, ::-1] if flipped else arr)
    assert repr(flip) == "RandomHorizontalFlip(p=0.5)"
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(arr), arr[::-1])


def test_compose_and_lambda():
    tf = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2), T.CenterCrop(2)])
    arr = u8(4, 4)
    np.testing.assert_array_equal(tf(arr).numpy(), (T.ToTensor()(arr) * 2).numpy()[:, 1:3, 1:3])
    assert repr(tf) == "Compose(\n    ToTensor()\n    Lambda()\n    CenterCrop(size=(2, 2))\n)"
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


def test_cifar_style_pipeline_is_reproducible():
    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])
    imgs = [u8(32, 32, 3) for _ in range(4)]
    gt.manual_seed(5)
    a = [tf(i).numpy() for i in imgs]
    gt.manual_seed(5)
    b = [tf(i).numpy() for i in imgs]
    for x, y in zip(a, b):
        assert x.shape == (3, 32, 32) and x.dtype == np.float32
        np.testing.assert_array_equal(x, y)
