"""The HTML report and `cqsim report` / `cqsim plot`: content, self-containment, bad input.

The browser test opens the report in Debian's headless Chromium (driven by Playwright) with
every network request refused, and checks that each image decodes. Locally it is skipped when
Chromium or Playwright is missing; .ci/run installs both.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from analysis.compare import compare
from analysis.report import load_results, write_report
from cqsim.cli import main
from sim.errors import OutputError
from sim.runner import run, write_outputs
from sim.scenario import ScenarioError

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"

PACKAGE = """
name = "rent_and_talent"
description = "Test package <script>alert('x')</script> & \\"quotes\\""
extends = {extends}

[[policies]]
kind = "rent_reduction"
start = "2021-01"
end = "2022-12"
parks = ["jinfeng_software", "liangjiang_software"]
share = 0.5
firms = "all"

[[policies]]
kind = "talent"
start = "2021-01"
end = "2022-12"
housing_subsidy_yuan_month = 2000
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """A comparison to 2025 (two-kind attribution), the same without attribution, a run to 2022."""
    root = tmp_path_factory.mktemp("report")
    package = root / "rent_and_talent.toml"
    package.write_text(PACKAGE.format(extends=json.dumps(str(SCENARIOS_DIR / "no_policy.toml"))))
    comparison = compare(
        [SCENARIOS_DIR / "no_policy.toml", package],
        replicates=2,
        seed=1,
        end="2025-12",
        attribution_year=2025,
        workers=2,
    )
    comparison.write(root / "cmp")
    shutil.copytree(root / "cmp", root / "cmp_no_attr")
    (root / "cmp_no_attr" / "attribution.csv").unlink()
    result = run(SCENARIOS_DIR / "baseline.toml", replicates=2, seed=1, end="2022-12", workers=2)
    write_outputs(result, root / "run")
    (root / "empty").mkdir()
    return {
        "cmp": root / "cmp",
        "cmp_no_attr": root / "cmp_no_attr",
        "run": root / "run",
        "empty": root / "empty",
    }


@pytest.fixture(scope="module")
def reports(folders) -> dict[str, Path]:
    """The reports of the comparison (write_report) and of the run (`cqsim report`, default)."""
    out = {"cmp": write_report(folders["cmp"], folders["cmp"].parent / "cmp.html")}
    assert main(["report", str(folders["run"])]) == 0
    out["run"] = folders["run"] / "report.html"
    return out


@pytest.fixture(scope="module")
def comparison_html(reports) -> str:
    return reports["cmp"].read_text(encoding="utf-8")


def test_load_results_tells_runs_from_comparisons(folders):
    cmp = load_results(folders["cmp"])
    assert cmp.kind == "comparison"
    assert cmp.names == ["no_policy", "rent_and_talent"]
    assert cmp.counterfactual == "no_policy__no_policy"
    assert not cmp.attribution.empty
    one = load_results(folders["run"])
    assert one.kind == "run"
    assert one.names == ["baseline"]
    assert one.costs.empty and one.paired.empty
    assert set(one.attainment["target_id"]) >= {"cq_revenue_2025", "cq_operators_2025"}


def test_report_puts_the_answer_first(comparison_html):
    html = comparison_html
    answer = html.index("id='answer'")
    assert answer < html.index("id='figures'") < html.index("id='tables'")
    section = html[answer : html.index("id='figures'")]
    assert re.search(
        r"(No scenario is|are|is) likely to meet (all|any of the) 5 stated targets", section
    )
    # the scorecard: every stated target, P(met) per scenario
    card = section[section.index("id='scorecard'") :]
    assert card.count("<strong>P ") == 10
    assert "Revenue ≥ 500 bn yuan in 2025" in card
    # the cost (per job where the package adds jobs) and the policy kinds doing the work
    assert "Policy cost to 2025" in section
    assert "yuan per extra job" in section or "no extra jobs" in section
    assert re.search(r"What does the work.*(talent|rent reduction) [+-]", section)


