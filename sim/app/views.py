"""The app's page: Mesa's SolaraViz with the levers as model parameters, and its panels.

Panels: the run (where it stands, the levers in it, "Save as scenario"), the 2025 target table,
six trajectories (each with its 2025 target, the baseline dashed) and the parks (sized by
revenue, coloured by occupancy). The model steps a year at a time, so SolaraViz redraws once a
simulated year while playing (its "render interval" counts years); charts are PNG images drawn
on the server (:mod:`sim.app.charts`).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from sim.app.charts import CHARTS, LiveChart, park_figure, park_state, png
from sim.app.levers import (
    CHOICES,
    PARK_GROUPS,
    SLIDERS,
    Levers,
    default_save_dir,
    park_choices,
    save_scenario,
)
from sim.app.live import AppModel, Trajectory, parameters, scenario_paths, target_table
from sim.credibility import trust_statement
from sim.scenario import ScenarioError
from sim.targets import load_observations

PLAY_INTERVAL_MS = 1  # pause between two steps (years) while playing
SCROLL = {"height": "100%", "overflow-y": "auto"}  # a panel scrolls inside its grid cell
# Show each slider's value all the time (Vuetify shows it only while dragging), as a small box.
CSS = """
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: none !important; border-radius: 3px !important;
  width: auto !important; min-width: 24px; height: 18px !important; padding: 0 3px;
  font-size: 11px; bottom: 12px !important; left: 50% !important;
  translate: -50% 0; }
.v-slider__thumb-label > div { transform: none !important; }
"""


def model_params() -> dict:
    """SolaraViz's model parameters: one input per field of :class:`Levers`."""
    default = Levers()
    parks = list(park_choices(parameters()))
    out: dict = {
        "start_scenario": {
            "type": "Select",
            "value": default.start_scenario,
            "values": list(scenario_paths()),
            "label": "Starting scenario",
        }
    }
    options = {"park groups": parks, "parks": [k for k in parks if k not in PARK_GROUPS]}
    selects = {
        name: (label, options[what] if isinstance(what, str) else list(what))
        for name, (label, what) in CHOICES.items()
    }
    for name in Levers.__dataclass_fields__:
        if name in SLIDERS:
            label, low, high, step = SLIDERS[name]
            out[name] = Slider(label, getattr(default, name), low, high, step)
        elif name in selects:
            label, values = selects[name]
            out[name] = {"type": "Select", "value": getattr(default, name), "values": values}
            out[name]["label"] = label
    return out


# ----------------------------------------------------------------------------------------------
# target table


def _fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _target_labels() -> dict[str, str]:
    """Each target's short label, as scenarios/observations.csv states it (without its unit)."""
    obs = load_observations()
    rows = obs[obs["kind"] == "target"]
    labels = {}
    for t in rows.itertuples():
        label = str(t.label).removesuffix(f", {t.unit}")
        labels[t.id] = label[:1].upper() + label[1:]
    return labels


TARGET_LABELS = _target_labels()
TABLE_CSS = """
#cqsim-targets { border-collapse: collapse; font-size: 12.5px; width: 100%; line-height: 1.25; }
#cqsim-targets th, #cqsim-targets td { padding: 2px 5px; border-bottom: 1px solid #ddd;
  text-align: right; vertical-align: top; }
#cqsim-targets th:first-child, #cqsim-targets td:first-child { text-align: left; }
#cqsim-targets .met { color: #1a7f37; font-weight: bold; }
#cqsim-targets .notmet { color: #b2182b; font-weight: bold; }
"""


def _verdict_cell(met: bool | None, projected: bool = False) -> str:
    if met is None:
        return "<td>–</td>"
    word = ("met" if met else "not met") + (" (projected)" if projected else "")
    return f"<td class='{'met' if met else 'notmet'}'>{word}</td>"


