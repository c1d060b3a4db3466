"""What seeing through costs: the LeNet training epoch plain, under Trace, and under anomaly mode.

    python benchmarks/see_through.py            # 60,000 images, batch 256 (about 10 minutes)
    python benchmarks/see_through.py --quick    # 6,000 images

One process, one model and data; the modes take turns (plain, Trace(every=10), Trace(every=1),
detect_anomaly, then again) so that drift in the machine's speed hits them alike, and each mode's
median epoch time is divided by the plain epoch's. With ``--torch``, PyTorch's own
``detect_anomaly`` is measured the same way in a second process, for comparison. Last, the time to
build and draw (``to_svg``) the graph of a 300-block MLP (over 2,000 nodes), unfolded and folded.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from bench import _data, lenet  # noqa: E402  (the same model and data as the main benchmark)

TARGETS = {"trace_every10": 1.05, "trace_every1": 1.25, "anomaly": 1.3}


def epoch(t, model, opt, loss_fn, x, y, batch, trace=None) -> float:
    model.train()
    for i in range(0, len(x), batch):
        opt.zero_grad()
        loss = loss_fn(model(x[i:i + batch]), y[i:i + batch])
        loss.backward()
        opt.step()
        if trace is not None:
            trace.log(loss=loss)
    return loss.item()


def run(framework: str, n: int, repeats: int) -> dict:
    import importlib
    t = importlib.import_module(framework)
    t.manual_seed(0)
    xs, ys = _data((1, 28, 28), n)
    x, y = t.tensor(xs), t.tensor(ys)
    model = lenet(t.nn)
    opt = t.optim.SGD(model.parameters(), lr=0.9)
    loss_fn = t.nn.CrossEntropyLoss()
    modes = {"plain": lambda: epoch(t, model, opt, loss_fn, x, y, 256)}

    def anomaly():
        with t.autograd.detect_anomaly():
            epoch(t, model, opt, loss_fn, x, y, 256)
    if framework == "glasstorch":
        from glasstorch.inspect import Trace

        def traced(every):
            def go():
                with Trace(model, opt, every=every) as trace:
                    epoch(t, model, opt, loss_fn, x, y, 256, trace)
            return go
        modes["trace_every10"] = traced(10)
        modes["trace_every1"] = traced(1)
    modes["anomaly"] = anomaly
    times = {k: [] for k in modes}
    for fn in modes.values():   # warm-up
        fn()
    for _ in range(repeats):
        for name, fn in modes.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"median_s": med, "ratio": {k: med[k] / med["plain"] for k in med if k != "plain"},
            "all_s": times}


def graph_timing(repeats: int = 5) -> dict:
    """Seconds to build and draw the backward graph of 300 blocks of Linear, ReLU, LayerNorm."""
    import glasstorch as gt
    from glasstorch import viz
    nn = gt.nn
    model = nn.Sequential(*[nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.LayerNorm(8)) for _ in range(300)])
    out = model(gt.randn(2, 8)).sum()
    result = {}
    for fold in (False, True):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            g = viz.graph(out, fold=fold)
            g.to_svg()
            times.append(time.perf_counter() - t0)
        result["folded" if fold else "unfolded"] = {"nodes": len(g.nodes), "boxes": len(g.clusters),
                                                    "median_s": statistics.median(times)}
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="6,000 images instead of 60,000")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds (default 5, quick 7)")
    p.add_argument("--torch", action="store_true", help="also measure PyTorch's detect_anomaly (second process)")
    p.add_argument("--json", default=None, help="where to write the results (default: print only)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    n = 6000 if args.quick else 60000
    repeats = args.repeats or (7 if args.quick else 5)
    if args.worker:
        print(json.dumps(run(args.worker, n, repeats)))
        return
    out = {"images": n, "batch": 256, "repeats": repeats,
           "glasstorch": run("glasstorch", n, repeats)}
    if args.torch:
        cmd = [sys.executable, __file__, "--worker", "torch", "--repeats", str(repeats)] + (["--quick"] if args.quick
                                                                                              else [])
        out["torch"] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    g = out["glasstorch"]
    print(f"LeNet training epoch, {n} images, batch 256, {repeats} rounds; median epoch time / plain epoch time")
    print(f"{'mode':18s} {'glasstorch':>10s} {'target':>7s}" + (f" {'torch':>7s}" if args.torch else ""))
    print(f"{'plain (s)':18s} {g['median_s']['plain']:10.2f} {'':>7s}"
          + (f" {out['torch']['median_s']['plain']:7.2f}" if args.torch else ""))
    for mode, target in TARGETS.items():
        tr = out["torch"]["ratio"].get(mode) if args.torch else None
        print(f"{mode:18s} {g['ratio'][mode]:10.2f} {target:7.2f}"
              + (f" {tr:7.2f}" if tr is not None else ("       -" if args.torch else "")))
    out["graph"] = graph_timing()
    for kind, r in out["graph"].items():
        print(f"graph of 300 blocks, {kind}: {r['nodes']} nodes, {r['boxes']} boxes, build + to_svg "
              f"{r['median_s']:.3f} s")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(out, f, indent=2)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
