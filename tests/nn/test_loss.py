"""Losses against torch: every loss and reduction, weights, ignore_index, label smoothing,
K-dimensional and unbatched inputs, stability at +-1e4, modules, float32, and error cases."""
import warnings
from dataclasses import replace

import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Arg, Op, check, const, ints, nograd, positive, uniform

pytestmark = pytest.mark.filterwarnings("ignore:Using a target size", "ignore:reduction. 'mean' divides",
                                        "ignore:size_average and reduce args")

R = ["none", "mean", "sum"]


def F(t):
    return t.nn.functional


def arr(*values):
    return const(np.array(values))


CASES = []

# ------------------------------------------------------------ regression losses
for r in R:
    CASES += [
        Op(f"mse_{r}", lambda t, a, b, r=r: F(t).mse_loss(a, b, reduction=r), [(3, 4), (3, 4)]),
        Op(f"mse_0d_{r}", lambda t, a, b, r=r: F(t).mse_loss(a, b, reduction=r), [(), ()]),
        Op(f"mse_empty_{r}", lambda t, a, b, r=r: F(t).mse_loss(a, b, reduction=r), [(0, 3), (0, 3)]),
        Op(f"mse_bcast_{r}", lambda t, a, b, r=r: F(t).mse_loss(a, b, reduction=r), [(3, 4), (4,)]),
        Op(f"mse_weight_{r}", lambda t, a, b, w, r=r: F(t).mse_loss(a, b, reduction=r, weight=w),
           [(3, 4), (3, 4), positive(3, 4)]),
        Op(f"l1_{r}", lambda t, a, b, r=r: F(t).l1_loss(a, b, reduction=r), [(3, 4), (3, 4)]),
        Op(f"l1_0d_{r}", lambda t, a, b, r=r: F(t).l1_loss(a, b, reduction=r), [(), ()]),
        Op(f"l1_empty_{r}", lambda t, a, b, r=r: F(t).l1_loss(a, b, reduction=r), [(2, 0), (2, 0)]),
        Op(f"l1_weight_{r}", lambda t, a, b, w, r=r: F(t).l1_loss(a, b, reduction=r, weight=w),
           [(3, 4), (3, 4), positive(3, 4)]),
        Op(f"smooth_l1_{r}", lambda t, a, b, r=r: F(t).smooth_l1_loss(a, b, reduction=r), [(4, 5), (4, 5)]),
        Op(f"smooth_l1_beta_{r}", lambda t, a, b, r=r: F(t).smooth_l1_loss(a, b, reduction=r, beta=0.4),
           [(4, 5), (4, 5)]),
        Op(f"smooth_l1_beta0_{r}", lambda t, a, b, r=r: F(t).smooth_l1_loss(a, b, reduction=r, beta=0.0),
           [(4, 5), (4, 5)]),
        Op(f"smooth_l1_0d_{r}", lambda t, a, b, r=r: F(t).smooth_l1_loss(a, b, reduction=r), [(), ()]),
        Op(f"smooth_l1_empty_{r}", lambda t, a, b, r=r: F(t).smooth_l1_loss(a, b, reduction=r), [(0,), (0,)]),
        Op(f"smooth_l1_bcast_{r}", lambda t, a, b, r=r: F(t).smooth_l1_loss(a, b, reduction=r), [(3, 1), (2, 3, 4)]),
        Op(f"huber_{r}", lambda t, a, b, r=r: F(t).huber_loss(a, b, reduction=r), [(4, 5), (4, 5)]),
        Op(f"huber_delta_{r}", lambda t, a, b, r=r: F(t).huber_loss(a, b, reduction=r, delta=0.3), [(4, 5), (4, 5)]),
        Op(f"huber_delta_big_{r}", lambda t, a, b, r=r: F(t).huber_loss(a, b, reduction=r, delta=2.5),
           [(4, 5), (4, 5)]),
        Op(f"huber_0d_{r}", lambda t, a, b, r=r: F(t).huber_loss(a, b, reduction=r), [(), ()]),
        Op(f"huber_bcast_{r}", lambda t, a, b, r=r: F(t).huber_loss(a, b, reduction=r), [(4, 5), (5,)]),
        Op(f"huber_weight_{r}", lambda t, a, b, w, r=r: F(t).huber_loss(a, b, reduction=r, weight=w),
           [(4, 5), (4, 5), positive(4, 5)]),
    ]
CASES += [
    Op("mse_same_tensor_twice", lambda t, a: F(t).mse_loss(a * 2, a), [(3, 4)]),
    Op("huber_no_target_grad", lambda t, a, b: F(t).huber_loss(a, b), [(4, 5), nograd(4, 5)]),
    Op("mse_legacy_size_average", lambda t, a, b: F(t).mse_loss(a, b, size_average=False), [(3, 4), (3, 4)]),
    Op("l1_legacy_reduce", lambda t, a, b: F(t).l1_loss(a, b, reduce=False), [(3, 4), (3, 4)]),
]

