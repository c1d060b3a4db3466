"""``Trace``: a record of a training run, per module, per op and per step.

Example::

    with glasstorch.inspect.Trace(model, optimizer, every=1) as trace:
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)          # ends the step
    print(trace.table())
    for f in trace.findings():
        print(f)

How it sees the run. ``Trace`` is an observer on the one seam of ``glasstorch.autograd.observe``:
``Module.__call__`` tells it when each module starts and ends, ``Function.apply`` reports every op
and the engine every node's backward. So a functional ``F.relu`` is seen like a ``nn.ReLU``, and a
module called three times gives three series (``fc``, ``fc#2``, ``fc#3``). Nothing is patched and
nothing is removed on exit that the user put there.

What it keeps. At each recorded step (``step % every == 0``) it takes statistics of arrays as they
go by (``glasstorch.inspect.stats``) and keeps those numbers, never the tensors, so a long run
costs a few hundred bytes per series per step. On the other steps it does not listen at all, so
``every=10`` costs almost nothing. Scalars given to ``log`` are kept at every step.

What a "site" is. A *module call* (named by the module's path in the model, ``features.0``, with
``#k`` for the k-th call in one step) or a *functional op* run directly in a container's own
forward (``relu()``, ``block.add()``). Ops inside a leaf module (the matmul inside ``Linear``) belong
to that module's site: they are timed with it and checked for NaN/Inf, not listed on their own.

Steps. ``log()`` ends a step; call it once per iteration, after ``optimizer.step()``. If ``log`` is
never called, each ``optimizer.step()`` ends a step.
"""
from __future__ import annotations

import math
from array import array
from time import perf_counter

import numpy as np

from .. import _compiled, _parallel
from ..autograd import observe
from ..autograd.grad_mode import _state as _grad_state
from .stats import array_stats

__all__ = ["Trace", "HIST_BINS", "hist_edges"]

# Histograms are of |value| on a log scale: bin 0 counts exact zeros, then one bin per power of 2
# (``[2**(e-1), 2**e)`` for e from -26 to 14, about 1.5e-8 to 1.6e4; values outside fall in the end
# bins). One scale for every layer and step, so strips over time and across layers compare
# directly; powers of 2 because ``np.frexp`` gives them without a logarithm.
_HIST_E_LO, _HIST_E_HI = -26, 14
HIST_BINS = 1 + (_HIST_E_HI - _HIST_E_LO + 1)
# A histogram is taken on an evenly strided sample of at most this many elements: the shape of a
# distribution needs a few thousand values, not millions.
_HIST_SAMPLE = 4096
_HIST_RUN = 64

# Saturation: a sigmoid output within 0.01 of 0 or 1, a tanh output within 0.02 of -1 or 1
# (the derivative is then below about 0.01 of its peak).
_SIGMOID_EDGE = 0.01
_TANH_EDGE = 0.02

_ACTIVATIONS = {"ReluBackward0": "relu", "SigmoidBackward0": "sigmoid", "TanhBackward0": "tanh",
                "LeakyReluBackward0": "relu"}
_LOGIT_LOSSES = {"CrossEntropyBackward0": "CrossEntropyLoss",
                 "BinaryCrossEntropyWithLogitsBackward0": "BCEWithLogitsLoss"}
_PROB_OPS = {"SoftmaxBackward0": "softmax", "SigmoidBackward0": "sigmoid"}


# How to read a float's exponent from its bits: (int view, shift, exponent mask, mantissa mask,
# IEEE bias less one).
_FLOAT_BITS = {np.dtype(np.float32): (np.int32, 23, 0xFF, (1 << 23) - 1, 126),
               np.dtype(np.float64): (np.int64, 52, 0x7FF, (1 << 52) - 1, 1022)}


def hist_edges() -> np.ndarray:
    """The upper edges of the histogram bins after the zero bin (``HIST_BINS - 1`` values)."""
    return 2.0 ** np.arange(_HIST_E_LO, _HIST_E_HI + 1)


