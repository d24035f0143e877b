"""The app's page: levers on the left; the answer over several seeds on the right.

Each press of **Run** runs the starting scenario plus the levers shown over the chosen number of
seeds (default 10) in worker processes, the page showing progress and staying responsive, and
the starting scenario on the same seeds beside it (run once and kept). The page then shows, as
``cqsim run`` would print them for the same file, seeds and scale: each 2025 target's P(met),
median and 10-90% band; what the levers add to the starting scenario seed by seed (cost, jobs,
cost per extra practitioner); six trajectories with their bands; and the parks. A run can be
pinned and compared with the next one. "Save as scenario" writes the levers shown.

This page replaces Mesa's ``SolaraViz`` (its play/step controls and developer settings do not
fit a model answered over many seeds); the model itself is the same simulation core.
"""

from __future__ import annotations

import functools
import html
import io
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import solara
import solara.lab
import tomli_w

from sim import lang as i18n
from sim.app.charts import (
    BASE_COLOR,
    CHARTS,
    PINNED_COLOR,
    RUN_COLOR,
    band_figure,
    band_lines,
    park_figure,
    park_state,
    png,
)
from sim.app.ensemble import Ensemble, paired_table, run_ensemble
from sim.app.levers import (
    CHOICES,
    FIRST_YEAR,
    KIND_LEVERS,
    LAST_YEAR,
    PARK_GROUPS,
    SLIDERS,
    Levers,
    build_scenario,
    default_save_dir,
    park_choices,
    save_scenario,
    scenario_document,
    starting_scenarios,
)
from sim.app.live import parameters, start_scenario, stated_targets
from sim.app.svg import chart_html, park_svg
from sim.lang import t as tr
from sim.policies import CLASSES
from sim.scenario import Scenario, ScenarioError
from sim.targets import verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SEED_CHOICES = (1, 5, 10, 20)
DEFAULT_SEEDS = 10
SCROLL = {"overflow-y": "auto"}
CSS = """
.cqsim-help { font-size: 11px; color: #555; margin: -10px 0 6px 0; line-height: 1.25; }
.cqsim-help b { color: #333; }
.cqsim-stale { color: #9a5b00; font-weight: bold; }
#cqsim-targets { border-collapse: collapse; font-size: 12.5px; width: 100%; line-height: 1.3; }
#cqsim-targets th, #cqsim-targets td { padding: 3px 6px; border-bottom: 1px solid #ddd;
  text-align: right; vertical-align: top; }
#cqsim-targets th:first-child, #cqsim-targets td:first-child { text-align: left; }
#cqsim-targets .met { color: #1a7f37; font-weight: bold; }
#cqsim-targets .likely { color: #4d7c0f; font-weight: bold; }
#cqsim-targets .as-likely-as-not { color: #9a5b00; font-weight: bold; }
#cqsim-targets .unlikely { color: #b2182b; font-weight: bold; }
.cqsim-figure > svg { display: block; width: 100%; height: auto; }
.cqsim-legend svg { width: 22px; height: 12px; flex: none; }
.cqsim-chart .cqsim-figure { max-width: 460px; }
.cqsim-parks .cqsim-figure { width: 300px; }
.cqsim-figure text { fill: #222; }
.cqsim-figure text.year { fill: #444; }
.cqsim-chart-title { font-weight: bold; font-size: 13px; margin: 0 0 2px 2px; }
.cqsim-legend { display: flex; flex-wrap: wrap; gap: 1px 12px; font-size: 11px; margin: 0 0 2px 2px;
  color: #333; }
.cqsim-legend span { display: inline-flex; align-items: center; gap: 4px; }
.cqsim-waiting .v-card { opacity: 0.5; }
/* No animations: on a machine without a GPU each one repaints in software, and the workers of
   a run wait for that core (a third of a Run's time, measured in headless Chromium). */
.v-application *, .v-application *::before, .v-application *::after {
  transition: none !important; animation: none !important; }
"""
# In Chinese the page's own words come in a CJK font (the browser's fallback would do, but
# a named stack keeps the Chinese of every part of the page in one face).
CJK_CSS = (
    f".cqsim-zh, .cqsim-zh .v-application {{ font-family: {i18n.CJK_CSS_FAMILY}; }}\n"
    # the CJK font's taller lines: the help under a slider no longer rides up into its label
    ".cqsim-zh .cqsim-help { margin: 0 0 6px 0; line-height: 1.35; }\n"
    # a verdict may go to a second line after "P 60%", but a Chinese word stays whole
    ".cqsim-zh #cqsim-answer td { word-break: keep-all; }"
)
AWARD_HELP = (
    "a one-off award, m yuan, to a firm whose revenue over 12 months first reaches the "
    "threshold (the documents' awards for firms that scale up)"
)
CHOICE_HELP = {
    "parks": "which parks the policy applies to",
    "park": "the park where the enterprises settle",
    "firms": "which firms are eligible",
}