# ------------------------------------------------------------ NLL
IGN = arr(1, -100, 4, 0, -100)  # targets with two ignored samples
for r in R:
    CASES += [
        Op(f"nll_{r}", lambda t, x, y, r=r: F(t).nll_loss(x, y, reduction=r), [(4, 5), ints(5, 4)]),
        Op(f"nll_weight_{r}", lambda t, x, y, w, r=r: F(t).nll_loss(x, y, w, reduction=r),
           [(4, 5), ints(5, 4), positive(5, grad=False)]),
        Op(f"nll_ignore_{r}", lambda t, x, y, w, r=r: F(t).nll_loss(x, y, w, reduction=r),
           [(5, 5), IGN, positive(5, grad=False)]),
        Op(f"nll_ignore_index_class_{r}", lambda t, x, y, r=r: F(t).nll_loss(x, y, ignore_index=2, reduction=r),
           [(6, 3), arr(0, 2, 1, 2, 0, 1)]),
        Op(f"nll_4d_{r}", lambda t, x, y, w, r=r: F(t).nll_loss(x, y, w, reduction=r),
           [(2, 3, 4, 5), ints(3, 2, 4, 5), positive(3, grad=False)]),
        Op(f"nll_3d_{r}", lambda t, x, y, r=r: F(t).nll_loss(x, y, reduction=r), [(2, 3, 4), ints(3, 2, 4)]),
        Op(f"nll_5d_{r}", lambda t, x, y, r=r: F(t).nll_loss(x, y, reduction=r),
           [(2, 3, 2, 2, 3), ints(3, 2, 2, 2, 3)]),
        Op(f"nll_unbatched_{r}", lambda t, x, y, r=r: F(t).nll_loss(x, y, reduction=r), [(5,), const(np.array(3))]),
        # torch's own backward fails for a (C,) input with a (1,) target: forward only.
        Op(f"nll_unbatched_1d_target_{r}", lambda t, x, y, r=r: F(t).nll_loss(x, y, reduction=r), [(5,), arr(2)],
           grad=False),
        Op(f"nll_empty_{r}", lambda t, x, y, r=r: F(t).nll_loss(x, y, reduction=r), [(0, 5), ints(5, 0)]),
        Op(f"nll_all_ignored_{r}", lambda t, x, y, r=r: F(t).nll_loss(x, y, reduction=r), [(2, 5), arr(-100, -100)]),
    ]
CASES += [
    Op("nll_uint8_target", lambda t, x: F(t).nll_loss(x, t.tensor([1, 0, 4], dtype=t.uint8)), [(3, 5)]),
    Op("nll_of_log_softmax", lambda t, x, y: F(t).nll_loss(F(t).log_softmax(x, dim=1), y), [(4, 5), ints(5, 4)]),
]

