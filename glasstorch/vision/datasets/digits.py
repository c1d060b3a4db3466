"""The 8x8 handwritten digits that ship with scikit-learn, as an offline dataset."""
from __future__ import annotations

import os
from typing import Callable

import numpy as np

from ..._tensor import Tensor
from .mnist import MNIST
from .vision import _ImagesWithLabels

_INSTALL_HINT = ("glasstorch.vision.datasets.Digits needs scikit-learn, which ships these images "
                 "(sklearn.datasets.load_digits). Install it with:  pip install scikit-learn\n"
                 "or install glasstorch's examples extra:  pip install -e '.[examples]'")

# The fixed split: a permutation from NumPy's legacy RandomState, whose stream is
# frozen across NumPy versions, so the split is the same everywhere.
SPLIT_SEED = 0
NUM_TRAIN = 1437


def _load_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(_INSTALL_HINT) from e
    return load_digits()


class Digits(_ImagesWithLabels):
    """The UCI handwritten digits from scikit-learn: 1,797 8x8 grayscale images of 0-9, no download.

    The images are stored with values 0..16; here they are scaled to uint8 0..255
    (``round(v * 255 / 16)``) so that the same transforms as for MNIST apply, e.g.
    ``Compose([ToTensor(), Resize(28)])`` to feed an MNIST model.

    The split is fixed: ``numpy.random.RandomState(0).permutation(1797)``; its first
    1,437 indices are the training set and the last 360 the test set (the order of
    that permutation is kept). It needs scikit-learn (``pip install scikit-learn``).

    ``dataset[i]`` gives ``(img, target)``: a uint8 NumPy array (8, 8) and an int.

    Args:
        root: unused (the data come with scikit-learn); kept for torchvision's signature.
        train: the 1,437 training images if True, else the 360 test images.
        transform: applied to each image array.
        target_transform: applied to each target (an int).

    Attributes:
        data: uint8 tensor (N, 8, 8).
        targets: int64 tensor (N,).
        classes: the class names (MNIST's).

    Raises:
        ImportError: scikit-learn is not installed (the message gives the pip command).
    """

    classes = MNIST.classes

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        bunch = _load_digits()
        images = np.asarray(bunch.images, dtype=np.float64)
        labels = np.asarray(bunch.target, dtype=np.int64)
        order = np.random.RandomState(SPLIT_SEED).permutation(len(images))
        pick = order[:NUM_TRAIN] if train else order[NUM_TRAIN:]
        pixels = np.rint(images[pick] * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
        self.data = Tensor._make(pixels)
        self.targets = Tensor._make(labels[pick])