# ----------------------------------------------------------------------------------------------
# levers: what each means, and what the starting scenario already does


def lever_help(kind: str, name: str, lang: str = "en") -> str:
    """What a lever means, in words: its policy field's description, its unit and range."""
    lever = next(lv for lv in KIND_LEVERS[kind] if lv.name == name)
    if lang != "en":
        meaning = i18n.lever_help(name, lang)
        if lever.choices is not None:
            return meaning
        _, low, high, _ = SLIDERS[name]
        return tr(
            "{meaning}; from {low} to {high}, 0 adds nothing",
            lang,
            meaning=meaning,
            low=f"{low:,g}",
            high=f"{high:,g}",
        )
    if lever.choices is not None:
        for word, text in CHOICE_HELP.items():
            if word in lever.label.lower():
                return text
        return "a choice"
    if lever.field is None:
        meaning = AWARD_HELP
    else:
        meaning = CLASSES[kind].Spec.model_fields[lever.field].description or lever.label
    _, low, high, _ = SLIDERS[name]
    return f"{meaning}; from {low:,g} to {high:,g}, 0 adds nothing"


def enacted(start: Scenario, kind: str, lang: str = "en") -> str:
    """What the starting scenario already enacts of a policy kind, in one line ('' if none)."""
    parts = []
    for p in start.policies:
        if p.kind != kind:
            continue
        fields = p.model_dump(mode="json", exclude_defaults=True, exclude={"kind", "name"})
        begin, end = fields.pop("start", ""), fields.pop("end", "")
        when = f"{begin} to {end}" if lang == "en" else f"{begin} 至 {end}"
        shown = ", ".join(f"{i18n.policy_field(k, lang)} {_short(v)}" for k, v in fields.items())
        parts.append(f"{shown} ({when})" if shown else when)
    return "; ".join(parts)


def _short(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value[:4]) + (", …" if len(value) > 4 else "]")
    if isinstance(value, float):
        return f"{value:,g}"
    return str(value)


def year_problem(levers: Levers, lang: str = "en") -> str:
    """Why the levers' years cannot be run ('' when they can)."""
    if levers.package_end < levers.package_start:
        return tr(
            "'Levers until' ({end}) is before 'Levers from' ({start}): set it to {start} or later.",
            lang,
            end=levers.package_end,
            start=levers.package_start,
        )
    return ""


# ----------------------------------------------------------------------------------------------
# a run: the levers' ensemble and the starting scenario's on the same seeds


@dataclass(frozen=True, eq=False)  # compared by identity: one object per press of Run
class AppRun:
    """One press of Run: the levers, the ensembles and how long it took."""

    levers: Levers
    seeds: int
    run: Ensemble
    start: Ensemble
    seconds: float

    @property
    def label(self) -> str:
        """What the run is, for legends and tables."""
        return self.label_in("en")

    def label_in(self, lang: str) -> str:
        """:attr:`label` in ``lang``."""
        moved = {k: v for k, v in self.levers.changed().items() if k != "start_scenario"}
        if moved:
            return tr("this run", lang)
        return tr("this run ({start})", lang, start=self.levers.start_scenario)


