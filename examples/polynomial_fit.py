"""A 1-4-4-1 ReLU network learns y = x^2 + 2x + 1 on [1, 10] with gradient steps written by hand.

No optimizer object: the update is `p.data -= lr * p.grad` under no_grad, so every part of a
training step is visible. It prints the prediction at x = 6 against the true value 49.

A network this small can start with every ReLU kink outside the data (try --seed 0): it then
stays a straight line, and predicts about 52.5, the value of the least-squares line. The
script says so when it happens.
"""
import sys

from _common import (framework, out_dir, parse_args, plot_curves, progress, save_metrics, see_through,
                     write_see_through)


def main():
    args = parse_args(__doc__.splitlines()[0], epochs=5000, seed=1)
    args.script = __file__
    torch = framework(args.backend)
    nn = torch.nn
    torch.manual_seed(args.seed)

    x = torch.linspace(1, 10, 100).reshape(-1, 1)
    y = x ** 2 + 2 * x + 1
    # Inputs and targets standardized (mean 0, std 1), so that plain gradient steps are stable.
    x_shift, x_scale = x.mean().item(), x.std().item()
    y_shift, y_scale = y.mean().item(), y.std().item()
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    loss_fn = nn.MSELoss()
    lr = 0.05
    losses = []
    with see_through(args, torch, model, every=10) as trace:   # no optimizer: steps end at trace.log
        for epoch in progress(range(args.epochs), desc="training", mininterval=1.0):
            loss = loss_fn(model((x - x_shift) / x_scale), (y - y_shift) / y_scale)
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p.data -= lr * p.grad            # the whole optimizer, written out
            losses.append(loss.item())
            trace.log(loss=loss)

    with torch.no_grad():
        pred = model((torch.tensor([[6.0]]) - x_shift) / x_scale).item() * y_scale + y_shift
    error = abs(pred - 49) / 49
    print(f"prediction at x = 6: {pred:.3f} (true value 49, relative error {error:.2%})")
    print(f"final MSE (standardized): {losses[-1]:.6f}")
    if losses[-1] > 0.005:
        print("the fit stayed (almost) a straight line: no ReLU kink moved into the data; try another --seed")

    path = out_dir(args)
    plot_curves(path, "loss.png", {"MSE loss (standardized)": losses}, xlabel="step", title="polynomial fit")
    save_metrics(path, {"prediction_at_6": pred, "relative_error": error, "final_loss": losses[-1],
                        "epochs": args.epochs, "backend": args.backend})
    write_see_through(args, trace, path, model, title="polynomial fit",
                      step=lambda: loss_fn(model((x - x_shift) / x_scale), (y - y_shift) / y_scale))


if __name__ == "__main__":
    sys.exit(main())
