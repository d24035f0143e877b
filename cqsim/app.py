"""``cqsim app``: serve the planners' web app on this machine (:func:`sim.app.server.serve`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cqsim.cli import EXIT_BAD_INPUT
from sim.app.server import DEFAULT_HOST, DEFAULT_PORT


def add_commands(sub) -> None:
    """Register `cqsim app` on the subcommand parser."""
    app = sub.add_parser(
        "app",
        help="start the web app for planners (levers, live trajectories, targets)",
        description="Serve the web app on this machine and print its address; Ctrl-C stops it.",
    )
    app.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    app.add_argument("--host", default=DEFAULT_HOST, help=f"address (default {DEFAULT_HOST})")
    app.add_argument(
        "--save-dir",
        type=Path,
        help="folder 'Save as scenario' writes to (default ./scenarios if it exists, else .)",
    )


def cmd_app(args: argparse.Namespace) -> int:
    """Start the web app."""
    from sim.app.server import serve

    if not 0 <= args.port <= 65535:
        print(f"cqsim: error: --port must be 0-65535, got {args.port}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return serve(args.host, args.port, args.save_dir)


HANDLERS = {"app": cmd_app}
