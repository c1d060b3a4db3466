"""One training step of LeNet, narrated: the graph the forward pass records, the order backward walks
it, and what optimizer.step() does to one weight, with the formula evaluated by hand beside it.

    python examples/see_through.py --out runs/see_through

It prints four parts and writes graph.svg and report.html into --out:

1. the graph nodes the first convolution creates, with their inputs (``next_functions``);
2. the order in which backward visits the nodes, with each incoming gradient's shape and norm;
3. one weight before and after ``optimizer.step()``, next to ``w - lr * grad`` computed by hand;
4. what ``train()``, ``eval()`` and ``no_grad()`` each change, and what they leave alone.

The parts use the same seam as glasstorch's own tools (``glasstorch.autograd.observe``): an
observer sees every op and every backward step, without patching anything.
"""
import argparse
import os
import sys

import numpy as np

import glasstorch as torch
from glasstorch import nn
from glasstorch.autograd import observe

from _common import load_images
from lenet import init_weights, lenet


def norm(t) -> float:
    return float(np.linalg.norm(t.numpy().ravel())) if t is not None else float("nan")


def shape(t) -> str:
    if t is None:
        return "-"
    return "x".join(map(str, t.shape)) if t.dim() else "scalar"


class NodesMadeBy(observe.Observer):
    """Collects the graph nodes made while ``module`` runs."""

    def __init__(self, module):
        self.module = module
        self.nodes = []

    def forward(self, cls, node, args, outputs, seconds):
        chain = observe.module_chain()
        if node is not None and chain and chain[-1] is self.module:
            self.nodes.append((node, outputs))


class BackwardOrder(observe.Observer):
    """Records each node's backward in the order the engine runs them, with the module that made it."""

    def __init__(self, model):
        self.visits = []
        self.module_names = {id(m): f"{name} ({type(m).__name__})" for name, m in model.named_modules() if name}
        self.param_names = {id(p): name for name, p in model.named_parameters()}

    def backward(self, node, grad_outputs, grad_inputs, seconds):
        g = grad_outputs[0]
        chain = node._module_chain   # the modules that were running when the node was made
        where = self.module_names.get(id(chain[-1]), "") if chain else ""
        self.visits.append((node.name(), where, shape(g), norm(g)))

    def leaf(self, tensor, grad):
        self.visits.append(("AccumulateGrad", self.param_names.get(id(tensor), ""), shape(grad), norm(grad)))


def edge_name(edge) -> str:
    node, nr = edge
    if node is None:
        return "None (no gradient needed)"
    if node.name() == "AccumulateGrad":
        return f"AccumulateGrad of a leaf {shape(node.variable)}"
    return f"{node.name()} (its output {nr})"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join("runs", "see_through"), help="where graph.svg and report.html go")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=40, help="training steps recorded for the report (default 40)")
    p.add_argument("--lr", type=float, default=0.5)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    x_tr, y_tr, _, _, names, description = load_images("FashionMNIST", "data", False)
    x_tr = (x_tr - x_tr.mean()) / x_tr.std()
    print(f"data: {description}\n")
    torch.manual_seed(args.seed)
    model = lenet(nn, len(names))
    model.apply(lambda m: init_weights(torch, m))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    xb, yb = torch.tensor(x_tr[:32]), torch.tensor(y_tr[:32])

    # 1. The forward pass records a graph: one node per op, linked to its inputs' nodes.
    print("1. the nodes the first convolution, model[0], creates")
    watcher = observe.add(NodesMadeBy(model[0]))
    try:
        logits = model(xb)
    finally:
        observe.remove(watcher)
    for node, outputs in watcher.nodes:
        print(f"   {node.name()}: output {shape(outputs[0])} {outputs[0].dtype}")
        for i, edge in enumerate(node.next_functions):
            print(f"      input {i} <- {edge_name(edge)}")
    loss = loss_fn(logits, yb)
    print(f"   ... and the whole forward pass ends in {loss.grad_fn.name()}, loss {loss.item():.4f}\n")

    # 2. backward walks the graph from the loss, each node once, in topological order.
    print("2. the order backward visits the nodes (gradient arriving at each: shape, norm)")
    order = observe.add(BackwardOrder(model))
    try:
        optimizer.zero_grad()
        loss.backward()
    finally:
        observe.remove(order)
    for i, (name, where, shp, n) in enumerate(order.visits):
        print(f"   {i:2d}  {name:22s} {where:16s} {shp:12s} norm {n:.4g}")
    print()

    # 3. The step: plain array math on .data, not recorded in any graph.
    w = model[0].weight
    before, grad = float(w.data[0, 0, 0, 0]), float(w.grad[0, 0, 0, 0])
    optimizer.step()
    after = float(w.data[0, 0, 0, 0])
    by_hand = before - args.lr * grad
    print("3. one weight, model[0].weight[0, 0, 0, 0], over optimizer.step() (SGD, no momentum)")
    print(f"   before {before:+.6f}   grad {grad:+.6f}   lr {args.lr}")
    print(f"   by hand: w - lr * grad = {before:+.6f} - {args.lr} * {grad:+.6f} = {by_hand:+.6f}")
    print(f"   after step():                                   {after:+.6f}"
          f"   (difference {abs(after - by_hand):.1e})\n")

    # 4. Modes: eval() changes layers, no_grad() changes recording; neither changes the other.
    print("4. train(), eval() and no_grad()")
    drop = nn.Dropout(0.5)
    ones = torch.ones(8)
    torch.manual_seed(1)
    print(f"   train(): model.training={model.training}; Dropout(0.5) on ones -> {drop(ones).tolist()}")
    model.eval()
    drop.eval()
    out = model(xb[:2])
    print(f"   eval():  model.training={model.training}; Dropout passes through -> {drop(ones).tolist()}")
    print(f"            grad mode still on: is_grad_enabled()={torch.is_grad_enabled()}, "
          f"output has grad_fn {out.grad_fn.name()}")
    with torch.no_grad():
        out = model(xb[:2])
    print(f"   no_grad(): nothing recorded: output.requires_grad={out.requires_grad}, grad_fn={out.grad_fn}")
    model.train()
    print()

    # The graph of one step, with numbers on it, and the report of a short run.
    from glasstorch import viz
    from glasstorch.inspect import Trace
    with viz.record():
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
    graph = viz.graph(loss, params=dict(model.named_parameters()))
    graph.save(os.path.join(args.out, "graph.svg"))
    rng = np.random.default_rng(args.seed)
    with Trace(model, optimizer) as trace:
        for _ in range(args.steps):
            idx = rng.choice(len(x_tr), 32, replace=False)
            xs, ys = torch.tensor(x_tr[idx]), torch.tensor(y_tr[idx])
            optimizer.zero_grad()
            loss = loss_fn(model(xs), ys)
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)
    print(trace.table())
    found = trace.findings()
    print(f"findings: {len(found)}" + "".join(f"\n  {f}" for f in found))
    trace.report(os.path.join(args.out, "report.html"), title="LeNet, seen through", graph=graph)
    print(f"wrote {os.path.join(args.out, 'graph.svg')} and {os.path.join(args.out, 'report.html')}")


if __name__ == "__main__":
    sys.exit(main())
