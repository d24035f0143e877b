"""Chinese labels (issue 15): the translation tables, the plots, the report, the CLI and the app.

The tables must cover every id the model defines (metrics, parks, policy kinds, targets and
observed figures, levers), and the Chinese report and plots must ask for no text that has no
translation (:func:`sim.lang.missing`) and draw no glyph their font lacks.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from analysis import plots
from cqsim.cli import main
from sim import lang
from sim.app.levers import CHOICES, KIND_LEVERS, SLIDERS, Levers, park_choices
from sim.metrics import METRICS
from sim.params import load_parameters
from sim.policies import LABELS as POLICY_LABELS
from sim.targets import load_observations, verdict

# ------------------------------------------------------------------------------ the tables


def test_every_label_of_the_report_and_plots_has_a_chinese_entry():
    """Iterate the English keys: metrics, parks, kinds, units, figures, levers, verdicts."""
    missing = [m for m in [*METRICS, *plots.LABELS] if m not in lang.METRICS]
    assert not missing, f"metrics without a Chinese label: {missing}"
    params = load_parameters()
    assert sorted(lang.PARKS) == sorted(p.id for p in params.parks)
    assert set(POLICY_LABELS) | {"total"} == set(lang.KINDS)
    obs = load_observations()
    assert set(obs["id"]) == set(lang.FIGURES)
    units = {*obs["unit"].astype(str), *(u for _, u in plots.LABELS.values())}
    assert not units - set(lang.UNITS), units - set(lang.UNITS)
    for metric in METRICS:  # in Chinese, every unit a label carries is a Chinese one
        _, unit = plots.metric_label(metric, "zh")
        assert unit in lang.UNITS.values(), (metric, unit)
    levers = [lv.name for kind in KIND_LEVERS.values() for lv in kind]
    assert set(levers) | {"package_start", "package_end"} == set(lang.LEVERS)
    assert set(levers) == set(lang.LEVER_HELP)
    fixed = [c for _, what in CHOICES.values() if not isinstance(what, str) for c in what]
    groups = [k for k in park_choices(params) if k not in {p.name for p in params.parks}]
    assert all(c in lang.CHOICE_WORDS for c in [*fixed, *groups[:4]])
    assert set(SLIDERS) <= set(lang.LEVERS)
    for prob in (np.nan, 0.95, 0.7, 0.4, 0.1):
        assert verdict(prob) in lang.VERDICTS
    # the app's chart titles and the transforms' notes
    from sim.app.charts import CHARTS

    for text in [title for _, _, title in CHARTS] + list(plots.TRANSFORM_NOTES.values()):
        assert text in lang.TEXT, text


def test_the_citys_names_are_those_of_the_facts_file():
    assert lang.PARKS["jinfeng_software"][0] == "金凤软件园"
    assert lang.PARKS["xiantao_big_data"] == ("渝北仙桃国际大数据谷", "仙桃数据谷")
    assert lang.PARKS["fulicheng_university_town"][0] == "大学城(富力城片区)"
    assert lang.METRICS["revenue_bn_yuan"][0] == "主营业务收入"
    assert lang.METRICS["software_revenue_bn_yuan"][0] == "软件业务收入"
    assert lang.METRICS["workforce"][0] == "从业人员"
    assert lang.KINDS["rent_reduction"] == "租金减免"
    # a name section G does not give keeps its English beside it
    assert "Chongqing High-tech Software Park" in lang.PARKS["hightech_software"][0]
    assert lang.t("Figures", "en") == "Figures" and lang.t("Figures", "zh") == "图表"


# ------------------------------------------------------------------------------ the CLI


@pytest.mark.parametrize("command", [["report"], ["plot", "KIND"]])
def test_report_and_plot_reject_another_language(command, tmp_path, capsys):
    args = [command[0], str(tmp_path), *command[1:]]
    with pytest.raises(SystemExit) as info:  # argparse's own message and exit status
        main([*args, "--lang", "xx"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "cqsim: error: argument --lang: invalid choice: 'xx' (choose from 'en', 'zh')" in err


def test_a_missing_cjk_font_is_one_clear_message(tmp_path, monkeypatch, capsys):
    from matplotlib import font_manager

    lang.cjk_font_path.cache_clear()
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    try:
        for args in (["report", str(tmp_path)], ["plot", str(tmp_path), "fan"]):
            assert main([*args, "--lang", "zh"]) == 2
            err = capsys.readouterr().err.strip().splitlines()
            assert len(err) == 1 and err[0].startswith("cqsim: error: --lang: "), err
            assert "Noto Sans CJK SC" in err[0] and "fonts-noto-cjk" in err[0]
        assert not (tmp_path / "report.html").exists()
    finally:
        lang.cjk_font_path.cache_clear()


# ------------------------------------------------------------------------------ the app


def test_the_apps_language_switch_changes_lever_labels_and_verdicts(monkeypatch):
    import ipyvuetify as v
    import solara
    import solara.widgets

    import sim.app.views as views
    from sim.app.ensemble import run_ensemble
    from sim.app.live import start_scenario

    ensemble = run_ensemble(start_scenario("baseline"), 2, workers=2)
    app = views.AppRun(Levers(), 2, ensemble, ensemble, 0.0)

    class Done:  # the run task, finished: the page shows its answer without running
        latest, pending, error, progress, exception = app, False, False, 100.0, None

        def __call__(self, *args):
            pass

    monkeypatch.setattr(views, "run_levers", Done())
    _, rc = solara.render(views.Page(), handle_error=False)

    def labels() -> list[str]:
        return [s.label for s in rc.find(v.Slider).widgets]

    def answer() -> str:
        (html,) = [
            w
            for w in rc.find(solara.widgets.HTML).widgets
            if w.attributes.get("id") == "cqsim-answer"
        ]
        return html.unsafe_innerHTML

    assert any(label.startswith("Talent: housing, yuan/month") for label in labels())
    assert re.search(r"P \d+% (met|likely|unlikely|as likely as not)<", answer())
    assert "2025 target" in answer()

    def switch(to: str) -> None:  # as a click on the language's button does in the browser
        (toggle,) = [
            w
            for w in rc.find(v.BtnToggle).widgets
            if [b.children for b in w.children] == [["English"], ["中文"]]
        ]
        toggle.v_model = ["English", "中文"].index(to)

    switch("中文")
    assert any(label.startswith("人才: 住房补贴, 元/月") for label in labels())
    assert not any(label.startswith("Talent:") for label in labels())
    assert re.search(r"P \d+% (达成|可能达成|或许达成|不太可能达成)<", answer())
    assert "2025年目标" in answer() and "2025年主营业务收入" in answer()
    selects = {s.label: s for s in rc.find(v.Select).widgets}
    rent_parks = selects["租金减免: 园区"]
    assert "科学城园区" in rent_parks.items and "金凤软件园" in rent_parks.items
    # a choice made in Chinese keeps its English value in the levers (the scenario's words)
    rent_parks.v_model = "金凤软件园"
    switch("English")
    selects = {s.label: s for s in rc.find(v.Select).widgets}
    assert selects["Rent cut: parks"].v_model == "Jinfeng Software Park"


def test_what_the_start_enacts_is_said_in_chinese_field_by_field():
    from sim.app.live import start_scenario
    from sim.app.views import enacted
    from sim.policies import SPECS

    fields = {f for spec in SPECS.values() for f in spec.model_fields}
    assert fields - {"kind", "name", "start", "end"} <= set(lang.POLICY_FIELDS)
    baseline = start_scenario("baseline")
    said = enacted(baseline, "talent", "zh")
    assert "住房补贴, 元/月 600" in said and "2022-07 至" in said
    assert "housing subsidy" not in said and " to " not in said
    for kind in {p.kind for p in baseline.policies}:
        assert not re.search(r"[a-z]+ [a-z]+ [a-z]+", enacted(baseline, kind, "zh")), kind
