"""The web app (`cqsim app`): levers -> scenario, saving, runs over seeds, and the app in a browser.

The end-to-end test starts `cqsim app` on a free port, drives it in Debian's headless Chromium
(through Playwright, which is told not to download a browser) with every request to another host
refused, moves a lever, runs it over 5 seeds, pins and compares, saves the scenario, takes a
screenshot and stops the server with Ctrl-C. It is skipped locally when Chromium or Playwright
is missing; .ci/run installs both.
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
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from cqsim.cli import main
from sim.app.ensemble import paired_table, run_ensemble
from sim.app.levers import (
    POLICY_NAMES,
    Levers,
    build_scenario,
    park_choices,
    safe_name,
    save_scenario,
    starting_scenarios,
)
from sim.app.live import start_scenario
from sim.app.views import enacted, lever_help, year_problem
from sim.policies.scale_up_awards import APP_THRESHOLDS_BN_YUAN
from sim.scenario import ScenarioError, load_scenario

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


# ------------------------------------------------------------------------------ runs over seeds


def test_app_answer_is_cqsim_run_of_the_saved_file(baseline, tmp_path):
    """The app's P(met) and medians are those `cqsim run FILE -n N` gives for the saved file."""
    levers = Levers(package_start=2021, housing_subsidy_yuan_month=2000, office_area_m2=4e5)
    scenario = build_scenario(baseline, levers)
    mine = run_ensemble(scenario, 3, workers=2)
    path = save_scenario(scenario, tmp_path, "saved")
    result = sim.run(path, replicates=3, workers=2)
    assert mine.seeds == tuple(result.manifest["seeds"])
    app = mine.targets.set_index("target_id")
    cli = result.targets.set_index("target_id")
    for column in ("median", "p10", "p90", "prob_met"):
        assert np.allclose(app[column], cli.loc[app.index, column], equal_nan=True), column
    again = run_ensemble(scenario, 3, workers=1)  # cached: the same object, not run again
    assert again is mine


def test_paired_table_is_seed_by_seed_and_costs_per_extra_practitioner(baseline):
    """What the levers add: per-seed differences of each target's figure and of the cost."""
    start = run_ensemble(baseline, 3, workers=2)
    levers = Levers(package_start=2021, housing_subsidy_yuan_month=3000)
    mine = run_ensemble(build_scenario(baseline, levers), 3, workers=2)
    table = paired_table(mine, start).set_index("what")
    added = next(w for w in table.index if w.startswith("practitioners added"))
    per_seed = mine.figure("practitioners_added", 2025) - start.figure("practitioners_added", 2025)
    assert table.loc[added, "diff_median"] == pytest.approx(np.median(per_seed))
    cost = table.loc["policy cost to Dec 2025"]
    assert cost["diff_median"] > 0 and cost["diff_low"] > 0  # a subsidy costs in every seed
    per_job = table.loc["cost per extra practitioner added, Dec 2021 to Dec 2025", "diff_median"]
    jobs = [
        mine.member(i).series("workforce")[59]
        - mine.member(i).series("workforce")[11]
        - start.member(i).series("workforce")[59]
        + start.member(i).series("workforce")[11]
        for i in range(3)
    ]
    extra = (mine.cost_to(2025) - start.cost_to(2025)).mean()
    assert per_job == pytest.approx(extra * 1e9 / np.mean(jobs))
    revenue = [
        mine.member(i).series("revenue_bn_yuan")[48:60].sum()
        - start.member(i).series("revenue_bn_yuan")[48:60].sum()
        for i in range(3)
    ]
    per_bn = table.loc["cost per extra bn yuan of revenue in 2025", "diff_median"]
    assert per_bn == pytest.approx(extra / np.mean(revenue))
    with pytest.raises(ValueError, match="same seeds"):
        paired_table(mine, run_ensemble(baseline, 2, workers=2))