def log_histogram(arr: np.ndarray, finite: bool = False) -> np.ndarray:
    """Counts of ``|arr|`` in the trace's log-scale bins (NaN and Inf left out), as uint16.

    ``finite=True`` says the caller already knows ``arr`` holds no NaN or Inf.
    """
    flat = arr.reshape(-1)
    # Above _HIST_SAMPLE elements, 64 evenly spaced runs of 64 neighbours: one element per cache
    # line would cost a memory round trip per element on a large array.
    if flat.size > _HIST_SAMPLE:
        runs, run = _HIST_SAMPLE // _HIST_RUN, _HIST_RUN
        step = flat.size // runs
    else:
        runs, run, step = 1, flat.size, flat.size
    layout = _FLOAT_BITS.get(flat.dtype)
    kernels = _compiled.get() if layout is not None and flat.size else None
    if kernels is not None:
        # One compiled pass over the sample, reading the exponents from the bits; the same bins.
        counts = np.zeros(HIST_BINS, np.int64)
        kernels.log_bins(flat.view(layout[0]), *layout[1:], runs, step, run, _HIST_E_LO, _HIST_E_HI, counts)
        return counts.astype(np.uint16)
    if runs > 1:
        flat = flat[:runs * step].reshape(runs, step)[:, :run].reshape(-1)
    if flat.dtype.kind != "f":
        flat = flat.astype(np.float64)
    if not finite:
        flat = flat[np.isfinite(flat)]
    mant, exp = np.frexp(flat)          # |x| in [2**(exp-1), 2**exp)
    np.maximum(exp, _HIST_E_LO, out=exp)
    np.minimum(exp, _HIST_E_HI, out=exp)
    exp -= _HIST_E_LO - 1
    exp[mant == 0] = 0
    return np.bincount(exp, minlength=HIST_BINS).astype(np.uint16)


class Series:
    """Per-step numbers of one site, parameter or scalar: ``steps`` and one column per statistic.

    Columns are compact ``array('d')`` (NaN where a step has no value); histograms are kept per
    step as small uint16 arrays.
    """

    def __init__(self, name: str, kind: str, type_name: str = ""):
        self.name = name
        self.kind = kind          # "module", "op", "param", "scalar" or "input"
        self.type_name = type_name
        self.steps = array("q")
        self.columns: dict[str, array] = {}
        self.hists: dict[str, list] = {}
        self.info: dict = {}      # last-seen facts: output shape, module path, op name

    def add(self, step: int, values: dict, hists: dict | None = None) -> None:
        n = len(self.steps)
        self.steps.append(step)
        for key, value in values.items():
            col = self.columns.get(key)
            if col is None:
                col = self.columns[key] = array("d", [math.nan] * n)
            col.append(math.nan if value is None else float(value))
        for key, col in self.columns.items():
            if len(col) == n:
                col.append(math.nan)
        for key, h in (hists or {}).items():
            lst = self.hists.setdefault(key, [])
            lst.extend([None] * (n - len(lst)))
            lst.append(h)

    def last(self, key: str, default=math.nan) -> float:
        col = self.columns.get(key)
        return col[-1] if col else default

    def column(self, key: str) -> list:
        col = self.columns.get(key)
        return list(col) if col is not None else [math.nan] * len(self.steps)

    def as_dict(self) -> dict:
        out = {"step": list(self.steps)}
        out.update({k: list(v) for k, v in self.columns.items()})
        return out


class _Call:
    """One module call or functional op being recorded in the current step."""
    __slots__ = ("site", "module", "t0", "fwd", "bwd", "act", "grad", "act_hist", "grad_hist", "extra",
                 "shape", "last_op")

    def __init__(self, site: str, module=None):
        self.site = site
        self.module = module
        self.t0 = perf_counter()
        self.fwd = 0.0
        self.bwd = 0.0
        self.act = None
        self.grad = None
        self.act_hist = None
        self.grad_hist = None
        self.extra: dict = {}
        self.shape = None
        self.last_op = None


def _count_outside(arr: np.ndarray, lo: float, hi: float) -> int:
    """How many elements are below ``lo`` or above ``hi``, counted in parallel blocks when large."""
    flat = arr.reshape(-1)
    return sum(_parallel.split(lambda a, b: int(np.count_nonzero(flat[a:b] < lo) + np.count_nonzero(flat[a:b] > hi)),
                               flat.shape[0], flat.shape[0]))


