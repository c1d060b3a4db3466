"""An MLP (784-256-128-10, ReLU) on MNIST, trained with SGD momentum and cross-entropy.

Without the MNIST files (see --download) it trains on scikit-learn's Digits resized to 28x28,
and says so on its first line.
"""
import sys

from _common import (framework, load_images, out_dir, parse_args, plot_curves, progress, save_metrics, see_through,
                     write_see_through)


def extra(p):
    p.add_argument("--data", default="data", help="where the dataset files are (default ./data)")
    p.add_argument("--download", action="store_true", help="download MNIST if it is missing")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)


def main():
    args = parse_args(__doc__.splitlines()[0], epochs=20, extra=extra)
    args.script = __file__
    x_tr, y_tr, x_te, y_te, names, description = load_images("MNIST", args.data, args.download)
    print(f"data: {description}")
    torch = framework(args.backend)
    nn, data = torch.nn, torch.utils.data
    torch.manual_seed(args.seed)
    mean, std = x_tr.mean(), x_tr.std()
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std

    train_loader = data.DataLoader(data.TensorDataset(torch.tensor(x_tr), torch.tensor(y_tr)),
                                   batch_size=args.batch_size, shuffle=True)
    x_test, y_test = torch.tensor(x_te), torch.tensor(y_te)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, len(names)))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    history = {"train loss": [], "test accuracy": []}
    with see_through(args, torch, model, optimizer, every=10) as trace:
        for epoch in progress(range(1, args.epochs + 1), desc="training"):
            model.train()
            total = 0.0
            for xb, yb in train_loader:
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                trace.log(loss=loss)
                total += loss.item() * len(yb)
            model.eval()
            with torch.no_grad():
                acc = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
            history["train loss"].append(total / len(x_tr))
            history["test accuracy"].append(acc)

    print(f"final train loss {history['train loss'][-1]:.4f}, test accuracy {history['test accuracy'][-1]:.3f}")
    path = out_dir(args)
    plot_curves(path, "loss.png", {"train loss": history["train loss"]}, title="MLP: training loss")
    plot_curves(path, "accuracy.png", {"test accuracy": history["test accuracy"]}, title="MLP: test accuracy")
    save_metrics(path, {"data": description, "test_accuracy": history["test accuracy"][-1], "history": history,
                        "epochs": args.epochs, "backend": args.backend})
    xb, yb = next(iter(train_loader))
    write_see_through(args, trace, path, model, step=lambda: loss_fn(model(xb), yb), title="MLP on MNIST")


if __name__ == "__main__":
    sys.exit(main())
