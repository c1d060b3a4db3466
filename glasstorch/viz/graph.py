"""``graph(tensor)``: the backward graph behind a tensor, with its numbers, as SVG or DOT.

Example::

    with glasstorch.viz.record():             # optional: forward statistics and gradient norms
        loss = loss_fn(model(x), y)
        loss.backward()
    g = glasstorch.viz.graph(loss, params=dict(model.named_parameters()))
    g.save("graph.svg")                        # or "graph.dot"; in Jupyter, ``g`` shows itself

What is drawn. One box per graph node (``grad_fn``), named as torch names it (``MulBackward0``),
with its output shape and dtype; one box per leaf that requires grad (``AccumulateGrad``),
named by its parameter name when ``params`` is given. An arrow goes from each input to the op
that read it, so the picture reads top to bottom as the forward pass ran, and bottom to top as
backward walks it.

The numbers. A leaf shows its ``.grad`` norm; a node shows the norm of the gradient that reached
it, if backward ran under ``record()``; before backward both say "no gradient yet", never 0.
Under ``record()`` each node also shows its output's mean, std and share of zeros. A node that
anomaly mode flagged is drawn red, with the message in its tooltip.

Boxes. Ops are grouped by the module call that ran them (every node remembers the modules that
were running, ``node._module_chain``), down to ``depth`` levels of nesting; a run of identical
consecutive blocks (same module type, same ops and shapes inside) folds into one box marked
"x N", so a 2,000-node transformer still fits on a page.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from .._io import write_atomic
from ..autograd import observe
from ..autograd.function import Function
from ..inspect.stats import Stats, array_stats
from . import _svg

__all__ = ["graph", "Graph", "GraphNode", "record"]


@dataclass
class GraphNode:
    """One box of the graph: an op (``kind="op"``), a leaf (``"leaf"``) or, in a module graph, a module call."""
    id: str
    kind: str
    name: str                      # torch's node name (MulBackward0), "AccumulateGrad", or a module type
    label: str = ""                # parameter name for leaves, or "" when none is known
    shape: tuple = ()
    dtype: str = ""
    module: str = ""               # the dotted path of the innermost module that ran it ("" if none)
    grad_norm: float | None = None
    grad_note: str = "no gradient yet"
    stats: Stats | None = None     # forward statistics of the output, under record()
    saved: list = field(default_factory=list)   # [(what, shape, dtype, bytes)] with show_saved
    anomaly: str | None = None
    clusters: tuple = ()           # the boxes it sits in, outermost first
    fold: int = 1                  # how many identical copies this node stands for

    def lines(self) -> list:
        head = self.name + (f"  x{self.fold}" if self.fold > 1 else "")
        out = [head]
        if self.label:
            out.append(self.label)
        if self.shape is not None:
            out.append(f"{'x'.join(map(str, self.shape)) or 'scalar'} {self.dtype}".strip())
        if self.stats is not None:
            s = self.stats
            out.append(f"mean {s.mean:.3g} std {s.std:.3g} {100 * s.zero_frac:.0f}% zero")
            if not s.finite:
                out.append(f"{s.nan_count} NaN, {s.inf_count} Inf")
        out.append(f"grad norm {self.grad_norm:.4g}" if self.grad_norm is not None else self.grad_note)
        for what, shape, dtype, nbytes in self.saved:
            out.append(f"saved {what}: {'x'.join(map(str, shape)) or 'scalar'} {dtype} {nbytes} B")
        return out


class Graph:
    """A drawn graph: ``nodes`` (``GraphNode``), ``edges`` (``(from id, to id)``, in data-flow
    direction) and ``clusters`` (``{id: (label, depth)}``). ``to_svg()``, ``to_dot()``, ``save(path)``."""

    def __init__(self, nodes: list, edges: list, clusters: dict | None = None):
        self.nodes = nodes
        self.edges = edges
        self.clusters = clusters or {}

    def __repr__(self) -> str:
        return f"Graph({len(self.nodes)} nodes, {len(self.edges)} edges, {len(self.clusters)} boxes)"

    def node(self, node_id: str) -> GraphNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def _inputs(self) -> dict:
        inputs: dict = {}
        for a, b in self.edges:
            inputs.setdefault(b, []).append(a)
        return inputs

    def _title(self, n: GraphNode) -> str:
        text = "\n".join(n.lines())
        if n.module:
            text += f"\nmodule: {n.module}"
        if n.anomaly:
            text += "\n" + n.anomaly
        return text

    def to_svg(self) -> str:
        """The graph as SVG text, laid out by glasstorch itself (no Graphviz)."""
        ids = [n.id for n in self.nodes]
        labels = {n.id: n.lines() for n in self.nodes}
        styles = {n.id: ("anomaly" if n.anomaly else n.kind) for n in self.nodes}
        titles = {n.id: self._title(n) for n in self.nodes}
        member = {n.id: n.clusters for n in self.nodes}
        return _svg.draw(ids, self._inputs(), labels, styles, titles, self.clusters, member)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language (``dot -Tpng``), boxes as clusters."""
        def q(s: str) -> str:
            return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

        lines = ["digraph glasstorch {", '  node [shape=box, fontname="monospace", fontsize=10];']
        children: dict = {}
        for cid, (label, depth) in self.clusters.items():
            children.setdefault(depth, []).append(cid)
        by_cluster: dict = {}
        for n in self.nodes:
            by_cluster.setdefault(n.clusters[-1] if n.clusters else None, []).append(n)
        parent = {}
        for n in self.nodes:
            for outer, inner in zip(n.clusters, n.clusters[1:]):
                parent[inner] = outer

        def emit(cid, indent):
            pad = "  " * indent
            for n in by_cluster.get(cid, ()):
                color = ', color=red, penwidth=2' if n.anomaly else ""
                fill = "#f3f3e6" if n.kind == "leaf" else "#e8eef7"
                lines.append(f'{pad}{q(n.id)} [label={q(chr(10).join(n.lines()))}, style=filled, '
                             f'fillcolor="{fill}"{color}];')
            for sub in sorted(c for c in self.clusters if parent.get(c) == cid):
                lines.append(f"{pad}subgraph {q('cluster_' + sub)} {{")
                lines.append(f"{pad}  label={q(self.clusters[sub][0])}; style=dashed;")
                emit(sub, indent + 1)
                lines.append(f"{pad}}}")

        emit(None, 1)
        for a, b in self.edges:
            lines.append(f"  {q(a)} -> {q(b)};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def save(self, path: str) -> str:
        """Writes ``.svg`` or ``.dot`` (by the extension) through a temporary file; returns the path."""
        ext = os.path.splitext(path)[1].lower()
        if ext not in (".svg", ".dot", ".gv"):
            raise ValueError(f"Graph.save: cannot tell the format of {path!r}; use a .svg or .dot file name")
        text = self.to_svg() if ext == ".svg" else self.to_dot()
        return write_atomic(path, text.encode("utf-8"))


# ------------------------------------------------------------------ record
class record(observe.Observer):
    """Context manager: while it is active, graph nodes keep their forward statistics and the
    norms of the gradients that reach them, for ``graph()`` to show. Costs a few passes per op."""

    def __enter__(self) -> "record":
        observe.add(self)
        return self

    def __exit__(self, *exc) -> None:
        observe.remove(self)

    def forward(self, cls, node, args, outputs, seconds):
        if node is not None:
            node._fwd_stats = tuple(array_stats(o._data) if hasattr(o, "_data") else None for o in outputs)

    def backward(self, node, grad_outputs, grad_inputs, seconds):
        node._grad_stats = tuple(None if g is None else array_stats(g._data, full=False) for g in grad_outputs)


# ------------------------------------------------------------------- build
def _module_names(chains) -> dict:
    """``id(module) -> dotted path`` for every module under the outermost modules seen."""
    names: dict = {}
    for chain in chains:
        if chain and id(chain[0]) not in names:
            for name, m in chain[0].named_modules():
                names.setdefault(id(m), name or type(chain[0]).__name__)
    return names


def _saved_items(node) -> list:
    """What a node keeps for backward: saved tensors and array/Tensor attributes, with their bytes."""
    items = []
    saved = node.__dict__.get("_saved")
    if saved:
        for i, (item, _) in enumerate(saved):
            data = getattr(item, "_data", None)
            if isinstance(data, np.ndarray):
                items.append((f"tensor {i}", tuple(data.shape), str(data.dtype), int(data.nbytes)))
    for key in sorted(node.__dict__):
        if key.startswith("_") or key == "needs_input_grad":
            continue
        value = node.__dict__[key]
        data = value if isinstance(value, np.ndarray) else getattr(value, "_data", None)
        if isinstance(data, np.ndarray):
            items.append((key, tuple(data.shape), str(data.dtype), int(data.nbytes)))
    return items


def _walk(roots: list) -> list:
    """Vertices reachable from ``roots``, inputs before the ops that read them (forward order)."""
    seen, post = set(), []
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root._edges if isinstance(root, Function) else ()))]
        while stack:
            v, it = stack[-1]
            for e in it:
                if e is not None and id(e[0]) not in seen:
                    seen.add(id(e[0]))
                    stack.append((e[0], iter(e[0]._edges if isinstance(e[0], Function) else ())))
                    break
            else:
                stack.pop()
                post.append(v)
    return post


