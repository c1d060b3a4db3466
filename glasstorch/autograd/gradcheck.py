"""Numerical gradient checks: compare autograd with central differences in float64.

``gradcheck`` perturbs each input element by ``±eps``, forms the numerical
Jacobian column by column, and compares it with the analytical Jacobian that
backward computes one output element at a time.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical gradients disagree."""


def _as_tuple(x):
    from .._tensor import Tensor
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _differentiable_outputs(fn, inputs):
    return [o for o in _as_tuple(fn(*inputs)) if o._requires_grad]


def _numerical_jacobian(fn, inputs, wrt, eps):
    """J[k][i, j] = d out_i / d wrt[k]_j by central differences."""
    jac = []
    for t in wrt:
        flat = t._data.reshape(-1)  # a view: perturbing it changes the input in place
        cols = []
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = [o._data.copy().reshape(-1) for o in _as_tuple(fn(*inputs))]
            flat[j] = orig - eps
            minus = [o._data.copy().reshape(-1) for o in _as_tuple(fn(*inputs))]
            flat[j] = orig
            cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]) if plus else np.zeros(0))
        jac.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jac


def _analytical_jacobian(fn, inputs, wrt):
    from .._tensor import Tensor
    from .engine import grad

    outputs = _differentiable_outputs(fn, inputs)
    sizes = [o._data.size for o in outputs]
    total = sum(sizes)
    jac = [np.zeros((total, t._data.size)) for t in wrt]
    row = 0
    for k, o in enumerate(outputs):
        for i in range(sizes[k]):
            gout = [Tensor._make(np.zeros_like(x._data)) for x in outputs]
            gout[k]._data.reshape(-1)[i] = 1.0
            gs = grad(outputs, wrt, gout, retain_graph=True, allow_unused=True)
            for c, g in enumerate(gs):
                if g is not None:
                    jac[c][row] = g._data.reshape(-1)
            row += 1
    return jac


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **kwargs) -> bool:
    """Checks the gradients of ``func`` at ``inputs`` against finite differences.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: the input tensors; those with ``requires_grad=True`` are checked. Use float64.
        eps: the finite-difference step.
        atol, rtol: tolerances of the comparison.
        raise_exception: raise ``GradcheckError`` on a mismatch instead of returning False.
    """
    inputs = _as_tuple(inputs)
    wrt = [t for t in inputs if hasattr(t, "_requires_grad") and t._requires_grad]
    for t in wrt:
        if t._data.dtype != np.float64:
            import warnings
            warnings.warn("Input #0 requires gradient and is not a double precision floating point. "
                          "gradcheck may fail due to rounding.", UserWarning)
    analytical = _analytical_jacobian(func, inputs, wrt)
    # Not under no_grad: func may itself take gradients (as gradgradcheck's does).
    numerical = _numerical_jacobian(func, inputs, wrt, eps)
    for k, (a, n) in enumerate(zip(analytical, numerical)):
        if a.shape != n.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
            if raise_exception:
                raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input {k},\n"
                                     f"numerical:{n}\nanalytical:{a}\n")
            return False
    return True


def gradgradcheck(func: Callable, inputs, grad_outputs: Sequence | None = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, **kwargs) -> bool:
    """Checks second derivatives: gradcheck of the function ``inputs -> grad(func(inputs), inputs, v)``."""
    from .._tensor import Tensor
    from .engine import grad

    inputs = _as_tuple(inputs)
    wrt_idx = [i for i, t in enumerate(inputs) if hasattr(t, "_requires_grad") and t._requires_grad]
    outputs = _differentiable_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor._make(rng.standard_normal(o._data.shape)) for o in outputs]
    grad_outputs = list(grad_outputs)

    def first_grads(*args):
        outs = _differentiable_outputs(func, args)
        gs = grad(outs, [args[i] for i in wrt_idx], grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None and g._requires_grad)

    return gradcheck(first_grads, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
