"""glasstorch.vision.datasets offline: IDX and CIFAR parsing, checksums, error messages, safe unpickling."""
import gzip
import importlib.util
import os
import pickle
import struct
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
import glasstorch.vision as gv
from glasstorch.vision import transforms as T
from glasstorch.vision.datasets import cifar as cifar_mod
from glasstorch.vision.datasets import digits as digits_mod
from glasstorch.vision.datasets.mnist import read_idx

from vision_helpers import (CIFAR_CLASSES, cifar_batches, cifar_lists, cifar_tar_gz, closed_port_url,
                            idx_bytes, md5, write_mnist_raw)

MNIST_FAMILY = [gv.datasets.MNIST, gv.datasets.FashionMNIST]


# ------------------------------------------------------------------- IDX
def test_idx_writer_uses_the_real_magic_numbers():
    x = np.zeros((2, 28, 28), np.uint8)
    y = np.zeros(2, np.uint8)
    assert struct.unpack(">i", idx_bytes(x)[:4])[0] == 2051  # 0x00000803
    assert struct.unpack(">i", idx_bytes(y)[:4])[0] == 2049  # 0x00000801
    assert struct.unpack(">3i", idx_bytes(x)[4:16]) == (2, 28, 28)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_every_type_big_endian(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) * 3 - 20).astype(dtype)
    for gz in (False, True):
        path = tmp_path / ("a.idx.gz" if gz else "a.idx")
        path.write_bytes(gzip.compress(idx_bytes(arr)) if gz else idx_bytes(arr))
        got = read_idx(str(path))
        assert got.dtype == np.dtype(dtype).newbyteorder("=") and got.dtype.isnative
        np.testing.assert_array_equal(got, arr)


def test_read_idx_rejects_bad_files(tmp_path):
    good = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    bad = {"magic": b"\x01\x00" + good[2:], "type": good[:2] + b"\x07" + good[3:],
           "short": good[:-1], "long": good + b"\x00", "header": good[:6]}
    for why, data in bad.items():
        path = tmp_path / f"{why}.idx"
        path.write_bytes(data)
        with pytest.raises(RuntimeError, match="not an IDX file|ends early|unexpected bytes"):
            read_idx(str(path))


# ------------------------------------------------------------ MNIST family
@pytest.fixture(params=MNIST_FAMILY, ids=lambda c: c.__name__)
def mnist_root(request, tmp_path, monkeypatch):
    cls = request.param
    resources, arrays = write_mnist_raw(tmp_path / cls.__name__ / "raw")
    monkeypatch.setattr(cls, "resources", resources)
    monkeypatch.setattr(cls, "mirrors", [closed_port_url()])
    return cls, tmp_path, arrays


def test_mnist_family_parses(mnist_root):
    cls, root, arrays = mnist_root
    for train, split in ((True, "train"), (False, "t10k")):
        x, y = arrays[split]
        ds = cls(str(root), train=train)
        assert len(ds) == len(x)
        assert isinstance(ds.data, gt.Tensor) and ds.data.dtype == gt.uint8 and tuple(ds.data.shape) == x.shape
        np.testing.assert_array_equal(ds.data.numpy(), x)
        assert ds.targets.dtype == gt.int64 and ds.targets.tolist() == y.tolist()
        img, target = ds[1]
        assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
        np.testing.assert_array_equal(img, x[1])
        assert type(target) is int and target == y[1]
        assert ds.raw_folder == os.path.join(str(root), cls.__name__, "raw")
        assert f"Split: {'Train' if train else 'Test'}" in repr(ds)
    if cls is gv.datasets.MNIST:
        assert ds.classes[0] == "0 - zero" and ds.classes[9] == "9 - nine" and len(ds.classes) == 10
    else:
        assert ds.classes == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                              "Bag", "Ankle boot"]
    assert ds.class_to_idx[ds.classes[3]] == 3