def _first_tensor(obj):
    from .._tensor import Tensor
    if isinstance(obj, Tensor):
        return obj
    if isinstance(obj, (tuple, list)):
        for o in obj:
            t = _first_tensor(o)
            if t is not None:
                return t
    if isinstance(obj, dict):
        return _first_tensor(list(obj.values()))
    return None


def _op_name(cls) -> str:
    name = cls.name()
    for suffix in ("Backward0", "Backward"):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
            break
    return name.lower()


def _finite_quick(arr: np.ndarray, cache: list | None = None) -> bool:
    """True when ``arr`` holds no NaN or Inf: one dot product, and a full check only if it is not finite.

    With ``cache`` (a list), the dot product is left there as ``[arr, value]`` for ``array_stats``.
    """
    if arr.dtype.kind != "f" or arr.size == 0:
        return True
    flat = arr.reshape(-1)
    if flat.dtype == np.float16:
        flat = flat.astype(np.float32)
    sq = float(np.dot(flat, flat))   # no np.errstate: it costs more than the dot on small arrays
    if math.isfinite(sq):
        if cache is not None and arr.dtype != np.float16:
            cache[:] = [arr, sq]
        return True
    return bool(np.isfinite(arr).all())


class _Observer(observe.Observer):
    """The trace's ears on the seam; it forwards everything to the Trace."""

    def __init__(self, trace: "Trace"):
        self.t = trace

    def forward(self, cls, node, args, outputs, seconds):
        self.t._on_op(cls, node, args, outputs, seconds)

    def backward(self, node, grad_outputs, grad_inputs, seconds):
        self.t._on_backward(node, grad_outputs, grad_inputs, seconds)

    def module_enter(self, module, args):
        self.t._on_enter(module, args)

    def module_exit(self, module, output):
        self.t._on_exit(module, output)