# ------------------------------------------------------------ cross entropy, class indices
CE_INDEX = []
for r in R:
    CE_INDEX += [
        Op(f"ce_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r), [(4, 5), ints(5, 4)]),
        Op(f"ce_weight_{r}", lambda t, x, y, w, r=r: F(t).cross_entropy(x, y, w, reduction=r),
           [(4, 5), ints(5, 4), positive(5, grad=False)]),
        Op(f"ce_ignore_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r), [(5, 5), IGN]),
        Op(f"ce_ignore_weight_{r}", lambda t, x, y, w, r=r: F(t).cross_entropy(x, y, w, reduction=r),
           [(5, 5), IGN, positive(5, grad=False)]),
        Op(f"ce_ignore_index_class_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, ignore_index=2, reduction=r),
           [(6, 3), arr(0, 2, 1, 2, 0, 1)]),
        Op(f"ce_smooth_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r, label_smoothing=0.1),
           [(4, 5), ints(5, 4)]),
        Op(f"ce_smooth_weight_{r}",
           lambda t, x, y, w, r=r: F(t).cross_entropy(x, y, w, reduction=r, label_smoothing=0.25),
           [(4, 5), ints(5, 4), positive(5, grad=False)]),
        Op(f"ce_smooth_weight_ignore_{r}",
           lambda t, x, y, w, r=r: F(t).cross_entropy(x, y, w, reduction=r, label_smoothing=0.3),
           [(5, 5), IGN, positive(5, grad=False)]),
        Op(f"ce_smooth_full_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r, label_smoothing=1.0),
           [(4, 5), ints(5, 4)]),
        Op(f"ce_4d_{r}",
           lambda t, x, y, w, r=r: F(t).cross_entropy(x, y, w, reduction=r, label_smoothing=0.2, ignore_index=1),
           [(2, 3, 4, 5), ints(3, 2, 4, 5), positive(3, grad=False)]),
        Op(f"ce_3d_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r), [(2, 4, 3), ints(4, 2, 3)]),
        Op(f"ce_3d_smooth_weight_{r}",
           lambda t, x, y, w, r=r: F(t).cross_entropy(x, y, w, reduction=r, label_smoothing=0.1),
           [(2, 4, 3), ints(4, 2, 3), positive(4, grad=False)]),
        Op(f"ce_unbatched_{r}", lambda t, x, r=r: F(t).cross_entropy(x, t.tensor(3), reduction=r), [(5,)]),
        Op(f"ce_unbatched_smooth_weight_{r}",
           lambda t, x, w, r=r: F(t).cross_entropy(x, t.tensor(1), w, reduction=r, label_smoothing=0.2),
           [(5,), positive(5, grad=False)]),
        Op(f"ce_unbatched_1d_target_{r}", lambda t, x, r=r: F(t).cross_entropy(x, t.tensor([4]), reduction=r),
           [(5,)], grad=False),
        Op(f"ce_empty_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r), [(0, 5), ints(5, 0)]),
        Op(f"ce_empty_smooth_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r, label_smoothing=0.1),
           [(0, 5), ints(5, 0)]),
        Op(f"ce_kdim_empty_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r),
           [(2, 3, 0), ints(3, 2, 0)]),
        Op(f"ce_all_ignored_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x, y, reduction=r, label_smoothing=0.1),
           [(2, 5), arr(-100, -100)]),
        Op(f"ce_large_logits_{r}", lambda t, x, y, r=r: F(t).cross_entropy(x * 1e4, y, reduction=r),
           [(4, 5), ints(5, 4)]),
        Op(f"ce_large_logits_smooth_{r}",
           lambda t, x, y, r=r: F(t).cross_entropy(x * 1e4, y, reduction=r, label_smoothing=0.1),
           [(4, 5), ints(5, 4)]),
    ]
CE_INDEX += [
    Op("ce_negative_smoothing_is_none", lambda t, x, y: F(t).cross_entropy(x, y, label_smoothing=-0.5),
       [(4, 5), ints(5, 4)]),
    Op("ce_uint8_target", lambda t, x: F(t).cross_entropy(x, t.tensor([1, 0, 4], dtype=t.uint8)), [(3, 5)]),
    Op("ce_legacy_reduce", lambda t, x, y: F(t).cross_entropy(x, y, reduce=False), [(4, 5), ints(5, 4)]),
    Op("ce_then_more_ops", lambda t, x, y: F(t).cross_entropy(x.tanh() * 3, y) * x.sum(), [(4, 5), ints(5, 4)]),
]
# The same rows without create_graph: the NumPy backward of CrossEntropy.
NO_GRAPH = ("ce_mean", "ce_weight_", "ce_ignore_weight_", "ce_smooth_weight_ignore_", "ce_4d_",
            "ce_unbatched_smooth_weight_", "ce_all_ignored_", "ce_large_logits_smooth_", "ce_then_more_ops")
CASES += CE_INDEX + [replace(c, name=c.name + "_no_graph", gradgrad=False) for c in CE_INDEX
                     if c.name.startswith(NO_GRAPH)]

# ------------------------------------------------------------ cross entropy, class probabilities
for r in R:
    CASES += [
        Op(f"ce_prob_{r}", lambda t, x, p, r=r: F(t).cross_entropy(x, p, reduction=r), [(4, 5), uniform(0, 1, 4, 5)]),
        Op(f"ce_prob_weight_{r}", lambda t, x, p, w, r=r: F(t).cross_entropy(x, p, w, reduction=r),
           [(4, 5), uniform(0, 1, 4, 5), positive(5)]),
        Op(f"ce_prob_smooth_{r}", lambda t, x, p, r=r: F(t).cross_entropy(x, p, reduction=r, label_smoothing=0.2),
           [(4, 5), uniform(0, 1, 4, 5)]),
        Op(f"ce_prob_smooth_weight_{r}",
           lambda t, x, p, w, r=r: F(t).cross_entropy(x, p, w, reduction=r, label_smoothing=0.2),
           [(4, 5), uniform(0, 1, 4, 5), positive(5, grad=False)]),
        Op(f"ce_prob_4d_{r}", lambda t, x, p, w, r=r: F(t).cross_entropy(x, p, w, reduction=r),
           [(2, 3, 4, 2), uniform(0, 1, 2, 3, 4, 2), positive(3)]),
        Op(f"ce_prob_unbatched_{r}", lambda t, x, p, r=r: F(t).cross_entropy(x, p, reduction=r),
           [(5,), uniform(0, 1, 5)]),
        Op(f"ce_prob_empty_{r}", lambda t, x, p, r=r: F(t).cross_entropy(x, p, reduction=r), [(0, 5), (0, 5)]),
    ]

# ------------------------------------------------------------ binary cross entropy
PROB = uniform(0.05, 0.95, 3, 4)
for r in R:
    CASES += [
        Op(f"bce_{r}", lambda t, p, y, r=r: F(t).binary_cross_entropy(p, y, reduction=r), [PROB, uniform(0, 1, 3, 4)]),
        Op(f"bce_weight_{r}", lambda t, p, y, w, r=r: F(t).binary_cross_entropy(p, y, w, reduction=r),
           [PROB, uniform(0, 1, 3, 4), positive(4, grad=False)]),
        Op(f"bce_0d_{r}", lambda t, p, y, r=r: F(t).binary_cross_entropy(p, y, reduction=r),
           [uniform(0.05, 0.95), uniform(0, 1)]),
        Op(f"bce_empty_{r}", lambda t, p, y, r=r: F(t).binary_cross_entropy(p, y, reduction=r),
           [uniform(0.05, 0.95, 0, 4), uniform(0, 1, 0, 4)]),
        Op(f"bce_of_sigmoid_{r}", lambda t, x, y, r=r: F(t).binary_cross_entropy(x.sigmoid(), y, reduction=r),
           [(3, 4), Arg((3, 4), "uniform", 0, 1, grad=False)]),
        Op(f"bcel_{r}", lambda t, x, y, r=r: F(t).binary_cross_entropy_with_logits(x, y, reduction=r),
           [(3, 4), uniform(0, 1, 3, 4)]),
        Op(f"bcel_weight_{r}", lambda t, x, y, w, r=r: F(t).binary_cross_entropy_with_logits(x, y, w, reduction=r),
           [(3, 4), uniform(0, 1, 3, 4), positive(3, 4, grad=False)]),
        Op(f"bcel_pos_weight_{r}",
           lambda t, x, y, pw, r=r: F(t).binary_cross_entropy_with_logits(x, y, reduction=r, pos_weight=pw),
           [(3, 4), uniform(0, 1, 3, 4), positive(4, grad=False)]),
        Op(f"bcel_pos_weight_col_{r}",
           lambda t, x, y, pw, w, r=r: F(t).binary_cross_entropy_with_logits(x, y, w, reduction=r, pos_weight=pw),
           [(3, 4), uniform(0, 1, 3, 4), positive(3, 1, grad=False), positive(4, grad=False)]),
        Op(f"bcel_pos_weight_4d_{r}",
           lambda t, x, y, pw, r=r: F(t).binary_cross_entropy_with_logits(x, y, reduction=r, pos_weight=pw),
           [(2, 3, 2, 2), uniform(0, 1, 2, 3, 2, 2), positive(3, 1, 1, grad=False)]),
        Op(f"bcel_0d_{r}", lambda t, x, y, r=r: F(t).binary_cross_entropy_with_logits(x, y, reduction=r),
           [(), uniform(0, 1)]),
        Op(f"bcel_empty_{r}", lambda t, x, y, r=r: F(t).binary_cross_entropy_with_logits(x, y, reduction=r),
           [(0, 4), uniform(0, 1, 0, 4)]),
        Op(f"bcel_large_logits_{r}",
           lambda t, x, y, pw, r=r: F(t).binary_cross_entropy_with_logits(x * 1e4, y, reduction=r, pos_weight=pw),
           [(3, 4), uniform(0, 1, 3, 4), positive(4, grad=False)]),
    ]

# ------------------------------------------------------------ kl_div
for r in R + ["batchmean"]:
    CASES += [
        Op(f"kl_div_{r}", lambda t, x, y, r=r: F(t).kl_div(x, y, reduction=r), [(3, 4), uniform(0.1, 1, 3, 4)]),
        Op(f"kl_div_log_target_{r}", lambda t, x, y, r=r: F(t).kl_div(x, y, reduction=r, log_target=True),
           [(3, 4), (3, 4)]),
        Op(f"kl_div_0d_{r}", lambda t, x, y, r=r: F(t).kl_div(x, y, reduction=r), [(), uniform(0.1, 1)]),
        Op(f"kl_div_empty_{r}", lambda t, x, y, r=r: F(t).kl_div(x, y, reduction=r), [(0, 3), uniform(0.1, 1, 0, 3)]),
        Op(f"kl_div_zero_target_{r}", lambda t, x, y, r=r: F(t).kl_div(x, y, reduction=r),
           [(2, 3), const(np.array([[0.0, 0.5, 0.5], [0.2, 0.0, 0.8]]))]),
        Op(f"kl_div_of_log_softmax_{r}",
           lambda t, x, y, r=r: F(t).kl_div(F(t).log_softmax(x, dim=1), F(t).softmax(y, dim=1), reduction=r),
           [(3, 4), (3, 4)]),
    ]

# ------------------------------------------------------------ embedding and ranking
PM = arr(1.0, -1.0, -1.0, 1.0)
for r in R:
    CASES += [
        Op(f"cosine_embedding_{r}", lambda t, a, b, y, r=r: F(t).cosine_embedding_loss(a, b, y, reduction=r),
           [(4, 5), (4, 5), PM]),
        Op(f"cosine_embedding_margin_{r}",
           lambda t, a, b, y, r=r: F(t).cosine_embedding_loss(a, b, y, margin=-0.3, reduction=r),
           [(4, 5), (4, 5), PM]),
        Op(f"cosine_embedding_zero_target_{r}",
           lambda t, a, b, y, r=r: F(t).cosine_embedding_loss(a, b, y, margin=0.1, reduction=r),
           [(4, 5), (4, 5), arr(1.0, 0.0, -1.0, 2.0)]),
        Op(f"cosine_embedding_unbatched_{r}",
           lambda t, a, b, r=r: F(t).cosine_embedding_loss(a, b, t.tensor(-1.0), margin=-0.5, reduction=r),
           [(5,), (5,)]),
        Op(f"cosine_embedding_long_target_{r}",
           lambda t, a, b, r=r: F(t).cosine_embedding_loss(a, b, t.tensor([1, -1, 1]), reduction=r), [(3, 5), (3, 5)]),
        Op(f"cosine_embedding_empty_{r}", lambda t, a, b, y, r=r: F(t).cosine_embedding_loss(a, b, y, reduction=r),
           [(0, 5), (0, 5), const(np.zeros(0))]),
        Op(f"margin_ranking_{r}", lambda t, a, b, y, r=r: F(t).margin_ranking_loss(a, b, y, reduction=r),
           [(6,), (6,), (6,)]),
        Op(f"margin_ranking_margin_{r}",
           lambda t, a, b, y, r=r: F(t).margin_ranking_loss(a, b, y, margin=0.5, reduction=r),
           [(6,), (6,), arr(1.0, -1.0, 1.0, 1.0, -1.0, -1.0)]),
        Op(f"margin_ranking_bcast_{r}", lambda t, a, b, y, r=r: F(t).margin_ranking_loss(a, b, y, reduction=r),
           [(2, 3), (1, 3), (2, 1)]),
        Op(f"margin_ranking_0d_{r}", lambda t, a, b, y, r=r: F(t).margin_ranking_loss(a, b, y, 0.2, reduction=r),
           [(), (), ()]),
        Op(f"margin_ranking_empty_{r}", lambda t, a, b, y, r=r: F(t).margin_ranking_loss(a, b, y, reduction=r),
           [(0,), (0,), (0,)]),
    ]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_loss(case):
    check(case)


# ------------------------------------------------------------ stability
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_logits_are_finite(dtype):
    x_np = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    for label_smoothing in (0.0, 0.1):
        x = gt.tensor(x_np, requires_grad=True)
        loss = F(gt).cross_entropy(x, gt.tensor([1, 0, 2]), label_smoothing=label_smoothing)
        loss.backward()
        tx = torch.tensor(x_np, requires_grad=True)
        tloss = F(torch).cross_entropy(tx, torch.tensor([1, 0, 2]), label_smoothing=label_smoothing)
        tloss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-6)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7)

    y_np = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [1.0, 1.0, 0.0]], dtype=dtype)
    x = gt.tensor(x_np, requires_grad=True)
    loss = F(gt).binary_cross_entropy_with_logits(x, gt.tensor(y_np), pos_weight=gt.tensor(np.full(3, 2.0, dtype)),
                                                  reduction="none")
    (g,) = gt.autograd.grad(loss.sum(), x, create_graph=True)
    (gg,) = gt.autograd.grad(g.sum(), x)
    tx = torch.tensor(x_np, requires_grad=True)
    tloss = F(torch).binary_cross_entropy_with_logits(tx, torch.tensor(y_np), reduction="none",
                                                      pos_weight=torch.tensor(np.full(3, 2.0, dtype)))
    (tg,) = torch.autograd.grad(tloss.sum(), tx)
    for v in (loss, g, gg):
        assert np.isfinite(v.detach().numpy()).all()
    np.testing.assert_allclose(loss.detach().numpy(), tloss.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(g.detach().numpy(), tg.numpy(), rtol=1e-6)


def test_bce_at_zero_and_one_is_clamped():
    p_np, y_np = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    p = gt.tensor(p_np, requires_grad=True)
    tp = torch.tensor(p_np, requires_grad=True)
    loss = F(gt).binary_cross_entropy(p, gt.tensor(y_np), reduction="none")
    tloss = F(torch).binary_cross_entropy(tp, torch.tensor(y_np), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), tloss.detach().numpy())
    loss.sum().backward()
    tloss.sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy())


