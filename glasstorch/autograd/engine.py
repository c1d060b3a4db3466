"""The backward pass: walk the graph from the outputs to the leaves.

The graph is made of two kinds of vertices:

* nodes: the ``Function`` instances kept as ``grad_fn``; ``node._edges[i]`` is
  ``(vertex, output_nr)`` for the i-th input, or None if that input needs no gradient;
* leaves: tensors with ``requires_grad=True`` and no ``grad_fn``; gradients end there.

``_run`` does the whole job in four steps:

1. order the vertices reachable from the outputs (an iterative depth-first
   search, so a chain of 100,000 ops does not hit Python's recursion limit);
2. visit them in topological order, so that every gradient arriving at a vertex
   has been summed before the vertex runs;
3. call each node's ``backward`` once, then reduce each returned gradient to the
   shape and dtype of its input -- the one place where broadcasting is undone;
4. free each node's saved tensors unless ``retain_graph``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from time import perf_counter

from .function import Function
from .grad_mode import _state
from .observe import observers as _observers

# The Tensor class; glasstorch._tensor sets it once the class exists, as that module imports this one.
Tensor = None


def _topological_order(roots: list) -> list:
    """Vertices reachable from ``roots``, each after every vertex that sends it a gradient."""
    seen = set()
    post = []
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root._edges) if isinstance(root, Function) else iter(()))]
        while stack:
            vertex, children = stack[-1]
            for edge in children:
                if edge is not None and id(edge[0]) not in seen:
                    child = edge[0]
                    seen.add(id(child))
                    stack.append((child, iter(child._edges) if isinstance(child, Function) else iter(())))
                    break
            else:
                stack.pop()
                post.append(vertex)
    post.reverse()
    return post


def _sum_to(grad, shape: tuple, dtype, node, index: int):
    """Reduces a gradient to its input's shape (undoing broadcasting) and dtype."""
    if _sum_to_ops is None:
        _load_sum_to_ops()
    sum_to, cast, from_np = _sum_to_ops
    if grad._data.shape != shape:
        try:
            grad = sum_to(grad, shape)
        except ValueError:
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {index} - got "
                               f"{list(grad._data.shape)} but expected shape compatible with {list(shape)}") from None
    if grad._data.dtype != dtype:
        grad = cast(grad, from_np[dtype])
    return grad


# The ops _sum_to uses; imported on first use, as the ops package imports this module's users.
_sum_to_ops = None


def _load_sum_to_ops() -> None:
    global _sum_to_ops
    from ..ops.broadcast import sum_to
    from ..ops.elementwise import cast
    from .._dtype import _FROM_NP
    _sum_to_ops = (sum_to, cast, _FROM_NP)


def _run(roots: list, root_grads: list, retain_graph: bool, create_graph: bool, targets: list | None = None):
    """Runs backward from ``roots`` (vertices paired with output numbers).

    Without ``targets``, gradients are accumulated into the leaves' ``.grad``.
    With ``targets`` (a list of ``(vertex, output_nr)``), nothing is accumulated and the
    gradient arriving at each target is returned instead, as for ``autograd.grad``.
    """
    order = _topological_order([v for v, _ in roots])
    needed = None
    captured = None
    if targets is not None:
        # Only vertices with a path to a target need to run.
        wanted = {id(v) for v, _ in targets}
        needed = set()
        for vertex in reversed(order):
            if id(vertex) in wanted or (isinstance(vertex, Function) and any(
                    e is not None and id(e[0]) in needed for e in vertex._edges)):
                needed.add(id(vertex))
        captured = {}
        target_slots = {(id(v), nr) for v, nr in targets}

    buffers: dict = {}
    for (vertex, nr), g in zip(roots, root_grads):
        _accumulate(buffers, vertex, nr, g)

    prev = _state.enabled
    prev_in_backward = _state.in_backward
    _state.enabled = create_graph
    _state.in_backward = True
    try:
        for vertex in order:
            slots = buffers.pop(id(vertex), None)
            if slots is None:
                continue
            if needed is not None and id(vertex) not in needed:
                continue

            if not isinstance(vertex, Function):  # a leaf tensor
                grad = slots[0]
                if vertex._hooks:
                    for hook in list(vertex._hooks.values()):
                        out = hook(grad)
                        if out is not None:
                            grad = out
                if _observers:
                    for observer in list(_observers):
                        observer.leaf(vertex, grad)
                if captured is not None:
                    if (id(vertex), 0) in target_slots:
                        captured[(id(vertex), 0)] = grad
                else:
                    _accumulate_into_leaf(vertex, grad, create_graph)
                continue

            node = vertex
            if node._pre_hooks:
                for nr, hooks in node._pre_hooks.items():
                    if nr < len(slots) and slots[nr] is not None:
                        for hook in list(hooks.values()):
                            out = hook(slots[nr])
                            if out is not None:
                                slots[nr] = out
            if node._retain_grads:
                # retain_grad() keeps the gradient as the tensor's hooks left it, whatever their order
                for nr, store in node._retain_grads.items():
                    if nr < len(slots) and slots[nr] is not None:
                        store(slots[nr])
            if captured is not None:
                for nr, g in enumerate(slots):
                    if (id(node), nr) in target_slots and g is not None:
                        captured[(id(node), nr)] = g
                if not any(e is not None and id(e[0]) in needed for e in node._edges):
                    continue

            if (len(slots) > 1 or slots[0] is None) and node._materialize_grads:
                for nr, g in enumerate(slots):
                    if g is None:
                        shape, dt = node._output_meta[nr]
                        slots[nr] = Tensor._make(np.zeros(shape, dtype=dt))
            # Read once: an observer added during this node's backward (by a hook) starts with the next node.
            observing = bool(_observers)
            if observing:
                t0 = perf_counter()
            grads = type(node).backward(node, *slots)
            if not isinstance(grads, tuple):
                grads = (grads,)
            if observing:
                seconds = perf_counter() - t0
                for observer in list(_observers):
                    observer.backward(node, tuple(slots), grads, seconds)
            edges = node._edges
            if len(grads) != len(edges) and (len(grads) < len(edges) or
                                             any(g is not None for g in grads[len(edges):])):
                raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                                   f"(expected {len(edges)}, got {len(grads)})")
            if not retain_graph:
                node._release()
            if node._post_hooks:
                for hook in list(node._post_hooks.values()):
                    hook(grads, tuple(slots))

            input_meta = node._input_meta
            for i, edge in enumerate(edges):
                if edge is None:
                    continue
                g = grads[i]
                if g is None:
                    continue
                if not isinstance(g, Tensor):
                    g = Tensor._make(np.asarray(g))
                shape, dt = input_meta[i]
                data = g._data
                if data.shape != shape or data.dtype != dt:
                    g = _sum_to(g, shape, dt, node, i)
                _accumulate(buffers, edge[0], edge[1], g)
    finally:
        _state.enabled = prev
        _state.in_backward = prev_in_backward
        # Also after an error: observers keep per-pass state that must not leak into the next pass.
        if _observers:
            for observer in list(_observers):
                observer.backward_end()
    return captured


