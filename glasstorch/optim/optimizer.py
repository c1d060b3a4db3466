"""The Optimizer base class: parameter groups, per-parameter state, state_dict.

An optimizer is two things, kept apart as in ``torch.optim``:

* the class (``SGD``, ``Adam``, ...) holds ``param_groups`` (a list of dicts, each
  with its ``params`` and its own options) and ``state`` (a dict keyed by
  parameter: momentum buffers, step counts, ...);
* the update maths is a plain function beside the class (``sgd``, ``adam``, ...),
  which reads ``param.grad`` and writes ``param._data`` in place with NumPy only.
  No graph is recorded, so ``step()`` needs no ``no_grad``.

Hyperparameters reach the maths as Python floats: NumPy keeps a float32 array
float32 when it meets a Python float, but promotes it to float64 when it meets a
NumPy float64 scalar, so every option goes through ``float()`` first.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain
from typing import Any, Callable

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks an option that every parameter group must give (it has no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks: dict = OrderedDict()
_global_optimizer_post_hooks: dict = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Registers ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``.

    The hook may return new ``(args, kwargs)``.
    """
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Registers ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


# ----------------------------------------------------------------------------- helpers for the maths
def _scalar_np_dtype() -> np.dtype:
    """The dtype of scalar state such as ``step`` (torch's ``_get_scalar_dtype``).

    It is float32 unless the default dtype is float64. The dtype matters: NAdam's
    ``mu_product`` is multiplied in this precision, so it must match torch's.
    """
    return np.dtype(np.float64) if _dtype.get_default_dtype() is _dtype.float64 else np.dtype(np.float32)


def _scalar_tensor(value: float) -> Tensor:
    return Tensor._make(np.array(value, dtype=_scalar_np_dtype()))


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(p._data))


def _to_scalar(x) -> float:
    """A hyperparameter (number, NumPy scalar or one-element tensor) as a Python float."""
    if isinstance(x, Tensor):
        return float(x._data.reshape(()))
    return float(x)


def _step_count(step_t: Tensor) -> float:
    """Increments a ``step`` state tensor in place and returns the new count as a float."""
    step_t._data += 1
    return float(step_t._data)


def _grad_of(grad: Tensor, maximize: bool) -> np.ndarray:
    # Negating makes a new array, so the caller's .grad is never modified.
    return np.negative(grad._data) if maximize else grad._data


