"""``Trace`` (glasstorch/inspect/trace.py): its statistics equal the ones computed by hand from the same arrays.

The arrays are captured independently of the trace, with the public hooks a PyTorch user would
write: a forward hook copies each module's output, a tensor hook on that output copies the
gradient that arrives there, and the parameters are copied around ``optimizer.step()``. Every
number the trace keeps is then compared with NumPy's, computed from those copies.
"""
import math
import time
import tracemalloc

import numpy as np
import pytest

import glasstorch as torch
from glasstorch import nn
from glasstorch.autograd import observe
import glasstorch.nn.functional as F
from glasstorch.inspect import Trace
from models import lenet

# float32 arrays, statistics summed in float32 by BLAS: a relative error of ~1e-6 on sums and norms,
# more on the one-pass std (sq/n - mean^2 can lose up to three digits before the two-pass fallback)
RTOL, STD_RTOL, ATOL = 2e-5, 2e-4, 1e-7


# ------------------------------------------------------------------ capturing by hand
class Capture:
    """Copies of every module call's output and of the gradient that reaches it, keyed like Trace's sites.

    One dict per step: site name -> {"out": array, "grad": array}. The k-th call of a module in
    one step is ``name#k``; the root (path "") is named by its type, as Trace does.
    """

    def __init__(self, model):
        self.steps: list[dict] = []
        self.handles = []
        self.counts: dict = {}
        self.new_step()
        for name, m in model.named_modules():
            self.handles.append(m.register_forward_hook(self._hook(name or type(m).__name__)))

    def new_step(self):
        self.steps.append({})
        self.counts = {}

    def _hook(self, base):
        def hook(module, args, out):
            k = self.counts.get(base, 0) + 1
            self.counts[base] = k
            site = base if k == 1 else f"{base}#{k}"
            rec = self.steps[-1][site] = {"out": out.detach().numpy().copy()}
            if out.requires_grad:
                def on_grad(g, rec=rec):
                    rec["grad"] = g.numpy().copy()
                out.register_hook(on_grad)
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()


def hand_stats(a: np.ndarray) -> dict:
    a = a.astype(np.float64)
    return {"mean": a.mean(), "std": a.std(), "zero_frac": np.mean(a == 0), "abs_max": np.abs(a).max()}


def assert_site_matches(trace, site, step, rec):
    """The trace's numbers for ``site`` at ``step`` equal those computed from the captured arrays."""
    h = trace.history(site)
    i = h["step"].index(step)
    want = hand_stats(rec["out"])
    for key in ("mean", "abs_max", "zero_frac"):
        assert h[key][i] == pytest.approx(want[key], rel=RTOL, abs=ATOL), (site, step, key)
    assert h["std"][i] == pytest.approx(want["std"], rel=STD_RTOL, abs=ATOL), (site, step, "std")
    assert h["nan_count"][i] == 0 and h["inf_count"][i] == 0
    if "grad" in rec:
        g = np.linalg.norm(rec["grad"].astype(np.float64).reshape(-1))
        assert h["grad_norm"][i] == pytest.approx(g, rel=RTOL, abs=ATOL), (site, step, "grad_norm")


def train(model, optimizer, batches, capture=None, loss_fn=None, trace=None):
    """Plain training; returns per-step records of each parameter: grad norm, norm before, update ratio."""
    loss_fn = loss_fn or nn.MSELoss()
    by_hand = []
    for x, y in batches:
        if capture is not None:
            capture.new_step()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        before = {n: p.detach().numpy().astype(np.float64).copy() for n, p in model.named_parameters()}
        grads = {n: p.grad.norm().item() for n, p in model.named_parameters() if p.grad is not None}
        optimizer.step()
        rec = {}
        for n, p in model.named_parameters():
            after = p.detach().numpy().astype(np.float64)
            w = np.linalg.norm(before[n])
            rec[n] = {"grad_norm": grads.get(n), "weight_norm": w,
                      "update_ratio": np.linalg.norm(after - before[n]) / w}
        by_hand.append(rec)
        if trace is not None:
            trace.log(loss=loss)
    if capture is not None:
        capture.steps.pop(0)   # the empty record made before the first step
    return by_hand


def batches(shape_x, shape_y, n, seed=0):
    rng = np.random.default_rng(seed)
    return [(torch.tensor(rng.standard_normal(shape_x).astype(np.float32)),
             torch.tensor(rng.standard_normal(shape_y).astype(np.float32))) for _ in range(n)]