@solara.lab.task
def run_levers(levers: Levers, seeds: int) -> AppRun:
    """Run the levers and the starting scenario over ``seeds`` seeds (a background task)."""
    started = time.perf_counter()
    start = start_scenario(levers.start_scenario)
    scenario = build_scenario(start, levers, params=parameters())
    total = 2 * seeds

    def progress(offset: int):
        def report(done: int, _total: int) -> None:
            run_levers.progress = 100.0 * (offset + done) / total

        return report

    run_levers.progress = 0.0
    base = run_ensemble(start, seeds, on_progress=progress(0))
    mine = base if scenario is start else run_ensemble(scenario, seeds, on_progress=progress(seeds))
    return AppRun(levers, seeds, mine, base, time.perf_counter() - started)


# ----------------------------------------------------------------------------------------------
# tables


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.{digits}f}"


def _signed(value: float) -> str:
    return "–" if not np.isfinite(value) else ("+" if value >= 0 else "") + _fmt(value)


def _target_cells(row: pd.Series | None, lang: str = "en") -> str:
    if row is None or not np.isfinite(row["median"]):
        return "<td>–</td><td>–</td>"
    word = verdict(float(row["prob_met"]))  # the class: in English whatever the language
    shown = i18n.verdict_word(word, lang)
    return (
        f"<td class='{word.replace(' ', '-')}'>P {row['prob_met']:.0%} {html.escape(shown)}</td>"
        f"<td>{_fmt(row['median'])}<br><small>{_fmt(row['p10'])} - {_fmt(row['p90'])}</small>"
        "</td>"
    )


def target_html(app: AppRun, pinned: AppRun | None, lang: str = "en") -> str:
    """Each 2025 target: P(met), median and 10-90% for the run, its start and a pinned run."""
    columns = [(app.label_in(lang), app.run), (app.levers.start_scenario, app.start)]
    if pinned is not None:
        columns.append((tr("pinned", lang), pinned.run))
    head = "".join(f"<th colspan='2'>{html.escape(name)}</th>" for name, _ in columns)
    stated = stated_targets().set_index("id")
    rows = []
    for t in app.run.targets.itertuples():
        label = str(stated.loc[t.target_id, "label"]).removesuffix(f", {t.unit}")
        label = i18n.figure_label(str(t.target_id), label[:1].upper() + label[1:], lang)
        sign = ">" if stated.loc[t.target_id, "comparison"] == ">" else "≥"
        cells = []
        for _, ensemble in columns:
            match = ensemble.targets[ensemble.targets["target_id"] == t.target_id]
            cells.append(_target_cells(match.iloc[0] if len(match) else None, lang))
        unit = html.escape(i18n.unit(str(t.unit), lang))
        rows.append(
            f"<tr data-target='{t.target_id}'><td>{html.escape(label)}<br><small>"
            + tr(
                "{sign} {value} {unit} in {year}",
                lang,
                sign=sign,
                value=_fmt(t.target),
                unit=unit,
                year=t.year,
            )
            + f"</small></td>{''.join(cells)}</tr>"
        )
    note = (
        "<p style='font-size:11px;color:#555;margin:4px 0 0'>"
        + tr(
            "{n} seeds ({first}-{last}) with posterior draws, as <code>cqsim run FILE -n {n}"
            "</code> gives them; median and 10-90% of the seeds.",
            lang,
            n=app.seeds,
            first=app.run.seeds[0],
            last=app.run.seeds[-1],
        )
        + "</p>"
    )
    return (
        f"<table id='cqsim-targets'><tr><th>{html.escape(tr('2025 target', lang))}</th>{head}"
        f"</tr>{''.join(rows)}</table>{note}"
    )


def _what(text: str, lang: str) -> str:
    """A row of :func:`sim.app.ensemble.paired_table` in ``lang``: a target's label or a cost."""
    if lang == "en":
        return text
    for t in stated_targets().itertuples():
        if str(t.label).removesuffix(f", {t.unit}") == text:
            return i18n.figure_label(str(t.id), text, lang)
    return tr(text, lang)