# ------------------------------------------------------------ autograd details
def test_cross_entropy_retain_graph_and_freed_graph():
    x_np = np.random.default_rng(0).standard_normal((4, 5))
    x, tx = gt.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    loss = F(gt).cross_entropy(x, gt.tensor([0, 1, 2, 3]), label_smoothing=0.1)
    tloss = F(torch).cross_entropy(tx, torch.tensor([0, 1, 2, 3]), label_smoothing=0.1)
    loss.backward(retain_graph=True)
    loss.backward()
    tloss.backward(retain_graph=True)
    tloss.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        tloss.backward()


def test_no_grad_forward_records_nothing():
    x = gt.tensor(np.ones((2, 3)), requires_grad=True)
    with gt.no_grad():
        loss = F(gt).cross_entropy(x, gt.tensor([0, 2]))
    assert loss.grad_fn is None and not loss.requires_grad


# ------------------------------------------------------------ modules
def _modules(t):
    nn = t.nn
    w5 = t.tensor(np.linspace(0.5, 2.0, 5))
    return [
        (nn.MSELoss(), "reg"), (nn.MSELoss(reduction="sum"), "reg"), (nn.L1Loss(reduction="none"), "reg"),
        (nn.SmoothL1Loss(beta=0.5), "reg"), (nn.HuberLoss(delta=0.7, reduction="sum"), "reg"),
        (nn.NLLLoss(weight=w5, ignore_index=1), "cls"), (nn.NLLLoss(reduction="none"), "cls"),
        (nn.CrossEntropyLoss(), "cls"),
        (nn.CrossEntropyLoss(weight=w5, ignore_index=2, label_smoothing=0.1, reduction="sum"), "cls"),
        (nn.CrossEntropyLoss(label_smoothing=0.2), "prob"),
        (nn.BCELoss(weight=t.tensor(np.linspace(0.5, 2.0, 5))), "bce"),
        (nn.BCEWithLogitsLoss(pos_weight=t.tensor(np.linspace(0.5, 3.0, 5))), "logits"),
        (nn.BCEWithLogitsLoss(weight=t.tensor(np.linspace(0.5, 3.0, 5)), reduction="none"), "logits"),
        (nn.KLDivLoss(reduction="batchmean"), "kl"), (nn.KLDivLoss(reduction="sum", log_target=True), "kl"),
        (nn.CosineEmbeddingLoss(margin=0.2), "pair"), (nn.MarginRankingLoss(margin=0.3), "rank"),
    ]