def assert_params_match(trace, by_hand):
    for step, rec in enumerate(by_hand):
        for name, want in rec.items():
            h = trace.history(name)
            i = h["step"].index(step)
            assert h["grad_norm"][i] == pytest.approx(want["grad_norm"], rel=RTOL), (name, step)
            assert h["weight_norm"][i] == pytest.approx(want["weight_norm"], rel=RTOL), (name, step)
            assert h["update_ratio"][i] == pytest.approx(want["update_ratio"], rel=1e-4), (name, step)


# ------------------------------------------------------------------ statistics against hand-made ones
@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_mlp_statistics_equal_hand_computed(opt):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = (torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if opt == "SGD"
                 else torch.optim.Adam(model.parameters(), lr=1e-2))
    cap = Capture(model)
    data = batches((32, 6), (32, 3), 4)
    with Trace(model, optimizer) as trace:
        by_hand = train(model, optimizer, data, cap, trace=trace)
    cap.remove()
    assert len(cap.steps) == 4
    for step, recs in enumerate(cap.steps):
        assert set(recs) == {"Sequential", "0", "1", "2"}
        for site, rec in recs.items():
            assert "grad" in rec
            assert_site_matches(trace, site, step, rec)
    assert_params_match(trace, by_hand)
    # The ReLU really has zeros, so zero_frac is tested on something other than 0.
    assert 0.2 < trace.history("1")["zero_frac"][0] < 0.8
    assert trace.history("loss")["step"] == [0, 1, 2, 3]


def test_adam_update_ratio_is_the_real_change_not_lr_times_grad():
    # Adam's first step moves every weight by about lr, whatever its gradient: lr * grad would be wrong.
    torch.manual_seed(1)
    model = nn.Linear(5, 5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    with Trace(model, optimizer) as trace:
        by_hand = train(model, optimizer, batches((8, 5), (8, 5), 2, seed=3), trace=trace)
    h = trace.history("weight")
    assert h["update_ratio"][0] == pytest.approx(by_hand[0]["weight"]["update_ratio"], rel=1e-4)
    # each of the 25 entries moved by ~lr: the change is ~ lr * sqrt(25)
    assert h["update_norm"][0] == pytest.approx(1e-3 * 5, rel=1e-2)
    lr_times_grad = 1e-3 * by_hand[0]["weight"]["grad_norm"] / by_hand[0]["weight"]["weight_norm"]
    assert abs(h["update_ratio"][0] - lr_times_grad) > 0.1 * h["update_ratio"][0]


def test_lenet_statistics_equal_hand_computed():
    torch.manual_seed(0)
    model = lenet(nn)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    rng = np.random.default_rng(0)
    data = [(torch.tensor(rng.random((4, 1, 28, 28)).astype(np.float32)),
             torch.tensor(rng.integers(0, 10, 4))) for _ in range(2)]
    cap = Capture(model)
    with Trace(model, optimizer) as trace:
        by_hand = train(model, optimizer, data, cap, loss_fn=nn.CrossEntropyLoss(), trace=trace)
    cap.remove()
    names = {"Sequential", *[str(i) for i in range(12)]}
    for step, recs in enumerate(cap.steps):
        assert set(recs) == names
        for site, rec in recs.items():
            assert_site_matches(trace, site, step, rec)
    assert_params_match(trace, by_hand)
    # the sigmoid sites know what they are, and the input is recorded
    assert trace.sites["1"].info["activation"] == "sigmoid"
    assert trace.history("input")["mean"][0] == pytest.approx(float(data[0][0].numpy().mean()), rel=RTOL)


# ------------------------------------------------------------------ functional ops and repeated calls
class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        h = F.relu(self.fc(x))          # fc, then a functional relu in the container's own forward
        h = self.fc(h)                  # fc#2
        h = torch.tanh(self.fc(h))      # fc#3, tanh()
        h = h.reshape(-1, 2, 2).flatten(1)
        return self.head(h)


def test_functional_ops_and_repeated_calls_are_sites_with_their_own_statistics():
    torch.manual_seed(0)
    model = Functional()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    cap = Capture(model)
    with Trace(model, optimizer) as trace:
        train(model, optimizer, batches((16, 4), (16, 2), 3), cap, trace=trace)
    cap.remove()
    sites = list(trace.sites)
    for s in ("Functional", "fc", "fc#2", "fc#3", "relu()", "tanh()", "head"):
        assert s in sites, sites
    assert trace.sites["relu()"].kind == "op" and trace.sites["fc#2"].kind == "module"
    assert sites.index("fc") < sites.index("relu()") < sites.index("fc#2") < sites.index("fc#3") < sites.index("tanh()")
    assert any(s.startswith("view()") for s in sites)   # reshape / flatten are seen too
    for step, recs in enumerate(cap.steps):
        assert {"fc", "fc#2", "fc#3"} <= set(recs)
        for site in ("fc", "fc#2", "fc#3", "head"):
            assert_site_matches(trace, site, step, recs[site])
        # the three calls of one module are three different series
        assert len({trace.history(s)["mean"][step] for s in ("fc", "fc#2", "fc#3")}) == 3
        # the functional relu's output is relu of fc's output, its tanh that of fc#3
        assert_site_matches(trace, "relu()", step, {"out": np.maximum(recs["fc"]["out"], 0)})
        assert_site_matches(trace, "tanh()", step, {"out": np.tanh(recs["fc#3"]["out"])})
    assert trace.sites["relu()"].info["activation"] == "relu"


# ------------------------------------------------------------------ in-place ops
def _twin(inplace: bool):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(inplace=inplace), nn.Linear(8, 2))


