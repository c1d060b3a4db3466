"""glasstorch: a NumPy deep-learning framework with the PyTorch API.

``import glasstorch as torch`` and write PyTorch code. Every step -- the forward
pass that records the graph, the backward pass that walks it, the optimizer
step -- is plain Python and NumPy that you can read.
"""
import os as _os
import sys as _sys

# OpenBLAS (NumPy's BLAS) keeps its threads spinning for about 0.1 s after each matrix product,
# on the cores that glasstorch's own threads need for the elementwise passes in between (see
# _parallel.py). Asking them to sleep sooner works only before NumPy is loaded; a value set by
# the user wins.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "10")

from . import _allocator  # noqa: F401,E402  (tunes glibc malloc once, at import)
from . import _blas  # noqa: F401,E402  (one warm-up matrix product, at import)
from ._parallel import get_num_threads, set_num_threads  # noqa: F401
from ._dtype import (dtype, bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64,
                     set_default_dtype, get_default_dtype, promote_types, result_type, is_floating_point,
                     can_cast, finfo, iinfo)
from ._tensor import Tensor, Size, device, set_printoptions
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled)
from . import autograd
from .autograd.anomaly_mode import (is_anomaly_enabled, is_anomaly_check_nan_enabled,  # noqa: F401
                                    _set_anomaly_enabled as set_anomaly_enabled)
from ._creation import *  # noqa: F401,F403
from .ops.elementwise import *  # noqa: F401,F403
from .ops.reduction import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from .ops.pooling import max_pool1d, max_pool2d, avg_pool1d, adaptive_avg_pool1d, max_pool1d_with_indices  # noqa: F401
# torch.adaptive_max_pool1d always returns (values, indices).
from .ops.pooling import adaptive_max_pool1d_with_indices as adaptive_max_pool1d  # noqa: F401
from . import random
from . import nn, optim, utils  # noqa: E402
from . import serialization  # noqa: E402
from .serialization import save, load  # noqa: E402
# The device layer of a CPU-only torch, and the switches that programs set.
from . import cuda, backends, mps, xpu, accelerator, amp, jit, onnx, linalg, testing, distributions  # noqa: E402,F401,E501
from .amp import autocast  # noqa: E402,F401
from .amp.autocast_mode import is_autocast_enabled  # noqa: E402,F401
from ._runtime import *  # noqa: E402,F401,F403
from .linalg import det, slogdet, logdet, inverse, matrix_power, chain_matmul  # noqa: E402,F401

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

__version__ = "0.1.0"


def __getattr__(name: str):
    # These are imported on first use: most programs never need them.
    if name in ("vision", "viz", "inspect"):
        import importlib
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'glasstorch' has no attribute '{name}'")
