"""Builders of small dataset files in the real formats (IDX, CIFAR python batches) for the vision tests."""
import gzip
import hashlib
import http.server
import io
import os
import pickle
import socket
import struct
import tarfile

import numpy as np

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def md5(path_or_bytes) -> str:
    if isinstance(path_or_bytes, (bytes, bytearray)):
        return hashlib.md5(path_or_bytes).hexdigest()
    with open(path_or_bytes, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def idx_bytes(arr: np.ndarray) -> bytes:
    """The IDX encoding: 0, 0, type code, ndim, big-endian int32 sizes, big-endian data."""
    code = IDX_CODES[arr.dtype]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}i", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def mnist_arrays(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def write_mnist_raw(folder, n_train=7, n_test=3, gz=True):
    """Writes the four MNIST files into ``folder``; returns (resources, arrays by split)."""
    os.makedirs(folder, exist_ok=True)
    arrays = {"train": mnist_arrays(n_train, 1), "t10k": mnist_arrays(n_test, 2)}
    resources = []
    for split in ("train", "t10k"):
        x, y = arrays[split]
        for kind, arr in (("images-idx3", x), ("labels-idx1", y)):
            name = f"{split}-{kind}-ubyte"
            raw = idx_bytes(arr)
            if gz:
                # mtime=0: the same bytes, hence the same md5, on every run.
                data = gzip.compress(raw, mtime=0)
                name += ".gz"
            else:
                data = raw
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            resources.append((name, md5(data)))
    return resources, arrays


# ------------------------------------------------------------------ CIFAR
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def cifar_pickle(obj) -> bytes:
    """Protocol 2, as the real (Python 2) batches; NumPy's module named numpy.core as in those files."""
    data = pickle.dumps(obj, protocol=2)
    return data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def cifar_batches(n_per_batch=4, n_test=3):
    """{filename: bytes} for data_batch_1..5, test_batch and batches.meta, plus the arrays."""
    rng = np.random.default_rng(3)
    files, arrays = {}, {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else n_per_batch
        x = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        y = [int(v) for v in rng.integers(0, 10, n)]
        files[name] = cifar_pickle({"batch_label": f"{name} of 5", "labels": y, "data": x,
                                    "filenames": [f"img_{i}.png" for i in range(n)]})
        arrays[name] = (x, y)
    files["batches.meta"] = cifar_pickle({"num_cases_per_batch": n_per_batch, "label_names": CIFAR_CLASSES,
                                          "num_vis": 3072})
    return files, arrays


def cifar_tar_gz(files: dict, extra: dict | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        members = {f"cifar-10-batches-py/{k}": v for k, v in files.items()}
        members["cifar-10-batches-py/readme.html"] = b"<html></html>"
        members.update(extra or {})
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def cifar_lists(files: dict):
    """train_list, test_list and meta attributes with the md5 of ``files``."""
    train = [[f"data_batch_{i}", md5(files[f"data_batch_{i}"])] for i in range(1, 6)]
    test = [["test_batch", md5(files["test_batch"])]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": md5(files["batches.meta"])}
    return train, test, meta


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


# ------------------------------------------------------------ HTTP handlers
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class RecordingHandler(QuietHandler):
    """Serves files and records every requested path in ``requests`` (a class attribute)."""
    requests: list = []

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()


class TruncatingHandler(QuietHandler):
    """Announces the full Content-Length, sends half the bytes, then hangs up."""

    def do_GET(self):
        path = self.translate_path(self.path)
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