def test_levers_say_what_they_mean_and_what_the_start_already_does():
    """Each lever's help names its meaning and range; the start's own policies are listed."""
    text = lever_help("talent", "housing_subsidy_yuan_month")
    assert "yuan per person per month" in text and "from 0 to 10,000" in text
    assert "award" in lever_help("scale_up_awards", "award_1bn_m_yuan")
    already = enacted(start_scenario("baseline"), "talent")
    assert "housing subsidy yuan month 600" in already and "2022-07 to" in already
    assert enacted(start_scenario("no_policy"), "talent") == ""
    assert year_problem(Levers(package_start=2025, package_end=2023)).startswith(
        "'Levers until' (2023) is before 'Levers from' (2025)"
    )
    assert year_problem(Levers(package_start=2023, package_end=2023)) == ""


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
        # the starting scenario's answer comes by itself, over 10 seeds
        table = page.locator("#cqsim-targets")
        table.wait_for(timeout=120_000)
        answer = page.locator("#cqsim-answer")
        text = answer.inner_text()
        assert "2025 revenue" in text and "P " in text and "10 seeds (1-10)" in text
        assert page.locator("#cqsim-trust").inner_text().startswith("How far to trust it")
        page.locator(".cqsim-chart-revenue_bn_yuan svg").first.wait_for()
        # nothing animates: without a GPU each frame is painted on a core the workers need
        moving = page.evaluate(
            """[...document.querySelectorAll('.v-application *')].filter(e => {
                const s = getComputedStyle(e);
                return s.transitionDuration.split(',').some(d => parseFloat(d) > 0)
                    || s.animationName !== 'none';
            }).length"""
        )
        assert moving == 0, moving

        # the layout holds at three screen sizes: no card overlaps another, no verdict is cut off
        for width, height in ((1024, 768), (1440, 900), (1920, 1080)):
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(300)
            boxes = [b for b in (c.bounding_box() for c in page.locator(".v-card").all()) if b]
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    overlap_x = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
                    overlap_y = min(a["y"] + a["height"], b["y"] + b["height"]) - max(
                        a["y"], b["y"]
                    )
                    nested = (  # a card inside another (the lever sections) is no overlap
                        b["x"] >= a["x"] - 1
                        and b["x"] + b["width"] <= a["x"] + a["width"] + 1
                        and b["y"] >= a["y"] - 1
                        and b["y"] + b["height"] <= a["y"] + a["height"] + 1
                    ) or (
                        a["x"] >= b["x"] - 1
                        and a["x"] + a["width"] <= b["x"] + b["width"] + 1
                        and a["y"] >= b["y"] - 1
                        and a["y"] + a["height"] <= b["y"] + b["height"] + 1
                    )
                    assert nested or overlap_x <= 1 or overlap_y <= 1, (width, a, b)
            verdicts = page.locator(
                "#cqsim-targets td.met, #cqsim-targets td.likely, "
                "#cqsim-targets td.unlikely, #cqsim-targets td.as-likely-as-not"
            )
            assert page.locator(".cqsim-figure > svg").count() == 7  # six charts, the parks
            for card in page.locator(".cqsim-chart").all():  # key above drawing, both inside
                outer = card.bounding_box()
                key = card.locator(".cqsim-legend").bounding_box()
                drawing = card.locator(".cqsim-figure > svg").bounding_box()
                assert key["y"] + key["height"] <= drawing["y"] + 1, (width, key, drawing)
                for box in (key, drawing):
                    assert outer["x"] - 1 <= box["x"], (width, outer, box)
                    assert box["x"] + box["width"] <= outer["x"] + outer["width"] + 1
                    assert box["y"] + box["height"] <= outer["y"] + outer["height"] + 1
                assert drawing["width"] >= 250, (width, drawing)  # not squeezed
            for button in page.locator(".cqsim-actions .v-btn").all():  # pin and downloads
                box = button.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (width, box)
            assert verdicts.count() >= 10  # five targets, this run and the start
            for cell in verdicts.all():
                box = cell.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (width, box)
                assert cell.inner_text().startswith("P ")
        page.set_viewport_size({"width": 1400, "height": 1000})

        # 5 seeds; one lever moved: the page says the run no longer matches the levers
        page.get_by_role("button", name="5", exact=True).click()
        page.get_by_text("Talent", exact=True).click()
        slider = page.get_by_role("slider", name="Talent: housing, yuan/month =")
        slider.focus()
        slider.press("End")
        page.get_by_role("slider", name="Talent: housing, yuan/month = 10,000").wait_for(
            state="attached"
        )
        page.locator("#cqsim-stale").wait_for()
        page.get_by_role("button", name="Run", exact=True).click()
        page.locator("#cqsim-vs-start").wait_for(timeout=120_000)  # the levers against the start
        assert "5 seeds (1-5)" in answer.inner_text()
        vs_start = page.locator("#cqsim-vs-start").inner_text()
        cost = re.search(
            r"policy cost to Dec 2025, bn yuan\s+[\d.,]+\s+[\d.,]+\s+\+([\d.,]+)", vs_start
        )
        assert cost and float(cost.group(1).replace(",", "")) > 0, vs_start
        assert "cost per extra practitioner" in vs_start

        # pin it; the comparison with the pinned run appears (the same seeds)
        page.get_by_role("button", name="Pin this run").click()
        page.locator("#cqsim-vs-pin").wait_for()

        # save: the levers shown (one moved after the run, not run), in a file cqsim accepts
        school = page.get_by_role("slider", name="Talent: school places/year =")
        school.focus()
        school.press("End")
        page.locator("#cqsim-stale").wait_for()
        name = page.get_by_label("Scenario name")
        name.fill("e2e_package")
        page.wait_for_timeout(1000)
        page.get_by_role("button", name="Save as scenario").click()
        page.locator("#cqsim-saved").wait_for()
        saved = save_dir / "e2e_package.toml"
        assert saved.is_file(), page.locator("#cqsim-saved").inner_text()
        saved_policies = {p.kind: p for p in load_scenario(saved).policies[-1:]}
        assert saved_policies["talent"].housing_subsidy_yuan_month == 10000
        assert saved_policies["talent"].school_places_per_year == 50000  # shown, never run
        assert main(["validate", str(saved)]) == 0

        # a reload opens the page as it was: the levers shown, the last run, the pinned run
        page.reload()
        page.locator("#cqsim-vs-pin").wait_for(timeout=30_000)
        assert "5 seeds (1-5)" in page.locator("#cqsim-answer").inner_text()
        assert page.locator(".cqsim-busy").count() == 0  # shown, not run again
        page.get_by_text("Talent (moved)", exact=True).click()
        page.get_by_role("slider", name="Talent: school places/year = 50,000").wait_for(
            state="attached"
        )
        page.locator("#cqsim-stale").wait_for()  # the moved lever is still waiting for Run

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


