"""Anomaly mode (glasstorch/autograd/anomaly_mode.py): where a NaN or an Inf is born, forward and backward.

torch checks only the backward pass, and only for NaN; where torch has the same check, the
programs below run on both and the errors are compared.
"""
import math
import os
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch.autograd import anomaly_mode, observe
from models import lenet

# torch warns on entering anomaly mode, and again with the forward traceback when it raises.
pytestmark = [pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled"),
              pytest.mark.filterwarnings("ignore:Error detected in")]

HERE = os.path.abspath(__file__)


def line_of(marker: str) -> int:
    """The line number of the one line in this file that carries ``marker`` (in a comment)."""
    with open(HERE) as f:
        hits = [i for i, line in enumerate(f, 1) if line.rstrip().endswith("# " + marker)]
    assert len(hits) == 1, marker
    return hits[0]


def site_text(marker: str) -> str:
    return f'File "{HERE}", line {line_of(marker)}'


@pytest.fixture(autouse=True)
def anomaly_off():
    """Every test starts and ends with anomaly mode off, in both frameworks."""
    assert not gt.autograd.is_anomaly_enabled()
    yield
    assert not gt.autograd.is_anomaly_enabled(), "a test left anomaly mode on"
    assert not any(isinstance(o, anomaly_mode._AnomalyObserver) for o in observe.observers)
    torch.autograd.set_detect_anomaly(False)


# ------------------------------------------------------------------------------- forward
class LogBlock(gt.nn.Module):
    def forward(self, x):
        return gt.log(x * 0)  # PLANTED-LOG


