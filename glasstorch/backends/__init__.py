"""``torch.backends``: the flags programs set and the questions they ask about GPU libraries.

glasstorch computes with NumPy on the CPU, so cuDNN, MPS and CUDA are never available and
oneDNN (mkldnn) and opt_einsum are not used. The flags keep torch's defaults and can be set
(``torch.backends.cudnn.benchmark = True``); they change nothing here.
"""
from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cudnn", "mps", "cuda", "mkldnn", "opt_einsum"]


def _false(*args, **kwargs) -> bool:
    return False


def _none(*args, **kwargs):
    return None


cudnn = SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                        benchmark_limit=10, is_available=_false, version=_none)
mps = SimpleNamespace(is_available=_false, is_built=_false, is_macos13_or_newer=_false)
cuda = SimpleNamespace(is_built=_false, is_flash_attention_available=_false,
                       matmul=SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                              allow_bf16_reduced_precision_reduction=True),
                       flash_sdp_enabled=_false, mem_efficient_sdp_enabled=_false, math_sdp_enabled=lambda: True,
                       enable_flash_sdp=_none, enable_mem_efficient_sdp=_none, enable_math_sdp=_none)
mkldnn = SimpleNamespace(enabled=True, is_available=_false)
opt_einsum = SimpleNamespace(enabled=False, strategy=None, is_available=_false)
