"""Keep freed memory in the process instead of handing it back to the kernel.

NumPy allocates big temporaries for every batch. With glibc's defaults each one
above 128 KiB is mmap'ed fresh and unmapped when freed, so the kernel zeroes new
pages again and again (over a million page faults per LeNet epoch). Raising the
mmap and trim thresholds lets glibc reuse that memory. This changes the whole
process's allocator (PyTorch in the same process benefits too); set the
environment variable GLASSTORCH_KEEP_MALLOC=1 to leave the allocator alone.
"""
import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

# Below glibc's largest allowed mmap threshold (32 MiB on 64-bit): bigger arrays are still mmap'ed.
_THRESHOLD = 32 * 1024 * 1024


def tune() -> bool:
    """Raises glibc's mmap and trim thresholds. Returns True if the allocator was changed."""
    if os.environ.get("GLASSTORCH_KEEP_MALLOC") == "1" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (e.g. musl): nothing to tune
    ok = mallopt(M_MMAP_THRESHOLD, _THRESHOLD) == 1
    ok = mallopt(M_TRIM_THRESHOLD, 2 * _THRESHOLD) == 1 and ok
    return ok


tuned = tune()
