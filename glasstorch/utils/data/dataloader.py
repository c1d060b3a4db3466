"""DataLoader: batches from a dataset, in the main process or in worker processes.

With ``num_workers=0`` batches are fetched in the main process. With workers,
the main process sends lists of indices to the workers round-robin, and puts
the returned batches back in order, so the batches are the same as without
workers. A worker's exception is re-raised in the main process with the
worker's traceback; a worker that dies raises instead of hanging.
"""
from __future__ import annotations

import itertools
import multiprocessing
import queue
import time
from typing import Any, Callable, Iterable

import numpy as np

from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, Sampler
from ._utils import ExceptionWrapper, _IterableEnded, _IterableFetcher, _MapFetcher, _worker_loop, \
    default_collate, default_convert


class DataLoader:
    """Iterates over a dataset in batches.

    Args:
        dataset: a map-style or iterable dataset.
        batch_size: samples per batch (None disables batching). Default: 1.
        shuffle: reshuffle the indices every epoch.
        sampler: the order of indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler, drop_last).
        num_workers: how many worker processes fetch batches (0: the main process).
        collate_fn: merges a list of samples into a batch.
        pin_memory: accepted for compatibility; has no effect on the CPU.
        drop_last: drop the last incomplete batch.
        timeout: seconds to wait for a batch from the workers (0: no limit).
        worker_init_fn: called with the worker id in each worker.
        generator: the generator for shuffling and for the workers' seeds.
        prefetch_factor: batches loaded in advance per worker (default 2 with workers).
        persistent_workers: keep the workers alive between epochs.

    Example::

        >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
        >>> for xb, yb in loader:
        ...     ...
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn: Callable | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.persistent_workers = persistent_workers

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            self._dataset_kind = "map"
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == "iterable":
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessIter(self)


class _InfiniteConstantSampler(Sampler):
    """The 'sampler' of an IterableDataset: the dataset decides what comes next."""

    def __iter__(self):
        while True:
            yield None


def _base_seed(loader: DataLoader) -> int:
    """One draw from the loader's generator per epoch, as torch does, for the workers' seeds."""
    from ...random import _rng
    return int(_rng(loader.generator).integers(0, 2 ** 62))


class _BaseIter:
    def __init__(self, loader: DataLoader):
        self._loader = loader
        self._sampler_iter = iter(loader._index_sampler)
        self._base_seed = _base_seed(loader)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _next_index(self):
        return next(self._sampler_iter)

    def __len__(self) -> int:
        return len(self._loader)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader):
        super().__init__(loader)
        fetcher_cls = _IterableFetcher if loader._dataset_kind == "iterable" else _MapFetcher
        self._fetcher = fetcher_cls(loader.dataset, loader._auto_collation, loader.collate_fn, loader.drop_last)

    def __next__(self):
        index = self._next_index()
        if self._loader._dataset_kind == "iterable" and self._loader._auto_collation:
            index = self._loader.batch_size
        data = self._fetcher.fetch(index)
        self._num_yielded += 1
        return data


class _MultiProcessIter(_BaseIter):
    """Sends index lists to worker processes and returns their batches in order."""

    def __init__(self, loader: DataLoader):
        super().__init__(loader)
        ctx = loader.multiprocessing_context
        if ctx is None or isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._num_workers = loader.num_workers
        self._result_queue = ctx.Queue()
        self._index_queues = []
        self._workers = []
        for i in range(self._num_workers):
            iq = ctx.Queue()
            w = ctx.Process(target=_worker_loop, daemon=True,
                            args=(loader._dataset_kind, loader.dataset, iq, self._result_queue, loader.collate_fn,
                                  loader._auto_collation, loader.drop_last, self._base_seed,
                                  loader.worker_init_fn, i, self._num_workers))
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._shutdown = False
        self._epoch = 0
        self._start_epoch()

    def _start_epoch(self) -> None:
        self._send_idx = 0
        self._rcvd_idx = 0
        self._pending = {}  # send index -> worker id, or (worker id, data) once received
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._sampler_done = False
        for _ in range(self._loader.prefetch_factor * self._num_workers):
            self._put_index()

    def _reset(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(loader._index_sampler)
        self._num_yielded = 0
        self._epoch += 1  # batches still in flight from an abandoned epoch are recognised and dropped
        self._start_epoch()

    def _put_index(self) -> None:
        if self._sampler_done or not any(self._active):
            return
        try:
            index = self._next_index()
        except StopIteration:
            self._sampler_done = True
            return
        if self._loader._dataset_kind == "iterable" and self._loader._auto_collation:
            index = self._loader.batch_size
        for _ in range(self._num_workers):
            worker = next(self._worker_cycle)
            if self._active[worker]:
                break
        self._index_queues[worker].put(((self._epoch, self._send_idx), index))
        self._pending[self._send_idx] = worker
        self._send_idx += 1

    def _get(self):
        """The next (tag, data) from any worker; raises if a worker died or the timeout passed."""
        timeout = self._loader.timeout
        start = time.monotonic()
        while True:
            try:
                return self._result_queue.get(timeout=0.2)
            except queue.Empty:
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    pids = ", ".join(str(w.pid) for w in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None
                if timeout and time.monotonic() - start > timeout:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None

    def __next__(self):
        while True:
            # Skip batches that will never come (a worker's iterable ended before them).
            while self._rcvd_idx < self._send_idx:
                info = self._pending.get(self._rcvd_idx)
                if isinstance(info, tuple) or (info is not None and self._active[info]):
                    break
                self._pending.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            if self._rcvd_idx >= self._send_idx:
                if not self._loader.persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            info = self._pending[self._rcvd_idx]
            if isinstance(info, tuple):
                del self._pending[self._rcvd_idx]
                self._rcvd_idx += 1
                self._put_index()
                return self._process(info[1])
            (epoch, idx), data = self._get()
            if epoch != self._epoch:
                continue
            if isinstance(data, _IterableEnded):
                self._active[data.worker_id] = False
                self._pending.pop(idx, None)
                if idx == self._rcvd_idx:
                    self._rcvd_idx += 1
                continue
            if idx != self._rcvd_idx:
                self._pending[idx] = (self._pending[idx], data)
                continue
            del self._pending[idx]
            self._rcvd_idx += 1
            self._put_index()
            return self._process(data)

    def _process(self, data):
        if isinstance(data, ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        self._num_yielded += 1
        return data

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        for q in self._index_queues:
            try:
                q.put(None)
            except Exception:
                pass
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
        for q in self._index_queues + [self._result_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass
