"""Hooks on the graph, as ``torch.autograd.graph``: saved-tensor hooks, multi-gradient hooks, ``Node``.

- ``saved_tensors_hooks(pack_hook, unpack_hook)``: every tensor an op saves for backward goes
  through ``pack_hook`` when it is saved, and what that returned through ``unpack_hook`` when
  backward reads it (``Function._attach`` and ``FunctionCtx.saved_tensors`` do the calls, with the
  innermost pair of ``function._saved_tensors_hooks``; this module only pushes and pops that list).
- ``register_multi_grad_hook(tensors, fn, mode=...)``: one hook over several tensors' gradients.
- ``Node``: the abstract graph node, so that ``isinstance(t.grad_fn, Node)`` holds, as in torch.
"""
from __future__ import annotations

import abc
import contextlib
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from . import engine as _engine
from . import function as _function
from . import observe
from .function import AccumulateGrad, Function

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["Node", "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "register_multi_grad_hook", "increment_version"]


class Node(abc.ABC):
    """The abstract base of graph nodes: ``t.grad_fn`` and the ``AccumulateGrad`` ends of
    ``next_functions`` are instances.

    In glasstorch a node is the ``Function`` object ``apply`` kept (see ``autograd/function.py``);
    this class only names what nodes share, so that type checks written for torch work:

    Example::

        >>> y = glasstorch.ones(2, requires_grad=True) * 2
        >>> isinstance(y.grad_fn, glasstorch.autograd.graph.Node)
        True
    """

    @abc.abstractmethod
    def name(self) -> str:
        """The node's name, as ``MulBackward0``."""

    @property
    @abc.abstractmethod
    def next_functions(self) -> tuple:
        """``(node, output_nr)`` for each input, ``(None, 0)`` where an input needs no gradient."""


# Registered, not subclassed: Function keeps its own plain class hierarchy (and its fast apply).
Node.register(Function)
Node.register(AccumulateGrad)


def increment_version(tensor: Tensor | Iterable[Tensor]) -> None:
    """Marks ``tensor`` (or each tensor of an iterable) as modified in place.

    Call it after changing a tensor's memory behind autograd's back (for example through
    ``tensor.numpy()``), so that a node that saved the old value refuses to use it in backward.
    """
    tensors = (tensor,) if hasattr(tensor, "_version") else tuple(tensor)
    for t in tensors:
        t._version.value += 1


# ----------------------------------------------------------------------------- saved tensor hooks
# The message of the innermost active ``disable_saved_tensors_hooks``, or None.
_disabled_message: str | None = None


class saved_tensors_hooks:
    """Context manager that sets a pair of pack / unpack hooks for saved tensors.

    Inside it, every tensor an op saves for backward (its inputs or its output, built-in op or
    custom Function alike) is passed to ``pack_hook``, and the graph keeps what that returns. When
    backward needs the tensor, ``unpack_hook`` gets that object back and must return a tensor
    with the same content. Nested, only the innermost pair applies.

    Args:
        pack_hook: ``pack_hook(tensor) -> Any``.
        unpack_hook: ``unpack_hook(packed) -> Tensor``.

    Example::

        >>> def pack(x):
        ...     print("Packing", x)
        ...     return x.detach()
        >>> a = glasstorch.ones(5, requires_grad=True)
        >>> with glasstorch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        ...     y = a * a          # packs a twice, as torch does
        >>> y.sum().backward()     # unpacks both
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook
        self._pairs: list = []  # what this object pushed, one per (possibly repeated) entry

    def _pack(self, tensor):
        # As in torch, no hooks apply while a pack hook runs: a pack hook that runs an op which
        # saves a tensor (``lambda t: t * 1``) would otherwise pack forever.
        stack = _function._saved_tensors_hooks
        stashed = stack[:]
        del stack[:]
        try:
            return self.pack_hook(tensor)
        finally:
            stack[:] = stashed

    def __enter__(self) -> None:
        if _disabled_message is not None:
            raise RuntimeError(_disabled_message)
        pair = (self._pack, self.unpack_hook)
        self._pairs.append(pair)
        _function._saved_tensors_hooks.append(pair)

    def __exit__(self, *exc) -> None:
        pair = self._pairs.pop()
        stack = _function._saved_tensors_hooks
        # Remove exactly the pair this entry pushed (normally the last one).
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is pair:
                del stack[i]
                break


class save_on_cpu(saved_tensors_hooks):
    """Context manager under which saved tensors are kept on the CPU until backward needs them.

    torch moves saved GPU tensors to the CPU to save GPU memory. glasstorch tensors already live in
    CPU memory, so, as torch does for tensors on the CPU, the hooks keep each tensor as it is, with
    no copy; the context manager exists so that code written for torch runs unchanged.

    Args:
        pin_memory (bool): accepted for compatibility; no effect on the CPU. Default: ``False``.
        device_type (str): accepted for compatibility. Default: ``"cuda"``.
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor):
            return (tensor.device, tensor.cpu())

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Iterator[None]:
    """Context manager that forbids saved tensor hooks: entering ``saved_tensors_hooks`` inside it
    (or entering it while hooks are active) raises a RuntimeError with ``error_message``.

    Example::

        >>> with glasstorch.autograd.graph.disable_saved_tensors_hooks("not with my feature"):
        ...     with glasstorch.autograd.graph.save_on_cpu():   # RuntimeError: not with my feature
        ...         pass
    """
    global _disabled_message
    prev = _disabled_message
    try:
        _disabled_message = error_message
        if _function._saved_tensors_hooks:
            raise RuntimeError(error_message)
        yield
    finally:
        _disabled_message = prev


