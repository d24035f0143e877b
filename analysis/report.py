"""One self-contained HTML page per run or comparison folder: the answer first, then evidence.

The page embeds every figure as a PNG ``data:`` URI and carries its own CSS, so it opens from
a file with no network. It reads a folder written by ``cqsim run`` (``manifest.json`` with a
``scenario``) or by ``cqsim compare`` (``manifest.json`` with ``names``).
"""

from __future__ import annotations

import difflib
import html
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis import plots
from analysis.tables import against_base
from analysis.tables import attainment as attainment_table
from sim.credibility import trust_statement
from sim.errors import SettingError
from sim.outputs import check_output_file, output_file
from sim.scenario import ScenarioError
from sim.targets import (
    P_EVEN,
    P_LIKELY,
    P_MET,
    aggregate_rule,
    load_observations,
    observation_table,
    verdict,
)

PLOT_KINDS = ("fan", "paired", "costs", "attribution", "parks")
MET, LIKELY = P_MET, P_LIKELY  # as `cqsim run` and the app say (sim.targets.verdict)


@dataclass
class Results:
    """What a run or comparison folder holds, in the shape the report and plots need.

    Attributes:
        folder: the folder read.
        kind: ``"run"`` or ``"comparison"``.
        names: the scenarios reported (the comparison's counterfactual is not one of them).
        trajectories: every run in the folder, long format.
        counterfactual: the same-seed no-policy run of a comparison, else None.
        attainment: per scenario and target: P(met), median, expected gap, first year met.
        paired: paired differences against the base (comparisons only; else empty).
        costs: cost ledger against the counterfactual (comparisons only; else empty).
        attribution: Shapley split among policy kinds (when the comparison made one).
        manifest: the folder's manifest.

    """

    folder: Path
    kind: str
    names: list[str]
    trajectories: pd.DataFrame
    counterfactual: str | None = None
    attainment: pd.DataFrame = field(default_factory=pd.DataFrame)
    paired: pd.DataFrame = field(default_factory=pd.DataFrame)
    costs: pd.DataFrame = field(default_factory=pd.DataFrame)
    attribution: pd.DataFrame = field(default_factory=pd.DataFrame)
    manifest: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        """The scenario the paired differences are taken against."""
        return str(self.manifest.get("base", self.names[0]))

    @property
    def replicates(self) -> int:
        """Replicates (seeds) per scenario."""
        return int(self.trajectories["replicate"].nunique())

    @property
    def period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last month of the runs."""
        return self.trajectories["date"].min(), self.trajectories["date"].max()

    @property
    def shown(self) -> list[str]:
        """Scenarios drawn in the fan charts: the reported ones and the counterfactual."""
        return [*self.names, self.counterfactual] if self.counterfactual else list(self.names)


def _error(folder: Path | str, message: str) -> ScenarioError:
    """Bad input: the CLI prints it as one line `cqsim: error: FOLDER: message`, exit 2."""
    return ScenarioError(folder, "", message)


def load_results(folder: str | Path) -> Results:
    """Read a run folder or a comparison folder (told apart by their manifests).

    Raises:
        ScenarioError: the folder is missing or is not a cqsim run or comparison folder.

    """
    folder = Path(folder)
    if not folder.exists():
        raise _error(folder, "no such folder")
    if not folder.is_dir():
        raise _error(folder, "not a folder; give a folder written by cqsim run or cqsim compare")
    manifest_path = folder / "manifest.json"
    trajectories_path = folder / "trajectories.parquet"
    if not manifest_path.exists() or not trajectories_path.exists():
        raise _error(
            folder,
            "not a cqsim run or comparison folder (needs manifest.json and "
            "trajectories.parquet, as cqsim run and cqsim compare write them)",
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _error(folder, f"manifest.json is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not ({"names", "scenario"} & set(manifest)):
        raise _error(
            folder, "manifest.json is neither a run's ('scenario') nor a comparison's ('names')"
        )
    if "names" in manifest:
        from analysis.compare import Comparison

        comp = Comparison.load(folder)
        return Results(
            folder=folder,
            kind="comparison",
            names=[str(n) for n in comp.names],
            trajectories=comp.trajectories,
            counterfactual=comp.counterfactual,
            attainment=comp.attainment,
            paired=comp.paired,
            costs=comp.costs,
            attribution=comp.attribution,
            manifest=manifest,
        )
    trajectories = pd.read_parquet(trajectories_path)
    names = [str(n) for n in pd.unique(trajectories["scenario"].astype(str))]
    return Results(
        folder=folder,
        kind="run",
        names=names,
        trajectories=trajectories,
        attainment=attainment_table(trajectories),
        manifest=manifest,
    )


# ---------------------------------------------------------------------------------------------
# figures


def check_metric(results: Results, metric: str) -> str:
    """The metric if the folder records it, else a ScenarioError with a did-you-mean."""
    present = sorted(set(results.trajectories["metric"].astype(str).unique()))
    if metric in present:
        return metric
    close = difflib.get_close_matches(metric, present, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise _error(results.folder, f"unknown metric '{metric}'{hint}")


def figure_for(
    results: Results, kind: str, *, metric: str | None = None, year: int | None = None
) -> Figure:
    """One figure of a folder: ``fan``, ``paired``, ``costs``, ``attribution`` or ``parks``.

    ``metric`` chooses the fan chart's metric (default revenue) and the attribution's metric
    (default its first); ``year`` the park map's year (default the last, at most 2025).

    Raises:
        ScenarioError: the kind needs a comparison, the folder lacks the table, or the metric
            or year is not in it.

    """
    if kind not in PLOT_KINDS:
        close = difflib.get_close_matches(kind, PLOT_KINDS, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise SettingError("kind", f"unknown plot kind '{kind}'{hint}")
    if kind == "fan":
        metric = check_metric(results, metric or "revenue_bn_yuan")
        return plots.fan_chart(results.trajectories, metric, scenarios=results.shown)
    if kind == "parks":
        years = sorted(results.trajectories["date"].dt.year.unique())
        if year is not None and year not in years:
            raise _error(results.folder, f"year {year} is not in the run ({years[0]}-{years[-1]})")
        return plots.park_map(results.trajectories, year=year, scenarios=results.names)
    if results.kind != "comparison":
        raise _error(
            results.folder,
            f"'{kind}' needs a comparison folder (cqsim compare); this is a run folder",
        )
    if kind == "paired":
        if results.paired.empty:
            raise _error(results.folder, "no paired differences: the comparison has one scenario")
        metrics = None
        if metric is not None:
            metrics = [check_metric(results, metric)]
        return plots.paired_difference_chart(results.paired, metrics, base=results.base)
    if kind == "costs":
        if results.costs.empty:
            raise _error(results.folder, "no cost ledger: no compared scenario has policies")
        return plots.cost_per_job_bars(results.costs)
    if results.attribution.empty:
        raise _error(
            results.folder,
            "no attribution in this comparison (run with --no-attribution, or the run ends "
            "before the attribution year)",
        )
    have = list(pd.unique(results.attribution["metric"].astype(str)))
    metric = metric or have[0]
    if metric not in have:
        check_metric(results, metric)
        raise _error(results.folder, f"no attribution for '{metric}'; the comparison split {have}")
    return plots.attribution_waterfall(results.attribution, metric)


# ---------------------------------------------------------------------------------------------
# words


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


@lru_cache(maxsize=1)
def _targets() -> pd.DataFrame:
    obs = load_observations()
    return obs[obs["kind"] == "target"].set_index("id")


def target_text(target_id: str) -> str:
    """A target in words, e.g. 'Revenue ≥ 500 bn yuan in 2025'."""
    targets = _targets()
    if target_id not in targets.index:
        return target_id
    t = targets.loc[target_id]
    label, _ = plots.metric_label(str(t["metric"]))
    unit = str(t["unit"]).replace("m2", "m²")
    value = plots.fmt_value(float(t["value"]))
    year = int(t["year"])
    rule = aggregate_rule(str(t["aggregate"]))
    if rule.kind == "change":
        return f"+{value} {label.lower()} {rule.when(year)}"
    sign = ">" if t["comparison"] == ">" else "≥"
    unit = "" if unit.lower() == label.lower() else f" {unit}"
    return f"{label} {sign} {value}{unit} {rule.when(year)}"


def _verdict(prob: float) -> str:
    return verdict(prob)


def _cost_to(results: Results, name: str, year: int) -> float:
    """Median over replicates of the cumulative policy cost to December of ``year``."""
    t = results.trajectories
    sub = t[
        (t["scenario"].astype(str) == name)
        & (t["metric"].astype(str) == "policy_cost_bn_yuan")
        & (t["date"].dt.year <= year)
    ]
    return float(sub.groupby("replicate")["value"].sum().median()) if not sub.empty else np.nan


def _scorecard(results: Results) -> str:
    """Targets down, scenarios across: P(met) and the median, coloured by verdict."""
    att = results.attainment
    if att.empty or att["median"].isna().all():
        return ""
    head = "".join(f"<th>{_e(n)}</th>" for n in results.names)
    body = []
    for target_id in pd.unique(att["target_id"]):
        cells = []
        for name in results.names:
            row = att[(att["scenario"] == name) & (att["target_id"] == target_id)]
            if row.empty or not np.isfinite(row["median"].iloc[0]):
                cells.append("<td class='na'>–</td>")
                continue
            prob, median = float(row["prob_met"].iloc[0]), float(row["median"].iloc[0])
            verdict = _verdict(prob)
            cells.append(
                f"<td class='{verdict.replace(' ', '-')}'><strong>P {prob:.0%}</strong> "
                f"{_e(verdict)}<br><span class='note'>median "
                f"{_e(plots.fmt_value(median))}</span></td>"
            )
        body.append(f"<tr><th>{_e(target_text(str(target_id)))}</th>{''.join(cells)}</tr>")
    return (
        "<table id='scorecard'><thead><tr><th>stated target</th>"
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _scenario_answer(results: Results, name: str) -> str:
    """Targets, cost and what does the work for one scenario, as one HTML paragraph."""
    att = results.attainment
    rows = att[att["scenario"] == name] if not att.empty else att
    parts = [f"<strong>{_e(name)}</strong>: "]
    in_run = rows[rows["median"].notna()] if not rows.empty else rows
    if rows.empty:
        parts.append("no stated targets to check.")
    elif in_run.empty:
        end = results.period[1].strftime("%Y-%m")
        parts.append(f"the {int(rows['year'].max())} targets lie beyond this run's end ({end}).")
    else:
        good = in_run[in_run["prob_met"] >= LIKELY]
        names = ", ".join(_e(target_text(r.target_id)) for r in good.itertuples())
        parts.append(
            f"{len(good)} of {len(in_run)} stated targets met in at least two thirds of the "
            f"replicates{' (' + names + ')' if names else ''}."
        )
    year = min(2025, int(results.period[1].year))
    costs = results.costs
    row = costs[costs["scenario"].astype(str) == name] if not costs.empty else costs
    if not row.empty:
        r = row.iloc[0]
        through = int(r.through_year)
        cost = f" Policy cost to {through}: {plots.fmt_value(r.cost_bn_yuan)} bn yuan"
        if np.isfinite(r.extra_jobs) and r.extra_jobs > 0 and np.isfinite(r.cost_per_job_yuan):
            parts.append(
                f"{cost}, {plots.fmt_value(r.cost_per_job_yuan)} yuan per extra job against the "
                f"same seeds without any policy ({plots.fmt_value(r.extra_jobs)} extra jobs in "
                f"Dec {through}; {_share(r.deadweight_jobs)} of the jobs added would have come "
                "anyway)."
            )
        else:
            parts.append(
                f"{cost}, and no extra jobs against the same seeds without any policy "
                f"(median {plots.fmt_value(r.extra_jobs)} in Dec {through})."
            )
    else:
        cost = _cost_to(results, name, year)
        if results.kind == "run" or cost > 0:
            parts.append(f" Policy cost to {year}: {_e(plots.fmt_value(cost))} bn yuan.")
        if results.kind == "run":
            parts.append(" Cost per job needs a same-seed run without policies (cqsim compare).")
    if results.kind == "comparison" and name != results.base:
        parts.append(_against_base(results, name, year))
    shares = results.attribution
    mine = (
        shares[(shares["scenario"].astype(str) == name) & (shares["policy_kind"] != "total")]
        if not shares.empty
        else shares
    )
    works = []
    for metric, part in mine.groupby("metric", sort=False) if not mine.empty else []:
        label, unit = plots.metric_label(str(metric))
        top = part.sort_values("effect_mean", ascending=False).head(3)
        items = ", ".join(
            f"{_e(plots.KIND_LABELS.get(r.policy_kind, r.policy_kind))} "
            f"{r.effect_mean:+,.{0 if abs(r.effect_mean) >= 100 else 1}f}"
            for r in top.itertuples()
        )
        works.append(f"for {_e(label.lower())} in {int(part['year'].iloc[0])}: {items} {_e(unit)}")
    if works:
        parts.append(
            " What does the work (Shapley values, means over seeds): " + "; ".join(works) + "."
        )
    return "<p>" + "".join(parts) + "</p>"


def _against_base(results: Results, name: str, year: int) -> str:
    """One sentence: what the scenario adds to the comparison's base, seed by seed."""
    table = against_base(results.trajectories, results.base, year)
    row = table[table["scenario"] == name]
    if row.empty:
        return ""
    r = row.iloc[0]

    def signed(value: float, digits: int = 1) -> str:
        text = plots.fmt_value(abs(value)) if abs(value) >= 100 else f"{abs(value):,.{digits}f}"
        return ("+" if value >= 0 else "-") + text

    def spread(low: float, high: float) -> str:
        return f"5-95% {signed(low)} to {signed(high)}"

    return (
        f" Against {_e(results.base)} (the same {int(r.n_pairs)} seeds): "
        f"{signed(r.cost_median)} bn yuan of policy cost to {year} "
        f"({spread(r.cost_p5, r.cost_p95)}), {signed(r.jobs_median)} practitioners in Dec {year} "
        f"({spread(r.jobs_p5, r.jobs_p95)}) and {signed(r.revenue_median)} bn yuan of revenue in "
        f"{year} ({spread(r.revenue_p5, r.revenue_p95)}; medians of the per-seed differences)."
    )


