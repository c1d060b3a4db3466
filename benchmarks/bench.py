"""glasstorch against PyTorch, side by side, on the classic workloads.

    python benchmarks/bench.py                 # every workload, full size (several minutes)
    python benchmarks/bench.py --quick         # smaller sizes, for a fast look
    python benchmarks/bench.py --only lenet_epoch mlp_epoch

One script drives three worker processes and makes them take turns: glasstorch as installed
(with its compiled kernels when Numba is there), glasstorch on NumPy alone
(``GLASSTORCH_NUMBA=0``), and PyTorch. For each workload, one warm-up run each, then
``--repeats`` alternating timed runs; the median is reported with the glasstorch/PyTorch
ratios. Each framework gets its own process
because their thread pools spin while waiting (OpenBLAS for NumPy, OpenMP for PyTorch):
in one process each slows the other several-fold. Both use the same number of threads and
the same glibc malloc settings (the ones glasstorch sets at import). Every workload gets a
fresh pair of workers, so the peak RSS reported per framework is that workload's own. The
table is printed and written as JSON (``--json``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# Thread settings must be fixed before NumPy or PyTorch start their thread pools.
_THREADS = os.environ.get("BENCH_THREADS", str(os.cpu_count() or 1))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, _THREADS)
# What glasstorch sets when it is imported before NumPy (see glasstorch/__init__.py): OpenBLAS
# threads sleep soon after a matrix product instead of spinning for ~0.1 s. PyTorch does not use
# OpenBLAS, so this changes nothing for it.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "10")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


# ------------------------------------------------------------------ models
def lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))


def mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def small_cnn(nn):
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10))


# --------------------------------------------------------------- workloads
class Workload:
    """``setup(t)`` builds the state once per framework; ``run(t, state)`` is what is timed."""

    def __init__(self, name, description, setup, run, unit="s", per=1, memory=False):
        self.name, self.description = name, description
        self.setup, self.run = setup, run
        self.unit, self.per, self.memory = unit, per, memory


def _data(shape, n, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape), dtype=np.float32), rng.integers(0, classes, n).astype(np.int64)


def _train_setup(make_model, shape, n, batch, make_opt):
    def setup(t):
        t.manual_seed(0)
        x, y = _data(shape, n)
        model = make_model(t.nn)
        return {"model": model, "opt": make_opt(t, model), "x": t.tensor(x), "y": t.tensor(y), "batch": batch,
                "loss": t.nn.CrossEntropyLoss()}
    return setup


def _train_epoch(t, s):
    model, opt, loss_fn, x, y, b = s["model"], s["opt"], s["loss"], s["x"], s["y"], s["batch"]
    model.train()
    for i in range(0, len(x), b):
        opt.zero_grad()
        loss = loss_fn(model(x[i:i + b]), y[i:i + b])
        loss.backward()
        opt.step()
    return loss.item()


def _inference_setup(n):
    def setup(t):
        t.manual_seed(0)
        x, _ = _data((1, 28, 28), n)
        model = lenet(t.nn)
        model.eval()
        return {"model": model, "x": t.tensor(x)}
    return setup


def _inference(t, s):
    with t.no_grad():
        for i in range(0, len(s["x"]), 1000):
            out = s["model"](s["x"][i:i + 1000])
    return out.sum().item()


def _ops_setup(n):
    def setup(t):
        t.manual_seed(0)
        return {"x": t.randn(4, 4, requires_grad=True), "w": t.randn(4, 4), "n": n}
    return setup


def _ops(t, s):
    """n tiny ops (4x4, requires_grad) in a chain, then one backward."""
    x, w = s["x"], s["w"]
    y = x
    for i in range(s["n"] // 5):  # five ops per iteration
        y = (y * w + 0.5).tanh() - y * 0.1
    y.sum().backward()
    x.grad = None


def _conv_setup(shape, weight, stride, padding):
    def setup(t):
        rng = np.random.default_rng(0)
        x = t.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        w = t.tensor(rng.standard_normal(weight).astype(np.float32) * 0.1, requires_grad=True)
        b = t.zeros(weight[0], requires_grad=True)
        return {"x": x, "w": w, "b": b, "stride": stride, "padding": padding}
    return setup


def _conv(t, s):
    out = t.nn.functional.conv2d(s["x"], s["w"], s["b"], stride=s["stride"], padding=s["padding"])
    out.sum().backward()
    s["x"].grad = s["w"].grad = s["b"].grad = None


def _lstm_setup(batch, seq, hidden, steps):
    def setup(t):
        t.manual_seed(0)
        rng = np.random.default_rng(0)
        lstm = t.nn.LSTM(hidden, hidden, num_layers=2, batch_first=True)
        return {"lstm": lstm, "opt": t.optim.SGD(lstm.parameters(), lr=0.1), "steps": steps,
                "x": t.tensor(rng.standard_normal((batch, seq, hidden), dtype=np.float32)),
                "y": t.tensor(rng.standard_normal((batch, seq, hidden), dtype=np.float32))}
    return setup


def _lstm_steps(t, s):
    for _ in range(s["steps"]):
        s["opt"].zero_grad()
        out, _ = s["lstm"](s["x"])
        loss = t.nn.functional.mse_loss(out, s["y"])
        loss.backward()
        s["opt"].step()
    return loss.item()


def _gpt_setup(batch, block, steps):
    def setup(t):
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "examples"))
        from tiny_gpt import make_model, param_groups
        t.manual_seed(0)
        model = make_model(t, 65, block, 128, 4, 4)
        rng = np.random.default_rng(0)
        idx = rng.integers(0, 65, (steps, batch, block + 1))
        return {"model": model, "opt": t.optim.AdamW(param_groups(model, 0.1), lr=1e-3), "steps": steps,
                "x": [t.tensor(i[:, :-1]) for i in idx], "y": [t.tensor(i[:, 1:]) for i in idx]}
    return setup


def _gpt_steps(t, s):
    model, opt = s["model"], s["opt"]
    for x, y in zip(s["x"], s["y"]):
        logits = model(x)
        loss = t.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return loss.item()


def _sdpa_setup(shape, calls):
    def setup(t):
        rng = np.random.default_rng(0)
        q, k, v = (t.tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=True) for _ in range(3))
        return {"qkv": (q, k, v), "g": t.tensor(rng.standard_normal(shape, dtype=np.float32)), "calls": calls}
    return setup


def _sdpa(t, s):
    q, k, v = s["qkv"]
    for _ in range(s["calls"]):
        out = t.nn.functional.scaled_dot_product_attention(q, k, v)
        out.backward(s["g"])
        q.grad = k.grad = v.grad = None


def workloads(quick: bool) -> list:
    n_lenet = 6000 if quick else 60000
    n_cnn = 1000 if quick else 10000
    n_inf = 2000 if quick else 10000
    sgd = lambda t, m: t.optim.SGD(m.parameters(), lr=0.9)  # noqa: E731
    sgd_m = lambda t, m: t.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)  # noqa: E731
    adamw = lambda t, m: t.optim.AdamW(m.parameters(), lr=1e-3)  # noqa: E731
    return [
        Workload("lenet_epoch", f"LeNet training epoch, {n_lenet} x 1x28x28, batch 256",
                 _train_setup(lenet, (1, 28, 28), n_lenet, 256, sgd), _train_epoch, memory=True),
        Workload("mlp_epoch", f"MLP 784-256-128-10 training epoch, {n_lenet} samples, batch 256",
                 _train_setup(mlp, (1, 28, 28), n_lenet, 256, sgd_m), _train_epoch, memory=True),
        Workload("small_cnn_epoch", f"CNN (conv3x3, BatchNorm, ReLU, MaxPool, Dropout, AdamW), {n_cnn} x 3x32x32, "
                 "batch 128", _train_setup(small_cnn, (3, 32, 32), n_cnn, 128, adamw), _train_epoch, memory=True),
        Workload("lenet_inference", f"LeNet inference, {n_inf} images, batches of 1000",
                 _inference_setup(n_inf), _inference),
        Workload("per_op", "per-op overhead: 10,000 tiny ops (4x4, requires_grad) + one backward",
                 _ops_setup(10000), _ops, unit="us/op", per=10000),
        Workload("conv_1x28_k5", "Conv2d fwd+bwd (256,1,28,28) * (6,1,5,5), padding 2",
                 _conv_setup((256, 1, 28, 28), (6, 1, 5, 5), 1, 2), _conv),
        Workload("conv_64x32_k3", "Conv2d fwd+bwd (128,64,32,32) * (64,64,3,3), padding 1",
                 _conv_setup((128 if not quick else 32, 64, 32, 32), (64, 64, 3, 3), 1, 1), _conv),
        Workload("conv_3x224_k7s2", "Conv2d fwd+bwd (32,3,224,224) * (64,3,7,7), stride 2, padding 3",
                 _conv_setup((32 if not quick else 8, 3, 224, 224), (64, 3, 7, 7), 2, 3), _conv),
        Workload("lstm_step", f"LSTM 2 layers, hidden 256, seq {64 if not quick else 32}, batch "
                 f"{32 if not quick else 16}: forward + backward + SGD step, x{10 if not quick else 3}",
                 _lstm_setup(32 if not quick else 16, 64 if not quick else 32, 256, 10 if not quick else 3),
                 _lstm_steps, memory=True),
        Workload("gpt_step", f"GPT (examples/tiny_gpt.py) 4 layers, 4 heads, d_model 128, block 64, batch "
                 f"{16 if not quick else 8}: forward + backward + clip + AdamW, x{10 if not quick else 3}",
                 _gpt_setup(16 if not quick else 8, 64, 10 if not quick else 3), _gpt_steps, memory=True),
        Workload("sdpa", f"scaled_dot_product_attention fwd+bwd at {(8, 4, 128, 32) if not quick else (4, 4, 64, 32)}"
                 f", x{20 if not quick else 5}",
                 _sdpa_setup((8, 4, 128, 32) if not quick else (4, 4, 64, 32), 20 if not quick else 5), _sdpa),
    ]


# The second glasstorch worker: the same code with the compiled kernels switched off.
NUMPY_ONLY = "glasstorch-numpy"

TARGETS = {"lenet_epoch": 1.3, "mlp_epoch": 1.2, "small_cnn_epoch": 1.5, "lenet_inference": 1.3, "per_op": 3.0,
           "conv_1x28_k5": 1.5, "conv_64x32_k3": 1.5, "conv_3x224_k7s2": 1.5,
           "lstm_step": 1.5, "gpt_step": 1.5, "sdpa": 1.5}


def _tune_malloc() -> bool:
    """The allocator settings glasstorch applies at import, applied without importing glasstorch."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_allocator", os.path.join(os.path.dirname(HERE), "glasstorch",
                                                                             "_allocator.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.tuned


def _reset_peak_rss() -> None:
    """Sets the process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0; elsewhere a no-op)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss_mib(resource) -> float:
    """Peak RSS since the last reset: VmHWM on Linux, else the lifetime maximum."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(framework: str, quick: bool) -> None:
    """Runs workloads on request: reads a workload name per line, answers with JSON."""
    import importlib
    import resource
    tuned = _tune_malloc()
    if framework == NUMPY_ONLY:
        os.environ["GLASSTORCH_NUMBA"] = "0"  # read once, at import
    t = importlib.import_module("torch" if framework == "torch" else "glasstorch")
    if framework == "torch":
        t.set_num_threads(int(_THREADS))
    table = {w.name: w for w in workloads(quick)}
    state = {}
    info = {"framework": framework, "version": getattr(t, "__version__", "?"), "malloc_tuned": tuned,
            "threads": t.get_num_threads() if framework == "torch" else int(_THREADS)}
    if framework != "torch":
        # Whether the kernels can run, without loading them: Numba is imported only when an op first
        # uses a kernel (importing it doubles the objects Python's garbage collector scans, which
        # costs tiny-op code about 10%), as in a user's process.
        import importlib.util
        info["compiled_kernels"] = (os.environ.get("GLASSTORCH_NUMBA") != "0"
                                    and importlib.util.find_spec("numba") is not None)
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        cmd, name = line.split()
        w = table[name]
        if cmd == "setup":
            state.clear()
            state[name] = w.setup(t)
            w.run(t, state[name])  # warm-up
            _reset_peak_rss()  # the peak of building the data set is not the workload's
            print(json.dumps({"ok": True}), flush=True)
        elif cmd == "run":
            start = time.perf_counter()
            w.run(t, state[name])
            elapsed = time.perf_counter() - start
            print(json.dumps({"seconds": elapsed, "peak_rss_mib": _peak_rss_mib(resource)}), flush=True)


class Worker:
    def __init__(self, framework: str, quick: bool):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", framework] + (["--quick"] if quick else [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.proc.stdout.readline())

    def ask(self, cmd: str, name: str) -> dict:
        self.proc.stdin.write(f"{cmd} {name}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.info['framework']} worker died during {cmd} {name}")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def time_workload(w: Workload, workers: dict, repeats: int) -> tuple:
    for wk in workers.values():
        wk.ask("setup", w.name)
    times = {name: [] for name in workers}
    rss = {}
    for _ in range(repeats):
        for name, wk in workers.items():  # alternate, so that drifting machine load hits both
            r = wk.ask("run", w.name)
            times[name].append(r["seconds"])
            rss[name] = r["peak_rss_mib"]
    return {name: statistics.median(v) for name, v in times.items()}, rss


def thread_report(workers: dict) -> dict:
    info = {var: os.environ.get(var) for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                                 "OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_CORETYPE")}
    for name, wk in workers.items():
        info[name] = wk.info
    return info


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    p.add_argument("--repeats", type=int, default=None, help="timed runs per framework (default 5, quick 3)")
    p.add_argument("--only", nargs="*", help="workload names to run")
    p.add_argument("--json", default=None,
                   help="where to write the results (default benchmarks/results.json, or results-quick.json)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args.worker, args.quick)
    repeats = args.repeats or (3 if args.quick else 5)
    if args.json is None:
        args.json = os.path.join(HERE, "results-quick.json" if args.quick else "results.json")

    def fresh_workers() -> dict:
        return {name: Worker(name, args.quick) for name in ("glasstorch", NUMPY_ONLY, "torch")}

    workers = fresh_workers()
    threads = thread_report(workers)
    torch_version = workers["torch"].info["version"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}, torch {torch_version}")
    print("threads:", json.dumps(threads))
    print(f"repeats: {repeats} (median), alternating frameworks, one warm-up each\n")
    rows = []
    header = (f"{'workload':18s} {'glasstorch':>12s} {'numpy-only':>12s} {'torch':>12s} {'ratio':>7s} "
              f"{'np-only':>7s} {'target':>7s}  {'RSS gt/torch (MiB)':>20s}")
    print(header)
    print("-" * len(header))
    for w in workloads(args.quick):
        if args.only and w.name not in args.only:
            continue
        if workers is None:
            workers = fresh_workers()
        med, rss = time_workload(w, workers, repeats)
        for wk in workers.values():  # peak RSS is per process: the next workload starts afresh
            wk.close()
        workers = None
        scale = 1e6 / w.per if w.unit == "us/op" else 1.0
        ours, plain, theirs = med["glasstorch"] * scale, med[NUMPY_ONLY] * scale, med["torch"] * scale
        row = {"workload": w.name, "description": w.description, "unit": w.unit, "glasstorch": ours,
               "glasstorch_numpy_only": plain, "torch": theirs, "ratio": ours / theirs,
               "ratio_numpy_only": plain / theirs, "target": TARGETS[w.name]}
        mem = ""
        if w.memory:
            row["rss_mib"] = rss
            row["rss_ratio"] = rss["glasstorch"] / rss["torch"]
            mem = f"{row['rss_mib']['glasstorch']:.0f}/{row['rss_mib']['torch']:.0f} ({row['rss_ratio']:.2f}x)"
        rows.append(row)
        fmt = "{:12.2f}" if w.unit == "us/op" else "{:12.3f}"
        print(f"{w.name:18s} {fmt.format(ours)} {fmt.format(plain)} {fmt.format(theirs)} {row['ratio']:7.2f} "
              f"{row['ratio_numpy_only']:7.2f} {row['target']:7.1f}  {mem:>20s}", flush=True)
    result = {"machine": {"arch": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version(),
                          "numpy": np.__version__, "torch": torch_version},
              "threads": threads, "repeats": repeats, "quick": args.quick, "rows": rows,
              "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    if args.only and os.path.exists(args.json):
        # A partial run updates its own rows and keeps the others (each row keeps its own time).
        with open(args.json) as f:
            kept = {r["workload"]: r for r in json.load(f).get("rows", [])}
        stamp = result["time"]
        for r in rows:
            r["time"] = stamp
            kept[r["workload"]] = r
        order = [w.name for w in workloads(args.quick)]
        result["rows"] = sorted(kept.values(), key=lambda r: order.index(r["workload"]) if r["workload"] in order
                                else len(order))
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=2, default=str)
    os.replace(tmp, args.json)
    print(f"\nwritten to {args.json}")


if __name__ == "__main__":
    main()
