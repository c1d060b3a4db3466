"""``summary(model, input_size)``: torchinfo's table of a model's layers, shapes, parameters and mult-adds.

It runs one forward pass on an example input with an observer on the one seam of
``glasstorch.autograd.observe``: ``module_enter`` / ``module_exit`` give one row per module call, in
the order the calls begin (a container before its children), and ``forward`` (called after every
``Function.apply``) gives the functional ops. No hooks are registered on the model.

Conventions (torchinfo's, except where said):

* **Input.** ``input_size`` includes the batch dimension, as in torchinfo: ``(1, 1, 28, 28)`` is one
  1x28x28 image. Inputs are random normal values from a private generator (the global RNG is left
  as it was); integer inputs are zeros, which are valid indices for an Embedding. ``input_data``
  passes real inputs instead. Every shape and every count is for the batch that ran.
* **Rows.** The model itself is the first row, at depth 0; each module call is a row one level below
  the module it was called from, named ``Type (path)``, where ``path`` is the module's dotted name in
  the model (the prefix of its ``state_dict`` keys). A module called twice gets two rows.
  **Functional ops** (``F.relu(x)``, ``x.flatten(1)``, ``a + b``, ...) run directly in the forward
  of a module that has children are rows too, named from torch's node name (``ReluBackward0`` ->
  ``relu (functional)``). Ops inside a module without children (a Linear's matmul, say) are that
  layer's own work and get no row.
* **Depth.** Rows deeper than ``depth`` are hidden; a container at exactly ``depth`` then shows the
  parameters and mult-adds of everything under it.
* **Param #.** A layer (no children) or a container at the depth limit: all its parameters; a
  container above the limit: only those registered on it directly (its children's rows show the
  rest), ``--`` if none. ``(n)``: none of them requires grad. ``(recursive)``: the module was shown
  in an earlier row (it is called again). Not torchinfo's: a parameter already shown in an earlier
  row of another module (a tied weight) is marked ``*``. The totals are over ``model.parameters()``,
  so each tensor counts once, including those of modules the forward pass never called.
  ``Param %`` is the row's ``Param #`` over the total; ``Trainable`` is ``True`` / ``False`` /
  ``Partial`` over all the module's parameters.
* **Mult-Adds** (multiply-accumulates) are for the whole batch, as in torchinfo, but counted by these
  rules, which count only the products of weights and inputs (bias additions are not counted):

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
  anything else           ``--`` (not counted; functional ops included)
  ======================  ==================================================================

  A container at the depth limit shows the sum over all the calls under it.
* **Sizes** (MB = 10**6 bytes, as torchinfo): the inputs; "Forward/backward pass", torchinfo's
  estimate: the outputs of the layers that hold parameters, twice (value and gradient); the
  parameters; and (not torchinfo's) the buffers, such as BatchNorm's running statistics, which are
  not parameters. The estimated total is their sum.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd import observe
from ..autograd.grad_mode import no_grad

__all__ = ["summary"]

# torchinfo's column names and header labels, in its order.
_HEADERS = {
    "input_size": "Input Shape",
    "output_size": "Output Shape",
    "num_params": "Param #",
    "params_percent": "Param %",
    "kernel_size": "Kernel Shape",
    "mult_adds": "Mult-Adds",
    "trainable": "Trainable",
}
_DEFAULT_COLUMNS = ("output_size", "num_params")
_MB = 1e6
_NONE = "--"


class _Row:
    """One module call or one functional op: what the observer saw of it."""
    __slots__ = ("module", "op", "depth", "inputs", "output", "output_bytes", "macs", "args")

    def __init__(self, module, op: str | None, depth: int, inputs: str):
        self.module = module  # None for a functional op
        self.op = op
        self.depth = depth
        self.inputs = inputs
        self.output = _NONE
        self.output_bytes = 0
        self.macs: int | None = None
        self.args: tuple | None = None  # held only while the call runs, for its mult-adds


class _Recorder(observe.Observer):
    """Rows in call order; ``stack`` holds the rows of the module calls running now."""

    def __init__(self):
        self.rows: list[_Row] = []
        self.stack: list[_Row] = []

    def module_enter(self, module, args: tuple) -> None:
        row = _Row(module, None, len(self.stack), _format_shapes(args))
        row.args = args
        self.rows.append(row)
        self.stack.append(row)

    def module_exit(self, module, output) -> None:
        row = self.stack.pop()
        row.output = _format_shapes(output)
        row.output_bytes = sum(t.numel() * t.element_size() for t in _tensors(output))
        row.macs = _call_macs(module, row.args, output)
        row.args = None

    def forward(self, cls, node, args: tuple, outputs: tuple, seconds: float) -> None:
        # Only ops that a container runs itself: inside a layer without children they are its own work.
        if self.stack and self.stack[-1].module._modules:
            name = re.sub(r"Backward\d*$", "", cls.name()).lower()
            row = _Row(None, f"{name} (functional)", len(self.stack), _format_shapes(args))
            row.output = _format_shapes(outputs)
            self.rows.append(row)


# --------------------------------------------------------------- tensors and shapes
def _tensors(obj) -> list[Tensor]:
    """The tensors in ``obj`` (a tensor, or tuples, lists and dicts of them), in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (tuple, list)):
        return [t for item in obj for t in _tensors(item)]
    return []


