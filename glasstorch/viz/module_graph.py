"""``module_graph(model, example_input)``: the model's modules as boxes, nested as they are.

It runs one forward pass under ``no_grad`` (modes restored afterwards) and listens on the observer
seam: each call of a module without children becomes a box with its output shape, each call of a
container a frame around the boxes it ran. An arrow joins two calls when the tensor one returned is
an input of the other (matched by identity, so a tensor that skips a layer draws a skip arrow).
"""
from __future__ import annotations

from ..autograd import observe
from ..autograd.grad_mode import no_grad
from .graph import Graph, GraphNode

__all__ = ["module_graph"]


def _tensors(obj, out: list) -> list:
    if hasattr(obj, "_data") and hasattr(obj, "_grad_fn"):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors(o, out)
    return out


class _Calls(observe.Observer):
    def __init__(self, names: dict):
        self.names = names
        self.stack: list = []          # open calls: [node id or cluster id, module, args]
        self.leaves: list = []         # GraphNode per leaf call
        self.clusters: dict = {}
        self.made_by: dict = {}        # id(tensor) -> node id of the call that returned it
        self.keep: list = []           # the tensors seen, so their ids stay unique during the run
        self.edges: list = []
        self.count = 0

    def module_enter(self, module, args):
        self.count += 1
        self.stack.append((f"m{self.count}", module, args))

    def module_exit(self, module, output):
        cid, mod, args = self.stack.pop()
        name = self.names.get(id(mod), type(mod).__name__)
        outs = _tensors(output, [])
        if mod._modules:    # a container: a frame around its calls
            self.clusters[cid] = (f"{name} ({type(mod).__name__})", len(self.stack))
            for n in self.leaves:
                if n.id in self._open_members.get(cid, ()):
                    n.clusters = (cid,) + n.clusters
        else:
            shape = tuple(outs[0].shape) if outs else None
            n = GraphNode(cid, "module", type(mod).__name__, label=name, shape=shape,
                          dtype=str(outs[0]._data.dtype) if outs else "", module=name, grad_note="")
            self.leaves.append(n)
            for t in _tensors(args, []):
                src = self.made_by.get(id(t))
                if src is not None and (src, cid) not in self.edges:
                    self.edges.append((src, cid))
            for frame in self.stack:
                self._open_members.setdefault(frame[0], set()).add(cid)
        if outs:
            node_id = cid if not mod._modules else self.made_by.get(id(outs[0]), cid)
            for t in outs:
                self.made_by.setdefault(id(t), node_id)
                self.keep.append(t)

    _open_members: dict


def module_graph(model, example_input) -> Graph:
    """Draws ``model``'s module calls for ``example_input`` (a tensor, or a tuple of inputs).

    Returns a ``Graph`` whose nodes are the calls of modules without children (with output
    shapes) and whose boxes are the calls of containers, nested as in the model.
    """
    names = {id(m): (n or type(model).__name__) for n, m in model.named_modules()}
    calls = _Calls(names)
    calls._open_members = {}
    args = example_input if isinstance(example_input, tuple) else (example_input,)
    modes = [(m, m.training) for m in model.modules()]
    observe.add(calls)
    try:
        model.eval()
        with no_grad():
            model(*args)
    finally:
        observe.remove(calls)
        for m, training in modes:
            m.training = training
    for n in calls.leaves:   # label the node by its type, shapes underneath
        n.name, n.label = n.label + f" ({n.name})", ""
    return Graph(calls.leaves, calls.edges, calls.clusters)