def test_inplace_relu_does_not_change_the_statistics_of_the_layer_before():
    data = batches((16, 5), (16, 2), 3, seed=2)
    out = {}
    for inplace in (False, True):
        model = _twin(inplace)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        cap = Capture(model)
        with Trace(model, optimizer) as trace:
            train(model, optimizer, data, cap, trace=trace)
        cap.remove()
        out[inplace] = (trace, cap)
    trace, _ = out[True]
    _, cap = out[False]   # the out-of-place twin's arrays: the Linear's output before any ReLU
    for step, recs in enumerate(cap.steps):
        assert (recs["0"]["out"] < 0).any()   # the ReLU really overwrites something
        for site in ("0", "1", "2"):
            assert_site_matches(trace, site, step, recs[site])
    assert trace.history("0")["zero_frac"][0] == 0.0
    assert trace.history("1")["zero_frac"][0] > 0.2


class AddInPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        h = self.fc(x)
        h.add_(1.0)     # changes fc's output after fc produced it
        h.mul_(2.0)
        return self.head(h)


def test_inplace_op_after_a_module_keeps_the_values_the_module_produced():
    torch.manual_seed(0)
    model = AddInPlace()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    cap = Capture(model)   # copies fc's output when fc returns, before add_
    with Trace(model, optimizer) as trace:
        train(model, optimizer, batches((8, 3), (8, 1), 2), cap, trace=trace)
    cap.remove()
    for step, recs in enumerate(cap.steps):
        rec = {"out": recs["fc"]["out"]}
        assert_site_matches(trace, "fc", step, rec)
        assert_site_matches(trace, "add()", step, {"out": recs["fc"]["out"] + 1})
        assert_site_matches(trace, "mul()", step, {"out": (recs["fc"]["out"] + 1) * 2})
        assert_site_matches(trace, "head", step, recs["head"])


# ------------------------------------------------------------------ NaN and Inf
class LogLayer(nn.Module):
    def forward(self, x):
        return torch.log(x)


def test_nan_and_inf_are_counted_statistics_stay_finite_and_the_first_op_is_named():
    model = nn.Sequential(nn.Linear(4, 4), LogLayer())
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(4))
        model[0].bias.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    good = np.full((2, 4), 2.0, np.float32)
    bad = np.array([[2.0, -1.0, 0.0, 0.0], [3.0, -2.0, -3.0, 4.0]], np.float32)   # 3 NaN, 2 -Inf
    xs = [good, good, bad, good]
    with Trace(model, optimizer) as trace:
        for x in xs:
            optimizer.zero_grad()
            loss = model(torch.tensor(x)).sum()
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)
    f = trace.first_nonfinite
    assert f is not None
    assert f["op"] == "LogBackward0" and f["module"] == "1" and f["site"] == "1"
    assert f["step"] == 2 and f["phase"] == "forward"
    assert (f["nan_count"], f["inf_count"]) == (3, 2)
    h = trace.history("1")
    assert h["nan_count"][2] == 3 and h["inf_count"][2] == 2
    finite = np.log(bad[bad > 0].astype(np.float64))   # the statistics are over the finite values
    assert h["mean"][2] == pytest.approx(finite.mean(), rel=RTOL)
    assert h["std"][2] == pytest.approx(finite.std(), rel=STD_RTOL)
    assert h["abs_max"][2] == pytest.approx(np.abs(finite).max(), rel=RTOL)
    assert h["zero_frac"][2] == 0.0
    # d log(x)/dx = 1/x is Inf at the zeros: the Linear's gradients are not finite, and counted
    g = trace.history("0.weight")
    assert g["grad_nan"][2] + g["grad_inf"][2] > 0 and g["grad_nan"][1] + g["grad_inf"][1] == 0
    # after the NaN step (part of the weights are NaN now) the statistics are still numbers
    assert h["nan_count"][3] > 0
    for key in ("mean", "std", "abs_max", "zero_frac", "grad_norm"):
        for v in h[key]:
            assert math.isfinite(v), (key, h[key])
    for name in trace.params:
        for v in trace.history(name)["grad_norm"] + trace.history(name)["weight_norm"]:
            assert math.isfinite(v)
    assert math.isnan(trace.history("loss")["value"][2])
    assert [f.kind for f in trace.findings()][0] == "nonfinite"


