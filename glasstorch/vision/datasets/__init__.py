"""Datasets with torchvision's API: MNIST, FashionMNIST, CIFAR10, the scikit-learn Digits and FakeData.

Where torchvision gives ``transform`` a PIL image, these give a uint8 NumPy array
(H, W) or (H, W, C), which ``glasstorch.vision.transforms.ToTensor`` understands.
"""
from .vision import VisionDataset, StandardTransform
from .mnist import MNIST, FashionMNIST
from .cifar import CIFAR10
from .digits import Digits
from .fakedata import FakeData

__all__ = ["VisionDataset", "StandardTransform", "MNIST", "FashionMNIST", "CIFAR10", "Digits", "FakeData"]
