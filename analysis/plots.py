"""Figures a planner looks at: fan charts, paired differences, costs, attribution, park map.

Every function takes the tidy DataFrames that :func:`sim.run` and :func:`analysis.compare.compare`
return and gives back a :class:`matplotlib.figure.Figure` drawn with seaborn. Figures are built
without pyplot on the Agg canvas: nothing opens a window, nothing is kept in a global figure
list, and notebooks still show a returned figure. :func:`save_figure` writes PNG and SVG.
"""

from __future__ import annotations

import base64
import functools
import io
import textwrap
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter

from analysis.tables import sampled_orderings_used
from sim import lang as i18n
from sim.lang import t as tr
from sim.metrics import METRICS, is_stock
from sim.outputs import GENERATOR, output_file
from sim.params import Parameters, load_parameters
from sim.policies import LABELS as POLICY_LABELS
from sim.targets import aggregate_rule, load_observations

COUNTERFACTUAL_SUFFIX = "__no_policy"  # as analysis.compare names the same-seed no-policy run
OBSERVED_THROUGH = 2024  # observations dated later are forecasts, not observed figures
TRANSFORMS = ("auto", "level", "monthly", "trailing12", "cumulative")
FIGURE_FORMATS = (".png", ".svg", ".pdf")

# Short labels and units of the metrics a planner reads most; others fall back to sim.METRICS.
LABELS: dict[str, tuple[str, str]] = {
    "revenue_bn_yuan": ("Revenue", "bn yuan"),
    "sc_revenue_bn_yuan": ("Science City revenue", "bn yuan"),
    "workforce": ("Practitioners employed", "people"),
    "firms": ("Firms", "firms"),
    "office_area_m2": ("Office area in software parks", "m²"),
    "occupied_area_m2": ("Occupied office area", "m²"),
    "policy_cost_bn_yuan": ("Policy cost", "bn yuan"),
    "job_seekers": ("Job seekers", "people"),
    "mean_wage_yuan": ("Mean monthly wage", "yuan"),
    "sc_firms": ("Science City firms", "firms"),
    "firms_started_operating": ("Firms starting to operate (first hire)", "firms"),
    "programme_office_area_m2": ("Office space of the programme's buildings", "m²"),
    "sc_software_revenue_bn_yuan": ("Science City software business revenue", "bn yuan"),
    "software_revenue_bn_yuan": ("Software business revenue", "bn yuan"),
    "firm_registrations": ("Firms registered", "firms"),
    "firms_above_designated_size": ("Firms above designated size (>= 20 m yuan)", "firms"),
}
KIND_LABELS = {**POLICY_LABELS, "total": "total"}
TRANSFORM_NOTES = {
    "level": "month end",
    "monthly": "per month",
    "trailing12": "12-month total to each month",
    "cumulative": "cumulative since start",
}


# ---------------------------------------------------------------------------------------------
# helpers


@contextmanager
def _style(lang: str = "en") -> Iterator[None]:
    """Seaborn's white grid and a readable font size, without touching global settings.

    In Chinese the CJK font comes first (:func:`sim.lang.font_rc`; an error if it is missing).
    """
    fonts = i18n.font_rc(lang)
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.9):
        with mpl.rc_context({"axes.titleweight": "bold", "figure.dpi": 100, **fonts}):
            yield


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@functools.cache
def target_metrics() -> tuple[str, ...]:
    """The metric each stated target is read from (observations.csv's order), then the cost.

    The figures a planner looks at first: the report's fan charts and the paired differences.
    """
    obs = load_observations()
    metrics = obs.loc[obs["kind"] == "target", "metric"].astype(str)
    return (*dict.fromkeys(metrics), "policy_cost_bn_yuan")


def year_axis(
    ax: Axes, first: pd.Timestamp | None = None, last: pd.Timestamp | None = None
) -> None:
    """Years as spans: grid lines on 1 January, each year's label in the middle of its span.

    So a December figure (a target at Dec 2025) stands in the span labelled with its own year,
    not beside the next year's tick. Given the first and last dates shown, the axis runs over
    whole years, so the first and last spans carry their labels too.
    """
    if first is not None and last is not None:
        ax.set_xlim(
            pd.Timestamp(year=first.year, month=1, day=1),
            pd.Timestamp(year=last.year + 1, month=1, day=1),
        )
    ax.xaxis.set_major_locator(mdates.YearLocator(month=1, day=1))
    ax.xaxis.set_major_formatter(NullFormatter())
    ax.xaxis.set_minor_locator(mdates.YearLocator(month=7, day=1))
    ax.xaxis.set_minor_formatter(mdates.DateFormatter("%Y"))
    ax.tick_params(axis="x", which="minor", length=0)
    ax.tick_params(axis="x", which="major", length=4)


def metric_label(metric: str, lang: str = "en") -> tuple[str, str]:
    """A short label and the unit of a metric, e.g. ``("Revenue", "bn yuan")``, in ``lang``."""
    if lang != "en":
        return _metric_label_in(metric, lang)
    if metric in LABELS:
        return LABELS[metric]
    if metric.startswith("park."):
        _, park, what = metric.split(".", 2)
        base, unit = LABELS.get(what, (what.replace("_", " "), ""))
        if what == "occupancy":
            base, unit = "occupancy", "share"
        elif what == "rent_yuan_m2":
            base, unit = "rent", "yuan/m²/month"
        return f"{park}: {base}", unit
    if metric.startswith("policy_cost_") and metric.endswith("_bn_yuan"):
        kind = metric[len("policy_cost_") : -len("_bn_yuan")]
        return f"Policy cost: {KIND_LABELS.get(kind, kind)}", "bn yuan"
    text = METRICS.get(metric, metric.replace("_", " "))
    label, _, unit = text.partition(", ")
    return label[:1].upper() + label[1:], unit


