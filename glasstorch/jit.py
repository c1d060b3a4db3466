"""``torch.jit``: TorchScript compiles a model for deployment; glasstorch runs Python as it is.

``script`` and ``trace`` return what they are given (the model, or the function), so that a
program that scripts its model still trains and runs; the decorators leave functions alone.
``save``/``load`` of TorchScript archives are not supported and raise.
"""
from __future__ import annotations

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting", "is_tracing", "save", "load"]


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Returns ``obj``: glasstorch runs modules and functions as Python."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Returns ``func`` (a module or a function) unchanged: it runs as Python."""
    return func


def ignore(drop=False, **kwargs):
    """``@torch.jit.ignore`` or ``@torch.jit.ignore(drop=...)``: the function is left as it is."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def save(m, f, _extra_files=None):
    raise NotImplementedError("glasstorch cannot write TorchScript archives; save the state_dict with "
                              "torch.save(model.state_dict(), path) instead")


def load(f, map_location=None, _extra_files=None):
    raise NotImplementedError("glasstorch cannot read TorchScript archives; load a state_dict saved with "
                              "torch.save instead")
