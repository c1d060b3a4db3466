"""Loss functions: regression (mse, l1, smooth l1, huber), classification (nll, cross entropy,
binary cross entropy with and without logits), kl_div, and the embedding and ranking losses.

Most losses are composites of elementwise ops and a reduction. Four have a
primitive of their own, for stability or speed:

* ``CrossEntropy``: log_softmax and NLL fused, with one backward formula
  ``softmax(x) - onehot`` (weights, ignore_index and label smoothing folded in);
  logits of 1e4 give no inf or NaN;
* ``BinaryCrossEntropyWithLogits``: sigmoid and BCE fused, backward
  ``sigmoid(x) - y`` (with pos_weight), stable for any logit;
* ``BinaryCrossEntropy``: torch clamps the logs to >= -100 and the gradient's
  denominator to >= 1e-12; a composite with clamp would zero the gradient instead;
* ``HuberLoss`` (also smooth L1): the derivative is ``input - target`` clipped,
  one clamp, instead of a chain of where/abs nodes.

Every backward is written with glasstorch ops, so double backward works.
Class-index targets are plain NumPy integer arrays inside the primitives: they
select values, and nothing is differentiated with respect to them.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _TYPE_NAMES
from ..autograd.function import _Primitive
from ..autograd.grad_mode import _state
from .elementwise import abs as _abs, clamp, exp, fill, log, log1p, sigmoid, sqrt, where
from .reduction import log_softmax, softmax
from .shape import reshape

_REDUCTIONS = ("none", "mean", "sum")
# torch's bound on the BCE gradient's denominator x * (1 - x), and on cosine_embedding_loss's squared norms.
_EPSILON = 1e-12


# ------------------------------------------------------------------ helpers
def _get_reduction(size_average, reduce, reduction: str) -> str:
    """The reduction to apply, honouring the legacy ``size_average`` / ``reduce`` flags as torch does."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", stacklevel=3)
        return reduction
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """Applies 'none' | 'mean' | 'sum' (the mean of an empty loss is nan, as in torch)."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _type_name(a) -> str:
    """torch's name for a dtype in error messages: Float, Long, ..."""
    return _TYPE_NAMES[(a._data.dtype if isinstance(a, Tensor) else a.dtype).name]


def _warn_size(input: Tensor, target: Tensor) -> None:
    if input._data.shape != target._data.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                      f"({input.size()}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _mismatch_error(sa: tuple, sb: tuple) -> RuntimeError:
    """torch's broadcasting error, naming the first dimension (from the right) that differs."""
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                                f"at non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast together")


def _broadcast_shape(sa: tuple, sb: tuple) -> tuple:
    try:
        return np.broadcast_shapes(sa, sb)
    except ValueError:
        raise _mismatch_error(sa, sb) from None


def _promoted(*tensors) -> np.dtype:
    """torch's promoted dtype of the operands, as a NumPy dtype."""
    return _dtype.result_type(*tensors).np


def _check_float_pair(input: Tensor, target: Tensor, kernel: str) -> None:
    dt = _promoted(input, target)
    if dt.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TYPE_NAMES[dt.name]}'")


def _const_into(w: Tensor | None, shape: tuple, dt: np.dtype) -> np.ndarray | None:
    """A constant weight (no gradient), broadcast into ``shape`` and cast to ``dt``, as torch's in-place ``mul_``."""
    if w is None:
        return None
    sw = w._data.shape
    out = _broadcast_shape(sw, shape)
    if out != tuple(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(out)}")
    return w._data.astype(dt, copy=False)


def _not_differentiable(t: Tensor | None, fn: str, arg: str) -> None:
    """torch refuses a weight that requires grad where its kernel has no derivative for it."""
    if t is not None and t._requires_grad and _state.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
                           "This input cannot have requires_grad True.")


def _check_float(input: Tensor, kernel: str) -> None:
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input)}'")


