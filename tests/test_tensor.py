"""Tensor basics: constructors, dtypes and promotion, attributes, printing, Python protocols."""
import copy
import pickle

import numpy as np
import pytest
import torch

import glasstorch as gt


def same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=0)


# ------------------------------------------------------------- constructors
CONSTRUCTORS = [
    ("tensor_floats", lambda t: t.tensor([1.0, 2.5])),
    ("tensor_ints", lambda t: t.tensor([[1, 2], [3, 4]])),
    ("tensor_bools", lambda t: t.tensor([True, False])),
    ("tensor_mixed_int_float", lambda t: t.tensor([1, 2.5])),
    ("tensor_scalar", lambda t: t.tensor(3.5)),
    ("tensor_int_scalar", lambda t: t.tensor(3)),
    ("tensor_empty", lambda t: t.tensor([])),
    ("tensor_dtype", lambda t: t.tensor([1, 2], dtype=t.float64)),
    ("tensor_numpy_f64", lambda t: t.tensor(np.array([1.0, 2.0]))),
    ("tensor_numpy_i32", lambda t: t.tensor(np.array([1, 2], dtype=np.int32))),
    ("tensor_of_0d_tensors", lambda t: t.tensor([t.tensor(1.0), t.tensor(2.0)])),
    ("as_tensor", lambda t: t.as_tensor([1.0, 2.0], dtype=t.float64)),
    ("from_numpy", lambda t: t.from_numpy(np.arange(6.0).reshape(2, 3))),
    ("zeros", lambda t: t.zeros(2, 3)),
    ("zeros_tuple", lambda t: t.zeros((2, 3), dtype=t.int64)),
    ("ones", lambda t: t.ones(4)),
    ("ones_0d", lambda t: t.ones(())),
    ("full_float", lambda t: t.full((2, 2), 1.5)),
    ("full_int", lambda t: t.full((2, 2), 7)),
    ("full_bool", lambda t: t.full((2,), True)),
    ("zeros_like", lambda t: t.zeros_like(t.ones(2, 3, dtype=t.float64))),
    ("ones_like_dtype", lambda t: t.ones_like(t.ones(2, 3), dtype=t.int32)),
    ("full_like", lambda t: t.full_like(t.ones(3), 4.0)),
    ("empty_shape", lambda t: t.empty(2, 3).zero_()),
    ("empty_like", lambda t: t.empty_like(t.ones(3, dtype=t.float64)).fill_(1)),
    ("arange_int", lambda t: t.arange(5)),
    ("arange_start_end_step", lambda t: t.arange(1, 10, 3)),
    ("arange_negative_step", lambda t: t.arange(10, 1, -3)),
    ("arange_float", lambda t: t.arange(0, 1, 0.1)),
    ("arange_float_dtype", lambda t: t.arange(0.5, 4)),
    ("arange_dtype", lambda t: t.arange(5, dtype=t.float64)),
    ("linspace", lambda t: t.linspace(-1, 1, 7)),
    ("linspace_one", lambda t: t.linspace(2, 3, 1)),
    ("linspace_f64", lambda t: t.linspace(0, 1, 11, dtype=t.float64)),
    ("eye", lambda t: t.eye(3)),
    ("eye_rect", lambda t: t.eye(2, 4, dtype=t.int64)),
]


@pytest.mark.parametrize("name,fn", CONSTRUCTORS, ids=[c[0] for c in CONSTRUCTORS])
def test_constructor_matches_torch(name, fn):
    same(fn(gt), fn(torch))


def test_from_numpy_shares_memory():
    a = np.zeros(3)
    t = gt.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 5.0
    t.add_(1)
    assert a.tolist() == [6.0, 1.0, 1.0]


def test_tensor_copies():
    a = np.zeros(3)
    t = gt.tensor(a)
    a[0] = 5
    assert t.tolist() == [0.0, 0.0, 0.0]