def test_mnist_family_transforms(mnist_root):
    cls, root, arrays = mnist_root
    x, y = arrays["train"]
    tf = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    ds = cls(root, transform=tf, target_transform=lambda t: t + 100)
    img, target = ds[2]
    expected = (torch.from_numpy(x[2][None]).float().div(255) - 0.1307) / 0.3081
    assert img.dtype == gt.float32 and tuple(img.shape) == (1, 28, 28)
    np.testing.assert_array_equal(img.numpy(), expected.numpy())
    assert target == y[2] + 100
    text = repr(ds)
    assert "Transform: Compose(" in text and "Normalize(mean=(0.1307,), std=(0.3081,))" in text
    assert "Target transform: " in text


def test_mnist_family_works_with_dataloader(mnist_root):
    cls, root, arrays = mnist_root
    loader = gt.utils.data.DataLoader(cls(root, transform=T.ToTensor()), batch_size=4)
    xb, yb = next(iter(loader))
    assert tuple(xb.shape) == (4, 1, 28, 28) and xb.dtype == gt.float32
    assert yb.tolist() == arrays["train"][1][:4].tolist()


def test_mnist_missing_files_without_download(tmp_path, monkeypatch):
    cls = gv.datasets.MNIST
    raw = os.path.join(str(tmp_path), "MNIST", "raw")
    with pytest.raises(RuntimeError) as info:
        cls(str(tmp_path))
    msg = str(info.value)
    assert "Dataset not found. You can use download=True to download it" in msg
    for name, digest in cls.resources[:2]:  # the training split's two files
        assert name in msg and digest in msg and os.path.join(raw, name) in msg
    assert cls.mirrors[0] in msg
    assert not os.path.exists(raw) or not os.listdir(raw)


def test_mnist_wrong_checksum_rejected(mnist_root, monkeypatch):
    cls, root, _ = mnist_root
    wrong = [(name, "0" * 32) if i == 0 else (name, digest) for i, (name, digest) in enumerate(cls.resources)]
    monkeypatch.setattr(cls, "resources", wrong)
    with pytest.raises(RuntimeError) as info:
        cls(root)
    msg = str(info.value)
    assert "Dataset not found or corrupted" in msg and "md5 mismatch" in msg and "0" * 32 in msg
    # Offline download=True: the bad file is not replaced by anything half-made, and the
    # message names the URL tried, the expected files and where to put them.
    with pytest.raises(RuntimeError) as info:
        cls(root, download=True)
    msg = str(info.value)
    assert cls.mirrors[0] + wrong[0][0] in msg
    assert "ConnectionRefused" in msg or "Connection refused" in msg
    raw = os.path.join(str(root), cls.__name__, "raw")
    assert os.path.join(raw, wrong[0][0]) in msg
    assert not [f for f in os.listdir(raw) if f.endswith(".part")]


