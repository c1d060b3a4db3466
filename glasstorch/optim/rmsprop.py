"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import (Optimizer, _add_scaled, _addcdiv_, _addcmul_, _grad_of, _lerp_, _scalar_tensor,
                        _step_count, _to_scalar, _use_closure, _zeros_like)

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    r"""Implements the RMSprop algorithm (see :func:`rmsprop`).

    Args:
        params (iterable): parameters, named parameters or parameter-group dicts.
        lr (float): learning rate. Default: 1e-2.
        alpha (float): smoothing constant of the squared-gradient average. Default: 0.99.
        eps (float): term added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay (L2 penalty). Default: 0.
        momentum (float): momentum factor. Default: 0.
        centered (bool): normalize by an estimate of the gradient's variance (the
            squared average minus the squared mean) instead of its second moment. Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        capturable, foreach, differentiable: accepted for compatibility with torch.

    Example::

        >>> optimizer = glasstorch.optim.RMSprop(model.parameters(), lr=1e-2, momentum=0.9)
    """

    def __init__(self, params, lr: float | Tensor = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Performs a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = _use_closure(closure)
        for group in self.param_groups:
            params, grads, square_avgs, bufs, grad_avgs, steps = [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _zeros_like(p)
                    if group["momentum"] > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = _zeros_like(p)
                square_avgs.append(state["square_avg"])
                steps.append(state["step"])
                if group["momentum"] > 0:
                    bufs.append(state["momentum_buffer"])
                if group["centered"]:
                    grad_avgs.append(state["grad_avg"])
            rmsprop(params, grads, square_avgs, grad_avgs, bufs, steps, lr=group["lr"], alpha=group["alpha"],
                    eps=group["eps"], weight_decay=group["weight_decay"], momentum=group["momentum"],
                    centered=group["centered"], maximize=group["maximize"])
        return loss


def rmsprop(params: list[Tensor], grads: list[Tensor], square_avgs: list[Tensor], grad_avgs: list[Tensor],
            momentum_buffer_list: list[Tensor], state_steps: list[Tensor], *, lr: float, alpha: float, eps: float,
            weight_decay: float, momentum: float, centered: bool, maximize: bool) -> None:
    r"""Performs the RMSprop update in place on each parameter.

    For each parameter :math:`\theta` with gradient :math:`g` and squared average :math:`v`::

        g = -g                                  if maximize
        g = g + weight_decay * theta            if weight_decay != 0
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            g_avg = lerp(g_avg, g, 1 - alpha)
            avg = sqrt(v - g_avg * g_avg) + eps
        else:
            avg = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / avg
            theta = theta - lr * b
        else:
            theta = theta - lr * g / avg
    """
    lr, alpha, eps = _to_scalar(lr), _to_scalar(alpha), _to_scalar(eps)
    weight_decay, momentum = _to_scalar(weight_decay), _to_scalar(momentum)
    for i, param in enumerate(params):
        p = param._data
        g = _grad_of(grads[i], maximize)
        square_avg = square_avgs[i]._data
        _step_count(state_steps[i])
        if weight_decay != 0:
            g = _add_scaled(g, p, weight_decay, maximize)

        square_avg *= alpha
        _addcmul_(square_avg, g, g, 1 - alpha)

        if centered:
            grad_avg = grad_avgs[i]._data
            _lerp_(grad_avg, g, 1 - alpha)
            avg = grad_avg * -1.0
            avg *= grad_avg
            avg += square_avg
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps

        if momentum > 0:
            buf = momentum_buffer_list[i]._data
            buf *= momentum
            _addcdiv_(buf, g, avg, 1)
            p -= lr * buf
        else:
            _addcdiv_(p, g, avg, -lr)
        param._bump()
