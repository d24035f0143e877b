"""What the app's figures show, and their PNG downloads, drawn with matplotlib's Agg canvas.

No JavaScript charting library and nothing from the network: each trajectory chart shows every
ensemble's median and 10-90% band with the stated target (:func:`band_lines`); the parks' map
their revenue and occupancy (:func:`park_state`). The page shows them as SVG
(:mod:`sim.app.svg`); :func:`band_figure` and :func:`park_figure` draw the same as PNG.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from sim import lang as i18n
from sim.app.live import Trajectory, parameters, stated_targets
from sim.lang import t as tr
from sim.targets import aggregate_rule

CRISP_DPI = 200  # twice the pixels the page shows: crisp at a device-pixel ratio of 2
TARGET_COLOR = "#b2182b"
RUN_COLOR = "#0072b2"
BASE_COLOR = "0.35"
HEADROOM = 1.08  # the y axis reaches this far above the highest value shown
# (metric, how it is shown, title)
CHARTS = [
    ("revenue_bn_yuan", "trailing12", "Revenue in the last 12 months (bn yuan)"),
    (
        "sc_software_revenue_bn_yuan",
        "trailing12",
        "Science City software revenue, last 12 months (bn yuan)",
    ),
    ("workforce", "level", "Practitioners (people)"),
    ("firms_started_operating", "cumulative", "Firms started operating since 2021"),
    ("programme_office_area_m2", "level", "Office space of the programme's buildings (m²)"),
    ("policy_cost_bn_yuan", "cumulative", "Policy cost since 2021 (bn yuan)"),
]


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """What the canvas shows, as PNG (fast compression: the image goes over a local socket)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, "png", compress_level=1)
    return buffer.getvalue()


def png(fig: Figure) -> bytes:
    """A whole figure as PNG, at the figure's own resolution."""
    fig.canvas.draw()
    return _encode(fig.canvas)


def shown(run: Trajectory, metric: str, how: str) -> np.ndarray:
    """A metric as charted: ``level``, ``trailing12`` (12-month sum) or ``cumulative``."""
    values = run.series(metric).copy()
    values[run.months :] = np.nan
    if how == "trailing12":
        sums = np.convolve(np.nan_to_num(values), np.ones(12))[: len(values)]
        values = np.where(np.arange(len(values)) >= 11, sums, np.nan)
        values[run.months :] = np.nan
    elif how == "cumulative":
        values = np.cumsum(values)
    return values


def compact_number(value: float, _pos: object = None) -> str:
    """A tick's or a tip's number, short: 1.25M, 340k, 1,200, 0.5."""
    if not np.isfinite(value):
        return "–"
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:,.0f}" if size >= 10 or value == 0 else f"{value:.2g}"


def _years(run: Trajectory) -> np.ndarray:
    """Each month as a decimal year at its end (Dec 2025 -> 2026.0): a fast numeric axis."""
    return run.dates.year.to_numpy() + run.dates.month.to_numpy() / 12


def target_levels(metric: str, run: Trajectory, baseline: Trajectory) -> list[tuple[int, float]]:
    """(year, level) of each stated target of a metric, in the metric's charted terms.

    A yearly revenue target is the 12-month sum at December; a change target (new
    practitioners) sits on top of the run's own level in its base December, and a sum over
    several years (operators added 2022-2025) on top of the running total at December of the
    year before (the baseline's until the run gets there).
    """
    out = []
    for t in stated_targets().itertuples():
        if t.metric != metric:
            continue
        value = float(t.value)
        rule = aggregate_rule(t.aggregate)
        if rule.kind == "change":
            base = run.month_index(rule.base_year)
            if base is None:  # a run that does not include the base December
                continue
            source = run if run.months > base else baseline
            value += float(source.series(metric)[base])
        elif rule.kind == "sum" and rule.first_year is not None:
            # a sum over several years, on a cumulative chart: on top of the running total at
            # December of the year before (the baseline's until the run gets there)
            base = run.month_index(rule.first_year - 1)
            if base is not None:
                source = run if run.months > base else baseline
                value += float(np.sum(source.series(metric)[: base + 1]))
        out.append((int(t.year), value))
    return out


def short_name(name: str) -> str:
    """A park's name without its explanation in brackets."""
    for cut in (" (", ", "):
        name = name.split(cut)[0]
    return name.replace("Industrial ", "").replace("International ", "")