def test_app_charts_put_december_2025_in_the_span_labelled_2025(baseline):
    from sim.app.charts import CHARTS, band_figure

    start = run_ensemble(baseline, 2, workers=2)
    metric, how, title = next((m, h, t) for m, h, t in CHARTS if m == "revenue_bn_yuan")
    fig = band_figure(metric, how, title, [("baseline", start, "C0", "-")])
    (ax,) = fig.axes
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    (star_x,) = [x for line in stars for x in line.get_xdata() if x < 2027]
    grid = sorted(ax.get_xticks())
    labels = {t.get_position()[0]: t.get_text() for t in ax.get_xticklabels(minor=True)}
    assert not [t.get_text() for t in ax.get_xticklabels() if t.get_text()]  # no label on 1 Jan
    left = max(g for g in grid if g < star_x)
    assert labels.get(left + 0.5) == "2025", (star_x, labels)
    # one band (10-90% of seeds) around the median line
    assert len(ax.collections) == 1


def test_downloads_are_a_valid_scenario_and_the_runs_shown(baseline, tmp_path, monkeypatch):
    """The TOML download loads as a scenario with the levers; the Parquet holds every run."""
    import io

    import pandas as pd

    from sim.app.views import AppRun, download_runs, download_scenario

    monkeypatch.setenv("CQSIM_APP_SAVE_DIR", str(tmp_path))
    levers = Levers(housing_subsidy_yuan_month=900)
    path = tmp_path / "downloaded.toml"
    path.write_text(download_scenario(levers), encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.policies[-1].kind == "talent"
    assert loaded.policies[-1].housing_subsidy_yuan_month == 900
    start = run_ensemble(baseline, 2, workers=2)
    app = AppRun(Levers(), 2, start, start, 0.0)
    table = pd.read_parquet(io.BytesIO(download_runs(app, app)))
    assert set(table["run"]) == {"this run", "baseline", "pinned"}
    assert len(table) == 3 * len(start.trajectories)


def test_a_reloaded_page_opens_as_it_was_without_running_again(monkeypatch):
    import ipyvuetify as v
    import solara
    import solara.widgets

    import sim.app.views as views
    from sim.app.ensemble import run_ensemble

    ensemble = run_ensemble(start_scenario("baseline"), 1)
    finished = views.AppRun(Levers(), 1, ensemble, ensemble, 0.0)
    calls: list[tuple] = []

    class Task:  # the run task: finished on the first page, never started on the reload
        latest, pending, error, progress, exception = finished, False, False, 100.0, None

        def __call__(self, *args):
            calls.append(args)

    monkeypatch.setattr(views, "run_levers", Task())
    _, first = solara.render(views.Page(), handle_error=False)
    calls.clear()
    (housing,) = [s for s in first.find(v.Slider).widgets if s.label.startswith("Talent: housing")]
    housing.v_model = 1800
    Task.latest = None  # a reloaded tab: a new session, whose task has not run
    _, reloaded = solara.render(views.Page(), handle_error=False)
    (housing,) = [
        s for s in reloaded.find(v.Slider).widgets if s.label.startswith("Talent: housing")
    ]
    assert housing.v_model == 1800
    answers = [
        w
        for w in reloaded.find(solara.widgets.HTML).widgets
        if w.attributes.get("id") == "cqsim-answer"
    ]
    assert answers and "2025 target" in answers[0].unsafe_innerHTML
    assert calls == []


def _classes(widget) -> set[str]:
    """Every CSS class on a widget and the widgets inside it."""
    import ipywidgets

    found = set(str(getattr(widget, "class_", "") or "").split())
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, ipywidgets.Widget):
            found |= _classes(child)
    return found


