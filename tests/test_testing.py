"""glasstorch.testing.assert_close against torch.testing.assert_close: the same verdicts and, with the
framework's own name swapped, the same messages."""
import pytest
import torch

import glasstorch as gt

NAN, INF = float("nan"), float("inf")

CASES = [
    lambda t: t.testing.assert_close(t.tensor([1., 2, 3]), t.tensor([1., 2.1, 3])),
    lambda t: t.testing.assert_close(t.tensor([1., 2, 3]), t.tensor([1., 2 + 1e-7, 3])),
    lambda t: t.testing.assert_close(t.tensor([1., 2, 3], dtype=t.float64), t.tensor([1., 2, 3])),
    lambda t: t.testing.assert_close(t.tensor([1., 2, 3], dtype=t.float64), t.tensor([1., 2, 3]), check_dtype=False),
    lambda t: t.testing.assert_close(t.tensor([1., 2]), t.tensor([1., 2, 3])),
    lambda t: t.testing.assert_close(t.tensor([[1., NAN]]), t.tensor([[1., NAN]])),
    lambda t: t.testing.assert_close(t.tensor([[1., NAN]]), t.tensor([[1., NAN]]), equal_nan=True),
    lambda t: t.testing.assert_close(t.tensor([INF, -INF]), t.tensor([INF, -INF])),
    lambda t: t.testing.assert_close(t.tensor([1, 2]), t.tensor([1, 3])),
    lambda t: t.testing.assert_close(t.tensor([True]), t.tensor([False])),
    lambda t: t.testing.assert_close(1.0, 1.1),
    lambda t: t.testing.assert_close(1.0, 1.0 + 1e-9),
    lambda t: t.testing.assert_close(3, 4),
    lambda t: t.testing.assert_close([t.tensor(1.)], [t.tensor(1.5)]),
    lambda t: t.testing.assert_close(t.tensor([1., 2]), t.tensor([1., 2.5]), rtol=0.1, atol=0),
    lambda t: t.testing.assert_close(t.tensor([1., 2]), t.tensor([1., 2.5]), rtol=0.3, atol=0),
    lambda t: t.testing.assert_close(t.tensor([1., 2]), t.tensor([1., 2.5]), rtol=0.1),
    lambda t: t.testing.assert_close({"a": t.tensor(1.)}, {"a": t.tensor(2.)}),
    lambda t: t.testing.assert_close(t.tensor([1., 2]), t.tensor([1., 2.5]), msg="custom"),
    lambda t: t.testing.assert_close(t.tensor([[1., 2], [3, 4]]), t.tensor([[1., 2], [3, 5]]),
                                     msg=lambda m: "X" + m[:10]),
    lambda t: t.testing.assert_close(t.tensor([1., 2]), [1., 2.]),
    lambda t: t.testing.assert_close([1, 2], [1, 2, 3]),
    lambda t: t.testing.assert_close({"a": 1}, {"b": 1}),
    lambda t: t.testing.assert_close(t.tensor([[0.5, 1.0], [2.0, 4.0]], dtype=t.float64),
                                     t.tensor([[0.5, 1.1], [2.0, 4.4]], dtype=t.float64)),
    lambda t: t.testing.assert_close(t.tensor([1., 2.], dtype=t.float16), t.tensor([1., 2.001], dtype=t.float16)),
]


def _outcome(t, fn):
    try:
        fn(t)
        return "ok", ""
    except Exception as e:
        return type(e).__name__, str(e)


@pytest.mark.parametrize("k", range(len(CASES)))
def test_assert_close_as_torch(k):
    ours, theirs = _outcome(gt, CASES[k]), _outcome(torch, CASES[k])
    assert ours[0] == theirs[0], (ours, theirs)
    assert ours[1] == theirs[1].replace("torch.", "glasstorch.").replace("<class 'glasstorch.Tensor'>",
                                                                         "<class 'glasstorch._tensor.Tensor'>")
