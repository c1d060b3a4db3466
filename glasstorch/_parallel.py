"""Intra-op parallelism: big elementwise passes split over a small pool of threads.

NumPy runs every ufunc on one core, while PyTorch splits its elementwise kernels over
all of them. NumPy releases the GIL inside its loops, so the same split works from
Python: ``split(fn, n)`` calls ``fn(lo, hi)`` on slices of ``range(n)`` in parallel
threads, and each call runs NumPy on its own block of the arrays. Ops use it only for
large arrays (at least ``_MIN_PER_THREAD`` elements per thread), where a pass takes
milliseconds and the hand-off to the pool costs microseconds.

The thread count follows ``torch.set_num_threads``; by default it is the number of
cores this process may run on (or ``OMP_NUM_THREADS``). Matrix products go to NumPy's
BLAS, which has its own threads.
"""
from __future__ import annotations

import operator
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Below this many elements per thread a pass takes tens of microseconds: not worth a hand-off.
_MIN_PER_THREAD = 1 << 16


def _default_threads() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def get_num_threads() -> int:
    """Returns the number of threads glasstorch uses to parallelize large elementwise ops."""
    return _threads


def set_num_threads(num: int) -> None:
    """Sets the number of threads used to parallelize large elementwise ops (as ``torch.set_num_threads``)."""
    global _threads, _pool
    try:
        count = operator.index(num)  # ints and NumPy integers, not floats
    except TypeError:
        count = None
    if count is None or isinstance(num, bool) or count < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {num!r}")
    with _lock:
        _threads = count
        # Not shut down: another thread may be submitting to it right now. Its idle threads
        # exit once nothing refers to it any more.
        _pool = None


def _get_pool() -> ThreadPoolExecutor | None:
    """The pool of ``get_num_threads() - 1`` threads (the caller is the last one), or None for one thread."""
    global _pool
    with _lock:
        if _pool is None and _threads > 1:
            _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="glasstorch",
                                       initializer=_mark_worker)
        return _pool


def _forget_pool_in_child() -> None:
    # A forked child (a DataLoader worker) has no copies of the parent's threads.
    global _pool, _lock
    _pool = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


_worker = threading.local()  # set in the pool's threads


def _mark_worker() -> None:
    _worker.active = True


def parts(n: int, size: int) -> int:
    """How many threads to use for ``n`` slices of an array of ``size`` elements."""
    if _threads == 1 or n < 2 or getattr(_worker, "active", False):
        # Work handed to a pool thread runs serially: a nested split waiting on the same
        # pool could wait forever.
        return 1
    return max(1, min(_threads, n, size // _MIN_PER_THREAD))


def split(fn, n: int, size: int) -> list:
    """Calls ``fn(lo, hi)`` for consecutive ranges covering ``range(n)``, in parallel when ``size``
    (the number of elements the whole job touches) is large enough, and returns the results in
    order. ``fn`` must write only into its own slices."""
    k = parts(n, size)
    if k == 1:
        return [fn(0, n)]
    pool = _get_pool()
    if pool is None:  # set to one thread since parts() looked
        return [fn(0, n)]
    bounds = [n * i // k for i in range(k + 1)]
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, k)]
    first = fn(bounds[0], bounds[1])  # the calling thread takes the first range
    return [first] + [f.result() for f in futures]  # result() re-raises a worker's error


def blocks(fn, out, *inputs) -> None:
    """Calls ``fn(out_block, *input_blocks)`` on matching blocks of ``out`` and ``inputs``, arrays of
    one shape, in parallel when they are large. Contiguous arrays split anywhere; others along dim 0."""
    arrays = (out,) + inputs
    if out.ndim == 0 or all(a.flags.c_contiguous for a in arrays):
        arrays = tuple(a.reshape(-1) for a in arrays)
    split(lambda lo, hi: fn(*(a[lo:hi] for a in arrays)), arrays[0].shape[0], out.size)


def copy(dst, src) -> None:
    """``dst[...] = src`` for two arrays of one shape, in parallel along the longest leading dim
    (not the last two, so that each thread still copies long runs)."""
    if dst.ndim == 0:
        np.copyto(dst, src)
        return
    axis = max(range(max(dst.ndim - 2, 1)), key=lambda i: dst.shape[i])
    lead = (slice(None),) * axis

    def part(lo, hi):
        np.copyto(dst[lead + (slice(lo, hi),)], src[lead + (slice(lo, hi),)])

    split(part, dst.shape[axis], dst.size)
