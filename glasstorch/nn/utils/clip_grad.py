"""Gradient clipping: by total norm (``clip_grad_norm_``) or by value (``clip_grad_value_``).

These run between ``backward()`` and ``optimizer.step()`` and change ``p.grad``
in place. They are not part of any graph, so they work on the gradients' arrays
directly.
"""
from __future__ import annotations

import types
import warnings
from typing import Iterable, Union

import numpy as np

from ..._tensor import Tensor

_tensor_or_tensors = Union[Tensor, Iterable[Tensor]]


def _vector_norm(a: np.ndarray, p: float) -> np.ndarray:
    """The ``p``-norm of all of ``a``'s elements, as a 0-d array of ``a``'s dtype (like ``linalg.vector_norm``)."""
    if p == 2.0:
        flat = a.ravel()
        return np.sqrt(np.dot(flat, flat))
    mag = np.abs(a)
    if p == np.inf:
        return mag.max(initial=0)
    if p == -np.inf:
        return mag.min(initial=np.inf)
    if p == 0.0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)
    if p == 1.0:
        return mag.sum()
    return (mag ** p).sum() ** (1.0 / p)


def _grads(parameters: _tensor_or_tensors) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors: _tensor_or_tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    r"""Returns the ``norm_type``-norm of a list of tensors, as if they were concatenated into one vector.

    Args:
        tensors: a tensor or an iterable of tensors.
        norm_type: the order of the norm; ``float('inf')`` for the max norm.
        error_if_nonfinite: raise a RuntimeError if the total norm is nan or inf.
        foreach: accepted for compatibility; there is one implementation.
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.asarray(0.0, dtype=np.float32))
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    dtype = np.result_type(*norms)
    total = np.asarray(_vector_norm(np.asarray(norms, dtype=dtype), norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(total)


def clip_grads_with_norm_(parameters: _tensor_or_tensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    r"""Scales the gradients by ``min(max_norm / (total_norm + 1e-6), 1)``, in place.

    The scale never exceeds 1: gradients are only ever shrunk.
    """
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    # Computed in the norm's dtype, as torch's tensor arithmetic does.
    coef = np.minimum(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g._data *= coef.astype(g._data.dtype)
        g._version.value += 1


def clip_grad_norm_(parameters: _tensor_or_tensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    r"""Clips the gradient norm of an iterable of parameters, in place.

    The norm is taken over all gradients together, as if concatenated into one vector; if it
    exceeds ``max_norm``, every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed norm.
        norm_type: the order of the norm; ``float('inf')`` for the max norm. Default: 2.0.
        error_if_nonfinite: raise a RuntimeError if the total norm is nan or inf. Default: False.
        foreach: accepted for compatibility; there is one implementation.

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).

    Example::

        >>> loss.backward()
        >>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> optimizer.step()
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    total_norm = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: _tensor_or_tensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated: use :func:`clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _tensor_or_tensors, clip_value: float, foreach: bool | None = None) -> None:
    r"""Clamps every gradient to ``[-clip_value, clip_value]``, in place.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        clip_value: the largest allowed absolute value.
        foreach: accepted for compatibility; there is one implementation.
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._version.value += 1
