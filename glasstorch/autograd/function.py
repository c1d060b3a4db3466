"""Function: the one building block of the graph.

Every differentiable op, built-in or user-defined, is a subclass of
:class:`Function` with two static methods::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                  # runs on the values
            out = np.exp(x._data)
            ctx.save_for_backward(...)        # keep what backward needs
            return out
        @staticmethod
        def backward(ctx, grad):              # runs on the gradients
            ...

``Exp.apply(x)`` runs ``forward`` and, when grad mode is on and an input
requires grad, keeps the ``ctx`` object as the output's ``grad_fn``: a graph
node that links to its inputs' nodes. That link is the whole graph; there is
no global list of nodes, so a graph nobody refers to is simply freed.

Built-in ops may return NumPy arrays from ``forward``; ``apply`` wraps them.
``backward`` receives and returns Tensors and is written with glasstorch ops,
so that ``create_graph=True`` can record the backward pass itself.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from time import perf_counter

from .grad_mode import _state
from .observe import observers as _observers, _stack as _module_stack

# The Tensor class; glasstorch._tensor sets it once the class exists, as that module imports this one.
Tensor = None

_VERSION_MSG = (
    "one of the variables needed for gradient computation has been modified by an "
    "inplace operation: [{kind} {shape}], which is output {nr} of {node}, is at version "
    "{now}; expected version {then} instead."
)
_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class _SavedOutput:
    """A saved output of the node itself.

    Storing the output Tensor would make a cycle (output -> grad_fn -> saved
    output), which only the cyclic GC could free. Instead keep its array and
    version counter, and rebuild a Tensor whose grad_fn is the node on unpack.
    """
    __slots__ = ("_data", "version", "expected", "output_nr", "requires_grad")

    def __init__(self, t, output_nr):
        self._data = t._data
        self.version = t._version
        self.expected = t._version.value
        self.output_nr = output_nr
        self.requires_grad = t.requires_grad


# The (pack, unpack) pairs of the active ``autograd.graph.saved_tensors_hooks``, innermost last.
_saved_tensors_hooks: list = []


class _Packed:
    """A saved tensor handed to a ``saved_tensors_hooks`` pack hook; unpacked on access.

    ``output_nr`` is set when the saved tensor is the node's own output: on unpack it is linked
    back to the node, as ``_SavedOutput`` does, so double backward still flows through it.
    """
    __slots__ = ("packed", "unpack_hook", "output_nr")

    def __init__(self, packed, unpack_hook, output_nr=None):
        self.packed = packed
        self.unpack_hook = unpack_hook
        self.output_nr = output_nr

    def unpack(self, node=None):
        t = self.unpack_hook(self.packed)
        if Tensor is not None and not isinstance(t, Tensor):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        if node is not None and self.output_nr is not None and t._requires_grad and _state.enabled:
            t = Tensor._make(t._data, True)
            t._grad_fn = node
            t._output_nr = self.output_nr
        return t


def _pack_saved(saved: list) -> list:
    """Passes each saved tensor through the innermost pack hook, as torch does at save time."""
    pack, unpack = _saved_tensors_hooks[-1]
    out = []
    for item, version in saved:
        if item is None:
            out.append((None, None))
            continue
        t, nr = item, None
        if isinstance(item, _SavedOutput):
            t = Tensor._make(item._data, item.requires_grad)
            t._version = item.version
            nr = item.output_nr
        out.append((_Packed(pack(t), unpack, nr), version))
    return out


class FunctionCtx:
    """The ``ctx`` argument of ``forward`` and ``backward``."""

    def save_for_backward(self, *tensors) -> None:
        """Saves tensors (inputs or outputs) for ``backward``; read them with ``saved_tensors``."""
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Marks outputs that never need a gradient, such as indices."""
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors) -> None:
        """Accepted for API compatibility: in-place ops are handled by the Tensor methods."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """If False, ``backward`` receives None instead of zeros for unused outputs."""
        self._materialize_grads = value

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        out = []
        for item, expected in saved:
            if item is None:
                out.append(None)
                continue
            if isinstance(item, _Packed):
                out.append(item.unpack(self))
                continue
            if isinstance(item, _SavedOutput):
                if item.version.value != expected:
                    self._raise_modified(item._data, item.output_nr, item.version.value, expected)
                t = Tensor._make(item._data, item.requires_grad)
                t._version = item.version
                if item.requires_grad and _state.enabled:
                    # Re-attach the output to this node so double backward can flow through it.
                    t._grad_fn = self
                    t._output_nr = item.output_nr
                out.append(t)
            else:
                if item._version.value != expected:
                    nr = item._output_nr
                    node = item._grad_fn
                    self._raise_modified(item._data, nr, item._version.value, expected, node)
                out.append(item)
        return tuple(out)

    def _raise_modified(self, data, nr, now, then, node=None):
        kind = {np.dtype(np.float32): "torch.FloatTensor", np.dtype(np.float64): "torch.DoubleTensor"}.get(
            data.dtype, f"{data.dtype} tensor")
        name = node.name() if node is not None else self.name()
        raise RuntimeError(_VERSION_MSG.format(kind=kind, shape=list(data.shape), nr=nr, node=name,
                                               now=now, then=then))


class Function(FunctionCtx):
    """Base class of every differentiable operation.

    Subclass it and define static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``,
    then call ``YourFunction.apply(*args)``. ``backward`` returns one gradient per
    ``forward`` argument (None for arguments that need none).

    Example::

        >>> class Square(glasstorch.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         x, = ctx.saved_tensors
        ...         return 2 * x * grad
        >>> y = Square.apply(glasstorch.tensor(3.0, requires_grad=True))
    """

    # Built-in ops are named like torch's nodes (MulBackward0); user Functions as MyFnBackward.
    _backward_suffix = "Backward"

    # Attributes of the node. Class-level defaults keep ``apply`` cheap.
    _saved = None
    _to_save = ()
    _non_differentiable = ()
    _materialize_grads = True
    _edges: tuple = ()
    _input_meta: tuple = ()
    _output_meta: tuple = ()
    _pre_hooks = None
    _retain_grads = None   # output_nr -> the retain_grad() store, run after that output's hooks
    _post_hooks = None
    _module_chain: tuple = ()   # the modules running when the node was made (observe.py)
    _module_calls: tuple = ()   # the same, as call numbers
    _creation_site = None       # (file, line, function) of the user's call, kept by anomaly mode
    _anomaly = None             # anomaly mode's message, when it flagged this node

    @staticmethod
    def forward(ctx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def name(cls) -> str:
        return cls.__name__ + cls._backward_suffix

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self) -> tuple:
        """The nodes this node sends gradients to: ``(node, output_nr)``, or ``(None, 0)`` for inputs
        that need no gradient, as in torch."""
        return tuple((None, 0) if e is None else (e[0] if isinstance(e[0], Function) else AccumulateGrad(e[0]), e[1])
                     for e in self._edges)

    @property
    def metadata(self) -> dict:
        """A dict for the user's (and tools') own notes on this node, as torch's ``grad_fn.metadata``."""
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self.__dict__["_metadata"] = {}
        return d

    def __getattr__(self, name: str):
        # Only reached for attributes the node does not have. torch names a node's saved values
        # ``_saved_self`` / ``_saved_other`` (the first two inputs) and ``_saved_result`` (the output).
        if name.startswith("_saved_") and name != "_saved_hooks":
            which = name[len("_saved_"):]
            saved = self.__dict__.get("_saved", ())
            if saved is None:
                raise RuntimeError(_FREED_MSG)
            index = self.__dict__.get("_saved_index", ())
            want = {"self": 0, "other": 1, "result": "out"}.get(which)
            if want is not None:
                for slot, t in zip(index, self.saved_tensors):
                    if slot == want:
                        return t
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def register_hook(self, hook):
        """Registers ``hook(grad_inputs, grad_outputs)`` to run after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = {}
        return _add_hook(self._post_hooks, hook)

    @classmethod
    def apply(cls, *args, **kwargs):
        # This runs for every op, forward and (without create_graph) backward, so it is
        # written as plain loops: no generator expressions, one pass over the arguments.
        state = _state
        needs = []
        wants_grad = False
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                needs.append(True)
                wants_grad = True
            else:
                needs.append(False)
        ctx = cls.__new__(cls)
        ctx.needs_input_grad = tuple(needs)
        record = wants_grad and state.enabled
        # forward runs with recording off: a user forward written with glasstorch ops
        # must not build a graph of its own inside this node.
        prev = state.enabled
        state.enabled = False
        if _observers and not state.in_backward:
            return cls._apply_observed(ctx, record, args, kwargs, prev)
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = prev

        if type(raw) is np.ndarray:  # the common case: one new array
            out = Tensor._make(raw)
            if record:
                ctx._attach(args, (out,))
            return out
        return cls._wrap(ctx, record, args, raw)

    @classmethod
    def _wrap(cls, ctx, record, args, raw):
        single = not isinstance(raw, tuple)
        outputs = (raw,) if single else raw
        wrapped = []
        for o in outputs:
            if type(o) is np.ndarray:
                o = Tensor._make(o)
            elif isinstance(o, np.generic):
                o = Tensor._make(np.asarray(o))
            elif isinstance(o, Tensor):
                for a in args:
                    if o is a:
                        # forward returned an input unchanged: the output must be a new node's tensor.
                        o = o._alias()
                        break
            wrapped.append(o)
        if record:
            ctx._attach(args, wrapped)
        return wrapped[0] if single else tuple(wrapped)

    @classmethod
    def _apply_observed(cls, ctx, record, args, kwargs, prev):
        """``apply`` while an observer listens (see ``autograd/observe.py``): timed, then reported."""
        t0 = perf_counter()
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        finally:
            _state.enabled = prev
        seconds = perf_counter() - t0
        result = cls._wrap(ctx, record, args, raw)
        outputs = result if isinstance(result, tuple) else (result,)
        node = ctx if record else None
        for observer in list(_observers):
            observer.forward(cls, node, args, outputs, seconds)
        return result

    def _attach(self, args, outputs) -> None:
        """Links this node to its inputs and marks the outputs as produced by it."""
        edges = []
        meta = []
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                fn = a._grad_fn
                edges.append((fn, a._output_nr) if fn is not None else (a, 0))
                d = a._data
                meta.append((d.shape, d.dtype))
            else:
                edges.append(None)
                meta.append(None)
        self._edges = tuple(edges)
        self._input_meta = tuple(meta)
        stack = _module_stack
        self._module_chain = stack.chain
        self._module_calls = stack.calls

        non_diff = self._non_differentiable
        out_meta = []
        for i, o in enumerate(outputs):
            if isinstance(o, Tensor):
                d = o._data
                out_meta.append((d.shape, d.dtype))
                if d.dtype.kind == "f" and not (non_diff and any(o is n for n in non_diff)):
                    o._requires_grad = True
                    o._grad_fn = self
                    o._output_nr = i
            else:
                out_meta.append(None)
        self._output_meta = tuple(out_meta)

        to_save = self._to_save
        if to_save:
            saved = []
            index = []
            for k, t in enumerate(to_save):
                if t is None or not isinstance(t, Tensor):
                    saved.append((None, None))
                    index.append(None)
                    continue
                for i, o in enumerate(outputs):
                    if t is o:
                        saved.append((_SavedOutput(t, i), t._version.value))
                        index.append("out" if i == 0 else None)
                        break
                else:
                    saved.append((t, t._version.value))
                    # Which input it is: for ``x * x`` both saved tensors are x, as inputs 0 and 1.
                    same = [j for j, a in enumerate(args) if a is t]
                    index.append(k if k in same else (same[0] if same else None))
            self._saved_index = tuple(index)
            if _saved_tensors_hooks:
                saved = _pack_saved(saved)
            self._saved = tuple(saved)
            self._to_save = ()
        else:
            self._saved = ()

    def _rebind_output(self, old, new) -> None:
        """An in-place op wrote its output ``old`` into ``new``: saved copies of it now refer to ``new``.

        Later changes to ``new`` then bump the version this node checks, exactly as in torch.
        """
        if self._saved:
            self._saved = tuple(
                (_SavedOutput(new, item.output_nr), new._version.value)
                if isinstance(item, _SavedOutput) and item._data is old._data else (item, v)
                for item, v in self._saved)

    def _release(self) -> None:
        """Frees the saved tensors once backward has used them (unless retain_graph)."""
        self._saved = None


class AccumulateGrad:
    """The node that ends a path at a leaf tensor, shown in ``next_functions``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    @staticmethod
    def name() -> str:
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"


class RemovableHandle:
    """Returned by every hook registration (tensors, nodes, modules): ``remove()`` unregisters the hook.

    Hooks live in dicts keyed by the handle's id, so removal is exact even if the same function
    was registered twice. Also a context manager.
    """

    _next_id = 0

    def __init__(self, hooks_dict: dict):
        self._hooks_dict = hooks_dict
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks_dict.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_hook(hooks_dict: dict, hook) -> RemovableHandle:
    handle = RemovableHandle(hooks_dict)
    hooks_dict[handle.id] = hook
    return handle


class _Primitive(Function):
    """Base of the built-in ops: their nodes are named like torch's (``MulBackward0``)."""
    _backward_suffix = "Backward0"


def once_differentiable(fn):
    """Decorator accepted for API compatibility with torch.autograd.function.once_differentiable."""
    return fn