def _format_shapes(obj) -> str:
    """``[1, 6, 28, 28]`` for a tensor; several tensors joined by commas; ``--`` for none."""
    shapes = [str(list(t.shape)) for t in _tensors(obj)]
    return ", ".join(shapes) or _NONE


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


def _call_macs(module, inputs: tuple, output) -> int | None:
    """Multiply-accumulates of one call, for the whole batch; None for layers that are not costed."""
    names = _type_names(module)
    outs, ins = _tensors(output), _tensors(inputs)
    if not outs:
        return None
    out, inp = outs[0], (ins[0] if ins else None)
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


# ------------------------------------------------------------------- inputs
def _is_shape(s) -> bool:
    return (isinstance(s, (tuple, list)) and len(s) > 0
            and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in s))


def _normalize_sizes(input_size) -> list[tuple[int, ...]]:
    """``(1, 1, 28, 28)`` -> one input; a list/tuple of shapes (nested or not) -> several."""
    if _is_shape(input_size):
        bad = [d for d in input_size if d < 1]
        if bad:
            raise ValueError(f"input_size {tuple(input_size)} has a dimension below 1 ({bad[0]}): every "
                             f"dimension, the batch included (as in torchinfo), must be a positive int, "
                             f"e.g. (1, 1, 28, 28) for one 1x28x28 image")
        return [tuple(int(d) for d in input_size)]
    if isinstance(input_size, (tuple, list)) and input_size and all(
            isinstance(s, (tuple, list)) for s in input_size):
        return [s for size in input_size for s in _normalize_sizes(size)]
    raise ValueError(f"input_size must be a shape that includes the batch dimension (as in torchinfo), "
                     f"like (1, 1, 28, 28), or a list of such shapes, one per input; got {input_size!r}")


def _make_inputs(model, sizes: list[tuple[int, ...]], dtypes) -> tuple:
    if dtypes is None:
        # Match the model: a .double() model gets float64 inputs.
        floats = [p.dtype for p in model.parameters() if p.dtype.is_floating_point]
        dtypes = [floats[0] if floats else _dtype.get_default_dtype()] * len(sizes)
    elif not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"got {len(dtypes)} dtypes for {len(sizes)} inputs of shapes {sizes}")
    rng = np.random.default_rng(0)  # private: the global generator's stream is left as it was
    inputs = []
    for shape, dt in zip(sizes, dtypes):
        dt = _dtype.to_dtype(dt)
        arr = rng.standard_normal(shape).astype(dt.np) if dt.is_floating_point else np.zeros(shape, dt.np)
        inputs.append(Tensor._make(arr))
    return tuple(inputs)


def _split_input_data(input_data) -> tuple[tuple, dict]:
    if isinstance(input_data, Tensor):
        return (input_data,), {}
    if isinstance(input_data, (tuple, list)):
        return tuple(input_data), {}
    if isinstance(input_data, dict):
        return (), dict(input_data)
    raise ValueError(f"input_data must be a Tensor, a tuple/list of positional inputs or a dict of "
                     f"keyword inputs, got {type(input_data).__name__}")


def _normalize_columns(col_names) -> tuple[str, ...]:
    cols = (col_names,) if isinstance(col_names, str) else tuple(col_names)
    unknown = [c for c in cols if c not in _HEADERS]
    if unknown or not cols:
        raise ValueError(f"col_names must be a non-empty tuple of {tuple(_HEADERS)}, got {col_names!r}")
    return cols


# -------------------------------------------------------------------- table
def _params_of(module) -> list:
    return list(module.parameters())  # each tensor once, the module's children included


def _tree_prefix(depth: int) -> str:
    if depth == 0:
        return ""
    return "│    " * (depth - 1) + ("├─" if depth == 1 else "└─")


