"""The threaded and blocked code paths, forced on small inputs and checked against torch.

Ops split large arrays over threads (glasstorch/_parallel.py) and run max pooling in
blocks of planes; the parity tables use small arrays, where neither happens. Here the
thresholds are lowered so that every split and block boundary is exercised, and the
conv, pooling, normalization and activation tables are run again.
"""
import os
import threading
import time

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch import _parallel
from glasstorch.ops import pooling
from harness import check, table

ACTIVATIONS = ("relu", "sigmoid", "tanh")
CASES = (table("nn/test_conv.py") + table("nn/test_pooling.py") + table("nn/test_normalization.py")
         + table("ops/test_elementwise.py", lambda c: c.name.split("_")[0] in ACTIVATIONS)
         + table("nn/test_activation.py", lambda c: c.name.split("_")[0] in ACTIVATIONS))


@pytest.fixture(autouse=True)
def restore_num_threads():
    """Every test here may change the thread count; the next one starts from the default again."""
    before = _parallel.get_num_threads()
    yield
    _parallel.set_num_threads(before)


@pytest.fixture
def small_arrays(monkeypatch):
    """Threads from the smallest arrays on."""
    monkeypatch.setattr(_parallel, "_MIN_PER_THREAD", 1)


@pytest.fixture
def forced_threads(small_arrays, monkeypatch):
    """Three threads (an odd split) from the smallest arrays on, and max-pool blocks of one plane."""
    monkeypatch.setattr(pooling, "_POOL_BLOCK_ELEMENTS", 1)
    _parallel.set_num_threads(3)


def test_tables_are_not_empty():
    names = {case.name for case in CASES}
    assert len(CASES) > 100 and {"relu", "sigmoid", "tanh"} <= names


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_table_with_threads(forced_threads, case):
    assert _parallel.parts(4, 4) == 3
    check(case)


@pytest.mark.parametrize("nan_input", [False, True])
def test_max_pool_blocks_and_nan(forced_threads, nan_input):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 9, 10))
    x[0, 1, 2, 3] = np.nan if nan_input else x[0, 1, 2, 3]
    x[2, 3, 0, 0] = np.nan if nan_input else x[2, 3, 0, 0]
    g = rng.standard_normal((3, 4, 4, 5))
    ours = gt.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out_o, idx_o = gt.nn.functional.max_pool2d(ours, 2, return_indices=True)
    out_t, idx_t = torch.nn.functional.max_pool2d(theirs, 2, return_indices=True)
    out_o.backward(gt.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_array_equal(out_o.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(idx_o.numpy(), idx_t.numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_relu_gradient_passes_nan_and_inf_like_torch(small_arrays, threads):
    # threshold_backward selects: NaN or inf gradients where the output is 0 become 0, not NaN.
    _parallel.set_num_threads(threads)
    x = [1.0, -1.0, 0.0, 2.0, -3.0, 4.0]
    g = [float("nan"), float("nan"), float("inf"), float("-inf"), float("inf"), 1.0]
    for dtype in ("float32", "float64"):
        ours = gt.tensor(x, dtype=getattr(gt, dtype), requires_grad=True)
        theirs = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
        gt.relu(ours).backward(gt.tensor(g, dtype=getattr(gt, dtype)))
        torch.relu(theirs).backward(torch.tensor(g, dtype=getattr(torch, dtype)))
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
        assert ours.grad.dtype == getattr(gt, dtype)


def test_split_covers_the_range_once_and_returns_results_in_order(small_arrays):
    _parallel.set_num_threads(4)
    seen = np.zeros(10, int)

    def mark(lo, hi):
        seen[lo:hi] += 1
        return (lo, hi)

    ranges = _parallel.split(mark, 10, 10)
    assert seen.tolist() == [1] * 10
    assert ranges[0][0] == 0 and ranges[-1][1] == 10
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))


def test_split_reraises_a_worker_error(small_arrays):
    _parallel.set_num_threads(2)

    def fail_late(lo, hi):
        if lo > 0:
            raise ValueError(f"range {lo}:{hi} failed")

    with pytest.raises(ValueError, match="range 5:10 failed"):
        _parallel.split(fail_late, 10, 10)


def test_set_num_threads_like_torch():
    before = gt.get_num_threads()
    assert isinstance(before, int) and before >= 1
    gt.set_num_threads(1)
    assert gt.get_num_threads() == 1 and _parallel.parts(1000, 10 ** 9) == 1
    x = gt.randn(300, 300)
    np.testing.assert_allclose(gt.sigmoid(x).numpy(), torch.sigmoid(torch.from_numpy(x.numpy())).numpy(),
                               rtol=1e-6)
    for bad in (0, -1, 1.5):
        with pytest.raises(RuntimeError, match="positive integer"):
            gt.set_num_threads(bad)


def test_nested_split_in_a_pool_thread_runs_serially(small_arrays):
    _parallel.set_num_threads(2)  # one pool thread: a nested wait on it would never end

    def outer(lo, hi):
        return sum(_parallel.split(lambda a, b: b - a, 10, 10))

    assert _parallel.split(outer, 4, 4) == [10, 10]


class _BigSigmoids(gt.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return gt.sigmoid(gt.full((256, 1024), float(i))).sum()


def test_dataloader_workers_fork_after_the_pool_started(small_arrays):
    # The parent's pool threads do not exist in a forked worker; the worker must make its own.
    gt.sigmoid(gt.randn(64, 64))  # start the parent's pool
    loader = gt.utils.data.DataLoader(_BigSigmoids(), batch_size=2, num_workers=2, timeout=60)
    sums = gt.cat(list(loader)).numpy()
    expected = [256 * 1024 / (1 + np.exp(-float(i))) for i in range(4)]
    np.testing.assert_allclose(sums, expected, rtol=1e-5)


def test_set_num_threads_while_other_threads_run_ops(small_arrays):
    # Changing the thread count must not break ops that are splitting work at that moment.
    x = gt.randn(64, 1000)
    expected = gt.relu(x).numpy()
    errors, stop = [], threading.Event()

    def work():
        try:
            while not stop.is_set():
                np.testing.assert_array_equal(gt.relu(x).numpy(), expected)
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for th in threads:
        th.start()
    try:
        for i in range(300):
            gt.set_num_threads(1 + i % 4)
            time.sleep(0.001)
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert not errors, errors[0]


def test_set_num_threads_takes_numpy_integers():
    gt.set_num_threads(np.int64(2))
    assert gt.get_num_threads() == 2 and type(gt.get_num_threads()) is int
    with pytest.raises(RuntimeError, match="positive integer"):
        gt.set_num_threads(True)
