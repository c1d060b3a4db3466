"""The one seam through which tools watch a run: Trace, anomaly mode, summary, the graph's statistics.

``Function.apply``, the backward engine and ``Module.__call__`` each check one module-level list,
``observers``. When it is empty (the usual case) they do nothing more than that check; when an
observer is in it, they call its methods with what just happened. No tool patches functions from
outside, so nothing can be missed or wrapped twice: every op, built-in, functional or user-defined,
goes through ``Function.apply``, and every gradient goes through the engine.

Ops that a node's backward formula runs (backward is written with glasstorch ops) are not reported
as forward ops: the engine reports the node's backward as one event instead.

Observers are called in the order they were added. An observer that raises stops the op, as
anomaly mode does on purpose; the others must not raise.

Besides the list, this module keeps the **module stack**: the chain of modules whose ``forward`` is
running right now, outermost first. ``Module.__call__`` pushes and pops it always (it is a tuple
swap, far cheaper than the op itself), and every graph node records the chain that was current when
it was made, as ``node._module_chain`` (and ``node._module_calls``, one number per call, so that
two calls of the same module can be told apart). That is how ``glasstorch.viz.graph`` boxes ops by module,
even when nothing was observing the forward pass.
"""
from __future__ import annotations

import threading

__all__ = ["Observer", "observers", "add", "remove", "module_chain"]


class Observer:
    """Base class of the tools that watch ops; override only the methods you need."""

    def forward(self, cls, node, args: tuple, outputs: tuple, seconds: float) -> None:
        """Called after each op's forward.

        Args:
            cls: the op's Function class (``cls.name()`` is torch's node name, as ``MulBackward0``).
            node: the graph node that was recorded, or None under no_grad or when no input requires grad.
            args: the op's positional arguments as given (Tensors and plain values).
            outputs: the op's outputs, always a tuple of Tensors (or other values).
            seconds: the time forward took.
        """

    def backward(self, node, grad_outputs: tuple, grad_inputs: tuple, seconds: float) -> None:
        """Called after each node's backward, before its gradients are passed on.

        ``grad_outputs`` are the gradients that reached the node's outputs (None where none did),
        ``grad_inputs`` what the node returned, one per input (None where an input needs none).
        """

    def leaf(self, tensor, grad) -> None:
        """Called when a gradient reaches a leaf tensor, before it is accumulated into ``.grad``."""

    def backward_end(self) -> None:
        """Called once when a backward pass (``backward()`` or ``autograd.grad``) has finished."""

    def module_enter(self, module, args: tuple) -> None:
        """Called before a module's forward (after its forward pre-hooks)."""

    def module_exit(self, module, output) -> None:
        """Called after a module's forward (before its forward hooks)."""


# The observers, in the order added. The core reads this one list; keep it a list (never rebind it).
observers: list = []


def add(observer: Observer) -> Observer:
    """Starts calling ``observer``; returns it."""
    observers.append(observer)
    return observer


def remove(observer: Observer) -> None:
    """Stops calling ``observer`` (no error if it is not there)."""
    for i, o in enumerate(observers):
        if o is observer:
            del observers[i]
            return


class _ModuleStack(threading.local):
    def __init__(self):
        # A tuple, replaced on each push and pop: a node that stores it keeps exactly the chain
        # of its own moment, without a copy per op.
        self.chain: tuple = ()
        # The same chain as call numbers (one per module call, counted up in this thread): two calls
        # of one module have the same chain of modules but different call numbers.
        self.calls: tuple = ()
        self.count = 0


_stack = _ModuleStack()


def module_chain() -> tuple:
    """The modules whose forward is running now, outermost first."""
    return _stack.chain
