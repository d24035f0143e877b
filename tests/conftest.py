"""Shared fixtures: the scenario folder, a scenario-file writer, and a headless browser."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import sim

SCENARIOS_DIR = Path(sim.__file__).resolve().parent.parent / "scenarios"
# Debian's Chromium, driven by Playwright (whose own browser download does not work here).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def toml_str(value: str | Path) -> str:
    """A TOML basic string holding value (JSON string escapes are valid TOML)."""
    return json.dumps(str(value))


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    return SCENARIOS_DIR


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return SCENARIOS_DIR / "baseline.toml"


@pytest.fixture
def write_scenario(tmp_path: Path, baseline_path: Path) -> Callable[..., Path]:
    """Write a scenario file into tmp_path and return its path.

    ``write_scenario(body, name="child.toml", extends_baseline=True)``: the body is dedented; unless
    it already sets ``name``, a ``name = "<stem>"`` line is added; with ``extends_baseline`` an
    ``extends`` line pointing at the absolute path of the shipped baseline is added.
    """

    def write(body: str = "", name: str = "child.toml", extends_baseline: bool = True) -> Path:
        body = textwrap.dedent(body).lstrip("\n")
        head = []
        top_level = []
        for line in body.splitlines():
            if line.lstrip().startswith("["):
                break
            top_level.append(line.split("=")[0].strip())
        if "name" not in top_level:
            head.append(f"name = {toml_str(Path(name).stem)}")
        if extends_baseline:
            head.append(f"extends = {toml_str(baseline_path)}")
        path = tmp_path / name
        path.write_text("\n".join([*head, body]) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium; skipped where it is missing, except on CI, where that fails the test."""
    missing = None
    if CHROMIUM is None:
        missing = "Chromium is not installed (apt-get install chromium; .ci/run does)"
    elif importlib.util.find_spec("playwright") is None:
        missing = "playwright is not installed (pip install -e '.[test]')"
    if missing and os.environ.get("CI"):
        pytest.fail(f"{missing}: CI must run the browser tests")
    if missing:
        pytest.skip(missing)
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _fresh_app_page():
    """Each test's app page opens afresh: the page state the app keeps for a reload is cleared."""
    import sys

    yield
    views = sys.modules.get("sim.app.views")
    if views is not None:
        views.PAGE_KEPT.clear()
