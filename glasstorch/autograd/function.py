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

from .grad_mode import _state

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
    _post_hooks = None

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
        """The nodes this node sends gradients to: ``(node, output_nr)``, or None for inputs without grad."""
        return tuple(None if e is None else (e[0] if isinstance(e[0], Function) else AccumulateGrad(e[0]), e[1])
                     for e in self._edges)

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
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = prev

        if type(raw) is np.ndarray:  # the common case: one new array
            out = Tensor._make(raw)
            if record:
                ctx._attach(args, (out,))
            return out
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
            for t in to_save:
                if t is None or not isinstance(t, Tensor):
                    saved.append((None, None))
                    continue
                for i, o in enumerate(outputs):
                    if t is o:
                        saved.append((_SavedOutput(t, i), t._version.value))
                        break
                else:
                    saved.append((t, t._version.value))
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
