"""The bad-training zoo: small broken programs, each with one thing wrong that ``Trace.findings()`` must name.

Each function takes no arguments, trains a tiny model for a few dozen steps inside a ``Trace`` and
returns the finished trace; each runs in well under 3 s. The comment on each says what is broken,
which finding it must raise, and why it raises no other. ``tests/inspect/test_findings.py`` checks
that the set of finding kinds is exactly the expected one.

The losses are the functional ones (``F.mse_loss``, ``F.cross_entropy``) unless a program is
about a loss module: a loss module called outside the model would be a second outermost module call.
"""
import numpy as np

import glasstorch as torch
from glasstorch import nn
import glasstorch.nn.functional as F
from glasstorch.inspect import Trace


def _regression(n=64, d=8, seed=0):
    """x ~ N(0, 1) and y = a fixed linear function of x plus a little noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    w = rng.standard_normal((d, 1)).astype(np.float32) / np.sqrt(d)
    y = x @ w + 0.1 * rng.standard_normal((n, 1)).astype(np.float32)
    return torch.tensor(x), torch.tensor(y)


def _classes(n=64, d=8, k=4, seed=0):
    """k Gaussian blobs in d dims: inputs N(centre, 1), labels int64."""
    rng = np.random.default_rng(seed)
    centres = 2.0 * rng.standard_normal((k, d))
    y = rng.integers(0, k, n)
    x = centres[y] + rng.standard_normal((n, d))
    return torch.tensor(x.astype(np.float32)), torch.tensor(y)


def _fit(model, optimizer, x, y, loss_fn, steps, trace=None, every=1):
    """The plain loop; returns the trace (a new one unless given)."""
    trace = trace or Trace(model, optimizer, every=every)
    with trace:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)
    return trace


# ---------------------------------------------------------------------------------- the programs
def dead_relu():
    """A big negative bias on 3/4 of the hidden units: those ReLUs output 0 for every sample.

    Finding: ``dead_relu`` at the ReLU ("1"), 75% dead (threshold 50%). The quarter of the units
    that are alive keeps the first layer learning at a normal rate, so no other rule fires.
    """
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    with torch.no_grad():
        model[0].bias[:24] = -20.0
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = _regression()
    return _fit(model, optimizer, x, y, F.mse_loss, 30)


def saturated_sigmoid():
    """The first layer's weights are 30 times too big: most of the sigmoid's outputs sit at 0 or 1.

    Finding: ``saturated_activation`` at the Sigmoid ("1"). Adam keeps the saturated first layer
    moving at a normal relative rate (its gradient is small, not zero), so update_ratio is quiet.
    """
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Sigmoid(), nn.Linear(16, 1))
    with torch.no_grad():
        model[0].weight.mul_(30.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = _regression()
    return _fit(model, optimizer, x, y, F.mse_loss, 30)


def vanishing_gradients():
    """Eight sigmoid layers with a small init: each layer multiplies the gradient by ~0.25 * 0.4.

    Finding: ``vanishing_gradients`` at "0.weight" (first against last layer's RMS gradient).
    The sigmoids sit near 0.5, far from saturation. Adam normalises the step, so the first layer
    still moves at a normal relative rate and update_ratio is quiet.
    """
    torch.manual_seed(0)
    layers, d = [], 8
    for _ in range(8):
        lin = nn.Linear(d, 16)
        nn.init.normal_(lin.weight, 0.0, 0.1)
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.Sigmoid()]
        d = 16
    layers.append(nn.Linear(16, 1))
    model = nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = _regression()
    return _fit(model, optimizer, x, y, lambda out, t: F.mse_loss(out, t + 2.0), 30)


def exploding_gradients():
    """Eight linear layers initialised three times too large: the gradients are ~1e7 times the weights.

    Finding: ``exploding_gradients``. Adam's normalised step keeps the update/weight ratio sane
    and the loss falls steadily, so only the gradient rule fires.
    """
    torch.manual_seed(0)
    layers, d = [], 8
    for _ in range(8):
        lin = nn.Linear(d, 16)
        nn.init.normal_(lin.weight, 0.0, 3.0 / np.sqrt(d))
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        d = 16
    layers.append(nn.Linear(16, 1))
    model = nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = _regression()
    return _fit(model, optimizer, x, y, F.mse_loss, 30)


def update_ratio_high():
    """Linear regression with lr 0.85, just under the stability limit 2 / lambda_max ~ 0.9.

    Every step overshoots the minimum and flips the weight to the other side: it moves by ~1.5 of
    its own norm each step, yet the oscillation shrinks and the loss falls (no divergence, no NaN,
    no spike). Finding: ``update_ratio`` (too high) on "weight".
    """
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((1024, 4)).astype(np.float32))
    y = torch.tensor(rng.standard_normal((1024, 1)).astype(np.float32))   # noise: the best weight is ~0
    optimizer = torch.optim.SGD(model.parameters(), lr=0.85)
    return _fit(model, optimizer, x, y, F.mse_loss, 30)


def update_ratio_low():
    """A typo in a param group: the body's lr is 1e-9 instead of 1e-3 (the head's is right).

    The body barely moves (~1e-9 of its norm per step) although its gradient is healthy; the head
    learns, so the loss falls. Finding: ``update_ratio`` (too low) on "body.weight".
    """
    torch.manual_seed(0)
    model = nn.Sequential()
    model.add_module("body", nn.Linear(8, 16))
    model.add_module("act", nn.Tanh())
    model.add_module("head", nn.Linear(16, 1))
    optimizer = torch.optim.SGD([{"params": model.body.parameters(), "lr": 1e-9},
                                 {"params": model.head.parameters(), "lr": 0.05}])
    x, y = _regression()
    return _fit(model, optimizer, x, y, F.mse_loss, 30)


class _WithUnused(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16)
        self.unused = nn.Linear(16, 16)    # meant to go between fc and head, forgotten in forward
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        return self.head(torch.relu(self.fc(x)))


def no_gradient():
    """A layer that is built and given to the optimizer but never called in forward.

    Finding: ``no_gradient`` on "unused.weight" and "unused.bias".
    """
    torch.manual_seed(0)
    model = _WithUnused()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = _regression()
    return _fit(model, optimizer, x, y, F.mse_loss, 30)


class _LogCounts(nn.Module):
    """log-transforms count features (counts >= 1 expected; a 0 gives -inf)."""

    def forward(self, x):
        return torch.log(x)


def nonfinite():
    """Count features are log-transformed inside the model; at step 12 a batch holds a zero count.

    log(0) = -inf in the forward pass of module "0"; from there the loss and every gradient are
    NaN. The loop stops two steps later, as a person watching the loss would. Finding: ``nonfinite``
    naming LogBackward0 and module "0" at step 12.
    """
    torch.manual_seed(0)
    model = nn.Sequential(_LogCounts(), nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
    rng = np.random.default_rng(0)
    trace = Trace(model, optimizer)
    with trace:
        for step in range(15):
            counts = rng.integers(1, 10, (32, 6)).astype(np.float32)
            if step == 12:
                counts[5, 2] = 0.0
            x = torch.tensor(counts)
            y = torch.tensor(np.log(counts.sum(1, keepdims=True) + 1.0).astype(np.float32))
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)
    return trace


def loss_flat():
    """The optimizer was built on a first model, then the model was built again: the one being
    trained is not the one being updated.

    The trained model's loss stays exactly where it started (a fixed batch). Its parameters get
    gradients but are not the optimizer's, so the update rules see only the optimizer's
    parameters (which never get a gradient: no rule can fault one of them against another).
    Finding: ``loss_flat``.
    """
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))   # the bug: a fresh model
    x, y = _regression()
    return _fit(model, optimizer, x, y, F.mse_loss, 30)


def loss_spike():
    """Healthy regression, but the batch at step 30 holds one target of 50 (a unit error in the data).

    Finding: ``loss_spike`` at step 30. Adam bounds the jolt that batch gives the weights, so the
    loss recovers and nothing else fires.
    """
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((8, 1)).astype(np.float32) / np.sqrt(8)
    trace = Trace(model, optimizer)
    with trace:
        for step in range(40):
            x = rng.standard_normal((32, 8)).astype(np.float32)
            y = x @ w + 0.1 * rng.standard_normal((32, 1)).astype(np.float32)
            if step == 30:
                y[7] = 50.0
            optimizer.zero_grad()
            loss = F.mse_loss(model(torch.tensor(x)), torch.tensor(y))
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)
    return trace


def softmax_into_cross_entropy():
    """The model ends in Softmax and its output goes to CrossEntropyLoss, which applies log_softmax itself.

    Finding: ``probabilities_to_logits`` (softmax into CrossEntropyLoss).
    """
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4), nn.Softmax(dim=1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = _classes()
    return _fit(model, optimizer, x, y, nn.CrossEntropyLoss(), 30)


def sigmoid_into_bce_with_logits():
    """The model ends in Sigmoid and its output goes to BCEWithLogitsLoss, which applies sigmoid itself.

    Finding: ``probabilities_to_logits`` (sigmoid into BCEWithLogitsLoss). Few enough steps that
    the double-squashed outputs are not yet pinned at 0 or 1.
    """
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, labels = _classes(k=2)
    y = labels.float().reshape(-1, 1)
    return _fit(model, optimizer, x, y, F.binary_cross_entropy_with_logits, 30)


def unnormalised_input():
    """Raw 0..255 pixel values go straight into the model (no ``/ 255``, no Normalize).

    Finding: ``unnormalised_input`` (input mean ~ 100). Adam with a small lr keeps the run from
    blowing up, so that only the cause is named.
    """
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    templates = rng.integers(0, 256, (10, 64))
    labels = rng.integers(0, 10, 128)
    pixels = np.clip(templates[labels] + rng.normal(0, 30, (128, 64)), 0, 255).round()
    x = torch.tensor(pixels.reshape(128, 1, 8, 8).astype(np.float32))
    y = torch.tensor(labels)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return _fit(model, optimizer, x, y, F.cross_entropy, 30)


# ---------------------------------------------------------------------------------- healthy controls
def healthy():
    """A well-set-up MLP on a learnable regression: no finding at all."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = _regression(n=128)
    return _fit(model, optimizer, x, y, F.mse_loss, 60)