def target_html(run: Trajectory, baseline: Trajectory, baseline_name: str) -> str:
    """The target table as HTML: this run (final, or so far and projected) and the baseline."""
    table = target_table(run, baseline)
    projected = (table["status"] == "projected").any()
    so_far = f"<br><small>so far: to {table['as_of'].iloc[0]}</small>" if projected else ""
    head = (
        f"<tr><th>2025 target</th><th>this run{so_far}</th><th></th>"
        f"<th>{html.escape(baseline_name)}</th><th></th></tr>"
    )
    rows = []
    for t in table.itertuples():
        sign = ">" if t.comparison == ">" else "≥"
        label = html.escape(TARGET_LABELS.get(t.target_id, t.target_id))
        value = _fmt(t.value)
        if t.status == "projected":
            value += f"<br><small>so far {_fmt(t.so_far)}</small>"
        rows.append(
            f"<tr data-target='{t.target_id}'><td title='{t.target_id}'>{label}<br><small>"
            f"{sign} {_fmt(t.target)} {html.escape(t.unit)}</small></td><td>{value}</td>"
            f"{_verdict_cell(t.met, t.status == 'projected')}"
            f"<td>{_fmt(t.baseline)}</td>{_verdict_cell(t.baseline_met)}</tr>"
        )
    note = (
        "<p style='font-size:11px;color:#555;margin:4px 0 0'>Until Dec 2025 a run's 2025 "
        "figure is projected at its growth over the last 12 months; yearly revenue so far is "
        "the 12 months to the last month run.</p>"
    )
    return (
        f"<style>{TABLE_CSS}</style><div style='overflow:auto'><table id='cqsim-targets'>"
        f"{head}{''.join(rows)}</table>{note}</div>"
    )


def park_key_html(parks: pd.DataFrame) -> str:
    """The parks' names, numbered as on the map, with revenue and occupancy."""
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{html.escape(p.name)}{' ◆' if p.science_city else ''}</td>"
        f"<td>{_fmt(p.revenue_bn_yuan)}</td>"
        f"<td>{f'{p.occupancy:.0%}' if np.isfinite(p.occupancy) else '–'}</td></tr>"
        for i, p in enumerate(parks.itertuples())
    )
    return (
        "<table class='cqsim-key' style='font-size:11px;line-height:1.15'>"
        "<tr><th></th><th style='text-align:left'>park (◆ Science City)</th><th>bn yuan</th>"
        f"<th>occ.</th></tr>{rows}</table>"
    )


# ----------------------------------------------------------------------------------------------
# components


def _use_run(model: AppModel) -> tuple[Trajectory, Trajectory, str]:
    """The run so far and its baseline; recomputed only when the model has moved on."""
    update_counter.get()
    # the model object itself is the key (a new model after Reset may reuse an old one's id)
    run = solara.use_memo(model.trajectory, [model, model.month])
    baseline = solara.use_memo(model.baseline, [model])
    name = f"{model.levers.start_scenario} (same seed)"
    return run, baseline, name


def chart_panel(metric: str, how: str, title: str):
    """A panel with one metric's trajectory (a component taking the model)."""

    @solara.component
    def ChartPanel(model: AppModel):
        run, baseline, name = _use_run(model)
        chart = solara.use_memo(lambda: LiveChart(baseline, name, metric, how, title), [model])
        image = solara.use_memo(lambda: chart.png(run), [model, run.months])
        # the class names tell a browser test which month the image shows
        classes = ["cqsim-chart", f"cqsim-chart-{metric}", f"cqsim-months-{run.months}"]
        with solara.Card(classes=classes):
            solara.Image(image, width="100%")

    return ChartPanel


@solara.component
def ParkPanel(model: AppModel):
    """The parks, sized by revenue and coloured by occupancy."""
    run, _, _ = _use_run(model)
    parks = solara.use_memo(lambda: park_state(run), [model, run.months])
    when = f"12 months to {run.dates[run.months - 1]:%Y-%m}" if run.months else "not started"
    image = solara.use_memo(lambda: png(park_figure(parks, when)), [model, run.months])
    classes = ["cqsim-parks", f"cqsim-months-{run.months}"]
    with solara.Card("Parks: revenue (area) and occupancy (colour)", classes=classes, style=SCROLL):
        with solara.Row(style={"align-items": "flex-start"}):
            with solara.Column(style={"width": "52%"}):
                solara.Image(image, width="100%")
            solara.HTML(tag="div", unsafe_innerHTML=park_key_html(parks))


