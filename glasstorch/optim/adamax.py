"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import (Optimizer, _add_scaled, _addcdiv_, _grad_of, _lerp_, _scalar_tensor, _step_count,
                        _to_scalar, _use_closure, _zeros_like)

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    r"""Implements the Adamax algorithm, a variant of Adam based on the infinity norm (see :func:`adamax`).

    Args:
        params (iterable): parameters, named parameters or parameter-group dicts.
        lr (float): learning rate. Default: 2e-3.
        betas (Tuple[float, float]): decay rates of the gradient average and of the
            infinity norm. Default: (0.9, 0.999).
        eps (float): term added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay (L2 penalty). Default: 0.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        foreach, differentiable, capturable: accepted for compatibility with torch.

    Example::

        >>> optimizer = glasstorch.optim.Adamax(model.parameters())
    """

    def __init__(self, params, lr: float | Tensor = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Performs a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = _use_closure(closure)
        for group in self.param_groups:
            params, grads, exp_avgs, exp_infs, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_inf"] = _zeros_like(p)
                exp_avgs.append(state["exp_avg"])
                exp_infs.append(state["exp_inf"])
                steps.append(state["step"])
            beta1, beta2 = group["betas"]
            adamax(params, grads, exp_avgs, exp_infs, steps, eps=group["eps"], beta1=beta1, beta2=beta2,
                   lr=group["lr"], weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def adamax(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor], exp_infs: list[Tensor],
           state_steps: list[Tensor], *, eps: float, beta1: float, beta2: float, lr: float, weight_decay: float,
           maximize: bool) -> None:
    r"""Performs the Adamax update in place on each parameter.

    With step count :math:`t` (incremented first), for each parameter :math:`\theta`
    with gradient :math:`g`, first moment :math:`m` and infinity norm :math:`u`::

        g = -g                                  if maximize
        g = g + weight_decay * theta            if weight_decay != 0
        m = lerp(m, g, 1 - beta1)
        u = max(beta2 * u, |g| + eps)
        theta = theta - (lr / (1 - beta1 ** t)) * m / u
    """
    lr, beta1, beta2 = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2)
    eps, weight_decay = _to_scalar(eps), _to_scalar(weight_decay)
    for i, param in enumerate(params):
        p, exp_avg, exp_inf = param._data, exp_avgs[i]._data, exp_infs[i]._data
        g = _grad_of(grads[i], maximize)
        step = _step_count(state_steps[i])
        if weight_decay != 0:
            g = _add_scaled(g, p, weight_decay, maximize)
        _lerp_(exp_avg, g, 1 - beta1)
        exp_inf *= beta2
        norm = np.abs(g)
        norm += eps
        np.maximum(exp_inf, norm, out=exp_inf)
        clr = lr / (1 - beta1 ** step)
        _addcdiv_(p, exp_avg, exp_inf, -clr)
        param._bump()
