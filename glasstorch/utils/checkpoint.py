"""``torch.utils.checkpoint``: trade compute for memory by recomputing a block in backward.

``checkpoint(fn, *args)`` runs ``fn`` as usual, but the tensors its ops save for backward are
not kept: a ``saved_tensors_hooks`` pack hook stores only their position in the order of saving.
When backward first asks for one, ``fn`` runs again (with the random state it had, so that
dropout draws the same mask) and its saved tensors, collected in the same order, stand in for
the originals. Gradients are those of running ``fn`` without checkpointing. Tensors an op keeps
in its own context rather than through ``save_for_backward`` are kept as usual.
"""
from __future__ import annotations

import warnings

from ..autograd.grad_mode import enable_grad, no_grad
from ..autograd.graph import saved_tensors_hooks
from .. import random as _random
from .._tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=None, determinism_check="default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs):
    """``function(*args, **kwargs)``, with its activations recomputed during backward.

    With ``use_reentrant=True`` (torch's default when the argument is left out, with its warning)
    and no input that requires grad, the result is detached, as torch's reentrant variant gives.
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "use_reentrant=False is recommended.", UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                      stacklevel=2)
        with no_grad():
            return function(*args, **kwargs)

    rng_state = _random.get_rng_state() if preserve_rng_state else None
    count = [0]
    recomputed: list | None = None

    def pack(tensor):
        count[0] += 1
        return count[0] - 1           # only the position: the tensor itself is dropped

    def unpack(position):
        nonlocal recomputed
        if recomputed is None:
            collected = []
            current = _random.get_rng_state() if preserve_rng_state else None
            if preserve_rng_state:
                _random.set_rng_state(rng_state)
            try:
                with saved_tensors_hooks(lambda t: collected.append(t) or len(collected) - 1, lambda k: k):
                    with enable_grad():
                        function(*args, **kwargs)
            finally:
                if preserve_rng_state:
                    _random.set_rng_state(current)
            recomputed = collected
        return recomputed[position]

    with saved_tensors_hooks(pack, unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):
    """Runs a ``Sequential`` (or a list of modules) in ``segments`` checkpointed pieces."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
                      "passed explicitly. use_reentrant=False is recommended.", UserWarning, stacklevel=2)
        use_reentrant = True
    modules = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(len(modules) // segments, 1)

    def run(start, end):
        def forward(x):
            for m in modules[start:end]:
                x = m(x)
            return x
        return forward

    start = 0
    for _ in range(segments - 1):
        end = min(start + size, len(modules))
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
        start = end
    return run(start, len(modules))(input)
