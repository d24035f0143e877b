"""Fuzzing scenario files: every generated file, valid or not, ends with exit 0 or 2, never a
traceback, and the runs that complete keep every invariant (issue 14).

Files are generated from the documented schema and ranges (tests/scenario_strategies.py) and run
in process through `cqsim run` for a few months. This is the fast version (a few dozen files,
well under a minute); `python benchmarks/fuzz.py -n 500` runs hundreds and counts the outcomes.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from scenario_strategies import describe, scenario_file

from cqsim.cli import main
from sim.invariants import violations

EXAMPLES = int(os.environ.get("CQSIM_FUZZ_EXAMPLES", "30"))


def run_file(data: bytes) -> tuple[int, str, Path, Path]:
    """Run one generated file; return exit status, stderr, the output folder and a scratch."""
    scratch = Path(tempfile.mkdtemp(prefix="cqsim-fuzz-"))
    path = scratch / "fuzzed.toml"
    path.write_bytes(data)
    out = scratch / "out"
    err = io.StringIO()
    argv = ["run", str(path), "-n", "1", "--workers", "1", "--quiet", "--out", str(out)]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue(), out, scratch


def check_outcome(data: bytes) -> tuple[int, str | None]:
    """Assert the fuzzing contract for one file; return (exit status, first error line)."""
    try:
        code, err, out, scratch = run_file(data)
    except SystemExit as exc:  # argparse never sees these files; anything else is a bug
        raise AssertionError(f"SystemExit {exc.code} for {describe(data)}") from None
    try:
        assert "Traceback" not in err, err
        assert code in (0, 2), (code, err, describe(data))
        errors = [line for line in err.splitlines() if line.startswith("cqsim: error:")]
        if code == 2:
            assert len(errors) == 1, (err, describe(data))
            assert not out.exists(), "a refused file wrote output"
            return code, errors[0]
        assert not errors
        broken = violations(pd.read_parquet(out / "trajectories.parquet"))
        assert not broken, (broken, describe(data))
        return code, None
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario_file())
def test_every_generated_file_exits_0_or_2_and_runs_keep_the_invariants(generated):
    data, _mutation = generated
    check_outcome(data)