class Trace:
    """Records statistics of a training run, per module call, functional op, parameter and step.

    Args:
        model: the model; its ``named_modules``/``named_parameters`` give the names. If None, the
            outermost module seen is used.
        optimizer: if given, ``optimizer.step()`` is watched: each parameter's gradient before it
            and its real change over it (the update/weight ratio, right for any optimizer).
        every: record statistics at steps ``0, every, 2 * every, ...``; scalars from ``log`` are
            kept at every step.
        record_no_grad: also record module calls under ``no_grad`` (evaluation passes); off by default
            so that a test-set pass in the middle of training does not add series.

    It is a context manager: entering starts listening, leaving removes every hook it added.
    """

    def __init__(self, model=None, optimizer=None, every: int = 1, record_no_grad: bool = False):
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        self.model = model
        self.optimizer = optimizer
        self.every = every
        self.record_no_grad = record_no_grad
        self.step = 0                      # the step being recorded now
        self.sites: dict[str, Series] = {}
        self.params: dict[str, Series] = {}
        self.scalars: dict[str, Series] = {}
        self.inputs = Series("input", "input")
        self.first_nonfinite: dict | None = None   # the op where NaN/Inf first appeared
        self.loss_inputs: list[dict] = []          # probabilities seen entering a loss that wants logits
        self.module_types: dict[str, str] = {}
        self._observer = _Observer(self)
        self._listening = False
        self._handles = []
        self._names: dict[int, str] | None = None
        self._param_names: dict[int, str] | None = None
        self._log_called = False
        self._events = 0
        self._reset_step()

    # ------------------------------------------------------------ context
    def __enter__(self) -> "Trace":
        if self.optimizer is not None:
            self._handles.append(self.optimizer.register_step_pre_hook(self._before_step))
            self._handles.append(self.optimizer.register_step_post_hook(self._after_step))
        self._listen(self._recording())
        return self

    def __exit__(self, *exc) -> None:
        self._listen(False)
        for h in self._handles:
            h.remove()
        self._handles.clear()
        if self._calls:   # a step in progress (no log after the last iteration): keep it
            self._flush()

    def _recording(self) -> bool:
        return self.step % self.every == 0

    def _listen(self, on: bool) -> None:
        if on and not self._listening:
            observe.add(self._observer)
        elif not on and self._listening:
            observe.remove(self._observer)
        self._listening = on

    # ------------------------------------------------------------- steps
    def log(self, **scalars) -> None:
        """Records scalars (tensors with one element, or numbers) for this step, then ends the step.

        Example: ``trace.log(loss=loss, acc=acc)``.
        """
        if not self._log_called and self._events == 0 and self.step > 0 and self._ended_by_optimizer:
            # The first step was ended by optimizer.step() before the first log(): these scalars
            # belong to that step, and from now on log() ends the steps.
            self._log_called = True
            self._add_scalars(self.step - 1, scalars)
            return
        self._log_called = True
        self._add_scalars(self.step, scalars)
        self._end_step()

    def _add_scalars(self, step: int, scalars: dict) -> None:
        for name, value in scalars.items():
            if hasattr(value, "item"):
                value = value.item()
            s = self.scalars.get(name)
            if s is None:
                s = self.scalars[name] = Series(name, "scalar")
            s.add(step, {"value": float(value)})

    def _end_step(self, by_optimizer: bool = False) -> None:
        if self._recording():
            self._flush()
        self.step += 1
        self._events = 0
        self._ended_by_optimizer = by_optimizer
        self._reset_step()
        self._listen(self._recording())

    def _reset_step(self) -> None:
        self._calls: list[_Call] = []        # every recorded call of this step, in order
        self._stack: list[_Call] = []        # the module calls running now
        self._counts: dict[str, int] = {}    # site path -> calls so far this step
        self._node_outputs: dict[int, list] = {}   # id(node) -> [(call, output_nr)] whose output it made
        self._node_owner: dict[int, _Call] = {}    # id(node) -> the call that ran it
        self._param_step: dict[str, dict] = {}
        self._sq_cache: list = []                  # [array, dot(array, array)] of the last op output checked
        self._last_output: list = []               # [array, Stats, histogram] of the last output measured
        self._grad_sq: dict = {}                   # (id(node), nr) -> [gradient array, its dot product]
        self._leaf_grads: dict[int, object] = {}
        self._ended_by_optimizer = getattr(self, "_ended_by_optimizer", False)

    # ------------------------------------------------------------- names
    def _module_name(self, module) -> str:
        if self._names is None or id(module) not in self._names:
            root = self.model
            if root is None:
                chain = observe.module_chain()
                root = chain[0] if chain else module
                if self.model is None:
                    self.model = root
            self._names = {}
            for name, m in root.named_modules():
                self._names.setdefault(id(m), name)
            if id(module) not in self._names:
                self._names[id(module)] = type(module).__name__
        return self._names[id(module)]

    def _param_name(self, p) -> str:
        if self._param_names is None or id(p) not in self._param_names:
            self._param_names = {}
            if self.model is not None:
                for name, q in self.model.named_parameters():
                    self._param_names.setdefault(id(q), name)
            if self.optimizer is not None:
                i = 0
                for g in self.optimizer.param_groups:
                    for q in g["params"]:
                        self._param_names.setdefault(id(q), f"param{i}")
                        i += 1
            if id(p) not in self._param_names:
                self._param_names[id(p)] = f"param{len(self._param_names)}"
        return self._param_names[id(p)]

    def _site_name(self, base: str) -> str:
        k = self._counts.get(base, 0) + 1
        self._counts[base] = k
        return base if k == 1 else f"{base}#{k}"

    # --------------------------------------------------------- callbacks
    def _on_enter(self, module, args) -> None:
        if not (_grad_state.enabled or self.record_no_grad):
            return
        self._events += 1
        outermost = not self._stack
        path = self._module_name(module)
        self.module_types[path] = type(module).__name__
        call = _Call(self._site_name(path or type(module).__name__), module)
        call.extra["path"] = path
        self._stack.append(call)
        self._calls.append(call)
        if outermost and (self.model is None or module is self.model):   # not a loss module called after it
            x = _first_tensor(args)
            if x is not None and x._data.dtype.kind == "f":
                s = array_stats(x._data)
                self.inputs.add(self.step, {"mean": s.mean, "std": s.std, "abs_max": s.abs_max,
                                            "nan_count": s.nan_count, "inf_count": s.inf_count})

    def _on_exit(self, module, output) -> None:
        if not self._stack or self._stack[-1].module is not module:
            return
        call = self._stack.pop()
        call.fwd = perf_counter() - call.t0
        out = _first_tensor(output)
        if out is None:
            return
        # What made the output: its node, or (under no_grad) the last op a leaf module ran. A
        # container's own last op says nothing of its output (``head(sigmoid(fc(x)))``).
        made_by = out._grad_fn.name() if out._grad_fn is not None else (None if module._modules else call.last_op)
        self._take_output(call, out, made_by)
        if out._grad_fn is not None:
            self._node_outputs.setdefault(id(out._grad_fn), []).append((call, out._output_nr))

    def _take_output(self, call: _Call, out, op_kind) -> None:
        arr = out._data
        call.shape = tuple(arr.shape)
        if arr.dtype.kind not in "fc":
            return
        last = self._last_output
        if last and last[0] is arr:
            # A container's output is usually its last child's, just measured: the same numbers.
            call.act, call.act_hist = last[1], last[2]
        else:
            cached = self._sq_cache
            call.act = array_stats(arr, sq=cached[1] if cached and cached[0] is arr else None)
            call.act_hist = log_histogram(arr, finite=call.act.finite)
            self._last_output = [arr, call.act, call.act_hist]
        kind = _ACTIVATIONS.get(op_kind)
        if kind == "relu" and arr.ndim >= 1 and arr.size:
            # A unit is dead on this batch when it is 0 for every sample: per feature (and channel
            # for images), over the batch dim.
            units = arr.reshape(arr.shape[0], -1) if arr.ndim > 1 else arr.reshape(1, -1)
            call.extra["dead_frac"] = 1.0 - np.count_nonzero(units.any(axis=0)) / units.shape[1]
        elif kind == "sigmoid":
            call.extra["saturated_frac"] = _count_outside(arr, _SIGMOID_EDGE, 1 - _SIGMOID_EDGE) / arr.size
        elif kind == "tanh":
            call.extra["saturated_frac"] = _count_outside(arr, _TANH_EDGE - 1, 1 - _TANH_EDGE) / arr.size
        if kind:
            call.extra["activation"] = kind

    def _on_op(self, cls, node, args, outputs, seconds) -> None:
        self._last_output = []   # an op (perhaps in-place) ran since: no reuse of the last numbers
        name = cls.name()
        owner = self._stack[-1] if self._stack else None
        if owner is not None:
            owner.last_op = name
        call = None
        # A functional op: run in a container's own forward or outside any module, and part of
        # the graph (so that ``(logits.argmax(1) == y).sum()`` for an accuracy is not a site).
        inside_leaf = owner is not None and not owner.module._modules
        out = outputs[0] if outputs else None
        if not inside_leaf and hasattr(out, "_data") and (
                node is not None or (self.record_no_grad and owner is not None)):
            base = owner.extra["path"] + "." if owner is not None and owner.extra.get("path") else ""
            call = _Call(self._site_name(base + _op_name(cls) + "()"))
            call.fwd = seconds
            call.extra["op"] = name
            call.extra["path"] = owner.extra["path"] if owner is not None else ""
            self._calls.append(call)
        where = call if call is not None else owner
        if node is not None and where is not None:
            self._node_owner[id(node)] = where
        self._check_outputs(cls, args, outputs, "forward", where)
        if name in _LOGIT_LOSSES:
            self._check_loss_input(name, args, owner)
        if call is not None:
            self._take_output(call, out, name)
            if node is not None:
                self._node_outputs.setdefault(id(node), []).append((call, 0))

    def _check_outputs(self, cls, args, outputs, phase: str, owner) -> None:
        if self.first_nonfinite is not None:
            return
        bad = False
        for o in outputs:
            d = getattr(o, "_data", None)
            if d is not None and not _finite_quick(d, self._sq_cache):
                bad = True
                break
        if not bad:
            return
        for a in args:   # the op only made NaN/Inf if its inputs were finite
            d = getattr(a, "_data", None)
            if d is not None and not _finite_quick(d):
                return
        s = array_stats(outputs[0]._data) if hasattr(outputs[0], "_data") else None
        self.first_nonfinite = {
            "step": self.step, "phase": phase, "op": cls.name(),
            "site": owner.site if owner is not None else "",
            "module": owner.extra.get("path", "") if owner is not None else "",
            "nan_count": s.nan_count if s else 0, "inf_count": s.inf_count if s else 0}

    def _check_loss_input(self, name, args, owner) -> None:
        x = args[0] if args else None
        fn = getattr(x, "_grad_fn", None)
        made_by = _PROB_OPS.get(fn.name()) if fn is not None else None
        if made_by is None and x is not None and name == "CrossEntropyBackward0" and x._data.ndim == 2:
            d = x._data
            # Without a graph, look at the values: rows in [0, 1] that sum to 1 are probabilities.
            if d.size and d.min() >= 0 and d.max() <= 1 and np.allclose(d.sum(axis=1), 1, atol=1e-4):
                made_by = "softmax"
        if made_by is not None and (made_by == "softmax") == (name == "CrossEntropyBackward0"):
            if not any(e["loss"] == _LOGIT_LOSSES[name] for e in self.loss_inputs):
                self.loss_inputs.append({"step": self.step, "loss": _LOGIT_LOSSES[name], "made_by": made_by,
                                         "module": owner.extra.get("path", "") if owner is not None else ""})

    def _on_backward(self, node, grad_outputs, grad_inputs, seconds) -> None:
        self._events += 1   # (what tells log() that a new step has begun: a forward pass or a backward)
        owner = self._node_owner.get(id(node))
        if owner is not None:
            owner.bwd += seconds
        for call, nr in self._node_outputs.get(id(node), ()):
            g = grad_outputs[nr] if nr < len(grad_outputs) else None
            if g is not None and call.grad is None:
                # The norm is what the gradient checks need; one pass, or none if the node that
                # sent this very array already took its dot product.
                known = self._grad_sq.pop((id(node), nr), None)
                sq = known[1] if known is not None and known[0] is g._data else None
                call.grad = array_stats(g._data, full=False, sq=sq)
                call.grad_hist = log_histogram(g._data, finite=call.grad.finite)
        if self.first_nonfinite is None:
            # Every gradient is checked once, as it leaves the node that made it; so the first
            # non-finite one found is where NaN/Inf began (the root's gradient is finite).
            edges = node._edges
            watched = self._node_outputs
            for i, g in enumerate(grad_inputs):
                d = getattr(g, "_data", None)
                cache = None
                if d is not None and i < len(edges) and edges[i] is not None and id(edges[i][0]) in watched:
                    cache = []   # this gradient will arrive at a module's output: keep its dot product
                if d is not None and not _finite_quick(d, cache):
                    s = array_stats(d, full=False)
                    self.first_nonfinite = {
                        "step": self.step, "phase": "backward", "op": node.name(),
                        "site": owner.site if owner is not None else "",
                        "module": owner.extra.get("path", "") if owner is not None else "",
                        "nan_count": s.nan_count, "inf_count": s.inf_count}
                    break
                if cache:
                    self._grad_sq[(id(edges[i][0]), edges[i][1])] = cache

    # ----------------------------------------------------------- optimizer
    def _all_params(self) -> list:
        if self.optimizer is not None:
            return [p for g in self.optimizer.param_groups for p in g["params"]]
        return list(self.model.parameters()) if self.model is not None else []

    def _before_step(self, optimizer, args, kwargs) -> None:
        if not self._recording():
            return
        for p in self._all_params():
            rec = self._param_record(p)
            rec["_before"] = p._data.copy()

    def _after_step(self, optimizer, args, kwargs) -> None:
        if self._recording():
            for p in self._all_params():
                rec = self._param_step.get(self._param_name(p))
                if rec is None or "_before" not in rec:
                    continue
                before = rec.pop("_before")
                w = float(np.linalg.norm(before.reshape(-1)))
                change = float(np.linalg.norm((p._data - before).reshape(-1)))
                rec["update_norm"] = change
                rec["update_ratio"] = change / w if w > 0 else math.nan
        if not self._log_called:
            self._end_step(by_optimizer=True)

    def _param_record(self, p) -> dict:
        name = self._param_name(p)
        rec = self._param_step.get(name)
        if rec is None:
            rec = self._param_step[name] = {}
            # Norms only (one dot product each): the rules and the report need no more of them.
            w = array_stats(p._data, full=False)
            rec.update(weight_norm=w.norm, numel=p._data.size, requires_grad=1.0 if p._requires_grad else 0.0)
            if p.grad is not None:
                g = array_stats(p.grad._data, full=False)
                rec.update(grad_norm=g.norm, grad_nan=g.nan_count, grad_inf=g.inf_count, has_grad=1.0)
                rec["_hist"] = log_histogram(p.grad._data, finite=g.finite)
            else:
                rec["has_grad"] = 0.0
        return rec

    # ------------------------------------------------------------- flush
    def _flush(self) -> None:
        """Moves this step's records into the series."""
        step = self.step
        for call in self._calls:
            s = self.sites.get(call.site)
            if s is None:
                kind = "module" if call.module is not None else "op"
                type_name = type(call.module).__name__ if call.module is not None else call.extra.get("op", "")
                s = self.sites[call.site] = Series(call.site, kind, type_name)
                s.info["path"] = call.extra.get("path", "")
                s.info["order"] = len(self.sites) - 1
                s.info["leaf"] = call.module is None or not call.module._modules
            if call.shape is not None:
                s.info["shape"] = list(call.shape)
            if "activation" in call.extra:
                s.info["activation"] = call.extra["activation"]
            values = {"fwd_ms": call.fwd * 1e3, "bwd_ms": call.bwd * 1e3}
            hists = {}
            if call.act is not None:
                a = call.act
                values.update(mean=a.mean, std=a.std, zero_frac=a.zero_frac, abs_max=a.abs_max,
                              nan_count=a.nan_count, inf_count=a.inf_count)
                hists["activation"] = call.act_hist
            if call.grad is not None:
                g = call.grad
                values.update(grad_norm=g.norm, grad_nan=g.nan_count, grad_inf=g.inf_count)
                hists["gradient"] = call.grad_hist
            for key in ("dead_frac", "saturated_frac"):
                if key in call.extra:
                    values[key] = call.extra[key]
            s.add(step, values, hists)
        if self.optimizer is None:
            for p in self._all_params():
                self._param_record(p)
        else:
            for p in self._all_params():   # parameters the optimizer holds but step() was not called
                self._param_record(p)
        for name, rec in self._param_step.items():
            rec.pop("_before", None)
            hist = rec.pop("_hist", None)
            s = self.params.get(name)
            if s is None:
                s = self.params[name] = Series(name, "param")
            s.add(step, rec, {"gradient": hist} if hist is not None else None)
        self._calls = []

    # ------------------------------------------------------------ reading
    def history(self, name: str) -> dict:
        """The per-step series of one site (module call or op), parameter or logged scalar.

        Returns a dict of lists: ``"step"`` and one list per statistic (``mean``, ``std``,
        ``zero_frac``, ``grad_norm``, ``update_ratio``, ``value`` for scalars, ...), NaN where a
        step has no value. Raises KeyError naming the known series when ``name`` is unknown.
        """
        for store in (self.scalars, self.sites, self.params):
            if name in store:
                return store[name].as_dict()
        if name == "input":
            return self.inputs.as_dict()
        known = list(self.scalars) + list(self.sites) + list(self.params)
        raise KeyError(f"no series named {name!r}; the trace has: {', '.join(known)}")

    def findings(self) -> list:
        """What looks wrong in the run, in words: a list of ``Finding`` (see ``inspect.findings``)."""
        from .findings import diagnose
        return diagnose(self)

    def table(self, print_fn=None) -> str:
        """A table of the last recorded step, one row per site in call order.

        Columns: forward and backward time (ms), output shape, activation mean / std / % zero,
        the gradient norm at the output, the norm of the parameters' gradients and their
        update/weight ratio (from the real change over ``optimizer.step()``).
        """
        from .table import text_table
        text = text_table(self)
        if print_fn is not None:
            print_fn(text)
        return text

    def report(self, path: str, title: str = "glasstorch run", graph=None) -> str:
        """Writes the one-file HTML report to ``path`` (see ``inspect.report``); returns the path."""
        from .report import write_report
        return write_report(self, path, title=title, graph=graph)

    def module_params(self, path: str) -> list[str]:
        """Names of the parameters registered directly on the module at ``path``."""
        prefix = path + "." if path else ""
        return [n for n in self.params if n.startswith(prefix) and "." not in n[len(prefix):]]
