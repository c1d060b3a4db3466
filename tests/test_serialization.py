"""glasstorch.save / glasstorch.load: round trips, interop with torch's checkpoint format both ways,
atomic saving, and the weights_only safety guarantees."""
import io
import math
import os
import pickle
import stat
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.nn as gnn
from glasstorch import serialization
from glasstorch.serialization import load as gt_load
from glasstorch.serialization import save as gt_save

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
SHAPES = [(), (0,), (5,), (2, 3), (2, 0, 3), (3, 1, 4)]


def make_array(dtype: str, shape, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


def roundtrip(obj, via: str, tmp_path, **load_kwargs):
    if via == "path":
        path = tmp_path / "ckpt.pt"
        gt_save(obj, path)
        return gt_load(path, **load_kwargs)
    buf = io.BytesIO()
    gt_save(obj, buf)
    buf.seek(0)
    return gt_load(buf, **load_kwargs)


def assert_same_gt(a, b):
    """Two glasstorch objects are equal: same types, structure, dtypes, shapes, values, flags."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(b, gt.Tensor):
        assert a.dtype is b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(b, dict):
        assert list(a) == list(b)
        for k in b:
            assert_same_gt(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_gt(x, y)
    elif isinstance(b, float) and math.isnan(b):
        assert math.isnan(a)
    else:
        assert a == b


def assert_matches_torch(g, t):
    """A glasstorch object equals a torch object: tensors, Parameters, containers and scalars."""
    if isinstance(t, torch.Tensor):
        assert isinstance(g, gt.Tensor), type(g)
        assert isinstance(g, gnn.Parameter) == isinstance(t, torch.nn.Parameter)
        assert g.dtype.name == str(t.dtype).replace("torch.", ""), (g.dtype, t.dtype)
        assert tuple(g.shape) == tuple(t.shape)
        assert g.requires_grad == t.requires_grad
        np.testing.assert_array_equal(g.detach().numpy(), t.detach().numpy())
    elif isinstance(t, torch.dtype):
        assert g is getattr(gt, str(t).replace("torch.", ""))
    elif isinstance(t, torch.Size):
        assert isinstance(g, gt.Size) and tuple(g) == tuple(t)
    elif isinstance(t, torch.device):
        assert isinstance(g, gt.device) and str(g) == str(t)
    elif isinstance(t, dict):
        assert type(g) is type(t), (type(g), type(t))
        assert list(g) == list(t)
        assert getattr(g, "_metadata", None) == getattr(t, "_metadata", None)
        for k in t:
            assert_matches_torch(g[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(g) is type(t) and len(g) == len(t)
        for x, y in zip(g, t):
            assert_matches_torch(x, y)
    else:
        assert type(g) is type(t) and g == t, (g, t)


def nested_gt_object():
    x = gt.tensor(make_array("float32", (3, 4)))
    return {
        "model": OrderedDict([("fc.weight", x), ("fc.bias", gt.tensor(make_array("float32", (3,), 1))),
                              ("bn.num_batches_tracked", gt.tensor(7))]),
        "optimizer": {
            "state": {0: {"step": gt.tensor(3.0), "exp_avg": gt.zeros(3, 4), "exp_avg_sq": gt.ones(3, 4)},
                      1: {"step": gt.tensor(3.0), "momentum_buffer": None}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                              "foreach": None, "name": "all", "params": [0, 1]}],
        },
        "epoch": 12, "best": -math.inf, "history": [0.5, 0.25, (1, "a")], "big": 2 ** 70, "neg": -5,
        "flags": {True, False}, "blob": b"\x00\xffbytes", "text": "ünïcode",
        "param": gnn.Parameter(gt.tensor(make_array("float64", (2, 2), 2))),
        "frozen": gnn.Parameter(gt.tensor(make_array("float32", (2,), 3)), requires_grad=False),
        "dtype": gt.float16, "size": gt.Size([2, 3]), "device": gt.device("cpu"),
    }


# ------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("via", ["path", "bytesio"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_roundtrip_dtypes_and_shapes(dtype, via, tmp_path):
    tensors = [gt.tensor(make_array(dtype, shape, i)) for i, shape in enumerate(SHAPES)]
    out = roundtrip(tensors, via, tmp_path)
    assert isinstance(out, list) and len(out) == len(tensors)
    for got, want in zip(out, tensors):
        assert type(got) is gt.Tensor and got.dtype is getattr(gt, dtype) and got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("via", ["path", "bytesio"])
def test_nested_objects_roundtrip(via, tmp_path):
    obj = nested_gt_object()
    obj["model"]._metadata = OrderedDict([("", {"version": 1}), ("fc", {"version": 1})])
    out = roundtrip(obj, via, tmp_path)
    assert_same_gt(out, obj)
    assert out["model"]._metadata == obj["model"]._metadata
    assert isinstance(out["param"], gnn.Parameter) and out["param"].requires_grad
    assert isinstance(out["frozen"], gnn.Parameter) and not out["frozen"].requires_grad


def test_requires_grad_and_non_leaf(tmp_path):
    leaf = gt.tensor([1.0, 2.0], requires_grad=True)
    out = roundtrip({"leaf": leaf, "non_leaf": leaf * 2, "plain": gt.ones(2)}, "path", tmp_path)
    # As torch: the flag is kept and every loaded tensor is a leaf.
    assert out["leaf"].requires_grad and out["leaf"].is_leaf
    assert out["non_leaf"].requires_grad and out["non_leaf"].is_leaf
    np.testing.assert_array_equal(out["non_leaf"].detach().numpy(), [2.0, 4.0])
    assert not out["plain"].requires_grad


def test_non_contiguous_views_are_saved_correctly(tmp_path):
    base = gt.tensor(make_array("float64", (4, 6)))
    arr = base.numpy()
    views = {
        "transposed": base.t(),
        "stepped": base[1:, ::2],
        "column": base[:, 3],
        "expanded": gt.tensor(make_array("float32", (3, 1))).expand(3, 5),  # stride 0
        "flipped": gt.Tensor._make(arr[::-1, ::-2]),  # negative strides: saved as a copy
        "reinterpreted": gt.Tensor._make(arr.view(np.int64)[1:3]),
    }
    out = roundtrip(views, "bytesio", tmp_path)
    for k, v in views.items():
        assert out[k].shape == v.shape and out[k].dtype is v.dtype, k
        np.testing.assert_array_equal(out[k].numpy(), v.numpy(), err_msg=k)
    t = torch.load(io.BytesIO(_saved_bytes(views)), weights_only=True)
    assert_matches_torch(out, t)


def test_views_share_memory_after_loading(tmp_path):
    x = gt.tensor(make_array("float32", (3, 4)))
    p = gnn.Parameter(x)  # shares x's memory, as in torch
    obj = {"x": x, "row": x[1], "t": x.t(), "p": p, "same": x, "other": gt.ones(3)}
    out = roundtrip(obj, "path", tmp_path)
    assert out["same"] is out["x"]  # the one object saved twice comes back as one object
    for k in ("row", "t", "p"):
        assert np.shares_memory(out[k].detach().numpy(), out["x"].numpy()), k
    assert not np.shares_memory(out["other"].numpy(), out["x"].numpy())
    out["x"].numpy()[1, 2] = 100.0
    assert out["row"][2].item() == 100.0 and out["t"][2, 1].item() == 100.0
    # Only two storages are written: x's buffer and ones(3).
    names = zipfile.ZipFile(tmp_path / "ckpt.pt").namelist()
    assert sorted(n for n in names if "/data/" in n) == ["archive/data/0", "archive/data/1"]


def test_tensor_attributes_and_parameter_state(tmp_path):
    t = gt.ones(2)
    t.note = "hello"
    p = gnn.Parameter(gt.zeros(3))
    p.tag = 7
    path = tmp_path / "attrs.pt"
    gt_save({"t": t, "p": p}, path)
    out = gt_load(path)
    assert type(out["t"]) is gt.Tensor and out["t"].note == "hello"
    assert isinstance(out["p"], gnn.Parameter) and out["p"].tag == 7 and out["p"].requires_grad
    theirs = torch.load(path, weights_only=True)
    assert theirs["t"].note == "hello" and theirs["p"].tag == 7
    assert_matches_torch(out, theirs)
    t2, p2 = torch.ones(2), torch.nn.Parameter(torch.zeros(3))
    t2.note, p2.tag = "hi", 8
    back = gt_load(_torch_saved({"t": t2, "p": p2}, tmp_path))
    assert back["t"].note == "hi" and back["p"].tag == 8 and isinstance(back["p"], gnn.Parameter)


def test_corrupt_or_recompressed_storage_records(tmp_path):
    obj = {"w": gt.tensor(make_array("float32", (4, 4))), "i": gt.arange(10)}
    data = _saved_bytes(obj)
    # Flip one byte of the first storage: the CRC-32 check catches it.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("archive/data/0")
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    pos = info.header_offset + 30 + name_len + extra_len
    bad = bytearray(data)
    bad[pos] ^= 0xFF
    with pytest.raises(RuntimeError, match="CRC"):
        gt_load(io.BytesIO(bytes(bad)))
    # A checkpoint re-zipped with compression still loads (through zipfile's reader).
    deflated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    assert_same_gt(gt_load(io.BytesIO(deflated.getvalue())), obj)
    path = tmp_path / "deflated.pt"
    path.write_bytes(deflated.getvalue())
    with pytest.raises(RuntimeError, match="uncompressed"):
        gt_load(path, mmap=True)


def test_same_object_saves_identical_bytes():
    obj = nested_gt_object()
    assert _saved_bytes(obj) == _saved_bytes(obj)


def test_pickle_protocols(tmp_path):
    obj = nested_gt_object()
    for protocol in (2, 3, 4, 5):
        buf = io.BytesIO()
        gt_save(obj, buf, pickle_protocol=protocol)
        assert_same_gt(gt_load(io.BytesIO(buf.getvalue())), obj)
    with pytest.raises(ValueError, match="pickle_protocol"):
        gt_save(obj, io.BytesIO(), pickle_protocol=0)


def test_storages_are_64_byte_aligned_and_stored(tmp_path):
    path = tmp_path / "a.pt"
    gt_save({"a": gt.ones(3), "b": gt.zeros(5, dtype=gt.int64), "c": gt.tensor(True)}, path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        records = [i for i in zf.infolist() if "/data/" in i.filename]
        assert len(records) == 3
        for info in records:
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
        assert zf.read("archive/byteorder") == b"little" and zf.read("archive/version") == b"3\n"


def test_save_to_open_file_and_unseekable_streams(tmp_path):
    obj = nested_gt_object()
    path = tmp_path / "f.pt"
    with open(path, "wb") as fh:
        gt_save(obj, fh)
    with open(path, "rb") as fh:
        assert_same_gt(gt_load(fh), obj)

    class WriteOnly:  # a pipe-like sink: no seek, no tell
        def __init__(self):
            self.buf = io.BytesIO()

        def write(self, b):
            return self.buf.write(b)

        def flush(self):
            pass

    class ReadOnly:
        def __init__(self, data):
            self.buf = io.BytesIO(data)

        def read(self, n=-1):
            return self.buf.read(n)

        def seekable(self):
            return False

    sink = WriteOnly()
    gt_save(obj, sink)
    data = sink.buf.getvalue()
    assert_same_gt(gt_load(ReadOnly(data)), obj)
    assert_matches_torch(gt_load(io.BytesIO(data)), torch.load(io.BytesIO(data), weights_only=True))


def test_mmap_load(tmp_path):
    path = tmp_path / "m.pt"
    obj = nested_gt_object()
    gt_save(obj, path)
    before = path.read_bytes()
    out = gt_load(path, mmap=True)
    assert_same_gt(out, obj)
    out["model"]["fc.weight"].numpy()[:] = 0  # copy-on-write: the file is untouched
    assert out["model"]["fc.weight"].sum().item() == 0
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="file path"):
        gt_load(io.BytesIO(before), mmap=True)


def test_map_location(tmp_path):
    path = tmp_path / "m.pt"
    obj = {"w": gt.ones(2, 3)}
    gt_save(obj, path)
    for loc in ("cpu", gt.device("cpu"), torch.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: s, None):
        assert_same_gt(gt_load(path, map_location=loc), obj)
    with pytest.raises(RuntimeError, match="cpu"):
        gt_load(path, map_location="cuda:0")
    with pytest.raises(TypeError, match="map_location"):
        gt_load(path, map_location=3)


# ----------------------------------------------------------------------------- model round trip
class TinyNet(gnn.Module):
    """A glasstorch model with torch.nn.Linear's parameter names and layout."""

    def __init__(self, seed: int):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = gnn.Parameter(gt.tensor(rng.standard_normal((3, 4)).astype(np.float32)))
        self.bias = gnn.Parameter(gt.tensor(rng.standard_normal(3).astype(np.float32)))

    def forward(self, x):
        return x @ self.weight.t() + self.bias


class TwoLayer(gnn.Module):
    def __init__(self, seed: int):
        super().__init__()
        self.first = TinyNet(seed)
        self.second = TinyNet(seed + 1)
        self.register_buffer("steps", gt.tensor(seed, dtype=gt.int64))


def test_model_state_dict_roundtrip(tmp_path):
    src, dst = TwoLayer(0), TwoLayer(10)
    gt_save(src.state_dict(), tmp_path / "model.pt")
    loaded = gt_load(tmp_path / "model.pt")
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(src.state_dict())
    dst.load_state_dict(loaded)
    for (name, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        assert a.dtype is b.dtype, name
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert all(isinstance(p, gnn.Parameter) and p.requires_grad for p in dst.parameters())

    # torch reads the same file into a torch.nn.Linear with the same layout.
    lin = torch.nn.Linear(4, 3)
    lin.load_state_dict({k[len("first."):]: v for k, v in torch.load(tmp_path / "model.pt").items()
                         if k.startswith("first.")})
    np.testing.assert_array_equal(lin.weight.detach().numpy(), src.first.weight.detach().numpy())


def test_glasstorch_optimizer_state_into_torch(tmp_path):
    net = TinyNet(0)
    opt = gt.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        (net(gt.ones(5, 4)) ** 2).sum().backward()
        opt.step()
    path = tmp_path / "opt.pt"
    gt_save({"model": net.state_dict(), "opt": opt.state_dict()}, path)
    theirs = torch.load(path, weights_only=True)
    assert_matches_torch({"model": net.state_dict(), "opt": opt.state_dict()}, theirs)
    lin = torch.nn.Linear(4, 3)
    lin.load_state_dict(theirs["model"])
    torch_opt = torch.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
    torch_opt.load_state_dict(theirs["opt"])
    np.testing.assert_array_equal(torch_opt.state[lin.weight]["momentum_buffer"].numpy(),
                                  opt.state[net.weight]["momentum_buffer"].numpy())
    # Back into a fresh glasstorch optimizer.
    opt2 = gt.optim.SGD(TinyNet(1).parameters(), lr=0.5, momentum=0.9)
    opt2.load_state_dict(gt_load(path)["opt"])
    assert opt2.param_groups[0]["lr"] == 0.1


def test_whole_model_needs_weights_only_false(tmp_path):
    path = tmp_path / "whole.pt"
    gt_save(TwoLayer(3), path)
    with pytest.raises(pickle.UnpicklingError, match="TwoLayer"):
        gt_load(path)
    model = gt_load(path, weights_only=False)
    assert isinstance(model, TwoLayer) and isinstance(model.first.weight, gnn.Parameter)
    assert_same_gt(model.state_dict(), TwoLayer(3).state_dict())


# ------------------------------------------------------------------------------ torch interop
def _saved_bytes(obj, **kwargs) -> bytes:
    buf = io.BytesIO()
    gt_save(obj, buf, **kwargs)
    return buf.getvalue()


def _torch_saved(obj, tmp_path, name="t.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def test_torch_loads_our_files(tmp_path):
    obj = nested_gt_object()
    obj["model"]._metadata = OrderedDict([("", {"version": 1})])
    obj["all_dtypes"] = [gt.tensor(make_array(d, s, i)) for i, d in enumerate(DTYPES) for s in ((), (2, 3), (0,))]
    path = tmp_path / "ours.pt"
    gt_save(obj, path)
    theirs = torch.load(path, weights_only=True)
    assert_matches_torch(gt_load(path), theirs)
    assert_matches_torch(obj, theirs)
    # torch's memory-mapped reader relies on the record offsets.
    assert_matches_torch(obj, torch.load(path, weights_only=True, mmap=True))


def test_torch_keeps_our_sharing(tmp_path):
    x = gt.tensor(make_array("float32", (3, 4)))
    path = tmp_path / "s.pt"
    gt_save({"x": x, "col": x[:, 1], "p": gnn.Parameter(x)}, path)
    t = torch.load(path, weights_only=True)
    ptr = t["x"].untyped_storage().data_ptr()
    assert t["col"].untyped_storage().data_ptr() == ptr and t["p"].untyped_storage().data_ptr() == ptr
    assert t["col"].stride() == (4,) and t["col"].storage_offset() == 1


def test_we_load_torch_files(tmp_path):
    torch.manual_seed(0)
    base = torch.randn(4, 5, dtype=torch.float64)
    obj = {
        "dtypes": [torch.from_numpy(make_array(d, (2, 3), i)) for i, d in enumerate(DTYPES)],
        "scalar": torch.tensor(2.5), "empty": torch.empty(0, 3), "int_empty": torch.zeros(2, 0, dtype=torch.int8),
        "base": base, "view": base[1:, ::2], "t": base.t(), "expanded": torch.ones(3, 1).expand(3, 4),
        "param": torch.nn.Parameter(torch.randn(2, 2)),
        "frozen": torch.nn.Parameter(torch.randn(2), requires_grad=False),
        "grad_tensor": torch.randn(3, requires_grad=True),
        "meta": {"epoch": 3, "lr": 0.1, "name": "run", "ok": True, "none": None, "tup": (1, 2.0, "x"),
                 "set": {1, 2}, "bytes": b"\x01\x02", "cplx": 1 + 2j, "size": torch.Size([4, 5]),
                 "dtype": torch.float64, "device": torch.device("cpu"), "big": -(2 ** 80)},
    }
    path = _torch_saved(obj, tmp_path)
    ours = gt_load(path)
    assert_matches_torch(ours, obj)
    assert np.shares_memory(ours["view"].numpy(), ours["base"].numpy())
    assert np.shares_memory(ours["t"].numpy(), ours["base"].numpy())
    assert_matches_torch(gt_load(path, mmap=True), obj)


def test_we_load_torch_linear_and_optimizer_state(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2))
    optims = [torch.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True),
              torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)]
    for opt in optims:
        for _ in range(2):
            opt.zero_grad()
            model(torch.randn(5, 4)).pow(2).sum().backward()
            opt.step()
    obj = {"model": model.state_dict(), "adam": optims[0].state_dict(), "sgd": optims[1].state_dict()}
    path = _torch_saved(obj, tmp_path)
    ours = gt_load(path, weights_only=True)
    assert_matches_torch(ours, obj)
    assert isinstance(ours["model"], OrderedDict) and ours["model"]._metadata == obj["model"]._metadata
    assert ours["model"]["1.num_batches_tracked"].dtype is gt.int64

    # ... and they survive a glasstorch save that torch reads back.
    path2 = tmp_path / "resaved.pt"
    gt_save(ours, path2)
    again = torch.load(path2, weights_only=True)
    assert_matches_torch(ours, again)
    model2 = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2))
    model2.load_state_dict(again["model"])
    opt2 = torch.optim.Adam(model2.parameters(), lr=1e-2, amsgrad=True)
    opt2.load_state_dict(again["adam"])


