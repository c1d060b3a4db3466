"""torch.nn.functional: the functional form of every layer, loss and activation.

The primitives live in ``glasstorch/ops/<family>.py`` next to their backward;
this module gathers their public functions under torch's names.
"""
from ..ops.elementwise import relu, sigmoid, tanh  # noqa: F401
from ..ops.reduction import softmax, log_softmax  # noqa: F401
from ..ops.padding import pad  # noqa: F401
from ..ops.activation import *  # noqa: F401,F403
from ..ops.conv import *  # noqa: F401,F403
from ..ops.pooling import *  # noqa: F401,F403
from ..ops.loss import *  # noqa: F401,F403
from ..ops.normalization import *  # noqa: F401,F403
from ..ops.nn_misc import *  # noqa: F401,F403
from ..ops.attention import *  # noqa: F401,F403
