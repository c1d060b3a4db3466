"""An MLP (1-16-64-16-1, ReLU) fits 2*sin(x) plus noise on [-pi, pi], with SGD momentum 0.9,
MSE and mini-batches. It plots the data, the fit and the loss curve."""
import math
import sys

from _common import (framework, out_dir, parse_args, plot_curves, progress, pyplot, save_metrics, see_through,
                     write_see_through)


def main():
    args = parse_args(__doc__.splitlines()[0], epochs=200)
    args.script = __file__
    torch = framework(args.backend)
    nn, data = torch.nn, torch.utils.data
    torch.manual_seed(args.seed)

    x = torch.linspace(-math.pi, math.pi, 512).reshape(-1, 1)
    y = 2 * torch.sin(x) + 0.2 * torch.randn(x.shape)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=32, shuffle=True)

    model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 64), nn.ReLU(),
                          nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.MSELoss()
    losses = []
    with see_through(args, torch, model, optimizer, every=10) as trace:
        bar = progress(range(args.epochs), desc="training")
        for epoch in bar:
            total = 0.0
            for xb, yb in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                trace.log(loss=loss)
                total += loss.item() * len(xb)
            losses.append(total / len(x))
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{losses[-1]:.4f}")

    with torch.no_grad():
        fit = model(x)
        clean_mse = ((fit - 2 * torch.sin(x)) ** 2).mean().item()
    print(f"final training MSE {losses[-1]:.4f} (noise variance 0.04); MSE against 2*sin(x): {clean_mse:.4f}")

    path = out_dir(args)
    plot_curves(path, "loss.png", {"training MSE": losses}, title="MLP fitting 2 sin(x)")
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.scatter(x.numpy().ravel(), y.numpy().ravel(), s=4, alpha=0.4, label="data")
        ax.plot(x.numpy().ravel(), 2 * torch.sin(x).numpy().ravel(), "k--", label="2 sin(x)")
        ax.plot(x.numpy().ravel(), fit.numpy().ravel(), "r", label="MLP")
        ax.legend()
        fig.tight_layout()
        fig.savefig(f"{path}/fit.png", dpi=100)
        plt.close(fig)
    save_metrics(path, {"final_loss": losses[-1], "mse_vs_clean": clean_mse, "epochs": args.epochs,
                        "backend": args.backend})
    write_see_through(args, trace, path, model, step=lambda: loss_fn(model(x), y), title="MLP fitting 2 sin(x)")


if __name__ == "__main__":
    sys.exit(main())
