"""Adagrad: per-coordinate learning rates from the sum of squared past gradients."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import (Optimizer, _add_scaled, _addcdiv_, _addcmul_, _grad_of, _scalar_tensor, _step_count,
                        _to_scalar, _use_closure)

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    r"""Implements the Adagrad algorithm (see :func:`adagrad`).

    As in torch, the state (``step`` and ``sum``) of the parameters given to the
    constructor is created right away, with the constructor's
    ``initial_accumulator_value`` for every group.

    Args:
        params (iterable): parameters, named parameters or parameter-group dicts.
        lr (float): learning rate. Default: 1e-2.
        lr_decay (float): learning rate decay. Default: 0.
        weight_decay (float): weight decay (L2 penalty). Default: 0.
        initial_accumulator_value (float): starting value of the squared-gradient sums. Default: 0.
        eps (float): term added to the denominator for numerical stability. Default: 1e-10.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        foreach, differentiable, fused: accepted for compatibility with torch.

    Example::

        >>> optimizer = glasstorch.optim.Adagrad(model.parameters(), lr=1e-2)
    """

    def __init__(self, params, lr: float | Tensor = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p: Tensor, initial_accumulator_value: float) -> None:
        state = self.state[p]
        state["step"] = _scalar_tensor(0.0)
        state["sum"] = Tensor._make(np.full_like(p._data, initial_accumulator_value))

    def step(self, closure=None):
        """Performs a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = _use_closure(closure)
        for group in self.param_groups:
            params, grads, state_sums, state_steps = [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                if len(self.state[p]) == 0:  # a parameter added later with add_param_group
                    self._init_state(p, self.defaults["initial_accumulator_value"])
                state_sums.append(self.state[p]["sum"])
                state_steps.append(self.state[p]["step"])
            adagrad(params, grads, state_sums, state_steps, lr=group["lr"], weight_decay=group["weight_decay"],
                    lr_decay=group["lr_decay"], eps=group["eps"], maximize=group["maximize"])
        return loss


def adagrad(params: list[Tensor], grads: list[Tensor], state_sums: list[Tensor], state_steps: list[Tensor], *,
            lr: float, weight_decay: float, lr_decay: float, eps: float, maximize: bool = False) -> None:
    r"""Performs the Adagrad update in place on each parameter.

    With step count :math:`t` (incremented first), for each parameter :math:`\theta`
    with gradient :math:`g` and sum of squares :math:`s`::

        g = -g                                  if maximize
        g = g + weight_decay * theta            if weight_decay != 0
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        theta = theta - clr * g / (sqrt(s) + eps)
    """
    lr, weight_decay, lr_decay, eps = _to_scalar(lr), _to_scalar(weight_decay), _to_scalar(lr_decay), _to_scalar(eps)
    for param, grad, state_sum, step_t in zip(params, grads, state_sums, state_steps):
        p, s = param._data, state_sum._data
        step = _step_count(step_t)
        g = _grad_of(grad, maximize)
        if weight_decay != 0:
            g = _add_scaled(g, p, weight_decay, maximize)
        clr = lr / (1 + (step - 1) * lr_decay)
        _addcmul_(s, g, g, 1)
        std = np.sqrt(s)
        std += eps
        _addcdiv_(p, g, std, -clr)
        param._bump()