# ------------------------------------------------------------------ steps
def _loop(model, optimizer, trace, n, log=True):
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    for _ in range(n):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        if log:
            trace.log(loss=loss)


def test_every_n_records_statistics_only_at_multiples_of_n_and_scalars_always():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with Trace(model, optimizer, every=4) as trace:
        _loop(model, optimizer, trace, 11)
    assert trace.history("loss")["step"] == list(range(11))
    for name in list(trace.sites) + list(trace.params) + ["input"]:
        assert trace.history(name)["step"] == [0, 4, 8], name
    assert all(math.isfinite(v) for v in trace.history("0.weight")["update_ratio"])
    with pytest.raises(ValueError):
        Trace(model, every=0)


def test_without_log_each_optimizer_step_ends_a_step():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with Trace(model, optimizer, every=2) as trace:
        _loop(model, optimizer, trace, 7, log=False)
    assert trace.step == 7
    assert trace.history("0")["step"] == [0, 2, 4, 6]
    assert trace.history("0.weight")["step"] == [0, 2, 4, 6]
    assert all(math.isfinite(v) and v > 0 for v in trace.history("2.weight")["update_ratio"])
    assert not trace.scalars


# ------------------------------------------------------------------ memory
def _memory_growth(batch: int, steps: int = 10_000, start: int = 2_000) -> tuple:
    torch.manual_seed(0)
    model = nn.Linear(4, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((batch, 4)).astype(np.float32))
    y = torch.tensor(rng.standard_normal((batch, 4)).astype(np.float32))
    # tracemalloc costs ~4x per step, so it starts halfway to ``start``: by then every growing
    # column has been reallocated at least once under tracing, so m1 - m0 is exact.
    try:
        with Trace(model, optimizer, every=1) as trace:
            for i in range(steps):
                if i == start // 2:
                    tracemalloc.start()
                if i == start:
                    m0 = tracemalloc.get_traced_memory()[0]
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                trace.log(loss=loss)
            m1 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert trace.history("Linear")["step"][-1] == steps - 1
    return (m1 - m0) / (steps - start), len(trace.sites)


@pytest.mark.slow
def test_memory_per_step_is_small_and_independent_of_the_batch_size():
    t0 = time.perf_counter()
    small, n_sites = _memory_growth(8)
    large, _ = _memory_growth(512)
    elapsed = time.perf_counter() - t0
    # Numbers, not tensors: a few hundred bytes per series per step (the columns, two small
    # histograms per site). A kept batch of 512x4 float32 would be 8 KB per step per array.
    assert small < 3000 and large < 3000, (small, large, n_sites)
    assert abs(large - small) < 0.2 * small, (small, large)
    print(f"memory growth per step: batch 8 {small:.0f} B, batch 512 {large:.0f} B ({n_sites} sites); "
          f"{elapsed:.1f} s")


# ------------------------------------------------------------------ hooks removed
def test_observer_and_optimizer_hooks_are_removed_on_exit_even_after_an_exception():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    assert observe.observers == []
    with Trace(model, optimizer) as trace:
        assert len(observe.observers) == 1
        assert len(optimizer._optimizer_step_pre_hooks) == 1 and len(optimizer._optimizer_step_post_hooks) == 1
        _loop(model, optimizer, trace, 2)
    assert observe.observers == []
    assert not optimizer._optimizer_step_pre_hooks and not optimizer._optimizer_step_post_hooks

    with pytest.raises(ZeroDivisionError):
        with Trace(model, optimizer, every=3) as trace:
            _loop(model, optimizer, trace, 1)   # step 1 is not recorded: the observer is off
            _loop(model, optimizer, trace, 2)
            1 / 0
    assert observe.observers == []
    assert not optimizer._optimizer_step_pre_hooks and not optimizer._optimizer_step_post_hooks
    # a hook the user put there stays
    handle = optimizer.register_step_pre_hook(lambda *a: None)
    with Trace(model, optimizer) as trace:
        _loop(model, optimizer, trace, 1)
    assert list(optimizer._optimizer_step_pre_hooks) == [handle.id]
    handle.remove()
    # after exit nothing is recorded any more
    n = len(trace.history("0")["step"])
    _loop(model, optimizer, trace, 2, log=False)
    assert len(trace.history("0")["step"]) == n