def test_report_is_self_contained_and_escaped(comparison_html):
    html = comparison_html
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower() and "<link" not in html.lower()
    sources = re.findall(r"""\bsrc=['"]([^'"]*)['"]""", html)
    # 6 fan charts, paired differences, cost per job, 2 waterfalls, park map
    assert len(sources) == 11
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    links = re.findall(r"""\bhref=['"]([^'"]*)['"]""", html)
    assert links and all(link.startswith("#") for link in links)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in html


def test_answer_divides_cost_only_by_jobs_added(folders):
    from analysis.report import _lead, _scenario_answer

    results = load_results(folders["cmp"])
    row = results.costs.index[results.costs["scenario"] == "rent_and_talent"][0]
    results.costs.loc[row, ["extra_jobs", "cost_per_job_yuan", "cost_bn_yuan"]] = [
        4000.0,
        250_000.0,
        1.0,
    ]
    text = _scenario_answer(results, "rent_and_talent")
    assert "Policy cost to 2025: 1 bn yuan, 250,000 yuan per extra job" in text
    assert "4,000 extra jobs in Dec 2025" in text
    # the median seed adds no job: no cost per job, even if some seeds give one
    results.costs.loc[row, "extra_jobs"] = -30.0
    text = _scenario_answer(results, "rent_and_talent")
    assert "yuan per extra job" not in text
    assert "no extra jobs against the same seeds without any policy (median -30" in text
    # the lead sentence counts targets met in at least two thirds of the replicates (likely)
    results.attainment["prob_met"] = 0.0
    assert "not likely to meet any of the 5" in _lead(results).replace("No scenario is", "not")
    results.attainment.loc[results.attainment["scenario"] == "rent_and_talent", "prob_met"] = 0.5
    assert "not likely" in _lead(results) or "No scenario" in _lead(results)  # 50% is a coin toss
    results.attainment.loc[results.attainment["scenario"] == "rent_and_talent", "prob_met"] = 0.7
    assert _lead(results) == "rent_and_talent is likely to meet all 5 stated targets."


def test_answer_states_each_package_against_the_base_seed_by_seed(folders):
    """Cost, jobs and revenue the package adds to the comparison's base, on the same seeds."""
    import numpy as np

    from analysis import plots
    from analysis.report import _scenario_answer
    from analysis.tables import yearly

    results = load_results(folders["cmp"])
    assert results.base == "no_policy"
    year = yearly(results.trajectories, ["workforce", "revenue_bn_yuan"])
    wide = year[year["year"] == 2025].pivot_table(
        index="seed", columns=["scenario", "metric"], values="value"
    )
    jobs = wide[("rent_and_talent", "workforce")] - wide[("no_policy", "workforce")]
    text = _scenario_answer(results, "rent_and_talent")
    assert "Against no_policy (the same 2 seeds):" in text
    median = float(np.median(jobs))
    shown = plots.fmt_value(abs(median)) if abs(median) >= 100 else f"{abs(median):,.1f}"
    assert f"{'+' if median >= 0 else '-'}{shown} practitioners in Dec 2025" in text
    # the base itself gets no such sentence
    assert "Against no_policy" not in _scenario_answer(results, "no_policy")


def test_against_base_differences_are_per_seed():
    """The median of per-seed differences, not the difference of the medians."""
    import pandas as pd

    from analysis.tables import against_base

    rows = []
    dates = pd.date_range("2025-01-01", periods=12, freq="MS")
    # seed 1: a +10 bigger than b; seed 2: a +30 bigger; seed 3: a -20
    workforce = {"a": [110, 230, 280], "b": [100, 200, 300]}
    for scenario, levels in workforce.items():
        for seed, level in zip((1, 2, 3), levels, strict=True):
            for d in dates:
                for metric, value in (
                    ("workforce", level),
                    ("revenue_bn_yuan", level / 120),
                    ("policy_cost_bn_yuan", 1.0 if scenario == "a" else 0.5),
                ):
                    rows.append(
                        {
                            "scenario": scenario,
                            "replicate": seed - 1,
                            "seed": seed,
                            "date": d,
                            "metric": metric,
                            "value": value,
                        }
                    )
    table = against_base(pd.DataFrame(rows), "b", 2025)
    (row,) = table.to_dict(orient="records")
    assert row["jobs_median"] == 10  # per-seed 10, 30, -20; medians of levels differ by 30
    assert row["cost_median"] == 6.0  # 12 months at 1.0 against 0.5
    assert row["revenue_median"] == 10 / 120 * 12
    assert row["n_pairs"] == 3


