"""Run a PyTorch program on glasstorch without editing it: ``python -m glasstorch.run script.py args...``.

Before the script starts, ``import torch`` (and ``torch.nn``, ``torch.utils.data``, ... ) is made to
give glasstorch's modules, and ``import torchvision`` glasstorch.vision. A module glasstorch lacks
fails as an ordinary ImportError naming it. The script sees ``sys.argv`` as if it had been run
directly, and ``__name__ == "__main__"``.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import runpy
import sys

__all__ = ["install", "main"]

ALIASES = {"torch": "glasstorch", "torchvision": "glasstorch.vision"}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module) -> None:
        pass   # already executed, under its own name


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch.x.y`` as ``glasstorch.x.y`` (and ``torchvision.x`` as ``glasstorch.vision.x``)."""

    def find_spec(self, fullname, path=None, target=None):
        head, _, rest = fullname.partition(".")
        if head not in ALIASES:
            return None
        real = ALIASES[head] + ("." + rest if rest else "")
        try:
            found = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return None   # the usual ImportError, naming the torch module
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real), is_package=found.submodule_search_locations
                                               is not None)


def install() -> None:
    """Makes ``import torch`` and ``import torchvision`` give glasstorch from now on, in this process."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
    for name in list(ALIASES):
        sys.modules.pop(name, None)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m glasstorch.run script.py [args...]   (or -m module [args...])")
        raise SystemExit(0 if argv else 2)
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            raise SystemExit("python -m glasstorch.run -m: a module name is needed")
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
