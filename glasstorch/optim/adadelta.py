"""Adadelta: an adaptive learning rate from running averages of gradients and updates."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import (Optimizer, _add_scaled, _addcmul_, _grad_of, _scalar_tensor, _step_count, _to_scalar,
                        _use_closure, _zeros_like)

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    r"""Implements the Adadelta algorithm (see :func:`adadelta`).

    Args:
        params (iterable): parameters, named parameters or parameter-group dicts.
        lr (float): coefficient that scales the delta before it is applied. Default: 1.0.
        rho (float): decay rate of the running averages. Default: 0.9.
        eps (float): term added inside the square roots for numerical stability. Default: 1e-6.
        weight_decay (float): weight decay (L2 penalty). Default: 0.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        foreach, capturable, differentiable: accepted for compatibility with torch.

    Example::

        >>> optimizer = glasstorch.optim.Adadelta(model.parameters())
    """

    def __init__(self, params, lr: float | Tensor = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Performs a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = _use_closure(closure)
        for group in self.param_groups:
            params, grads, square_avgs, acc_deltas, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                square_avgs.append(state["square_avg"])
                acc_deltas.append(state["acc_delta"])
                steps.append(state["step"])
            adadelta(params, grads, square_avgs, acc_deltas, steps, lr=group["lr"], rho=group["rho"],
                     eps=group["eps"], weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def adadelta(params: list[Tensor], grads: list[Tensor], square_avgs: list[Tensor], acc_deltas: list[Tensor],
             state_steps: list[Tensor], *, lr: float, rho: float, eps: float, weight_decay: float,
             maximize: bool) -> None:
    r"""Performs the Adadelta update in place on each parameter.

    For each parameter :math:`\theta` with gradient :math:`g`, squared-gradient
    average :math:`v` and squared-update average :math:`u`::

        g = -g                                  if maximize
        g = g + weight_decay * theta            if weight_decay != 0
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        theta = theta - lr * delta
    """
    lr, rho, eps, weight_decay = _to_scalar(lr), _to_scalar(rho), _to_scalar(eps), _to_scalar(weight_decay)
    for param, grad, square_avg_t, acc_delta_t, step_t in zip(params, grads, square_avgs, acc_deltas,
                                                              state_steps):
        p, square_avg, acc_delta = param._data, square_avg_t._data, acc_delta_t._data
        _step_count(step_t)
        g = _grad_of(grad, maximize)
        if weight_decay != 0:
            g = _add_scaled(g, p, weight_decay, maximize)
        square_avg *= rho
        _addcmul_(square_avg, g, g, 1 - rho)
        std = square_avg + eps
        np.sqrt(std, out=std)
        delta = acc_delta + eps
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        acc_delta *= rho
        _addcmul_(acc_delta, delta, delta, 1 - rho)
        p -= lr * delta
        param._bump()
