"""How long `cqsim app` takes to start, and how long a ten-year run takes in it.

    python benchmarks/app_bench.py            # 3 repetitions, medians (~1 min)
    python benchmarks/app_bench.py -n 5 --json out.json

Each repetition starts `cqsim app --port 0` in a fresh process and drives it in Debian's headless
Chromium (Playwright, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1); the browser is launched beforehand,
so its own start-up is not counted.

- start: from launching the command to the page rendered in the browser (the run panel and the
  six charts drawn for month 0, which includes running the same-seed baseline).
- one year: from clicking Step to every chart and the park panel drawn for December 2021.
- ten years: on a fresh page, from clicking ▶ to every chart and the park panel drawn for
  December 2030 (10 steps of a year, each drawn).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DRAWN = ".cqsim-chart.cqsim-months-{m}, .cqsim-parks.cqsim-months-{m}"


def _wait_drawn(page, months: int, timeout_s: float = 120) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('{DRAWN.format(m=months)}').length === 7",
        timeout=timeout_s * 1000,
    )


def once(browser, save_dir: Path) -> dict[str, float]:
    """One repetition: start the app, run a year, then ten years on a new page; stop it."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cqsim", "app", "--port", "0", "--save-dir", str(save_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in proc.stdout:
            match = re.match(r"cqsim app at (http://\S+)", line)
            if match:
                url = match.group(1)
                break
        else:
            raise RuntimeError("cqsim app did not start")
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        _wait_drawn(page, 0)
        out = {"start_s": time.perf_counter() - started}
        clicked = time.perf_counter()
        page.get_by_role("button", name="Step").click()
        _wait_drawn(page, 12)
        out["one_year_s"] = time.perf_counter() - clicked
        page.close()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        _wait_drawn(page, 0)
        clicked = time.perf_counter()
        page.get_by_role("button", name="▶").click()
        _wait_drawn(page, 120)
        out["ten_years_s"] = time.perf_counter() - clicked
        assert page.inner_text("#cqsim-month") == "2030-12"
        page.close()
        return out
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def main() -> None:
    """Run the repetitions and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for i in range(args.n):
            runs.append(once(browser, Path(tmp)))
            print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in runs[-1].items()))
        browser.close()
    medians = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    print("median: " + ", ".join(f"{k} {v:.2f}" for k, v in medians.items()))
    if args.json:
        result = {"medians": medians, "runs": runs, "python": platform.python_version()}
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
