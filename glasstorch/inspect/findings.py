"""What looks wrong in a recorded run, in plain words: one rule per finding, each with its threshold.

``diagnose(trace)`` runs every rule on a ``Trace`` and returns the findings, each a ``Finding``
with the measured number, the threshold it crossed, the step it began, the module (or op) where it
sits and a one-line fix. The rules and their thresholds:

==========================  =====================================================================
kind                        fires when
==========================  =====================================================================
``nonfinite``               an op made NaN or Inf from finite inputs (forward or backward); the
                            first such op is named
``dead_relu``               at the last recorded step, more than ``DEAD_RELU = 0.5`` of a ReLU's
                            units are 0 for every sample of the batch
``saturated_activation``    at the last recorded step, at least ``SATURATED = 0.5`` of a sigmoid's
                            outputs lie within 0.01 of 0 or 1 (a tanh's within 0.02 of -1 or 1)
``vanishing_gradients``     the RMS gradient of the first layer's weight is below
                            ``VANISHING = 1e-3`` times the last layer's (median over the last
                            steps)
``exploding_gradients``     that ratio is above ``EXPLODING = 1e3``; or a weight's gradient norm is
                            above ``GRAD_WEIGHT = 1e3`` times the weight's own norm (median over the
                            last steps: plain SGD at lr 1e-3 would move it by more than its whole size
                            each step); or the total gradient norm grew above ``GROWTH = 1e3`` times
                            its median over the first steps
``update_ratio``            a weight's median update/weight ratio (its real change over
                            ``optimizer.step()`` over its norm) is above ``UPDATE_HIGH = 1e-1`` or
                            below ``UPDATE_LOW = 1e-6``: 100 times from the usual ~1e-3. "Too low"
                            is judged only on the steps where the weight's gradient is at least
                            ``UPDATE_LIVE_GRAD = 1e-2`` of its largest in the run: a weight that has
                            converged (its gradient gone) rightly stops moving
``no_gradient``             a parameter that requires grad had no gradient at any recorded step
                            while other parameters had one
``loss_flat``               over at least ``FLAT_MIN_STEPS = 20`` logged steps the loss moved by less
                            than ``FLAT = 1e-3`` of its start (median of the first and last tenths)
``loss_spike``              a logged loss above ``SPIKE = 10`` times the median of the
                            ``SPIKE_WINDOW = 20`` losses before it (and above their largest), by at
                            least ``SPIKE_SCALE = 0.25`` of the loss at the start (so that noise on a
                            loss near 0 is not a spike)
``probabilities_to_logits`` a loss that expects logits (``CrossEntropyLoss``, ``BCEWithLogitsLoss``)
                            was fed the output of softmax / sigmoid
``unnormalised_input``      the model's input has a median ``|mean|`` or std above ``INPUT_SCALE =
                            10`` over the recorded steps
==========================  =====================================================================

"The last steps" are the last ``_TAIL = 0.1`` of the recorded steps (at least one). Each rule reads
only the trace's statistics; none needs a tensor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import median

__all__ = ["Finding", "diagnose", "RULES"]

DEAD_RELU = 0.5
SATURATED = 0.5
VANISHING = 1e-3
EXPLODING = 1e3
GRAD_WEIGHT = 1e3
GROWTH = 1e3
UPDATE_HIGH = 1e-1
UPDATE_LOW = 1e-6
UPDATE_LIVE_GRAD = 1e-2
FLAT = 1e-3
FLAT_MIN_STEPS = 20
SPIKE = 10.0
SPIKE_WINDOW = 20
SPIKE_SCALE = 0.25
INPUT_SCALE = 10.0
# "The last steps": the last tenth of the recorded steps, at least one.
_TAIL = 0.1


@dataclass
class Finding:
    """One thing that looks wrong: what, where, since when, by how much, and what to try."""
    kind: str
    module: str
    step: int
    value: float
    threshold: float
    message: str
    fix: str
    node: str = ""                       # the graph node (op) involved, where there is one
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        where = f" in {self.module}" if self.module else ""
        return f"[{self.kind}]{where} from step {self.step}: {self.message} Fix: {self.fix}"


def _finite(values) -> list:
    return [v for v in values if not math.isnan(v)]


def _tail(values: list) -> list:
    n = max(1, int(len(values) * _TAIL))
    return values[-n:]


def _final_run_start(steps, values, above) -> int:
    """The first step of the last unbroken run of recorded values for which ``above(value)`` holds."""
    start = steps[-1]
    for s, v in zip(reversed(steps), reversed(values)):
        if math.isnan(v) or not above(v):
            break
        start = s
    return start


# ------------------------------------------------------------------ rules
def nonfinite(trace) -> list[Finding]:
    f = trace.first_nonfinite
    if f is None:
        return []
    count = f"{f['nan_count']} NaN and {f['inf_count']} Inf"
    return [Finding("nonfinite", f["module"] or f["site"], f["step"], float(f["nan_count"] + f["inf_count"]), 0.0,
                    f"{f['op']} made {count} values in {f['phase']} from finite inputs; everything after it "
                    f"is poisoned.",
                    "look at that op's inputs (log of 0, division by 0, sqrt of a negative, exp overflow): "
                    "clamp them, add an eps, or lower the learning rate; "
                    "glasstorch.autograd.detect_anomaly() stops at the line", node=f["op"], extra=dict(f))]


def dead_relu(trace) -> list[Finding]:
    out = []
    for name, s in trace.sites.items():
        if s.info.get("activation") != "relu" or "dead_frac" not in s.columns:
            continue
        vals = s.column("dead_frac")
        last = vals[-1]
        if not math.isnan(last) and last > DEAD_RELU:
            start = _final_run_start(list(s.steps), vals, lambda v: v > DEAD_RELU)
            out.append(Finding("dead_relu", name, start, last, DEAD_RELU,
                               f"{100 * last:.0f}% of this ReLU's units output 0 for every sample of the batch "
                               f"(threshold {100 * DEAD_RELU:.0f}%): they get no gradient and no longer learn.",
                               "lower the learning rate, initialise with nn.init.kaiming_uniform_ and a small "
                               "positive bias, or use LeakyReLU", node="ReluBackward0"))
    return out


def saturated_activation(trace) -> list[Finding]:
    out = []
    for name, s in trace.sites.items():
        kind = s.info.get("activation")
        if kind not in ("sigmoid", "tanh") or "saturated_frac" not in s.columns:
            continue
        vals = s.column("saturated_frac")
        last = vals[-1]
        if not math.isnan(last) and last >= SATURATED:
            start = _final_run_start(list(s.steps), vals, lambda v: v >= SATURATED)
            edge = "0 or 1" if kind == "sigmoid" else "-1 or 1"
            out.append(Finding("saturated_activation", name, start, last, SATURATED,
                               f"{100 * last:.0f}% of this {kind}'s outputs are pinned near {edge} "
                               f"(threshold {100 * SATURATED:.0f}%), where its gradient is almost 0.",
                               "normalise the inputs, use a smaller init (nn.init.xavier_uniform_), add "
                               "BatchNorm before it, or use ReLU", node=f"{kind.capitalize()}Backward0"))
    return out


def _weights(trace) -> list:
    """Weight matrices / kernels in model order (biases and 1-d parameters left out)."""
    ws = []
    for name, s in trace.params.items():
        if s.last("numel", 0) > 1 and "grad_norm" in s.columns and not name.endswith("bias"):
            if not math.isnan(s.last("weight_norm")):
                ws.append((name, s))
    return ws


def _rms_grad(s) -> list:
    n = s.last("numel", 1)
    return [g / math.sqrt(n) for g in s.column("grad_norm")]


def gradient_depth(trace) -> list[Finding]:
    ws = _weights(trace)
    out = []
    if len(ws) >= 3:
        (first_name, first), (last_name, last) = ws[0], ws[-1]
        a, b = _finite(_tail(_rms_grad(first))), _finite(_tail(_rms_grad(last)))
        if a and b and median(b) > 0:
            ratio = median(a) / median(b)
            step = first.steps[-len(_tail(list(first.steps)))]
            if ratio < VANISHING:
                out.append(Finding("vanishing_gradients", first_name, step, ratio, VANISHING,
                                   f"the first layer's RMS gradient is {ratio:.2g} times the last layer's "
                                   f"({first_name} against {last_name}; threshold {VANISHING:g}): the early "
                                   f"layers barely learn.",
                                   "use ReLU instead of sigmoid/tanh, a variance-preserving init "
                                   "(xavier/kaiming), normalisation layers or residual connections"))
            elif ratio > EXPLODING:
                out.append(Finding("exploding_gradients", first_name, step, ratio, EXPLODING,
                                   f"the first layer's RMS gradient is {ratio:.2g} times the last layer's "
                                   f"({first_name} against {last_name}; threshold {EXPLODING:g}): gradients grow "
                                   f"through depth.",
                                   "use a smaller init, normalisation layers, or clip with "
                                   "nn.utils.clip_grad_norm_"))
    if out:
        return out
    # Gradients far larger than the weights they update. In a deep net that is homogeneous (linear,
    # ReLU) the weight gradients of all layers grow together with depth, so the ratio above stays
    # near 1 however large the init: only their size against the weights shows it.
    worst = None
    for name, s in ws:
        ratios = [g / w if w > 0 else math.nan for g, w in zip(s.column("grad_norm"), s.column("weight_norm"))]
        tail = _finite(_tail(ratios))
        if tail and (worst is None or median(tail) > worst[1]):
            worst = (name, median(tail), s, ratios)
    if worst is not None and worst[1] > GRAD_WEIGHT:
        name, value, s, ratios = worst
        step = _final_run_start(list(s.steps), ratios, lambda v: v > GRAD_WEIGHT)
        return [Finding("exploding_gradients", name, step, value, GRAD_WEIGHT,
                        f"this weight's gradient norm is {value:.3g} times its own norm (median over the last "
                        f"steps; threshold {GRAD_WEIGHT:g}): plain SGD at lr 1e-3 would move it by more than "
                        f"its whole size each step.",
                        "use the default init or kaiming/xavier (not a larger one), normalise inputs and "
                        "targets, add normalisation layers, or clip with nn.utils.clip_grad_norm_")]
    # Growth over time of the total gradient norm.
    all_params = list(trace.params.values())
    if not all_params:
        return out
    steps = list(all_params[0].steps)
    totals = []
    for i in range(len(steps)):
        sq = [s.columns["grad_norm"][i] ** 2 for s in all_params
              if "grad_norm" in s.columns and i < len(s.columns["grad_norm"])
              and not math.isnan(s.columns["grad_norm"][i])]
        totals.append(math.sqrt(sum(sq)) if sq else math.nan)
    head = _finite(totals[:5])
    if len(head) >= 3 and median(head) > 0:
        base = median(head)
        for s, t in zip(steps, totals):
            if not math.isnan(t) and (t > GROWTH * base or math.isinf(t)):
                out.append(Finding("exploding_gradients", "", s, t / base, GROWTH,
                                   f"the total gradient norm reached {t:.3g}, {t / base:.3g} times its value over "
                                   f"the first steps (threshold {GROWTH:g}).",
                                   "lower the learning rate or clip with nn.utils.clip_grad_norm_"))
                break
    return out


def update_ratio(trace) -> list[Finding]:
    out = []
    for name, s in _weights(trace):
        col = s.column("update_ratio")
        vals = _finite(col)
        if not vals:
            continue
        med = median(vals)
        high = med > UPDATE_HIGH
        if not high:
            # Too low only while there is something to learn: a converged weight has no gradient left.
            grads = s.column("grad_norm")
            live = max(_finite(grads), default=0.0) * UPDATE_LIVE_GRAD
            col = [v if g >= live and g > 0 else math.nan for v, g in zip(col, grads)]
            vals = _finite(col)
            if not vals:
                continue
            med = median(vals)
        if high or med < UPDATE_LOW:
            thr = UPDATE_HIGH if high else UPDATE_LOW
            step = next(st for st, v in zip(s.steps, col)
                        if not math.isnan(v) and ((v > UPDATE_HIGH) if high else (v < UPDATE_LOW)))
            out.append(Finding("update_ratio", name, step, med, thr,
                               f"each step changes this weight by {med:.2g} of its norm (median; threshold "
                               f"{thr:g}, healthy is about 1e-3): {'too big, training is unstable' if high else 'too small, it barely moves'}.",
                               "lower the learning rate" if high else
                               "raise the learning rate, or check that weight decay or a tiny gradient "
                               "is not cancelling the update"))
    return out


def no_gradient(trace) -> list[Finding]:
    out = []
    anyone = any("has_grad" in s.columns and any(v == 1.0 for v in s.columns["has_grad"])
                 for s in trace.params.values())
    if not anyone:
        return out
    for name, s in trace.params.items():
        if s.last("requires_grad", 1.0) != 1.0:
            continue
        if all(v != 1.0 for v in s.column("has_grad")):
            out.append(Finding("no_gradient", name, s.steps[0], 0.0, 0.0,
                               "this parameter requires grad but never got a gradient: the loss does not "
                               "depend on it.",
                               "check that its module is called in forward and that its path to the loss is "
                               "not cut (.detach(), .data, .item(), no_grad); or freeze it with "
                               "requires_grad_(False)"))
    return out


def _loss_series(trace):
    s = trace.scalars.get("loss")
    return (list(s.steps), s.column("value")) if s is not None else ([], [])


def loss_flat(trace) -> list[Finding]:
    steps, vals = _loss_series(trace)
    vals = [v for v in vals if math.isfinite(v)]
    if len(vals) < FLAT_MIN_STEPS:
        return []
    k = max(2, len(vals) // 10)
    start, end = median(vals[:k]), median(vals[-k:])
    scale = max(abs(start), 1e-12)
    change = abs(start - end) / scale
    if change < FLAT:
        return [Finding("loss_flat", "", steps[0], change, FLAT,
                        f"over {len(vals)} steps the loss moved by {change:.2g} of its start (threshold {FLAT:g}): "
                        f"the model is not learning.",
                        "check that optimizer.step() is called with the model's parameters, that the learning "
                        "rate is not 0 or tiny, and that the gradients reach the weights")]
    return []


def loss_spike(trace) -> list[Finding]:
    steps, vals = _loss_series(trace)
    start = _finite(vals[:SPIKE_WINDOW])
    scale = abs(median(start)) if start else 0.0
    for i in range(SPIKE_WINDOW, len(vals)):
        window = [v for v in vals[i - SPIKE_WINDOW:i] if math.isfinite(v)]
        if len(window) < SPIKE_WINDOW // 2:
            continue
        ref = median(window)
        v = vals[i]
        if ref > 0 and math.isfinite(v) and v > SPIKE * ref and v > max(window) and v - ref >= SPIKE_SCALE * scale:
            return [Finding("loss_spike", "", steps[i], v / ref, SPIKE,
                            f"the loss jumped to {v:.4g}, {v / ref:.3g} times the median of the {SPIKE_WINDOW} "
                            f"steps before (threshold {SPIKE:g}).",
                            "lower the learning rate, add warm-up, or clip gradients with "
                            "nn.utils.clip_grad_norm_; check for bad samples in that batch")]
    return []


def probabilities_to_logits(trace) -> list[Finding]:
    out = []
    for e in trace.loss_inputs:
        out.append(Finding("probabilities_to_logits", e["module"], e["step"], 1.0, 0.0,
                           f"{e['loss']} expects logits but was given the output of {e['made_by']}: it applies "
                           f"{'log_softmax' if e['made_by'] == 'softmax' else 'sigmoid'} itself, so the gradient "
                           f"is squashed twice.",
                           f"remove the {e['made_by']} before the loss (apply it only for predictions)",
                           node=f"{e['made_by'].capitalize()}Backward0"))
    return out


def unnormalised_input(trace) -> list[Finding]:
    s = trace.inputs
    means = _finite([abs(v) for v in s.column("mean")])
    stds = _finite(s.column("std"))
    if not means:
        return []
    m, sd = median(means), median(stds)
    value = max(m, sd)
    if value > INPUT_SCALE:
        return [Finding("unnormalised_input", "input", s.steps[0], value, INPUT_SCALE,
                        f"the model's input has mean {m:.3g} and std {sd:.3g} (threshold {INPUT_SCALE:g}): "
                        f"far from the zero-mean, unit-scale values that default inits assume.",
                        "standardise the inputs: (x - mean) / std over the training set, "
                        "e.g. transforms.Normalize, or divide pixels by 255")]
    return []


RULES = (nonfinite, dead_relu, saturated_activation, gradient_depth, update_ratio, no_gradient, loss_flat,
         loss_spike, probabilities_to_logits, unnormalised_input)


def diagnose(trace) -> list[Finding]:
    """Runs every rule on ``trace``; returns the findings, in the order of ``RULES``."""
    out = []
    for rule in RULES:
        out.extend(rule(trace))
    return out
