"""Downloads against local HTTP servers on 127.0.0.1 (nothing else is ever contacted)."""
import os

import numpy as np
import pytest

import glasstorch.vision as gv
from glasstorch.vision.datasets.utils import download_url

from vision_helpers import (RecordingHandler, TruncatingHandler, cifar_batches, cifar_lists, cifar_tar_gz,
                            closed_port_url, md5, write_mnist_raw)


@pytest.fixture
def mnist_server_dir(tmp_path, monkeypatch):
    """The four MNIST files in a directory to serve; MNIST.resources set to their checksums."""
    served = tmp_path / "served"
    resources, arrays = write_mnist_raw(served)
    monkeypatch.setattr(gv.datasets.MNIST, "resources", resources)
    return served, arrays


def _leftovers(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_download_verify_parse(tmp_path, serve, mnist_server_dir, monkeypatch):
    served, arrays = mnist_server_dir
    spare = type("Spare", (RecordingHandler,), {"requests": []})
    monkeypatch.setattr(gv.datasets.MNIST, "mirrors", [serve(served), serve(served, spare)])
    root = tmp_path / "data"
    ds = gv.datasets.MNIST(root, train=True, download=True)
    assert spare.requests == []  # the first mirror served everything: the second is never asked
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train"][0])
    assert ds.targets.tolist() == arrays["train"][1].tolist()
    raw = root / "MNIST" / "raw"
    assert _leftovers(raw) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    for name, digest in gv.datasets.MNIST.resources[:2]:
        assert md5(raw / name) == digest
    # Already there: a second construction needs no server.
    monkeypatch.setattr(gv.datasets.MNIST, "mirrors", [closed_port_url()])
    assert len(gv.datasets.MNIST(root, download=True)) == len(arrays["train"][0])


def test_truncated_download_leaves_nothing(tmp_path, serve, mnist_server_dir, monkeypatch):
    served, _ = mnist_server_dir
    base = serve(served, TruncatingHandler)
    monkeypatch.setattr(gv.datasets.MNIST, "mirrors", [base])
    root = tmp_path / "data"
    with pytest.raises(RuntimeError) as info:
        gv.datasets.MNIST(root, download=True)
    msg = str(info.value)
    for name, _ in gv.datasets.MNIST.resources[:2]:
        assert base + name in msg
    assert "IncompleteRead" in msg or "incomplete download" in msg
    assert _leftovers(root / "MNIST" / "raw") == []  # no file, no .part


def test_download_url_truncated_and_bad_md5(tmp_path, serve):
    (tmp_path / "srv").mkdir()
    data = os.urandom(300_000)
    (tmp_path / "srv" / "blob").write_bytes(data)
    dest = tmp_path / "out" / "blob"
    good = serve(tmp_path / "srv")
    cut = serve(tmp_path / "srv", TruncatingHandler)
    with pytest.raises(Exception, match="IncompleteRead|incomplete"):
        download_url(cut + "blob", str(dest), md5(data))
    assert _leftovers(tmp_path / "out") == []
    with pytest.raises(RuntimeError, match=f"md5 mismatch: downloaded 300000 bytes with md5 {md5(data)}"):
        download_url(good + "blob", str(dest), "0" * 32)
    assert _leftovers(tmp_path / "out") == []
    download_url(good + "blob", str(dest), md5(data))
    assert dest.read_bytes() == data and _leftovers(tmp_path / "out") == ["blob"]


def test_wrong_checksum_download_is_not_kept(tmp_path, serve, mnist_server_dir, monkeypatch):
    served, _ = mnist_server_dir
    cls = gv.datasets.MNIST
    base = serve(served)
    monkeypatch.setattr(cls, "mirrors", [base])
    monkeypatch.setattr(cls, "resources", [(cls.resources[0][0], "1" * 32)] + cls.resources[1:])
    root = tmp_path / "data"
    with pytest.raises(RuntimeError) as info:
        cls(root, download=True)
    msg = str(info.value)
    assert base + cls.resources[0][0] in msg and "md5 mismatch" in msg and "1" * 32 in msg
    # The good file was kept; the bad one and every temporary file are gone.
    assert _leftovers(root / "MNIST" / "raw") == [cls.resources[1][0]]


@pytest.mark.parametrize("first", ["refused", "404", "truncated"])
def test_falls_back_to_next_mirror(tmp_path, serve, mnist_server_dir, monkeypatch, first):
    served, arrays = mnist_server_dir
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = {"refused": lambda: closed_port_url(), "404": lambda: serve(empty),
           "truncated": lambda: serve(served, TruncatingHandler)}[first]()
    monkeypatch.setattr(gv.datasets.MNIST, "mirrors", [bad, serve(served)])
    ds = gv.datasets.MNIST(tmp_path / "data", train=False, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k"][0])
    assert _leftovers(tmp_path / "data" / "MNIST" / "raw") == ["t10k-images-idx3-ubyte.gz",
                                                               "t10k-labels-idx1-ubyte.gz"]


def test_offline_error_names_every_url_file_and_path(tmp_path, monkeypatch):
    cls = gv.datasets.FashionMNIST
    mirrors = [closed_port_url(), closed_port_url()]
    monkeypatch.setattr(cls, "mirrors", mirrors)
    with pytest.raises(RuntimeError) as info:
        cls(tmp_path, train=True, download=True)
    msg = str(info.value)
    raw = os.path.join(str(tmp_path), "FashionMNIST", "raw")
    assert "Could not download FashionMNIST" in msg
    for name, digest in cls.resources[:2]:
        for mirror in mirrors:
            assert mirror + name in msg
        assert digest in msg and os.path.join(raw, name) in msg
    assert msg.count("Connection refused") + msg.count("ConnectionRefused") >= 2
    assert _leftovers(raw) == []


def test_cifar_download(tmp_path, serve, monkeypatch):
    files, arrays = cifar_batches()
    archive = cifar_tar_gz(files)
    served = tmp_path / "served"
    served.mkdir()
    (served / "cifar-10-python.tar.gz").write_bytes(archive)
    cls = gv.datasets.CIFAR10
    train, test, meta = cifar_lists(files)
    for attr, value in (("train_list", train), ("test_list", test), ("meta", meta),
                        ("resources", [("cifar-10-python.tar.gz", md5(archive))]),
                        ("mirrors", [closed_port_url(), serve(served)])):
        monkeypatch.setattr(cls, attr, value)
    root = tmp_path / "data"
    ds = cls(root, train=False, download=True)
    assert ds.data.shape == (3, 32, 32, 3) and ds.targets == arrays["test_batch"][1]
    assert md5(root / "cifar-10-python.tar.gz") == md5(archive)
    assert sorted(os.listdir(root / "cifar-10-batches-py")) == sorted(files)


def test_cifar_offline_error(tmp_path, monkeypatch):
    cls = gv.datasets.CIFAR10
    mirror = closed_port_url()
    monkeypatch.setattr(cls, "mirrors", [mirror])
    with pytest.raises(RuntimeError) as info:
        cls(tmp_path, download=True)
    msg = str(info.value)
    assert mirror + "cifar-10-python.tar.gz" in msg and "c58f30108f718f92721af3b95e74349a" in msg
    assert os.path.join(str(tmp_path), "cifar-10-python.tar.gz") in msg
    assert os.path.join(str(tmp_path), "cifar-10-batches-py", "data_batch_1") in msg
    assert _leftovers(tmp_path) == []
