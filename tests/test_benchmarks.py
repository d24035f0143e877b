"""The benchmark script keeps working (its figures are measured outside the test run)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_and_reports_every_key():
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    elapsed = time.perf_counter() - start
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for key in (
        "full_scale_seconds",
        "full_scale_peak_rss_mb",
        "speedup_vs_naive_mesa_100k",
        "default_scale_seconds",
        "machine",
        "versions",
    ):
        assert key in result
    assert result["speedup_vs_naive_mesa_100k"] > 1
    assert elapsed < 60
