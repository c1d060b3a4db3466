"""Automatic differentiation: Function, the backward engine, grad modes and gradcheck."""
from .function import Function, FunctionCtx, once_differentiable
from .engine import backward, grad
from .grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from . import function

__all__ = ["Function", "FunctionCtx", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck", "once_differentiable"]
