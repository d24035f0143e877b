"""Runs give the same bits on every x86 machine: numpy is held to its AVX2 kernels."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sim.simd import VARIABLE, WIDER_THAN_AVX2, wider_than_avx2_in_use


def test_the_test_process_uses_no_kernel_wider_than_avx2():
    assert wider_than_avx2_in_use() == []


def _child(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, env=env
    )


def test_the_command_line_and_the_library_hold_numpy_to_avx2_and_warn_when_too_late():
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    for first in ("import cqsim.cli", "import sim"):
        out = _child(f"{first}\nimport os, numpy\nprint(os.environ['{VARIABLE}'])", env)
        assert out.stdout.split() == list(WIDER_THAN_AVX2), out.stderr
    late = _child("import numpy\nimport sim", env)
    from numpy._core._multiarray_umath import __cpu_features__

    if any(__cpu_features__.get(f) for f in WIDER_THAN_AVX2):  # only where numpy has them
        assert "numpy was imported before cqsim" in late.stderr
    said = _child(f"import os, sim\nprint(os.environ['{VARIABLE}'])", {**env, VARIABLE: "X86_V4"})
    assert said.stdout.strip() == "X86_V4"  # what the user set stays


THREADS_AFTER_A_PRODUCT = """
import os
{first}
import numpy as np
a = np.ones((400, 400))
a @ a  # large enough for OpenBLAS to use its threads, if it has any
print(len(os.listdir("/proc/self/task")))
"""


def test_a_run_has_no_blas_threads_unless_the_user_asks_for_them():
    """cqsim's processes run one thread: no OpenBLAS threads spinning beside a sweep's workers."""
    from sim.simd import BLAS_THREADS

    if not os.path.isdir("/proc/self/task") or (os.cpu_count() or 1) < 2:
        pytest.skip("threads are seen in /proc/self/task, with two cores or more")
    # (libraries the tests load, pyabc's among them, set OMP_NUM_THREADS, which OpenBLAS reads too)
    thread_counts = {BLAS_THREADS, "OMP_NUM_THREADS", "GOTO_NUM_THREADS"}
    env = {k: v for k, v in os.environ.items() if k not in thread_counts}
    for first in ("import cqsim.cli", "import sim"):
        out = _child(THREADS_AFTER_A_PRODUCT.format(first=first), env)
        assert out.stdout.split() == ["1"], out.stderr
    plain = _child(THREADS_AFTER_A_PRODUCT.format(first=""), env)
    assert int(plain.stdout) > 1, "numpy alone starts BLAS threads here: the test can see them"
    asked = _child(THREADS_AFTER_A_PRODUCT.format(first="import sim"), {**env, BLAS_THREADS: "2"})
    assert int(asked.stdout) == 2, asked.stderr  # the user's own setting is kept
