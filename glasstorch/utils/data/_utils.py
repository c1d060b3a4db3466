"""The pieces a DataLoader is made of: collation, fetching, and the worker process loop."""
from __future__ import annotations

import collections.abc
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ..._tensor import Tensor


# ---------------------------------------------------------------- collation
def default_convert(data):
    """Converts NumPy arrays (and containers of them) to tensors, leaving everything else as is."""
    from ..._creation import as_tensor

    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return as_tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind in "biuf":
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()}) if not isinstance(data, dict) or \
            type(data) is dict else {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch: list):
    """Merges a list of samples into a batch, as torch's default_collate does.

    Tensors and NumPy arrays are stacked along a new first dimension; Python floats become a
    float64 tensor and ints an int64 tensor; strings stay a list; dicts, named tuples and
    sequences are collated field by field.
    """
    from ..._creation import tensor as make_tensor, as_tensor
    from ...ops.shape import stack

    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in "biuf":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                            f"found {elem.dtype}")
        return stack([as_tensor(b) for b in batch], 0)
    if isinstance(elem, np.generic):
        return as_tensor(np.array(batch))
    if isinstance(elem, bool):
        return make_tensor(batch)
    if isinstance(elem, float):
        return make_tensor(batch, dtype="float64")
    if isinstance(elem, int):
        return make_tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        return [default_collate(samples) for samples in transposed]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")


# ----------------------------------------------------------------- fetching
class _MapFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if getitems else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.iterator = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, batch_size):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in range(batch_size):
                try:
                    data.append(next(self.iterator))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < batch_size):
                raise StopIteration
        else:
            data = next(self.iterator)
        return self.collate_fn(data)


# ------------------------------------------------------------------ workers
@dataclass(frozen=True)
class WorkerInfo:
    """What a worker process knows about itself; see :func:`get_worker_info`."""
    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process, its ``WorkerInfo``; in the main process, None."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, exc_info=None, where: str = "in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


@dataclass(frozen=True)
class _IterableEnded:
    """Sent by a worker whose copy of an IterableDataset is exhausted."""
    worker_id: int


def _worker_loop(dataset_kind: str, dataset, index_queue, data_queue, collate_fn, auto_collation: bool,
                 drop_last: bool, base_seed: int, init_fn, worker_id: int, num_workers: int) -> None:
    """The body of a worker process: fetch the batches whose indices arrive on ``index_queue``."""
    global _worker_info
    from ...random import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    parent = os.getppid()
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher_cls = _IterableFetcher if dataset_kind == "iterable" else _MapFetcher
        fetcher = fetcher_cls(dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
    while True:
        try:
            task = index_queue.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the main process is gone: stop quietly
                return
            continue
        if task is None:
            return
        tag, indices = task
        if init_error is not None:
            data, init_error = init_error, None
        else:
            try:
                data = fetcher.fetch(indices)
            except StopIteration:
                data = _IterableEnded(worker_id)
            except Exception:
                data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        data_queue.put((tag, data))
