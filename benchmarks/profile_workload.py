"""Profile one benchmark workload of glasstorch with cProfile.

    python benchmarks/profile_workload.py lenet_epoch            # top 25 by total time
    python benchmarks/profile_workload.py per_op --quick --sort cumulative --top 40

Runs the workload once to warm up, then once under cProfile, and prints the functions
that took the most time. Uses the same workloads and sizes as ``bench.py``.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (sets the thread variables before NumPy starts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", choices=[w.name for w in bench.workloads(True)])
    p.add_argument("--quick", action="store_true", help="the smaller sizes of bench.py --quick")
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--framework", default="glasstorch", help="glasstorch or torch")
    args = p.parse_args()

    import importlib
    t = importlib.import_module(args.framework)
    w = {w.name: w for w in bench.workloads(args.quick)}[args.workload]
    state = w.setup(t)
    w.run(t, state)  # warm-up
    prof = cProfile.Profile()
    prof.enable()
    w.run(t, state)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