# ----------------------------------------------------------------------------- multi-grad hooks
def _backward_depth() -> int:
    """How many backward passes are running now: 2 inside a backward that a node's backward (or a
    hook) started, as reentrant checkpointing does. Walks the stack; called once per hook call."""
    depth = 0
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is _RUN_CODE:
            depth += 1
        frame = frame.f_back
    return depth


_RUN_CODE = _engine._run.__code__


class _BackwardEnd(observe.Observer):
    """Tells the multi-grad hooks that a backward pass has ended, so each delivers or resets.

    Each pass is told apart by its depth (``_backward_depth``): a backward started inside another
    one is its own pass, as it is its own graph task in torch. The observer is in
    ``observe.observers`` only from the first hook that fires to the end of that pass, so ops cost
    nothing extra while no such backward runs, and the list is as it was when control returns to
    an outer pass.
    """

    def __init__(self):
        self.pending: dict = {}  # depth -> {id(hook state): state}, those that saw a gradient in that pass

    def wait(self, state, depth: int) -> None:
        if not self.pending:
            observe.add(self)
        self.pending.setdefault(depth, {})[id(state)] = state

    def drop(self, state) -> None:
        for depth in list(self.pending):
            states = self.pending[depth]
            states.pop(id(state), None)
            if not states:
                del self.pending[depth]
        if not self.pending:
            observe.remove(self)

    def backward_end(self) -> None:
        depth = _backward_depth()  # the ending pass's _run is still on the stack
        states = self.pending.pop(depth, {})
        if not self.pending:
            observe.remove(self)
        for state in states.values():
            state.end(depth)


_backward_end = _BackwardEnd()


class _AllGrads:
    """``mode="all"``: collects the gradients of one backward, then calls ``fn`` once with them."""

    def __init__(self, fn, n: int):
        self.fn = fn
        self.n = n
        self.grads: dict = {}  # depth -> the gradients that arrived in that pass

    def hook(self, index: int):
        def inner(grad):
            depth = _backward_depth()
            grads = self.grads.get(depth)
            if grads is None:
                grads = self.grads[depth] = [None] * self.n
                _backward_end.wait(self, depth)
            grads[index] = grad
        return inner

    def end(self, depth: int) -> None:
        self.fn(self.grads.pop(depth))


class _AnyGrad:
    """``mode="any"``: calls ``fn`` with the first gradient of each backward, at once."""

    def __init__(self, fn):
        self.fn = fn
        self.ran: set = set()  # the depths of the passes where fn has run

    def hook(self, grad):
        depth = _backward_depth()
        if depth in self.ran:
            return
        self.ran.add(depth)
        _backward_end.wait(self, depth)
        self.fn(grad)

    def end(self, depth: int) -> None:
        self.ran.discard(depth)


class _MultiHandle:
    """The handle ``register_multi_grad_hook`` returns: ``remove()`` removes every per-tensor hook."""

    def __init__(self, handles: tuple, state):
        self.handles = handles
        self._state = state

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        _backward_end.drop(self._state)

    def __enter__(self) -> "_MultiHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register_multi_grad_hook(tensors: Sequence, fn: Callable, *, mode: str = "all") -> _MultiHandle:
    """Registers one backward hook over the gradients of several tensors.

    - ``mode="all"``: ``fn(grads)`` is called once per backward pass in which any of ``tensors``
      gets a gradient, with one entry per tensor: its gradient, or None for a tensor that got none
      in this pass (not part of the graph, or not needed for the ``inputs`` asked for).
    - ``mode="any"``: ``fn(grad)`` is called once per backward pass, with the first gradient
      computed for any of ``tensors``.

    ``fn`` must not modify its arguments. Returns a handle whose ``remove()`` removes the hook.

    .. note::
        In ``"all"`` mode torch calls ``fn`` as soon as the last gradient it waits for is
        computed; glasstorch calls it when the backward pass ends, because the engine does not
        yet say which tensors a pass will reach. The gradients passed, and the number of calls,
        are the same.

    Example::

        >>> a = glasstorch.rand(2, 3, requires_grad=True)
        >>> b = glasstorch.rand(2, 3, requires_grad=True)
        >>> c = a * b
        >>> d = a * b
        >>> register_multi_grad_hook((a, b, c, d), lambda grads: print([g is not None for g in grads]))
        >>> c.sum().backward(retain_graph=True)
        [True, True, True, False]
        >>> c.sum().backward(inputs=(a,), retain_graph=True)
        [True, False, True, False]
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    if mode == "all":
        state = _AllGrads(fn, len(tensors))
        # As torch: every tensor must require grad (register_hook raises otherwise).
        handles = tuple(t.register_hook(state.hook(i)) for i, t in enumerate(tensors))
    else:
        state = _AnyGrad(fn)
        handles = tuple(t.register_hook(state.hook) for t in tensors if t.requires_grad)
    return _MultiHandle(handles, state)