# ------------------------------------------------------------------ reading
def test_table_has_a_row_per_site_and_history_names_the_known_series():
    torch.manual_seed(0)
    model = Functional()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with Trace(model, optimizer) as trace:
        train(model, optimizer, batches((16, 4), (16, 2), 2), trace=trace)
    text = trace.table()
    first_words = [line.split()[0] for line in text.splitlines() if line.strip()]
    for site in trace.sites:
        assert first_words.count(site) == 1, (site, text)
    printed = []
    assert trace.table(print_fn=printed.append) == text and printed == [text]
    with pytest.raises(KeyError) as e:
        trace.history("no_such_series")
    msg = str(e.value)
    assert "no_such_series" in msg
    for name in ("loss", "fc", "fc#3", "relu()", "fc.weight", "head.bias"):
        assert name in msg


# ------------------------------------------------------------------ two bugs found while writing these tests
def test_the_input_series_is_the_models_input_only():
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 4), 100 * torch.randn(32, 1)   # targets far from unit scale; inputs not
    with Trace(model, optimizer) as trace:
        for _ in range(3):
            optimizer.zero_grad()
            loss = nn.MSELoss()(model(x), y)
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)
    h = trace.history("input")
    assert h["step"] == [0, 1, 2]
    assert h["std"][0] == pytest.approx(float(x.numpy().std()), rel=STD_RTOL)
    assert "unnormalised_input" not in {f.kind for f in trace.findings()}


class _SigmoidThenHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 16)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(torch.sigmoid(self.fc(x)))


def test_a_container_is_not_classified_by_its_last_functional_op():
    torch.manual_seed(0)
    model = _SigmoidThenHead()
    with torch.no_grad():
        model.head.weight.mul_(20.0)    # logits well outside (0.01, 0.99), as logits often are
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 4), torch.tensor(np.zeros(32, dtype=np.int64))
    with Trace(model, optimizer) as trace:
        for _ in range(2):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)
    assert trace.sites["sigmoid()"].info["activation"] == "sigmoid"
    assert "activation" not in trace.sites["_SigmoidThenHead"].info
    assert "saturated_activation" not in {f.kind for f in trace.findings()}


# ------------------------------------------------------------------ histograms
def test_log_histogram_bins_by_hand():
    from glasstorch.inspect.trace import HIST_BINS, hist_edges, log_histogram
    edges = hist_edges()
    assert len(edges) == HIST_BINS - 1 and edges[0] == 2.0 ** -26 and edges[-1] == 2.0 ** 14
    x = np.array([0.0, -0.0, 0.75, -0.75, 1.0, 1.5, 3.0, 1e-30, 1e9, np.nan, np.inf], dtype=np.float32)
    h = log_histogram(x)
    # |x| in [2**(e-1), 2**e) goes to bin e - (-26) + 1; zeros to bin 0; NaN/Inf are left out; values
    # beyond the ends fall in the end bins.
    expected = np.zeros(HIST_BINS, dtype=np.int64)
    expected[0] = 2
    for v in (0.75, 0.75, 1.0, 1.5, 3.0):
        e = int(np.floor(np.log2(v))) + 1
        expected[e + 27] += 1
    expected[1] += 1          # 1e-30, below 2**-27
    expected[-1] += 1         # 1e9, above 2**14
    np.testing.assert_array_equal(h, expected)


def test_log_histogram_of_a_large_array_takes_a_fixed_sample():
    from glasstorch.inspect.trace import log_histogram
    x = np.random.default_rng(0).standard_normal(1_000_003).astype(np.float32)
    h = log_histogram(x)
    assert h.sum() == 4096
    # The sample's shape follows the whole array's: the share in [0.5, 1) matches within a few percent.
    whole = np.mean((np.abs(x) >= 0.5) & (np.abs(x) < 1.0))
    assert abs(h[27 + 0] / 4096 - whole) < 0.03