# ------------------------------------------------------- regression losses
class HuberLoss(_Primitive):
    """Elementwise Huber loss of ``d = input - target``, times ``scale``.

    ``0.5 d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``. Smooth L1
    with ``beta`` is the Huber loss with ``delta = beta`` divided by ``beta``.
    """

    @staticmethod
    def forward(ctx, input, target, delta, scale, out_dtype):
        dt = _promoted(input, target)
        d = np.subtract(input._data.astype(dt, copy=False), target._data.astype(dt, copy=False))
        ad = np.abs(d)
        # With m = min(|d|, delta), m * (|d| - m / 2) is 0.5 d**2 below delta and delta * (|d| - delta / 2)
        # above it, rounded exactly as those two formulas: one pass per op and no branch.
        m = np.minimum(ad, delta)
        out = m * (ad - m * 0.5)
        if scale != 1:
            out *= scale
        ctx.delta, ctx.scale = delta, scale
        ctx.save_for_backward(input, target)
        return out.astype(out_dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        # The derivative is d clipped to [-delta, delta]: clamp keeps it differentiable (second derivative 1
        # inside the band, 0 outside), so double backward needs nothing more.
        g = grad * clamp(input - target, -ctx.delta, ctx.delta)
        if ctx.scale != 1:
            g = g * ctx.scale
        return (g if ctx.needs_input_grad[0] else None,
                -g if ctx.needs_input_grad[1] else None, None, None, None)


def _weighted(loss: Tensor, weight: Tensor, input: Tensor, reduction: str, by_weight_sum: bool) -> Tensor:
    """torch's optional per-element weight of mse_loss, l1_loss and huber_loss."""
    if weight._data.shape != input._data.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if by_weight_sum else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, optionally weighted per element.

    A composite of elementwise ops and a reduction. With ``weight``, 'mean' divides by ``weight.sum()``.

    Args:
        input: predictions, any shape.
        target: targets, broadcastable to ``input`` (a warning is given if the sizes differ).
        reduction: 'none' | 'mean' | 'sum'.
        weight: optional weight of ``input``'s shape.

    Example::

        >>> F.mse_loss(glasstorch.tensor([1., 2.]), glasstorch.tensor([0., 0.]))   # tensor(2.5)
    """
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _get_reduction(size_average, reduce, reduction)
    d = input - target
    if d._data.dtype.kind != "f":
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{_type_name(d)}'")
    loss = d * d
    if weight is not None:
        return _weighted(loss, weight, input, reduction, by_weight_sum=True)
    return _reduce(loss, _get_reduction(None, None, reduction))


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``, optionally weighted per element.

    A composite (the gradient at ``input == target`` is 0, as in torch). With ``weight``,
    'mean' divides by ``weight.sum()``.

    Args:
        input: predictions, any shape.
        target: targets, broadcastable to ``input``.
        reduction: 'none' | 'mean' | 'sum'.
        weight: optional weight of ``input``'s shape.
    """
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _get_reduction(size_average, reduce, reduction)
    loss = _abs(input - target)
    if weight is not None:
        return _weighted(loss, weight, input, reduction, by_weight_sum=True)
    return _reduce(loss, _get_reduction(None, None, reduction))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``, for ``d = input - target``.

    ``beta=0`` is the L1 loss.

    Args:
        input: predictions, any shape.
        target: targets, broadcastable to ``input``.
        reduction: 'none' | 'mean' | 'sum'.
        beta: where the loss turns from quadratic to linear; must be >= 0.
    """
    _warn_size(input, target)
    reduction = _get_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _reduce(_abs(input - target), reduction)
    _check_float_pair(input, target, "smooth_l1_cpu")
    _broadcast_shape(input._data.shape, target._data.shape)
    dt = _promoted(input, target)
    return _reduce(HuberLoss.apply(input, target, beta, 1.0 / beta, dt), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Huber loss: ``0.5 d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``, for ``d = input - target``.

    The result has ``input``'s dtype, as in torch. With ``weight``, 'mean' is the mean of the weighted loss.

    Args:
        input: predictions, any shape.
        target: targets, broadcastable to ``input``.
        reduction: 'none' | 'mean' | 'sum'.
        delta: where the loss turns from quadratic to linear; must be > 0.
        weight: optional weight of ``input``'s shape.
    """
    _warn_size(input, target)
    if weight is None:
        reduction = _get_reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _check_float_pair(input, target, "huber_cpu")
    _broadcast_shape(input._data.shape, target._data.shape)
    loss = HuberLoss.apply(input, target, delta, 1.0, input._data.dtype)
    if weight is not None:
        return _weighted(loss, weight, input, reduction, by_weight_sum=False)
    return _reduce(loss, reduction)


# ------------------------------------------------- class-index targets (NLL, CE)
def _class_targets(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int):
    """Checks a class-index target as torch's nll_loss does, and returns what the kernels need.

    Returns ``(x, idx, valid, w)``: the input array with a batch axis (``(N, C, d1, ...)``), the
    target indices as a gather index ``(N, 1, d1, ...)`` (ignored targets point at class 0), the mask
    of non-ignored targets (same shape), and the weight array or None.
    """
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim != 1 and x.shape[0] != (t.shape[0] if t.ndim else 0):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 0}).")
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
    elif x.ndim == 4 and t.ndim != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of "
                           f"dimension: {t.ndim}")
    elif x.ndim != 4 and t.shape != x.shape[:1] + x.shape[2:]:
        raise RuntimeError(f"Expected target size {list(x.shape[:1] + x.shape[2:])}, got {list(t.shape)}")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_type_name(t)}")
    if x.ndim == 4 and t.shape != x.shape[:1] + x.shape[2:]:
        raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(t.shape)}")

    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = None
    if weight is not None:
        if weight._data.ndim != 1 or weight._data.size != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                               f"but got weight tensor of shape: {list(weight._data.shape)}")
        w = weight._data
        if w.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {_type_name(x)} but found {_type_name(w)}")

    if x.ndim == 1:  # unbatched: a batch of one
        x, t = x[None], t.reshape(1)
    t = t.astype(np.int64, copy=False)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
    idx = np.expand_dims(np.where(valid, t, 0), 1)
    return x, idx, np.expand_dims(valid, 1), w


