"""One float32 matrix product at import, so that OpenBLAS's later ones run at full speed.

OpenBLAS (NumPy's BLAS) packs the operands of a matrix product into scratch buffers that
it maps once and keeps. Its Haswell single-precision kernel, the one used on AVX2 CPUs,
prefetches past the end of the packed data, into buffer pages that nothing has written
yet; on some machines (virtual ones in particular) each such prefetch stalls, and products
with few rows, such as a convolution's ``weight @ columns`` with 64 output channels, run
about 1.7x slower for the whole life of the process. (Measured with OpenBLAS 0.3.31: 5.8 ms
against 3.4 ms for a (64, 576) @ (576, 3072) product on 2 threads.)

A product that fills those pages once -- OpenBLAS's default block size on each side, about
6 ms -- puts every later product on the fast path. It is harmless with any other BLAS.
A process forked after this (a DataLoader worker) gets fresh buffers; it rarely multiplies
large matrices, so it is left alone.
"""
import numpy as np


def warm_up() -> None:
    """Runs one product big enough to write every page of OpenBLAS's float32 packing buffers."""
    np.ones((256, 320), np.float32) @ np.ones((320, 640), np.float32)


warm_up()
