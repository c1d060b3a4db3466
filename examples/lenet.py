"""The classic LeNet on Fashion-MNIST: sigmoid activations, average pooling, SGD and cross-entropy.

Without the Fashion-MNIST files (see --download) it trains on scikit-learn's Digits resized to
28x28, and says so on its first line. Digits has 1,437 training images against Fashion-MNIST's
60,000, so 10 epochs of batch 256 would be only 60 steps; on Digits the defaults become batch 32,
lr 0.5 and 30 epochs (about 1,350 steps). Any flag you give wins.
"""
import sys

import numpy as np

from _common import (framework, load_images, out_dir, parse_args, plot_curves, progress, save_metrics, see_through,
                     write_see_through)


def lenet(nn, num_classes):
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, num_classes))


def init_weights(torch, module):
    """Xavier-uniform weights, as the classic LeNet recipes use: with sigmoid activations and
    PyTorch's default init, the signal fades through the layers and training takes far longer to start."""
    if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
        torch.nn.init.xavier_uniform_(module.weight)


def accuracy(torch, model, loader):
    correct = total = 0
    with torch.no_grad():
        for xb, yb in loader:
            correct += (model(xb).argmax(dim=1) == yb).sum().item()
            total += len(yb)
    return correct / total


def extra(p):
    p.add_argument("--classes", type=int, default=None, help="keep the first N classes (3: T-shirt, Trouser, Pullover)")
    p.add_argument("--data", default="data", help="where the dataset files are (default ./data)")
    p.add_argument("--download", action="store_true", help="download Fashion-MNIST if it is missing")
    p.add_argument("--batch-size", type=int, default=None, help="default 256 (Digits: 32)")
    p.add_argument("--lr", type=float, default=None, help="default 0.9 (Digits: 0.5)")


def main():
    args = parse_args(__doc__.splitlines()[0], epochs=None, extra=extra, report=True)
    args.script = __file__
    x_tr, y_tr, x_te, y_te, names, description = load_images("FashionMNIST", args.data, args.download, args.classes)
    digits = "Digits" in description
    defaults = (30, 32, 0.5) if digits else (10, 256, 0.9)
    args.epochs = defaults[0] if args.epochs is None else args.epochs
    args.batch_size = defaults[1] if args.batch_size is None else args.batch_size
    args.lr = defaults[2] if args.lr is None else args.lr
    print(f"data: {description}; {args.epochs} epochs, batch {args.batch_size}, lr {args.lr}")
    # Standardize with the training set's statistics (what transforms.Normalize does per image).
    mean, std = x_tr.mean(), x_tr.std()
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    torch = framework(args.backend)
    nn, data = torch.nn, torch.utils.data
    torch.manual_seed(args.seed)

    train_loader = data.DataLoader(data.TensorDataset(torch.tensor(x_tr), torch.tensor(y_tr)),
                                   batch_size=args.batch_size, shuffle=True)
    test_loader = data.DataLoader(data.TensorDataset(torch.tensor(x_te), torch.tensor(y_te)), batch_size=1000)
    model = lenet(nn, len(names))
    model.apply(lambda m: init_weights(torch, m))
    if args.backend == "glasstorch":
        from glasstorch.utils import summary
        summary(model, (1, 1, 28, 28), col_names=("output_size", "num_params", "mult_adds"))
    else:
        print(model)
    print(f"{len(x_tr)} training and {len(x_te)} test images, {len(names)} classes")

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    history = {"train loss": [], "train accuracy": [], "test accuracy": []}
    # The see-through record of the run (--no-report skips it): statistics every 10th step.
    with see_through(args, torch, model, optimizer, every=10) as trace:
        for epoch in range(1, args.epochs + 1):
            model.train()
            total_loss = correct = seen = 0
            for xb, yb in progress(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False):
                optimizer.zero_grad()
                logits = model(xb)
                loss = loss_fn(logits, yb)
                loss.backward()
                optimizer.step()
                trace.log(loss=loss)
                total_loss += loss.item() * len(yb)
                correct += (logits.argmax(dim=1) == yb).sum().item()
                seen += len(yb)
            model.eval()
            history["train loss"].append(total_loss / seen)
            history["train accuracy"].append(correct / seen)
            history["test accuracy"].append(accuracy(torch, model, test_loader))
            print(f"epoch {epoch:2d}  train loss {history['train loss'][-1]:.4f}  "
                  f"train acc {history['train accuracy'][-1]:.3f}  test acc {history['test accuracy'][-1]:.3f}")

    path = out_dir(args)
    plot_curves(path, "loss.png", {"train loss": history["train loss"]}, title="LeNet: training loss")
    plot_curves(path, "accuracy.png", {k: history[k] for k in ("train accuracy", "test accuracy")},
                title="LeNet: accuracy")
    save_metrics(path, {"data": description, "test_accuracy": history["test accuracy"][-1], "history": history,
                        "epochs": args.epochs, "backend": args.backend})
    xb, yb = next(iter(train_loader))
    write_see_through(args, trace, path, model, step=lambda: loss_fn(model(xb), yb), title="LeNet")
    print(f"final test accuracy: {history['test accuracy'][-1]:.3f}  (plots and metrics.json in {path})")


if __name__ == "__main__":
    sys.exit(main())
