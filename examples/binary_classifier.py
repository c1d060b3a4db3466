"""Two noisy 2-D point clouds, classified by a 2-5-3-1 Tanh MLP with BCEWithLogitsLoss and AdamW.

It reports precision, recall and accuracy on held-out points, plots the loss curves and the
decision regions over the training points, and compares AdamW with plain SGD.
"""
import sys

import numpy as np

from glasstorch import metrics
from _common import (framework, out_dir, parse_args, plot_curves, progress, pyplot, save_metrics, see_through,
                     write_see_through)


def make_clouds(torch, n):
    """Two Gaussian clouds, centred at (-1, -1) and (1, 1), with labels 0 and 1."""
    half = n // 2
    a = torch.randn(half, 2) * 0.8 + torch.tensor([-1.0, -1.0])
    b = torch.randn(n - half, 2) * 0.8 + torch.tensor([1.0, 1.0])
    x = torch.cat([a, b])
    y = torch.cat([torch.zeros(half, 1), torch.ones(n - half, 1)])
    perm = torch.randperm(n)
    return x[perm], y[perm]


def make_model(nn):
    return nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1))


def train(torch, model, optimizer, x, y, epochs, name, trace):
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    losses = []
    for _ in progress(range(epochs), desc=name):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            trace.log(loss=loss)
            total += loss.item() * len(xb)
        losses.append(total / len(x))
    return losses


def evaluate(torch, model, x, y):
    with torch.no_grad():
        pred = (model(x) > 0).long().numpy().ravel()
    true = y.long().numpy().ravel()
    return {"accuracy": metrics.accuracy(pred, true), "precision": metrics.precision(pred, true),
            "recall": metrics.recall(pred, true)}


def main():
    args = parse_args(__doc__.splitlines()[0], epochs=60)
    args.script = __file__
    torch = framework(args.backend)
    nn = torch.nn
    torch.manual_seed(args.seed)
    x_train, y_train = make_clouds(torch, 400)
    x_test, y_test = make_clouds(torch, 200)

    results, curves, models = {}, {}, {}
    for name in ("AdamW", "SGD"):
        torch.manual_seed(args.seed)  # the same initial weights for both optimizers
        model = make_model(nn)
        opt = (torch.optim.AdamW(model.parameters(), lr=0.01) if name == "AdamW"
               else torch.optim.SGD(model.parameters(), lr=0.01))
        # The see-through record (--report) follows the AdamW run.
        with see_through(args if name == "AdamW" else None, torch, model, opt, every=10) as trace:
            curves[f"{name} loss"] = train(torch, model, opt, x_train, y_train, args.epochs, name, trace)
        if name == "AdamW":
            adamw_trace = trace
        results[name] = evaluate(torch, model, x_test, y_test)
        models[name] = model
        r = results[name]
        print(f"{name:5s}  held-out accuracy {r['accuracy']:.3f}  precision {r['precision']:.3f}  "
              f"recall {r['recall']:.3f}  final loss {curves[f'{name} loss'][-1]:.4f}")

    path = out_dir(args)
    plot_curves(path, "loss.png", curves, title="BCEWithLogitsLoss: AdamW against SGD")
    plt = pyplot()
    if plt is not None:
        grid = np.stack(np.meshgrid(np.linspace(-4, 4, 200), np.linspace(-4, 4, 200)), -1).reshape(-1, 2)
        with torch.no_grad():
            prob = torch.sigmoid(models["AdamW"](torch.tensor(grid, dtype=torch.float32))).numpy()
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.contourf(grid[:, 0].reshape(200, 200), grid[:, 1].reshape(200, 200), prob.reshape(200, 200),
                    levels=20, cmap="RdBu_r", alpha=0.6)
        ax.scatter(x_train.numpy()[:, 0], x_train.numpy()[:, 1], c=y_train.numpy().ravel(), cmap="RdBu_r",
                   s=8, edgecolors="k", linewidths=0.2)
        ax.set_title("decision regions (AdamW) over the training points")
        fig.tight_layout()
        fig.savefig(f"{path}/decision_regions.png", dpi=100)
        plt.close(fig)
    loss_fn = nn.BCEWithLogitsLoss()
    write_see_through(args, adamw_trace, path, models["AdamW"], title="binary classifier (AdamW)",
                      step=lambda: loss_fn(models["AdamW"](x_train), y_train))
    save_metrics(path, {"held_out": results, "final_loss": {k: v[-1] for k, v in curves.items()},
                        "epochs": args.epochs, "backend": args.backend})


if __name__ == "__main__":
    sys.exit(main())
