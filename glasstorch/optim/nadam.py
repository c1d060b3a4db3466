"""NAdam: Adam with Nesterov momentum."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import (Optimizer, _add_scaled, _addcdiv_, _addcmul_, _grad_of, _lerp_, _scalar_tensor,
                        _step_count, _to_scalar, _use_closure, _zeros_like)

__all__ = ["NAdam", "nadam"]


class NAdam(Optimizer):
    r"""Implements the NAdam algorithm (see :func:`nadam`).

    Args:
        params (iterable): parameters, named parameters or parameter-group dicts.
        lr (float): learning rate. Default: 2e-3.
        betas (Tuple[float, float]): decay rates of the running averages of the gradient
            and of its square. Default: (0.9, 0.999).
        eps (float): term added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay (L2 penalty). Default: 0.
        momentum_decay (float): momentum decay :math:`\psi`. Default: 4e-3.
        decoupled_weight_decay (bool): decay the weights directly, as AdamW does
            (NAdamW). Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        foreach, capturable, differentiable: accepted for compatibility with torch.

    Example::

        >>> optimizer = glasstorch.optim.NAdam(model.parameters())
    """

    def __init__(self, params, lr: float | Tensor = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
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
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Performs a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = _use_closure(closure)
        for group in self.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, mu_products, steps = [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["mu_product"] = _scalar_tensor(1.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                exp_avgs.append(state["exp_avg"])
                exp_avg_sqs.append(state["exp_avg_sq"])
                mu_products.append(state["mu_product"])
                steps.append(state["step"])
            beta1, beta2 = group["betas"]
            nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, beta1=beta1, beta2=beta2,
                  lr=group["lr"], weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                  eps=group["eps"], decoupled_weight_decay=group["decoupled_weight_decay"],
                  maximize=group["maximize"])
        return loss


def nadam(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor], exp_avg_sqs: list[Tensor],
          mu_products: list[Tensor], state_steps: list[Tensor], *, beta1: float, beta2: float, lr: float,
          weight_decay: float, momentum_decay: float, eps: float, decoupled_weight_decay: bool = False,
          maximize: bool = False) -> None:
    r"""Performs the NAdam update in place on each parameter.

    With step count :math:`t` (incremented first), for each parameter :math:`\theta`
    with gradient :math:`g`, moments :math:`m, v` and momentum product :math:`\Pi`::

        g = -g                                           if maximize
        theta = theta * (1 - lr * weight_decay)          if decoupled_weight_decay
        g = g + weight_decay * theta                     otherwise, if weight_decay != 0
        mu      = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        Pi = Pi * mu
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2 ** t)) + eps
        theta = theta - lr * (1 - mu) / (1 - Pi) * g / denom
        theta = theta - lr * mu_next / (1 - Pi * mu_next) * m / denom

    :math:`\Pi` is a scalar state tensor of the default scalar dtype (float32 unless
    the default dtype is float64), and is multiplied in that precision, as in torch.
    """
    lr, beta1, beta2, eps = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2), _to_scalar(eps)
    weight_decay, momentum_decay = _to_scalar(weight_decay), _to_scalar(momentum_decay)
    for i, param in enumerate(params):
        p, exp_avg, exp_avg_sq = param._data, exp_avgs[i]._data, exp_avg_sqs[i]._data
        g = _grad_of(grads[i], maximize)
        mu_product = mu_products[i]._data
        step = _step_count(state_steps[i])
        bias_correction2 = 1 - beta2 ** step

        if weight_decay != 0:
            if decoupled_weight_decay:
                p *= 1 - lr * weight_decay
            else:
                g = _add_scaled(g, p, weight_decay, maximize)

        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu  # in the state's own precision (a 0-d array multiplied in place)

        _lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        _addcmul_(exp_avg_sq, g, g, 1 - beta2)
        denom = exp_avg_sq / bias_correction2
        np.sqrt(denom, out=denom)

        mu_prod = float(mu_product)
        mu_product_next = mu_prod * mu_next
        denom += eps
        _addcdiv_(p, g, denom, -lr * (1.0 - mu) / (1.0 - mu_prod))
        _addcdiv_(p, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))
        param._bump()
