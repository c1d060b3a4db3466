"""How much of torch's public API glasstorch has, namespace by namespace: a report, not a gate.

    .venv/bin/python scripts/api_coverage.py              # the table
    .venv/bin/python scripts/api_coverage.py --missing nn # and what one namespace lacks

A name counts as public when torch has it without a leading underscore (``dir()`` of the module
or class, or its ``__all__`` where torch defines one); it counts as present when glasstorch's
matching module or class has an attribute of that name.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NAMESPACES = [  # (label, torch path, glasstorch path); a path is a module, or module:Class
    ("torch", "torch", "glasstorch"),
    ("Tensor", "torch:Tensor", "glasstorch:Tensor"),
    ("nn", "torch.nn", "glasstorch.nn"),
    ("nn.functional", "torch.nn.functional", "glasstorch.nn.functional"),
    ("nn.init", "torch.nn.init", "glasstorch.nn.init"),
    ("optim", "torch.optim", "glasstorch.optim"),
    ("optim.lr_scheduler", "torch.optim.lr_scheduler", "glasstorch.optim.lr_scheduler"),
    ("utils.data", "torch.utils.data", "glasstorch.utils.data"),
    ("autograd", "torch.autograd", "glasstorch.autograd"),
    ("cuda", "torch.cuda", "glasstorch.cuda"),
    ("linalg", "torch.linalg", "glasstorch.linalg"),
    ("special", "torch.special", "glasstorch.special"),
    ("fft", "torch.fft", "glasstorch.fft"),
    ("distributions", "torch.distributions", "glasstorch.distributions"),
    ("testing", "torch.testing", "glasstorch.testing"),
]


def _resolve(path: str):
    """The module or class a path names, or None when it cannot be imported."""
    module, _, cls = path.partition(":")
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(obj, cls, None) if cls else obj


def public_names(obj) -> list[str]:
    names = getattr(obj, "__all__", None) if not isinstance(obj, type) else None
    if not names:
        names = dir(obj)
    return sorted({n for n in names if not n.startswith("_")})


def coverage() -> list[tuple]:
    """``(label, total, present, missing names)`` for each namespace."""
    rows = []
    for label, theirs_path, ours_path in NAMESPACES:
        theirs, ours = _resolve(theirs_path), _resolve(ours_path)
        names = public_names(theirs) if theirs is not None else []
        missing = [n for n in names if ours is None or not hasattr(ours, n)]
        rows.append((label, len(names), len(names) - len(missing), missing))
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--missing", nargs="*", default=None, help="list the names these namespaces lack")
    args = p.parse_args(argv)
    import torch
    print(f"torch {torch.__version__}: public names glasstorch has")
    print(f"{'namespace':22s} {'torch':>6s} {'present':>8s} {'share':>7s}")
    rows = coverage()
    for label, total, present, _ in rows:
        share = f"{100 * present / total:.0f}%" if total else "-"
        print(f"{label:22s} {total:6d} {present:8d} {share:>7s}")
    for label, total, present, missing in rows:
        if args.missing is not None and (not args.missing or label in args.missing):
            print(f"\n{label} lacks {len(missing)}: {' '.join(missing)}")


if __name__ == "__main__":
    main()
