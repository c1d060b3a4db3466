"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import (Optimizer, _add_scaled, _addcmul_, _grad_of, _lerp_, _scalar_tensor, _step_count,
                        _to_scalar, _use_closure, _zeros_like)

__all__ = ["RAdam", "radam"]


class RAdam(Optimizer):
    r"""Implements the RAdam algorithm (see :func:`radam`).

    Args:
        params (iterable): parameters, named parameters or parameter-group dicts.
        lr (float): learning rate. Default: 1e-3.
        betas (Tuple[float, float]): decay rates of the running averages of the gradient
            and of its square. Default: (0.9, 0.999).
        eps (float): term added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay (L2 penalty). Default: 0.
        decoupled_weight_decay (bool): decay the weights directly, as AdamW does. Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        foreach, capturable, differentiable: accepted for compatibility with torch.

    Example::

        >>> optimizer = glasstorch.optim.RAdam(model.parameters())
    """

    def __init__(self, params, lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
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
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Performs a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = _use_closure(closure)
        for group in self.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                exp_avgs.append(state["exp_avg"])
                exp_avg_sqs.append(state["exp_avg_sq"])
                steps.append(state["step"])
            beta1, beta2 = group["betas"]
            radam(params, grads, exp_avgs, exp_avg_sqs, steps, beta1=beta1, beta2=beta2, lr=group["lr"],
                  weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                  decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


def radam(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor], exp_avg_sqs: list[Tensor],
          state_steps: list[Tensor], *, beta1: float, beta2: float, lr: float, weight_decay: float, eps: float,
          decoupled_weight_decay: bool = False, maximize: bool = False) -> None:
    r"""Performs the RAdam update in place on each parameter.

    With step count :math:`t` (incremented first), for each parameter :math:`\theta`
    with gradient :math:`g` and moments :math:`m, v`::

        g = -g                                           if maximize
        theta = theta * (1 - lr * weight_decay)          if decoupled_weight_decay
        g = g + weight_decay * theta                     otherwise, if weight_decay != 0
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2 ** t / (1 - beta2 ** t)
        if rho_t > 5:   (the variance of the adaptive rate is tractable)
            l = sqrt(1 - beta2 ** t) / (sqrt(v) + eps)
            r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            theta = theta - m_hat * lr * l * r
        else:
            theta = theta - m_hat * lr
    """
    lr, beta1, beta2, eps = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2), _to_scalar(eps)
    weight_decay = _to_scalar(weight_decay)
    for i, param in enumerate(params):
        p, exp_avg, exp_avg_sq = param._data, exp_avgs[i]._data, exp_avg_sqs[i]._data
        g = _grad_of(grads[i], maximize)
        step = _step_count(state_steps[i])

        if weight_decay != 0:
            if decoupled_weight_decay:
                p *= 1 - lr * weight_decay
            else:
                g = _add_scaled(g, p, weight_decay, maximize)

        _lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        _addcmul_(exp_avg_sq, g, g, 1 - beta2)

        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        update = exp_avg / bias_correction1
        update *= lr

        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            denom = np.sqrt(exp_avg_sq)
            denom += eps
            adaptive_lr = np.divide(bias_correction2 ** 0.5, denom, out=denom)
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            update *= adaptive_lr
            update *= rect
        p -= update
        param._bump()
