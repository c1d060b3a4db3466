"""``torch.distributions``: probability distributions with sampling, ``log_prob``, entropy and,
where a draw can be written as a function of the parameters, ``rsample`` with gradients."""
from .bernoulli import Bernoulli
from .categorical import Categorical
from .continuous import Exponential, Laplace, Uniform
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal

__all__ = ["Distribution", "Normal", "Bernoulli", "Categorical", "Uniform", "Exponential", "Laplace",
           "Independent", "kl_divergence", "register_kl"]
