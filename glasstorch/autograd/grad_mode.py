"""Grad modes: whether ops record the graph.

The flag is thread-local, as in torch: ``no_grad`` in one thread leaves other
threads recording. Each mode works as a context manager and as a decorator.
"""
from __future__ import annotations

import functools
import threading


class _State(threading.local):
    def __init__(self):
        self.enabled = True
        self.inference = False
        # True while the engine runs backward formulas: their ops are part of a node's backward,
        # so observers hear of them as that (observe.py), not as forward ops.
        self.in_backward = False


_state = _State()


def is_grad_enabled() -> bool:
    """Returns True if ops currently record the autograd graph."""
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _GradModeBase:
    """Shared context-manager / decorator plumbing for the grad modes."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return fn(*args, **kwargs)
        return wrapper

    _args: tuple = ()

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode
        return None

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def clone(self):
        return self.__class__(*self._args)


class no_grad(_GradModeBase):
    """Context manager (and decorator) that disables graph recording.

    Example::

        >>> with glasstorch.no_grad():
        ...     y = x * 2          # y.requires_grad is False
    """
    _mode = False

    def __new__(cls, orig_func=None):
        # ``@no_grad`` without parentheses, as torch allows.
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            return self(orig_func)
        return self

    def __init__(self, orig_func=None):
        pass


class enable_grad(no_grad):
    """Context manager (and decorator) that enables graph recording inside a no_grad block."""
    _mode = True


class set_grad_enabled(_GradModeBase):
    """Sets grad mode to ``mode``. Takes effect immediately, and also works as a context manager.

    Args:
        mode (bool): whether to record the graph.
    """

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._args = (mode,)
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __call__(self, fn):
        # Used as a decorator: the constructor must not change the mode for good.
        _state.enabled = self._prev
        return super().__call__(fn)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False


class inference_mode(_GradModeBase):
    """Like no_grad; tensors made inside are not meant to be used in autograd later.

    Args:
        mode (bool): whether to enable inference mode. Default: True.
    """

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self._init(True)
            return self(mode)
        return self

    def __init__(self, mode: bool = True):
        if not callable(mode):
            self._init(mode)

    def _init(self, mode):
        self._mode = not mode
        self._inference = bool(mode)
        self._args = (mode,)

    def __enter__(self):
        self._prev = _state.enabled
        self._prev_inf = _state.inference
        _state.enabled = self._mode if self._inference else _state.enabled
        _state.inference = self._inference
        return None

    def __exit__(self, *exc):
        _state.enabled = self._prev
        _state.inference = self._prev_inf
        return False