def test_report_tables(comparison_html):
    html = comparison_html
    for caption in (
        "Stated targets",
        "Cost ledger",
        "Policy cost by kind",
        "Paired differences against no_policy in 2025",
        "What does the work: Shapley split",
        "Observed figures (2021-2024) against the model",
    ):
        assert f"<caption>{caption}" in html
    assert "cq_revenue_2021" in html  # an observed 2021 figure against the model


def test_run_report_without_comparison_tables(reports):
    html = reports["run"].read_text(encoding="utf-8")
    assert len(re.findall(r"<img ", html)) == 7  # six fan charts and the park map
    answer = html[html.index("id='answer'") : html.index("id='figures'")]
    # 2025 targets lie beyond a run ending 2022-12: the answer says so rather than guessing
    assert "cannot be checked" in answer and "beyond this run" in answer
    assert "id='scorecard'" not in answer
    assert "Cost ledger" not in html
    assert "needs a same-seed run without policies" in html
    assert "Policy cost to 2022" in html


def test_write_report_is_atomic_and_replaces(folders, tmp_path, monkeypatch):
    from analysis import report

    out = tmp_path / "out" / "r.html"
    out.parent.mkdir()
    out.write_text("the user's own page")
    page = "<meta name='generator' content='cqsim'><p>{}</p>"
    monkeypatch.setattr(
        report, "build_report", lambda folder, lang="en": page.format(Path(folder).name)
    )
    with pytest.raises(OutputError, match=r"not written by cqsim.*--force"):
        write_report(folders["cmp_no_attr"], out)  # a file cqsim did not write is kept
    assert out.read_text() == "the user's own page"
    assert write_report(folders["cmp_no_attr"], out, force=True) == out
    assert out.read_text() == page.format("cmp_no_attr")
    assert write_report(folders["cmp_no_attr"], out) == out  # its own page it replaces

    def broken(folder, lang="en"):
        raise ScenarioError(folder, "", "broken")

    monkeypatch.setattr(report, "build_report", broken)
    with pytest.raises(ScenarioError):
        write_report(folders["empty"], out)
    assert out.read_text() == page.format("cmp_no_attr")  # a failed build leaves it alone
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.html"]  # no temporary left


def test_report_without_attribution_has_no_waterfall(folders):
    from analysis.report import _figures, _scenario_answer

    results = load_results(folders["cmp_no_attr"])
    ids = [fig_id for fig_id, _, _ in _figures(results)]
    assert "costs" in ids and "paired" in ids and "parks" in ids
    assert not any(i.startswith("attribution") for i in ids)
    answer = _scenario_answer(results, "rent_and_talent")
    assert "Policy cost to 2025" in answer and "What does the work" not in answer


