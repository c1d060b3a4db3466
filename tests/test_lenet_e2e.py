"""End to end: the classic LeNet trained 3 epochs in float64 follows torch's loss curve.

Same initial weights (copied through state_dict), same fixed random 1,000-sample set,
same batches (DataLoader without shuffling), SGD lr 0.9, batch 256, cross-entropy.
"""
import numpy as np
import torch

import glasstorch as gt
from models import lenet


def train(t, model, x, y, epochs=3):
    data = t.utils.data
    loader = data.DataLoader(data.TensorDataset(t.tensor(x), t.tensor(y)), batch_size=256)
    opt = t.optim.SGD(model.parameters(), lr=0.9)
    loss_fn = t.nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def test_lenet_follows_torch_loss_curve():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 1, 28, 28))
    y = rng.integers(0, 10, 1000)
    torch.manual_seed(0)
    tmodel = lenet(torch.nn).double()
    gmodel = lenet(gt.nn).double()
    gmodel.load_state_dict({k: gt.tensor(v.numpy()) for k, v in tmodel.state_dict().items()})
    assert list(gmodel.state_dict()) == list(tmodel.state_dict())

    theirs = train(torch, tmodel, x, y)
    ours = train(gt, gmodel, x, y)
    assert len(ours) == len(theirs) == 12
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    for (name, p), (_, q) in zip(gmodel.named_parameters(), tmodel.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-9, err_msg=name)


def test_lenet_float32_has_no_float64_intermediates():
    gt.manual_seed(0)
    model = lenet(gt.nn)
    x = gt.randn(8, 1, 28, 28)
    y = gt.randint(0, 10, (8,))
    seen = []
    for m in model.modules():
        m.register_forward_hook(lambda mod, args, out: seen.append(out.dtype))
    loss = gt.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert set(seen) == {gt.float32} and loss.dtype == gt.float32
    assert all(p.grad.dtype == gt.float32 for p in model.parameters())