def test_constructor_errors():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        gt.zeros(2, -1)
    with pytest.raises(RuntimeError):
        torch.zeros(2, -1)
    with pytest.raises(TypeError):
        gt.from_numpy(np.array(["a"]))
    with pytest.raises(TypeError):
        torch.from_numpy(np.array(["a"]))


def test_legacy_constructor():
    assert gt.Tensor([1, 2]).dtype == gt.float32
    assert tuple(gt.Tensor(2, 3).shape) == (2, 3)


# ---------------------------------------------------------- dtype promotion
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promote_types_matches_torch(a, b):
    ours = gt.promote_types(getattr(gt, a if a != "bool" else "bool"), getattr(gt, b))
    theirs = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert ours.name == str(theirs).replace("torch.", "")


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("other", [1, 2.5, True, "0d_f64", "0d_i32", "0d_bool"])
def test_result_type_with_scalars_and_0d(a, other):
    def operand(t):
        return {"0d_f64": lambda: t.tensor(1.0, dtype=t.float64), "0d_i32": lambda: t.tensor(1, dtype=t.int32),
                "0d_bool": lambda: t.tensor(True)}.get(other, lambda: other)()
    ours = gt.result_type(gt.ones(2, dtype=getattr(gt, a)), operand(gt))
    theirs = torch.result_type(torch.ones(2, dtype=getattr(torch, a)), operand(torch))
    assert ours.name == str(theirs).replace("torch.", "")


