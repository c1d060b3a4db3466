"""nn.Module: the base class of every layer and model.

A Module keeps three ordered dicts -- ``_parameters``, ``_buffers`` and
``_modules`` -- filled by attribute assignment (``self.fc = nn.Linear(...)``).
Everything else (enumeration, ``state_dict``, ``to``, ``train``/``eval``) walks
those dicts. ``module(x)`` runs the hooks around ``forward``.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator

import numpy as np

from ... import _dtype
from ..._tensor import Tensor, _require_cpu, device as _device
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...autograd.observe import _stack as _module_stack, observers as _observers
from ...utils.hooks import RemovableHandle
from ..parameter import Buffer, Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s: str, num_spaces: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * num_spaces + line for line in lines[1:])


class Module:
    """Base class for all neural network modules.

    Subclass it, create layers in ``__init__``, and define ``forward``::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)   # registered as a submodule

            def forward(self, x):
                return self.fc(x).relu()
    """

    training: bool
    _version: int = 1

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        # object.__setattr__: our own __setattr__ needs these dicts to exist already.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # ----------------------------------------------------------- registration
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             "created explicitly.")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a buffer: state that is not a parameter (e.g. BatchNorm's running mean).

        Args:
            name: the buffer's name.
            tensor: the buffer, or None.
            persistent: whether the buffer is part of ``state_dict``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Adds a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    @staticmethod
    def _check_name(name, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            modules = self.__dict__.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._parameters, self._buffers,
                              self._non_persistent_buffers_set)
            modules[name] = value
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            self._modules[name] = value
        elif isinstance(value, Buffer) or ("_buffers" in self.__dict__ and name in self._buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                persistent = value.persistent
                value = Tensor._make(value._data)
                self._remove_from(name, self.__dict__, self._parameters, self._modules)
                self.register_buffer(name, value, persistent)
            else:
                self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, *containers) -> None:
        for c in containers:
            if name in c:
                c.discard(name) if isinstance(c, set) else c.pop(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # ------------------------------------------------------------ enumeration
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """Yields ``(name, module)`` for this module and every descendant, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yields ``(name, parameter)``; a parameter shared by two modules is yielded once."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        """Returns the submodule at the dotted path ``target`` (``""`` is this module)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> "Module":
        """Sets training mode (affects Dropout, BatchNorm, ...). Grad mode is not touched."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> "Module":
        """Sets evaluation mode: ``train(False)``. Autograd keeps recording; use no_grad for that."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all parameters: to None by default, else to zero in place."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Calls ``fn`` on every submodule (children first) and on self, e.g. to initialize weights."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --------------------------------------------------------------- movement
    def _apply(self, fn: Callable[[np.ndarray], np.ndarray]) -> "Module":
        """Replaces the arrays of every parameter, gradient and buffer by ``fn(array)``, keeping the objects."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    p._data = fn(p._data)
                    if p.grad is not None:
                        p.grad._data = fn(p.grad._data)
            for name, b in m._buffers.items():
                if b is not None:
                    b._data = fn(b._data)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """Casts floating-point parameters and buffers to a dtype; ``"cpu"`` is accepted as the device."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        for a in args:
            if isinstance(a, (str, _device)):
                dev = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            else:
                dtype = a
        _require_cpu(dev)  # torch's error for a device glasstorch does not have
        if dtype is None:
            return self
        dt = _dtype.to_dtype(dtype)
        if not dt.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dt}")
        return self._apply(lambda a: a.astype(dt.np) if a.dtype.kind == "f" else a)

    def float(self) -> "Module":
        return self.to(_dtype.float32)

    def double(self) -> "Module":
        return self.to(_dtype.float64)

    def half(self) -> "Module":
        return self.to(_dtype.float16)

    def type(self, dst_type) -> "Module":
        return self._apply(lambda a: a.astype(_dtype.to_dtype(dst_type).np))

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        raise RuntimeError("glasstorch was built without a CUDA device; modules live on the CPU")

    def share_memory(self) -> "Module":
        return self

    # -------------------------------------------------------------- state_dict
    def state_dict(self, *args, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """Returns parameters and persistent buffers by dotted name, with torch's keys and layouts.

        The tensors share memory with the module's (detached unless ``keep_vars``).
        """
        if args:  # torch's deprecated positional form: state_dict(destination, prefix, keep_vars)
            destination = args[0]
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict: dict, strict: bool = True, assign: bool = False) -> _IncompatibleKeys:
        """Copies parameters and buffers from ``state_dict`` into this module.

        Args:
            state_dict: a dict from ``state_dict()`` (of this or an identical model).
            strict: if True, every key must match exactly; a mismatch raises a RuntimeError listing every
                missing and unexpected key.
            assign: if True, use the given tensors as the new parameters instead of copying into the old.

        Returns:
            ``(missing_keys, unexpected_keys)``. A size mismatch always raises.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        expected = {}
        for mod_prefix, module in self.named_modules(remove_duplicate=False):
            pre = mod_prefix + "." if mod_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    expected[pre + name] = (module, name, "param")
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    expected[pre + name] = (module, name, "buffer")
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict if k not in expected]
        errors = []
        with no_grad():
            for key, (module, name, kind) in expected.items():
                if key not in state_dict:
                    continue
                src = state_dict[key]
                if not isinstance(src, Tensor):
                    src = Tensor._make(np.asarray(src))
                dst = module._parameters[name] if kind == "param" else module._buffers[name]
                if tuple(src.shape) != tuple(dst.shape):
                    errors.append(f"size mismatch for {key}: copying a param with shape {src.shape!r} from "
                                  f"checkpoint, the shape in current model is {dst.shape!r}.")
                    continue
                if assign:
                    if kind == "param":
                        module._parameters[name] = Parameter(src, requires_grad=dst.requires_grad)
                    else:
                        module._buffers[name] = src
                else:
                    dst._data[...] = src._data
                    dst._version.value += 1
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
                              + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(module, args) -> None or new args``, run before ``forward``."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(module, args, output) -> None or new output``, run after ``forward``."""
        return self._add_hook(self._forward_hooks, hook, prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Registers ``hook(module, grad_input, grad_output) -> None or new grad_input``.

        It runs once the gradients with respect to the module's tensor inputs are computed.
        """
        return self._add_hook(self._backward_hooks, hook, prepend)

    register_backward_hook = register_full_backward_hook

    @staticmethod
    def _add_hook(hooks: OrderedDict, hook, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def __call__(self, *args, **kwargs):
        # The module stack (autograd/observe.py): each graph node made inside forward records
        # this chain, so tools can tell which module ran each op.
        stack = _module_stack
        outer, outer_calls = stack.chain, stack.calls
        stack.count += 1
        stack.chain = outer + (self,)
        stack.calls = outer_calls + (stack.count,)
        try:
            if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or _observers):
                return self.forward(*args, **kwargs)
            return self._call_with_hooks(args, kwargs)
        finally:
            stack.chain, stack.calls = outer, outer_calls

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        if self._backward_hooks:
            state = _BackwardHookState(self)
            args = state.wrap_inputs(args)
        if _observers:
            for observer in list(_observers):
                observer.module_enter(self, args)
        out = self.forward(*args, **kwargs)
        if _observers:
            for observer in list(_observers):
                observer.module_exit(self, out)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        if self._backward_hooks:
            out = state.wrap_outputs(out)
        return out

    # ------------------------------------------------------------------- repr
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, module in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(module), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


class _BackwardHookState:
    """Carries grad_output from the module's outputs to its inputs, for full backward hooks."""

    def __init__(self, module: Module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0

    def wrap_inputs(self, args: tuple) -> tuple:
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        if not any(args[i].requires_grad for i in tensors):
            return args
        wrapped = _BackwardHookFunction.apply(self, *[args[i] for i in tensors])
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        out = list(args)
        for i, w in zip(tensors, wrapped):
            out[i] = w
        self.inputs_wrapped = True
        return tuple(out)

    def wrap_outputs(self, out):
        single = isinstance(out, Tensor)
        outs = (out,) if single else out
        if not isinstance(outs, tuple) or not any(isinstance(o, Tensor) and o.requires_grad for o in outs):
            return out
        wrapped = _OutputHookFunction.apply(self, *outs)
        return wrapped if single else tuple(wrapped) if isinstance(wrapped, tuple) else (wrapped,)

    def run_hooks(self, grad_input: tuple) -> tuple:
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        return grad_input


class _BackwardHookFunction(Function):
    """Identity on the module's inputs; its backward sees grad_input and runs the hooks."""

    @staticmethod
    def forward(ctx, state, *inputs):
        ctx.state = state
        outs = tuple(i._alias() for i in inputs)
        return outs if len(outs) > 1 else outs[0]

    @staticmethod
    def backward(ctx, *grads):
        grads = ctx.state.run_hooks(tuple(grads))
        return (None,) + tuple(grads)


class _OutputHookFunction(Function):
    """Identity on the module's outputs; its backward records grad_output."""

    @staticmethod
    def forward(ctx, state, *outputs):
        ctx.state = state
        outs = tuple(o._alias() for o in outputs)
        return outs if len(outs) > 1 else outs[0]

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        state.grad_output = tuple(grads)
        if not getattr(state, "inputs_wrapped", False):
            # No input needs a gradient: torch still calls the hooks, with grad_input of Nones.
            state.run_hooks((None,) * max(state.n_inputs, 1))
        return (None,) + tuple(grads)
