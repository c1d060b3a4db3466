"""utils.data: datasets, samplers, collation and the DataLoader (with real worker processes)."""
import collections
import itertools
import math
import os

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import glasstorch as gt
from glasstorch.utils import data as gdata


def as_np(x):
    if isinstance(x, (gt.Tensor, torch.Tensor)):
        return x.numpy()
    return x


# ----------------------------------------------------------------- datasets
def test_tensor_dataset_and_errors():
    x, y = gt.arange(10.0).reshape(5, 2), gt.arange(5)
    ds = gdata.TensorDataset(x, y)
    assert len(ds) == 5
    a, b = ds[3]
    assert a.tolist() == [6.0, 7.0] and b.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch"):
        gdata.TensorDataset(x, gt.arange(4))
    with pytest.raises(AssertionError, match="Size mismatch"):
        tdata.TensorDataset(torch.zeros(5, 2), torch.arange(4))


def test_concat_subset_and_add():
    a = gdata.TensorDataset(gt.arange(3))
    b = gdata.TensorDataset(gt.arange(10, 14))
    c = a + b
    assert isinstance(c, gdata.ConcatDataset) and len(c) == 7
    assert [c[i][0].item() for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert c[-1][0].item() == 13 and c.cumulative_sizes == [3, 7]
    s = gdata.Subset(c, [6, 0])
    assert len(s) == 2 and s[0][0].item() == 13


def test_random_split_lengths_and_fractions():
    ds = gdata.TensorDataset(gt.arange(10))
    parts = gdata.random_split(ds, [3, 7], generator=gt.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(p[0].item() for part in parts for p in part) == list(range(10))
    # fractions: floor, then the remainder round robin (same sizes as torch)
    for fracs in ([0.5, 0.5], [0.33, 0.33, 0.34], [0.1, 0.2, 0.7], [1 / 3, 1 / 3, 1 / 3]):
        ours = [len(p) for p in gdata.random_split(gdata.TensorDataset(gt.arange(11)), fracs)]
        theirs = [len(p) for p in tdata.random_split(tdata.TensorDataset(torch.arange(11)), fracs)]
        assert ours == theirs
    with pytest.raises(ValueError, match="Sum of input lengths"):
        gdata.random_split(ds, [3, 3])
    a = gdata.random_split(ds, [5, 5], generator=gt.Generator().manual_seed(1))
    b = gdata.random_split(ds, [5, 5], generator=gt.Generator().manual_seed(1))
    assert a[0].indices == b[0].indices


def test_iterable_and_chain_dataset():
    class Count(gdata.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

    chain = Count(2) + Count(3)
    assert list(chain) == [0, 1, 0, 1, 2]


# ----------------------------------------------------------------- samplers
def test_sequential_and_batch_sampler():
    assert list(gdata.SequentialSampler(range(4))) == [0, 1, 2, 3]
    bs = gdata.BatchSampler(gdata.SequentialSampler(range(10)), 3, drop_last=False)
    assert list(bs) == list(tdata.BatchSampler(tdata.SequentialSampler(range(10)), 3, False))
    assert len(bs) == 4 and len(gdata.BatchSampler(range(10), 3, True)) == 3
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        gdata.BatchSampler(range(3), 0, False)


def test_random_sampler_permutation_and_reproducibility():
    s = gdata.RandomSampler(range(20), generator=gt.Generator().manual_seed(5))
    first = list(s)
    assert sorted(first) == list(range(20))
    s2 = gdata.RandomSampler(range(20), generator=gt.Generator().manual_seed(5))
    assert list(s2) == first
    gt.manual_seed(7)
    a = list(gdata.RandomSampler(range(20)))
    gt.manual_seed(7)
    b = list(gdata.RandomSampler(range(20)))
    assert a == b
    assert len(list(gdata.RandomSampler(range(5), num_samples=12))) == 12


def test_random_sampler_is_lazy_for_huge_num_samples():
    s = gdata.RandomSampler(range(10), replacement=True, num_samples=10 ** 10)
    assert len(s) == 10 ** 10
    head = list(itertools.islice(iter(s), 100))  # would never finish if 1e10 indices were built up front
    assert len(head) == 100 and all(0 <= i < 10 for i in head)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        gdata.RandomSampler(range(3), num_samples=0)


def test_subset_random_and_weighted_samplers():
    s = list(gdata.SubsetRandomSampler([3, 5, 7], generator=gt.Generator().manual_seed(0)))
    assert sorted(s) == [3, 5, 7]
    w = gdata.WeightedRandomSampler([0.1, 0.0, 0.9], num_samples=20000, generator=gt.Generator().manual_seed(0))
    counts = collections.Counter(w)
    assert counts[1] == 0 and abs(counts[2] / 20000 - 0.9) < 0.02
    drawn = list(gdata.WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(drawn) == [0, 1, 2, 3]


# ---------------------------------------------------------------- collation
Point = collections.namedtuple("Point", "x y")

SAMPLES = [
    [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    [1.5, 2.5],
    [1, 2],
    [True, False],
    ["a", "b"],
    [{"a": 1, "b": np.zeros(2)}, {"a": 2, "b": np.ones(2)}],
    [(1, 2.0), (3, 4.0)],
    [Point(1, 2), Point(3, 4)],
    [np.float32(1.0), np.float32(2.0)],
]


@pytest.mark.parametrize("i", range(len(SAMPLES)))
def test_default_collate_matches_torch(i):
    ours = gdata.default_collate(SAMPLES[i])
    theirs = tdata.default_collate(SAMPLES[i])

    def compare(a, b):
        if isinstance(b, torch.Tensor):
            assert isinstance(a, gt.Tensor)
            assert a.dtype.name == str(b.dtype).replace("torch.", "")
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        elif isinstance(b, dict):
            assert a.keys() == b.keys()
            for k in b:
                compare(a[k], b[k])
        elif isinstance(b, (list, tuple)):
            assert type(a) is type(b) and len(a) == len(b)
            for x, y in zip(a, b):
                compare(x, y)
        else:
            assert a == b
    compare(ours, theirs)


def test_collate_tensors_and_unequal_lists():
    out = gdata.default_collate([gt.ones(2), gt.zeros(2)])
    assert out.shape == (2, 2)
    with pytest.raises(RuntimeError, match="equal size"):
        gdata.default_collate([[1, 2], [3]])


# --------------------------------------------------------------- DataLoader
def make_ds(n=23):
    return gdata.TensorDataset(gt.arange(n * 2.0).reshape(n, 2), gt.arange(n))


def test_batches_len_and_drop_last():
    ds = make_ds()
    dl = gdata.DataLoader(ds, batch_size=5)
    batches = list(dl)
    assert len(dl) == 5 and len(batches) == 5 and batches[-1][1].tolist() == [20, 21, 22]
    assert len(gdata.DataLoader(ds, batch_size=5, drop_last=True)) == 4
    assert len(list(gdata.DataLoader(ds, batch_size=5, drop_last=True))) == 4
    xb, yb = batches[0]
    assert xb.shape == (5, 2) and yb.dtype == gt.int64


def test_shuffle_reproducible_with_generator_and_seed():
    ds = make_ds()
    a = [b[1].tolist() for b in gdata.DataLoader(ds, batch_size=4, shuffle=True,
                                                  generator=gt.Generator().manual_seed(3))]
    b = [b[1].tolist() for b in gdata.DataLoader(ds, batch_size=4, shuffle=True,
                                                  generator=gt.Generator().manual_seed(3))]
    assert a == b and sorted(sum(a, [])) == list(range(23)) and a != [list(range(i, min(i + 4, 23)))
                                                                      for i in range(0, 23, 4)]
    dl = gdata.DataLoader(ds, batch_size=4, shuffle=True, generator=gt.Generator().manual_seed(3))
    assert [b[1].tolist() for b in dl] != [b[1].tolist() for b in dl], "each epoch reshuffles"


def test_two_workers_yield_the_same_batches_as_none():
    ds = make_ds(50)
    runs = []
    for workers in (0, 2):
        dl = gdata.DataLoader(ds, batch_size=6, shuffle=True, num_workers=workers,
                              generator=gt.Generator().manual_seed(11))
        runs.append([(x.numpy().copy(), y.numpy().copy()) for x, y in dl])
    assert len(runs[0]) == len(runs[1]) == 9
    for (x0, y0), (x1, y1) in zip(*runs):
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(y0, y1)


class Failing(gdata.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 7:
            raise ValueError(f"bad sample {i}")
        return i


def test_worker_exception_is_reraised_with_traceback():
    dl = gdata.DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as e:
        list(dl)
    msg = str(e.value)
    assert "Caught ValueError in DataLoader worker process" in msg and "bad sample 7" in msg
    assert "Traceback" in msg and "__getitem__" in msg
    with pytest.raises(ValueError, match="bad sample 7"):
        list(gdata.DataLoader(Failing(), batch_size=2, num_workers=0))


class Dying(gdata.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            os._exit(3)  # the worker process dies without a word
        return i


def test_dead_worker_raises_instead_of_hanging():
    dl = gdata.DataLoader(Dying(), batch_size=1, num_workers=2, timeout=30)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(dl)


def test_persistent_workers_and_worker_info():
    class WhoAmI(gdata.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            info = gdata.get_worker_info()
            return info.id if info is not None else -1

    dl = gdata.DataLoader(WhoAmI(), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        ids = [b.tolist() for b in dl]
        assert ids == [[0, 0], [1, 1], [0, 0], [1, 1]]
    assert gdata.get_worker_info() is None


class Shards(gdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = gdata.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def test_iterable_dataset_with_and_without_workers():
    single = sorted(sum((b.tolist() for b in gdata.DataLoader(Shards(11), batch_size=3)), []))
    multi = sorted(sum((b.tolist() for b in gdata.DataLoader(Shards(11), batch_size=3, num_workers=2)), []))
    assert single == multi == list(range(11))


def test_worker_seeds_differ_and_are_reproducible():
    class Rand(gdata.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return gt.rand(1).item()

    def run():
        return [b.tolist() for b in gdata.DataLoader(Rand(), batch_size=1, num_workers=2,
                                                      generator=gt.Generator().manual_seed(0))]
    a, b = run(), run()
    assert a == b
    assert a[0] != a[1]


def test_batch_size_none_and_custom_collate():
    ds = make_ds(3)
    items = list(gdata.DataLoader(ds, batch_size=None))
    assert len(items) == 3 and items[0][1].item() == 0
    dl = gdata.DataLoader(ds, batch_size=2, collate_fn=lambda batch: len(batch))
    assert list(dl) == [2, 1]
    dl = gdata.DataLoader(ds, batch_sampler=[[0, 2], [1]])
    assert [b[1].tolist() for b in dl] == [[0, 2], [1]]
    dl = gdata.DataLoader(ds, batch_size=2, pin_memory=True)
    assert len(list(dl)) == 2


@pytest.mark.parametrize("kwargs", [
    dict(batch_sampler=[[0]], batch_size=2),
    dict(sampler=[0, 1], shuffle=True),
    dict(num_workers=-1),
    dict(persistent_workers=True),
    dict(batch_size=None, drop_last=True),
])
def test_invalid_options_raise_like_torch(kwargs):
    with pytest.raises(ValueError):
        gdata.DataLoader(make_ds(), **kwargs)
    with pytest.raises(ValueError):
        tdata.DataLoader(tdata.TensorDataset(torch.zeros(23)), **kwargs)


def test_iterable_dataset_rejects_shuffle():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        gdata.DataLoader(Shards(3), shuffle=True)
