"""``summary(model, input_size)``: a Keras-style table of a model's layers, shapes, parameters and MACs.

It runs one forward pass on an example input, with a forward pre-hook and a forward hook on every
module, and records each call: the pre-hook fixes the row order (a container before its children,
in the order the layers actually run) and the forward hook records the output shape and the cost.

Conventions:

* **Rows.** One row per module call, in call order, named by the module's dotted path (the prefix of
  its ``state_dict`` keys) and indented by nesting depth. A module called twice gets two rows. The
  top-level model gets a row only when it is itself a layer (no children) or holds parameters of its
  own; a container row shows only the parameters registered directly on it (its children's rows
  show theirs), and ``-`` where it has none.
* **Parameters.** ``Param #`` counts the row's own parameters; ``Trainable`` those with
  ``requires_grad``. A parameter already shown in an earlier row (a shared weight, or a module called
  again) is marked ``*``. The totals are over ``model.parameters()``, so every tensor counts once,
  including those of modules the forward pass never called. Buffers (e.g. BatchNorm's running
  statistics) are not parameters; their size is reported on its own line.
* **MACs** (multiply-accumulates) are per sample (the batch's total divided by the batch size) and
  count only the products of weights and inputs (bias additions are not counted):

  ======================  ==================================================================
  Linear                  ``in_features * out_features`` per output row
  Bilinear                ``in1_features * in2_features * out_features`` per output row
  Conv1d/2d/3d            ``C_out * prod(out spatial) * (C_in / groups) * prod(kernel_size)``
                          (padding positions included, as in the dense computation)
  ConvTranspose1d/2d/3d   ``C_in * prod(in spatial) * (C_out / groups) * prod(kernel_size)``
                          (every input element is scattered through the whole kernel)
  MaxPool/AvgPool 1d-3d   ``prod(kernel_size)`` operations (comparisons or additions) per
                          output element
  AdaptiveAvg/MaxPool     one operation per input element
  anything else           ``-`` (not counted)
  ======================  ==================================================================

* **Batch.** With ``input_size``, the forward pass runs on a batch of 2 (random normal values from a
  private generator, so the global RNG is untouched; integer inputs are zeros, valid indices for an
  Embedding) and the batch dim is shown as ``-1``; ``batch_size=N`` runs and shows a batch of N. With
  ``input_data``, shapes are shown as they are and the first dim of the first input tensor is taken
  as the batch size for the per-sample MACs.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = ["summary"]

_MB = 1024 ** 2
# Runs with batch 2 when the batch is not given: a batch of 1 would make every leading dim of
# size 1 look like the batch dim, and some layers (e.g. BatchNorm in training mode) reject it.
_DEFAULT_RUN_BATCH = 2


class _Row:
    """One module call: what the hooks recorded about it."""
    __slots__ = ("path", "module", "depth", "output", "macs", "params", "trainable", "shared")

    def __init__(self, path: str, module):
        self.path = path
        self.module = module
        self.depth = 0 if path == "" else path.count(".") + 1
        self.output = "-"
        self.macs: int | None = None
        self.params = self.trainable = 0
        self.shared = False


# --------------------------------------------------------------------- MACs
def _type_names(module) -> set[str]:
    # Names along the MRO, so that a subclass of Linear is costed as a Linear.
    return {cls.__name__ for cls in type(module).__mro__}


def _as_tuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _spatial_dims(names: set[str]) -> int:
    for n in (1, 2, 3):
        if any(name.endswith(f"{n}d") for name in names):
            return n
    return 1


def _first_tensor(obj) -> Tensor | None:
    if isinstance(obj, Tensor):
        return obj
    if isinstance(obj, (tuple, list)):
        for item in obj:
            found = _first_tensor(item)
            if found is not None:
                return found
    if isinstance(obj, dict):
        return _first_tensor(list(obj.values()))
    return None


def _call_macs(module, inputs: tuple, output) -> int | None:
    """Multiply-accumulates of one call, for the whole batch; None for layers that are not costed."""
    names = _type_names(module)
    out, inp = _first_tensor(output), _first_tensor(inputs)
    if out is None:
        return None
    if "Linear" in names and hasattr(module, "in_features"):
        return out.numel() * module.in_features
    if "Bilinear" in names:
        return out.numel() * module.in1_features * module.in2_features
    n = _spatial_dims(names)
    kernel = int(np.prod(_as_tuple(getattr(module, "kernel_size", 1), n)))
    if names & {"ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"}:
        return None if inp is None else inp.numel() * (module.out_channels // module.groups) * kernel
    if names & {"Conv1d", "Conv2d", "Conv3d"}:
        return out.numel() * (module.in_channels // module.groups) * kernel
    if names & {"MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d"}:
        return out.numel() * kernel
    if any(name.startswith(("AdaptiveAvgPool", "AdaptiveMaxPool")) for name in names):
        return None if inp is None else inp.numel()
    return None


# ------------------------------------------------------------------- shapes
def _format_shape(obj, batch: int, batch_label: str | None) -> str:
    """``[-1, 6, 28, 28]`` for a tensor; nested outputs (tuples, lists, dicts) joined by commas."""
    if isinstance(obj, Tensor):
        dims = list(obj.shape)
        if batch_label is not None and dims and dims[0] == batch:
            return "[" + ", ".join([batch_label] + [str(d) for d in dims[1:]]) + "]"
        return str(dims)
    if isinstance(obj, (tuple, list)):
        parts = [_format_shape(o, batch, batch_label) for o in obj]
        return ", ".join(p for p in parts if p != "-") or "-"
    if isinstance(obj, dict):
        return _format_shape(list(obj.values()), batch, batch_label)
    return "-"


# ------------------------------------------------------------------- inputs
def _normalize_sizes(input_size) -> list[tuple]:
    """``(1, 28, 28)`` or ``[1, 28, 28]`` -> one input; a list/tuple of shapes -> several."""
    if isinstance(input_size, (tuple, list)) and all(isinstance(d, (int, np.integer)) for d in input_size):
        return [tuple(int(d) for d in input_size)]
    if isinstance(input_size, (tuple, list)) and all(isinstance(s, (tuple, list)) for s in input_size):
        return [s for size in input_size for s in _normalize_sizes(size)]
    raise ValueError(f"input_size must be a shape without the batch dim, like (1, 28, 28), or a list of "
                     f"such shapes, got {input_size!r}")


def _make_inputs(model, input_size, batch: int, dtypes) -> tuple:
    sizes = _normalize_sizes(input_size)
    if dtypes is None:
        # Match the model: a .double() model gets float64 inputs.
        floats = [p.dtype for p in model.parameters() if p.dtype.is_floating_point]
        dtypes = [floats[0] if floats else _dtype.get_default_dtype()] * len(sizes)
    elif not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"got {len(dtypes)} dtypes for {len(sizes)} inputs")
    rng = np.random.default_rng(0)  # private: the global generator's stream is left as it was
    inputs = []
    for size, dt in zip(sizes, dtypes):
        dt = _dtype.to_dtype(dt)
        shape = (batch,) + size
        arr = (rng.standard_normal(shape).astype(dt.np) if dt.is_floating_point else np.zeros(shape, dt.np))
        inputs.append(Tensor._make(arr))
    return tuple(inputs)


# -------------------------------------------------------------------- table
def _num(n: int | None, mark: str = " ") -> str:
    return "-" if n is None else f"{n:,}{mark}"


def _render(rows: list[_Row], totals: dict, notes: list[str]) -> str:
    min_depth = min((r.depth for r in rows), default=0)
    labels = []
    for r in rows:
        name = f"{r.path} ({type(r.module).__name__})" if r.path else type(r.module).__name__
        labels.append("  " * (r.depth - min_depth) + name)
    header = ("Layer (type)", "Output Shape", "Param #", "Trainable", "MACs")
    cells = []
    for r, label in zip(rows, labels):
        is_container = bool(r.module._modules) and not r.module._parameters
        mark = "*" if r.shared else " "
        params = "- " if is_container else _num(r.params, mark)
        trainable = "- " if is_container else _num(r.trainable, mark)
        cells.append((label, r.output, params, trainable, _num(r.macs, mark="")))
    widths = [max([len(header[i])] + [len(c[i]) for c in cells]) for i in range(5)]
    widths[0], widths[1] = max(widths[0], 24), max(widths[1], 20)
    widths[2:] = [max(w, 11) for w in widths[2:]]
    gap = "  "

    def line(values) -> str:
        left = values[0].ljust(widths[0]) + gap + values[1].ljust(widths[1])
        right = gap.join(v.rjust(w) for v, w in zip(values[2:], widths[2:]))
        return (left + gap + right).rstrip()

    width = sum(widths) + len(gap) * 4
    out = ["-" * width, line(header[:2] + tuple(h + " " for h in header[2:4]) + header[4:]), "=" * width]
    out += [line(c) for c in cells]
    out.append("=" * width)
    out += [
        f"Total params: {totals['params']:,}",
        f"Trainable params: {totals['trainable']:,}",
        f"Non-trainable params: {totals['params'] - totals['trainable']:,}",
        f"Total MACs (per sample): {totals['macs']:,}",
        "-" * width,
        f"Params size (MB): {totals['param_bytes'] / _MB:.2f}",
        f"Buffers size (MB): {totals['buffer_bytes'] / _MB:.2f}"
        f" ({totals['buffers']:,} elements, not trained)",
        "-" * width,
    ]
    if notes:
        out += notes + ["-" * width]
    return "\n".join(out)


# --------------------------------------------------------------------- main
def summary(model, input_size: Sequence | None = None, input_data: Any = None, *, batch_size: int = -1,
            dtypes=None, print_fn: Callable[[str], Any] | None = print) -> str:
    """Prints and returns a table of the model's layers: output shapes, parameters and MACs.

    Runs one forward pass in eval mode under ``no_grad`` (each module's train/eval mode is restored
    afterwards, and no graph is recorded). See the module docstring for the counting conventions.

    Args:
        model: an ``nn.Module``.
        input_size: the shape of one input without the batch dim, e.g. ``(1, 28, 28)``, or a list of
            such shapes for a model with several inputs. Random inputs are generated.
        input_data: instead of ``input_size``, an example input: a tensor, or a tuple/list of
            positional inputs. Shapes are shown with its real batch size.
        batch_size: with ``input_size``, the batch to run and show; -1 (default) shows ``-1``.
        dtypes: with ``input_size``, the dtype of each input (one dtype or a list); default: the
            dtype of the model's floating-point parameters.
        print_fn: called once with the table; None to only return it.

    Returns:
        the table, exactly as passed to ``print_fn``.

    Example::

        >>> from glasstorch.utils.summary import summary
        >>> table = summary(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (4,), print_fn=None)
        >>> print(table.splitlines()[3])
        0 (Linear)                [-1, 3]                       15           15            12
    """
    if (input_size is None) == (input_data is None):
        raise ValueError("summary() needs exactly one of input_size (a shape without the batch dim) "
                         "or input_data (an example input)")
    if input_size is not None:
        if batch_size != -1 and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"batch_size must be -1 or a positive int, got {batch_size!r}")
        run_batch = _DEFAULT_RUN_BATCH if batch_size == -1 else int(batch_size)
        batch_label = "-1" if batch_size == -1 else None
        args = _make_inputs(model, input_size, run_batch, dtypes)
    else:
        if dtypes is not None:
            raise ValueError("dtypes applies to generated inputs (input_size); input_data keeps its own dtypes")
        args = tuple(input_data) if isinstance(input_data, (tuple, list)) else (input_data,)
        first = _first_tensor(args)
        run_batch = first.shape[0] if first is not None and first.dim() > 0 else 1
        batch_label = None

    rows: list[_Row] = []
    pending: dict[int, list[_Row]] = {}  # module id -> its calls still running (a stack: recursion)
    handles = []

    def pre_hook(path):
        def hook(module, inputs):
            row = _Row(path, module)
            rows.append(row)
            pending.setdefault(id(module), []).append(row)
        return hook

    def post_hook(module, inputs, output):
        row = pending[id(module)].pop()
        row.output = _format_shape(output, run_batch, batch_label)
        macs = _call_macs(module, inputs, output)
        row.macs = None if macs is None else macs // max(run_batch, 1)

    modes = [(m, m.training) for m in model.modules()]
    try:
        for path, module in model.named_modules(remove_duplicate=False):
            if id(module) in pending:  # a module registered under two names: hook it once
                continue
            pending[id(module)] = []
            handles.append(module.register_forward_pre_hook(pre_hook(path)))
            handles.append(module.register_forward_hook(post_hook))
        model.eval()
        with no_grad():
            model(*args)
    except Exception as e:
        running = [r.path or type(r.module).__name__ for r in rows if r in pending.get(id(r.module), ())]
        if running and hasattr(e, "add_note"):
            e.add_note(f"summary(): the forward pass failed inside {running[-1]}")
        raise
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            m.training = training

    # Rows: every layer (no children), and containers, but not a top-level container without
    # parameters of its own (its totals are the table's totals).
    rows = [r for r in rows if r.path or not r.module._modules or r.module._parameters]
    seen: set[int] = set()
    for r in rows:
        for p in r.module._parameters.values():
            if p is None:
                continue
            r.params += p.numel()
            r.trainable += p.numel() if p.requires_grad else 0
            r.shared |= id(p) in seen
            seen.add(id(p))

    params = list(model.parameters())  # each tensor once, shared or not
    buffers = list(model.buffers())
    totals = {
        "params": sum(p.numel() for p in params),
        "trainable": sum(p.numel() for p in params if p.requires_grad),
        "macs": sum(r.macs for r in rows if r.macs is not None),
        "param_bytes": sum(p.numel() * p.element_size() for p in params),
        "buffers": sum(b.numel() for b in buffers),
        "buffer_bytes": sum(b.numel() * b.element_size() for b in buffers),
    }
    notes = []
    if any(r.shared for r in rows):
        notes.append("* parameters shown in an earlier row too (shared or called again); the totals "
                     "count them once")
    missing = [name for name, m in model.named_modules()
               if any(p is not None and id(p) not in seen for p in m._parameters.values())]
    if missing:
        notes.append("Not called in forward, but in the totals: " + ", ".join(missing))
    table = _render(rows, totals, notes)
    if print_fn is not None:
        print_fn(table)
    return table
