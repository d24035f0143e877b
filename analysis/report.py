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
from analysis.tables import against_base, sampled_orderings_used
from analysis.tables import attainment as attainment_table
from sim import lang as i18n
from sim.credibility import trust_statement
from sim.errors import SettingError
from sim.lang import t as tr
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
    results: Results,
    kind: str,
    *,
    metric: str | None = None,
    year: int | None = None,
    lang: str = "en",
) -> Figure:
    """One figure of a folder: ``fan``, ``paired``, ``costs``, ``attribution`` or ``parks``.

    ``metric`` chooses the fan chart's metric (default revenue) and the attribution's metric
    (default its first); ``year`` the park map's year (default the last, at most 2025);
    ``lang`` the labels' language.

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
        return plots.fan_chart(results.trajectories, metric, scenarios=results.shown, lang=lang)
    if kind == "parks":
        years = sorted(results.trajectories["date"].dt.year.unique())
        if year is not None and year not in years:
            raise _error(results.folder, f"year {year} is not in the run ({years[0]}-{years[-1]})")
        return plots.park_map(results.trajectories, year=year, scenarios=results.names, lang=lang)
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
        return plots.paired_difference_chart(results.paired, metrics, base=results.base, lang=lang)
    if kind == "costs":
        if results.costs.empty:
            raise _error(results.folder, "no cost ledger: no compared scenario has policies")
        return plots.cost_per_job_bars(results.costs, lang=lang)
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
    return plots.attribution_waterfall(results.attribution, metric, lang=lang)


# ---------------------------------------------------------------------------------------------
# words


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


@lru_cache(maxsize=1)
def _targets() -> pd.DataFrame:
    obs = load_observations()
    return obs[obs["kind"] == "target"].set_index("id")


def target_text(target_id: str, lang: str = "en") -> str:
    """A target in words, e.g. 'Revenue ≥ 500 bn yuan in 2025'."""
    targets = _targets()
    if target_id not in targets.index:
        return target_id
    t = targets.loc[target_id]
    label, _ = plots.metric_label(str(t["metric"]), lang)
    unit = str(t["unit"]).replace("m2", "m²")
    value = plots.fmt_value(float(t["value"]))
    year = int(t["year"])
    rule = aggregate_rule(str(t["aggregate"]))
    if lang != "en":
        sign = ">" if t["comparison"] == ">" else "≥"
        return tr(
            "{when} {label} +{value} {unit}"
            if rule.kind == "change"
            else "{when} {label} {sign} {value} {unit}",
            lang,
            when=i18n.when(rule, year, lang),
            label=label,
            sign=sign,
            value=value,
            unit=i18n.unit(unit, lang),
        )
    if rule.kind == "change":
        return f"+{value} {label.lower()} {rule.when(year)}"
    sign = ">" if t["comparison"] == ">" else "≥"
    unit = "" if unit.lower() == label.lower() else f" {unit}"
    return f"{label} {sign} {value}{unit} {rule.when(year)}"


def _verdict(prob: float, lang: str = "en") -> str:
    return i18n.verdict_word(verdict(prob), lang)


def _cost_to(results: Results, name: str, year: int) -> float:
    """Median over replicates of the cumulative policy cost to December of ``year``."""
    t = results.trajectories
    sub = t[
        (t["scenario"].astype(str) == name)
        & (t["metric"].astype(str) == "policy_cost_bn_yuan")
        & (t["date"].dt.year <= year)
    ]
    return float(sub.groupby("replicate")["value"].sum().median()) if not sub.empty else np.nan


def _scorecard(results: Results, lang: str = "en") -> str:
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
            word = verdict(prob)  # the class: in English whatever the language
            cells.append(
                f"<td class='{word.replace(' ', '-')}'><strong>P {prob:.0%}</strong> "
                f"{_e(_verdict(prob, lang))}<br><span class='note'>{_e(tr('median', lang))} "
                f"{_e(plots.fmt_value(median))}</span></td>"
            )
        body.append(f"<tr><th>{_e(target_text(str(target_id), lang))}</th>{''.join(cells)}</tr>")
    return (
        f"<table id='scorecard'><thead><tr><th>{_e(tr('stated target', lang))}</th>"
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _scenario_answer(results: Results, name: str, lang: str = "en") -> str:
    """Targets, cost and what does the work for one scenario, as one HTML paragraph."""
    att = results.attainment
    rows = att[att["scenario"] == name] if not att.empty else att
    parts = [f"<strong>{_e(name)}</strong>: "]
    in_run = rows[rows["median"].notna()] if not rows.empty else rows
    if rows.empty:
        parts.append(tr("no stated targets to check.", lang))
    elif in_run.empty:
        end = results.period[1].strftime("%Y-%m")
        parts.append(
            tr(
                "the {year} targets lie beyond this run's end ({end}).",
                lang,
                year=int(rows["year"].max()),
                end=end,
            )
        )
    else:
        good = in_run[in_run["prob_met"] >= LIKELY]
        names = tr(", ", lang).join(_e(target_text(r.target_id, lang)) for r in good.itertuples())
        parts.append(
            tr(
                "{good} of {all} stated targets met in at least two thirds of the "
                "replicates{names}.",
                lang,
                good=len(good),
                all=len(in_run),
                names=tr(" ({names})", lang, names=names) if names else "",
            )
        )
    year = min(2025, int(results.period[1].year))
    costs = results.costs
    row = costs[costs["scenario"].astype(str) == name] if not costs.empty else costs
    if not row.empty:
        r = row.iloc[0]
        through = int(r.through_year)
        cost = tr(
            " Policy cost to {year}: {cost} bn yuan",
            lang,
            year=through,
            cost=plots.fmt_value(r.cost_bn_yuan, lang=lang),
        )
        if np.isfinite(r.extra_jobs) and r.extra_jobs > 0 and np.isfinite(r.cost_per_job_yuan):
            parts.append(
                cost
                + tr(
                    ", {per_job} yuan per extra job against the same seeds without any policy "
                    "({jobs} extra jobs in Dec {year}; {deadweight} of the jobs added would "
                    "have come anyway).",
                    lang,
                    per_job=plots.fmt_value(r.cost_per_job_yuan, lang=lang),
                    jobs=plots.fmt_value(r.extra_jobs, lang=lang),
                    year=through,
                    deadweight=_share(r.deadweight_jobs, lang),
                )
            )
        else:
            parts.append(
                cost
                + tr(
                    ", and no extra jobs against the same seeds without any policy "
                    "(median {jobs} in Dec {year}).",
                    lang,
                    jobs=plots.fmt_value(r.extra_jobs, lang=lang),
                    year=through,
                )
            )
    else:
        cost = _cost_to(results, name, year)
        if results.kind == "run" or cost > 0:
            parts.append(
                tr(
                    " Policy cost to {year}: {cost} bn yuan.",
                    lang,
                    year=year,
                    cost=_e(plots.fmt_value(cost, lang=lang)),
                )
            )
        if results.kind == "run":
            parts.append(
                tr(" Cost per job needs a same-seed run without policies (cqsim compare).", lang)
            )
    if results.kind == "comparison" and name != results.base:
        parts.append(_against_base(results, name, year, lang))
    shares = results.attribution
    mine = (
        shares[(shares["scenario"].astype(str) == name) & (shares["policy_kind"] != "total")]
        if not shares.empty
        else shares
    )
    works = []
    for metric, part in mine.groupby("metric", sort=False) if not mine.empty else []:
        label, unit = plots.metric_label(str(metric), lang)
        top = part.sort_values("effect_mean", ascending=False).head(3)
        sampled = sampled_orderings_used(part)
        items = ", ".join(
            f"{_e(plots.kind_label(r.policy_kind, lang))} "
            f"{r.effect_mean:+,.{0 if abs(r.effect_mean) >= 100 else 1}f}"
            + (
                f" ±{r.sampling_margin90:,.{0 if abs(r.sampling_margin90) >= 100 else 1}f}"
                if sampled and np.isfinite(r.sampling_margin90)
                else ""
            )
            for r in top.itertuples()
        )
        works.append(
            tr(
                "for {what} in {year}: {items} {unit}",
                lang,
                what=_e(label.lower()),
                year=int(part["year"].iloc[0]),
                items=items,
                unit=_e(unit),
            )
        )
    used = sampled_orderings_used(mine) if not mine.empty else None
    if works and used:
        parts.append(
            tr(
                " What does the work (Shapley values estimated from {m} sampled orderings of the "
                "kinds, ± their 90% sampling margin; means over seeds): {works}.",
                lang,
                m=used,
                works="; ".join(works),
            )
        )
    elif works:
        parts.append(
            tr(
                " What does the work (Shapley values, means over seeds): {works}.",
                lang,
                works="; ".join(works),
            )
        )
    return "<p>" + "".join(parts) + "</p>"


def _against_base(results: Results, name: str, year: int, lang: str = "en") -> str:
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
        return tr("5-95% {low} to {high}", lang, low=signed(low), high=signed(high))

    return tr(
        " Against {base} (the same {n} seeds): {cost} bn yuan of policy cost to {year} "
        "({cost_spread}), {jobs} practitioners in Dec {year} ({jobs_spread}) and {revenue} bn "
        "yuan of revenue in {year} ({revenue_spread}; medians of the per-seed differences).",
        lang,
        base=_e(results.base),
        n=int(r.n_pairs),
        cost=signed(r.cost_median),
        year=year,
        cost_spread=spread(r.cost_p5, r.cost_p95),
        jobs=signed(r.jobs_median),
        jobs_spread=spread(r.jobs_p5, r.jobs_p95),
        revenue=signed(r.revenue_median),
        revenue_spread=spread(r.revenue_p5, r.revenue_p95),
    )


def _share(value: float, lang: str = "en") -> str:
    return f"{value:.0%}" if value is not None and np.isfinite(value) else tr("n/a", lang)


def _lead(results: Results, lang: str = "en") -> str:
    """One sentence over all scenarios: whether any meets every target."""
    att = results.attainment
    if att.empty or att["median"].isna().all():
        return (
            tr("The stated 2025 targets cannot be checked: the run ends before 2025.", lang)
            if not att.empty
            else tr("No stated targets to check.", lang)
        )
    att = att[att["median"].notna()]
    n_targets = att["target_id"].nunique()
    likely = att[att["prob_met"] >= LIKELY].groupby("scenario")["target_id"].nunique()
    likely = likely.reindex(results.names, fill_value=0)
    all_met = [n for n in results.names if likely[n] == n_targets]
    if all_met:
        who = ", ".join(all_met)
        verb = "is" if len(all_met) == 1 else "are"
        return tr(
            "{who} {verb} likely to meet all {n} stated targets.",
            lang,
            who=_e(who),
            verb=verb,
            n=n_targets,
        )
    best = int(likely.max())
    leaders = [n for n in results.names if likely[n] == best]
    if len(results.names) == 1:
        return tr(
            "{name} is not likely to meet all {n} stated targets: it meets {best} of {n} in at "
            "least two thirds of the replicates.",
            lang,
            name=_e(results.names[0]),
            n=n_targets,
            best=best,
        )
    if best == 0:
        return tr(
            "No scenario is likely to meet any of the {n} stated targets: none is met in at "
            "least two thirds of the replicates.",
            lang,
            n=n_targets,
        )
    verb = "comes" if len(leaders) == 1 else "come"
    return tr(
        "No scenario is likely to meet all {n} stated targets. {leaders} {verb} closest, "
        "with {best} of {n}.",
        lang,
        n=n_targets,
        leaders=_e(", ".join(leaders)),
        verb=verb,
        best=best,
    )


# ---------------------------------------------------------------------------------------------
# tables


def _fmt_cell(value: object, kind: str, lang: str = "en") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if kind == "pct":
        return f"{float(value):.0%}"
    if kind == "num":
        return plots.fmt_value(float(value), lang=lang)
    if kind == "signed":
        v = float(value)
        return f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+,.1f}"
    if kind == "int":
        return f"{int(value)}"
    return str(value)


def html_table(
    frame: pd.DataFrame, columns: dict[str, tuple[str, str]], caption: str, lang: str = "en"
) -> str:
    """A table with escaped cells; ``columns`` maps column -> (heading, format)."""
    if frame.empty:
        return f"<p class='note'>{_e(caption)}{_e(tr(': nothing to show.', lang))}</p>"
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
            cells.append(f"<td{align}>{_e(_fmt_cell(row[c], kind, lang))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<div class='scroll'><table><caption>{_e(caption)}</caption><thead><tr>{head}</tr>"
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _metric_heading(metric: str, lang: str = "en") -> str:
    label, unit = plots.metric_label(metric, lang)
    return label if unit.lower() in ("", label.lower()) else f"{label} ({unit})"


def _tables(results: Results, lang: str = "en") -> list[str]:
    out = []
    att = results.attainment.copy()
    if not att.empty:
        att["what"] = att["target_id"].map(lambda target: target_text(target, lang))
        att["verdict"] = att["prob_met"].map(lambda prob: _verdict(prob, lang))
        att["unit"] = (
            att["unit"].astype(str).str.replace("m2", "m²").map(lambda u: i18n.unit(u, lang))
        )
        out.append(
            html_table(
                att,
                {
                    "scenario": (tr("scenario", lang), "text"),
                    "what": (tr("target", lang), "text"),
                    "median": (tr("model median", lang), "num"),
                    "target": (tr("target", lang), "num"),
                    "unit": (tr("unit", lang), "nowrap"),
                    "prob_met": (tr("P(met)", lang), "pct"),
                    "verdict": (tr("", lang), "nowrap"),
                    "expected_gap": (
                        tr(
                            "expected shortfall, in the unit (mean over replicates; 0 where met)",
                            lang,
                        ),
                        "num",
                    ),
                    "first_year_median_met": (tr("first year the median meets it", lang), "int"),
                },
                tr(
                    "Stated targets: chance of meeting them over {n} replicates",
                    lang,
                    n=results.replicates,
                ),
                lang,
            )
        )
    if not results.costs.empty:
        costs = results.costs.copy()
        kinds = [c for c in costs.columns if c.startswith("cost_") and c.endswith("_bn_yuan")]
        spec = {
            "scenario": (tr("scenario", lang), "text"),
            "through_year": (tr("to end of", lang), "int"),
            "cost_bn_yuan": (tr("policy cost from the start, bn yuan (cumulative)", lang), "num"),
            "extra_jobs": (tr("extra jobs in December of that year", lang), "num"),
            "cost_per_job_yuan": (tr("yuan per extra job", lang), "num"),
            "extra_revenue_bn_yuan": (
                tr("extra revenue from the start, bn yuan (cumulative)", lang),
                "num",
            ),
            "cost_per_bn_revenue": (
                tr("cost per bn yuan of extra cumulative revenue", lang),
                "num",
            ),
            "deadweight_jobs": (tr("deadweight, jobs", lang), "pct"),
            "deadweight_firms": (tr("deadweight, firms", lang), "pct"),
        }
        out.append(
            html_table(
                costs,
                spec,
                tr(
                    "Cost ledger against the same seeds without any policy (medians over seeds; "
                    "deadweight: share of the jobs or firms added that would have come anyway)",
                    lang,
                ),
                lang,
            )
        )
        by_kind = {"scenario": (tr("scenario", lang), "text")}
        for c in kinds:
            if c != "cost_bn_yuan":
                kind = c[len("cost_") : -len("_bn_yuan")]
                by_kind[c] = (plots.kind_label(kind, lang), "num")
        year = int(costs["through_year"].max())
        caption = tr("Policy cost by kind to {year}, bn yuan", lang, year=year)
        out.append(html_table(costs, by_kind, caption, lang))
    if not results.paired.empty:
        year = min(2025, int(results.paired["year"].max()))
        show = results.paired[
            (results.paired["year"] == year) & results.paired["metric"].isin(plots.target_metrics())
        ].copy()
        show["what"] = show["metric"].map(lambda m: _metric_heading(m, lang))
        show["interval"] = [
            tr("{low} to {high}", lang, low=_fmt_cell(a, "signed"), high=_fmt_cell(b, "signed"))
            for a, b in zip(show["diff_p5"], show["diff_p95"], strict=True)
        ]
        out.append(
            html_table(
                show,
                {
                    "scenario": (tr("scenario", lang), "text"),
                    "what": (tr("metric", lang), "text"),
                    "base_median": (f"{results.base}", "num"),
                    "scenario_median": (tr("scenario", lang), "num"),
                    "diff_median": (tr("difference (median)", lang), "signed"),
                    "interval": (tr("5-95% of per-seed differences", lang), "text"),
                    "n_pairs": (tr("seeds", lang), "int"),
                },
                tr(
                    "Paired differences against {base} in {year} "
                    "(flows: year total; stocks: December)",
                    lang,
                    base=results.base,
                    year=year,
                ),
                lang,
            )
        )
    if not results.attribution.empty:
        shares = results.attribution.copy()
        used_orderings = sampled_orderings_used(shares)
        shares["kind"] = shares["policy_kind"].map(lambda k: plots.kind_label(k, lang))
        shares["what"] = shares["metric"].map(lambda m: _metric_heading(m, lang))
        shares["order"] = np.where(shares["policy_kind"] == "total", -np.inf, shares["effect_mean"])
        shares = shares.sort_values(["scenario", "metric", "order"], ascending=[True, True, False])
        shares["interval"] = [
            tr("{low} to {high}", lang, low=_fmt_cell(a, "signed"), high=_fmt_cell(b, "signed"))
            for a, b in zip(shares["effect_p5"], shares["effect_p95"], strict=True)
        ]
        out.append(
            html_table(
                shares,
                {
                    "scenario": (tr("scenario", lang), "text"),
                    "what": (tr("metric", lang), "text"),
                    "year": (tr("year", lang), "int"),
                    "kind": (tr("policy kind", lang), "text"),
                    "effect_mean": (tr("effect (mean)", lang), "signed"),
                    "effect_median": (tr("effect (median)", lang), "signed"),
                    "interval": (tr("5-95% over seeds", lang), "text"),
                    **(
                        {"sampling_margin90": (tr("± 90% sampling margin", lang), "num")}
                        if used_orderings
                        else {}
                    ),
                },
                tr(
                    "What does the work: Shapley split of each package's effect against no policy",
                    lang,
                )
                + (
                    tr(
                        " (estimated from {m} sampled orderings of the kinds)",
                        lang,
                        m=used_orderings,
                    )
                    if used_orderings
                    else ""
                ),
                lang,
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
            tr(
                "{low} to {high}",
                lang,
                low=_fmt_cell(a, "num", lang),
                high=_fmt_cell(b, "num", lang),
            )
            for a, b in zip(obs["p10"], obs["p90"], strict=True)
        ]
        obs["unit"] = obs["unit"].astype(str).map(lambda u: i18n.unit(u, lang))
        obs["error"] = obs["error_pct"].map(lambda v: f"{v:+.1f}%")
        out.append(
            html_table(
                obs,
                {
                    "scenario": (tr("scenario", lang), "text"),
                    "id": (tr("figure", lang), "text"),
                    "year": (tr("year", lang), "int"),
                    "observed": (tr("observed", lang), "num"),
                    "median": (tr("model median", lang), "num"),
                    "band": (tr("model 10-90%", lang), "text"),
                    "unit": (tr("unit", lang), "nowrap"),
                    "error": (tr("model vs observed", lang), "text"),
                    "source": (tr("source", lang), "text"),
                },
                tr("Observed figures (2021-2024) against the model", lang),
                lang,
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


def _figures(results: Results, lang: str = "en") -> list[tuple[str, str, Callable[[], Figure]]]:
    """(id, caption, make figure) for every figure the folder supports, in reading order."""
    present = set(results.trajectories["metric"].astype(str).unique())
    shown = results.shown
    items: list[tuple[str, str, Callable[[], Figure]]] = []
    for metric in plots.target_metrics():
        if metric not in present:
            continue
        label, unit = plots.metric_label(metric, lang)
        items.append(
            (
                f"fan-{metric}",
                tr(
                    "{label} ({unit}): median line, 25-75% and 10-90% bands over replicates. "
                    "Where there is one, the stated target is the dashed red line ending in a "
                    "star, drawn in the measure it is stated in, and an observed figure a black "
                    "diamond.",
                    lang,
                    label=label,
                    unit=unit,
                ),
                lambda m=metric: plots.fan_chart(
                    results.trajectories, m, scenarios=shown, lang=lang
                ),
            )
        )
    if not results.paired.empty:
        items.append(
            (
                "paired",
                tr(
                    "Difference each scenario makes against {base}, seed by seed "
                    "(common random numbers): bars at the median, whiskers over 90% of seeds.",
                    lang,
                    base=results.base,
                ),
                lambda: plots.paired_difference_chart(results.paired, base=results.base, lang=lang),
            )
        )
    if not results.costs.empty:
        items.append(
            (
                "costs",
                tr(
                    "Policy cost per extra job against the same seeds without any policy, and "
                    "where the money goes by policy kind.",
                    lang,
                ),
                lambda: plots.cost_per_job_bars(results.costs, lang=lang),
            )
        )
    if not results.attribution.empty:
        for metric in pd.unique(results.attribution["metric"].astype(str)):
            label, _ = plots.metric_label(metric, lang)
            items.append(
                (
                    f"attribution-{metric}",
                    tr(
                        "What does the work for {what}: each policy kind's Shapley value as a "
                        "step, the whole package's effect as the last bar.",
                        lang,
                        what=label.lower(),
                    ),
                    lambda m=metric: plots.attribution_waterfall(results.attribution, m, lang=lang),
                )
            )
    if any(m.startswith("park.") for m in present):
        items.append(
            (
                "parks",
                tr(
                    "Parks at their schematic positions (km; no map), sized by revenue and "
                    "coloured by occupancy; revenue outside any park is given in the note.",
                    lang,
                ),
                lambda: plots.park_map(results.trajectories, scenarios=results.names, lang=lang),
            )
        )
    return items


def _about(results: Results, lang: str = "en") -> str:
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
        kinds = tr(", ", lang).join(
            sorted({plots.kind_label(str(p.get("kind")), lang) for p in policies})
        ) or tr("no policies", lang)
        count = tr("({n} policies: {kinds})", lang, n=len(policies), kinds=_e(kinds))
        rows.append(
            f"<li><strong>{_e(name)}</strong>: {_e(sc.get('description') or '')} "
            f"<span class='note'>{count}</span></li>"
        )
    seeds = m.get("seeds") or []
    seed_text = f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else ", ".join(map(str, seeds))
    versions = m.get("versions") or {}
    version_text = ", ".join(f"{k} {v}" for k, v in versions.items())
    return (
        "<ul>" + "".join(rows) + "</ul>"
        "<p class='meta'>"
        + tr(
            "Months {start} to {end}; {n} replicates (seeds {seeds}); folder {folder}; git "
            "revision {revision}; {versions}.",
            lang,
            start=f"{start:%Y-%m}",
            end=f"{end:%Y-%m}",
            n=results.replicates,
            seeds=_e(seed_text),
            folder=_e(results.folder.resolve()),
            revision=_e(m.get("git_revision") or tr("unknown", lang)),
            versions=_e(version_text),
        )
        + "</p>"
    )


def _made(results: Results, lang: str = "en") -> str:
    """When the outputs the report reads were made (a rerun replaces them, not the report)."""
    created = results.manifest.get("created")
    if not isinstance(created, str):
        return ""
    return tr(", run made {when}", lang, when=created[:16].replace("T", " "))


def build_report(folder: str | Path, lang: str = "en") -> str:
    """The report of a run or comparison folder as one self-contained HTML page.

    Order: title; the answer (per scenario: which targets are met and how likely, the cost
    and cost per job, which policy kinds do the work); the figures; the tables; what was run.
    ``lang`` is the language of its words (:data:`sim.lang.LANGS`); the figures' too.
    """
    from analysis.optimize_report import build_optimize_report, is_optimization

    i18n.check_lang(lang)
    if is_optimization(folder):
        if lang != "en":
            raise SettingError("lang", "the optimisation report is in English only")
        return build_optimize_report(folder)
    if lang != "en":
        i18n.cjk_font_path()  # one clear message, before anything is drawn
    results = load_results(folder)
    start, end = results.period
    title = (
        f"cqsim: {' vs '.join(results.names)}"
        if results.kind == "comparison"
        else f"cqsim: {results.names[0]}"
    )
    kind = (
        tr(
            "comparison of {n} scenarios with the same seeds",
            lang,
            n=len(results.names),
        )
        if results.kind == "comparison"
        else tr("run", lang)
    )
    answer = [f"<p class='lead'>{_lead(results, lang)}</p>"]
    answer += [
        f"<p class='warning'><strong>{_e(tr('Warning:', lang))}</strong> {_e(w)}</p>"
        for w in results.manifest.get("warnings", [])
    ]
    trust = trust_statement() if lang == "en" else i18n.trust_statement(lang)
    if trust:
        answer.append(f"<p class='trust'>{_e(trust)}</p>")
    answer.append(_scorecard(results, lang))
    answer += [_scenario_answer(results, name, lang) for name in results.names]
    answer.append(
        "<p class='note'>"
        + tr(
            "P = share of the {n} replicates meeting the target; 'met' at P ≥ {met}, 'likely' "
            "at P ≥ {likely}, 'as likely as not' from {even} (IPCC's calibrated language), "
            "'unlikely' below. With few replicates these shares are coarse.",
            lang,
            n=results.replicates,
            met=f"{MET:.0%}",
            likely=f"{LIKELY:.0%}",
            even=f"{P_EVEN:.0%}",
        )
        + "</p>"
    )
    figures = []
    for fig_id, caption, make in _figures(results, lang):
        fig = make()
        uri = plots.figure_data_uri(fig)
        figures.append(
            f"<figure id='{_e(fig_id)}'><img src='{uri}' alt='{_e(caption)}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    css = CSS if lang == "en" else CSS + f"body {{ font-family: {i18n.CJK_CSS_FAMILY}; }}\n"
    heading = {
        key: _e(tr(text, lang))
        for key, text in (
            ("answer", "The answer"),
            ("figures", "Figures"),
            ("tables", "Tables"),
            ("about", "What was run"),
        )
    }
    parts = [
        "<!DOCTYPE html>",
        f"<html lang='{i18n.HTML_LANG[lang]}'><head><meta charset='utf-8'>",
        "<meta name='generator' content='cqsim'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{css}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<p class='meta'>"
        + _e(
            tr(
                "{kind}, {n} replicates, {start} to {end}{made}; report written {now}.",
                lang,
                kind=kind,
                n=results.replicates,
                start=f"{start:%Y-%m}",
                end=f"{end:%Y-%m}",
                made=_made(results, lang),
                now=time.strftime("%Y-%m-%d %H:%M"),
            )
        )
        + "</p>",
        f"<section id='answer'><h2>{heading['answer']}</h2>" + "".join(answer) + "</section>",
        f"<nav><a href='#figures'>{heading['figures']}</a><a href='#tables'>"
        f"{heading['tables']}</a><a href='#about'>{heading['about']}</a></nav>",
        f"<section id='figures'><h2>{heading['figures']}</h2>" + "".join(figures) + "</section>",
        f"<section id='tables'><h2>{heading['tables']}</h2>"
        + "".join(_tables(results, lang))
        + "</section>",
        f"<section id='about'><h2>{heading['about']}</h2>" + _about(results, lang) + "</section>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(
    folder: str | Path,
    out_path: str | Path | None = None,
    *,
    force: bool = False,
    lang: str = "en",
) -> Path:
    """Build the report and write it in one rename (a temporary file first).

    ``out_path`` defaults to ``folder/report.html``; an existing file there that cqsim did not
    write is replaced only with ``force``. ``lang`` is the report's language. Returns the path
    written.
    """
    out = Path(out_path) if out_path is not None else Path(folder) / "report.html"
    check_output_file(out, force=force)
    page = build_report(folder, lang)
    with output_file(out, force=force) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out