def park_state(run: Trajectory) -> pd.DataFrame:
    """Each park (not 'outside'): position, revenue in the 12 months to now, occupancy now."""
    now = max(run.months - 1, 0)
    rows = []
    for p in parameters().parks:
        if p.batch == "outside":
            continue
        revenue = run.series(f"park.{p.id}.revenue_bn_yuan")[max(now - 11, 0) : now + 1]
        rows.append(
            {
                "park": p.id,
                "name": short_name(p.name),
                "x": p.x,
                "y": p.y,
                "science_city": p.science_city,
                "revenue_bn_yuan": float(np.nansum(revenue)) if run.months else np.nan,
                "occupancy": float(run.series(f"park.{p.id}.occupancy")[now]),
            }
        )
    return pd.DataFrame(rows)


def park_figure(parks: pd.DataFrame, title: str, lang: str = "en") -> Figure:
    """Parks at their schematic positions, sized by revenue, coloured by occupancy.

    Parks are numbered in the order of the table; Science City parks are diamonds. ``lang``:
    the labels' language.
    """
    norm = mpl.colors.Normalize(*occupancy_scale(parks["occupancy"]))
    top = max(float(parks["revenue_bn_yuan"].fillna(0).max()), 1e-9)
    with mpl.rc_context({"font.size": 7.5, **i18n.font_rc(lang)}):
        fig = Figure(figsize=(2.9, 3.0), dpi=CRISP_DPI)  # shown at 300 px
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.16, 0.3, 0.8, 0.62))
        if parks["revenue_bn_yuan"].isna().all():
            ax.text(0.5, 0.5, tr("Not run yet", lang), ha="center", transform=ax.transAxes)
            ax.set_axis_off()
            return fig
        for shape, mine in (("D", parks["science_city"]), ("o", ~parks["science_city"])):
            ax.scatter(
                parks.loc[mine, "x"],
                parks.loc[mine, "y"],
                s=30 + 900 * parks.loc[mine, "revenue_bn_yuan"] / top,
                c=parks.loc[mine, "occupancy"],
                cmap="viridis",
                norm=norm,
                marker=shape,
                edgecolors="0.2",
                alpha=0.85,
            )
        for i, row in enumerate(parks.itertuples()):
            ax.annotate(str(i + 1), (row.x, row.y), ha="center", va="center", fontsize=7)
        ax.set_title(title, fontsize=8, loc="left")
        ax.set_ylabel(tr("km (schematic)", lang))
        ax.margins(0.12)
        cax = fig.add_axes((0.16, 0.13, 0.8, 0.04))
        fig.colorbar(
            mpl.cm.ScalarMappable(norm=norm, cmap="viridis"),
            cax=cax,
            orientation="horizontal",
            label=tr("occupancy of office space", lang),
            format=mpl.ticker.PercentFormatter(1.0),
        )
    return fig


def occupancy_scale(occupancy: pd.Series) -> tuple[float, float]:
    """The parks' colour scale: from 50% occupancy, or lower (in tenths) when a park is emptier."""
    emptiest = float(np.nanmin(occupancy)) if occupancy.notna().any() else 0.5
    return min(0.5, np.floor(max(emptiest, 0.0) * 10) / 10), 1.0


def viridis_hex(values: np.ndarray, low: float, high: float) -> list[str]:
    """Each value's colour on viridis from ``low`` to ``high``, as ``#rrggbb`` (NaN: grey)."""
    shade = mpl.colormaps["viridis"](np.clip((np.asarray(values) - low) / (high - low), 0, 1))
    return [
        "#808080" if not np.isfinite(v) else mpl.colors.to_hex(c)
        for v, c in zip(np.asarray(values, dtype=float), shade, strict=True)
    ]


PINNED_COLOR = "#e69f00"


def _percentiles_by_month(runs: np.ndarray, q: list[float]) -> np.ndarray:
    """``np.nanpercentile(runs, q, axis=0)``: each month's percentiles over the runs.

    A month no run has a value for (the first months of a 12-month sum) gives NaN. Where
    every month a run has is had by all, one vectorised percentile gives the same numbers
    (``nanpercentile`` goes month by month: 0.1 s of a Run's charts).
    """
    missing = np.isnan(runs)
    if missing.any() and not (missing.all(axis=0) | ~missing.any(axis=0)).all():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanpercentile(runs, q, axis=0)
    out = np.full((len(q), runs.shape[1]), np.nan)
    have = ~missing.any(axis=0)
    if have.any():
        out[:, have] = np.percentile(runs[:, have], q, axis=0)
    return out