def test_mnist_uses_torchvision_unpacked_cache(tmp_path, monkeypatch):
    """A torchvision cache whose .gz archives were deleted still loads from the unpacked IDX files."""
    cls = gv.datasets.MNIST
    _, arrays = write_mnist_raw(tmp_path / "MNIST" / "raw", gz=False)
    ds = cls(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k"][0])
    assert ds.targets.tolist() == arrays["t10k"][1].tolist()


def test_mnist_rejects_mismatched_counts(tmp_path, monkeypatch):
    cls = gv.datasets.MNIST
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = gzip.compress(idx_bytes(np.zeros((3, 28, 28), np.uint8)), mtime=0)
    labels = gzip.compress(idx_bytes(np.zeros(2, np.uint8)), mtime=0)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(images)
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(labels)
    monkeypatch.setattr(cls, "resources", [("train-images-idx3-ubyte.gz", md5(images)),
                                           ("train-labels-idx1-ubyte.gz", md5(labels))] + cls.resources[2:])
    with pytest.raises(RuntimeError, match="3 images .* but 2 labels"):
        cls(tmp_path)


# ------------------------------------------------------------------- CIFAR
@pytest.fixture
def cifar_files(monkeypatch):
    files, arrays = cifar_batches()
    train, test, meta = cifar_lists(files)
    cls = gv.datasets.CIFAR10
    monkeypatch.setattr(cls, "train_list", train)
    monkeypatch.setattr(cls, "test_list", test)
    monkeypatch.setattr(cls, "meta", meta)
    monkeypatch.setattr(cls, "mirrors", [closed_port_url()])
    return files, arrays


def _put_archive(root, files, monkeypatch, extra=None):
    archive = cifar_tar_gz(files, extra)
    (root / "cifar-10-python.tar.gz").write_bytes(archive)
    monkeypatch.setattr(gv.datasets.CIFAR10, "resources", [("cifar-10-python.tar.gz", md5(archive))])
    return archive


def test_cifar_extracts_archive_and_parses(tmp_path, cifar_files, monkeypatch):
    files, arrays = cifar_files
    # A member that tries to climb out of root must not be written.
    _put_archive(tmp_path, files, monkeypatch, extra={"cifar-10-batches-py/../../escaped": b"x"})
    ds = gv.datasets.CIFAR10(str(tmp_path), train=True)
    x = np.concatenate([arrays[f"data_batch_{i}"][0] for i in range(1, 6)])
    y = sum((arrays[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert isinstance(ds.data, np.ndarray) and ds.data.dtype == np.uint8 and ds.data.shape == (20, 32, 32, 3)
    np.testing.assert_array_equal(ds.data, x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    # Channel order: the first 1024 values of a row are red.
    assert ds.data[0, 0, 1, 0] == x[0, 1] and ds.data[0, 0, 0, 2] == x[0, 2048]
    assert isinstance(ds.targets, list) and ds.targets == y and all(type(t) is int for t in ds.targets)
    assert ds.classes == CIFAR_CLASSES and ds.class_to_idx["truck"] == 9
    assert len(ds) == 20
    img, target = ds[5]
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and target == y[5]
    assert not (tmp_path.parent / "escaped").exists() and not (tmp_path / "escaped").exists()
    assert sorted(os.listdir(tmp_path / "cifar-10-batches-py")) == sorted(files)

    test = gv.datasets.CIFAR10(tmp_path, train=False, transform=T.ToTensor())
    assert len(test) == 3 and "Split: Test" in repr(test)
    img, target = test[2]
    expected = torch.from_numpy(arrays["test_batch"][0][2].reshape(3, 32, 32)).float().div(255)
    np.testing.assert_array_equal(img.numpy(), expected.numpy())
    assert target == arrays["test_batch"][1][2]


def test_cifar_reads_extracted_batches_without_archive(tmp_path, cifar_files, monkeypatch):
    files, arrays = cifar_files
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    ds = gv.datasets.CIFAR10(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data, arrays["test_batch"][0].reshape(3, 3, 32, 32).transpose(0, 2, 3, 1))
    assert ds.targets == arrays["test_batch"][1] and ds.classes == CIFAR_CLASSES


def test_cifar_missing_without_download(tmp_path, cifar_files):
    cls = gv.datasets.CIFAR10
    with pytest.raises(RuntimeError) as info:
        cls(tmp_path)
    msg = str(info.value)
    assert "Dataset not found. You can use download=True to download it" in msg
    assert os.path.join(str(tmp_path), "cifar-10-python.tar.gz") in msg and cls.resources[0][1] in msg
    for name, digest in cls.train_list + cls.test_list:
        assert os.path.join(str(tmp_path), "cifar-10-batches-py", name) in msg and digest in msg


def test_cifar_wrong_checksums(tmp_path, cifar_files, monkeypatch):
    files, _ = cifar_files
    cls = gv.datasets.CIFAR10
    _put_archive(tmp_path, files, monkeypatch)
    # A batch that does not match its md5 after extraction.
    monkeypatch.setattr(cls, "train_list", [["data_batch_1", "f" * 32]] + cls.train_list[1:])
    with pytest.raises(RuntimeError, match=r"(?s)Dataset corrupted.*data_batch_1.*f{32}"):
        cls(tmp_path)
    # An archive that does not match its md5 is not used.
    monkeypatch.setattr(cls, "resources", [("cifar-10-python.tar.gz", "e" * 32)])
    with pytest.raises(RuntimeError, match=r"(?s)not found or corrupted.*cifar-10-python.tar.gz  e{32}  md5 mismatch"):
        cls(tmp_path)


# ------------------------------------------------------- safe unpickling
class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_cifar_crafted_pickle_runs_nothing(tmp_path, cifar_files, monkeypatch):
    files, _ = cifar_files
    marker = tmp_path / "pwned"
    evil = pickle.dumps({"data": np.zeros((1, 3072), np.uint8), "labels": [0], "x": _RunsCode(marker)},
                        protocol=2)
    files = dict(files, data_batch_1=evil)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    train, test, meta = cifar_lists(files)  # the checksums pass: only the unpickler stands in the way
    monkeypatch.setattr(gv.datasets.CIFAR10, "train_list", train)
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system|nt.system"):
        gv.datasets.CIFAR10(tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    b"cbuiltins\neval\n(S'1+1'\ntR.",
    b"cos\nsystem\n(S'true'\ntR.",
    b"csubprocess\nPopen\n(S'true'\ntR.",
    b"cnumpy\nload\n(S'x'\ntR.",
    b"c__builtin__\ngetattr\n(c__builtin__\nobject\nS'__subclasses__'\ntR.",
    b"\x80\x02P0\n.",  # a persistent id
])
def test_restricted_unpickler_refuses_globals(tmp_path, payload):
    path = tmp_path / "batch"
    path.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError):
        cifar_mod.load_pickle(str(path))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_restricted_unpickler_loads_plain_data(tmp_path, protocol):
    obj = {"a": np.arange(6, dtype=np.uint8).reshape(2, 3), "b": [1, 2.5, "s", b"by", None, True],
           "c": (np.float32(1.5), np.int64(7)), "d": {1, 2}, "e": np.array(["x", "yz"]),
           "f": np.arange(4.0)[::2]}
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    got = cifar_mod.load_pickle(str(path))
    for key in ("a", "e", "f"):
        np.testing.assert_array_equal(got[key], obj[key])
        assert got[key].dtype == obj[key].dtype
    assert got["b"] == obj["b"] and got["c"] == obj["c"] and got["d"] == obj["d"]


def test_restricted_unpickler_reads_a_python2_batch(tmp_path):
    """The real batches were written by Python 2's cPickle: str (bytes) keys and array data,
    numpy.core names. Read with latin-1, and without touching the deprecated numpy.core."""
    payload = (b"\x80\x02}q\x00(U\x04dataq\x01cnumpy.core.multiarray\n_reconstruct\nq\x02cnumpy\nndarray\nq\x03"
               b"K\x00\x85U\x01b\x87Rq\x04(K\x01K\x02K\x03\x86cnumpy\ndtype\nq\x05U\x02u1K\x00K\x01\x87Rq\x06"
               b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbI00\nU\x06\x01\x02\xfa\x00\x80\xff"
               b"tbU\x06labelsq\x07]q\x08(K\x01K\x02eu.")
    path = tmp_path / "batch"
    path.write_bytes(payload)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cifar_mod.load_pickle(str(path))
    assert set(got) == {"data", "labels"} and got["labels"] == [1, 2]
    np.testing.assert_array_equal(got["data"], np.array([[1, 2, 250], [0, 128, 255]], np.uint8))


def test_restricted_unpickler_codecs_latin1_only(tmp_path):
    path = tmp_path / "batch"
    path.write_bytes(b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x06\x00\x00\x00base64\x86R.")
    with pytest.raises(pickle.UnpicklingError, match="base64"):
        cifar_mod.load_pickle(str(path))


# ------------------------------------------------------------------ Digits
class _FakeBunch:
    """What ``sklearn.datasets.load_digits()`` returns, with synthetic values 0..16."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.images = rng.integers(0, 17, (1797, 8, 8)).astype(np.float64)
        self.images[0, 0, :3] = [0, 8, 16]
        self.target = np.arange(1797) % 10


def test_digits_split_and_scaling_logic(monkeypatch):
    """The split and the 0..16 -> 0..255 scaling, on synthetic data (no scikit-learn needed)."""
    bunch = _FakeBunch()
    monkeypatch.setattr(digits_mod, "_load_digits", lambda: bunch)
    train, test = gv.datasets.Digits(train=True), gv.datasets.Digits(train=False)
    assert (len(train), len(test)) == (1437, 360)
    order = np.random.RandomState(0).permutation(1797)
    np.testing.assert_array_equal(train.targets.numpy(), bunch.target[order[:1437]])
    np.testing.assert_array_equal(test.targets.numpy(), bunch.target[order[1437:]])
    expected = np.rint(bunch.images * 255 / 16).astype(np.uint8)
    np.testing.assert_array_equal(train.data.numpy(), expected[order[:1437]])
    i = int(np.nonzero(order == 0)[0][0])
    ds, j = (train, i) if i < 1437 else (test, i - 1437)
    assert ds.data.numpy()[j, 0, :3].tolist() == [0, 128, 255]
    # A second construction gives the same split.
    np.testing.assert_array_equal(gv.datasets.Digits().targets.numpy(), train.targets.numpy())


def test_digits_real_or_clear_import_error():
    if importlib.util.find_spec("sklearn") is None:
        with pytest.raises(ImportError) as info:
            gv.datasets.Digits()
        msg = str(info.value)
        assert "pip install scikit-learn" in msg and "pip install -e '.[examples]'" in msg
        return
    from sklearn.datasets import load_digits
    bunch = load_digits()
    train = gv.datasets.Digits(train=True)
    test = gv.datasets.Digits(train=False, transform=T.Compose([T.ToTensor(), T.Resize(28)]))
    assert (len(train), len(test)) == (1437, 360) and len(bunch.images) == 1797
    both = np.concatenate([train.targets.numpy(), test.targets.numpy()])
    assert sorted(both.tolist()) == sorted(bunch.target.tolist())
    assert set(train.targets.tolist()) == set(range(10)) and set(test.targets.tolist()) == set(range(10))
    for ds in (train, test):
        assert ds.data.dtype == gt.uint8 and tuple(ds.data.shape[1:]) == (8, 8)
        assert ds.targets.dtype == gt.int64
        assert int(ds.data.numpy().min()) == 0 and int(ds.data.numpy().max()) == 255
    # Every image is one of sklearn's, scaled.
    scaled = np.rint(bunch.images * 255 / 16).astype(np.uint8)
    order = np.random.RandomState(0).permutation(1797)
    np.testing.assert_array_equal(train.data.numpy(), scaled[order[:1437]])
    np.testing.assert_array_equal(test.data.numpy(), scaled[order[1437:]])
    img, target = test[0]
    assert tuple(img.shape) == (1, 28, 28) and img.dtype == gt.float32 and 0 <= target < 10
    assert 0.0 <= float(img.min()) and float(img.max()) <= 1.0


# ---------------------------------------------------------------- FakeData
def test_fakedata_is_deterministic_per_index():
    before = gt.get_rng_state()
    ds = gv.datasets.FakeData(size=6, image_size=(3, 5, 7), num_classes=4)
    a, ta = ds[3]
    assert a.shape == (5, 7, 3) and a.dtype == np.uint8 and 0 <= ta < 4 and type(ta) is int
    b, tb = gv.datasets.FakeData(size=6, image_size=(3, 5, 7), num_classes=4)[3]
    np.testing.assert_array_equal(a, b)
    assert ta == tb
    assert not np.array_equal(ds[2][0], a)
    shifted = gv.datasets.FakeData(size=6, image_size=(3, 5, 7), num_classes=4, random_offset=1)
    np.testing.assert_array_equal(shifted[2][0], a)  # seeded by index + random_offset
    assert gt.get_rng_state().tolist() == before.tolist()  # the global generator is untouched
    assert len(ds) == 6
    with pytest.raises(IndexError):
        ds[6]
    gray = gv.datasets.FakeData(size=2, image_size=(1, 4, 4), transform=T.ToTensor())
    img, _ = gray[0]
    assert tuple(img.shape) == (1, 4, 4) and img.dtype == gt.float32
    labels = {gv.datasets.FakeData(size=200, num_classes=3, image_size=(1, 1, 1))[i][1] for i in range(200)}
    assert labels == {0, 1, 2}
    assert repr(ds).startswith("Dataset FakeData\n    Number of datapoints: 6")