def _module_inputs(kind, rng):
    x = rng.standard_normal((4, 5))
    if kind == "reg":
        return [x, rng.standard_normal((4, 5))]
    if kind == "cls":
        return [x, np.array([0, 2, 4, 1])]
    if kind == "prob":
        return [x, rng.uniform(0, 1, (4, 5))]
    if kind == "bce":
        return [rng.uniform(0.05, 0.95, (4, 5)), rng.uniform(0, 1, (4, 5))]
    if kind == "logits":
        return [x, rng.uniform(0, 1, (4, 5))]
    if kind == "kl":
        return [x, rng.uniform(0.1, 1, (4, 5))]
    if kind == "pair":
        return [x, rng.standard_normal((4, 5)), np.array([1.0, -1.0, 1.0, -1.0])]
    return [x[:, 0], x[:, 1], np.array([1.0, -1.0, 1.0, -1.0])]


@pytest.mark.parametrize("i", range(len(_modules(torch))))
def test_module_parity(i):
    tmod, kind = _modules(torch)[i]
    gmod, _ = _modules(gt)[i]
    assert repr(gmod) == repr(tmod)
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    assert [n for n, _ in gmod.named_buffers()] == [n for n, _ in tmod.named_buffers()]
    assert gmod.reduction == tmod.reduction
    inputs = _module_inputs(kind, np.random.default_rng(i))
    t_in = [torch.tensor(a) for a in inputs]
    g_in = [gt.tensor(a) for a in inputs]
    t_in[0].requires_grad_(True)
    g_in[0].requires_grad_(True)
    tout, gout = tmod(*t_in), gmod(*g_in)
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-7, atol=1e-10)
    tout.sum().backward()
    gout.sum().backward()
    np.testing.assert_allclose(g_in[0].grad.numpy(), t_in[0].grad.numpy(), rtol=1e-7, atol=1e-10)


def test_module_buffers_follow_dtype_and_state_dict():
    m = gt.nn.CrossEntropyLoss(weight=gt.ones(3))
    assert list(m.state_dict()) == ["weight"] and m.weight.dtype == gt.float32
    m.double()
    assert m.weight.dtype == gt.float64
    b = gt.nn.BCEWithLogitsLoss(weight=gt.ones(2), pos_weight=gt.ones(2))
    assert list(b.state_dict()) == list(torch.nn.BCEWithLogitsLoss(weight=torch.ones(2),
                                                                   pos_weight=torch.ones(2)).state_dict())
    assert list(gt.nn.MSELoss().state_dict()) == []


