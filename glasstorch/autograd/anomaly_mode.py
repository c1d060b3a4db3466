"""Anomaly mode: stop at the op that first makes a NaN or an Inf, and say where it is.

``torch.autograd.detect_anomaly`` checks only the backward pass, and only for NaN. Here anomaly
mode is an observer (``autograd/observe.py``) that checks both passes, for NaN and Inf:

- **forward**: after each op, if an output holds NaN or Inf although no input did, it raises a
  RuntimeError naming the op (``LogBackward0``), the module it ran in (``block.1 (LogBlock)``),
  the line of the user's code that called it, and the statistics of its inputs;
- **backward**: after each node's backward, if a gradient it returned holds NaN or Inf although
  the gradients it received were finite, it raises torch's error (``Function 'LogBackward0'
  returned nan values in its 0th output.``), followed by the same details and the line that made
  the node, as torch's "Traceback of forward call that caused the error".

Only the op where the values first go bad raises: downstream ops, whose inputs are already bad,
do not. The node that raised gets ``node._anomaly`` (the message), which the graph viewer draws.

While anomaly mode is on, every recorded node also gets ``node._creation_site``, the
``(filename, lineno, funcname)`` of the user's code that made it.

Example::

    >>> with glasstorch.autograd.detect_anomaly():
    ...     loss = model(x).sum()       # raises here if an op in the model makes a NaN/Inf
    ...     loss.backward()             # or here, at the node whose gradient goes bad
"""
from __future__ import annotations

import functools
import linecache
import math
import os
import sys
import warnings

import numpy as np

from . import observe
from .observe import Observer

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "AnomalyError"]

# Frames from files under this directory are glasstorch's own; the first frame outside it is the user's.
# Both spellings, since co_filename follows how the package was found on sys.path.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(__file__))
_PACKAGE_PREFIXES = tuple({_PACKAGE_DIR + os.sep, os.path.abspath(_PACKAGE_DIR) + os.sep})

_NO_FORWARD_INFO = ("No forward pass information available. Enable detect anomaly during forward pass "
                    "for more information.")


class AnomalyError(RuntimeError):
    """The RuntimeError anomaly mode raises (a subclass, so ``except RuntimeError`` catches it, as in torch).

    Besides the message it carries what the message says, for tools: ``node`` (the graph node, or
    None for an op under no_grad), ``op`` (torch's node name), ``phase`` (``"forward"`` or
    ``"backward"``), ``module_path``, ``site`` (``(filename, lineno, funcname)`` or None) and
    ``index`` (the output that went bad).
    """

    def __init__(self, message: str, *, node, op: str, phase: str, module_path: str | None, site, index: int):
        super().__init__(message)
        self.node = node
        self.op = op
        self.phase = phase
        self.module_path = module_path
        self.site = site
        self.index = index