def paired_html(table: pd.DataFrame, mine: str, other: str, table_id: str, lang: str = "en") -> str:
    """Seed-by-seed differences as an HTML table."""
    rows = []
    for r in table.itertuples():
        what, unit = html.escape(_what(r.what, lang)), html.escape(i18n.unit(r.unit, lang))
        if r.ratio:  # a cost per extra practitioner or bn yuan: one ratio of means
            rows.append(
                f"<tr><td>{what}</td><td colspan='3'></td>"
                f"<td><b>{_fmt(r.diff_median)}</b> {unit}</td></tr>"
            )
            continue
        rows.append(
            f"<tr><td>{what}, {unit}</td>"
            f"<td>{_fmt(r.run_median)}</td><td>{_fmt(r.other_median)}</td>"
            f"<td><b>{_signed(r.diff_median)}</b></td>"
            f"<td><small>{_signed(r.diff_low)} to {_signed(r.diff_high)}</small></td></tr>"
        )
    return (
        f"<table id='{table_id}' class='cqsim-paired' style='font-size:12px;width:100%'>"
        f"<tr><th style='text-align:left'>{html.escape(tr('figure', lang))}</th>"
        f"<th>{html.escape(mine)}</th><th>{html.escape(other)}</th>"
        f"<th>{html.escape(tr('difference (median)', lang))}</th><th>10-90%</th></tr>"
        f"{''.join(rows)}</table>"
    )


