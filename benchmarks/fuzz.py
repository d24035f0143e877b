"""The slow fuzz run: hundreds of generated scenario files through `cqsim run`, outcomes counted.

    python benchmarks/fuzz.py -n 500 [--json]

Every file must end with exit 0 or 2 and no traceback, and every completed run must keep the
invariants of sim.invariants (the same contract as tests/test_fuzz.py, which runs a few dozen).
Prints how many files were generated, how each ended, and why files were refused.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hypothesis import HealthCheck, given, settings
from scenario_strategies import scenario_file
from test_fuzz import check_outcome


def reason(line: str) -> str:
    """The kind of an error line, without the file's path and values."""
    text = line.split("fuzzed.toml: ", 1)[-1]
    text = re.sub(r"'[^']*'|\"[^\"]*\"|[-\d.,]+", "_", text)
    return text[:70]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--examples", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    outcomes: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    mutations: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(scenario_file())
    def fuzz(generated):
        data, mutation = generated
        code, error = check_outcome(data)
        outcomes[f"exit {code}"] += 1
        mutations[f"{mutation or 'valid'} -> exit {code}"] += 1
        if error:
            reasons[reason(error)] += 1

    fuzz()
    summary = {
        "files": sum(outcomes.values()),
        "outcomes": dict(outcomes),
        "by_mutation": dict(sorted(mutations.items())),
        "refusal_reasons": dict(reasons.most_common(25)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{summary['files']} files in {summary['seconds']} s: {summary['outcomes']}")
        for key, count in summary["by_mutation"].items():
            print(f"  {count:5d}  {key}")
        print("refused because:")
        for key, count in summary["refusal_reasons"].items():
            print(f"  {count:5d}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