def _metric_label_in(metric: str, lang: str) -> tuple[str, str]:
    """:func:`metric_label` in a language other than English (sim.lang's tables by id)."""
    english = metric_label(metric)
    if metric in i18n.METRICS:
        return i18n.METRICS[metric]
    if metric.startswith("park."):
        _, park, what = metric.split(".", 2)
        base, unit = i18n.PARK_METRICS.get(what) or i18n.METRICS.get(what) or english
        return f"{i18n.park_name(park, park, lang, short=True)}: {base}", unit
    if metric.startswith("policy_cost_") and metric.endswith("_bn_yuan"):
        kind = metric[len("policy_cost_") : -len("_bn_yuan")]
        name = i18n.kind_label(kind, KIND_LABELS.get(kind, kind), lang)
        return f"{tr('Policy cost', lang)}: {name}", i18n.unit("bn yuan", lang)
    i18n.record_missing(metric)  # recorded like any text without a translation
    return english


def kind_label(kind: str, lang: str = "en") -> str:
    """A policy kind's label (``total`` for the whole package) in ``lang``."""
    return i18n.kind_label(kind, KIND_LABELS.get(kind, kind), lang)


def _two_lines(label: str) -> str:
    """A bar's label on two lines: at its first space, or a long Chinese name near the middle.

    A Chinese name glossed in English, ``名称 (english words)``, keeps the name on one line and
    breaks the gloss too.
    """
    if not label.isascii() and " (" in label:
        name, gloss = label.split(" (", 1)
        return name + "\n(" + gloss.replace(" ", "\n", 1)
    if " " in label:
        return label.replace(" ", "\n", 1)
    if len(label) > 4 and not label.isascii():
        half = (len(label) + 2) // 4 * 2  # near the middle, between two-character words
        return label[:half] + "\n" + label[half:]
    return label


def _lower(label: str) -> str:
    """A label inside a sentence: lower case (English; Chinese has no case)."""
    return label.lower()


def display_name(scenario: str, lang: str = "en") -> str:
    """A scenario's name as shown in legends: the same-seed counterfactual is spelt out."""
    if scenario.endswith(COUNTERFACTUAL_SUFFIX):
        return tr("{name} without policies", lang, name=scenario[: -len(COUNTERFACTUAL_SUFFIX)])
    return scenario


SHIPPED_COLORS = ("baseline", "talent_package", "rent_cut_jinfeng", "double_scenarios")
"""The shipped scenarios' places in the palette: each keeps its colour in every figure."""
NO_POLICY_GREY = (0.45, 0.45, 0.45)


def scenario_color(name: str) -> tuple[float, float, float]:
    """One colour-blind-safe colour per scenario name, the same in every plot and report.

    The shipped scenarios have fixed places; any other name gets one of the remaining colours
    by a stable hash of its name; no policy (the file, or a same-seed counterfactual) is grey.
    """
    if name.endswith(COUNTERFACTUAL_SUFFIX) or name == "no_policy":
        return NO_POLICY_GREY
    palette = sns.color_palette("colorblind", 10)
    palette = [c for i, c in enumerate(palette) if i != 7]  # the palette's own grey
    if name in SHIPPED_COLORS:
        return tuple(palette[SHIPPED_COLORS.index(name)])
    rest = palette[len(SHIPPED_COLORS) :]
    return tuple(rest[zlib.crc32(name.encode("utf-8")) % len(rest)])


def _scenario_colors(names: list[str]) -> dict[str, tuple]:
    """Each scenario's colour (:func:`scenario_color`), for the names of one figure."""
    return {n: scenario_color(n) for n in names}


def _human(value: float, _pos: object = None) -> str:
    """Axis numbers for people and m²: 263k, 1.75M; small numbers as they are."""
    if not np.isfinite(value):
        return ""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.4g}k"
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _human_axis(ax: Axes) -> None:
    """Y tick labels in one style for the whole axis: all in M, all in k, or all plain."""

    def label(value: float, _pos: object = None) -> str:
        top = max(abs(v) for v in ax.get_ylim())
        if value == 0:
            return "0"
        if top >= 2e6:
            return f"{value / 1e6:,.3g}M"
        if top >= 2e4:
            return f"{value / 1e3:,.4g}k"
        return f"{value:,.0f}" if top >= 10 else f"{value:.3g}"

    ax.yaxis.set_major_formatter(FuncFormatter(label))


def fmt_value(value: float, unit: str = "", lang: str = "en") -> str:
    """A number as a planner reads it: thousands separators, a sensible number of decimals."""
    if value is None or not np.isfinite(value):
        return tr("n/a", lang)
    size = abs(value)
    if size >= 100 or value == round(value):
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.1f}" if size >= 1 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def _scenarios(frame: pd.DataFrame, scenarios: list[str] | None) -> list[str]:
    present = [str(s) for s in pd.unique(frame["scenario"].astype(str))]
    if scenarios is None:
        return present
    missing = [s for s in scenarios if s not in present]
    if missing:
        raise ValueError(f"scenario(s) {missing} not in the data (have {present})")
    return list(scenarios)


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


# ---------------------------------------------------------------------------------------------
# fan chart


def _series(trajectories: pd.DataFrame, metric: str, transform: str) -> pd.DataFrame:
    """Per scenario, replicate and month: the metric after ``transform``."""
    sub = trajectories[trajectories["metric"] == metric]
    sub = sub[["scenario", "replicate", "date", "value"]].assign(
        scenario=sub["scenario"].astype(str)
    )
    sub = sub.sort_values(["scenario", "replicate", "date"])
    grouped = sub.groupby(["scenario", "replicate"], sort=False)["value"]
    if transform == "trailing12":
        sub["value"] = grouped.transform(lambda v: v.rolling(12, min_periods=12).sum())
    elif transform == "cumulative":
        sub["value"] = grouped.cumsum()
    return sub


def _auto_transform(metric: str, targets: pd.DataFrame) -> str:
    if is_stock(metric):
        return "level"
    mine = targets[targets["metric"] == metric]
    rules = [aggregate_rule(a) for a in mine["aggregate"]]
    if any(r.is_yearly_total for r in rules):
        return "trailing12"
    if metric.startswith("policy_cost") or any(r.kind == "sum" for r in rules):
        return "cumulative"
    return "monthly"