def graph(tensor, params: dict | None = None, show_saved: bool = False, depth: int = 1,
          fold: bool = True) -> Graph:
    """The backward graph of ``tensor`` (or of a list of tensors) as a ``Graph``.

    Args:
        tensor: the output to draw the graph of, usually the loss (or a list of outputs, or a graph node).
        params: ``{name: tensor}`` (e.g. ``dict(model.named_parameters())``) to name the leaves.
        show_saved: list what each node saved for backward, with its size in bytes.
        depth: group ops in boxes by module call down to this nesting depth (0: no boxes).
        fold: fold runs of identical consecutive module boxes at the outermost depth into one "x N" box.
    """
    tensors = list(tensor) if isinstance(tensor, (list, tuple)) else [tensor]
    # A graph node (``t.grad_fn``, or the node an anomaly error names) may stand for its output.
    roots = [t if isinstance(t, Function) else (t._grad_fn if t._grad_fn is not None else t)
             for t in tensors if isinstance(t, Function) or t._requires_grad]
    order = _walk(roots)
    names = {id(p): n for n, p in (params or {}).items()}
    mod_names = _module_names(v._module_chain for v in order if isinstance(v, Function))
    ids = {id(v): f"n{i}" for i, v in enumerate(order)}
    nodes, edges, clusters = [], [], {}
    by_id: dict = {}
    consumers: dict = {}
    for v in order:
        if isinstance(v, Function):
            for e in v._edges:
                if e is not None:
                    edges.append((ids[id(e[0])], ids[id(v)]))
                    consumers.setdefault(id(e[0]), []).append(v)
    for v in order:
        vid = ids[id(v)]
        if isinstance(v, Function):
            meta = v._output_meta[0] if v._output_meta else None
            n = GraphNode(vid, "op", v.name(), shape=tuple(meta[0]) if meta else None,
                          dtype=str(meta[1]) if meta else "")
            chain, calls = v._module_chain, v._module_calls
            if chain:
                n.module = mod_names.get(id(chain[-1]), type(chain[-1]).__name__)
            cl = []
            for level in range(1, min(depth, len(chain) - 1) + 1):
                cid = f"c{calls[level]}"
                clusters[cid] = (f"{mod_names.get(id(chain[level]), '?')} ({type(chain[level]).__name__})", level)
                cl.append(cid)
            n.clusters = tuple(cl)
            fs = v.__dict__.get("_fwd_stats")
            if fs:
                n.stats = fs[0]
            gs = v.__dict__.get("_grad_stats")
            if gs and gs[0] is not None:
                n.grad_norm = gs[0].norm
            elif v.__dict__.get("_saved", ()) is None:
                n.grad_note = "gradient not recorded (use viz.record())"
            n.anomaly = v._anomaly
            if show_saved:
                n.saved = _saved_items(v)
        else:
            d = v._data
            n = GraphNode(vid, "leaf", "AccumulateGrad", label=names.get(id(v), ""), shape=tuple(d.shape),
                          dtype=str(d.dtype))
            if v.grad is not None:
                n.grad_norm = array_stats(v.grad._data, full=False).norm
        nodes.append(n)
        by_id[vid] = n
    for v in order:
        # A leaf sits in the box of the ops that read it, when they all share one.
        if not isinstance(v, Function):
            boxes = {by_id[ids[id(c)]].clusters for c in consumers.get(id(v), ())}
            if len(boxes) == 1:
                by_id[ids[id(v)]].clusters = boxes.pop()
    g = Graph(nodes, edges, clusters)
    return _fold(g) if fold and depth >= 1 else g