def test_module_legacy_arguments():
    for t in (torch, gt):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            assert t.nn.MSELoss(size_average=False).reduction == "sum"
        with pytest.warns(UserWarning):
            assert t.nn.CrossEntropyLoss(reduce=False).reduction == "none"
    with pytest.raises(TypeError, match="delta must be a float or int"):
        gt.nn.HuberLoss(delta="1")
    with pytest.raises(TypeError, match="delta must be a float or int"):
        torch.nn.HuberLoss(delta="1")


# ------------------------------------------------------------ float32
Y5 = np.array([0, 3, 4, 1])
SIGNS = np.array([1.0, -1.0, -1.0, 1.0], np.float32)
FLOAT32 = [
    ("mse_loss", lambda t, a, b: F(t).mse_loss(a, b)),
    ("l1_loss", lambda t, a, b: F(t).l1_loss(a, b, reduction="sum")),
    ("smooth_l1_loss", lambda t, a, b: F(t).smooth_l1_loss(a, b, beta=0.5)),
    ("huber_loss", lambda t, a, b: F(t).huber_loss(a, b, delta=0.5, reduction="none")),
    ("cross_entropy", lambda t, a, b: F(t).cross_entropy(a, t.tensor(Y5), t.ones(5), label_smoothing=0.1)),
    ("cross_entropy_4d", lambda t, a, b: F(t).cross_entropy(a.reshape(2, 5, 2, 1), t.tensor(Y5.reshape(2, 2, 1)))),
    ("cross_entropy_probs", lambda t, a, b: F(t).cross_entropy(a, F(t).softmax(b, dim=1))),
    ("nll_loss", lambda t, a, b: F(t).nll_loss(a, t.tensor(Y5), reduction="sum")),
    ("bce", lambda t, a, b: F(t).binary_cross_entropy(a.sigmoid(), b.sigmoid())),
    ("bce_with_logits", lambda t, a, b: F(t).binary_cross_entropy_with_logits(
        a, b.sigmoid(), t.ones(5) * 0.5, pos_weight=t.ones(5) * 2)),
    ("kl_div", lambda t, a, b: F(t).kl_div(a, b.sigmoid(), reduction="batchmean")),
    ("kl_div_log_target", lambda t, a, b: F(t).kl_div(a, b, reduction="sum", log_target=True)),
    ("cosine_embedding", lambda t, a, b: F(t).cosine_embedding_loss(a, b, t.tensor(SIGNS), margin=0.1)),
    ("margin_ranking", lambda t, a, b: F(t).margin_ranking_loss(a, b, b.sign(), margin=0.1)),
]


