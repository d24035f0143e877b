"""Every parameter at the ends of its documented range: the model must start and run, or refuse.

    python benchmarks/parameter_extremes.py [--months 6] [--scale 50] [--json]

For each parameter of scenarios/parameters.toml with a documented ``min`` or ``max`` (or both),
runs the baseline a few months with that one parameter at each end (an unbounded end is skipped).
Each run must either complete with the invariants of sim.invariants holding, or be refused with
a cqsim error (the `limits` refuse implausible sizes on purpose); any other exception is a bug.
Prints one line per failure and a summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback

from sim.errors import CqsimError
from sim.invariants import violations
from sim.params import default_parameter_path, load_parameters
from sim.runner import run
from sim.scenario import load_scenario


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    params = load_parameters()
    baseline = load_scenario(default_parameter_path().parent / "baseline.toml")
    end = f"2021-{args.months:02d}"
    outcomes = {"completed": 0, "refused": 0, "failed": 0}
    failures = []
    started = time.perf_counter()
    for key, spec in sorted(params.specs.items()):
        for bound in (spec.min, spec.max):
            if bound is None:
                continue
            value = int(bound) if isinstance(spec.value, int) else float(bound)
            scenario = baseline.model_copy(
                update={
                    "parameters": {**baseline.parameters, key: value},
                    "run": baseline.run.model_copy(update={"end": end, "scale": args.scale}),
                }
            )
            try:
                result = run(scenario, seed=1)
                broken = violations(result.trajectories)
                if broken:
                    raise AssertionError("; ".join(broken[:3]))
                outcomes["completed"] += 1
            except CqsimError:
                outcomes["refused"] += 1
            except Exception as exc:  # the point is to find any other failure
                outcomes["failed"] += 1
                where = traceback.extract_tb(exc.__traceback__)[-1]
                failures.append(
                    f"{key} = {value}: {type(exc).__name__}: {exc} "
                    f"({where.filename}:{where.lineno})"
                )
                print(failures[-1], flush=True)
    summary = {**outcomes, "seconds": round(time.perf_counter() - started, 1), "failures": failures}
    print(json.dumps(summary, indent=2) if args.json else summary)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
