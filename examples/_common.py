"""What every example shares: the command line, the framework choice, progress bars, and the outputs.

Each example runs on glasstorch by default and on PyTorch with ``--backend torch``:
the training code is the same text for both.
"""
import argparse
import importlib
import json
import os


def parse_args(description: str, epochs: int, extra=None, seed: int = 0, report: bool = False) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs,
                   help="training epochs" + (f" (default {epochs})" if epochs is not None else ""))
    p.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
    p.add_argument("--out", default=None, help="directory for the PNG plots and metrics.json")
    p.add_argument("--backend", default="glasstorch", choices=["glasstorch", "torch"],
                   help="the framework to run on (default glasstorch)")
    p.add_argument("--report", action=argparse.BooleanOptionalAction, default=report,
                   help="record the run with glasstorch.inspect.Trace and write report.html, graph.svg and "
                        f"findings.json into --out (glasstorch only; default {'on' if report else 'off'})")
    if extra:
        extra(p)
    return p.parse_args()


def framework(name: str):
    return importlib.import_module(name)


def progress(iterable, **kwargs):
    """A tqdm progress bar if tqdm is installed, else the plain iterable."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, **kwargs)


def out_dir(args) -> str:
    path = args.out or os.path.join("runs", os.path.splitext(os.path.basename(args.script))[0])
    os.makedirs(path, exist_ok=True)
    return path


def save_metrics(path: str, metrics: dict) -> str:
    """Writes metrics.json atomically: a temporary file, then a rename."""
    target = os.path.join(path, "metrics.json")
    tmp = target + ".tmp"
    with open(tmp, "w") as f:
        json.dump(metrics, f, indent=2)
    os.replace(tmp, target)
    return target


def pyplot():
    """matplotlib.pyplot with a file-only backend, or None if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots (pip install -e '.[examples]')")
        return None
    return plt


def plot_curves(path: str, name: str, curves: dict, xlabel: str = "epoch", title: str = "") -> str | None:
    """One PNG with a line per curve: ``curves`` maps a label to a list of values."""
    plt = pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    file = os.path.join(path, name)
    fig.tight_layout()
    fig.savefig(file, dpi=100)
    plt.close(fig)
    return file


def load_images(name: str, root: str, download: bool, classes: int | None = None):
    """Train and test images as float32 arrays (N, 1, 28, 28) in [0, 1], labels as int64 arrays.

    ``name`` is "FashionMNIST" or "MNIST". When those files are not under ``root`` (and
    ``download`` is off or fails), the 8x8 Digits that scikit-learn ships are used instead,
    resized to 28x28. ``classes`` keeps the first that many classes. Returns
    ``(x_train, y_train, x_test, y_test, class_names, description)``.
    """
    import numpy as np
    import glasstorch
    from glasstorch.vision import datasets

    try:
        cls = getattr(datasets, name)
        train = cls(root, train=True, download=download)
        test = cls(root, train=False, download=download)
        pack = [(d.data.numpy().astype(np.float32)[:, None] / 255.0, d.targets.numpy()) for d in (train, test)]
        names = list(train.classes)
        description = f"{name} from {root}"
    except RuntimeError:
        train = datasets.Digits(train=True)
        test = datasets.Digits(train=False)
        pack = []
        for d in (train, test):
            small = glasstorch.tensor(np.stack([np.asarray(d[i][0]) for i in range(len(d))])[:, None] / 255.0,
                                      dtype=glasstorch.float32)
            big = glasstorch.nn.functional.interpolate(small, size=(28, 28), mode="bilinear", align_corners=False)
            pack.append((big.numpy(), np.array([d[i][1] for i in range(len(d))], dtype=np.int64)))
        names = [str(i) for i in range(10)]
        description = (f"{name} not found under {root} (use --download to fetch it): using the scikit-learn "
                       f"Digits (8x8, resized to 28x28) instead")
    (x_tr, y_tr), (x_te, y_te) = pack
    if classes is not None:
        keep_tr, keep_te = y_tr < classes, y_te < classes
        x_tr, y_tr, x_te, y_te = x_tr[keep_tr], y_tr[keep_tr], x_te[keep_te], y_te[keep_te]
        names = names[:classes]
    return x_tr, y_tr, x_te, y_te, names, description


class _NoTrace:
    """Stands in for a Trace when none is recorded (PyTorch backend, or --no-report)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def log(self, **scalars):
        pass


def see_through(args, torch, model, optimizer=None, every: int = 1):
    """A ``glasstorch.inspect.Trace`` of the run when --report is on (glasstorch only), else a stand-in."""
    if not getattr(args, "report", False) or args.backend != "glasstorch":
        return _NoTrace()
    from glasstorch.inspect import Trace
    return Trace(model, optimizer, every=every)


def write_see_through(args, trace, path: str, model=None, step=None, title: str = "") -> list:
    """Writes graph.svg (of one more step, ``step()`` returning its loss), report.html and findings.json.

    Prints the findings and returns them (empty for a healthy run).
    """
    if isinstance(trace, _NoTrace):
        return []
    found = trace.findings()
    print(f"see-through: {len(found)} finding(s)" + "".join(f"\n  {x}" for x in found))
    from glasstorch import viz
    graph = None
    if step is not None:
        with viz.record():
            loss = step()
            loss.backward()
        params = dict(model.named_parameters()) if model is not None else None
        graph = viz.graph(loss, params=params)
        graph.save(os.path.join(path, "graph.svg"))
    report = trace.report(os.path.join(path, "report.html"), title=title or os.path.basename(args.script), graph=graph)
    tmp = os.path.join(path, "findings.json.tmp")
    with open(tmp, "w") as f:
        json.dump([{k: v for k, v in vars(x).items() if k != "extra"} for x in found], f, indent=2)
    os.replace(tmp, os.path.join(path, "findings.json"))
    print(f"see-through: wrote {report}" + (f" and {os.path.join(path, 'graph.svg')}" if graph is not None else ""))
    return found
