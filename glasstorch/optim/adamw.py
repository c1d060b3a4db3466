"""AdamW: Adam with decoupled weight decay."""
from __future__ import annotations

from .._tensor import Tensor
from .adam import Adam, adam

__all__ = ["AdamW", "adamw"]


class AdamW(Adam):
    r"""Implements AdamW: Adam whose weight decay shrinks the weights directly.

    The decay ``theta *= 1 - lr * weight_decay`` is applied before the Adam update and
    never enters the moment estimates (see :func:`~glasstorch.optim.adam.adam`).
    Same options as :class:`Adam`, but ``weight_decay`` defaults to 1e-2.

    Example::

        >>> optimizer = glasstorch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    """

    def __init__(self, params, lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def adamw(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor], exp_avg_sqs: list[Tensor],
          max_exp_avg_sqs: list[Tensor], state_steps: list[Tensor], *, amsgrad: bool, beta1: float,
          beta2: float, lr: float, weight_decay: float, eps: float, maximize: bool) -> None:
    r"""Performs the AdamW update: :func:`~glasstorch.optim.adam.adam` with decoupled weight decay::

        theta = theta * (1 - lr * weight_decay)
        ... then the Adam update, without weight decay in the gradient.
    """
    adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, amsgrad=amsgrad, beta1=beta1,
         beta2=beta2, lr=lr, weight_decay=weight_decay, eps=eps, maximize=maximize, decoupled_weight_decay=True)