def _cells(rows: list[_Row], paths: dict[int, str], max_depth: int, total_params: int) -> tuple[list, bool]:
    """One dict of column values per visible row; also whether a shared parameter was marked."""
    seen_modules: set[int] = set()
    seen_params: set[int] = set()
    marked = False
    out = []
    for i, r in enumerate(rows):
        module = r.module
        recursive = module is not None and id(module) in seen_modules
        if module is not None:
            seen_modules.add(id(module))
        if r.depth > max_depth:
            continue
        if module is None:
            label = r.op
            kernel = num = percent = macs = trainable = _NONE
        else:
            path = paths.get(id(module), "")
            label = f"{type(module).__name__} ({path})" if path else type(module).__name__
            k = getattr(module, "kernel_size", None)
            kernel = _NONE if k is None else str(list(k)) if isinstance(k, (tuple, list)) else str(k)
            everything = _params_of(module)
            n_all = sum(p.numel() for p in everything)
            n_train = sum(p.numel() for p in everything if p.requires_grad)
            trainable = (_NONE if n_all == 0 else "True" if n_train == n_all
                         else "False" if n_train == 0 else "Partial")
            collapsed = not module._modules or r.depth == max_depth
            shown = everything if collapsed else [p for p in module._parameters.values() if p is not None]
            n_shown = sum(p.numel() for p in shown)
            if n_all == 0:
                num = percent = _NONE
            elif recursive:
                num = percent = "(recursive)"
            elif n_shown == 0:
                num = percent = _NONE
            else:
                num = f"{n_shown:,}"
                if not any(p.requires_grad for p in shown):
                    num = f"({num})"
                if any(id(p) in seen_params for p in shown):
                    num += "*"
                    marked = True
                seen_params.update(id(p) for p in shown)
                percent = f"{n_shown / total_params:>7.2%}" if total_params else _NONE
            if not module._modules:
                m = r.macs
            elif r.depth == max_depth:  # everything under it, hidden below
                m = 0
                for below in rows[i + 1:]:
                    if below.depth <= r.depth:
                        break
                    m += below.macs or 0
            else:
                m = None
            macs = f"{m:,}" if m else _NONE
        out.append({"label": _tree_prefix(r.depth) + label, "input_size": r.inputs,
                    "output_size": r.output, "num_params": num, "params_percent": percent,
                    "kernel_size": kernel, "mult_adds": macs, "trainable": trainable})
    return out, marked


def _mult_adds(n: int) -> str:
    # torchinfo's units: millions, unless billions or trillions read better.
    for unit, scale in (("T", 1e12), ("G", 1e9)):
        if n >= scale:
            return f"Total mult-adds ({unit}): {n / scale:0.2f}"
    return f"Total mult-adds (M): {n / 1e6:0.2f}"


