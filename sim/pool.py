"""Worker processes that never outlive the command that started them.

A cqsim command that runs replicates in parallel starts worker processes. However the command
stops (Ctrl-C, SIGTERM, a closed terminal, even SIGKILL, which it cannot catch), its workers end
within a second:

- each worker asks the kernel for SIGKILL when its parent dies (Linux ``PR_SET_PDEATHSIG``) and,
  where that is not available or the parent is already gone, a watcher thread ends it when its
  parent changes (:func:`guard_worker`);
- the command turns SIGTERM and SIGHUP into the same clean stop as Ctrl-C
  (:func:`stop_on_signals`), and stops its workers on the way out (:meth:`GuardedPool.stop`).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

from sim.signals import (  # noqa: F401  (where they were; the command line imports sim.signals)
    check_not_stopped,
    stop_on_signals,
    stop_requested,
)

WATCH_INTERVAL_S = 0.5  # how often a worker's watcher looks for its parent
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)
_guarded_for: int | None = None  # the parent pid this process is guarded against, once set


def pool_context() -> multiprocessing.context.BaseContext:
    """Fork where available (starts fast, works from scripts without a ``__main__`` guard).

    The workers only run numpy code on their own copy of the inputs; Python warns about forking
    a process that has threads (pyarrow, BLAS), which is harmless here and silenced.
    """
    if "fork" in multiprocessing.get_all_start_methods():
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _die_with_parent() -> bool:
    """Ask the kernel to SIGKILL this process when its parent exits (Linux); True if set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def guard_worker(parent: int, kernel: bool = True) -> None:
    """In a worker process: end when ``parent`` ends, and leave Ctrl-C to the parent.

    ``kernel``: also ask the kernel (Linux). Only right when the process was started from the
    parent's main thread: the kernel signal follows the thread that started the process, and a
    pool started from a passing thread would lose its workers when that thread ends.
    Safe to call more than once in a process (later calls do nothing).
    """
    global _guarded_for
    if _guarded_for is not None:
        return
    _guarded_for = parent
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if kernel:
        _die_with_parent()
    if os.getppid() != parent:  # the parent died before the kernel was asked
        os._exit(1)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(WATCH_INTERVAL_S)

    threading.Thread(target=watch, name="cqsim-parent-watch", daemon=True).start()


class GuardedPool(ProcessPoolExecutor):
    """A process pool whose workers end with their parent, and that can be stopped at once."""

    def stop(self, timeout: float = 2.0) -> None:
        """Drop queued tasks and end the workers now, running tasks included."""
        processes = list((getattr(self, "_processes", None) or {}).values())
        self.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            with contextlib.suppress(OSError, ValueError):
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in processes:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                proc.join(max(0.0, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()


def process_pool(workers: int) -> GuardedPool:
    """A pool of guarded worker processes (see :func:`guard_worker`).

    Submit to it from the thread that created it: the workers start at the first submit.
    """
    main = threading.current_thread() is threading.main_thread()
    return GuardedPool(
        max_workers=workers,
        mp_context=pool_context(),
        initializer=guard_worker,
        initargs=(os.getpid(), main),
    )
