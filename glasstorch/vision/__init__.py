"""glasstorch.vision: datasets, transforms and image utilities with torchvision's API.

``import glasstorch.vision as torchvision`` runs the usual data pipelines::

    from glasstorch.vision import datasets, transforms
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST("data", train=True, download=True, transform=tf)

There is no PIL here: where torchvision's datasets give a PIL image, these give a
uint8 NumPy array (H, W) or (H, W, C), which every transform accepts.
"""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
