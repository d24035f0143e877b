"""Stylised facts of firm dynamics in the calibrated baseline, against the literature.

    python benchmarks/stylised_facts.py [-n 5]

For a few seeds of the baseline (posterior draws), the firms of each December 2021-2025:
the Zipf exponent of the 100 largest firms by employment and by revenue in 2025 (Axtell 2001:
about 1 for employment), the excess kurtosis of yearly revenue growth (0 for a Gaussian, 3 for
the Laplace that firm growth rates follow: Bottazzi & Secchi), and the slope of growth
volatility on size (about -0.2: Stanley et al. 1996). Writes
benchmarks/results_stylised_facts.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LITERATURE = {
    "zipf_exponent_employment_top100": "about 1 (Axtell 2001)",
    "zipf_exponent_revenue_top100": "about 1 (Zipf for sales too: Axtell 2001)",
    "growth_excess_kurtosis": "well above 0; 3 for a Laplace (Bottazzi & Secchi)",
    "volatility_size_slope": "about -0.2 (Stanley et al. 1996: -0.15 to -0.2)",
}


def main() -> int:
    from analysis.stylised import firm_panel, stylised_facts

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--seeds", type=int, default=5)
    args = parser.parse_args()
    rows = [
        stylised_facts(firm_panel(ROOT / "scenarios" / "baseline.toml", seed=s))
        for s in range(1, args.seeds + 1)
    ]
    summary = {
        key: {
            "median": statistics.median(r[key] for r in rows),
            "seeds": [round(r[key], 3) for r in rows],
            "literature": LITERATURE[key],
        }
        for key in rows[0]
    }
    (ROOT / "benchmarks" / "results_stylised_facts.json").write_text(json.dumps(summary, indent=2))
    for key, value in summary.items():
        print(f"{key:36s} {value['median']:7.3f}   literature: {value['literature']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
