"""CIFAR-10, read from the python-version batches without running code from them."""
from __future__ import annotations

import os
import pickle
import tempfile
from typing import Any, Callable

import numpy as np

from .utils import check_integrity, fetch, file_status
from .vision import VisionDataset

try:  # NumPy >= 2 moved numpy.core to numpy._core (numpy.core still works, with a warning)
    from numpy._core.multiarray import _reconstruct, scalar as _np_scalar
    from numpy._core.numeric import _frombuffer
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct, scalar as _np_scalar
    from numpy.core.numeric import _frombuffer


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles from Python 3 use it for bytes, latin-1 only.

    The real ``_codecs.encode`` can reach any registered codec; the pickles we
    read only ever need latin-1, so nothing else is allowed.
    """
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is not allowed")
    return text.encode("latin1")


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only plain data: containers, numbers, strings, bytes and NumPy arrays.

    A pickle can name any importable callable and make the unpickler call it
    (``os.system`` included). Every such name goes through ``find_class``; this
    one answers only for the few NumPy functions that rebuild arrays, dtypes and
    scalars, and raises ``pickle.UnpicklingError`` for everything else.
    """

    _allowed = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy.core.multiarray", "scalar"): _np_scalar,
        ("numpy._core.multiarray", "scalar"): _np_scalar,
        ("numpy.core.numeric", "_frombuffer"): _frombuffer,
        ("numpy._core.numeric", "_frombuffer"): _frombuffer,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
        # Python 2 names come first in old pickles; fix_imports does not apply to an overridden find_class.
        ("builtins", "set"): set, ("__builtin__", "set"): set,
        ("builtins", "frozenset"): frozenset, ("__builtin__", "frozenset"): frozenset,
        ("builtins", "bytearray"): bytearray, ("__builtin__", "bytearray"): bytearray,
        ("builtins", "complex"): complex, ("__builtin__", "complex"): complex,
    }

    def find_class(self, module: str, name: str):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only plain data and NumPy arrays "
                                         f"may appear in a dataset file") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not allowed in a dataset file")


def load_pickle(path: str) -> Any:
    """Loads a CIFAR batch with :class:`RestrictedUnpickler`.

    ``encoding='latin1'``: the batches were written by Python 2, whose ``str`` holds
    bytes; latin-1 maps each byte to one character, which NumPy turns back into the
    array's bytes.
    """
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, encoding="latin1").load()