def _render(cells: list[dict], cols: tuple[str, ...], col_width: int, totals: dict, notes: list[str]) -> str:
    # torchinfo's layout: a name column of at least 40 characters (rounded up to a multiple of 5),
    # then left-aligned columns of col_width, widened where a value would not fit.
    longest = max(len(c["label"]) for c in cells) + 1
    name_width = max(40, -(-longest // 5) * 5)
    widths = [max(col_width, len(_HEADERS[c]) + 1, *(len(cell[c]) + 1 for cell in cells)) for c in cols]

    def line(label: str, values: list[str]) -> str:
        text = f"{label:<{name_width}} " + "".join(f"{v:<{w}} " for v, w in zip(values, widths))
        return text.rstrip()

    rule = "=" * (name_width + sum(widths))
    out = [rule, line("Layer (type (var_name))", [_HEADERS[c] for c in cols]), rule]
    out += [line(cell["label"], [cell[c] for c in cols]) for cell in cells]
    mb = lambda n: f"{n / _MB:0.2f}"  # noqa: E731
    sizes = ("input_bytes", "pass_bytes", "param_bytes", "buffer_bytes")
    out += [
        rule,
        f"Total params: {totals['params']:,}",
        f"Trainable params: {totals['trainable']:,}",
        f"Non-trainable params: {totals['params'] - totals['trainable']:,}",
        _mult_adds(totals["macs"]),
        rule,
        f"Input size (MB): {mb(totals['input_bytes'])}",
        f"Forward/backward pass size (MB): {mb(totals['pass_bytes'])}",
        f"Params size (MB): {mb(totals['param_bytes'])}",
        f"Buffers size (MB): {mb(totals['buffer_bytes'])}",
        f"Estimated Total Size (MB): {mb(sum(totals[k] for k in sizes))}",
        rule,
    ]
    if notes:
        out += notes + [rule]
    return "\n".join(out)


# --------------------------------------------------------------------- main
def summary(model, input_size: Sequence | None = None, input_data: Any = None, *,
            col_names: Iterable[str] = _DEFAULT_COLUMNS, col_width: int = 25, depth: int = 3,
            dtypes=None, verbose: int = 1, print_fn: Callable[[str], Any] | None = print,
            **kwargs: Any) -> str:
    """Prints and returns torchinfo's table of a model's layers: shapes, parameters and mult-adds.

    Runs one forward pass in eval mode under ``no_grad`` (each module's train/eval mode is restored
    afterwards, and no graph is recorded). See the module docstring for the counting conventions.

    Args:
        model: an ``nn.Module``.
        input_size: the shape of the input, batch dimension included, e.g. ``(1, 1, 28, 28)``, or a
            list of such shapes for a model with several inputs. Random inputs are generated.
        input_data: instead of ``input_size``, example inputs: a tensor, a tuple/list of positional
            inputs, or a dict of keyword inputs (``model(**input_data)``).
        col_names: the columns after the layer names, from ``"input_size"``, ``"output_size"``,
            ``"num_params"``, ``"params_percent"``, ``"kernel_size"``, ``"mult_adds"``, ``"trainable"``.
        col_width: the width of each column (wider where a value needs it).
        depth: the deepest nesting level shown; the model itself is level 0, its children level 1.
        dtypes: with ``input_size``, the dtype of each input (one dtype or a list); default: the
            dtype of the model's floating-point parameters.
        verbose: 0 to only return the table, 1 to also print it (with ``print_fn``).
        print_fn: called once with the table; None to only return it.
        **kwargs: further keyword arguments for ``model.forward``.

    Returns:
        the table, exactly as passed to ``print_fn``.

    Example::

        >>> from glasstorch.utils import summary
        >>> table = summary(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (2, 4), print_fn=None)
        >>> print(table.splitlines()[4])
        ├─Linear (0)                             [2, 3]                    15
    """
    if (input_size is None) == (input_data is None):
        raise ValueError("summary() needs exactly one of input_size (a shape with the batch dimension, "
                         "e.g. (1, 1, 28, 28)) or input_data (example inputs)")
    cols = _normalize_columns(col_names)
    if not isinstance(depth, (int, np.integer)) or isinstance(depth, bool) or depth < 0:
        raise ValueError(f"depth must be an int >= 0, got {depth!r}")
    if verbose not in (0, 1):
        raise ValueError(f"verbose must be 0 (quiet) or 1 (print), got {verbose!r}")
    if input_size is not None:
        sizes = _normalize_sizes(input_size)
        args, call_kwargs = _make_inputs(model, sizes, dtypes), {}
    else:
        if dtypes is not None:
            raise ValueError("dtypes applies to generated inputs (input_size); input_data keeps its own dtypes")
        sizes = None
        args, call_kwargs = _split_input_data(input_data)
    call_kwargs.update(kwargs)

    recorder = _Recorder()
    modes = [(m, m.training) for m in model.modules()]
    observe.add(recorder)
    try:
        model.eval()
        with no_grad():
            model(*args, **call_kwargs)
    except Exception as e:
        if hasattr(e, "add_note"):
            if recorder.stack:
                inner = recorder.stack[-1].module
                path = dict((id(m), p) for p, m in model.named_modules()).get(id(inner))
                name = f"{path} ({type(inner).__name__})" if path else type(inner).__name__
                e.add_note(f"summary(): the forward pass failed inside {name}")
            if sizes is not None:
                e.add_note(f"summary(): the inputs had shapes {sizes}; input_size includes the batch "
                           f"dimension, as in torchinfo (one 1x28x28 image is (1, 1, 28, 28))")
        raise
    finally:
        observe.remove(recorder)
        for m, training in modes:
            m.training = training

    rows = recorder.rows
    paths: dict[int, str] = {}
    for path, m in model.named_modules(remove_duplicate=False):
        paths.setdefault(id(m), path)  # a module registered under two names: its first
    if rows:  # the top row gets its inputs from everything the model was called with
        rows[0].inputs = _format_shapes((args, call_kwargs))

    params = list(model.parameters())  # each tensor once, shared or not
    total_params = sum(p.numel() for p in params)
    cells, marked = _cells(rows, paths, int(depth), total_params)
    totals = {
        "params": total_params,
        "trainable": sum(p.numel() for p in params if p.requires_grad),
        "macs": sum(r.macs for r in rows if r.macs is not None),
        "input_bytes": sum(t.numel() * t.element_size() for t in _tensors((args, call_kwargs))),
        # torchinfo's estimate: outputs of the layers with parameters, kept for backward and their grads.
        "pass_bytes": 2 * sum(r.output_bytes for r in rows if r.module is not None and not r.module._modules
                              and any(p is not None for p in r.module._parameters.values())),
        "param_bytes": sum(p.numel() * p.element_size() for p in params),
        "buffer_bytes": sum(b.numel() * b.element_size() for b in model.buffers()),
    }
    notes = []
    if marked:
        notes.append("* parameters shown in an earlier row too (shared); the totals count them once")
    called = {id(r.module) for r in rows if r.module is not None}
    missing = [name for name, m in model.named_modules() if id(m) not in called
               and any(p is not None for p in m._parameters.values())]
    if missing:
        notes.append("Not called in forward, but in the totals: " + ", ".join(missing))
    table = _render(cells, cols, col_width, totals, notes)
    if verbose and print_fn is not None:
        print_fn(table)
    return table
