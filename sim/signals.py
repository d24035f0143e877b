"""A command's clean stop on SIGTERM and SIGHUP, as on Ctrl-C (KeyboardInterrupt).

Kept apart from :mod:`sim.pool` so that every command can install it without importing
multiprocessing (``cqsim validate`` and ``cqsim --help`` start in a third of a second).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_STOP: dict[str, int | None] = {"signal": None}


def _interrupt(signum: int, frame: object) -> None:
    _STOP["signal"] = signum
    raise KeyboardInterrupt(signal.Signals(signum).name)


def stop_requested() -> bool:
    """Whether SIGTERM or SIGHUP asked this command to stop.

    The KeyboardInterrupt the signal raises can be lost, when it lands in a finaliser (Python
    prints "Exception ignored" and goes on); outputs check this before they commit, and the
    command line before it reports success.
    """
    return _STOP["signal"] is not None


def check_not_stopped() -> None:
    """Raise KeyboardInterrupt if a stop was asked for, even one whose exception was lost."""
    if stop_requested():
        raise KeyboardInterrupt(signal.Signals(_STOP["signal"]).name)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the command as Ctrl-C does (KeyboardInterrupt), in the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # e.g. SIGHUP under nohup stays ignored
            old[sig] = signal.signal(sig, _interrupt)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