def test_arithmetic_result_dtypes():
    for t in (gt, torch):
        assert (t.ones(2, dtype=t.int64) + 2.5).dtype == t.float32
        assert (t.ones(2) + t.tensor(1.0, dtype=t.float64)).dtype == t.float32
        assert (t.ones(2, dtype=t.float16) + t.ones(2, dtype=t.int64)).dtype == t.float16
        assert (t.arange(3) / 2).dtype == t.float32
        assert (t.arange(3) // 2).dtype == t.int64
        assert (t.tensor([True]) + 1).dtype == t.int64
        assert (t.ones(2) * np.float64(2.0)).dtype == t.float32


def test_default_dtype_is_float32():
    assert gt.get_default_dtype() == gt.float32
    assert gt.tensor(1.0).dtype == gt.float32
    assert gt.randn(2).dtype == gt.float32
    gt.set_default_dtype(gt.float64)
    try:
        assert gt.tensor(1.0).dtype == gt.float64 and gt.zeros(1).dtype == gt.float64
    finally:
        gt.set_default_dtype(gt.float32)


def test_dtype_aliases():
    assert gt.float is gt.float32 and gt.double is gt.float64 and gt.long is gt.int64
    assert gt.half is gt.float16 and gt.int is gt.int32
    assert gt.float32.is_floating_point and not gt.int64.is_floating_point


# --------------------------------------------------------------- attributes
def test_attributes():
    x = gt.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24
    assert repr(x.shape) == "glasstorch.Size([2, 3, 4])"
    assert x.dtype is gt.float32 and str(x.device) == "cpu" and x.device == gt.device("cpu")
    assert x.is_leaf and x.grad_fn is None and x.grad is None and not x.requires_grad


def test_conversions():
    x = gt.tensor([[1.5, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.detach().numpy().tolist() == [[1.5, 2.0], [3.0, 4.0]]
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert x[0, 0].item() == 1.5
    with pytest.raises(RuntimeError, match="4 elements cannot be converted to Scalar"):
        x.item()
    assert x.long().dtype == gt.int64 and x.long().tolist() == [[1, 2], [3, 4]]
    assert x.int().dtype == gt.int32 and x.bool().dtype == gt.bool and x.double().dtype == gt.float64
    assert x.to(gt.float64).dtype == gt.float64 and x.to("cpu") is x and x.to(gt.float32) is x
    assert x.type() == "torch.FloatTensor" and x.type(gt.float64).dtype == gt.float64
    assert x.detach().clone().requires_grad is False
    d = x.double()
    assert d.grad_fn is not None  # the cast is differentiable
    d.sum().backward()
    assert x.grad.dtype == gt.float32 and x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_cuda_device_is_refused_as_torch_without_cuda_refuses_it():
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        gt.zeros(2, device="cuda")


# ----------------------------------------------------------------- printing
REPRS = [
    lambda t: t.tensor([1.0, 2.0, 3.0]),
    lambda t: t.tensor([[1.5, -2.25], [3.0, 4.0]]),
    lambda t: t.tensor([0.1234567, 100.0]),
    lambda t: t.tensor([1e-5, 1.0]),
    lambda t: t.tensor(3.0),
    lambda t: t.tensor([True, False]),
    lambda t: t.tensor([1, 2, -30]),
    lambda t: t.tensor([]),
    lambda t: t.zeros(0, 3),
    lambda t: t.tensor([0.5, float("nan"), float("inf")]),
    lambda t: t.ones(2, dtype=t.float64, requires_grad=True),
    lambda t: t.ones(2, dtype=t.int32),
    lambda t: t.tensor([2.0], requires_grad=True) * 2,
    lambda t: t.tensor([2.0], requires_grad=True).exp(),
]


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_repr_matches_torch(i):
    assert repr(REPRS[i](gt)) == repr(REPRS[i](torch)).replace("torch.", "glasstorch.")


def test_str_and_format():
    x = gt.tensor(2.5)
    assert f"{x:.2f}" == "2.50" and str(x) == "tensor(2.5000)"


# ---------------------------------------------------------- Python protocols
def test_python_protocols():
    x = gt.tensor([3.0, 1.0, 2.0])
    assert len(x) == 3
    assert [v.item() for v in x] == [3.0, 1.0, 2.0]
    assert bool(gt.tensor([1.0])) and not bool(gt.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    assert int(gt.tensor(3.7)) == 3 and float(gt.tensor(2)) == 2.0
    assert [10, 20, 30][gt.tensor(1)] == 20
    with pytest.raises(TypeError):
        [10, 20][gt.tensor(1.0)]
    with pytest.raises(TypeError):
        len(gt.tensor(1.0))
    assert (x > 1.5).tolist() == [True, False, True]
    assert (x == x).all().item()
    s = {x, x}
    assert len(s) == 1 and hash(x) == id(x) or len(s) == 1
    d = {x: "a"}
    assert d[x] == "a"


def test_pickle_and_deepcopy():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == [1.0, 2.0] and y.requires_grad
    z = copy.deepcopy(x)
    assert z.tolist() == [1.0, 2.0] and z is not x and z.requires_grad


PRINT_OPTIONS = [dict(precision=2), dict(precision=6), dict(sci_mode=True), dict(sci_mode=False),
                 dict(threshold=5, edgeitems=2), dict(threshold=10, edgeitems=1), dict(profile="short"),
                 dict(profile="full"), dict(linewidth=30), dict(linewidth=40, threshold=100, edgeitems=4)]
PRINT_VALUES = [np.array([1.0, 2.5, -3.25]), np.array([0.1234567, 100.0]), np.array([1e-5, 1.0]),
                np.arange(20.0) / 7, np.array([[1.5, 2.0], [3.0, 4.0]]), np.array([3.0, 4.0]), np.array([1e10, 1.0]),
                np.arange(2000.0).reshape(40, 50) / 7, np.arange(24).reshape(2, 3, 4), np.arange(2000.0) / 7,
                np.arange(1200.0).reshape(3, 20, 20) - 600, np.array([True, False, True])]


@pytest.mark.parametrize("options", PRINT_OPTIONS, ids=repr)
def test_set_printoptions_prints_as_torch(options):
    try:
        for t in (gt, torch):
            t.set_printoptions(**options)
        for a in PRINT_VALUES:
            a = a.astype(np.float32) if a.dtype == np.float64 else a   # no dtype= suffix to wrap
            assert repr(gt.tensor(a)) == repr(torch.tensor(a)), a
    finally:
        for t in (gt, torch):
            t.set_printoptions(profile="default")


def test_set_printoptions_rejects_an_unknown_profile():
    with pytest.raises(ValueError, match="profile"):
        gt.set_printoptions(profile="tiny")