# ----------------------------------------------------------------------------------- the cheap checks
def _user_site(frame) -> tuple | None:
    """``(filename, lineno, funcname)`` of the first frame, from ``frame`` outward, outside glasstorch.

    A walk up ``f_back`` costs a few attribute reads per frame; ``traceback.extract_stack`` would
    read source lines for the whole stack, far too slow to run on every op.
    """
    prefixes = _PACKAGE_PREFIXES
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(prefixes):
            return (code.co_filename, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None


def _array_of(x):
    """The array of a Tensor (or of a gradient given as an array), else None."""
    data = getattr(x, "_data", None)
    if data is None and isinstance(x, np.ndarray):
        data = x
    return data if isinstance(data, np.ndarray) else None


def _not_finite(arr: np.ndarray) -> bool:
    """True if ``arr`` holds a NaN or an Inf: one pass over the array in the usual (finite) case."""
    kind = arr.dtype.kind
    if kind not in "fc" or arr.size == 0:
        return False
    if kind == "f" and arr.dtype.itemsize >= 4 and arr.flags.c_contiguous:
        # A dot product is the fastest pass NumPy has (BLAS: on a LeNet activation about 2.4x
        # faster than np.add.reduce and 1.4x faster than isfinite().all()), and it raises no
        # floating-point warnings (a sum warns on inf - inf and on overflow). NaN and Inf always
        # survive it; a finite array can overflow it (|x| above ~1e19 in float32), so confirm.
        flat = arr.reshape(-1)
        if math.isfinite(np.dot(flat, flat)):
            return False
    # float16 (no BLAS, and x*x overflows at 256), complex, strided views: one isfinite pass.
    return not np.isfinite(arr).all()


def _any_not_finite(values) -> bool:
    """True if a Tensor among ``values`` (or in lists and tuples among them, as for ``cat``) holds NaN/Inf,
    or a number among them is NaN/Inf (as the ``-inf`` of ``masked_fill``: then the Inf was asked for)."""
    for v in values:
        if isinstance(v, (list, tuple)):
            if _any_not_finite(v):
                return True
            continue
        if isinstance(v, float) and not math.isfinite(v):
            return True
        arr = _array_of(v)
        if arr is not None and _not_finite(arr):
            return True
    return False


# ------------------------------------------------------------------------- the message, when raising
def _ordinal(i: int) -> str:
    # torch writes "0th", "1th", "2th" alike; keep its wording so messages can be compared.
    return f"{i}th"


def _bad_kind(arr: np.ndarray) -> str:
    """torch's word for what went bad: "nan" when there is any NaN, else "inf"."""
    return "nan" if np.isnan(arr).any() else "inf"


def _describe(arr: np.ndarray) -> str:
    """shape, dtype, min/max and mean/std over the finite values, the fraction of zeros, NaN/Inf counts."""
    from ..inspect.stats import array_stats  # a room above autograd: imported only when raising

    text = f"shape {list(arr.shape)}, {arr.dtype}"
    if arr.dtype.kind not in "fciub" or arr.size == 0:
        return text + (", empty" if arr.size == 0 else "")
    s = array_stats(arr)
    finite = arr[np.isfinite(arr)] if arr.dtype.kind in "fc" else arr
    if finite.size:
        # "+ 0.0" prints -0.0 (as x * 0 makes from negative x) as 0.
        lo, hi = float(np.min(finite.real)) + 0.0, float(np.max(finite.real)) + 0.0
        text += (f": min {lo:.4g}, max {hi:.4g}, mean {s.mean + 0.0:.4g}, std {s.std:.4g}, "
                 f"{100 * s.zero_frac:.1f}% zero, ")
    else:
        text += ": no finite values, "
    text += f"{s.nan_count} NaN, {s.inf_count} Inf"
    if s.inf_count:
        pos = int(np.count_nonzero(np.isposinf(arr.real))) if arr.dtype.kind in "fc" else 0
        text += f" ({pos} +Inf, {s.inf_count - pos} -Inf)"
    return text


def _describe_value(v) -> str:
    arr = _array_of(v)
    if arr is not None:
        return _describe(arr)
    if isinstance(v, (list, tuple)) and any(_array_of(x) is not None for x in v):
        return "; ".join(f"[{j}] {_describe_value(x)}" for j, x in enumerate(v))
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def _child_name(parent, child) -> str | None:
    """The dotted name of ``child`` inside ``parent`` (a direct child first, else any descendant)."""
    for name, m in parent._modules.items():
        if m is child:
            return name
    for name, m in parent.named_modules():
        if m is child and name:
            return name
    return None


def module_path(chain: tuple) -> str | None:
    """The dotted path of the innermost module of ``chain`` (outermost first) from the outermost,
    with class names: ``"features.3 (Conv2d) in Net"``; None for an empty chain.

    The path follows the chain, the modules that actually called one another, so a module shared
    under two names is named by the one it was called through.
    """
    if not chain:
        return None
    root = chain[0]
    if len(chain) == 1:
        return f"{type(root).__name__} (the outermost module)"
    parts = []
    parent = root
    for child in chain[1:]:
        name = _child_name(parent, child)
        if name is None:  # a module that is no submodule of its caller (made on the fly): start over
            parts = [f"<{type(child).__name__}>"]
        else:
            parts.append(name)
        parent = child
    return f"{'.'.join(parts)} ({type(chain[-1]).__name__}) in {type(root).__name__}"


def _site_lines(site) -> list:
    """``File "...", line N, in f`` and its source line, as a traceback prints them."""
    if site is None:
        return [f"    {_NO_FORWARD_INFO}"]
    filename, lineno, func = site
    lines = [f'    File "{filename}", line {lineno}, in {func}']
    source = linecache.getline(filename, lineno).strip()
    if source:
        lines.append(f"      {source}")
    return lines


def _saved_descriptions(node) -> list:
    """The statistics of the node's saved tensors (its inputs, or its output), where they can be read."""
    if node.__dict__.get("_saved") is None:
        return []
    try:
        saved = node.saved_tensors
    except Exception:  # modified in place, or an unpack hook that fails: the message must still come
        return []
    # _saved_index says what each saved tensor was: input k, or "out" (the node's own output).
    index = node.__dict__.get("_saved_index", ())
    lines = []
    for k, t in enumerate(saved):
        if t is None:
            continue
        what = index[k] if k < len(index) else None
        label = "saved output" if what == "out" else f"saved input {what}" if what is not None else f"saved tensor {k}"
        lines.append(f"  {label}: {_describe_value(t)}")
    return lines


# ------------------------------------------------------------------------------------- the observer
class _AnomalyObserver(Observer):
    """Records creation sites and checks every op's outputs and every node's gradients."""

    def __init__(self, check_nan: bool):
        self.check_nan = check_nan

    def forward(self, cls, node, args: tuple, outputs: tuple, seconds: float) -> None:
        site = None
        if node is not None:
            site = node._creation_site = _user_site(sys._getframe(1))
        if not self.check_nan:
            return
        for i, out in enumerate(outputs):
            arr = _array_of(out)
            if arr is None or not _not_finite(arr):
                continue
            if _any_not_finite(args):
                return  # the bad values came in: the op that made them raised (or ran before anomaly mode)
            if site is None:
                site = _user_site(sys._getframe(1))
            self._raise_forward(cls, node, args, outputs, i, arr, site)

    def backward(self, node, grad_outputs: tuple, grad_inputs: tuple, seconds: float) -> None:
        if not self.check_nan:
            return
        edges = node._edges
        for i, g in enumerate(grad_inputs):
            # Only gradients that flow on: one returned for an input that needs none is dropped by the engine.
            if g is None or i >= len(edges) or edges[i] is None:
                continue
            arr = _array_of(g)
            if arr is None or not _not_finite(arr):
                continue
            if _any_not_finite([go for go in grad_outputs if go is not None]):
                return  # received bad gradients: the node that made them raised
            self._raise_backward(node, grad_outputs, grad_inputs, i, arr)

    @staticmethod
    def _raise_forward(cls, node, args, outputs, index, arr, site):
        name = cls.name()
        path = module_path(node._module_chain if node is not None else observe.module_chain())
        lines = [f"Function '{name}' returned {_bad_kind(arr)} values in its {_ordinal(index)} output "
                 f"in the forward pass (op {cls.__name__}; its inputs were finite).",
                 f"  module: {path or 'none (called outside any module)'}",
                 "  called from:", *_site_lines(site)]
        lines += [f"  input {k}: {_describe_value(a)}" for k, a in enumerate(args)]
        lines += [f"  output {k}: {_describe_value(o)}" for k, o in enumerate(outputs)]
        message = "\n".join(lines)
        if node is not None:
            node._anomaly = message
        raise AnomalyError(message, node=node, op=name, phase="forward", module_path=path, site=site,
                           index=index)

    @staticmethod
    def _raise_backward(node, grad_outputs, grad_inputs, index, arr):
        name = node.name()
        path = module_path(node._module_chain)
        site = node.__dict__.get("_creation_site")
        # The first line is torch's, word for word.
        lines = [f"Function '{name}' returned {_bad_kind(arr)} values in its {_ordinal(index)} output.",
                 f"  module: {path or 'none (made outside any module)'}",
                 "  Traceback of forward call that caused the error:", *_site_lines(site)]
        lines += [f"  gradient received (grad_output {k}): {_describe_value(g)}"
                  for k, g in enumerate(grad_outputs) if g is not None]
        lines += _saved_descriptions(node)
        lines.append(f"  gradient returned ({_ordinal(index)} output): {_describe(arr)}")
        message = "\n".join(lines)
        node._anomaly = message
        raise AnomalyError(message, node=node, op=name, phase="backward", module_path=path, site=site,
                           index=index)


# ---------------------------------------------------------------------------------- the public API
# The observer in observe.observers while anomaly mode is on, else None.
_observer: _AnomalyObserver | None = None
_check_nan = True


def _set_anomaly_enabled(mode: bool, check_nan: bool = True) -> None:
    global _observer, _check_nan
    _check_nan = bool(check_nan)
    if mode:
        if _observer is None:
            _observer = observe.add(_AnomalyObserver(_check_nan))
        _observer.check_nan = _check_nan
    elif _observer is not None:
        observe.remove(_observer)
        _observer = None


def is_anomaly_enabled() -> bool:
    """Returns True if anomaly mode is on."""
    return _observer is not None


def is_anomaly_check_nan_enabled() -> bool:
    """Returns True if anomaly mode checks values for NaN and Inf (when on); True by default, as in torch."""
    return _check_nan


class detect_anomaly:
    """Context manager and decorator that turns anomaly mode on.

    Forward ops and backward nodes that turn finite values into NaN or Inf raise a RuntimeError
    that names the op, its module, the user's source line and the statistics of its inputs;
    every node records the line that made it. Nestable: leaving restores the previous state,
    also when an exception leaves the block.

    Args:
        check_nan (bool): check values for NaN and Inf. If False, only the creation sites are
            recorded. Default: ``True``.

    .. warning::
        For debugging: every op's outputs are checked, which slows a run down somewhat.

    Example::

        >>> with glasstorch.autograd.detect_anomaly():
        ...     y = glasstorch.log(glasstorch.zeros(3))
        RuntimeError: Function 'LogBackward0' returned inf values in its 0th output in the forward pass ...
        >>> @glasstorch.autograd.detect_anomaly()
        ... def train_step(x, y): ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev: list = []  # a stack: the same object may be entered again (a recursive decorated function)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should "
                      "only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self._prev.append((is_anomaly_enabled(), _check_nan))
        _set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        _set_anomaly_enabled(*self._prev.pop())

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turns anomaly mode on or off; as a call, or as a context manager that restores the previous state.

    Args:
        mode (bool): ``True`` to turn anomaly mode on, ``False`` to turn it off.
        check_nan (bool): check values for NaN and Inf. Default: ``True``.

    Example::

        >>> glasstorch.autograd.set_detect_anomaly(True)
        >>> with glasstorch.autograd.set_detect_anomaly(False):
        ...     fast_part()
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (is_anomaly_enabled(), _check_nan)
        _set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _set_anomaly_enabled(*self.prev)