def test_cli_plot_writes_png_and_svg_or_the_suffix(folders, tmp_path):
    assert main(["plot", str(folders["cmp"]), "fan", "--metric", "workforce", "--out",
                 str(tmp_path / "wf")]) == 0  # fmt: skip
    assert (tmp_path / "wf.png").stat().st_size > 0 and (tmp_path / "wf.svg").exists()
    assert main(["plot", str(folders["cmp"]), "parks", "--year", "2023", "--out",
                 str(tmp_path / "map.svg")]) == 0  # fmt: skip
    assert (tmp_path / "map.svg").exists() and not (tmp_path / "map.png").exists()
    for kind in ("paired", "costs", "attribution"):
        assert main(["plot", str(folders["cmp"]), kind, "--out", str(tmp_path / kind)]) == 0
        assert (tmp_path / f"{kind}.png").exists()
    assert main(["plot", str(folders["run"]), "fan"]) == 0
    assert (folders["run"] / "fan.png").exists() and (folders["run"] / "fan.svg").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "{missing}"], "no such folder"),
        (["report", "{empty}"], "not a cqsim run or comparison folder"),
        (["report", "{run}", "--out", "{tmp}/r.pdf"], "expected an .html file"),
        (["plot", "{missing}", "fan"], "no such folder"),
        (["plot", "{empty}", "fan"], "not a cqsim run or comparison folder"),
        (["plot", "{run}", "fan", "--metric", "revenu_bn_yuan"], "did you mean 'revenue_bn_yuan'"),
        (["plot", "{run}", "paired"], "needs a comparison folder"),
        (["plot", "{run}", "costs"], "needs a comparison folder"),
        (["plot", "{cmp_no_attr}", "attribution"], "--no-attribution"),
        (["plot", "{cmp}", "attribution", "--metric", "firms"], "no attribution for 'firms'"),
        (["plot", "{run}", "fans"], "did you mean 'fan'"),
        (["plot", "{run}", "parks", "--year", "2025"], "year 2025 is not in the run"),
        (["plot", "{run}", "fan", "--year", "2022"], "only the park map"),
        (["plot", "{run}", "fan", "--out", "{tmp}/f.jpeg"], "unknown figure format"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(folders, tmp_path, capsys, args, message):
    names = {**{k: str(v) for k, v in folders.items()}, "missing": str(tmp_path / "nope")}
    names["tmp"] = str(tmp_path)
    argv = [a.format(**names) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cqsim: error: ")
    assert message in err
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "nope").exists()


@pytest.mark.parametrize(("folder", "n_images"), [("cmp", 11), ("run", 7)])
def test_report_opens_offline_in_chromium_with_every_image(
    reports, browser, tmp_path, folder, n_images
):
    out = reports[folder]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested = []

    def refuse_network(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            requested.append(url)
            route.abort()

    page.route("**/*", refuse_network)
    page.goto(out.resolve().as_uri())
    page.wait_for_load_state("load")
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(images) == n_images
    assert all(done and w > 0 and h > 0 for done, w, h in images), images
    answer = page.locator("#answer")
    assert answer.is_visible()
    assert "targets" in answer.inner_text()
    assert "baseline" in answer.inner_text() or "rent_and_talent" in answer.inner_text()
    assert requested == []
    shot = tmp_path / f"report_{folder}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


def test_chinese_report_has_chinese_labels_and_every_glyph(folders, tmp_path, capsys):
    """`cqsim report --lang zh`: Chinese sections, targets, parks; every glyph in the font."""
    import warnings

    from sim import lang

    lang.missing(clear=True)
    out = tmp_path / "zh.html"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["report", str(folders["cmp"]), "--lang", "zh", "--out", str(out)]) == 0
    glyphs = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not glyphs, glyphs[:3]
    assert lang.missing() == set()  # every label asked for has its Chinese
    page = out.read_text(encoding="utf-8")
    assert "<html lang='zh-CN'>" in page and "Noto Sans CJK SC" in page
    for text in ("<h2>结论</h2>", "<h2>图表</h2>", "<h2>表格</h2>", "<h2>运行内容</h2>"):
        assert text in page, text
    assert "2025年主营业务收入 ≥ 500 十亿元" in page  # a stated target
    assert re.search(r"P \d+%</strong> (达成|可能达成|或许达成|不太可能达成)<", page)
    assert "租金减免" in page and "人才政策" in page  # the policy kinds
    # ids and scenario names (the output contract) are as in English
    assert "cq_revenue_2021" in page and "rent_and_talent" in page
    english = (folders["cmp"].parent / "cmp.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in english and "结论" not in english
