"""Random images, the same for the same index every time."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ...random import Generator
from .vision import VisionDataset


class FakeData(VisionDataset):
    """A dataset of random images and labels, deterministic per index.

    Item ``i`` is drawn from a generator seeded with ``i + random_offset``, so it is
    the same every time it is read, in any process, without touching the global
    generator. The values are not torchvision's (another generator, and uniform
    bytes rather than a normal sample squeezed into bytes by ``ToPILImage``).

    ``dataset[i]`` gives ``(img, target)``: a uint8 NumPy array (H, W, C), or (H, W)
    when C is 1, as a PIL image would be, and an int in ``[0, num_classes)``.

    Args:
        size: the number of items.
        image_size: (C, H, W).
        num_classes: the number of classes.
        transform: applied to each image array.
        target_transform: applied to each target.
        random_offset: added to the index to make the seed, for a different set of images.
    """

    def __init__(self, size: int = 1000, image_size: Sequence[int] = (3, 224, 224), num_classes: int = 10,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        rng = Generator().manual_seed(index + self.random_offset)._rng
        c, h, w = self.image_size
        img = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
        if c == 1:
            img = img[:, :, 0]
        target = int(rng.integers(0, self.num_classes))
        return self._apply(img, target)

    def __len__(self) -> int:
        return self.size