def _add_scaled(a: np.ndarray, b: np.ndarray, alpha: float, owned: bool) -> np.ndarray:
    """``a + alpha * b`` (torch's ``a.add(b, alpha=alpha)``), in place when ``a`` is a private temporary."""
    if owned:
        a += alpha * b
        return a
    return a + alpha * b


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start.lerp_(end, weight)`` with torch's two-sided formula.

    torch switches formulas at ``|weight| = 0.5`` so that the result is exact at both
    ends; using the same switch keeps the running averages rounding as torch's do.
    """
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1.0 - weight
        np.subtract(end, diff, out=start)


def _addcmul_(out: np.ndarray, a: np.ndarray, b: np.ndarray, value: float) -> None:
    """``out += value * a * b``, evaluated left to right as torch does."""
    tmp = a * value if value != 1 else a.copy()
    tmp *= b
    out += tmp


def _addcdiv_(out: np.ndarray, a: np.ndarray, b: np.ndarray, value: float) -> None:
    """``out += value * a / b``; torch multiplies by ``value`` before dividing."""
    tmp = a * value if value != 1 else a.copy()
    tmp /= b
    out += tmp


# ----------------------------------------------------------------------------- the base class
class Optimizer:
    r"""Base class for all optimizers.

    Parameters should be given in a deterministic order (a list, not a set), so that
    a ``state_dict`` saved in one run matches the parameters of the next.

    Args:
        params (iterable): tensors to optimize, ``(name, tensor)`` pairs (as from
            ``model.named_parameters()``), or dicts that define parameter groups, each
            with a ``"params"`` entry and optional per-group options.
        defaults (dict): the default value of each option, used by groups that do not
            give it.
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: dict = OrderedDict()
        self._optimizer_step_post_hooks: dict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: dict = OrderedDict()
        self._optimizer_state_dict_post_hooks: dict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: dict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: dict = OrderedDict()
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or "
                            f"dicts, but got {_typename(params)}")

        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # -------------------------------------------------------------- pickling and printing
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    # -------------------------------------------------------------- step hooks
    def _patch_step_function(self) -> None:
        # Like torch, wrap the concrete class's ``step`` once so that every subclass
        # gets the step hooks without calling them itself.
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = _with_step_hooks(cls.step)

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Registers ``hook(optimizer, args, kwargs)``, run before ``step``; it may return new (args, kwargs)."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Registers ``hook(optimizer, args, kwargs)``, run after ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(optimizer)``, run before ``state_dict`` builds its result."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(optimizer, state_dict)``, which may return a replacement state_dict."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(optimizer, state_dict)``, run before loading; it may return a replacement."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(optimizer)``, run after ``load_state_dict``."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -------------------------------------------------------------- state_dict
    def state_dict(self) -> dict[str, Any]:
        """Returns the optimizer state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their index, counted across groups in order; each
        group keeps its options and lists its parameters' indices under ``"params"``.
        The state tensors are returned as they are (not copied), as in torch.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)

        index_of: dict[int, int] = {}
        start = 0

        def pack_group(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state produced by :meth:`state_dict`.

        Saved parameter indices are matched with this optimizer's parameters by
        position. State tensors are cast to their parameter's dtype (``step`` counters
        excepted). Create LR schedulers before calling this, as their constructors
        reset the learning rates.
        """
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size "
                             "of optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast_state(param, v)
            else:
                state[k] = v

        def update_group(group: dict[str, Any], new_group: dict[str, Any]) -> dict[str, Any]:
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # -------------------------------------------------------------- gradients and groups
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all optimized tensors.

        Args:
            set_to_none (bool): set ``.grad`` to None instead of filling it with zeros
                (less memory; and an optimizer skips a parameter whose grad is None,
                whereas a zero gradient still moves it under momentum or weight decay).
                Default: ``True``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad._data[...] = 0
                    p.grad._bump()

    def step(self, closure: Callable[[], Any] | None = None):
        """Performs a single optimization step (updates the parameters).

        Args:
            closure (Callable, optional): a function that re-evaluates the model and
                returns the loss (required by some optimizers, such as LBFGS).
        """
        raise NotImplementedError

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a parameter group, e.g. to train layers that were frozen so far.

        Args:
            param_group (dict): the group's ``"params"`` and any options that differ
                from the optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)

        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)

        # Tensors hash by identity, so sets of them compare the objects, not values.
        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this "
                          "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                          "information", stacklevel=3)

        seen: set = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)


def _with_step_hooks(step: Callable) -> Callable:
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), "
                                       f"but got {result}.")
        out = step(self, *args, **kwargs)
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


def _register(hooks: dict, hook: Callable, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


_SCALAR_STATE_KEYS = ("step", "mu_product")


def _cast_state(param: Tensor, value, key=None):
    """A loaded state value for ``param``: tensors take the parameter's dtype.

    Scalar state (``step`` counters, NAdam's ``mu_product``) keeps its own dtype, so
    that resuming is bit-for-bit identical to uninterrupted training; torch casts
    ``mu_product`` to the parameter's dtype, which changes its later rounding. A
    tensor that already has the right dtype is used as it is, not copied (as torch's
    ``Tensor.to`` does).
    """
    if isinstance(value, Tensor):
        if key in _SCALAR_STATE_KEYS or not param.is_floating_point() or value._data.dtype == param._data.dtype:
            return value
        return Tensor._make(value._data.astype(param._data.dtype))
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _typename(obj) -> str:
    """The type's name as torch.typename spells it: qualified, except for builtins."""
    if isinstance(obj, Tensor):
        return f"glasstorch.{type(obj).__name__}"
    module = type(obj).__module__
    return type(obj).__qualname__ if module == "builtins" else f"{module}.{type(obj).__qualname__}"


def _use_closure(closure: Callable | None):
    """Runs the closure with grad mode on (``step`` itself needs no graph)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()
