"""Autograd, step by step: the graph that the forward pass records, and the
gradients that the backward pass sends through it.

Run it with glasstorch (the default) or with PyTorch, and compare:

    python examples/autograd_basics.py
    python examples/autograd_basics.py --backend torch
"""
import argparse
import importlib
import json
import os

from _common import see_through, write_see_through


def show_graph(t, torch, indent=0):
    """Prints the backward graph below ``t``: each node and the nodes it sends gradients to."""
    node = t.grad_fn
    seen = set()

    def walk(node, depth):
        if node is None:
            return
        label = type(node).__name__ if not hasattr(node, "name") else node.name()
        extra = ""
        if hasattr(node, "variable"):
            extra = f"  -> leaf {list(node.variable.shape)}"
        print("    " * depth + f"{label}{extra}")
        if id(node) in seen:
            return
        seen.add(id(node))
        for nxt in node.next_functions:
            if nxt is not None and nxt[0] is not None:
                walk(nxt[0], depth + 1)

    walk(node, indent)


def chain_rule(torch):
    print("1. z = x + x: one input used twice; both paths are summed, dz/dx = 2")
    x = torch.tensor(3.0, requires_grad=True)
    z = x + x
    z.backward()
    print(f"   x = {x.item()}, z = {z.item()}, dz/dx = {x.grad.item()}")

    print("\n2. a chain of products: y = a * b, z = y * c, loss = z + a")
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(-3.0, requires_grad=True)
    c = torch.tensor(10.0, requires_grad=True)
    y = a * b
    z = y * c
    loss = z + a
    y.retain_grad()
    z.retain_grad()
    print("   the recorded graph, from loss back to the leaves:")
    show_graph(loss, torch, indent=1)
    loss.backward()
    print(f"   dloss/dz = {z.grad.item()}   (loss = z + a)")
    print(f"   dloss/dy = {y.grad.item()}  (= dloss/dz * c)")
    print(f"   dloss/da = {a.grad.item()}  (= dloss/dy * b + 1, the second path through `+ a`)")
    print(f"   dloss/db = {b.grad.item()}  (= dloss/dy * a)")
    print(f"   dloss/dc = {c.grad.item()}   (= dloss/dz * y)")
    return {"dz_dx": x.grad.item(), "da": a.grad.item(), "db": b.grad.item(), "dc": c.grad.item()}


def linear_model(torch, epochs, seed, args):
    print("\n3. learning y = x0 + 2*x1 + 4*x2 with SGD")
    torch.manual_seed(seed)
    true_w = torch.tensor([1.0, 2.0, 4.0])
    X = torch.randn(256, 3)
    Y = X @ true_w
    w = torch.zeros(3, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.1)
    with see_through(args, torch, None, optimizer) as trace:   # --report: the run's record
        for epoch in range(1, epochs + 1):
            optimizer.zero_grad()                     # w.grad = None
            loss = ((X @ w - Y) ** 2).mean()          # forward: records the graph
            loss.backward()                           # backward: fills w.grad
            optimizer.step()                          # the step: w -= lr * w.grad, not recorded
            trace.log(loss=loss)
            if epoch == 1 or epoch % max(1, epochs // 5) == 0 or epoch == epochs:
                print(f"   epoch {epoch:3d}  loss {loss.item():.6f}  w = {[round(v, 4) for v in w.tolist()]}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        write_see_through(args, trace, args.out, step=lambda: ((X @ w - Y) ** 2).mean(), title="autograd basics")
    return {"weights": w.tolist(), "final_loss": loss.item()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="glasstorch", choices=["glasstorch", "torch"])
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="directory for metrics.json")
    p.add_argument("--report", action="store_true",
                   help="with --out: write report.html, graph.svg and findings.json of the SGD run")
    args = p.parse_args()
    torch = importlib.import_module(args.backend)
    print(f"backend: {args.backend}\n")
    metrics = {"chain_rule": chain_rule(torch), "linear_model": linear_model(torch, args.epochs, args.seed, args)}
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)


if __name__ == "__main__":
    main()
