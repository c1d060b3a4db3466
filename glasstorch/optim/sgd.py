"""Stochastic gradient descent, optionally with momentum and Nesterov momentum."""
from __future__ import annotations

from .._tensor import Tensor
from .optimizer import Optimizer, _add_scaled, _grad_of, _to_scalar, _use_closure

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    r"""Implements stochastic gradient descent (optionally with momentum).

    See :func:`sgd` for the algorithm. Like torch, the momentum buffer starts as the
    first gradient itself (so dampening applies from the second step on), and the
    update is ``p -= lr * b`` rather than ``b = mu * b + lr * g; p -= b``.

    Args:
        params (iterable): parameters, named parameters or parameter-group dicts.
        lr (float): learning rate. Default: 1e-3.
        momentum (float): momentum factor. Default: 0.
        dampening (float): dampening for momentum. Default: 0.
        weight_decay (float): weight decay (L2 penalty). Default: 0.
        nesterov (bool): enables Nesterov momentum (needs momentum > 0 and no dampening). Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        foreach, differentiable, fused: accepted for compatibility with torch; the
            NumPy implementation is the same either way.

    Example::

        >>> optimizer = glasstorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad()
        >>> loss_fn(model(input), target).backward()
        >>> optimizer.step()
    """

    def __init__(self, params, lr: float | Tensor = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float | Tensor = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Performs a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        loss = _use_closure(closure)
        for group in self.param_groups:
            params, grads, bufs = [], [], []
            for p in group["params"]:
                if p.grad is not None:
                    params.append(p)
                    grads.append(p.grad)
                    if group["momentum"] != 0:
                        bufs.append(self.state[p].get("momentum_buffer"))
            sgd(params, grads, bufs, weight_decay=group["weight_decay"], momentum=group["momentum"],
                lr=group["lr"], dampening=group["dampening"], nesterov=group["nesterov"],
                maximize=group["maximize"])
            if group["momentum"] != 0:
                for p, buf in zip(params, bufs):
                    self.state[p]["momentum_buffer"] = buf
        return loss


def sgd(params: list[Tensor], d_p_list: list[Tensor], momentum_buffer_list: list[Tensor | None], *,
        weight_decay: float, momentum: float, lr: float, dampening: float, nesterov: bool,
        maximize: bool) -> None:
    r"""Performs the SGD update in place on each parameter.

    For each parameter :math:`\theta` with gradient :math:`g`::

        g = -g                            if maximize
        g = g + weight_decay * theta      if weight_decay != 0
        if momentum != 0:
            b = g (a copy)                on the first step
            b = momentum * b + (1 - dampening) * g      afterwards
            g = g + momentum * b          if nesterov, else g = b
        theta = theta - lr * g

    Momentum buffers that are None in ``momentum_buffer_list`` are created and put
    into the list.
    """
    lr, weight_decay, momentum, dampening = (_to_scalar(lr), _to_scalar(weight_decay), _to_scalar(momentum),
                                             _to_scalar(dampening))
    for i, param in enumerate(params):
        p = param._data
        g = _grad_of(d_p_list[i], maximize)
        owned = maximize  # whether g is a temporary that may be overwritten
        if weight_decay != 0:
            g = _add_scaled(g, p, weight_decay, owned)
            owned = True

        if momentum != 0:
            buf = momentum_buffer_list[i]
            if buf is None:
                buf = Tensor._make(g.copy())
                momentum_buffer_list[i] = buf
            else:
                b = buf._data
                b *= momentum
                b += g if dampening == 0 else (1 - dampening) * g
            if nesterov:
                g = _add_scaled(g, buf._data, momentum, owned)
                owned = True
            else:
                g = buf._data
                owned = False

        if owned:
            g *= lr
            p -= g
        else:
            p -= lr * g
        param._bump()
