"""MNIST and Fashion-MNIST, read from the original IDX files."""
from __future__ import annotations

import gzip
import os
import struct
from typing import Callable

import numpy as np

from ..._tensor import Tensor
from .utils import fetch
from .vision import _ImagesWithLabels

# The IDX header's third byte gives the element type; data are big-endian.
_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_exact(f, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise RuntimeError(f"{getattr(f, 'name', 'IDX file')}: file ends early (wanted {n} bytes, got {len(data)})")
    return data


def read_idx(path: str) -> np.ndarray:
    """Reads an IDX file (gzip-compressed if its name ends with ``.gz``) into a native-endian array.

    The format: two zero bytes, a type code, the number of dimensions ``n``, then
    ``n`` big-endian int32 sizes, then the values (big-endian, row-major).
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        head = _read_exact(f, 4)
        if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
            raise RuntimeError(f"{path} is not an IDX file (magic number {head.hex()})")
        dtype, ndim = _IDX_DTYPES[head[2]], head[3]
        shape = struct.unpack(f">{ndim}i", _read_exact(f, 4 * ndim))
        # Read straight into the final array: no second copy of a 47 MB file.
        arr = np.empty(shape, dtype=dtype)
        view = memoryview(arr).cast("B")
        filled = 0
        while filled < arr.nbytes:
            n = f.readinto(view[filled:])
            if not n:
                raise RuntimeError(f"{path}: file ends early (shape {list(shape)} needs {arr.nbytes} bytes of "
                                   f"data, found {filled})")
            filled += n
        if f.read(1):
            raise RuntimeError(f"{path}: unexpected bytes after the {list(shape)} array")
    return arr.astype(dtype.newbyteorder("="), copy=False)


class MNIST(_ImagesWithLabels):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grayscale.

    The gzip'd IDX files live in ``root/MNIST/raw`` (``root/<ClassName>/raw`` for
    subclasses). ``resources`` lists them as (filename, md5): training images and
    labels, then test images and labels. Only the split asked for is needed: with
    ``download=True`` its two files, if missing or corrupted, are downloaded from
    ``mirrors`` (tried in order) and checked against their md5 before use.

    Unlike torchvision, which hands a PIL image to ``transform``, ``dataset[i]``
    gives ``(img, target)`` with ``img`` a uint8 NumPy array of shape (28, 28):
    ``transforms.ToTensor`` turns it into a float32 (1, 28, 28) tensor in [0, 1].

    Args:
        root: the directory that holds (or will hold) ``MNIST/raw``.
        train: the training set if True, else the test set.
        transform: applied to each image array.
        target_transform: applied to each target (an int).
        download: download the files that are missing or corrupted.

    Attributes:
        data: uint8 tensor (N, 28, 28).
        targets: int64 tensor (N,).
        classes: the class names.

    Example::

        >>> ds = MNIST("data", download=True, transform=transforms.ToTensor())
        >>> img, label = ds[0]        # img: (1, 28, 28) float32, label: 5
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        # ``resources`` lists train images, train labels, test images, test labels, in that order.
        needed = list(self.resources[:2] if train else self.resources[2:4])
        images, labels = (f[:-3] if f.endswith(".gz") else f for f, _ in needed)
        if not self._have_unpacked(images, labels, needed):
            fetch(self.raw_folder, needed, self.mirrors, download, type(self).__name__)
        self.data, self.targets = self._load(images, labels)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _path(self, name: str) -> str:
        """The file to read: the verified ``.gz``, or else torchvision's unpacked copy."""
        gz = os.path.join(self.raw_folder, name + ".gz")
        return gz if os.path.isfile(gz) else os.path.join(self.raw_folder, name)

    def _have_unpacked(self, images: str, labels: str, needed) -> bool:
        """True when there are no ``.gz`` files but torchvision's unpacked files are there.

        torchvision keeps the decompressed IDX files next to the archives; a cache it
        made can be used even if the ``.gz`` files were deleted (they carry the md5,
        so without them only the IDX structure is checked).
        """
        if any(os.path.exists(os.path.join(self.raw_folder, f)) for f, _ in needed):
            return False
        return all(os.path.isfile(os.path.join(self.raw_folder, f)) for f in (images, labels))

    def _load(self, images: str, labels: str) -> tuple[Tensor, Tensor]:
        x_path, y_path = self._path(images), self._path(labels)
        x, y = read_idx(x_path), read_idx(y_path)
        if x.dtype != np.uint8 or x.ndim != 3:
            raise RuntimeError(f"{x_path}: expected uint8 images (N, H, W), got {x.dtype} {list(x.shape)}")
        if y.dtype != np.uint8 or y.ndim != 1:
            raise RuntimeError(f"{y_path}: expected uint8 labels (N,), got {y.dtype} {list(y.shape)}")
        if len(x) != len(y):
            raise RuntimeError(f"{len(x)} images in {x_path} but {len(y)} labels in {y_path}")
        return Tensor._make(x), Tensor._make(y.astype(np.int64))



class FashionMNIST(MNIST):
    """Fashion-MNIST: 70,000 28x28 grayscale images of clothing in 10 classes, MNIST's layout.

    Files live in ``root/FashionMNIST/raw``. Everything else is as :class:`MNIST`.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