def _share(value: float) -> str:
    return f"{value:.0%}" if value is not None and np.isfinite(value) else "n/a"


def _lead(results: Results) -> str:
    """One sentence over all scenarios: whether any meets every target."""
    att = results.attainment
    if att.empty or att["median"].isna().all():
        return (
            "The stated 2025 targets cannot be checked: the run ends before 2025."
            if not att.empty
            else "No stated targets to check."
        )
    att = att[att["median"].notna()]
    n_targets = att["target_id"].nunique()
    likely = att[att["prob_met"] >= LIKELY].groupby("scenario")["target_id"].nunique()
    likely = likely.reindex(results.names, fill_value=0)
    all_met = [n for n in results.names if likely[n] == n_targets]
    if all_met:
        who = ", ".join(all_met)
        verb = "is" if len(all_met) == 1 else "are"
        return f"{_e(who)} {verb} likely to meet all {n_targets} stated targets."
    best = int(likely.max())
    leaders = [n for n in results.names if likely[n] == best]
    if len(results.names) == 1:
        return (
            f"{_e(results.names[0])} is not likely to meet all {n_targets} stated targets: "
            f"it meets {best} of {n_targets} in at least two thirds of the replicates."
        )
    if best == 0:
        return (
            f"No scenario is likely to meet any of the {n_targets} stated targets: none is met "
            "in at least two thirds of the replicates."
        )
    verb = "comes" if len(leaders) == 1 else "come"
    return (
        f"No scenario is likely to meet all {n_targets} stated targets. "
        f"{_e(', '.join(leaders))} {verb} closest, with {best} of {n_targets}."
    )


