"""The ``cqsim`` parser and entry point, the argument types the commands share, and error mapping.

Bad input of any kind (a file, a key, an option, an output path) prints one line
``cqsim: error: ...`` and exits with status 2, with nothing written; an interrupted command
(Ctrl-C, SIGTERM, SIGHUP) exits with status 130, its workers stopped and nothing half-written.
The library raises its own errors (:mod:`sim.errors`) and knows nothing of options: this module
prints them, naming the options as the user typed them.

The commands live in one module per group (:data:`COMMAND_MODULES`), each with
``add_commands(sub)`` (register its subcommands) and ``HANDLERS`` (command -> function of the
parsed arguments, returning the exit status). They import the model only inside their
functions, so that ``cqsim --help`` and ``cqsim validate`` start without loading it.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from importlib import import_module

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
DESCRIPTION = (
    "The `cqsim` command line: run and validate scenarios (and, from other modules, the rest)."
)
# The groups of commands, in the order `cqsim --help` lists them.
COMMAND_MODULES = (
    "cqsim.run",
    "cqsim.planning",
    "cqsim.calibration",
    "cqsim.sweeps",
    "cqsim.optimizing",
    "cqsim.app",
)
# How the library's setting names read on the command line.
OPTIONS = {
    "scale": "--scale",
    "replicates": "-n/--replicates",
    "seed": "--seed",
    "end": "--end",
    "workers": "--workers",
    "posterior": "--posterior",
    "out": "--out",
    "export": "--export",
    "store": "--store",
    "scheduler": "--scheduler",
    "port": "--port",
    "year": "--year",
    "metric": "--metric",
    "agg": "--agg",
    "kind": "KIND",
    "target": "--target",
    "threshold": "--threshold",
    "lang": "--lang",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # bad command-line usage is bad input too: exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"cqsim: error: {message}\n")


def run_setting(name: str):
    """An argparse type for a run setting, checked against the scenario files' range for it."""

    def parse(text: str) -> int:
        from sim.errors import SettingError
        from sim.scenario import check_run_setting  # only once the option is given

        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        try:
            return check_run_setting(name, value)
        except SettingError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None

    parse.__name__ = name
    return parse


def workers_count(text: str) -> int:
    """An argparse type for --workers: 1 to four processes per core."""
    most = 4 * (os.cpu_count() or 1)
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= most:
        raise argparse.ArgumentTypeError(
            f"must be from 1 to {most} (four per core; more only add memory), got {value}"
        )
    return value


def positive_int(text: str) -> int:
    """An argparse type for a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    parser = _Parser(prog="cqsim", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        import_module(name).add_commands(sub)
    return parser


def report_error(exc: Exception) -> None:
    """Print a library error as one line, naming command-line options as the user typed them."""
    from sim.errors import CqsimError

    if isinstance(exc, CqsimError) and not exc.file and exc.key in OPTIONS:
        print(f"cqsim: error: {OPTIONS[exc.key]}: {exc.message}", file=sys.stderr)
    else:
        print(f"cqsim: error: {exc}", file=sys.stderr)


_default_showwarning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    from sim.errors import CqsimWarning

    if issubclass(category, CqsimWarning):
        print(f"cqsim: warning: {message}", file=sys.stderr)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cqsim` console script."""
    from sim.signals import stop_on_signals, stop_requested

    with stop_on_signals():
        try:
            args = build_parser().parse_args(argv)
            status = _dispatch(args)
            if stop_requested():  # asked to stop, though its KeyboardInterrupt was lost
                print("cqsim: interrupted (after its work was done)", file=sys.stderr)
                return EXIT_INTERRUPTED
            return status
        except KeyboardInterrupt:
            print("cqsim: interrupted; no output written", file=sys.stderr)
            return EXIT_INTERRUPTED


def _dispatch(args: argparse.Namespace) -> int:
    from sim.errors import CqsimError, CqsimWarning, RunFailed

    handlers = {}
    for name in COMMAND_MODULES:
        handlers.update(import_module(name).HANDLERS)
    with warnings.catch_warnings():
        warnings.simplefilter("always", CqsimWarning)
        warnings.showwarning = _show_warning
        try:
            return handlers[args.command](args)
        except CqsimError as exc:
            report_error(exc)
            return EXIT_BAD_INPUT
        except RunFailed as exc:
            print(f"cqsim: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