def _class_weights(w: np.ndarray | None, idx: np.ndarray, valid: np.ndarray, dt) -> np.ndarray:
    """The weight of each sample's target class, 0 for ignored targets (shape of ``idx``)."""
    if w is None:
        return valid.astype(dt)
    return np.where(valid, w[idx], 0).astype(dt, copy=False)


def _mean_denominator(coef: np.ndarray, reduction: str):
    """torch divides 'mean' by the summed weights of the non-ignored targets (their count, unweighted)."""
    return coef.sum() if reduction == "mean" else 1


def _finish(loss: np.ndarray, reduction: str, denom, unbatched: bool):
    """Reduces a per-sample loss of shape ``(N, 1, d1, ...)``."""
    if reduction == "none":
        loss = loss.squeeze(1)
        return loss.reshape(()) if unbatched else loss
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / denom  # all targets ignored (or none at all): 0 / 0 = nan, as in torch


def _grad_scale(ctx, grad: Tensor) -> Tensor:
    """The upstream gradient, shaped to broadcast against ``(N, C, d1, ...)`` and divided for 'mean'."""
    if ctx.reduction == "none":
        return reshape(grad, ctx.kept_shape)
    if ctx.reduction == "mean" and ctx.denom != 0:
        # With every target ignored the loss is nan, but no element has a gradient: the coefficients are 0.
        return grad / ctx.denom
    return grad


class NllLoss(_Primitive):
    """Negative log likelihood: ``-weight[t] * input[n, t]`` per sample, over class indices ``t``."""

    @staticmethod
    def forward(ctx, input, t_info, reduction):
        x, idx, valid, w = t_info
        coef = _class_weights(w, idx, valid, x.dtype)
        picked = np.take_along_axis(x, idx, axis=1)
        loss = np.where(valid, -picked * coef, 0).astype(x.dtype, copy=False)
        ctx.reduction, ctx.denom = reduction, _mean_denominator(coef, reduction)
        ctx.kept_shape, ctx.batched_shape, ctx.in_shape = idx.shape, x.shape, input._data.shape
        ctx.idx, ctx.coef = idx, coef
        return _finish(loss, reduction, ctx.denom, input._data.ndim == 1)

    @staticmethod
    def backward(ctx, grad):
        # The gradient is linear in grad and constant in input: -coef at each target, 0 elsewhere.
        onehot = np.zeros(ctx.batched_shape, dtype=ctx.coef.dtype)
        np.put_along_axis(onehot, ctx.idx, -ctx.coef, axis=1)
        g = _grad_scale(ctx, grad) * Tensor._make(onehot)
        return reshape(g, ctx.in_shape), None, None


