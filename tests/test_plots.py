"""Plots on small synthetic tables: what each figure draws, and where it puts the targets."""

from __future__ import annotations

from itertools import pairwise

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure

import analysis
from analysis import plots
from sim.params import load_parameters
from sim.policies import KINDS as POLICY_KINDS
from sim.targets import aggregate, target_table

PARAMS = load_parameters()
BASE_METRICS = [
    "revenue_bn_yuan",
    "sc_revenue_bn_yuan",
    "workforce",
    "firms",
    "firms_started_operating",
    "office_area_m2",
    "programme_office_area_m2",
    "policy_cost_bn_yuan",
]


def _value(metric: str, seed: int, i: int) -> float:
    """Smooth, seed-dependent synthetic values in plausible units."""
    noise = 1 + 0.01 * ((seed * 7 + i) % 5)
    if metric == "revenue_bn_yuan":
        return (20 + 0.3 * i) * noise
    if metric == "sc_revenue_bn_yuan":
        return 2 + 0.05 * i
    if metric == "workforce":
        return 250_000 + 2_000 * i * noise
    if metric == "firms":
        return 8_000 + 40 * i
    if metric == "firms_started_operating":
        return 200.0  # a month
    if metric in ("office_area_m2", "programme_office_area_m2"):
        return 1_200_000 + 10_000 * i
    if metric.startswith("policy_cost"):
        return 0.1 * noise
    if metric.startswith("park."):
        _, park, what = metric.split(".", 2)
        rank = PARAMS.park_ids.index(park) + 1
        return {"revenue_bn_yuan": 2.0 / rank * noise, "firms": 500 / rank, "occupancy": 0.8}.get(
            what, 40.0
        )
    return float(i)


def _frame(scenario: str, seeds: list[int], months: int = 60, parks: bool = False) -> pd.DataFrame:
    dates = pd.date_range("2021-01-01", periods=months, freq="MS")
    metrics = list(BASE_METRICS)
    if parks:
        metrics += [
            f"park.{p}.{what}"
            for p in PARAMS.park_ids
            for what in ("revenue_bn_yuan", "firms", "occupancy")
        ]
    rows = [
        (scenario, k, seed, date, m, _value(m, seed, i))
        for k, seed in enumerate(seeds)
        for i, date in enumerate(dates)
        for m in metrics
    ]
    return pd.DataFrame(rows, columns=["scenario", "replicate", "seed", "date", "metric", "value"])


@pytest.fixture(scope="module")
def traj() -> pd.DataFrame:
    return pd.concat(
        [_frame("a", [1, 2, 3, 4, 5]), _frame("b", [1, 2, 3, 4, 5])], ignore_index=True
    )


def _stars(ax) -> list[tuple[float, float]]:
    """(x, y) of the star markers: the targets."""
    return [
        (float(mdates.date2num(line.get_xdata()[0])), float(line.get_ydata()[0]))
        for line in ax.lines
        if line.get_marker() == "*"
    ]


def _dec(year: int) -> float:
    return float(mdates.date2num(pd.Timestamp(year=year, month=12, day=1)))


def test_fan_chart_draws_bands_and_medians_per_scenario(traj):
    fig = plots.fan_chart(traj, "firms")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 4  # two bands (10-90, 25-75) per scenario
    medians = ax.lines[:2]
    expected = (
        traj[(traj["metric"] == "firms") & (traj["scenario"] == "a")]
        .groupby("date")["value"]
        .median()
    )
    np.testing.assert_allclose(medians[0].get_ydata(), expected.to_numpy())
    # the stock of firms has no target of its own (the > 10,000 target counts operators added)
    assert _stars(ax) == []


def test_fan_chart_operators_target_sits_on_the_running_total_from_2022(traj):
    """> 10,000 operators added 2022-2025: a cumulative chart, the target stacked on the
    running total at Dec 2021 (12 months of 200 in the synthetic runs)."""
    fig = plots.fan_chart(traj, "firms_started_operating")
    ax = fig.axes[0]
    assert "cumulative" in ax.get_title()
    assert _stars(ax) == [(_dec(2025), 2_400 + 10_000.0)]
    # the running total at Dec 2025: 60 months of 200
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(12_000)


