"""Adam: adaptive moment estimation."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import (Optimizer, _add_scaled, _addcdiv_, _addcmul_, _grad_of, _lerp_, _scalar_tensor,
                        _step_count, _to_scalar, _use_closure, _zeros_like)

__all__ = ["Adam", "adam"]


class Adam(Optimizer):
    r"""Implements the Adam algorithm (see :func:`adam`).

    Args:
        params (iterable): parameters, named parameters or parameter-group dicts.
        lr (float): learning rate. Default: 1e-3.
        betas (Tuple[float, float]): decay rates of the running averages of the gradient
            and of its square. Default: (0.9, 0.999).
        eps (float): term added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight decay (L2 penalty). Default: 0.
        amsgrad (bool): use the AMSGrad variant (the maximum of past squared-gradient
            averages in the denominator). Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        decoupled_weight_decay (bool): decay the weights directly, as AdamW does,
            instead of adding the decay to the gradient. Default: False.
        foreach, capturable, differentiable, fused: accepted for compatibility with torch.

    Example::

        >>> optimizer = glasstorch.optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
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
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_group(self, group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps):
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
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = _zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            if group["amsgrad"]:
                max_exp_avg_sqs.append(state["max_exp_avg_sq"])
            state_steps.append(state["step"])

    def step(self, closure=None):
        """Performs a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = _use_closure(closure)
        for group in self.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps = [], [], [], [], [], []
            self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps)
            beta1, beta2 = group["betas"]
            adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, amsgrad=group["amsgrad"],
                 beta1=beta1, beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"],
                 maximize=group["maximize"], decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


def adam(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor], exp_avg_sqs: list[Tensor],
         max_exp_avg_sqs: list[Tensor], state_steps: list[Tensor], *, amsgrad: bool, beta1: float, beta2: float,
         lr: float, weight_decay: float, eps: float, maximize: bool,
         decoupled_weight_decay: bool = False) -> None:
    r"""Performs the Adam (or AdamW) update in place on each parameter.

    With step count :math:`t` (incremented first), for each parameter :math:`\theta`
    with gradient :math:`g`, first moment :math:`m` and second moment :math:`v`::

        g = -g                                       if maximize
        theta = theta * (1 - lr * weight_decay)      if decoupled_weight_decay (AdamW)
        g = g + weight_decay * theta                 otherwise, if weight_decay != 0
        m = lerp(m, g, 1 - beta1)                    # beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v); use v_max for v       if amsgrad
        denom = sqrt(v) / sqrt(1 - beta2 ** t) + eps
        theta = theta - (lr / (1 - beta1 ** t)) * m / denom

    The bias corrections are computed in Python floats, as torch's single-tensor
    implementation does.
    """
    lr, beta1, beta2 = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2)
    weight_decay, eps = _to_scalar(weight_decay), _to_scalar(eps)
    for i, param in enumerate(params):
        p = param._data
        g = _grad_of(grads[i], maximize)
        exp_avg, exp_avg_sq = exp_avgs[i]._data, exp_avg_sqs[i]._data
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
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5

        if amsgrad:
            max_sq = max_exp_avg_sqs[i]._data
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            denom = np.sqrt(max_sq)
        else:
            denom = np.sqrt(exp_avg_sq)
        denom /= bias_correction2_sqrt
        denom += eps
        _addcdiv_(p, exp_avg, denom, -step_size)
        param._bump()