class Net(gt.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = gt.nn.Sequential(gt.nn.Linear(3, 3), LogBlock(), gt.nn.Linear(3, 2))

    def forward(self, x):
        return self.block(x).sum()


def test_planted_log_zero_is_reported_where_it_sits():
    net = Net()
    with gt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            net(gt.randn(4, 3))
    err = info.value
    msg = str(err)
    first = msg.splitlines()[0]
    # The op that made the -inf (log), not the Linear after it, whose input was already bad.
    assert first.startswith("Function 'LogBackward0' returned inf values in its 0th output in the forward pass")
    assert "op Log" in first
    assert "module: block.1 (LogBlock) in Net" in msg
    assert site_text("PLANTED-LOG") + ", in forward" in msg
    assert "return gt.log(x * 0)" in msg
    # The input's statistics say why: all zeros.
    assert "input 0: shape [4, 3], float32: min 0, max 0, mean 0, std 0, 100.0% zero, 0 NaN, 0 Inf" in msg
    assert "12 Inf (0 +Inf, 12 -Inf)" in msg
    # The same facts, for tools, and the node is marked for the graph viewer.
    assert err.phase == "forward" and err.op == "LogBackward0" and err.index == 0
    assert err.module_path == "block.1 (LogBlock) in Net"
    assert err.site == (HERE, line_of("PLANTED-LOG"), "forward")
    assert err.node.name() == "LogBackward0" and err.node._anomaly == msg
    assert err.node._creation_site == err.site


def test_sqrt_of_negative_makes_nan():
    x = gt.tensor([-1.0, 4.0], requires_grad=True)
    with gt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            x.sqrt()  # PLANTED-SQRT
    msg = str(info.value)
    assert msg.startswith("Function 'SqrtBackward0' returned nan values in its 0th output in the forward pass")
    assert "module: none (called outside any module)" in msg
    assert site_text("PLANTED-SQRT") + ", in test_sqrt_of_negative_makes_nan" in msg
    assert "input 0: shape [2], float32: min -1, max 4" in msg


def test_exp_overflow_makes_inf_even_without_grad():
    # Under no_grad no node is recorded, but the op is still checked.
    with gt.autograd.detect_anomaly(), gt.no_grad():
        with pytest.raises(RuntimeError) as info:
            gt.tensor([1.0, 100.0]).exp()  # PLANTED-EXP
    err = info.value
    assert str(err).startswith("Function 'ExpBackward0' returned inf values in its 0th output")
    assert err.node is None
    assert site_text("PLANTED-EXP") in str(err)
    assert "1 Inf (1 +Inf, 0 -Inf)" in str(err)


def test_bad_values_that_came_in_are_not_blamed_downstream():
    x = gt.tensor([math.nan, 1.0, math.inf], requires_grad=True)
    with gt.autograd.detect_anomaly():
        y = (x * 2).exp().sum()                   # bad in, bad out: not this op's doing
        z = gt.cat([x, x]) + 1                    # also through a list argument
        # An Inf asked for by a number argument, as attention masks do.
        m = gt.zeros(3).masked_fill(gt.tensor([True, False, False]), -math.inf)
    assert math.isnan(y.item()) and not np.isfinite(z.detach().numpy()).all()
    assert m.numpy()[0] == -math.inf


def test_large_finite_values_are_not_anomalies():
    # 1e30 squared overflows float32: the one-pass check must confirm before it raises.
    x = gt.full((1000,), 1e30)
    with gt.autograd.detect_anomaly():
        y = x * 1.5
    assert np.isfinite(y.numpy()).all()


@pytest.mark.parametrize("arr, bad", [
    (np.ones(5, np.float32), False),
    (np.array([1, np.nan], np.float32), True),
    (np.array([1, -np.inf], np.float64), True),
    (np.full(4, 3e38, np.float32), False),           # the dot product overflows, the values do not
    (np.array([300, np.inf], np.float16), True),
    (np.full(3, 300, np.float16), False),            # 300 * 300 overflows float16
    (np.ones((4, 4), np.float32)[:, 1], False),      # strided view
    (np.eye(3)[::2].T.copy(order="F"), False),       # Fortran order
    (np.array([[1, 2], [np.nan, 4]]).T, True),
    (np.array([1 + 1j, complex(0, np.inf)]), True),
    (np.array([1, 2], np.int64), False),
    (np.zeros((0, 3), np.float32), False),
])
def test_not_finite_check(arr, bad):
    assert anomaly_mode._not_finite(arr) is bad


# ------------------------------------------------------------------------------ backward
def sqrt_times_zero(t):
    x = t.zeros(3, requires_grad=True)
    loss = (x.sqrt() * 0).sum()  # PLANTED-SQRT0
    loss.backward()


def test_backward_nan_matches_torch():
    # Forward is finite (sqrt(0) * 0 = 0); backward 0 / (2 * sqrt(0)) is NaN, in both frameworks.
    with torch.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as torch_info:
            sqrt_times_zero(torch)
    with gt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as gt_info:
            sqrt_times_zero(gt)
    first = "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert str(torch_info.value).splitlines()[0] == first
    msg = str(gt_info.value)
    assert msg.splitlines()[0] == first
    assert "Traceback of forward call that caused the error:" in msg
    assert site_text("PLANTED-SQRT0") + ", in sqrt_times_zero" in msg
    assert "loss = (x.sqrt() * 0).sum()" in msg
    assert "gradient received (grad_output 0): shape [3], float32: min 0, max 0" in msg
    assert "saved output: shape [3], float32: min 0, max 0" in msg
    assert "3 NaN, 0 Inf" in msg
    assert gt_info.value.phase == "backward" and gt_info.value.node._anomaly == msg


def make_nan_backward(t):
    class MyFunc(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")
    return MyFunc


def test_custom_function_backward_nan_matches_torch():
    messages = []
    for t in (torch, gt):
        fn = make_nan_backward(t)
        with t.autograd.detect_anomaly():
            x = t.ones(2, requires_grad=True)
            with pytest.raises(RuntimeError) as info:
                fn.apply(x).sum().backward()
        messages.append(str(info.value).splitlines()[0])
    assert messages[0] == messages[1] == "Function 'MyFuncBackward' returned nan values in its 0th output."


def test_backward_inf_is_caught_where_torch_is_silent():
    # d sqrt(x)/dx at 0 is +inf: torch checks only for NaN and lets it reach x.grad.
    with torch.autograd.detect_anomaly():
        x = torch.zeros(2, requires_grad=True)
        x.sqrt().sum().backward()
    assert torch.isinf(x.grad).all()
    with gt.autograd.detect_anomaly():
        x = gt.zeros(2, requires_grad=True)
        y = x.sqrt()  # PLANTED-SQRT-INF
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert msg.splitlines()[0] == "Function 'SqrtBackward0' returned inf values in its 0th output."
    assert site_text("PLANTED-SQRT-INF") in msg
    assert x.grad is None  # raised before the gradient was accumulated


class SqrtBlock(gt.nn.Module):
    def forward(self, x):
        return x.sqrt() * 0  # PLANTED-SQRT-MODULE


def test_backward_names_the_module_and_where_the_node_was_made():
    net = gt.nn.Sequential(gt.nn.ReLU(), gt.nn.Sequential(gt.nn.Identity(), SqrtBlock()))
    x = gt.zeros(2, 3, requires_grad=True)
    with gt.autograd.detect_anomaly():
        loss = net(x).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert msg.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert "module: 1.1 (SqrtBlock) in Sequential" in msg
    assert site_text("PLANTED-SQRT-MODULE") + ", in forward" in msg


def test_backward_check_without_forward_information():
    # Anomaly mode on only for backward: the check still finds the node, as torch does, and says
    # that no forward information was recorded.
    x = gt.zeros(3, requires_grad=True)
    loss = (x.sqrt() * 0).sum()
    with gt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    assert "No forward pass information available." in str(info.value)


def test_healthy_lenet_step_raises_nothing_and_changes_nothing():
    def step(anomaly: bool):
        gt.manual_seed(0)
        model = lenet(gt.nn)
        opt = gt.optim.SGD(model.parameters(), lr=0.1)
        x = gt.randn(8, 1, 28, 28)
        y = gt.tensor([0, 1, 2, 3, 4, 5, 6, 7])
        with gt.autograd.set_detect_anomaly(anomaly):
            loss = gt.nn.functional.cross_entropy(model(x), y)
            node = loss.grad_fn
            loss.backward()
            opt.step()
        return loss.item(), [p.detach().numpy().copy() for p in model.parameters()], node

    loss, params, node = step(True)
    ref_loss, ref_params, ref_node = step(False)
    assert loss == ref_loss
    for p, q in zip(params, ref_params):
        np.testing.assert_array_equal(p, q)
    # Every node made in anomaly mode knows the line that made it: here, this test's step().
    assert node._creation_site[0] == HERE and node._creation_site[2] == "step"
    assert "_creation_site" not in ref_node.__dict__


# --------------------------------------------------------------------------- the state
def test_state_api_matches_torch():
    seq = [(True, True), (True, False), (False, True), (False, False), (True, True)]
    for mode, check_nan in seq:
        torch.autograd.set_detect_anomaly(mode, check_nan)
        gt.autograd.set_detect_anomaly(mode, check_nan)
        assert (gt.autograd.is_anomaly_enabled(), gt.autograd.is_anomaly_check_nan_enabled()) == \
            (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    gt.autograd.set_detect_anomaly(False)
    torch.autograd.set_detect_anomaly(False)
    assert gt.autograd.is_anomaly_check_nan_enabled() == torch.is_anomaly_check_nan_enabled()


def test_one_observer_while_on_none_when_off():
    def count():
        return sum(isinstance(o, anomaly_mode._AnomalyObserver) for o in observe.observers)
    gt.autograd.set_detect_anomaly(True)
    gt.autograd.set_detect_anomaly(True)
    assert count() == 1
    gt.autograd.set_detect_anomaly(False)
    assert count() == 0


def test_nesting_restores_each_level():
    with gt.autograd.detect_anomaly():
        assert gt.autograd.is_anomaly_enabled() and gt.autograd.is_anomaly_check_nan_enabled()
        with gt.autograd.detect_anomaly(check_nan=False):
            assert gt.autograd.is_anomaly_check_nan_enabled() is False
            with gt.autograd.set_detect_anomaly(False):
                assert not gt.autograd.is_anomaly_enabled()
                gt.log(gt.zeros(1))  # off: no check
            assert gt.autograd.is_anomaly_enabled()
            gt.log(gt.zeros(1))      # on, but check_nan=False: sites only
        assert gt.autograd.is_anomaly_check_nan_enabled() is True
        with pytest.raises(RuntimeError):
            gt.log(gt.zeros(1))
    assert not gt.autograd.is_anomaly_enabled()


def test_check_nan_false_records_sites_only():
    x = gt.zeros(2, requires_grad=True)
    with gt.autograd.detect_anomaly(check_nan=False):
        y = gt.log(x)  # PLANTED-NOCHECK
    assert y.grad_fn._creation_site == (HERE, line_of("PLANTED-NOCHECK"), "test_check_nan_false_records_sites_only")
    assert "_anomaly" not in y.grad_fn.__dict__


def test_state_restored_after_an_exception():
    with pytest.raises(RuntimeError):
        with gt.autograd.detect_anomaly():
            gt.log(gt.zeros(2))
    assert not gt.autograd.is_anomaly_enabled()
    with pytest.raises(ValueError):
        with gt.autograd.set_detect_anomaly(True, check_nan=False):
            raise ValueError
    assert not gt.autograd.is_anomaly_enabled() and gt.autograd.is_anomaly_check_nan_enabled()


def test_decorator_form():
    @gt.autograd.detect_anomaly()
    def planted(x):
        assert gt.autograd.is_anomaly_enabled()
        return gt.log(x)

    @gt.autograd.detect_anomaly()
    def countdown(n):
        # The same object entered again, recursively: each exit restores its own entry.
        return 0 if n == 0 else countdown(n - 1) + 1

    assert planted.__name__ == "planted"
    with pytest.raises(RuntimeError, match="LogBackward0"):
        planted(gt.zeros(2))
    assert not gt.autograd.is_anomaly_enabled()
    assert countdown(3) == 3
    assert not gt.autograd.is_anomaly_enabled()


def test_warns_as_torch():
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        gt.autograd.detect_anomaly()
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.autograd.detect_anomaly()
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert ours[0].filename == HERE  # points at the caller, as torch's stacklevel=2


def test_error_is_a_runtime_error():
    assert issubclass(anomaly_mode.AnomalyError, RuntimeError)


def test_module_path():
    inner = gt.nn.Linear(2, 2)
    shared = gt.nn.Sequential(inner)
    root = gt.nn.Sequential(gt.nn.ReLU(), shared)
    assert anomaly_mode.module_path(()) is None
    assert anomaly_mode.module_path((root,)) == "Sequential (the outermost module)"
    assert anomaly_mode.module_path((root, shared, inner)) == "1.0 (Linear) in Sequential"
    # A grandchild called directly by the root (no Sequential.__call__ in between).
    assert anomaly_mode.module_path((root, inner)) == "1.0 (Linear) in Sequential"
    # A module made on the fly, no submodule of its caller.
    assert anomaly_mode.module_path((root, gt.nn.Tanh())) == "<Tanh> (Tanh) in Sequential"