def test_fan_chart_revenue_target_on_the_twelve_month_total(traj):
    """The revenue target is a calendar-year sum: the chart shows 12-month totals, and its
    median at Dec 2025 is the median of the 2025 sums that the target is judged on."""
    fig = plots.fan_chart(traj, "revenue_bn_yuan")
    ax = fig.axes[0]
    assert "12-month total" in ax.get_title()
    assert _stars(ax) == [(_dec(2025), 500.0)]
    line = ax.lines[0]
    x = np.asarray(line.get_xdata(), dtype=float)
    y = np.asarray(line.get_ydata(), dtype=float)
    at = y[np.argmin(np.abs(x - _dec(2025)))]
    sums = aggregate(traj[traj["scenario"] == "a"], "revenue_bn_yuan", "sum_year", 2025)
    assert at == pytest.approx(float(sums.median()))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("calendar year" in t for t in labels)
    assert any(t.startswith("observed 2021") for t in labels)


def test_fan_chart_monthly_view_shows_the_target_per_month(traj):
    fig = plots.fan_chart(traj, "revenue_bn_yuan", transform="monthly")
    assert _stars(fig.axes[0]) == [(_dec(2025), pytest.approx(500 / 12))]


def test_fan_chart_new_practitioners_target_is_dec_2021_plus_200k(traj):
    fig = plots.fan_chart(traj, "workforce")
    dec21 = traj[(traj["metric"] == "workforce") & (traj["date"] == "2021-12-01")]["value"]
    assert _stars(fig.axes[0]) == [(_dec(2025), pytest.approx(dec21.median() + 200_000))]


def test_fan_chart_stock_target_is_a_horizontal_line_to_dec_2025(traj):
    fig = plots.fan_chart(traj, "programme_office_area_m2")
    ax = fig.axes[0]
    (segments,) = [c.get_segments() for c in ax.collections if isinstance(c, LineCollection)]
    (segment,) = segments
    assert segment[0][1] == segment[1][1] == 2_000_000
    assert segment[1][0] == pytest.approx(_dec(2025))


def test_fan_chart_targets_can_be_left_out_and_scenarios_chosen(traj):
    fig = plots.fan_chart(traj, "firms", targets=pd.DataFrame(), scenarios=["b"])
    ax = fig.axes[0]
    assert _stars(ax) == []
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    # without targets marked, revenue is still shown as 12-month totals
    assert (
        "12-month total"
        in plots.fan_chart(traj, "revenue_bn_yuan", pd.DataFrame()).axes[0].get_title()
    )


def test_fan_chart_takes_a_runs_targets_table(traj):
    """`sim.run(...).targets` (one row per target id) chooses which targets are marked."""
    table = target_table(traj[traj["scenario"] == "a"])
    fig = plots.fan_chart(traj, "programme_office_area_m2", table)
    assert _stars(fig.axes[0]) == [(_dec(2025), 2_000_000.0)]
    only_revenue = table[table["target_id"] == "cq_revenue_2025"]
    chart = plots.fan_chart(traj, "programme_office_area_m2", only_revenue)
    assert _stars(chart.axes[0]) == []


def test_fan_chart_rejects_unknown_metric_and_transform(traj):
    with pytest.raises(ValueError, match="not in the trajectories"):
        plots.fan_chart(traj, "revenue")
    with pytest.raises(ValueError, match="transform"):
        plots.fan_chart(traj, "firms", transform="log")


def _paired() -> pd.DataFrame:
    rows = []
    for scenario, scale in (("b", 1.0), ("c", -0.5)):
        for metric in ("revenue_bn_yuan", "workforce", "firms"):
            for year in (2021, 2022, 2023):
                d = scale * (year - 2020) * 10
                rows.append(
                    {
                        "scenario": scenario,
                        "metric": metric,
                        "year": year,
                        "diff_median": d,
                        "diff_p5": d - 3,
                        "diff_p95": d + 4,
                    }
                )
    return pd.DataFrame(rows)


def test_paired_difference_chart_one_panel_per_metric_with_whiskers():
    fig = plots.paired_difference_chart(
        _paired(), ["revenue_bn_yuan", "workforce", "firms"], base="a"
    )
    assert len(fig.axes) == 3
    for ax in fig.axes:
        bars = [p for c in ax.containers if hasattr(c, "patches") for p in c.patches]
        assert len(bars) == 6  # 3 years x 2 scenarios
    first = fig.axes[0]
    heights = sorted(round(p.get_height(), 6) for p in first.patches)
    assert heights == sorted([10.0, 20.0, 30.0, -5.0, -10.0, -15.0])
    whiskers = [c for c in first.collections if isinstance(c, LineCollection)]
    spans = sorted(round(seg[1][1] - seg[0][1], 6) for c in whiskers for seg in c.get_segments())
    assert spans == [7.0] * 6  # from p5 to p95 around each bar
    assert "against a" in fig.get_suptitle()


