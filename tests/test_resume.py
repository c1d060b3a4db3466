"""Save, load and resume: a run interrupted by a checkpoint equals an uninterrupted run, bit for bit."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch import nn


def make(seed):
    gt.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Dropout(0.2), nn.Linear(8, 3))
    opt = gt.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1)
    sched = gt.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    return model, opt, sched


def run(model, opt, sched, steps, x, y):
    loss_fn = nn.CrossEntropyLoss()
    for i in steps:
        opt.zero_grad()
        loss = loss_fn(model(x[i]), y[i])
        loss.backward()
        opt.step()
        sched.step()
    return loss.item()


@pytest.mark.parametrize("opt_name", ["AdamW", "SGD"])
def test_resume_from_checkpoint_is_identical(tmp_path, opt_name):
    rng = np.random.default_rng(0)
    x = gt.tensor(rng.standard_normal((10, 16, 4)), dtype=gt.float32)
    y = gt.tensor(rng.integers(0, 3, (10, 16)))

    model, opt, sched = make(1)
    if opt_name == "SGD":
        opt = gt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        sched = gt.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    gt.manual_seed(5)
    run(model, opt, sched, range(10), x, y)
    expected = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    model2, opt2, sched2 = make(1)
    if opt_name == "SGD":
        opt2 = gt.optim.SGD(model2.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        sched2 = gt.optim.lr_scheduler.StepLR(opt2, step_size=3, gamma=0.5)
    gt.manual_seed(5)
    run(model2, opt2, sched2, range(5), x, y)
    path = tmp_path / "ckpt.pt"
    gt.save({"model": model2.state_dict(), "optimizer": opt2.state_dict(), "scheduler": sched2.state_dict(),
             "rng": gt.get_rng_state()}, path)

    model3, opt3, sched3 = make(99)  # different weights: everything must come from the checkpoint
    if opt_name == "SGD":
        opt3 = gt.optim.SGD(model3.parameters(), lr=0.5)
        sched3 = gt.optim.lr_scheduler.StepLR(opt3, step_size=3, gamma=0.5)
    ckpt = gt.load(path)
    model3.load_state_dict(ckpt["model"])
    opt3.load_state_dict(ckpt["optimizer"])
    sched3.load_state_dict(ckpt["scheduler"])
    gt.set_rng_state(ckpt["rng"])
    run(model3, opt3, sched3, range(5, 10), x, y)
    for k, v in model3.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), expected[k], err_msg=k)