@pytest.mark.parametrize("name,fn", FLOAT32, ids=[n for n, _ in FLOAT32])
def test_float32_stays_float32(name, fn):
    rng = np.random.default_rng(3)
    a_np, b_np = rng.standard_normal((4, 5)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    a, b = gt.tensor(a_np, requires_grad=True), gt.tensor(b_np, requires_grad=True)
    out = fn(gt, a, b)
    assert out.dtype == gt.float32
    ga, gb = gt.autograd.grad(out.sum(), (a, b), create_graph=True, allow_unused=True)
    assert ga.dtype == gt.float32 and (gb is None or gb.dtype == gt.float32)
    if ga.requires_grad:  # nll_loss's gradient is constant in its input
        (gga,) = gt.autograd.grad((ga * ga).sum(), a, allow_unused=True)
        assert gga is None or gga.dtype == gt.float32
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    tout = fn(torch, ta, tb)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    (tga,) = torch.autograd.grad(tout.sum(), ta)
    np.testing.assert_allclose(ga.detach().numpy(), tga.numpy(), rtol=1e-4, atol=1e-6)
    # The plain backward (no create_graph) too.
    a.grad = None
    fn(gt, a, b).sum().backward()
    assert a.grad.dtype == gt.float32
    np.testing.assert_allclose(a.grad.numpy(), tga.numpy(), rtol=1e-4, atol=1e-6)


def test_dtype_rules_follow_torch():
    for t in (torch, gt):
        f32, f64 = t.tensor(np.ones(3, np.float32) * 0.5), t.tensor(np.full(3, 0.25))
        # huber keeps the input's dtype; the others promote.
        assert str(F(t).huber_loss(f32, f64).dtype).endswith("float32")
        assert str(F(t).smooth_l1_loss(f32, f64).dtype).endswith("float64")
        assert str(F(t).mse_loss(f32, f64).dtype).endswith("float64")
        assert str(F(t).binary_cross_entropy_with_logits(f32, f32, pos_weight=f64).dtype).endswith("float32")
        assert str(F(t).binary_cross_entropy_with_logits(f32, f64).dtype).endswith("float64")


# ------------------------------------------------------------ warnings
def test_warnings_like_torch():
    for t in (torch, gt):
        a, b = t.tensor(np.ones(3)), t.tensor(np.ones((2, 3)))
        with pytest.warns(UserWarning, match="Using a target size"):
            F(t).mse_loss(a, b)
        with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
            F(t).kl_div(a, a)
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            F(t).l1_loss(a, a, size_average=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            F(t).kl_div(a, a, reduction="batchmean")
            F(t).mse_loss(a, a)


# ------------------------------------------------------------ errors
def _x(t, *shape, dtype=np.float64, low=None):
    rng = np.random.default_rng(0)
    v = rng.uniform(0.1, 0.9, shape) if low is not None else rng.standard_normal(shape)
    return t.tensor(v.astype(dtype))


def _long(t, *values):
    return t.tensor(np.array(values, dtype=np.int64))


ERRORS = [
    ("ce_float_target", lambda t: F(t).cross_entropy(_x(t, 3, 5), _x(t, 3)), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float|Double"),
    ("ce_int32_target", lambda t: F(t).cross_entropy(_x(t, 3, 5), t.tensor(np.array([1, 2, 3], np.int32))),
     RuntimeError, "expected target dtype to be Long or Byte, but got Int"),
    ("ce_out_of_bounds", lambda t: F(t).cross_entropy(_x(t, 3, 5), _long(t, 1, 5, 2)), IndexError,
     "Target 5 is out of bounds."),
    ("ce_negative_target", lambda t: F(t).cross_entropy(_x(t, 3, 5), _long(t, 1, -1, 2)), IndexError,
     "Target -1 is out of bounds."),
    ("ce_out_of_bounds_kdim", lambda t: F(t).cross_entropy(_x(t, 2, 3, 4), t.tensor(np.full((2, 4), 3))),
     IndexError, "Target 3 is out of bounds."),
    ("ce_out_of_bounds_smoothing", lambda t: F(t).cross_entropy(_x(t, 3, 5), _long(t, 1, 7, 2), label_smoothing=0.1),
     IndexError, "Target 7 is out of bounds."),
    ("nll_out_of_bounds", lambda t: F(t).nll_loss(_x(t, 3, 5), _long(t, 1, 9, 2), reduction="none"), IndexError,
     "Target 9 is out of bounds."),
    ("ce_batch_mismatch", lambda t: F(t).cross_entropy(_x(t, 3, 5), _long(t, 1, 2, 3, 4)), ValueError,
     r"Expected input batch_size \(3\) to match target batch_size \(4\)."),
    ("ce_multi_target", lambda t: F(t).cross_entropy(_x(t, 3, 5), t.tensor(np.zeros((3, 2), np.int64))),
     RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    ("ce_kdim_target_shape", lambda t: F(t).cross_entropy(_x(t, 2, 3, 4), t.tensor(np.zeros((2, 5), np.int64))),
     RuntimeError, r"Expected target size \[2, 4\], got \[2, 5\]"),
    ("ce_4d_target_shape", lambda t: F(t).cross_entropy(_x(t, 2, 3, 4, 5), t.tensor(np.zeros((2, 5, 4), np.int64))),
     RuntimeError, r"size mismatch \(got input: \[2, 3, 4, 5\] , target: \[2, 5, 4\]"),
    ("ce_4d_target_ndim", lambda t: F(t).cross_entropy(_x(t, 2, 3, 4, 5), t.tensor(np.zeros((2, 4), np.int64))),
     RuntimeError, "only batches of spatial targets supported"),
    ("ce_unbatched_target_size", lambda t: F(t).nll_loss(_x(t, 5), _long(t, 2, 1)), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 2"),
    ("nll_0d_input", lambda t: F(t).nll_loss(t.tensor(1.0), t.tensor(0)), ValueError,
     r"Expected 1 or more dimensions \(got 0\)"),
    ("ce_weight_size", lambda t: F(t).cross_entropy(_x(t, 3, 5), _long(t, 1, 2, 3), weight=_x(t, 4)), RuntimeError,
     r"weight tensor should be defined either for all 5 classes or no classes but got weight tensor of shape: \[4\]"),
    ("ce_weight_dtype", lambda t: F(t).cross_entropy(_x(t, 3, 5, dtype=np.float32), _long(t, 1, 2, 3),
                                                      weight=_x(t, 5)), RuntimeError,
     "expected scalar type Float but found Double"),
    ("ce_prob_weight_size", lambda t: F(t).cross_entropy(_x(t, 3, 5), _x(t, 3, 5), weight=_x(t, 4)), RuntimeError,
     "weight tensor should be defined either for all 5 classes"),
    ("ce_prob_long_target", lambda t: F(t).cross_entropy(_x(t, 3, 5), t.tensor(np.zeros((3, 5), np.int64))),
     RuntimeError, "Expected floating point type for target with class probabilities, got Long"),
    ("ce_prob_ignore_index", lambda t: F(t).cross_entropy(_x(t, 3, 5), _x(t, 3, 5), ignore_index=1), RuntimeError,
     "ignore_index is not supported for floating point target"),
    ("ce_smoothing_too_large", lambda t: F(t).cross_entropy(_x(t, 3, 5), _long(t, 1, 2, 3), label_smoothing=1.5),
     RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    ("ce_long_input", lambda t: F(t).cross_entropy(t.tensor(np.ones((3, 5), np.int64)), _long(t, 1, 2, 3)),
     NotImplementedError, "not implemented for 'Long'"),
    ("ce_weight_requires_grad", lambda t: F(t).cross_entropy(_x(t, 3, 5), _long(t, 1, 2, 3),
                                                              weight=_x(t, 5).requires_grad_()), RuntimeError,
     "not differentiable with respect to argument 'weight'"),
    ("bad_reduction_ce", lambda t: F(t).cross_entropy(_x(t, 3, 5), _long(t, 1, 2, 3), reduction="batchmean"),
     ValueError, "batchmean is not a valid value for reduction"),
    ("bad_reduction_mse", lambda t: F(t).mse_loss(_x(t, 3), _x(t, 3), reduction="foo"), ValueError,
     "foo is not a valid value for reduction"),
    ("bad_reduction_mse_weight", lambda t: F(t).mse_loss(_x(t, 3), _x(t, 3), reduction="foo", weight=_x(t, 3)),
     ValueError, "Invalid reduction mode: foo"),
    ("bad_reduction_bce", lambda t: F(t).binary_cross_entropy(_x(t, 3, low=0), _x(t, 3, low=0), reduction="x"),
     ValueError, "x is not a valid value for reduction"),
    ("bad_reduction_kl", lambda t: F(t).kl_div(_x(t, 3), _x(t, 3), reduction="foo"), ValueError,
     "foo is not a valid value for reduction"),
    ("bad_reduction_cosine", lambda t: F(t).cosine_embedding_loss(_x(t, 2, 3), _x(t, 2, 3), _x(t, 2), reduction="m"),
     ValueError, "m is not a valid value for reduction"),
    ("bad_reduction_ranking", lambda t: F(t).margin_ranking_loss(_x(t, 3), _x(t, 3), _x(t, 3), reduction="m"),
     ValueError, "m is not a valid value for reduction"),
    ("bad_reduction_huber", lambda t: F(t).huber_loss(_x(t, 3), _x(t, 3), reduction="m"), ValueError,
     "m is not a valid value for reduction"),
    ("mse_weight_shape", lambda t: F(t).mse_loss(_x(t, 3), _x(t, 3), weight=_x(t, 1)), ValueError,
     "Weights and input must have the same size."),
    ("mse_not_broadcastable", lambda t: F(t).mse_loss(_x(t, 3), _x(t, 2, 4)), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ("huber_not_broadcastable", lambda t: F(t).huber_loss(_x(t, 3), _x(t, 2, 4)), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ("mse_long", lambda t: F(t).mse_loss(_long(t, 1, 2), _long(t, 1, 2)), NotImplementedError,
     "\"mse_cpu\" not implemented for 'Long'"),
    ("smooth_l1_negative_beta", lambda t: F(t).smooth_l1_loss(_x(t, 3), _x(t, 3), beta=-1.0), RuntimeError,
     "smooth_l1_loss does not support negative values for beta."),
    ("huber_zero_delta", lambda t: F(t).huber_loss(_x(t, 3), _x(t, 3), delta=0.0), RuntimeError,
     "huber_loss does not support non-positive values for delta."),
    ("bce_target_size", lambda t: F(t).binary_cross_entropy(_x(t, 3, low=0), _x(t, 3, 1, low=0)), ValueError,
     r"Using a target size \(.*Size\(\[3, 1\]\)\) that is different to the input size \(.*Size\(\[3\]\)\)"),
    ("bce_input_range", lambda t: F(t).binary_cross_entropy(t.tensor([1.5]), t.tensor([0.5])), RuntimeError,
     "all elements of input should be between 0 and 1"),
    ("bce_target_range", lambda t: F(t).binary_cross_entropy(t.tensor([0.5]), t.tensor([2.0])), RuntimeError,
     "all elements of target should be between 0 and 1"),
    ("bce_target_dtype", lambda t: F(t).binary_cross_entropy(t.tensor([0.3, 0.6]), _long(t, 1, 0)), RuntimeError,
     "Found dtype Long but expected Float"),
    ("bce_weight_shape", lambda t: F(t).binary_cross_entropy(_x(t, 3, 4, low=0), _x(t, 3, 4, low=0),
                                                              weight=_x(t, 2, 3, 4)), RuntimeError,
     r"output with shape \[3, 4\] doesn't match the broadcast shape \[2, 3, 4\]"),
    ("bce_weight_requires_grad", lambda t: F(t).binary_cross_entropy(_x(t, 3, low=0), _x(t, 3, low=0),
                                                                      weight=_x(t, 3).requires_grad_()),
     RuntimeError, "'binary_cross_entropy' is not differentiable with respect to argument 'weight'"),
    ("bcel_target_size", lambda t: F(t).binary_cross_entropy_with_logits(_x(t, 3), _x(t, 3, 1)), ValueError,
     r"Target size \(.*Size\(\[3, 1\]\)\) must be the same as input size \(.*Size\(\[3\]\)\)"),
    ("bcel_pos_weight_shape", lambda t: F(t).binary_cross_entropy_with_logits(_x(t, 3, 4), _x(t, 3, 4),
                                                                               pos_weight=_x(t, 3)), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ("bcel_pos_weight_bigger", lambda t: F(t).binary_cross_entropy_with_logits(_x(t, 3, 4), _x(t, 3, 4),
                                                                                pos_weight=_x(t, 2, 3, 4)),
     RuntimeError, r"output with shape \[3, 4\] doesn't match the broadcast shape \[2, 3, 4\]"),
    ("bcel_pos_weight_requires_grad", lambda t: F(t).binary_cross_entropy_with_logits(
        _x(t, 3), _x(t, 3), pos_weight=_x(t, 3).requires_grad_()), RuntimeError,
     "not differentiable with respect to argument 'pos_weight'"),
    ("cosine_target_2d", lambda t: F(t).cosine_embedding_loss(_x(t, 3, 4), _x(t, 3, 4), _x(t, 3, 1)),
     RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    ("cosine_1d_target_1d_inputs", lambda t: F(t).cosine_embedding_loss(_x(t, 4), _x(t, 4), _x(t, 3)),
     RuntimeError, r"1D target tensor expects 2D input tensors, but found inputs with sizes \[4\] and \[4\]."),
    ("cosine_0d_target_2d_inputs", lambda t: F(t).cosine_embedding_loss(_x(t, 3, 4), _x(t, 3, 4), t.tensor(1.0)),
     RuntimeError, "0D target tensor expects 1D input tensors"),
    ("cosine_target_length", lambda t: F(t).cosine_embedding_loss(_x(t, 3, 4), _x(t, 3, 4), _x(t, 2)),
     RuntimeError, r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
    ("ranking_dims", lambda t: F(t).margin_ranking_loss(_x(t, 3), _x(t, 3), _x(t, 3, 1)), RuntimeError,
     "margin_ranking_loss : All input tensors should have same dimension"),
]


@pytest.mark.parametrize("name,fn,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_like_torch(name, fn, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=match):
            fn(torch)
        with pytest.raises(exc, match=match):
            fn(gt)