# --------------------------------------------------------------------- fold
def _signature(members: list, label: str) -> tuple:
    kind = label[label.rfind("(") + 1:-1]
    return (kind,) + tuple((n.kind, n.name, n.shape, n.dtype) for n in members)


def _fold(g: Graph) -> Graph:
    """Folds consecutive identical depth-1 boxes into the first of them, marked "x N"."""
    top = [c for c, (_, d) in g.clusters.items() if d == 1]
    if len(top) < 2:
        return g
    members = {c: [] for c in top}
    for n in g.nodes:
        if n.clusters:
            members[n.clusters[0]].append(n)
    # Boxes in the order the forward pass ran them (their first node's position in the walk).
    position = {n.id: i for i, n in enumerate(g.nodes)}
    first = {c: position[members[c][0].id] for c in top if members[c]}
    boxes = sorted(first, key=first.get)
    runs, i = [], 0
    while i < len(boxes):
        j = i + 1
        sig = _signature(members[boxes[i]], g.clusters[boxes[i]][0])
        while j < len(boxes) and _signature(members[boxes[j]], g.clusters[boxes[j]][0]) == sig:
            j += 1
        runs.append(boxes[i:j])
        i = j
    alias: dict = {}
    run_of: dict = {}      # node id -> (run number, box) for nodes in folded runs
    for k, run in enumerate(runs):
        if len(run) < 2:
            continue
        for box in run:
            for n in members[box]:
                run_of[n.id] = (k, box)
        rep = members[run[0]]
        for n in rep:
            n.fold = len(run)
        label, depth = g.clusters[run[0]]
        g.clusters[run[0]] = (f"{label}  x {len(run)}", depth)
        for other in run[1:]:
            for a, b in zip(members[other], rep):
                alias[a.id] = b.id
            for c in [c for c in g.clusters if any(c in n.clusters for n in members[other])]:
                g.clusters.pop(c, None)
    if not alias:
        return g
    nodes = [n for n in g.nodes if n.id not in alias]
    edges, seen = [], set()
    for a, b in g.edges:
        ra, rb = run_of.get(a), run_of.get(b)
        if ra and rb and ra[0] == rb[0] and ra[1] != rb[1]:
            continue    # from one copy of the block to the next: the "x N" says it
        a, b = alias.get(a, a), alias.get(b, b)
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            edges.append((a, b))
    return Graph(nodes, edges, g.clusters)