@dataclass(frozen=True)
class BandSeries:
    """One ensemble as charted: its label, colour, line style and percentiles by month."""

    label: str
    colour: str
    style: str
    low: np.ndarray
    mid: np.ndarray
    high: np.ndarray


@dataclass(frozen=True)
class BandLines:
    """What a trajectory chart shows: months (as decimal years), each ensemble, the targets."""

    years: np.ndarray
    series: list[BandSeries]
    targets: list[tuple[int, float]]  # (year, level) of each stated target
    band: tuple[int, int]
    highest: float  # the highest value shown (bands and targets)


def band_lines(
    metric: str,
    how: str,
    series: list[tuple[str, object, str, str]],
    band: tuple[int, int] = (10, 90),
) -> BandLines:
    """Each ensemble's median and percentile band of a metric, and its stated targets.

    ``series`` as :func:`band_figure` takes it; the first ensemble sets the target lines.
    """
    first = series[0][1]
    years = _years(first.member(0))
    highest = 1.0
    out = []
    for label, ensemble, colour, style in series:
        runs = np.array(
            [shown(ensemble.member(i), metric, how) for i in range(len(ensemble.seeds))]
        )
        low, mid, high = _percentiles_by_month(runs, [band[0], 50, band[1]])
        out.append(BandSeries(label, mpl.colors.to_hex(colour), style, low, mid, high))
        if np.isfinite(high).any():
            highest = max(highest, float(np.nanmax(high)))
    levels = target_levels(metric, first.median_run(), series[-1][1].median_run())
    for _, value in levels:
        highest = max(highest, value)
    return BandLines(years, out, levels, band, highest)


def band_figure(
    metric: str,
    how: str,
    title: str,
    series: list[tuple[str, object, str, str]],
    band: tuple[int, int] = (10, 90),
    *,
    lang: str = "en",
) -> Figure:
    """One metric over several seeds: each ensemble's median line and its percentile band.

    Args:
        metric: the metric (a row of :data:`CHARTS`).
        how: how it is charted (``level``, ``trailing12``, ``cumulative``).
        title: the chart's title.
        series: ``(label, ensemble, colour, line style)`` for each ensemble shown (an
            :class:`~sim.app.ensemble.Ensemble`); the first sets the target lines.
        band: the percentiles of the band.
        lang: the legend's language (the title is given).

    """
    lines = band_lines(metric, how, series, band)
    years, levels, highest = lines.years, lines.targets, lines.highest
    with mpl.rc_context({"font.size": 8.5, **i18n.font_rc(lang)}):
        fig = Figure(figsize=(4.6, 3.0), dpi=CRISP_DPI)  # shown at 460 px: sharp on any screen
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.13, right=0.97, top=0.89, bottom=0.1)
        ax = fig.add_subplot()
        handles = []
        for one in lines.series:
            ax.fill_between(years, one.low, one.high, color=one.colour, alpha=0.18, lw=0)
            ax.plot(
                years, one.mid, color=one.colour, ls=one.style, lw=2.0 if one.style == "-" else 1.4
            )
            handles.append(
                mpl.lines.Line2D([], [], color=one.colour, ls=one.style, lw=2, label=one.label)
            )
        for year, value in levels:
            ax.plot([years[0], year + 1], [value, value], color=TARGET_COLOR, ls=":", lw=1.3)
            ax.plot([year + 1], [value], ls="none", marker="*", ms=11, color=TARGET_COLOR)
        if levels:
            label = tr("{years} target", lang, years="/".join(str(y) for y, _ in levels))
            handles.append(
                mpl.lines.Line2D([], [], color=TARGET_COLOR, ls=":", marker="*", label=label)
            )
        handles.append(
            mpl.patches.Patch(
                color="0.5",
                alpha=0.3,
                label=tr("{low}-{high}% of seeds", lang, low=band[0], high=band[1]),
            )
        )
        ax.set_title(title, loc="left", fontsize=9, fontweight="bold")
        start, last = int(years[0]), int(np.ceil(years[-1]))
        ax.set_xticks(range(start, last + 1))
        ax.set_xticklabels([])
        labelled = range(start, last, 2 if last - start > 6 else 1)
        ax.set_xticks([y + 0.5 for y in labelled], minor=True)
        ax.set_xticklabels([str(y) for y in labelled], minor=True)
        ax.tick_params(axis="x", which="minor", length=0)
        ax.set_xlim(start, last)
        ax.set_ylim(0, highest * HEADROOM * 1.12)  # room for the legend above the lines
        ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(compact_number))
        ax.grid(alpha=0.3)
        ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=False, ncol=2)
    return fig
