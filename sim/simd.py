"""The same bits on every x86 machine: numpy's kernels held to AVX2 (before numpy loads).

(And one OpenBLAS thread, also said before numpy loads: :func:`one_blas_thread`.)

numpy picks, when it loads, the widest SIMD kernels the processor has, and some of its AVX-512
kernels (``exp``, ``log``, sums) round differently in the last bit from its AVX2 ones. A run's
trajectories would then differ, bit for bit, between a machine with AVX-512 and one without:
the golden files (``tests/golden/``), made on one, would fail on the other. So unless the user
has said otherwise, numpy is told, through ``NPY_DISABLE_CPU_FEATURES``, not to use its
AVX-512 groups; it must be said before numpy is first imported, so :mod:`sim` and
:mod:`cqsim` import this module first. Measured cost: see the README's Speed section.
"""

from __future__ import annotations

import os
import sys

# numpy 2.x's dispatch groups above X86_V3 (AVX2, FMA3, ...)
WIDER_THAN_AVX2 = ("X86_V4", "AVX512_ICL", "AVX512_SPR")
VARIABLE = "NPY_DISABLE_CPU_FEATURES"


def hold_to_avx2() -> None:
    """Set ``NPY_DISABLE_CPU_FEATURES`` unless the user set it; warn if numpy came first."""
    if VARIABLE in os.environ:
        return
    if "numpy" not in sys.modules:
        os.environ[VARIABLE] = " ".join(WIDER_THAN_AVX2)
        return
    wider = wider_than_avx2_in_use()
    if wider:
        import warnings

        from sim.errors import CqsimWarning

        warnings.warn(
            f"numpy was imported before cqsim and uses {', '.join(wider)} kernels: runs give "
            "the same statistics but not the same bits as on other machines (and as the "
            f"golden files); import sim first, or set {VARIABLE}='{' '.join(WIDER_THAN_AVX2)}'",
            CqsimWarning,
            stacklevel=3,
        )


def wider_than_avx2_in_use() -> list[str]:
    """Numpy's dispatch groups above AVX2 in use in this process (empty: the same bits)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [f for f in WIDER_THAN_AVX2 if f in __cpu_dispatch__ and __cpu_features__.get(f)]


BLAS_THREADS = "OPENBLAS_NUM_THREADS"


def one_blas_thread() -> None:
    """Set ``OPENBLAS_NUM_THREADS=1`` unless the user set it (it too must precede numpy).

    The model's only matrix product is a small one (the park constants' calibration at set-up:
    parks x sectors by sectors). When numpy loads OpenBLAS, OpenBLAS starts a thread per core,
    and after a product its threads keep spinning for the next: 2-4% of a second core through a
    run, measured on 2026-12-03, taken from the other worker when two sweep or app workers
    share two cores. With one thread there are none, and no product depends on a thread count.
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault(BLAS_THREADS, "1")


hold_to_avx2()
one_blas_thread()