def _target_rows(targets: pd.DataFrame | None) -> pd.DataFrame:
    """The stated targets with their aggregate, from the observations or a targets table."""
    obs = load_observations()
    if targets is None:
        return obs[obs["kind"] == "target"]
    if "aggregate" in targets.columns:
        rows = targets[targets["kind"] == "target"] if "kind" in targets.columns else targets
        return rows
    ids = targets["target_id"] if "target_id" in targets.columns else targets["id"]
    return obs[(obs["kind"] == "target") & obs["id"].isin(ids)]


def _mark_targets(
    ax: Axes,
    series: pd.DataFrame,
    metric: str,
    transform: str,
    targets: pd.DataFrame,
    lang: str = "en",
) -> list[Line2D]:
    """Draw each stated target of ``metric`` in the chart's own terms; return legend handles."""
    handles = []
    start = series["date"].min()
    for t in targets[targets["metric"] == metric].itertuples():
        when = pd.Timestamp(year=int(t.year), month=12, day=1)
        line_start = start
        unit = metric_label(metric, lang)[1]
        value = float(t.value)
        sign = ">" if t.comparison == ">" else "≥"
        rule = aggregate_rule(t.aggregate)
        if rule.is_yearly_total and transform == "trailing12":
            label = tr(
                "{year} target: {sign} {value} in the calendar year "
                "(= the 12-month total at Dec {year})",
                lang,
                year=t.year,
                sign=sign,
                value=fmt_value(value, unit),
            )
        elif rule.is_yearly_total and transform == "monthly":
            value = value / 12
            label = tr(
                "{year} target ÷ 12: {value} a month on average",
                lang,
                year=t.year,
                value=fmt_value(value, unit),
            )
        elif rule.kind == "change":
            base_month = pd.Timestamp(year=rule.base_year, month=12, day=1)
            at_base = series[series["date"] == base_month]["value"]
            if at_base.empty or transform != "level":
                continue
            base = float(at_base.median())
            value = base + float(t.value)
            label = tr(
                "{year} target: Dec {base_year} ({base}, median) + {added} = {value}",
                lang,
                year=t.year,
                base_year=rule.base_year,
                base=_human(base),
                added=fmt_value(float(t.value)),
                value=fmt_value(value, unit),
            )
        elif rule.kind == "sum" and transform == "cumulative":
            # a sum over several years: the running total at Dec of the year before, plus it
            base_month = pd.Timestamp(year=rule.first_year - 1, month=12, day=1)
            at_base = series[series["date"] == base_month]["value"]
            base = float(at_base.median()) if not at_base.empty else 0.0
            if at_base.empty and base_month >= start:
                continue
            value = base + float(t.value)
            line_start = max(start, base_month)  # the line runs over the years it counts
            label = tr(
                "{year} target: {sign} {value} in {first}-{year}",
                lang,
                year=t.year,
                sign=sign,
                value=fmt_value(float(t.value), unit),
                first=rule.first_year,
            ) + (
                tr(
                    " (on top of {base} by Dec {before}, median)",
                    lang,
                    base=_human(base),
                    before=rule.first_year - 1,
                )
                if base
                else ""
            )
        elif rule.is_level and transform == "level":
            label = tr(
                "{year} target: {sign} {value} in Dec {year}",
                lang,
                year=t.year,
                sign=sign,
                value=fmt_value(value, unit),
            )
        else:
            continue  # e.g. a yearly total has no honest place on a cumulative chart
        ax.hlines(value, line_start, when, colors="#b2182b", linestyles="--", linewidth=1.3)
        ax.plot([when], [value], marker="*", markersize=15, color="#b2182b", zorder=5)
        handles.append(
            Line2D([], [], color="#b2182b", linestyle="--", marker="*", markersize=11, label=label)
        )
    return handles


def _mark_observations(ax: Axes, metric: str, transform: str, lang: str = "en") -> list[Line2D]:
    """Observed figures of ``metric`` (up to 2024) where the chart shows them like for like."""
    obs = load_observations()
    obs = obs[
        (obs["kind"] == "observation")
        & (obs["metric"] == metric)
        & (obs["year"] <= OBSERVED_THROUGH)
    ]
    handles = []
    for o in obs.itertuples():
        rule = aggregate_rule(o.aggregate)
        like = (rule.is_yearly_total and transform == "trailing12") or (
            rule.is_level and transform == "level"
        )
        if not like:
            continue
        when = pd.Timestamp(year=int(o.year), month=12, day=1)
        ax.plot([when], [o.value], marker="D", markersize=8, color="black", zorder=6)
        handles.append(
            Line2D(
                [],
                [],
                color="black",
                marker="D",
                linestyle="none",
                label=tr(
                    "observed {year}: {value}",
                    lang,
                    year=o.year,
                    value=fmt_value(float(o.value), i18n.unit(str(o.unit), lang)),
                ),
            )
        )
    return handles


