"""Neural-network building blocks, mirroring torch.nn."""
from .parameter import Parameter, Buffer
from .modules import *  # noqa: F401,F403
from .modules import Module, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from . import functional, init, utils  # noqa: F401
