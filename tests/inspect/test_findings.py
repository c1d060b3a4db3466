"""The rules of glasstorch/inspect/findings.py, on the bad-training zoo (tests/inspect/zoo.py) and the examples.

Each broken program must raise exactly its own kind of finding, with a sensible module, step,
value and threshold; the healthy controls and the six examples must raise none.
"""
import json
import math
import os
import re
import subprocess
import sys
import time
import warnings

import pytest

from glasstorch.inspect import findings as fd
import zoo

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _run(name):
    fn, kind = zoo.PROGRAMS[name]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the NaN program's log(0), on purpose
        trace = fn()
    seconds = time.perf_counter() - t0
    return trace, trace.findings(), kind, seconds


def _one(found, kind):
    mine = [f for f in found if f.kind == kind]
    assert len(mine) == 1, [str(f) for f in found]
    return mine[0]


# ------------------------------------------------------------------ exactly one kind each
@pytest.mark.parametrize("name", list(zoo.PROGRAMS))
def test_each_broken_program_raises_exactly_its_finding(name):
    trace, found, kind, seconds = _run(name)
    assert {f.kind for f in found} == {kind}, [str(f) for f in found]
    assert seconds < 3.0, seconds
    for f in found:
        text = str(f)
        assert text.startswith(f"[{kind}]") and "Fix: " in text and f.message and f.fix
        assert isinstance(f.step, int) and 0 <= f.step < trace.step
        assert math.isfinite(f.value) and math.isfinite(f.threshold)


@pytest.mark.parametrize("name", list(zoo.HEALTHY))
def test_healthy_controls_raise_nothing(name):
    assert [str(f) for f in zoo.HEALTHY[name]().findings()] == []


# ------------------------------------------------------------------ where, when, how much
def test_dead_relu_names_the_relu():
    _, found, _, _ = _run("dead_relu")
    f = _one(found, "dead_relu")
    assert f.module == "1" and f.node == "ReluBackward0"
    assert f.threshold == fd.DEAD_RELU and f.value == pytest.approx(0.75) and f.step == 0


def test_saturated_sigmoid_names_the_sigmoid():
    _, found, _, _ = _run("saturated_sigmoid")
    f = _one(found, "saturated_activation")
    assert f.module == "1" and f.node == "SigmoidBackward0" and "sigmoid" in f.message
    assert f.threshold == fd.SATURATED and 0.6 < f.value <= 1.0 and f.step == 0


def test_vanishing_gradients_compare_the_first_and_last_weights():
    trace, found, _, _ = _run("vanishing_gradients")
    f = _one(found, "vanishing_gradients")
    assert f.module == "0.weight" and "16.weight" in f.message
    assert f.threshold == fd.VANISHING and f.value < 1e-3 * fd.VANISHING
    assert f.step == trace.history("0.weight")["step"][-3]   # the last tenth of 30 steps


def test_exploding_gradients_against_the_weights_they_update():
    _, found, _, _ = _run("exploding_gradients")
    f = _one(found, "exploding_gradients")
    assert f.module.endswith(".weight") and f.module == "8.weight"   # the worst of the nine weights
    assert f.threshold == fd.GRAD_WEIGHT and f.value > 100 * fd.GRAD_WEIGHT and f.step == 0


def test_update_ratio_too_high_and_too_low():
    _, found, _, _ = _run("update_ratio_high")
    f = _one(found, "update_ratio")
    assert f.module == "weight" and f.threshold == fd.UPDATE_HIGH and 0.5 < f.value < 2.5
    assert "too big" in f.message and f.fix == "lower the learning rate"
    _, found, _, _ = _run("update_ratio_low")
    f = _one(found, "update_ratio")   # the head, at its right lr, is not named
    assert f.module == "body.weight" and f.threshold == fd.UPDATE_LOW and f.value < fd.UPDATE_LOW
    assert "too small" in f.message and f.step == 0


def test_no_gradient_names_the_unused_parameters():
    _, found, _, _ = _run("no_gradient")
    assert sorted(f.module for f in found) == ["unused.bias", "unused.weight"]


def test_nonfinite_names_the_op_and_the_module():
    _, found, _, _ = _run("nonfinite")
    f = _one(found, "nonfinite")
    assert f.node == "LogBackward0" and "LogBackward0" in f.message and f.module == "0"
    assert f.step == 12 and f.extra["phase"] == "forward"
    assert (f.extra["nan_count"], f.extra["inf_count"]) == (0, 1) and f.value == 1.0


def test_loss_flat_and_loss_spike():
    _, found, _, _ = _run("loss_flat")
    f = _one(found, "loss_flat")
    assert f.value < fd.FLAT and f.threshold == fd.FLAT and f.step == 0 and "30 steps" in f.message
    _, found, _, _ = _run("loss_spike")
    f = _one(found, "loss_spike")
    assert f.step == 30 and f.value > 10 * fd.SPIKE and f.threshold == fd.SPIKE


def test_probabilities_to_a_loss_that_expects_logits():
    _, found, _, _ = _run("softmax_into_cross_entropy")
    f = _one(found, "probabilities_to_logits")
    assert f.node == "SoftmaxBackward0" and "CrossEntropyLoss" in f.message and "softmax" in f.message
    assert f.module == "CrossEntropyLoss" and f.step == 0   # the loss module, called outside the model
    _, found, _, _ = _run("sigmoid_into_bce_with_logits")
    f = _one(found, "probabilities_to_logits")
    assert f.node == "SigmoidBackward0" and "BCEWithLogitsLoss" in f.message
    assert f.module == "" and f.step == 0   # F.binary_cross_entropy_with_logits runs outside any module


def test_unnormalised_input():
    trace, found, _, _ = _run("unnormalised_input")
    f = _one(found, "unnormalised_input")
    assert f.module == "input" and f.threshold == fd.INPUT_SCALE
    assert 100 < f.value < 160 and f.value == pytest.approx(trace.history("input")["mean"][0], rel=1e-6)


def test_every_threshold_is_a_documented_constant():
    documented = {m.group(1): float(m.group(2))
                  for m in re.finditer(r"``(_?[A-Z][A-Z_]*) = ([-+0-9.e]+)``", " ".join(fd.__doc__.split()))}
    constants = {n: v for n, v in vars(fd).items() if n.isupper() and isinstance(v, (int, float))}
    assert set(documented) == set(constants)
    for name, value in constants.items():
        assert documented[name] == value, name


# ------------------------------------------------------------------ the examples raise none
EXAMPLE_RUNS = [
    ("autograd_basics.py", ["--epochs", "100"]),
    ("polynomial_fit.py", []),
    ("mlp_sin.py", ["--epochs", "20"]),
    ("binary_classifier.py", []),
    ("lenet.py", ["--epochs", "3"]),
    ("mnist_mlp.py", ["--epochs", "2"]),
]


@pytest.mark.parametrize("script,args", EXAMPLE_RUNS, ids=[c[0] for c in EXAMPLE_RUNS])
def test_the_examples_raise_no_finding(script, args, tmp_path):
    proc = subprocess.run([sys.executable, script, *args, "--report", "--out", str(tmp_path)], cwd=EXAMPLES,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads((tmp_path / "findings.json").read_text())
    assert found == [], json.dumps(found, indent=1)
    assert (tmp_path / "report.html").stat().st_size > 0