def fan_chart(
    trajectories: pd.DataFrame,
    metric: str,
    targets: pd.DataFrame | None = None,
    *,
    scenarios: list[str] | None = None,
    transform: str = "auto",
    lang: str = "en",
) -> Figure:
    """How a metric may evolve: median and 25-75% / 10-90% bands over replicates, per scenario.

    Args:
        trajectories: long table ``scenario, replicate, seed, date, metric, value``.
        metric: the metric to show.
        targets: the stated targets to mark (the observations table or a run's targets.csv);
            None marks the shipped 2025 targets, an empty table marks none.
        scenarios: scenarios to show, in this order (default: all in the table).
        transform: ``level`` (stocks), ``monthly`` (flows as recorded), ``trailing12`` (the
            12-month total to each month: at December it is the calendar-year total, the
            measure of the revenue targets), ``cumulative``; ``auto`` picks ``level`` for
            stocks, ``trailing12`` for flows with a yearly target, ``cumulative`` for costs.
        lang: the labels' language (:data:`sim.lang.LANGS`).

    Returns:
        A figure with one axes. Targets are drawn as a dashed line ending in a star at December
        of the target year; observed figures shown like for like as black diamonds.

    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    if metric not in set(trajectories["metric"].astype(str).unique()):
        raise ValueError(f"metric {metric!r} is not in the trajectories")
    names = _scenarios(trajectories, scenarios)
    stated = _target_rows(None)
    target_rows = stated.iloc[0:0] if targets is not None and targets.empty else stated
    if targets is not None and not targets.empty:
        target_rows = _target_rows(targets)
    if transform == "auto":  # the same view whether or not targets are marked
        transform = _auto_transform(metric, stated)
        if transform == "trailing12" and trajectories["date"].nunique() < 12:
            transform = "monthly"  # too short a run for a 12-month total
    series = _series(
        trajectories[trajectories["scenario"].astype(str).isin(names)], metric, transform
    )
    series = series.dropna(subset=["value"])
    q = (
        series.groupby(["scenario", "date"])["value"]
        .quantile([0.1, 0.25, 0.5, 0.75, 0.9])
        .unstack()
        .reset_index()
        .rename(columns={0.1: "p10", 0.25: "p25", 0.5: "p50", 0.75: "p75", 0.9: "p90"})
    )
    n_reps = series.groupby("scenario")["replicate"].nunique()
    label, unit = metric_label(metric, lang)
    how = tr(TRANSFORM_NOTES[transform], lang)
    colors = _scenario_colors(names)
    with _style(lang):
        fig = _figure(10, 6.0)
        ax = fig.add_subplot()
        if q.empty:
            _no_data(
                ax, tr("no values of {metric} ({how}) in this run", lang, metric=metric, how=how)
            )
            ax.set_title(f"{label}, {how} ({unit})")
            return fig
        q["shown"] = q["scenario"].map(lambda n: display_name(n, lang))
        shown_colors = {display_name(n, lang): colors[n] for n in names}
        for name in names:
            part = q[q["scenario"] == name]
            ax.fill_between(
                part["date"], part["p10"], part["p90"], color=colors[name], alpha=0.15, lw=0
            )
            ax.fill_between(
                part["date"], part["p25"], part["p75"], color=colors[name], alpha=0.3, lw=0
            )
        sns.lineplot(
            data=q,
            x="date",
            y="p50",
            hue="shown",
            hue_order=[display_name(n, lang) for n in names],
            palette=shown_colors,
            linewidth=2,
            errorbar=None,
            ax=ax,
            legend=False,
        )
        handles = [
            Line2D(
                [],
                [],
                color=colors[n],
                lw=2,
                label=tr("{name} (median)", lang, name=display_name(n, lang)),
            )
            for n in names
        ]
        handles += [
            Patch(color="0.55", alpha=0.45, label=tr("25-75% of replicates", lang)),
            Patch(color="0.55", alpha=0.18, label=tr("10-90% of replicates", lang)),
        ]
        handles += _mark_targets(ax, series, metric, transform, target_rows, lang)
        handles += _mark_observations(ax, metric, transform, lang)
        fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
        _human_axis(ax)
        year_axis(ax, q["date"].min(), q["date"].max())
        ax.set_xlabel("")
        ax.set_ylabel(unit)
        reps = ", ".join(sorted({str(n) for n in n_reps.to_numpy()}))
        ax.set_title(f"{label}, {how} ({unit})")
        plural = "" if reps == "1" else "s"
        fig.suptitle(
            tr("{reps} replicate{plural} per scenario", lang, reps=reps, plural=plural),
            fontsize=8,
            x=0.99,
            ha="right",
        )
        ax.set_ylim(bottom=0 if (q["p10"] >= 0).all() else None)
    return fig


# ---------------------------------------------------------------------------------------------
# paired differences


def paired_difference_chart(
    paired: pd.DataFrame,
    metrics: list[str] | None = None,
    *,
    base: str | None = None,
    years: list[int] | None = None,
    lang: str = "en",
) -> Figure:
    """The difference each scenario makes against the base, seed by seed, per year.

    Args:
        paired: the paired-differences table (``scenario, metric, year, diff_median, diff_p5,
            diff_p95``) of :func:`analysis.tables.paired_differences`.
        metrics: one panel per metric (default :func:`target_metrics`, those in the table).
        base: the base scenario's name, for the title.
        years: years to show (default all).
        lang: the labels' language.

    Returns:
        A figure with one axes per metric: bars at the median difference, whiskers from the 5th
        to the 95th percentile of the per-seed differences (flows: year totals; stocks:
        December).

    """
    metrics = metrics or [m for m in target_metrics() if m in set(paired["metric"].astype(str))]
    table = paired.assign(
        scenario=paired["scenario"].astype(str), metric=paired["metric"].astype(str)
    )
    if years is not None:
        table = table[table["year"].isin(years)]
    names = list(pd.unique(table["scenario"]))
    colors = _scenario_colors(names)
    ncols = min(2, len(metrics))
    nrows = int(np.ceil(len(metrics) / ncols))
    with _style(lang):
        fig = _figure(6.2 * ncols, 3.6 * nrows + 0.4)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax in axes[len(metrics) :]:
            ax.remove()
        for ax, metric in zip(axes, metrics, strict=False):
            part = table[table["metric"] == metric].sort_values(["year", "scenario"])
            label, unit = metric_label(metric, lang)
            how = tr("December" if is_stock(metric) else "year total", lang)
            ax.set_title(f"{label} ({unit}, {how})", fontsize=10)
            if part.empty:
                _no_data(ax, tr("no paired differences for {metric}", lang, metric=metric))
                continue
            year_order = sorted(part["year"].unique())
            sns.barplot(
                data=part,
                x="year",
                y="diff_median",
                hue="scenario",
                hue_order=names,
                order=year_order,
                palette=colors,
                errorbar=None,
                ax=ax,
                legend=False,
            )
            for container, name in zip(ax.containers, names, strict=False):
                rows = part[part["scenario"] == name].set_index("year").reindex(year_order)
                xs = [bar.get_x() + bar.get_width() / 2 for bar in container]
                ax.errorbar(
                    xs,
                    rows["diff_median"],
                    yerr=[
                        rows["diff_median"] - rows["diff_p5"],
                        rows["diff_p95"] - rows["diff_median"],
                    ],
                    fmt="none",
                    ecolor="0.2",
                    elinewidth=1,
                    capsize=2,
                )
            ax.axhline(0, color="0.2", lw=0.8)
            _human_axis(ax)
            ax.set_xlabel("")
            ax.set_ylabel(unit)
            ax.tick_params(axis="x", labelsize=8)
        handles = [Patch(color=colors[n], label=display_name(n, lang)) for n in names]
        handles.append(
            Line2D([], [], color="0.2", lw=1, label=tr("5-95% of per-seed differences", lang))
        )
        fig.legend(
            handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=9
        )
        against = (
            tr(" against {base}", lang, base=base)
            if base
            else tr(" against the base scenario", lang)
        )
        # one column is narrow: the title goes on two lines rather than past the edges
        sep = "\n" if ncols == 1 else " "
        fig.suptitle(
            tr(
                "Difference{against}, same seeds{sep}(median and 90% interval)",
                lang,
                against=against,
                sep=sep,
            ),
            fontweight="bold",
        )
    return fig


# ---------------------------------------------------------------------------------------------
# costs


def cost_per_job_bars(costs: pd.DataFrame, *, lang: str = "en") -> Figure:
    """What the money buys: cost per extra job, and the cost split by policy kind.

    Args:
        costs: the cost ledger of :func:`analysis.tables.cost_ledger` (one row per scenario,
            against the same-seed run without policies).
        lang: the labels' language.

    Returns:
        A figure with two axes: left, cumulative policy cost per extra practitioner (yuan,
        median over seeds; missing where the package adds no jobs); right, cumulative cost by
        policy kind (bn yuan).

    """
    table = costs.assign(scenario=costs["scenario"].astype(str)).reset_index(drop=True)
    names = list(table["scenario"])
    colors = _scenario_colors(names)
    year = int(table["through_year"].max()) if not table.empty else None
    kinds = [
        c[len("cost_") : -len("_bn_yuan")]
        for c in table.columns
        if c.startswith("cost_") and c.endswith("_bn_yuan") and c != "cost_bn_yuan"
    ]
    with _style(lang):
        fig = _figure(12, 1.6 + 0.9 * max(len(names), 1))
        left, right = fig.subplots(1, 2)
        if table.empty:
            _no_data(left, tr("no scenario with policies", lang))
            _no_data(right, tr("no scenario with policies", lang))
            return fig
        adds_jobs = table["extra_jobs"] > 0  # a cost per job only where jobs are added
        per_job = table.assign(k_yuan=table["cost_per_job_yuan"].where(adds_jobs) / 1e3)
        sns.barplot(
            data=per_job,
            y="scenario",
            x="k_yuan",
            hue="scenario",
            order=names,
            hue_order=names,
            palette=colors,
            ax=left,
            legend=False,
        )
        top = (
            np.nanmax(per_job["k_yuan"].to_numpy(dtype=float))
            if per_job["k_yuan"].notna().any()
            else 1.0
        )
        for i, r in enumerate(per_job.itertuples()):
            if np.isfinite(r.k_yuan):
                text = tr(
                    " {per_job} yuan per job\n ({jobs} extra jobs, {cost} bn yuan)",
                    lang,
                    per_job=f"{r.cost_per_job_yuan:,.0f}",
                    jobs=fmt_value(r.extra_jobs),
                    cost=f"{r.cost_bn_yuan:,.1f}",
                )
                x = r.k_yuan
            else:
                text = tr(" n/a: no extra jobs ({jobs})", lang, jobs=fmt_value(r.extra_jobs))
                x = 0
            left.text(x, i, text, va="center", fontsize=8)
        left.set_xlim(0, top * 1.9)
        left.set_xlabel(
            tr("cost per extra practitioner in Dec {year}, thousand yuan", lang, year=year)
        )
        left.set_ylabel("")
        left.set_title(
            tr("Policy cost to {year} per extra job, against no policy", lang, year=year),
            fontsize=10,
        )
        # the cost split by kind, stacked, each piece labelled: inside it where it is wide
        # enough, otherwise listed after the bar (thin pieces are otherwise unreadable)
        shown = [k for k in kinds if (table[f"cost_{k}_bn_yuan"] > 0).any()]
        kind_colors = dict(zip(shown, sns.color_palette("Set2", len(shown)), strict=True))
        widest = float(table["cost_bn_yuan"].max()) or 1.0
        for i, r in enumerate(table.itertuples()):
            left_edge, small = 0.0, []
            for kind in shown:
                cost = float(getattr(r, f"cost_{kind}_bn_yuan"))
                if cost <= 0:
                    continue
                name = kind_label(kind, lang)
                right.barh(i, cost, left=left_edge, height=0.7, color=kind_colors[kind])
                if cost >= 0.12 * widest:
                    right.text(
                        left_edge + cost / 2,
                        i,
                        f"{cost:,.1f}",
                        ha="center",
                        va="center",
                        fontsize=7.5,
                    )
                else:
                    small.append(f"{name} {cost:,.2g}")
                left_edge += cost
            wrapped = textwrap.wrap("; ".join(small), 38 if lang == "en" else 22)
            note = tr(" {cost} bn yuan", lang, cost=f"{left_edge:,.1f}") + "".join(
                f"\n {line}" for line in wrapped
            )
            right.text(left_edge, i, note, va="center", fontsize=7.5)
        right.set_yticks(range(len(names)), names)
        right.set_ylim(len(names) - 0.5, -0.5)
        right.set_xlim(0, widest * 1.9)
        right.set_xlabel(tr("cumulative policy cost to Dec {year}, bn yuan", lang, year=year))
        right.set_ylabel("")
        right.set_title(tr("Where the money goes, to {year}", lang, year=year), fontsize=10)
        if shown:
            handles = [Patch(color=kind_colors[k], label=kind_label(k, lang)) for k in shown]
            right.legend(
                handles=handles,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.16 - 0.25 / max(len(names), 1)),
                ncol=min(4, len(shown)),
                title=tr("policy kind", lang),
                fontsize=8,
                title_fontsize=8,
                frameon=False,
            )
    return fig


# ---------------------------------------------------------------------------------------------
# attribution


def attribution_waterfall(
    attribution: pd.DataFrame,
    metric: str,
    *,
    scenarios: list[str] | None = None,
    lang: str = "en",
) -> Figure:
    """What does the work: the package's effect built up policy kind by policy kind.

    Each policy kind's Shapley value (mean over seeds) is a step from the running sum, with its
    5-95% range over seeds as a whisker where the step ends; the last bar is the whole
    package's effect against no policy, from zero. Means are used
    because Shapley values add up to the total seed by seed, so their means add up exactly.

    Args:
        attribution: the table of :func:`analysis.attribution.attribution` (``scenario,
            metric, year, policy_kind, effect_mean, effect_p5, effect_p95``; ``total`` rows).
        metric: the metric whose effect is split.
        scenarios: one panel per scenario (default: all in the table).
        lang: the labels' language.

    Returns:
        A figure with one axes per scenario.

    """
    table = attribution.assign(
        scenario=attribution["scenario"].astype(str), metric=attribution["metric"].astype(str)
    )
    table = table[table["metric"] == metric]
    if table.empty:
        raise ValueError(f"no attribution for metric {metric!r}")
    names = _scenarios(table, scenarios)
    label, unit = metric_label(metric, lang)
    year = int(table["year"].iloc[0])
    with _style(lang):
        fig = _figure(max(7.0, 5.5 * len(names)), 4.8)
        axes = fig.subplots(1, len(names), squeeze=False).ravel()
        for ax, name in zip(axes, names, strict=True):
            part = table[table["scenario"] == name]
            kinds = part[part["policy_kind"] != "total"].sort_values("effect_mean", ascending=False)
            total = float(part.loc[part["policy_kind"] == "total", "effect_mean"].sum())
            steps = kinds["effect_mean"].to_numpy(dtype=float)
            starts = np.concatenate([[0.0], np.cumsum(steps)[:-1]])
            labels = [_two_lines(kind_label(k, lang)) for k in kinds["policy_kind"]]
            whole = part[part["policy_kind"] == "total"]
            frame = pd.DataFrame(
                {
                    "kind": [*labels, tr("whole\npackage", lang)],
                    "height": [*steps, total],
                    "start": [*starts, 0.0],
                    "p5": [*kinds["effect_p5"], whole["effect_p5"].sum()],
                    "p95": [*kinds["effect_p95"], whole["effect_p95"].sum()],
                }
            )
            colors = ["#1a9850" if h >= 0 else "#d73027" for h in steps] + ["#2c5d8a"]
            sns.barplot(
                data=frame,
                x="kind",
                y="height",
                hue="kind",
                palette=colors,
                ax=ax,
                legend=False,
                errorbar=None,
            )
            bars = [bar for container in ax.containers for bar in container]
            for bar, row in zip(bars, frame.itertuples(), strict=True):
                bar.set_y(row.start)
                bar.set_height(row.height)
                end = row.start + row.height
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    max(end, row.start, row.start + row.p95),  # above the bar and its whisker
                    f"{row.height:+,.1f}" if abs(row.height) < 100 else f"{row.height:+,.0f}",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
            # each step's 5-95% range over seeds, drawn where the step ends
            ax.errorbar(
                np.arange(len(frame)),
                frame["start"] + frame["height"],
                yerr=[frame["height"] - frame["p5"], frame["p95"] - frame["height"]],
                fmt="none",
                ecolor="0.15",
                elinewidth=0.9,
                capsize=3,
                label=tr("5-95% over seeds", lang),
            )
            for i in range(len(frame) - 1):  # connectors between steps
                end = frame["start"].iloc[i] + frame["height"].iloc[i]
                ax.plot([i + 0.4, i + 0.6], [end, end], color="0.4", lw=0.8)
            low = min(
                0.0,
                float((frame["start"] + frame["p5"]).min()),
                float(frame["start"].min()),
            )
            high = max(
                float((frame["start"] + frame["p95"]).max()), float(frame["start"].max()), 0.0
            )
            pad = 0.12 * (high - low or 1.0)
            ax.set_ylim(low - (pad if low < 0 else 0), high + pad)
            ax.axhline(0, color="0.2", lw=0.8)
            _human_axis(ax)
            ax.set_xlabel("")
            ax.set_ylabel(
                tr(
                    "effect on {what} in {year}, {unit}",
                    lang,
                    what=_lower(label),
                    year=year,
                    unit=unit,
                )
            )
            ax.tick_params(axis="x", labelsize=8)
            ax.set_title(display_name(name, lang), fontsize=10)
            ax.legend(loc="best", fontsize=7, frameon=False)
        how = tr("December" if is_stock(metric) else "year total", lang)
        sampled = sampled_orderings_used(table)
        fig.suptitle(
            tr(
                "What does the work: {what} in {year} ({how}) against no policy,\nsplit by "
                "policy kind (Shapley values estimated from {m} sampled orderings, mean over "
                "seeds)",
                lang,
                what=_lower(label),
                year=year,
                how=how,
                m=sampled,
            )
            if sampled
            else tr(
                "What does the work: {what} in {year} ({how}) against no policy,\nsplit by "
                "policy kind (Shapley values, mean over seeds)",
                lang,
                what=_lower(label),
                year=year,
                how=how,
            ),
            fontweight="bold",
            fontsize=10,
        )
    return fig


# ---------------------------------------------------------------------------------------------
# park map


def _short(name: str) -> str:
    for cut in (" (", ", "):
        name = name.split(cut)[0]
    return name.replace("Industrial ", "").replace("International ", "")


def park_table(
    trajectories: pd.DataFrame, params: Parameters | None = None, year: int | None = None
) -> pd.DataFrame:
    """Per scenario and park: revenue in ``year`` (sum), firms and occupancy in December.

    Medians over replicates; ``year`` defaults to the last year of the run, at most 2025.
    Returns columns ``scenario, park, name, x, y, science_city, batch, revenue_bn_yuan, firms,
    occupancy``.
    """
    params = params or load_parameters()
    years = trajectories["date"].dt.year
    year = year if year is not None else int(min(2025, years.max()))
    if year not in set(years.unique()):
        raise ValueError(f"year {year} is not in the run ({years.min()}-{years.max()})")
    sub = trajectories[(years == year) & trajectories["metric"].astype(str).str.startswith("park.")]
    sub = sub.assign(scenario=sub["scenario"].astype(str), metric=sub["metric"].astype(str))
    parts = sub["metric"].str.split(".", n=2, expand=True)
    sub = sub.assign(park=parts[1], what=parts[2])
    revenue = (
        sub[sub["what"] == "revenue_bn_yuan"]
        .groupby(["scenario", "park", "replicate"])["value"]
        .sum()
    )
    december = sub[
        (sub["date"].dt.month == sub["date"].dt.month.max())
        & sub["what"].isin(["firms", "occupancy"])
    ]
    levels = december.pivot_table(
        index=["scenario", "park", "replicate"], columns="what", values="value"
    )
    per_rep = levels.join(revenue.rename("revenue_bn_yuan"), how="outer")
    med = per_rep.groupby(["scenario", "park"]).median().reset_index()
    info = pd.DataFrame(
        [
            {
                "park": p.id,
                "name": p.name,
                "x": p.x,
                "y": p.y,
                "science_city": p.science_city,
                "batch": p.batch,
            }
            for p in params.parks
        ]
    )
    out = med.merge(info, on="park", how="inner")
    out["year"] = year
    out["order"] = out["park"].map({pid: i for i, pid in enumerate(params.park_ids)})
    out = out.sort_values(["scenario", "order"], ignore_index=True)
    cols = [
        "scenario",
        "park",
        "name",
        "x",
        "y",
        "science_city",
        "batch",
        "year",
        "revenue_bn_yuan",
        "firms",
        "occupancy",
    ]
    return out[cols]


def _label_directions(params: Parameters) -> dict[str, tuple[float, float]]:
    """Per park, a unit vector pointing away from its neighbours (nearer ones weigh more)."""
    parks = [p for p in params.parks if p.batch != "outside"]
    xy = np.array([(p.x, p.y) for p in parks], dtype=float)
    out = {}
    for i, p in enumerate(parks):
        delta = xy[i] - np.delete(xy, i, axis=0)
        d2 = np.maximum((delta**2).sum(axis=1), 1e-9)
        push = (delta / d2[:, None]).sum(axis=0)
        norm = float(np.hypot(*push))
        out[p.id] = (push[0] / norm, push[1] / norm) if norm > 0 else (0.7071, 0.7071)
    return out


def park_map(
    trajectories: pd.DataFrame,
    params: Parameters | None = None,
    year: int | None = None,
    *,
    scenarios: list[str] | None = None,
    lang: str = "en",
) -> Figure:
    """Where the revenue is: parks at their schematic positions, sized by revenue.

    Positions are the parks' ``x, y`` (km, schematic, from the parameter file); no map tiles.
    Marker area is proportional to the park's revenue in ``year`` (median over replicates),
    colour is its occupancy in December; Science City parks are diamonds. Each park carries a
    number (named in the key) and its revenue. Firms outside any park have no place on the
    map and are given in a note.

    Args:
        trajectories: long table with the ``park.<id>.*`` metrics.
        params: parameters with the parks (default: the shipped parameter file).
        year: the year shown (default: last of the run, at most 2025).
        scenarios: one panel per scenario (default: all in the table).
        lang: the labels' language.

    Returns:
        A figure with one map axes per scenario, a key axes and a colour bar.

    """
    params = params or load_parameters()
    table = park_table(trajectories, params, year)
    names = _scenarios(trajectories, scenarios)
    year = int(table["year"].iloc[0])
    parks = table[table["batch"] != "outside"]
    outside = table[table["batch"] == "outside"]
    order = [p.id for p in params.parks if p.batch != "outside"]
    number = {pid: i + 1 for i, pid in enumerate(order)}
    top = float(parks["revenue_bn_yuan"].max()) if not parks.empty else 1.0
    top = top if top > 0 else 1.0
    smallest, largest = 60.0, 1600.0  # marker areas, points²

    def area(revenue: float) -> float:
        return smallest + (largest - smallest) * max(revenue, 0.0) / top

    away = _label_directions(params)
    # the colour scale starts at 50% occupancy, or lower (in tenths) when a park is emptier
    emptiest = float(np.nanmin(parks["occupancy"])) if parks["occupancy"].notna().any() else 0.5
    norm = mpl.colors.Normalize(vmin=min(0.5, np.floor(max(emptiest, 0.0) * 10) / 10), vmax=1.0)
    with _style(lang):
        fig = _figure(6.4 * len(names) + 3.6, 7.4)
        grid = fig.add_gridspec(1, len(names) + 1, width_ratios=[1.0] * len(names) + [0.55])
        axes = [fig.add_subplot(grid[0, i]) for i in range(len(names))]
        key = fig.add_subplot(grid[0, -1])
        for ax, name in zip(axes, names, strict=True):
            mine = parks[parks["scenario"] == name].copy()
            mine["where"] = np.where(mine["science_city"], "Science City park", "other park")
            mine["area"] = mine["revenue_bn_yuan"].map(area)
            sns.scatterplot(
                data=mine,
                x="x",
                y="y",
                size="area",
                sizes=(mine["area"].min(), mine["area"].max()) if len(mine) > 1 else None,
                hue="occupancy",
                hue_norm=norm,
                palette="viridis",
                style="where",
                markers={"Science City park": "D", "other park": "o"},
                style_order=["other park", "Science City park"],
                edgecolor="0.15",
                linewidth=0.8,
                alpha=0.8,
                legend=False,
                ax=ax,
                zorder=3,
            )
            for r in mine.itertuples():
                ax.annotate(
                    str(number[r.park]),
                    (r.x, r.y),
                    ha="center",
                    va="center",
                    fontsize=9,
                    fontweight="bold",
                    color="white" if r.occupancy < 0.8 else "black",
                    zorder=4,
                )
                dx, dy = away[r.park]
                reach = 0.5 * np.sqrt(r.area) + 3
                ax.annotate(
                    tr(
                        "{revenue} bn",
                        lang,
                        revenue=f"{r.revenue_bn_yuan:,.0f}"
                        if r.revenue_bn_yuan >= 10
                        else f"{r.revenue_bn_yuan:.1f}",
                    ),
                    (r.x, r.y),
                    xytext=(reach * dx, reach * dy),
                    textcoords="offset points",
                    ha="left" if dx > 0.3 else "right" if dx < -0.3 else "center",
                    va="bottom" if dy > 0.3 else "top" if dy < -0.3 else "center",
                    fontsize=8.5,
                    color="0.15",
                    zorder=4,
                )
            out = outside[outside["scenario"] == name]
            total = float(table.loc[table["scenario"] == name, "revenue_bn_yuan"].sum())
            if not out.empty and total > 0:
                o = out.iloc[0]
                note = tr(
                    "Outside any park (not on the map):\n{revenue} bn yuan "
                    "({share} of revenue), {firms} firms",
                    lang,
                    revenue=f"{o.revenue_bn_yuan:,.1f}",
                    share=f"{o.revenue_bn_yuan / total:.0%}",
                    firms=f"{o.firms:,.0f}",
                )
                ax.text(
                    0.02,
                    0.02,
                    note,
                    transform=ax.transAxes,
                    fontsize=9,
                    va="bottom",
                    bbox={"fc": "white", "ec": "0.7"},
                )
            ax.set_title(
                tr(
                    "{name}: revenue in {year} by park",
                    lang,
                    name=display_name(name, lang),
                    year=year,
                ),
                fontsize=11,
            )
            ax.set_xlabel(tr("km east of Yuzhong (schematic)", lang))
            ax.set_ylabel(tr("km north (schematic)", lang))
            ax.set_aspect("equal", adjustable="datalim")
            ax.margins(0.1)
        key.axis("off")
        sizes = [top / 4, top / 2, top]
        handles = [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                markerfacecolor="0.85",
                markeredgecolor="0.2",
                markersize=np.sqrt(area(s)),
                label=tr("{revenue} bn yuan", lang, revenue=f"{s:,.0f}"),
            )
            for s in sizes
        ]
        handles += [
            Line2D([], [], marker="o", linestyle="none", color="0.5", label=tr("other park", lang)),
            Line2D(
                [],
                [],
                marker="D",
                linestyle="none",
                color="0.5",
                label=tr("Science City park", lang),
            ),
        ]
        key.legend(
            handles=handles,
            loc="upper left",
            title=tr("revenue in {year}", lang, year=year),
            labelspacing=2.4,
            handletextpad=2.0,
            borderpad=1.0,
            fontsize=9,
            title_fontsize=10,
            frameon=False,
        )
        lines = [
            f"{number[pid]:>2}  {i18n.park_name(pid, _short(p.name), lang, short=True)}"
            for p in params.parks
            if (pid := p.id) in number
        ]
        key.text(
            0.0,
            0.5,
            "\n".join(lines),
            va="top",
            ha="left",
            fontsize=9.5,
            transform=key.transAxes,
            family=i18n.mono_family(lang),
        )
        fig.colorbar(
            mpl.cm.ScalarMappable(norm=norm, cmap="viridis"),
            ax=axes,
            label=tr("occupancy of office space, Dec {year}", lang, year=year),
            location="bottom",
            shrink=0.5,
            aspect=40,
        )
    return fig


# ---------------------------------------------------------------------------------------------
# output


def figure_paths(path: str | Path) -> list[Path]:
    """The files :func:`save_figure` writes for ``path``: itself, or .png and .svg if no suffix."""
    path = Path(path)
    if path.suffix.lower() in FIGURE_FORMATS:
        return [path]
    if path.suffix:
        raise ValueError(f"unknown figure format {path.suffix!r}; use one of {FIGURE_FORMATS}")
    return [path.with_suffix(".png"), path.with_suffix(".svg")]


def save_figure(
    fig: Figure, path: str | Path, *, dpi: int = 150, force: bool = False
) -> list[Path]:
    """Write a figure as PNG and SVG (``path`` without suffix) or in the format of its suffix.

    Returns the paths written. Each file names cqsim as its creator (so a later call may
    replace it; a file cqsim did not write is replaced only with ``force``), and metadata that
    would change from run to run (date, software version) is left out, so the same figure
    gives the same file.
    """
    targets = figure_paths(path)
    for target in targets:
        fmt = target.suffix.lower()[1:]
        meta = {
            "png": {"Software": GENERATOR},
            "svg": {"Creator": GENERATOR, "Date": None},
            "pdf": {"Creator": GENERATOR, "Producer": None, "CreationDate": None},
        }[fmt]
        with output_file(target, force=force) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
    return targets


def figure_data_uri(fig: Figure, *, dpi: int = 110) -> str:
    """The figure as a PNG ``data:`` URI, to embed in a self-contained HTML page."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