def _as_str_keys(entry: Any, path: str) -> dict:
    if not isinstance(entry, dict):
        raise RuntimeError(f"{path}: expected a dict, got {type(entry).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    The batches live in ``root/cifar-10-batches-py``. With ``download=True`` the
    archive ``cifar-10-python.tar.gz`` is downloaded to ``root`` (from ``mirrors``,
    checked against the md5 in ``resources``) and the batches are extracted from
    it. An archive put in ``root`` by hand is extracted even with ``download=False``.
    Every batch is checked against its md5 (``train_list``, ``test_list``, ``meta``)
    on each load, as torchvision does.

    The batches are pickles; they are read with a restricted unpickler that can
    only build plain data and NumPy arrays, so a tampered file cannot run code.

    Unlike torchvision, which hands a PIL image to ``transform``, ``dataset[i]``
    gives ``(img, target)`` with ``img`` a uint8 NumPy array of shape (32, 32, 3):
    ``transforms.ToTensor`` turns it into a float32 (3, 32, 32) tensor in [0, 1].

    Args:
        root: the directory that holds (or will hold) ``cifar-10-batches-py``.
        train: the training set if True, else the test set.
        transform: applied to each image array.
        target_transform: applied to each target (an int).
        download: download and extract the archive if the batches are missing or corrupted.

    Attributes:
        data: uint8 NumPy array (N, 32, 32, 3), as torchvision.
        targets: list of ints.
        classes: the class names, from ``batches.meta``.
    """

    base_folder = "cifar-10-batches-py"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    resources = [("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")]
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if not self._check_integrity():
            self._provide(download)
        self._load_batches()
        self._load_meta()

    # ------------------------------------------------------------ files
    def _batch_files(self) -> list[tuple[str, str]]:
        return [(f, md5) for f, md5 in self.train_list + self.test_list] + [(self.meta["filename"],
                                                                               self.meta["md5"])]

    def _check_integrity(self) -> bool:
        folder = os.path.join(self.root, self.base_folder)
        return all(check_integrity(os.path.join(folder, f), md5) for f, md5 in self._batch_files())

    def _provide(self, download: bool) -> None:
        """Gets the batches from the archive, downloading it first if allowed."""
        folder = os.path.abspath(os.path.join(self.root, self.base_folder))
        hint = ("Or put the extracted batches at exactly these paths (the md5 of each is checked):\n"
                + "\n".join(f"  {os.path.join(folder, f)}  md5 {md5}  {file_status(os.path.join(folder, f), md5)}"
                            for f, md5 in self._batch_files()))
        fetch(self.root, self.resources, self.mirrors, download, type(self).__name__, manual_hint=hint)
        archive = os.path.join(self.root, self.resources[0][0])
        self._extract(archive)
        bad = [(f, md5) for f, md5 in self._batch_files()
               if file_status(os.path.join(folder, f), md5) != "ok"]
        if bad:
            raise RuntimeError(f"Dataset corrupted: after extracting {os.path.abspath(archive)}, these files in "
                               f"{folder} are missing or fail their md5 check:\n"
                               + "\n".join(f"  {f}  expected md5 {md5}  "
                                           f"{file_status(os.path.join(folder, f), md5)}" for f, md5 in bad)
                               + "\nDelete the archive and try again with download=True.")

    def _extract(self, archive: str) -> None:
        """Extracts the batches we need from ``archive``, each through a temporary file.

        Only members named ``<base_folder>/<expected file>`` are written, to paths we
        build ourselves, so an archive cannot write outside ``root``.
        """
        import tarfile  # only needed once, to unpack a download

        folder = os.path.join(self.root, self.base_folder)
        os.makedirs(folder, exist_ok=True)
        wanted = {f"{self.base_folder}/{f}": f for f, _ in self._batch_files()}
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if name not in wanted or not member.isfile():
                    continue
                src = tar.extractfile(member)
                fd, part = tempfile.mkstemp(prefix=wanted[name] + ".", suffix=".part", dir=folder)
                try:
                    with os.fdopen(fd, "wb") as out:
                        while chunk := src.read(1 << 20):
                            out.write(chunk)
                    os.replace(part, os.path.join(folder, wanted[name]))
                except BaseException:
                    os.remove(part)
                    raise

    # ------------------------------------------------------------ parsing
    def _load_batches(self) -> None:
        data, targets = [], []
        for f, _ in self.train_list if self.train else self.test_list:
            path = os.path.join(self.root, self.base_folder, f)
            entry = _as_str_keys(load_pickle(path), path)
            x = entry.get("data")
            labels = entry.get("labels", entry.get("fine_labels"))
            if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3 * 32 * 32:
                raise RuntimeError(f"{path}: 'data' should be a uint8 array (N, 3072), got "
                                   f"{type(x).__name__} {getattr(x, 'dtype', '')} {list(getattr(x, 'shape', []))}")
            if labels is None or len(labels) != len(x):
                raise RuntimeError(f"{path}: expected {len(x)} labels, got "
                                   f"{'none' if labels is None else len(labels)}")
            data.append(x)
            targets.extend(int(t) for t in labels)
        # Rows are 1024 red, 1024 green, then 1024 blue values: to (N, 32, 32, 3) as torchvision.
        # Made contiguous once here, so that each image read later is one block of memory.
        self.data = np.ascontiguousarray(np.concatenate(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        self.targets = targets

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        entry = _as_str_keys(load_pickle(path), path)
        if self.meta["key"] not in entry:
            raise RuntimeError(f"{path}: no {self.meta['key']!r} entry")
        self.classes = [c.decode("latin1") if isinstance(c, bytes) else str(c) for c in entry[self.meta["key"]]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    # ------------------------------------------------------------ access
    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(img, target)``: a uint8 (32, 32, 3) array (a copy) and the class index as an int."""
        img, target = self.data[index].copy(), self.targets[index]
        return self._apply(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"