def test_paired_difference_chart_says_when_a_metric_is_missing():
    fig = plots.paired_difference_chart(_paired(), ["revenue_bn_yuan", "office_area_m2"])
    assert len(fig.axes) == 2
    assert "no paired differences" in fig.axes[1].texts[0].get_text()


def _costs() -> pd.DataFrame:
    row = {"through_year": 2025, "n_seeds": 3, "extra_revenue_bn_yuan": 10.0}
    kinds = {f"cost_{k}_bn_yuan": 0.0 for k in POLICY_KINDS}
    return pd.DataFrame(
        [
            {
                **row,
                **kinds,
                "scenario": "a",
                "cost_bn_yuan": 2.0,
                "extra_jobs": 4000.0,
                "cost_per_job_yuan": 500_000.0,
                "cost_talent_bn_yuan": 1.5,
                "cost_rent_reduction_bn_yuan": 0.5,
            },
            {
                **row,
                **kinds,
                "scenario": "b",
                "cost_bn_yuan": 1.0,
                "extra_jobs": -20.0,  # median over seeds; some seeds may still add jobs
                "cost_per_job_yuan": 50_000.0,
                "cost_office_supply_bn_yuan": 1.0,
            },
        ]
    )


def test_cost_per_job_bars_left_per_job_right_by_kind():
    fig = plots.cost_per_job_bars(_costs())
    left, right = fig.axes
    widths = [p.get_width() for p in left.patches if p.get_width() > 0]
    assert widths == [pytest.approx(500.0)]  # thousand yuan; b has no extra jobs
    texts = [t.get_text() for t in left.texts]
    assert any("500,000 yuan per job" in t for t in texts)
    assert any(t.strip().startswith("n/a") for t in texts)
    stacked = sorted(round(p.get_width(), 6) for p in right.patches if p.get_width() > 0)
    assert stacked == [0.5, 1.0, 1.5]


def _attribution() -> pd.DataFrame:
    rows = []
    for scenario, effects in (
        ("a", {"talent": 5.0, "rent_reduction": -1.0, "office_supply": 2.0}),
    ):
        for kind, eff in [*effects.items(), ("total", sum(effects.values()))]:
            rows.append(
                {
                    "scenario": scenario,
                    "metric": "revenue_bn_yuan",
                    "year": 2025,
                    "policy_kind": kind,
                    "effect_median": eff,
                    "effect_mean": eff,
                    "effect_p5": eff - 1,
                    "effect_p95": eff + 1,
                }
            )
    return pd.DataFrame(rows)


def test_attribution_waterfall_steps_add_up_to_the_total_bar():
    fig = plots.attribution_waterfall(_attribution(), "revenue_bn_yuan")
    (ax,) = fig.axes
    bars = [p for c in ax.containers if isinstance(c, BarContainer) for p in c]
    assert [b.get_y() for b in bars] == pytest.approx([0.0, 5.0, 7.0, 0.0])
    assert [b.get_height() for b in bars] == pytest.approx([5.0, 2.0, -1.0, 6.0])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[-1] == "whole\npackage"
    assert labels[0] == "talent"
    with pytest.raises(ValueError, match="no attribution"):
        plots.attribution_waterfall(_attribution(), "workforce")