def test_a_busy_run_keeps_the_charts_and_tables_it_has_drawn(monkeypatch):
    """While a Run is busy its progress is shown at every step: the page, its charts and the
    paired tables of the last run stay as drawn (drawing the charts again cost 1.2 s a Run,
    and drawing the whole page at every step took CPU from the workers)."""
    import solara

    import sim.app.views as views

    start = run_ensemble(start_scenario("baseline"), 1)
    levers = run_ensemble(start_scenario("talent_package"), 1)
    finished = views.AppRun(Levers(), 1, levers, start, 0.0)
    drawn: list[int] = []  # the figures of each drawing of the page's figures
    tables: list[str] = []
    pages: list[str] = []
    figures, table, target_html = views.page_figures, views.paired_table, views.target_html

    def drawing(*args):
        out = figures(*args)
        drawn.append(len(out.charts) + (out.parks_svg is not None))
        return out

    monkeypatch.setattr(views, "page_figures", drawing)
    monkeypatch.setattr(views, "paired_table", lambda *a: tables.append("") or table(*a))
    monkeypatch.setattr(views, "target_html", lambda *a: pages.append("") or target_html(*a))

    class Task:  # the run task (its state reactive, as solara's): finished, then busy
        latest, error, exception = finished, False, None
        busy, done = solara.reactive(False), solara.reactive(100.0)
        pending = property(lambda self: self.busy.value)
        progress = property(lambda self: self.done.value)

        def __call__(self, *args):
            pass

    task = Task()
    monkeypatch.setattr(views, "run_levers", task)
    box, page = solara.render(views.Page(), handle_error=False)
    assert drawn == [7] and len(tables) == 1  # six charts and the parks, drawn once
    assert "cqsim-waiting" not in _classes(box)
    task.busy.value, task.done.value = True, 0.0  # Run pressed: the page is drawn once
    pages_when_busy = len(pages)
    for step in (10.0, 20.0, 40.0):  # steps of progress
        task.done.value = step
    (busy,) = page.find(class_="cqsim-busy").widgets
    assert busy.children == ["Running 10 seeds of each scenario in worker processes: 40%"]
    assert len(pages) == pages_when_busy  # the progress alone was drawn again
    assert "cqsim-waiting" in _classes(box)  # the last answer, faded
    assert drawn == [7] and len(tables) == 1


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 12), st.integers(1, 30)),
    empty_months=st.integers(0, 30),
    holes=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 29)), max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_chart_bands_are_nanpercentile_of_the_runs(shape, empty_months, holes, seed):
    """The bands the app draws: each month's percentiles over the seeds, months without a
    value (the first of a 12-month sum) and runs missing a month included."""
    import warnings

    from sim.app.charts import _percentiles_by_month

    runs = np.random.default_rng(seed).normal(size=shape)
    runs[:, :empty_months] = np.nan
    for r, c in holes:
        runs[r % shape[0], c % shape[1]] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanpercentile(runs, [10, 50, 90], axis=0)
    np.testing.assert_array_equal(_percentiles_by_month(runs, [10, 50, 90]), expected)