def _accumulate(buffers: dict, vertex, nr: int, grad) -> None:
    """Adds ``grad`` to the gradient waiting at output ``nr`` of ``vertex``."""
    slots = buffers.get(id(vertex))
    if slots is None:
        n = len(vertex._output_meta) if isinstance(vertex, Function) else 1
        slots = buffers[id(vertex)] = [None] * max(n, nr + 1)
    slots[nr] = grad if slots[nr] is None else slots[nr] + grad


def _accumulate_into_leaf(leaf, grad, create_graph: bool) -> None:
    if leaf.grad is None:
        # A fresh array: the same gradient object may flow to several leaves (as in a + b),
        # and .grad must never alias another tensor's memory.
        leaf.grad = grad if create_graph else Tensor._make(grad._data.copy())
    elif create_graph or leaf.grad._requires_grad:
        leaf.grad = leaf.grad + grad
    else:
        np.add(leaf.grad._data, grad._data, out=leaf.grad._data, casting="unsafe")


def _as_root(t, i: int):
    if not t._requires_grad:
        raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    return (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t, 0)


def _root_grads(outputs: Sequence, grads) -> list:
    if grads is None or isinstance(grads, Tensor):
        grads = [grads] * len(outputs) if grads is None else [grads]
    result = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._make(np.ones(out._data.shape, dtype=out._data.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=out._data.dtype))
        elif g._data.dtype != out._data.dtype:
            g = Tensor._make(g._data.astype(out._data.dtype))  # torch casts a given gradient to the output's dtype
        if g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {list(g._data.shape)} and "
                               f"output[{i}] has a shape of {list(out._data.shape)}.")
        result.append(g)
    return result


def _as_tuple(x) -> tuple:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             grad_variables=None, inputs=None) -> None:
    """Computes the sum of gradients of ``tensors`` with respect to the graph leaves.

    The gradients are accumulated into the leaves' ``.grad``. See ``Tensor.backward``.
    """
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    if grad_tensors is not None:
        grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = [_as_root(t, i) for i, t in enumerate(tensors)]
    root_grads = _root_grads(tensors, grad_tensors)
    if inputs is None:
        _run(roots, root_grads, retain_graph, create_graph)
        return
    inputs = _as_tuple(inputs)
    grads = grad(tensors, inputs, root_grads, retain_graph=retain_graph, create_graph=create_graph,
                 allow_unused=True)
    for t, g in zip(inputs, grads):
        if g is not None:
            _accumulate_into_leaf(t, g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple:
    """Computes and returns the gradients of ``outputs`` with respect to ``inputs``.

    Nothing is accumulated into ``.grad``.

    Args:
        outputs: tensors to differentiate.
        inputs: tensors to differentiate with respect to.
        grad_outputs: the gradient with respect to each output; may be omitted for scalars.
        retain_graph: keep saved values for another backward. Defaults to ``create_graph``.
        create_graph: record the gradient computation, for higher-order derivatives.
        allow_unused: return None for inputs the outputs do not depend on, instead of raising.
        materialize_grads: return zeros instead of None for unused inputs.

    Example::

        >>> x = glasstorch.tensor(3.0, requires_grad=True)
        >>> (g,) = glasstorch.autograd.grad(x ** 3, x, create_graph=True)   # 27
        >>> (h,) = glasstorch.autograd.grad(g, x)                            # 18
    """
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched is not supported by glasstorch")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if grad_outputs is not None:
        grad_outputs = _as_tuple(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = [_as_root(t, i) for i, t in enumerate(outputs)]
    root_grads = _root_grads(outputs, grad_outputs)
    targets = [(t._grad_fn, t._output_nr) if t._grad_fn is not None else (t, 0) for t in inputs]
    captured = _run(roots, root_grads, retain_graph, create_graph, targets)
    result = []
    for t, (v, nr) in zip(inputs, targets):
        g = captured.get((id(v), nr))
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = Tensor._make(np.zeros_like(t._data))
        elif not create_graph and g._requires_grad:
            g = g.detach()
        result.append(g)
    return tuple(result)