def test_torch_file_into_glasstorch_model(tmp_path):
    lin = torch.nn.Linear(4, 3)
    path = _torch_saved(lin.state_dict(), tmp_path)
    net = TinyNet(5)
    net.load_state_dict(gt_load(path))
    np.testing.assert_array_equal(net.weight.detach().numpy(), lin.weight.detach().numpy())
    np.testing.assert_array_equal(net.bias.detach().numpy(), lin.bias.detach().numpy())


def test_unsupported_torch_files(tmp_path):
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy"):
        gt_load(legacy)
    with pytest.raises(RuntimeError, match="BFloat16Storage"):
        gt_load(_torch_saved(torch.ones(2, dtype=torch.bfloat16), tmp_path, "bf16.pt"))
    with pytest.raises(RuntimeError, match="not a PyTorch checkpoint"):
        gt_load(io.BytesIO(b"hello world"))
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(RuntimeError, match="data.pkl"):
        gt_load(io.BytesIO(plain_zip.getvalue()))


# -------------------------------------------------------------------------------- atomic save
def test_failed_save_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "ckpt.pt"
    gt_save({"w": gt.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        gt_save({"w": gt.zeros(1000), "bad": lambda: 0}, path)  # the lambda fails to pickle mid-way
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert_same_gt(gt_load(path), {"w": gt.ones(3)})


def test_failure_while_writing_storages(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    gt_save({"w": gt.ones(3)}, path)
    before = path.read_bytes()
    real_write = serialization._write_aligned
    calls = []

    def flaky_write(zf, name, data):
        calls.append(name)
        if len(calls) == 2:  # the temp file already holds a pickle and one storage
            raise OSError("disk full")
        real_write(zf, name, data)

    monkeypatch.setattr(serialization, "_write_aligned", flaky_write)
    with pytest.raises(OSError, match="disk full"):
        gt_save({"a": gt.zeros(10), "b": gt.ones(10)}, path)
    assert len(calls) == 2
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_save_replaces_and_keeps_permissions(tmp_path):
    path = tmp_path / "ckpt.pt"
    gt_save({"w": gt.ones(3)}, str(path))
    os.chmod(path, 0o600)
    gt_save({"w": gt.zeros(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert_same_gt(gt_load(str(path)), {"w": gt.zeros(2)})
    with pytest.raises(RuntimeError, match="Parent directory"):
        gt_save({"w": gt.ones(1)}, tmp_path / "missing" / "x.pt")


# ------------------------------------------------------------------------------- weights_only
class Evil:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"echo pwned > {self.marker}",))


class Harmless:
    def __init__(self, value):
        self.value = value


def _checkpoint_zip(data_pkl: bytes, records: dict | None = None, byteorder: str = "little") -> bytes:
    """A checkpoint archive with the given pickle and storage records."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/byteorder", byteorder)
        for key, data in (records or {}).items():
            zf.writestr(f"archive/data/{key}", data)
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def test_crafted_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    valid = zipfile.ZipFile(io.BytesIO(_saved_bytes({"w": gt.ones(2)})))
    payload = pickle.dumps({"weight": 1.0, "evil": Evil(marker)}, protocol=2)
    assert b"system" in payload
    # A real checkpoint whose data.pkl was swapped for the payload.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info in valid.infolist():
            zf.writestr(info.filename, payload if info.filename.endswith("data.pkl") else valid.read(info))
    path = tmp_path / "evil.pt"
    path.write_bytes(buf.getvalue())
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL (posix|os|nt)\.system"):
        gt_load(path)
    with pytest.raises(pickle.UnpicklingError, match="system"):
        gt_load(path, weights_only=True, mmap=True)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)  # torch refuses it too
    assert not marker.exists()


def test_crafted_bare_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Evil(marker), protocol=2)
    with pytest.raises(RuntimeError, match="not a PyTorch checkpoint"):
        gt_load(io.BytesIO(payload[2:]))  # not a zip archive: nothing is unpickled
    with pytest.raises(RuntimeError, match="legacy"):
        gt_load(io.BytesIO(payload))
    # The restricted unpickler itself, fed the bare pickle.
    with pytest.raises(pickle.UnpicklingError, match=r"(posix|os|nt)\.system"):
        serialization._WeightsUnpickler(io.BytesIO(payload)).load()
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("__builtin__", "getattr"), ("os", "system"),
                                         ("subprocess", "Popen"), ("glasstorch.serialization", "save"),
                                         ("torch", "load"), ("numpy", "frombuffer")])
def test_forbidden_globals(module, name):
    raw = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n."
    with pytest.raises(pickle.UnpicklingError, match=rf"GLOBAL {module}\.{name}"):
        gt_load(io.BytesIO(_checkpoint_zip(raw)))


def test_mutating_opcodes_limited_to_containers():
    # BUILD on an allowed function would patch its attributes (here: its default arguments).
    build = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n}X\x0c\x00\x00\x00__defaults__)sb."
    with pytest.raises(pickle.UnpicklingError, match="BUILD"):
        gt_load(io.BytesIO(_checkpoint_zip(build)))
    assert serialization._rebuild_tensor_v2.__defaults__ == (None,)
    # SETITEM on a non-dict (the dtype object).
    setitem = b"\x80\x02ctorch\nfloat32\nX\x01\x00\x00\x00aK\x01s."
    with pytest.raises(pickle.UnpicklingError, match="SETITEM"):
        gt_load(io.BytesIO(_checkpoint_zip(setitem)))


def test_corrupt_tensor_geometry_is_refused():
    class Raw:
        def __init__(self, reduced):
            self.reduced = reduced

        def __reduce__(self):
            return self.reduced

    def checkpoint_with(size, stride, offset=0):
        buf = io.BytesIO()
        pickler = serialization._CheckpointPickler(buf, 2)
        storage = pickler._new_storage(np.arange(4, dtype=np.float32))
        pickler.dump(Raw((serialization._REBUILD_TENSOR_V2, (storage, offset, size, stride, False, OrderedDict()))))
        return _checkpoint_zip(buf.getvalue(), {"0": np.arange(4, dtype=np.float32).tobytes()})

    ok = gt_load(io.BytesIO(checkpoint_with((2, 2), (1, 2))))
    np.testing.assert_array_equal(ok.numpy(), [[0, 2], [1, 3]])
    for size, stride, offset in [((1000,), (1,), 0), ((2,), (4,), 0), ((4,), (1,), 1), ((2,), (-1,), 3)]:
        with pytest.raises(RuntimeError, match="corrupt checkpoint"):
            gt_load(io.BytesIO(checkpoint_with(size, stride, offset)))


def test_weights_only_false_loads_arbitrary_objects(tmp_path):
    path = tmp_path / "obj.pt"
    gt_save({"w": gt.ones(2), "obj": Harmless(41)}, path)
    with pytest.raises(pickle.UnpicklingError, match="Harmless"):
        gt_load(path)
    out = gt_load(path, weights_only=False)
    assert isinstance(out["obj"], Harmless) and out["obj"].value == 41
    assert_same_gt(out["w"], gt.ones(2))
    with pytest.raises(RuntimeError, match="pickle_module"):
        gt_load(path, pickle_module=pickle)


def test_big_endian_checkpoint():
    # A checkpoint written on a big-endian machine: its storages are byte-swapped on load.
    values = np.array([1.5, -2.0, 3.25], dtype=np.float64)
    buf = io.BytesIO()
    pickler = serialization._CheckpointPickler(buf, 2)
    pickler.dump({"x": gt.tensor(values)})
    data = _checkpoint_zip(buf.getvalue(), {"0": values.astype(">f8").tobytes()}, byteorder="big")
    out = gt_load(io.BytesIO(data))
    assert out["x"].dtype is gt.float64
    np.testing.assert_array_equal(out["x"].numpy(), values)
    assert_matches_torch(out, torch.load(io.BytesIO(data), weights_only=True))


# ------------------------------------------------ allowing more globals, and torch's environment switches
def _numpy_file():
    import io
    buf = io.BytesIO()
    torch.save({"a": np.arange(3.0), "t": torch.ones(2)}, buf)
    buf.seek(0)
    return buf


NUMPY_GLOBALS = [np._core.multiarray._reconstruct, np.ndarray, np.dtype, type(np.dtype(np.float64))]


def test_numpy_arrays_load_only_when_allowed_as_in_torch():
    import pickle
    for t in (gt, torch):
        with pytest.raises(pickle.UnpicklingError):
            t.load(_numpy_file())
        with t.serialization.safe_globals(NUMPY_GLOBALS):
            got = t.load(_numpy_file())
        np.testing.assert_array_equal(got["a"], np.arange(3.0))
        assert got["t"].tolist() == [1.0, 1.0]
        with pytest.raises(pickle.UnpicklingError):   # the context manager has put the list back
            t.load(_numpy_file())
    try:
        gt.serialization.add_safe_globals(NUMPY_GLOBALS)
        assert set(map(id, NUMPY_GLOBALS)) <= set(map(id, gt.serialization.get_safe_globals()))
        np.testing.assert_array_equal(gt.load(_numpy_file())["a"], np.arange(3.0))
    finally:
        gt.serialization.clear_safe_globals()
    assert gt.serialization.get_safe_globals() == []


def test_an_allowed_class_does_not_open_others():
    import pickle
    with gt.serialization.safe_globals([np._core.multiarray._reconstruct]):
        with pytest.raises(pickle.UnpicklingError, match="numpy.ndarray"):
            gt.load(_numpy_file())


@pytest.mark.parametrize("env,kwargs", [({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, {}),
                                        ({"TORCH_FORCE_WEIGHTS_ONLY_LOAD": "1"}, {"weights_only": False}),
                                        ({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, {"weights_only": True})])
def test_weights_only_environment_switches_as_torch(monkeypatch, env, kwargs):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    outcomes = []
    for t in (gt, torch):
        try:
            t.load(_numpy_file(), **kwargs)
            outcomes.append("loaded")
        except Exception as e:
            outcomes.append(type(e).__name__)
    assert outcomes[0] == outcomes[1]