class CrossEntropy(_Primitive):
    """log_softmax + NLL over class indices in one node, with weight, ignore_index and label smoothing.

    Per sample (with ``eps`` the smoothing, ``w`` the class weights, ``W = sum(w)``, ``C`` classes)::

        loss = (1 - eps) * w[t] * -logp[t]  +  eps / C * sum_c w[c] * -logp[c]

    so its gradient is ``softmax(x) * A - B`` with ``A = (1 - eps) w[t] + eps W / C`` and
    ``B[c] = (1 - eps) w[t] [c == t] + eps w[c] / C``: one formula instead of a
    log_softmax node and an NLL node.
    """

    p = None  # softmax(input), kept by forward when input needs a gradient

    @staticmethod
    def forward(ctx, input, t_info, reduction, label_smoothing):
        x, idx, valid, w = t_info
        dt = x.dtype
        n_classes = x.shape[1]
        shifted = x - x.max(axis=1, keepdims=True) if x.size else x.copy()
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        log_s = np.log(s)

        coef = _class_weights(w, idx, valid, dt)
        ctx.denom = _mean_denominator(coef, reduction)
        eps = label_smoothing
        if eps > 0:
            coef *= 1 - eps
        loss = coef * (log_s - np.take_along_axis(shifted, idx, axis=1))
        smooth = None
        if eps > 0:
            # sum_c w[c] * -logp[c] = W * log(s) - sum_c w[c] * shifted[c]
            wb = 1 if w is None else w.reshape((1, n_classes) + (1,) * (x.ndim - 2))
            total_w = n_classes if w is None else w.sum()
            ws = shifted.sum(axis=1, keepdims=True) if w is None else (shifted * wb).sum(axis=1, keepdims=True)
            smooth = np.where(valid, eps / n_classes, 0).astype(dt)
            loss += smooth * (total_w * log_s - ws)
            ctx.wb, ctx.total_w = wb, total_w
        loss = np.where(valid, loss, 0).astype(dt, copy=False)

        if ctx.needs_input_grad[0]:
            e /= s
            ctx.p = e  # softmax(x), for the backward without create_graph
            ctx.save_for_backward(input)
        ctx.reduction, ctx.idx, ctx.coef, ctx.smooth = reduction, idx, coef, smooth
        ctx.kept_shape, ctx.batched_shape, ctx.in_shape = idx.shape, x.shape, input._data.shape
        return _finish(loss, reduction, ctx.denom, input._data.ndim == 1)

    @staticmethod
    def backward(ctx, grad):
        if ctx.p is None:
            ctx.saved_tensors  # raises torch's error about a graph already freed
        coef, smooth, idx = ctx.coef, ctx.smooth, ctx.idx
        a = coef if smooth is None else coef + smooth * ctx.total_w
        g = _grad_scale(ctx, grad)
        if not _state.enabled:
            # Plain backward: the same formula in place on NumPy arrays, with no one-hot array.
            gs = g._data
            out = ctx.p * (a * gs)
            if smooth is not None:
                out -= (smooth * gs) * ctx.wb
            np.put_along_axis(out, idx, np.take_along_axis(out, idx, axis=1) - coef * gs, axis=1)
            return Tensor._make(out.reshape(ctx.in_shape)), None, None, None
        # create_graph: softmax(input) as an op, so the gradient is differentiable again in input and grad.
        input, = ctx.saved_tensors
        p = reshape(softmax(input, 1 if input._data.ndim > 1 else 0), ctx.batched_shape)
        b = np.zeros(ctx.batched_shape, dtype=coef.dtype)
        if smooth is not None:
            b += smooth * ctx.wb
        np.put_along_axis(b, idx, np.take_along_axis(b, idx, axis=1) + coef, axis=1)
        out = (p * Tensor._make(a) - Tensor._make(b)) * g
        return reshape(out, ctx.in_shape), None, None, None

    def _release(self) -> None:
        # The softmax is as large as the logits: free it with the saved tensors.
        super()._release()
        self.p = None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class indices, for log-probabilities ``input``.

    Args:
        input: ``(C)``, ``(N, C)`` or ``(N, C, d1, d2, ...)`` log-probabilities.
        target: int64 class indices ``()``, ``(N)`` or ``(N, d1, d2, ...)`` in ``[0, C)``.
        weight: optional ``(C)`` rescaling weight per class.
        ignore_index: a target value that contributes neither loss nor gradient.
        reduction: 'none' | 'mean' | 'sum'; 'mean' divides by the summed weights of the non-ignored targets.

    Example::

        >>> F.nll_loss(F.log_softmax(glasstorch.randn(3, 5), dim=1), glasstorch.tensor([1, 0, 4]))
    """
    reduction = _get_reduction(size_average, reduce, reduction)
    info = _class_targets(input, target, weight, ignore_index)
    _check_float(input, "nll_loss_out_frame")
    _not_differentiable(weight, "nll_loss_forward", "weight")
    return NllLoss.apply(input, info, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits ``input`` and class indices or class probabilities ``target``.

    With class indices, log_softmax and NLL run fused in one node (stable for logits of 1e4).
    With probabilities (a float target of ``input``'s shape), 'mean' divides by the number of samples.

    Args:
        input: logits ``(C)``, ``(N, C)`` or ``(N, C, d1, d2, ...)``.
        target: int64 class indices ``()``, ``(N)`` or ``(N, d1, ...)``, or probabilities of ``input``'s shape.
        weight: optional ``(C)`` rescaling weight per class.
        ignore_index: a target index that contributes neither loss nor gradient (class indices only).
        reduction: 'none' | 'mean' | 'sum'; with indices, 'mean' divides by the summed weights of the
            non-ignored targets.
        label_smoothing: in [0, 1]: the target is mixed with the uniform distribution over classes.

    Example::

        >>> logits = glasstorch.randn(3, 5, requires_grad=True)
        >>> F.cross_entropy(logits, glasstorch.tensor([1, 0, 4])).backward()
    """
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_float(input, "log_softmax_lastdim_kernel_impl")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input._data.shape == target._data.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing)
    info = _class_targets(input, target, weight, ignore_index)
    _not_differentiable(weight, "nll_loss_forward", "weight")
    return CrossEntropy.apply(input, info, reduction, max(float(label_smoothing), 0.0))


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing):
    """Cross entropy with class probabilities: a composite of log_softmax, as in torch."""
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{_type_name(target)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    x = input._data
    if x.ndim == 0:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[axis]
    logp = log_softmax(input, axis)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        if weight._data.ndim != 1 or weight._data.size != n_classes:
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_classes} classes "
                               f"or no classes but got weight tensor of shape: {list(weight._data.shape)}")
        prod = prod * reshape(weight, (n_classes,) + (1,) * (x.ndim - axis - 1))
    if reduction == "none":
        return -prod.sum(axis)
    total = -prod.sum()
    if reduction == "sum":
        return total
    if x.size == 0:
        return fill(total, math.nan)
    return total / (x.size // n_classes)


# ------------------------------------------------------- binary cross entropy
class BinaryCrossEntropy(_Primitive):
    """``-w * (y log(x) + (1 - y) log(1 - x))`` elementwise, with the logs clamped to >= -100 as in torch."""

    @staticmethod
    def forward(ctx, input, target, w):
        x, y = input._data, target._data
        if not ((x >= 0) & (x <= 1)).all():
            raise RuntimeError("all elements of input should be between 0 and 1")
        if not ((y >= 0) & (y <= 1)).all():
            raise RuntimeError("all elements of target should be between 0 and 1")
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        loss = (y - 1) * log_1mx - y * log_x
        if w is not None:
            loss *= w
        ctx.w = w
        ctx.save_for_backward(input, target)
        return loss

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        if ctx.w is not None:
            grad = grad * Tensor._make(ctx.w)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            # torch's bound on the denominator keeps x = 0 or 1 finite (a clamped log would give 0 instead).
            gx = grad * (input - target) / clamp(input * (1 - input), min=_EPSILON)
        if ctx.needs_input_grad[1]:
            gy = grad * (log1p(-input) - log(input))
        return gx, gy, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy between probabilities ``input`` and ``target`` (both in [0, 1]).

    The logs are clamped to >= -100, so ``input`` of exactly 0 or 1 gives a finite loss, as in torch.

    Args:
        input: probabilities, any shape.
        target: targets of ``input``'s shape and dtype.
        weight: optional rescaling weight, broadcast to ``input``'s shape.
        reduction: 'none' | 'mean' | 'sum'.
    """
    reduction = _get_reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {_type_name(target)} but expected {_type_name(input)}")
    _not_differentiable(weight, "binary_cross_entropy", "weight")
    w = _const_into(weight, input._data.shape, input._data.dtype)
    return _reduce(BinaryCrossEntropy.apply(input, target, w), reduction)


def _log1p_small(e: np.ndarray) -> np.ndarray:
    """``log1p(e)`` for ``e`` in [0, 1], to about an ulp, several times faster than ``np.log1p``.

    ``u = 1 + e`` is rounded; ``log(1 + e) = log(u) + log((1 + e) / u)``, and the second term is
    ``(e - (u - 1)) / u`` to first order, with ``u - 1`` exact. Tiny ``e`` gives ``u = 1`` and returns ``e``.
    """
    u = e + 1
    c = u - 1
    np.subtract(e, c, out=c)
    c /= u
    out = np.log(u)
    out += c
    return out


def _log_sigmoid(x: Tensor) -> Tensor:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``: finite for any x (composite)."""
    return clamp(x, max=0) - log1p(exp(-_abs(x)))


class BinaryCrossEntropyWithLogits(_Primitive):
    """Sigmoid and BCE in one node: ``-w * (pw * y * log(sig(x)) + (1 - y) * log(1 - sig(x)))``.

    Written as ``(1 - y) x - (1 + (pw - 1) y) log(sig(x))`` with a log-sigmoid that never
    overflows; the gradient is ``(1 + (pw - 1) y) sig(x) - pw y``, which is ``sig(x) - y``
    without pos_weight.
    """

    sig = None  # sigmoid(input), kept by forward when input needs a gradient

    @staticmethod
    def forward(ctx, input, target, pw, w):
        dt = _promoted(input, target)
        x, y = input._data.astype(dt, copy=False), target._data.astype(dt, copy=False)
        shape = x.shape
        if not shape:  # NumPy turns 0-d results into scalars, which the in-place steps below cannot write to
            x, y = x.reshape(1), y.reshape(1)
        e = np.abs(x)
        np.negative(e, out=e)
        np.exp(e, out=e)  # exp(-|x|) is in (0, 1]: no overflow for any x
        log_sig = np.minimum(x, 0)
        log_sig -= _log1p_small(e)
        if pw is not None:
            log_sig *= (pw - 1) * y + 1
        loss = (1 - y) * x
        loss -= log_sig
        if w is not None:
            loss *= w
        if ctx.needs_input_grad[0]:
            # sigmoid(x) from the same exp(-|x|): 1 / (1 + e) for x >= 0, e / (1 + e) below.
            sig = np.where(x < 0, e, 1)
            sig /= e + 1
            ctx.sig = sig.reshape(shape)
        ctx.pw, ctx.w = pw, w
        ctx.save_for_backward(input, target)
        return loss.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        pw = None if ctx.pw is None else Tensor._make(ctx.pw)
        if ctx.w is not None:
            grad = grad * Tensor._make(ctx.w)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            if not _state.enabled:
                # Plain backward: the same formula on the sigmoid kept by forward.
                y = target._data.astype(ctx.sig.dtype, copy=False)
                d = ctx.sig - y if pw is None else ((ctx.pw - 1) * y + 1) * ctx.sig - ctx.pw * y
                d *= grad._data
                gx = Tensor._make(d)
            elif pw is None:
                gx = grad * (sigmoid(input) - target)
            else:
                gx = grad * ((target * (pw - 1) + 1) * sigmoid(input) - pw * target)
        if ctx.needs_input_grad[1]:
            gy = -grad * input if pw is None else grad * ((1 - pw) * _log_sigmoid(input) - input)
        return gx, gy, None, None

    def _release(self) -> None:
        super()._release()
        self.sig = None


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of logits ``input``: sigmoid and BCE fused, stable for logits of any size.

    Args:
        input: logits, any shape.
        target: targets in [0, 1] of ``input``'s shape.
        weight: optional rescaling weight, broadcast to ``input``'s shape.
        reduction: 'none' | 'mean' | 'sum'.
        pos_weight: optional weight of the positive term, broadcast to ``input``'s shape
            (e.g. ``(C,)`` for a target ``(N, C)``).

    Example::

        >>> F.binary_cross_entropy_with_logits(glasstorch.randn(3), glasstorch.tensor([0., 1., 1.]))
    """
    reduction = _get_reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    _not_differentiable(weight, "binary_cross_entropy_with_logits", "weight")
    _not_differentiable(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    dt = _promoted(input, target)
    if dt.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_TYPE_NAMES[dt.name]}")
    shape = input._data.shape
    pw = _const_into(pos_weight, shape, dt)
    w = _const_into(weight, shape, dt)
    return _reduce(BinaryCrossEntropyWithLogits.apply(input, target, pw, w), reduction)


# ------------------------------------------------------------------ kl_div
def _xlogx(t: Tensor) -> Tensor:
    """``t * log(t)`` with 0 at t == 0, as ``torch.xlogy(t, t)`` (composite)."""
    return t * log(where(t == 0, 1.0, t))


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)`` for log-probabilities ``input``.

    A composite. 'batchmean' divides the sum by the batch size (the KL divergence);
    'mean' divides by the number of elements, and warns as torch does.

    Args:
        input: log-probabilities, any shape.
        target: probabilities (log-probabilities if ``log_target``), broadcastable to ``input``.
        reduction: 'none' | 'batchmean' | 'sum' | 'mean'.
        log_target: whether ``target`` is given in log space.
    """
    if size_average is not None or reduce is not None:
        reduction = _get_reduction(size_average, reduce, reduction)
        red = reduction
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        red = "sum" if reduction == "batchmean" else _get_reduction(None, None, reduction)
    if log_target:
        out = exp(target) * (target - input)
    else:
        out = _xlogx(target) - target * input
    reduced = _reduce(out, red)
    if reduction == "batchmean" and input._data.ndim != 0:
        n = input._data.shape[0]
        reduced = reduced / n if n else fill(reduced, math.nan)
    return reduced


# ------------------------------------------------------- embedding and ranking
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where ``target == -1``.

    A composite. The squared norms get 1e-12 added, as in torch.

    Args:
        input1, input2: ``(N, D)`` or ``(D)``.
        target: ``(N)`` or ``()`` of 1 and -1.
        margin: in [-1, 1].
        reduction: 'none' | 'mean' | 'sum'.
    """
    reduction = _get_reduction(size_average, reduce, reduction)
    td = target._data.ndim
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    need = 2 if td == 1 else 1
    if input1._data.ndim != need or input2._data.ndim != need:
        raise RuntimeError(f"{td}D target tensor expects {need}D input tensors, but found inputs with sizes "
                           f"{list(input1._data.shape)} and {list(input2._data.shape)}.")
    prod = (input1 * input2).sum(td)
    mag1 = (input1 * input1).sum(td) + _EPSILON
    mag2 = (input2 * input2).sum(td) + _EPSILON
    cos = prod / sqrt(mag1 * mag2)
    _broadcast_shape(target._data.shape, cos._data.shape)
    out = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp(cos - margin, min=0), 0.0)
    return _reduce(out, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``: ranks input1 above input2 where target is 1.

    A composite.

    Args:
        input1, input2: scores of the same number of dimensions as ``target``.
        target: 1 or -1.
        margin: the required gap.
        reduction: 'none' | 'mean' | 'sum'.
    """
    reduction = _get_reduction(size_average, reduce, reduction)
    if not input1._data.ndim == input2._data.ndim == target._data.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0), reduction)


__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
]