def paired_tables(
    app: AppRun | None, pinned: AppRun | None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The run against its starting scenario and against the pinned run (None: not shown)."""
    if app is None:
        return None, None
    against_start = None if app.run is app.start else paired_table(app.run, app.start)
    against_pin = None
    if pinned is not None and pinned.seeds == app.seeds:
        against_pin = paired_table(app.run, pinned.run)
    return against_start, against_pin


def download_runs(app: AppRun, pinned: AppRun | None) -> bytes:
    """Every run shown, month by month, as Parquet in the long format `cqsim run` writes."""
    frames = [
        ensemble.trajectories.assign(run=name)
        for name, ensemble in [
            ("this run", app.run),
            (app.levers.start_scenario, app.start),
            *([("pinned", pinned.run)] if pinned is not None else []),
        ]
    ]
    table = pd.concat(frames, ignore_index=True)
    for column in ("scenario", "metric", "run"):
        table[column] = table[column].astype(str)
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def download_scenario(levers: Levers) -> str:
    """The levers shown as a scenario file's text (as "Save as scenario" would write it)."""
    scenario = build_scenario(start_scenario(levers.start_scenario), levers, parameters())
    document = scenario_document(scenario, default_save_dir())
    return "# Downloaded from `cqsim app`.\n" + tomli_w.dumps(document)


def download_table(app: AppRun, pinned: AppRun | None) -> bytes:
    """What the page shows, as CSV: each target and the charted metrics by year and run."""
    frames = []
    for name, ensemble in [
        ("this run", app.run),
        (app.levers.start_scenario, app.start),
        *([("pinned", pinned.run)] if pinned is not None else []),
    ]:
        t = ensemble.trajectories
        metrics = [m for m, _, _ in CHARTS]
        sub = t[t["metric"].astype(str).isin(metrics)]
        yearly = (
            sub.assign(year=sub["date"].dt.year, metric=sub["metric"].astype(str))
            .groupby(["metric", "year", "replicate"], observed=True)["value"]
            .sum()
            .groupby(["metric", "year"])
            .describe(percentiles=[0.1, 0.5, 0.9])[["10%", "50%", "90%"]]
            .reset_index()
            .rename(columns={"10%": "p10", "50%": "median", "90%": "p90"})
        )
        yearly.insert(0, "run", name)
        frames.append(yearly)
    buffer = io.StringIO()
    pd.concat(frames, ignore_index=True).to_csv(buffer, index=False)
    return buffer.getvalue().encode()


# ----------------------------------------------------------------------------------------------
# components


@solara.component
def LeverInputs(state: solara.Reactive[Levers], paths: list[str], lang: str = "en"):
    """The starting scenario, the levers' years and every lever, each saying what it means."""
    levers = state.value
    values = asdict(levers)

    def setter(name: str):
        # from the state's current value, not this render's: events can outrun renders
        return lambda value: state.set(replace(state.value, **{name: value}))

    solara.Select(
        label=tr("Starting scenario", lang),
        value=levers.start_scenario,
        values=paths,
        on_value=setter("start_scenario"),
    )
    for name in ("package_start", "package_end"):
        solara.SliderInt(
            f"{i18n.lever_label(name, SLIDERS[name][0], lang)} = {values[name]}",
            value=values[name],
            min=FIRST_YEAR,
            max=LAST_YEAR,
            on_value=setter(name),
            thumb_label=True,
        )
    # always there (empty when the years are fine), so that the sections below keep their place
    # in the page and an open section stays open when the message comes or goes
    solara.HTML(
        tag="p",
        unsafe_innerHTML=html.escape(year_problem(levers, lang)),
        attributes={"id": "cqsim-years"},
        style="color:#b2182b;font-size:12px;margin:0",
    )
    start = solara.use_memo(lambda: start_scenario(levers.start_scenario), [levers.start_scenario])
    parks = list(park_choices(parameters()))
    options = {"park groups": parks, "parks": [k for k in parks if k not in PARK_GROUPS]}
    # a choice is shown in the page's language and kept in English (the Levers' values)
    park_names = {
        p.name.split(" (")[0]: i18n.park_name(p.id, p.name, lang, short=True)
        for p in parameters().parks
    }
    for kind, kind_levers in KIND_LEVERS.items():
        already = enacted(start, kind, lang)
        moved = any(values[lv.name] != lv.default for lv in kind_levers)
        label = CLASSES[kind].label
        summary = (
            label.capitalize() + (" (moved)" if moved else "")
            if lang == "en"
            else i18n.kind_label(kind, label, lang) + (tr(" (moved)", lang) if moved else "")
        )
        with solara.Details(summary=summary, expand=False):
            if already:
                solara.HTML(
                    tag="p",
                    unsafe_innerHTML=tr(
                        "<b>{start} already:</b> {already}. The levers add to it.",
                        lang,
                        start=html.escape(levers.start_scenario),
                        already=html.escape(already),
                    ),
                    classes=["cqsim-help"],
                )
            for lever in kind_levers:
                if lever.choices is not None:
                    what = CHOICES[lever.name][1]
                    choices = options[what] if isinstance(what, str) else list(what)
                    shown = {c: i18n.choice(c, lang, park_names) for c in choices}
                    english = {v: c for c, v in shown.items()}
                    solara.Select(
                        label=i18n.lever_label(lever.name, lever.label, lang),
                        value=shown[values[lever.name]],
                        values=list(shown.values()),
                        on_value=lambda v, name=lever.name, back=english: setter(name)(
                            back.get(v, v)
                        ),
                    )
                else:
                    label, low, high, step = SLIDERS[lever.name]
                    slider = (
                        solara.SliderInt if isinstance(lever.default, int) else solara.SliderFloat
                    )
                    slider(
                        f"{i18n.lever_label(lever.name, label, lang)} = {values[lever.name]:,g}",
                        value=values[lever.name],
                        min=low,
                        max=high,
                        step=step,
                        on_value=setter(lever.name),
                        thumb_label=True,
                    )
                solara.HTML(
                    tag="p",
                    unsafe_innerHTML=html.escape(lever_help(kind, lever.name, lang)),
                    classes=["cqsim-help"],
                )


@solara.component
def SavePanel(state: solara.Reactive[Levers], on_saved, lang: str = "en"):
    """The "Save as scenario" panel: writes the levers shown, not those of the last run."""
    name = solara.use_reactive("my_scenario")
    message, set_message = solara.use_state(("", ""))

    def save() -> None:
        # the current values at the click (a render may not have caught up with the typing)
        levers = state.value
        problem = year_problem(levers, lang)
        if problem:
            set_message(("error", problem))
            return
        try:
            scenario = build_scenario(start_scenario(levers.start_scenario), levers, parameters())
            path = save_scenario(scenario, default_save_dir(), name.value)
        except (OSError, ValueError, ScenarioError) as exc:
            set_message(("error", str(exc)))
            return
        on_saved()
        set_message(
            (
                "ok",
                tr(
                    "Saved {name} in {folder}/: cqsim run {path}",
                    lang,
                    name=path.name,
                    folder=path.parent,
                    path=path,
                ),
            )
        )

    with solara.Row():
        solara.InputText(tr("Scenario name", lang), value=name, continuous_update=True)
        solara.Button(tr("Save as scenario", lang), on_click=save, outlined=True)
    if message[0]:
        colour = "#1a7f37" if message[0] == "ok" else "#b2182b"
        solara.HTML(
            tag="p",
            unsafe_innerHTML=html.escape(message[1]),
            attributes={"id": "cqsim-saved"},
            style=f"color:{colour};word-break:break-all;margin:4px 0;font-size:12px",
        )


@dataclass(frozen=True)
class PageFigures:
    """The figures of one answer: the six trajectory charts and the parks' map.

    Shown as SVG (:mod:`sim.app.svg`); each PNG download is drawn with matplotlib when asked
    for (``chart_pngs``, ``parks_png``: the figures' makers, called then).
    """

    charts: list[str]  # each chart's title, key and drawing, as HTML
    chart_pngs: list[Callable[[], Figure]]
    parks: pd.DataFrame | None  # the parks in 2025 (None: the run ends before 2025)
    parks_svg: str | None
    parks_png: Callable[[], Figure] | None


def page_figures(app: AppRun, pinned: AppRun | None, lang: str = "en") -> PageFigures:
    """The answer's seven figures as SVG (a few milliseconds each), and their PNG makers."""
    series = [
        (app.label_in(lang), app.run, RUN_COLOR, "-"),
        (app.levers.start_scenario, app.start, BASE_COLOR, "--"),
    ]
    if pinned is not None:
        series.append((tr("pinned", lang), pinned.run, PINNED_COLOR, "-."))
    charts, makers = [], []
    for metric, how, title in CHARTS:
        charts.append(chart_html(tr(title, lang), band_lines(metric, how, series), lang))
        makers.append(
            functools.partial(band_figure, metric, how, tr(title, lang), series, lang=lang)
        )
    run = app.run.median_run()
    row = run.month_index(2025)
    parks = None if row is None else park_state(replace(run, months=row + 1))
    if parks is None:
        return PageFigures(charts, makers, None, None, None)
    title = tr("12 months to 2025-12, median of the seeds", lang)
    return PageFigures(
        charts,
        makers,
        parks,
        park_svg(parks, title, lang),
        functools.partial(park_figure, parks, title, lang=lang),
    )


@solara.component
def Charts(figures: PageFigures):
    """The six trajectories: each run's median and 10-90% band, with its 2025 target."""
    with solara.ColumnsResponsive(12, medium=6, large=6, xlarge=4):
        for (metric, _, _), chart, make in zip(
            CHARTS, figures.charts, figures.chart_pngs, strict=True
        ):
            with solara.Card(classes=["cqsim-chart", f"cqsim-chart-{metric}"]):
                solara.HTML(tag="div", unsafe_innerHTML=chart, classes=["cqsim-figure"])
                solara.FileDownload(
                    functools.partial(_png_of, make), filename=f"{metric}.png", label="PNG"
                )


def _png_of(make: Callable[[], Figure]) -> bytes:
    """A figure drawn by matplotlib, as PNG (a download, drawn when asked for)."""
    return png(make())


@solara.component
def Parks(figures: PageFigures, lang: str = "en"):
    """The parks in 2025 (medians over seeds): revenue as area, occupancy as colour."""
    if figures.parks is None:
        return
    parks = figures.parks
    card = tr("Parks: revenue (area) and occupancy (colour)", lang)
    with solara.Card(card, classes=["cqsim-parks"]):
        with solara.Row(style={"align-items": "flex-start"}):
            with solara.Column(style={"gap": "0"}):
                solara.HTML(tag="div", unsafe_innerHTML=figures.parks_svg, classes=["cqsim-figure"])
                solara.FileDownload(
                    functools.partial(_png_of, figures.parks_png), filename="parks.png", label="PNG"
                )
            rows = "".join(
                f"<tr><td>{i + 1}</td>"
                f"<td>{html.escape(i18n.park_name(p.park, p.name, lang, short=True))}"
                f"{' ◆' if p.science_city else ''}</td><td>{_fmt(p.revenue_bn_yuan)}</td>"
                f"<td>{p.occupancy:.0%}</td></tr>"
                for i, p in enumerate(parks.itertuples())
            )
            solara.HTML(
                tag="table",
                unsafe_innerHTML="<tr><th></th><th style='text-align:left'>"
                f"{html.escape(tr('park (◆ Science City)', lang))}</th>"
                f"<th>{html.escape(i18n.unit('bn yuan', lang))}</th>"
                f"<th>{html.escape(tr('occupancy', lang))}</th></tr>{rows}",
                style="font-size:12px;line-height:1.2",
            )


# What the page last showed, kept by the server: a reloaded tab (or a new one) opens where the
# planner was, with the last run's answer, instead of starting over. `cqsim app` serves one
# planner on their own machine, so one page state per server is the planner's.
PAGE_KEPT: dict[str, Any] = {}


@solara.component
def RunStatus(seeds: int, lang: str = "en"):
    """A busy run's progress, or why the last one failed.

    Only this component reads the progress, so a step of progress draws it alone, not the
    whole page with its dozens of inputs (2 page draws a Run instead of 12).
    """
    if run_levers.pending:
        done = run_levers.progress or 0.0
        solara.ProgressLinear(value=done)
        solara.Text(
            tr(
                "Running {seeds} seeds of each scenario in worker processes: {done}%",
                lang,
                seeds=seeds,
                done=f"{done:.0f}",
            ),
            classes=["cqsim-busy"],
        )
    if run_levers.error:
        solara.Error(tr("The run failed: {error}", lang, error=run_levers.exception))


@solara.component
def Page():
    """The app: one page per browser tab; a reload opens it as it was (:data:`PAGE_KEPT`)."""
    kept = dict(PAGE_KEPT)
    lang_state = solara.use_reactive(kept.get("lang", "en"))
    lang = lang_state.value
    solara.Style(CSS + (CJK_CSS if lang != "en" else ""))
    solara.Title(tr("cqsim: Chongqing software cluster", lang))
    paths, set_paths = solara.use_state(list(starting_scenarios(default_save_dir())))
    state = solara.use_reactive(kept.get("levers", Levers()))
    levers = state.value
    seeds, set_seeds = solara.use_state(kept.get("seeds", DEFAULT_SEEDS))
    pinned, set_pinned = solara.use_state(kept.get("pinned"))

    def start() -> None:
        if not year_problem(state.value):
            run_levers(state.value, seeds)

    def open_page() -> None:  # the starting scenario's answer as soon as the page opens
        if "run" not in PAGE_KEPT:
            start()

    solara.use_effect(open_page, [])
    app: AppRun | None = run_levers.latest or kept.get("run")

    def keep() -> None:
        PAGE_KEPT.update(lang=lang, levers=levers, seeds=seeds, pinned=pinned)
        if app is not None:
            PAGE_KEPT["run"] = app

    solara.use_effect(keep, [lang, levers, seeds, pinned, app])
    stale = app is not None and (app.levers != levers or app.seeds != seeds)
    # the paired tables, once per run (the page is drawn again at every step of progress)
    tables = solara.use_memo(lambda: paired_tables(app, pinned), [app, pinned])
    # the figures, once per answer, pinned run and language (drawn in worker processes)
    figures = solara.use_memo(
        lambda: None if app is None else page_figures(app, pinned, lang), [app, pinned, lang]
    )

    with solara.Columns([4, 8], classes=[f"cqsim-{lang}"]):
        with solara.Column(style=SCROLL):
            with solara.Card(tr("Levers", lang)):
                # the page's language: labels only (files, metrics and values stay as they are)
                with solara.Row(classes=["cqsim-lang"]):
                    solara.ToggleButtonsSingle(
                        value=i18n.LANG_NAMES[lang],
                        values=[i18n.LANG_NAMES[code] for code in i18n.LANGS],
                        on_value=lambda name: lang_state.set(
                            next(c for c, n in i18n.LANG_NAMES.items() if n == name)
                        ),
                        dense=True,
                    )
                solara.ToggleButtonsSingle(
                    value=seeds, values=list(SEED_CHOICES), on_value=set_seeds
                )
                solara.Text(
                    tr("seeds (runs of each scenario)", lang), style="font-size:11px;color:#555"
                )
                with solara.Row():
                    solara.Button(
                        tr("Run", lang),
                        on_click=start,
                        color="primary",
                        disabled=run_levers.pending or bool(year_problem(levers)),
                    )
                    solara.Button(
                        tr("Back to the start", lang), on_click=lambda: state.set(Levers())
                    )
                # always there (empty when not stale), so the inputs below keep their place in
                # the page and their open sections stay open
                solara.HTML(
                    tag="p",
                    unsafe_innerHTML=tr("Levers moved since the last run: press <b>Run</b>.", lang)
                    if stale and not run_levers.pending
                    else "",
                    classes=["cqsim-stale"],
                    attributes={"id": "cqsim-stale" if stale else "cqsim-fresh"},
                )
                LeverInputs(state, paths, lang)
                SavePanel(
                    state,
                    on_saved=lambda: set_paths(list(starting_scenarios(default_save_dir()))),
                    lang=lang,
                )
        # while a run is busy the last answer stays, faded: it is not the answer to the levers
        with solara.Column(classes=["cqsim-waiting"] if run_levers.pending else []):
            # always there, so that the cards below keep their places while a run is busy (a
            # card that moves is drawn anew: the six charts again, 1.2 s, at every Run)
            with solara.Column(classes=["cqsim-status"], style={"gap": "0"}):
                RunStatus(seeds, lang)
            if app is None:
                solara.Text(tr("Running the starting scenario…", lang))
                return
            with solara.Card(tr("2025 targets", lang)):
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=target_html(app, pinned, lang),
                    attributes={"id": "cqsim-answer"},
                )
                trust = i18n.trust_statement(lang)
                if trust:
                    solara.HTML(
                        tag="p",
                        unsafe_innerHTML=html.escape(trust),
                        attributes={"id": "cqsim-trust"},
                        style="font-size: 11.5px; color: #444; margin-top: 6px",
                    )
            with solara.Card(
                tr(
                    "What the levers add to {start}, seed by seed",
                    lang,
                    start=app.levers.start_scenario,
                )
            ):
                mine = app.label_in(lang)
                if app.run is app.start:
                    solara.Text(tr("No lever moved: this run is the starting scenario.", lang))
                else:
                    table = tables[0]
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=paired_html(
                            table, mine, app.levers.start_scenario, "cqsim-vs-start", lang
                        ),
                    )
                if pinned is not None and pinned.seeds == app.seeds:
                    solara.Markdown(tr("**Against the pinned run** (same seeds):", lang))
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=paired_html(
                            tables[1],
                            mine,
                            tr("pinned", lang),
                            "cqsim-vs-pin",
                            lang,
                        ),
                    )
                # the buttons go to a second line rather than past the card's edge
                with solara.Row(
                    style={"flex-wrap": "wrap", "row-gap": "6px"}, classes=["cqsim-actions"]
                ):
                    solara.Button(
                        tr("Pin this run", lang), on_click=lambda: set_pinned(app), outlined=True
                    )
                    if pinned is not None:
                        solara.Button(
                            tr("Unpin", lang), on_click=lambda: set_pinned(None), text=True
                        )
                    solara.FileDownload(
                        lambda: download_table(app, pinned),
                        filename="cqsim_app_runs.csv",
                        label=tr("Yearly figures (CSV)", lang),
                    )
                    solara.FileDownload(
                        lambda: download_runs(app, pinned),
                        filename="cqsim_app_runs.parquet",
                        label=tr("Monthly runs (Parquet)", lang),
                    )
                    solara.FileDownload(
                        lambda: download_scenario(state.value),
                        filename="cqsim_app_scenario.toml",
                        label=tr("Levers shown (TOML)", lang),
                    )
                solara.Text(
                    tr(
                        "{n} seeds each, {seconds} s.",
                        lang,
                        n=app.seeds,
                        seconds=f"{app.seconds:.1f}",
                    ),
                    style="font-size:11px;color:#555",
                )
            Charts(figures)
            Parks(figures, lang)