def test_attribution_waterfall_shows_each_steps_range_over_seeds():
    """A whisker per bar from the step's start plus its 5th to plus its 95th percentile."""
    fig = plots.attribution_waterfall(_attribution(), "revenue_bn_yuan")
    (ax,) = fig.axes
    (whiskers,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segments = whiskers.lines[2][0].get_segments()
    spans = [v for seg in segments for v in (seg[0][1], seg[1][1])]
    # steps talent 5 (from 0), office 2 (from 5), rent -1 (from 7); total 6 (from 0); +-1 each
    assert spans == pytest.approx([4.0, 6.0, 6.0, 8.0, 5.0, 7.0, 5.0, 7.0])
    assert "5-95% over seeds" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_park_map_places_every_park_but_outside_and_notes_outside():
    traj = pd.concat([_frame("a", [1, 2], 24, parks=True), _frame("b", [1, 2], 24, parks=True)])
    fig = plots.park_map(traj, PARAMS, 2022, scenarios=["a", "b"])
    maps = [ax for ax in fig.axes if ax.get_title().endswith("by park")]
    assert len(maps) == 2
    n_parks = sum(p.batch != "outside" for p in PARAMS.parks)
    for ax in maps:
        (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(points.get_offsets()) == n_parks
        first = PARAMS.parks[0]
        assert tuple(points.get_offsets()[0]) == (first.x, first.y)
        sizes = points.get_sizes()
        assert sizes[0] == sizes.max()  # the synthetic first park earns most
        assert any("Outside any park" in t.get_text() for t in ax.texts)
    table = plots.park_table(traj, PARAMS, 2022)
    row = table[(table["scenario"] == "a") & (table["park"] == PARAMS.parks[0].id)].iloc[0]
    expected = aggregate(
        traj[traj["scenario"] == "a"],
        f"park.{PARAMS.parks[0].id}.revenue_bn_yuan",
        "sum_year",
        2022,
    ).median()
    assert row["revenue_bn_yuan"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="not in the run"):
        plots.park_table(traj, PARAMS, 2025)


def test_save_figure_writes_png_and_svg(tmp_path, traj):
    fig = plots.fan_chart(traj, "firms")
    written = plots.save_figure(fig, tmp_path / "sub" / "fan")
    assert [p.name for p in written] == ["fan.png", "fan.svg"]
    assert (tmp_path / "sub" / "fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "sub" / "fan.svg").read_text()
    assert "<svg" in svg and "</svg>" in svg
    assert plots.save_figure(fig, tmp_path / "one.svg") == [tmp_path / "one.svg"]
    assert not (tmp_path / "one.png").exists()
    with pytest.raises(ValueError, match="unknown figure format"):
        plots.save_figure(fig, tmp_path / "fig.jpeg")
    assert plots.figure_data_uri(fig).startswith("data:image/png;base64,iVBOR")


def test_plot_functions_are_exported_from_analysis():
    for name in (
        "fan_chart",
        "paired_difference_chart",
        "cost_per_job_bars",
        "attribution_waterfall",
        "park_map",
        "save_figure",
        "build_report",
        "write_report",
    ):
        assert name in analysis.__all__
        assert callable(getattr(analysis, name))
    with pytest.raises(AttributeError):
        analysis.no_such_function  # noqa: B018


def _year_of_span(ax, x: float) -> str:
    """The year label of the span (between two 1-January grid lines) that ``x`` falls in."""
    ax.figure.canvas.draw()
    grid = sorted(ax.xaxis.get_majorticklocs())
    labels = {round(t.get_position()[0], 6): t.get_text() for t in ax.get_xticklabels(minor=True)}
    left = max(g for g in grid if g < x)
    right = min(g for g in grid if g >= x)
    inside = [text for pos, text in labels.items() if left < pos < right and text]
    assert len(inside) == 1, (left, right, labels)
    return inside[0]


def test_a_december_target_stands_in_its_own_years_span(traj):
    fig = plots.fan_chart(traj, "revenue_bn_yuan")
    ax = fig.axes[0]
    ((x, _),) = _stars(ax)
    assert _year_of_span(ax, x) == "2025"
    # no label sits on a 1-January grid line (where Dec 2025 would read as 2026)
    assert not [t for t in ax.get_xticklabels() if t.get_text()]


def test_a_scenario_keeps_its_colour_whatever_else_is_shown(traj):
    import matplotlib.colors as mcolors

    def median_colors(fig) -> list:
        return [mcolors.to_rgb(line.get_color()) for line in fig.axes[0].lines[:2]]

    both = median_colors(plots.fan_chart(traj, "firms"))
    alone = median_colors(plots.fan_chart(traj, "firms", scenarios=["b"]))
    assert both[1] == alone[0] == pytest.approx(plots.scenario_color("b"))
    assert both[0] != both[1]
    # the shipped scenarios have fixed places; no policy is grey
    assert plots.scenario_color("talent_package") != plots.scenario_color("baseline")
    assert plots.scenario_color("no_policy") == plots.scenario_color("baseline__no_policy")


def test_paired_chart_shows_the_targets_metrics_and_keeps_a_narrow_title_inside():
    fig = plots.paired_difference_chart(_paired(), base="a")
    titles = [ax.get_title() for ax in fig.axes]
    # by default the targets' own metrics that the table has ("firms" is not one of them)
    assert len(titles) == 2 and titles[0].startswith("Revenue")
    # one panel is 6.2 inches wide: its title goes on two lines (on one it ran past both edges)
    narrow = plots.paired_difference_chart(_paired(), ["workforce"], base="a")
    assert len(narrow.get_suptitle().splitlines()) == 2
    assert len(fig.get_suptitle().splitlines()) == 1


def test_park_map_colour_scale_reaches_the_emptiest_park():
    """A park below 50% occupancy gets its own colour, not the one of a half-full park."""
    traj = _frame("a", [1, 2], 24, parks=True)
    first = PARAMS.parks[0].id
    emptied = traj["metric"] == f"park.{first}.occupancy"
    traj.loc[emptied, "value"] = 0.23
    fig = plots.park_map(traj, PARAMS, 2022, scenarios=["a"])
    (bar,) = [ax for ax in fig.axes if "occupancy of office space" in ax.get_xlabel()]
    low, high = bar.get_xlim()
    assert low == pytest.approx(0.2)
    assert high == pytest.approx(1.0)
    # the emptiest park is drawn in the colour of 0.23 on that scale, not of 0.5
    (ax,) = [ax for ax in fig.axes if ax.get_title().endswith("by park")]
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    expected = mpl.colormaps["viridis"]((0.23 - 0.2) / 0.8)
    assert tuple(points.get_facecolors()[0][:3]) == pytest.approx(expected[:3], abs=0.02)


# ------------------------------------------------------------------------------ Chinese labels


def _texts(fig: Figure) -> list[str]:
    """Every text a drawn figure shows: titles, axis and tick labels, legends, annotations."""
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


def test_chinese_plots_have_chinese_titles_and_axis_labels_and_every_glyph(traj):
    """lang='zh': Chinese titles, axis labels, park names; no glyph missing from the font."""
    import io
    import warnings

    from sim import lang

    lang.missing(clear=True)
    with_parks = _frame("a", [1, 2], parks=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fan = plots.fan_chart(traj, "revenue_bn_yuan", lang="zh")
        parks = plots.park_map(with_parks, lang="zh")
        for fig in (fan, parks):
            fig.savefig(io.BytesIO(), format="png")
    glyphs = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not glyphs, glyphs[:3]
    assert lang.missing() == set()  # every text asked for has its Chinese
    ax = fan.axes[0]
    assert ax.get_title() == "主营业务收入, 截至各月的12个月合计 (十亿元)"
    assert ax.get_ylabel() == "十亿元"
    assert any(t.startswith("2025年目标") for t in _texts(fan))
    assert parks.axes[0].get_xlabel() == "渝中以东公里数 (示意)"
    assert any("金凤软件园" in t for t in _texts(parks))
    # and the same figure in English is as it was
    assert plots.fan_chart(traj, "revenue_bn_yuan").axes[0].get_title().startswith("Revenue,")


def test_attribution_waterfall_labels_do_not_overlap_in_chinese():
    """Six Chinese kind names under seven bars at the report's size: no two labels touch."""
    kinds = [
        "office_supply",
        "application_scenarios",
        "leading_enterprises",
        "talent",
        "scale_up_awards",
        "rent_reduction",
    ]
    rows = [
        {
            "scenario": "a",
            "metric": "workforce",
            "year": 2025,
            "policy_kind": kind,
            "effect_median": 10.0 - i,
            "effect_mean": 10.0 - i,
            "effect_p5": 5.0 - i,
            "effect_p95": 15.0 - i,
        }
        for i, kind in enumerate([*kinds, "total"])
    ]
    rows[-1].update(effect_mean=45.0, effect_median=45.0, effect_p5=30.0, effect_p95=60.0)
    for scenarios in (["a"], ["a", "b"]):
        table = pd.concat(
            [pd.DataFrame(rows).assign(scenario=name) for name in scenarios], ignore_index=True
        )
        fig = plots.attribution_waterfall(table, "workforce", lang="zh")
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            if not ax.get_xticklabels():
                continue
            boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
            for left, right in pairwise(boxes):
                assert left.x1 <= right.x0, "two kind labels overlap"