# ---------------------------------------------------------------------------------------------
# tables


def _fmt_cell(value: object, kind: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if kind == "pct":
        return f"{float(value):.0%}"
    if kind == "num":
        return plots.fmt_value(float(value))
    if kind == "signed":
        v = float(value)
        return f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+,.1f}"
    if kind == "int":
        return f"{int(value)}"
    return str(value)


def html_table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], caption: str) -> str:
    """A table with escaped cells; ``columns`` maps column -> (heading, format)."""
    if frame.empty:
        return f"<p class='note'>{_e(caption)}: nothing to show.</p>"
    if frame.shape[0] > 0 and "scenario" in frame.columns and "scenario" in columns:
        frame = frame.assign(scenario=frame["scenario"].astype(str))
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{_e(columns[c][0])}</th>" for c in cols)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for c in cols:
            kind = columns[c][1]
            align = (
                " class='num'"
                if kind in ("num", "pct", "signed", "int")
                else " class='nowrap'"
                if kind == "nowrap"
                else ""
            )
            cells.append(f"<td{align}>{_e(_fmt_cell(row[c], kind))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<div class='scroll'><table><caption>{_e(caption)}</caption><thead><tr>{head}</tr>"
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _metric_heading(metric: str) -> str:
    label, unit = plots.metric_label(metric)
    return label if unit.lower() in ("", label.lower()) else f"{label} ({unit})"


def _tables(results: Results) -> list[str]:
    out = []
    att = results.attainment.copy()
    if not att.empty:
        att["what"] = att["target_id"].map(target_text)
        att["verdict"] = att["prob_met"].map(_verdict)
        att["unit"] = att["unit"].astype(str).str.replace("m2", "m²")
        out.append(
            html_table(
                att,
                {
                    "scenario": ("scenario", "text"),
                    "what": ("target", "text"),
                    "median": ("model median", "num"),
                    "target": ("target", "num"),
                    "unit": ("unit", "text"),
                    "prob_met": ("P(met)", "pct"),
                    "verdict": ("", "nowrap"),
                    "expected_gap": (
                        "expected shortfall, in the unit (mean over replicates; 0 where met)",
                        "num",
                    ),
                    "first_year_median_met": ("first year the median meets it", "int"),
                },
                f"Stated targets: chance of meeting them over {results.replicates} replicates",
            )
        )
    if not results.costs.empty:
        costs = results.costs.copy()
        kinds = [c for c in costs.columns if c.startswith("cost_") and c.endswith("_bn_yuan")]
        spec = {
            "scenario": ("scenario", "text"),
            "through_year": ("to end of", "int"),
            "cost_bn_yuan": ("policy cost from the start, bn yuan (cumulative)", "num"),
            "extra_jobs": ("extra jobs in December of that year", "num"),
            "cost_per_job_yuan": ("yuan per extra job", "num"),
            "extra_revenue_bn_yuan": ("extra revenue from the start, bn yuan (cumulative)", "num"),
            "cost_per_bn_revenue": ("cost per bn yuan of extra cumulative revenue", "num"),
            "deadweight_jobs": ("deadweight, jobs", "pct"),
            "deadweight_firms": ("deadweight, firms", "pct"),
        }
        out.append(
            html_table(
                costs,
                spec,
                "Cost ledger against the same seeds without any policy (medians over seeds; "
                "deadweight: share of the jobs or firms added that would have come anyway)",
            )
        )
        by_kind = {"scenario": ("scenario", "text")}
        for c in kinds:
            if c != "cost_bn_yuan":
                kind = c[len("cost_") : -len("_bn_yuan")]
                by_kind[c] = (plots.KIND_LABELS.get(kind, kind), "num")
        year = int(costs["through_year"].max())
        out.append(html_table(costs, by_kind, f"Policy cost by kind to {year}, bn yuan"))
    if not results.paired.empty:
        year = min(2025, int(results.paired["year"].max()))
        show = results.paired[
            (results.paired["year"] == year) & results.paired["metric"].isin(plots.target_metrics())
        ].copy()
        show["what"] = show["metric"].map(_metric_heading)
        show["interval"] = [
            f"{_fmt_cell(a, 'signed')} to {_fmt_cell(b, 'signed')}"
            for a, b in zip(show["diff_p5"], show["diff_p95"], strict=True)
        ]
        out.append(
            html_table(
                show,
                {
                    "scenario": ("scenario", "text"),
                    "what": ("metric", "text"),
                    "base_median": (f"{results.base}", "num"),
                    "scenario_median": ("scenario", "num"),
                    "diff_median": ("difference (median)", "signed"),
                    "interval": ("5-95% of per-seed differences", "text"),
                    "n_pairs": ("seeds", "int"),
                },
                f"Paired differences against {results.base} in {year} "
                "(flows: year total; stocks: December)",
            )
        )
    if not results.attribution.empty:
        shares = results.attribution.copy()
        shares["kind"] = shares["policy_kind"].map(lambda k: plots.KIND_LABELS.get(k, k))
        shares["what"] = shares["metric"].map(_metric_heading)
        shares["order"] = np.where(shares["policy_kind"] == "total", -np.inf, shares["effect_mean"])
        shares = shares.sort_values(["scenario", "metric", "order"], ascending=[True, True, False])
        shares["interval"] = [
            f"{_fmt_cell(a, 'signed')} to {_fmt_cell(b, 'signed')}"
            for a, b in zip(shares["effect_p5"], shares["effect_p95"], strict=True)
        ]
        out.append(
            html_table(
                shares,
                {
                    "scenario": ("scenario", "text"),
                    "what": ("metric", "text"),
                    "year": ("year", "int"),
                    "kind": ("policy kind", "text"),
                    "effect_mean": ("effect (mean)", "signed"),
                    "effect_median": ("effect (median)", "signed"),
                    "interval": ("5-95% over seeds", "text"),
                },
                "What does the work: Shapley split of each package's effect against no policy",
            )
        )
    observed = []
    t = results.trajectories
    for name in results.names:
        table = observation_table(t[t["scenario"].astype(str) == name])
        if not table.empty:
            observed.append(table.assign(scenario=name))
    if observed:
        obs = pd.concat(observed, ignore_index=True)
        obs = obs[obs["year"] <= plots.OBSERVED_THROUGH]
        obs["band"] = [
            f"{_fmt_cell(a, 'num')} to {_fmt_cell(b, 'num')}"
            for a, b in zip(obs["p10"], obs["p90"], strict=True)
        ]
        obs["error"] = obs["error_pct"].map(lambda v: f"{v:+.1f}%")
        out.append(
            html_table(
                obs,
                {
                    "scenario": ("scenario", "text"),
                    "id": ("figure", "text"),
                    "year": ("year", "int"),
                    "observed": ("observed", "num"),
                    "median": ("model median", "num"),
                    "band": ("model 10-90%", "text"),
                    "unit": ("unit", "text"),
                    "error": ("model vs observed", "text"),
                    "source": ("source", "text"),
                },
                "Observed figures (2021-2024) against the model",
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# page

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif;
       max-width: 1180px; margin: 2em auto; padding: 0 1.2em; color: #1d2430; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #d8dee8; padding-bottom: 0.2em; margin-top: 2em; }
.meta, .note { color: #5a6575; font-size: 0.9em; }
#answer { background: #f3f7fc; border-left: 5px solid #2c5d8a; padding: 0.6em 1.2em;
          margin-bottom: 1em; }
#answer h2 { margin-top: 0.3em; }
#answer p.trust { font-size: 0.92em; color: #333; border-left: 4px solid #888;
  padding: 0.3em 0.8em; background: #fafafa; }
#answer p.warning { background: #fff3cd; border-left: 4px solid #b58100; padding: 0.4em 0.8em; }
#answer p.lead { font-size: 1.15em; font-weight: 600; }
nav a { margin-right: 1.2em; color: #2c5d8a; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e7ee; }
figcaption { color: #3d4756; font-size: 0.92em; margin-top: 0.3em; }
table { border-collapse: collapse; margin: 1em 0 2em; font-size: 0.86em; }
caption { text-align: left; font-weight: 600; padding: 0.4em 0; }
th, td { border-bottom: 1px solid #e3e7ee; padding: 0.3em 0.6em; text-align: left;
         vertical-align: top; }
th { background: #f3f5f8; }
td.nowrap { white-space: nowrap; }
.scroll { overflow-x: auto; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
#scorecard { font-size: 0.92em; margin: 0.6em 0 1em; }
#scorecard td { min-width: 9em; }
#scorecard td.met { background: #d9f0d3; }
#scorecard td.likely { background: #fff1bf; }
#scorecard td.not-met { background: #f9dcdc; }
"""


def _figures(results: Results) -> list[tuple[str, str, Callable[[], Figure]]]:
    """(id, caption, make figure) for every figure the folder supports, in reading order."""
    present = set(results.trajectories["metric"].astype(str).unique())
    shown = results.shown
    items: list[tuple[str, str, Callable[[], Figure]]] = []
    for metric in plots.target_metrics():
        if metric not in present:
            continue
        label, unit = plots.metric_label(metric)
        items.append(
            (
                f"fan-{metric}",
                f"{label} ({unit}): median line, 25-75% and 10-90% bands over replicates. "
                "Where there is one, the stated target is the dashed red line ending in a star, "
                "drawn in the measure it is stated in, and an observed figure a black diamond.",
                lambda m=metric: plots.fan_chart(results.trajectories, m, scenarios=shown),
            )
        )
    if not results.paired.empty:
        items.append(
            (
                "paired",
                f"Difference each scenario makes against {results.base}, seed by seed "
                "(common random numbers): bars at the median, whiskers over 90% of seeds.",
                lambda: plots.paired_difference_chart(results.paired, base=results.base),
            )
        )
    if not results.costs.empty:
        items.append(
            (
                "costs",
                "Policy cost per extra job against the same seeds without any policy, and "
                "where the money goes by policy kind.",
                lambda: plots.cost_per_job_bars(results.costs),
            )
        )
    if not results.attribution.empty:
        for metric in pd.unique(results.attribution["metric"].astype(str)):
            label, _ = plots.metric_label(metric)
            items.append(
                (
                    f"attribution-{metric}",
                    f"What does the work for {label.lower()}: each policy kind's Shapley value "
                    "as a step, the whole package's effect as the last bar.",
                    lambda m=metric: plots.attribution_waterfall(results.attribution, m),
                )
            )
    if any(m.startswith("park.") for m in present):
        items.append(
            (
                "parks",
                "Parks at their schematic positions (km; no map), sized by revenue and "
                "coloured by occupancy; revenue outside any park is given in the note.",
                lambda: plots.park_map(results.trajectories, scenarios=results.names),
            )
        )
    return items


def _about(results: Results) -> str:
    m = results.manifest
    start, end = results.period
    scenarios = m.get("scenarios") or {
        str(m.get("scenario", {}).get("name", "")): m.get("scenario", {})
    }
    rows = []
    for name, sc in scenarios.items():
        if not isinstance(sc, dict):
            continue
        policies = sc.get("policies") or []
        kinds = ", ".join(sorted({str(p.get("kind")) for p in policies})) or "no policies"
        rows.append(
            f"<li><strong>{_e(name)}</strong>: {_e(sc.get('description') or '')} "
            f"<span class='note'>({len(policies)} policies: {_e(kinds)})</span></li>"
        )
    seeds = m.get("seeds") or []
    seed_text = f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else ", ".join(map(str, seeds))
    versions = m.get("versions") or {}
    version_text = ", ".join(f"{k} {v}" for k, v in versions.items())
    return (
        "<ul>" + "".join(rows) + "</ul>"
        f"<p class='meta'>Months {start:%Y-%m} to {end:%Y-%m}; {results.replicates} replicates "
        f"(seeds {_e(seed_text)}); folder {_e(results.folder.resolve())}; git revision "
        f"{_e(m.get('git_revision') or 'unknown')}; {_e(version_text)}.</p>"
    )


def _made(results: Results) -> str:
    """When the outputs the report reads were made (a rerun replaces them, not the report)."""
    created = results.manifest.get("created")
    return f", run made {created[:16].replace('T', ' ')}" if isinstance(created, str) else ""


def build_report(folder: str | Path) -> str:
    """The report of a run or comparison folder as one self-contained HTML page.

    Order: title; the answer (per scenario: which targets are met and how likely, the cost
    and cost per job, which policy kinds do the work); the figures; the tables; what was run.
    """
    from analysis.optimize_report import build_optimize_report, is_optimization

    if is_optimization(folder):
        return build_optimize_report(folder)
    results = load_results(folder)
    start, end = results.period
    title = (
        f"cqsim: {' vs '.join(results.names)}"
        if results.kind == "comparison"
        else f"cqsim: {results.names[0]}"
    )
    kind = (
        f"comparison of {len(results.names)} scenarios with the same seeds"
        if results.kind == "comparison"
        else "run"
    )
    answer = [f"<p class='lead'>{_lead(results)}</p>"]
    answer += [
        f"<p class='warning'><strong>Warning:</strong> {_e(w)}</p>"
        for w in results.manifest.get("warnings", [])
    ]
    trust = trust_statement()
    if trust:
        answer.append(f"<p class='trust'>{_e(trust)}</p>")
    answer.append(_scorecard(results))
    answer += [_scenario_answer(results, name) for name in results.names]
    answer.append(
        f"<p class='note'>P = share of the {results.replicates} replicates meeting the target; "
        f"'met' at P ≥ {MET:.0%}, 'likely' at P ≥ {LIKELY:.0%}, 'as likely as not' from "
        f"{P_EVEN:.0%} (IPCC's calibrated language), 'unlikely' below. With few replicates "
        "these shares are coarse.</p>"
    )
    figures = []
    for fig_id, caption, make in _figures(results):
        fig = make()
        uri = plots.figure_data_uri(fig)
        figures.append(
            f"<figure id='{_e(fig_id)}'><img src='{uri}' alt='{_e(caption)}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='generator' content='cqsim'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='meta'>{_e(kind)}, {results.replicates} replicates, {start:%Y-%m} to "
        f"{end:%Y-%m}{_e(_made(results))}; report written "
        f"{_e(time.strftime('%Y-%m-%d %H:%M'))}.</p>",
        "<section id='answer'><h2>The answer</h2>" + "".join(answer) + "</section>",
        "<nav><a href='#figures'>Figures</a><a href='#tables'>Tables</a>"
        "<a href='#about'>What was run</a></nav>",
        "<section id='figures'><h2>Figures</h2>" + "".join(figures) + "</section>",
        "<section id='tables'><h2>Tables</h2>" + "".join(_tables(results)) + "</section>",
        "<section id='about'><h2>What was run</h2>" + _about(results) + "</section>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(
    folder: str | Path, out_path: str | Path | None = None, *, force: bool = False
) -> Path:
    """Build the report and write it in one rename (a temporary file first).

    ``out_path`` defaults to ``folder/report.html``; an existing file there that cqsim did not
    write is replaced only with ``force``. Returns the path written.
    """
    out = Path(out_path) if out_path is not None else Path(folder) / "report.html"
    check_output_file(out, force=force)
    page = build_report(folder)
    with output_file(out, force=force) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out
