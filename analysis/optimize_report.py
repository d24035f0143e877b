"""The HTML report of an optimisation result folder (``cqsim optimize``): the answer first."""

from __future__ import annotations

import base64
import html
import json
import time
from pathlib import Path

import pandas as pd

from sim.credibility import trust_statement


def is_optimization(folder: str | Path) -> bool:
    """Whether the folder is the result of ``cqsim optimize``."""
    manifest = Path(folder) / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return "optimization" in data and "fingerprint" in data


def _e(value: object) -> str:
    return html.escape(str(value))


def _num(value: object) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _table(frame: pd.DataFrame, columns: dict[str, str], caption: str) -> str:
    if frame.empty:
        return f"<p class='note'>{_e(caption)}: nothing to show.</p>"
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{_e(columns[c])}</th>" for c in cols)
    rows = []
    for _, r in frame.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            text = _num(v) if numeric else str(v)
            cells.append(f"<td{' class=num' if numeric else ''}>{_e(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<div class='scroll'><table><caption>{_e(caption)}</caption><thead><tr>{head}</tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _short(path: str) -> str:
    return path.removeprefix("policies.")


def build_optimize_report(folder: str | Path) -> str:
    """The optimisation's report as one self-contained HTML page."""
    from analysis.report import CSS

    folder = Path(folder)
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    name = m["definition"]["name"]
    levers = m["levers"]
    front = _read(folder, "front.csv")
    check = _read(folder, "fresh_seed_check.csv")
    attribution = _read(folder, "attribution.csv")
    objectives = [metric for metric, _ in m["objectives"]]
    front_cols = {"candidate": "package"}
    for metric in dict.fromkeys([*objectives, "cost", "extra_cost", "p_all"]):
        front_cols[metric] = metric
    for t in [c for c in front.columns if c.startswith("p:")]:
        front_cols[t] = t
    for lv in levers:
        front_cols[lv] = _short(lv)
    check_cols = {"candidate": "package", "seeds": "fresh seeds"}
    for metric in ("p_all", "cost", *objectives):
        check_cols[f"search:{metric}"] = f"{metric}, search seeds"
        check_cols[metric] = f"{metric}, fresh seeds"
        check_cols[f"se:{metric}"] = "± s.e."
    attr_cols = {
        "figure": "figure",
        "player": "policy",
        "levers": "levers moved",
        "effect_mean": "mean effect",
        "effect_p5": "5%",
        "effect_p95": "95%",
    }
    png = folder / "pareto.png"
    figure = ""
    if png.is_file():
        uri = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
        figure = (
            f"<figure><img src='{uri}' alt='cost against attainment'><figcaption>Every package "
            "evaluated: cost to the targets' year against the probability of meeting the "
            "targets on the search's seeds; the front, and the chosen packages re-run on fresh "
            "seeds (error bars: one standard error).</figcaption></figure>"
        )
    trust = trust_statement()
    details = "".join(f"<li>{_e(d)}</li>" for d in m.get("details", []))
    packages = (
        sorted((folder / "packages").glob("*.toml")) if (folder / "packages").is_dir() else []
    )
    files = ", ".join(f"<code>packages/{_e(p.name)}</code>" for p in packages[:10])
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='generator' content='cqsim'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>cqsim: optimisation {_e(name)}</title><style>{CSS}</style></head><body>",
        f"<h1>cqsim: optimisation {_e(name)}</h1>",
        f"<p class='meta'>{int(m['candidates'])} packages on {len(m['seeds'])} seeds "
        f"({m['seeds'][0]}..{m['seeds'][-1]}); constraints: "
        f"{_e(', '.join(m['constraints']) or 'none')}; report written "
        f"{_e(time.strftime('%Y-%m-%d %H:%M'))}.</p>",
        "<section id='answer'><h2>The answer</h2>",
        f"<p class='lead'>{_e(m['headline'])}</p>",
        f"<ul>{details}</ul>",
        f"<p class='trust'>{_e(trust)}</p>" if trust else "",
        "</section>",
        "<section id='figures'><h2>Cost against attainment</h2>" + figure + "</section>",
        "<section id='tables'><h2>Tables</h2>",
        _table(front, front_cols, "The Pareto front (search seeds; best first)"),
        _table(check, check_cols, "The chosen packages on fresh seeds the search never saw"),
        _table(
            attribution,
            attr_cols,
            "What each moved policy of the best package contributes against the base "
            "(Shapley values, seed by seed)",
        ),
        "</section>",
        "<section id='about'><h2>What was run</h2>",
        f"<p>Optimisation file <code>{_e(m['optimization'])}</code>; store "
        f"<code>{_e(m['store'])}</code>. Scenario files of the front: {files or 'none'}"
        f"{' …' if len(packages) > 10 else ''}; run one with <code>cqsim run</code>.</p>",
        "</section></body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