def converged():
    """Exact linear regression trained far past convergence: the weight stops moving, rightly.

    Its update/weight ratio falls to 0 once the gradient is gone; that is not "too small".
    """
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((256, 3)).astype(np.float32))
    y = x @ torch.tensor([[1.0], [2.0], [4.0]])
    model = nn.Linear(3, 1, bias=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return _fit(model, optimizer, x, y, F.mse_loss, 300)


HEALTHY = {"healthy": healthy, "converged": converged}

# name -> (program, the one finding kind it must raise)
PROGRAMS = {
    "dead_relu": (dead_relu, "dead_relu"),
    "saturated_sigmoid": (saturated_sigmoid, "saturated_activation"),
    "vanishing_gradients": (vanishing_gradients, "vanishing_gradients"),
    "exploding_gradients": (exploding_gradients, "exploding_gradients"),
    "update_ratio_high": (update_ratio_high, "update_ratio"),
    "update_ratio_low": (update_ratio_low, "update_ratio"),
    "no_gradient": (no_gradient, "no_gradient"),
    "nonfinite": (nonfinite, "nonfinite"),
    "loss_flat": (loss_flat, "loss_flat"),
    "loss_spike": (loss_spike, "loss_spike"),
    "softmax_into_cross_entropy": (softmax_into_cross_entropy, "probabilities_to_logits"),
    "sigmoid_into_bce_with_logits": (sigmoid_into_bce_with_logits, "probabilities_to_logits"),
    "unnormalised_input": (unnormalised_input, "unnormalised_input"),
}
