"""How long `cqsim app` takes to give its first answer, and how long a Run of new levers takes.

    python benchmarks/app_bench.py            # 3 repetitions, medians (~2 min)
    python benchmarks/app_bench.py -n 5 --json out.json

Each repetition starts `cqsim app --port 0` in a fresh process and drives it in Debian's headless
Chromium (Playwright, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1); the browser is launched beforehand,
so its own start-up is not counted.

- start: from launching the command to the starting scenario's answer over 10 seeds shown (the
  target table, the six charts and the parks drawn).
- run: from clicking Run with one lever moved (a housing subsidy) to its answer over 10 seeds
  and the paired table against the starting scenario (10 runs; the start is kept from before).
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


def _wait_drawn(page, timeout_s: float = 300) -> None:
    """The answer, the six charts and the parks on the page."""
    page.locator("#cqsim-targets").wait_for(timeout=timeout_s * 1000)
    page.wait_for_function(
        "document.querySelectorAll('.cqsim-figure > svg').length === 7",
        timeout=timeout_s * 1000,
    )


def once(browser, save_dir: Path) -> dict[str, float]:
    """One repetition: start the app to its first answer, then Run one lever; stop it."""
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
        _wait_drawn(page)
        out = {"start_s": time.perf_counter() - started}
        page.get_by_text("Talent", exact=True).click()
        slider = page.get_by_role("slider", name="Talent: housing, yuan/month =")
        slider.focus()
        slider.press("End")
        page.locator("#cqsim-stale").wait_for()
        clicked = time.perf_counter()
        page.get_by_role("button", name="Run", exact=True).click()
        page.locator("#cqsim-vs-start").wait_for(timeout=300_000)
        page.locator("#cqsim-stale").wait_for(state="detached", timeout=300_000)
        out["run_s"] = time.perf_counter() - clicked
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