@solara.component
def TargetPanel(model: AppModel):
    """The 2025 targets: met or not, this run against the baseline."""
    run, baseline, name = _use_run(model)
    with solara.Card("2025 targets", style=SCROLL):
        solara.HTML(tag="div", unsafe_innerHTML=target_html(run, baseline, name))
        trust = trust_statement()
        if trust:
            solara.HTML(
                tag="p",
                unsafe_innerHTML=html.escape(trust),
                attributes={"id": "cqsim-trust"},
                style="font-size: 11.5px; color: #444; margin-top: 6px",
            )


def _lever_label(name: str) -> str:
    if name in SLIDERS:
        return SLIDERS[name][0]
    return CHOICES[name][0] if name in CHOICES else name.replace("_", " ")


def _lever_value(name: str, value: object) -> str:
    if name.startswith("package_"):  # a year: no thousands separator
        return str(int(value))
    return f"{value:,g}" if isinstance(value, int | float) else str(value)


@solara.component
def RunPanel(model: AppModel):
    """Where the run stands, the levers moved, and "Save as scenario"."""
    name, set_name = solara.use_state("my_scenario")
    message, set_message = solara.use_state(("", ""))
    run, baseline, _ = _use_run(model)
    cost = float(np.nansum(run.series("policy_cost_bn_yuan")))
    base_cost = float(np.nansum(baseline.series("policy_cost_bn_yuan")[: run.months]))
    moved = model.levers.changed()
    moved.pop("start_scenario", None)

    def save() -> None:
        try:
            path = save_scenario(model.app_scenario, default_save_dir(), name)
        except (OSError, ValueError, ScenarioError) as exc:
            set_message(("error", str(exc)))
            return
        set_message(("ok", f"Saved {path.name} in {path.parent}/: cqsim run {path}"))

    with solara.Card("This run", classes=["cqsim-run"], style=SCROLL):
        levers = "; ".join(f"{_lever_label(k)} = {_lever_value(k, v)}" for k, v in moved.items())
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<p><b>{html.escape(model.levers.start_scenario)}</b> with seed "
            f"{model.seed}, scale {model.scale}: simulated to <b id='cqsim-month'>"
            f"{model.month_label}</b>. Policy cost so far <b id='cqsim-cost'>{cost:,.2f}</b> "
            f"bn yuan (baseline: {base_cost:,.2f}).</p>"
            f"<p>Levers in this run: {html.escape(levers or 'none')}.</p>"
            "<p style='color:#555'>Move levers, then press <b>Reset</b> to start a run with "
            "them. <b>Step</b> runs a year, <b>▶</b> runs to the end.</p>",
        )
        with solara.Row():
            solara.InputText("Scenario name", value=name, on_value=set_name)
            solara.Button("Save as scenario", on_click=save, color="primary")
        if message[0]:
            colour = "#1a7f37" if message[0] == "ok" else "#b2182b"
            solara.HTML(
                tag="p",
                unsafe_innerHTML=html.escape(message[1]),
                attributes={"style": f"color:{colour};word-break:break-all;margin:4px 0"},
            )


CHART_PANELS = [chart_panel(*chart) for chart in CHARTS]


@solara.component
def Page():
    """The app: one model per browser session."""
    model = solara.use_memo(AppModel, [])
    solara.Style(CSS)
    SolaraViz(
        model,
        components=[RunPanel, TargetPanel, *CHART_PANELS, ParkPanel],
        model_params=model_params(),
        name="cqsim: Chongqing software cluster",
        play_interval=PLAY_INTERVAL_MS,
    )
