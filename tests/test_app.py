"""The web app (`cqsim app`): levers -> scenario, saving, the live model, and the app in a browser.

The end-to-end test starts `cqsim app` on a free port, drives it in Debian's headless Chromium
(through Playwright, which is told not to download a browser) with every request to another host
refused, moves levers, runs a year, saves the scenario, takes a screenshot and stops the server
with Ctrl-C. It is skipped locally when Chromium or Playwright is missing; .ci/run installs both.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

import sim
from cqsim.cli import main
from sim.app.levers import (
    POLICY_NAMES,
    Levers,
    build_scenario,
    park_choices,
    safe_name,
    save_scenario,
    starting_scenarios,
)
from sim.app.live import AppModel, Trajectory, baseline_run, start_scenario, target_table
from sim.policies.scale_up_awards import APP_THRESHOLDS_BN_YUAN
from sim.scenario import ScenarioError, load_scenario
from sim.targets import target_table as run_target_table

LOCAL_HOSTS = ("127.0.0.1", "localhost")
EVERY_LEVER = Levers(
    package_start=2022,
    package_end=2026,
    rent_share=0.6,
    rent_parks="Jinfeng Software Park",
    rent_firms="new settlers only",
    housing_subsidy_yuan_month=1200,
    income_tax_relief=0.25,
    resettlement_subsidy_yuan=20000,
    school_places_per_year=500,
    training_places_per_year=3000,
    scenarios_per_month=100,
    award_100m_m_yuan=0.5,
    award_1bn_m_yuan=2,
    award_10bn_m_yuan=10,
    office_area_m2=200000,
    office_parks="Science City parks",
    leading_count=3,
    leading_park="Mingyue Lake",
    computing_share=0.4,
    computing_parks="Mingyue Lake",
)


@pytest.fixture(scope="module")
def baseline():
    return start_scenario("baseline")


# ------------------------------------------------------------------------------ levers


def test_starting_scenarios_are_the_shipped_ones(scenarios_dir):
    found = starting_scenarios()
    assert list(found)[:2] == ["baseline", "no_policy"]
    assert {"rent_cut_jinfeng", "talent_package", "double_scenarios"} <= set(found)
    assert "calibration" not in found and "parameters" not in found  # not scenario files
    assert found["baseline"] == scenarios_dir / "baseline.toml"


def test_levers_at_zero_give_the_starting_scenario(baseline):
    assert build_scenario(baseline, Levers()) is baseline
    model = AppModel()
    assert model.app_scenario == baseline and model.seed == baseline.run.seed


def test_every_lever_is_a_key_of_an_added_policy(baseline):
    scenario = build_scenario(baseline, EVERY_LEVER)
    assert scenario.policies[: len(baseline.policies)] == baseline.policies
    added = {p.name: p for p in scenario.policies[len(baseline.policies) :]}
    assert set(added) == set(POLICY_NAMES.values())
    for policy in added.values():
        assert (policy.start, policy.end) == ("2022-01", "2026-12")
    parks = park_choices()
    rent = added["app_rent_reduction"]
    assert (rent.share, rent.parks, rent.firms) == (0.6, ["jinfeng_software"], "new_settlers")
    talent = added["app_talent"]
    assert talent.housing_subsidy_yuan_month == 1200 and talent.income_tax_relief == 0.25
    assert talent.resettlement_subsidy_yuan == 20000 and talent.school_places_per_year == 500
    assert talent.training_places_per_year == 3000 and talent.parks is None
    assert added["app_application_scenarios"].per_month == 100
    awards = added["app_scale_up_awards"]
    assert awards.thresholds_bn_yuan == list(APP_THRESHOLDS_BN_YUAN) == [0.1, 1.0, 10.0]
    assert awards.awards_m_yuan == [0.5, 2.0, 10.0]
    office = added["app_office_supply"]
    assert office.area_m2 == 200000 and office.parks == parks["Science City parks"]
    assert len(office.parks) == 4
    leading = added["app_leading_enterprises"]
    assert (leading.count, leading.park) == (3, "mingyue_lake")
    assert leading.sector == "automotive_software"  # Mingyue Lake's first focus
    computing = added["app_computing_power"]
    assert (computing.share, computing.parks) == (0.4, ["mingyue_lake"])


def test_lever_window_stays_inside_the_run(baseline):
    late = build_scenario(baseline, Levers(package_start=2029, package_end=2024, rent_share=0.5))
    assert (late.policies[-1].start, late.policies[-1].end) == ("2029-01", "2029-12")
    short = baseline.model_copy(
        update={"run": baseline.run.model_copy(update={"start": "2022-04", "end": "2027-06"})}
    )
    clipped = build_scenario(short, Levers(package_start=2021, rent_share=0.5))
    assert (clipped.policies[-1].start, clipped.policies[-1].end) == ("2022-04", "2027-06")


def test_a_lever_value_a_policy_refuses_names_the_key(baseline):
    with pytest.raises(ScenarioError, match=r"policies\.\d+\.rent_reduction\.share"):
        build_scenario(baseline, Levers(rent_share=1.5))


def test_saved_scenario_validates_and_round_trips(baseline, tmp_path, capsys):
    scenario = build_scenario(baseline, EVERY_LEVER)
    path = save_scenario(scenario, tmp_path / "out", "my package!")
    assert path == tmp_path / "out" / "my_package.toml"
    assert main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out
    loaded = load_scenario(path)
    assert loaded.name == "my_package"
    assert loaded.policies == scenario.policies
    assert loaded.parameters == scenario.parameters
    assert loaded.run == scenario.run  # the posterior path, written relative, resolves back
    assert "posterior = " in path.read_text() and "extends" not in path.read_text()
    with pytest.raises(FileExistsError):
        save_scenario(scenario, tmp_path / "out", "my_package")
    assert safe_name("重庆 rent cut!") == "rent_cut" and safe_name("  ") == "my_scenario"


def test_saved_scenario_keeps_parameter_overrides(baseline, tmp_path):
    tuned = baseline.model_copy(update={"parameters": {"migration.income_elasticity": 2.0}})
    path = save_scenario(build_scenario(tuned, Levers(scenarios_per_month=50)), tmp_path, "p")
    assert "[parameters.migration]" in path.read_text()
    assert load_scenario(path).parameters == {"migration.income_elasticity": 2.0}


# ------------------------------------------------------------------------------ the live model


def test_app_run_is_the_run_of_the_saved_file(tmp_path):
    levers = {"package_start": 2021, "housing_subsidy_yuan_month": 2000, "office_area_m2": 4e5}
    model = AppModel(**levers)
    for _ in range(3):
        model.step()  # a step is a year
    assert model.month_label == "2023-12" and model.steps == 3
    path = save_scenario(model.app_scenario, tmp_path, "saved")
    result = sim.run(path, replicates=1, end="2023-12")
    wide = result.wide(0)
    run = model.trajectory()
    for metric in ("revenue_bn_yuan", "workforce", "policy_cost_bn_yuan", "office_area_m2"):
        assert np.array_equal(wide[metric].to_numpy(), run.series(metric)[:36]), metric
    base = baseline_run("baseline", model.seed, model.scale)
    # the levers cost money and bring people (same seed, so the difference is the levers')
    assert (
        run.series("policy_cost_bn_yuan")[:36].sum() > base.series("policy_cost_bn_yuan")[:36].sum()
    )
    assert run.series("workforce")[35] > base.series("workforce")[35]
    assert run.series("office_area_m2")[35] > base.series("office_area_m2")[35]


def test_app_without_levers_is_the_baseline_and_cqsim_run(baseline_path):
    model = AppModel()
    while model.running:
        model.step()
    assert model.steps == 10 and model.month_label == "2030-12"
    run = model.trajectory()
    base = baseline_run("baseline", model.seed, model.scale)
    assert np.array_equal(run.values, base.values, equal_nan=True)
    result = sim.run(baseline_path, replicates=1, seed=model.seed)
    assert np.array_equal(result.wide(0)["firms"].to_numpy(), run.series("firms"))
    # the app's target table agrees with the run's targets.csv
    app = target_table(run, base).set_index("target_id")
    stated = run_target_table(result.trajectories).set_index("target_id")
    assert np.allclose(app["value"], stated.loc[app.index, "median"])
    assert (app["met"] == (stated.loc[app.index, "prob_met"] == 1)).all()
    assert (app["status"] == "final").all()


def test_target_table_before_the_target_year_is_projected():
    model = AppModel()
    base = baseline_run("baseline", model.seed, model.scale)
    empty = target_table(model.trajectory(), base)
    assert (empty["status"] == "not started").all() and empty["met"].isna().all()
    assert empty["baseline_met"].notna().all()
    for _ in range(3):
        model.step()
    table = target_table(model.trajectory(), base).set_index("target_id")
    assert (table["status"] == "projected").all() and (table["as_of"] == "2023-12").all()
    run = model.trajectory()
    # operators added 2022-2025: the months of 2022 and 2023 so far
    started = run.series("firms_started_operating")
    assert table.loc["cq_operators_2025", "so_far"] == pytest.approx(started[12:36].sum())
    office = table.loc["cq_office_area_2025"]
    assert office["so_far"] == run.series("programme_office_area_m2")[35]
    revenue = table.loc["cq_revenue_2025"]
    assert revenue["so_far"] == pytest.approx(run.series("revenue_bn_yuan")[24:36].sum())
    growth = revenue["so_far"] / run.series("revenue_bn_yuan")[12:24].sum()
    assert revenue["value"] == pytest.approx(revenue["so_far"] * growth**2)
    assert revenue["met"] == (revenue["value"] >= 500)


def test_trajectory_is_a_copy():
    model = AppModel()
    model.step()
    before = model.trajectory()
    model.step()
    assert isinstance(before, Trajectory) and before.months == 12
    assert np.isnan(before.values[12:]).all()


def test_app_command_rejects_a_bad_port(capsys):
    assert main(["app", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


# ------------------------------------------------------------------------------ in a browser


def _start_app(save_dir: Path) -> tuple[subprocess.Popen, str]:
    """Start `cqsim app --port 0` (any free port); return the process and its address."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cqsim", "app", "--port", "0", "--save-dir", str(save_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            output.append(line)
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        match = re.match(r"cqsim app at (http://\S+)", line)
        if match:
            proc.output, proc.reader = output, reader  # type: ignore[attr-defined]
            return proc, match.group(1)
    proc.kill()
    raise AssertionError("cqsim app did not print its address:\n" + "".join(output))


def test_app_in_chromium_offline(browser, tmp_path):
    save_dir = tmp_path / "saved"
    proc, url = _start_app(save_dir)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        elsewhere: list[str] = []

        def local_only(route) -> None:
            url = route.request.url
            if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", local_only)
        page.goto(url)
        month = page.locator("#cqsim-month")
        month.wait_for(timeout=60_000)
        assert month.inner_text() == "not started"
        chart = page.locator(".cqsim-chart-revenue_bn_yuan.cqsim-months-0 img")
        chart.wait_for()
        before_chart = chart.get_attribute("src")
        table = page.locator("#cqsim-targets")
        before_table = table.inner_text()
        assert "2025 revenue" in before_table and "not met" in before_table

        # move two levers (keyboard on the slider), then Reset builds a model with them
        for name, key in [
            ("Talent: housing, yuan/month", "End"),
            ("Levers from (year)", "Home"),
        ]:
            slider = page.get_by_role("slider", name=name)
            slider.focus()
            slider.press(key)
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("Talent: housing, yuan/month = 10,000").wait_for()  # its field's top

        page.get_by_role("button", name="Step").click()  # a year
        page.wait_for_function("document.querySelector('#cqsim-month').textContent === '2021-12'")
        after = page.locator(".cqsim-chart-revenue_bn_yuan.cqsim-months-12 img")
        after.wait_for()
        assert after.get_attribute("src") != before_chart
        page.wait_for_function(  # all six charts redrawn (they update one after another)
            "document.querySelectorAll('.cqsim-chart.cqsim-months-12').length === 6"
        )
        page.locator(".cqsim-parks.cqsim-months-12").wait_for()
        after_table = table.inner_text()
        assert after_table != before_table and "so far: to 2021-12" in after_table
        cost = float(page.locator("#cqsim-cost").inner_text().replace(",", ""))
        base_cost = re.search(r"baseline: ([\d.,]+)\)", page.inner_text("body")).group(1)
        base_cost = float(base_cost.replace(",", ""))
        assert cost > base_cost  # the housing subsidy is paid from 2021

        name = page.get_by_label("Scenario name")
        name.fill("e2e_package")
        name.press("Enter")
        page.get_by_role("button", name="Save as scenario").click()
        page.get_by_text("Saved ").wait_for()
        saved = save_dir / "e2e_package.toml"
        assert saved.is_file()
        saved_policies = {p.kind: p for p in load_scenario(saved).policies[-2:]}
        assert saved_policies["talent"].housing_subsidy_yuan_month == 10000
        assert main(["validate", str(saved)]) == 0

        shot = tmp_path / "app.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert elsewhere == []
        page.close()
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    proc.reader.join(timeout=10)  # the last lines
    output = "".join(proc.output)
    assert proc.returncode == 0, output
    assert "Traceback" not in output and output.rstrip().endswith("cqsim app stopped"), output


def test_app_charts_put_december_2025_in_the_span_labelled_2025():
    from sim.app.charts import CHARTS, LiveChart

    model = AppModel()
    base = baseline_run("baseline", model.seed, model.scale)
    metric, how, title = next((m, h, t) for m, h, t in CHARTS if m == "revenue_bn_yuan")
    chart = LiveChart(base, "baseline", metric, how, title)
    chart.png(base)
    ax = chart.ax
    (star_x,) = [x for x in chart.stars.get_xdata() if x < 2027]
    grid = sorted(ax.get_xticks())
    labels = {t.get_position()[0]: t.get_text() for t in ax.get_xticklabels(minor=True)}
    assert not [t.get_text() for t in ax.get_xticklabels() if t.get_text()]  # no label on 1 Jan
    left = max(g for g in grid if g < star_x)
    assert labels.get(left + 0.5) == "2025", (star_x, labels)
