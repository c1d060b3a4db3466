"""glasstorch.optim: optimizers and learning-rate schedulers, as in ``torch.optim``.

Each optimizer class keeps ``param_groups`` and ``state``; its update maths is a
plain function in the same module (``sgd.sgd``, ``adam.adam``, ...) that works on
the parameters' NumPy arrays in place.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "LBFGS", "lr_scheduler", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "SGD"]
