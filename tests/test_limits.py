"""Every valid input runs within the memory limits or is refused with a reason (issue 14).

Before the run, a scenario whose policies alone would bring implausibly many people, or too
many agents at its scale, is refused naming the policy; during the run, the tables stop at
their limits with a clear message; a run whose public cost is implausible against the city's
budget gets a warning in the printed table, the manifest and the report. The app's sliders and
the scenario files share one range per field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim.core
from cqsim.cli import EXIT_BAD_INPUT, main
from sim.errors import ResourceLimitError
from sim.params import load_parameters
from sim.runner import resolve, simulate
from sim.validation import field_range

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

LEADING_MAX = """
[[policies]]
kind = "leading_enterprises"
start = "2021-01"
end = "2021-12"
count = 100
park = "jinfeng_software"
sector = "industrial_software"
staff = 20000
followers = 500
"""

SCENARIOS_MAX = """
[[policies]]
kind = "application_scenarios"
start = "2021-01"
end = "2030-12"
per_month = 2000
value_m_yuan = 1000
"""

TALENT_MAX = """
[[policies]]
kind = "talent"
start = "2021-01"
end = "2030-12"
eligible_months = 120
income_tax_relief = 1.0
housing_subsidy_yuan_month = 10000
resettlement_subsidy_yuan = 300000
school_places_per_year = 50000
training_places_per_year = 100000
"""


def run(path: Path, out: Path, *extra: str) -> int:
    return main(["run", str(path), "-n", "1", "--quiet", "--out", str(out), *extra])


def test_implausible_scenario_is_refused_before_it_runs(
    write_scenario, tmp_path, capsys, monkeypatch
):
    path = write_scenario(SCENARIOS_MAX, name="huge.toml")
    monkeypatch.setattr(sim.core.ClusterSim, "step", lambda self: pytest.fail("it ran"))
    assert run(path, tmp_path / "o") == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"cqsim: error: {path}: policies[") and "limits.max_people" in err
    assert "alone brings about" in err and "lower it" in err
    assert not (tmp_path / "o").exists()


def test_implausible_parameters_are_named_too(write_scenario, tmp_path, capsys):
    path = write_scenario(
        """
        [parameters.migration]
        in_base = 50000
        """,
        name="migrants.toml",
    )
    assert run(path, tmp_path / "o") == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "parameters.migration.in_base: this scenario would bring about" in err


def test_too_many_agents_at_this_scale_is_refused_with_the_scale_to_use(
    write_scenario, tmp_path, capsys
):
    path = write_scenario(LEADING_MAX, name="leaders.toml")
    assert run(path, tmp_path / "o", "--scale", "1") == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "run.scale" in err and "limits.max_worker_agents" in err and "--scale 2" in err
    assert not (tmp_path / "o").exists()


def test_the_largest_documented_leading_enterprise_programme_completes(write_scenario, tmp_path):
    path = write_scenario(LEADING_MAX, name="leaders.toml")
    assert run(path, tmp_path / "o", "--end", "2023-12") == 0


def test_a_run_that_outgrows_its_limit_stops_with_a_message(baseline_path, monkeypatch):
    monkeypatch.setattr(sim.core, "check_scenario", lambda scenario, params: None)
    scenario = resolve(baseline_path, end="2023-12", posterior=False)
    limited = scenario.model_copy(
        update={"parameters": {"limits.max_worker_agents": 30000, "demand.growth_scale": 3.0}}
    )
    with pytest.raises(ResourceLimitError, match=r"reached 30,000 worker agents in 20\d\d-\d\d"):
        simulate(limited, seed=1)


def test_the_limit_stops_a_cli_run_with_exit_2_and_nothing_written(
    write_scenario, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(sim.core, "check_scenario", lambda scenario, params: None)
    path = write_scenario(
        """
        [parameters.limits]
        max_firm_agents = 3000
        """,
        name="small_limit.toml",
    )
    assert run(path, tmp_path / "o", "--no-posterior", "--workers", "1") == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "firm agents" in err and "limits.max_firm_agents" in err and "stopped" in err
    assert not (tmp_path / "o").exists()


def test_implausible_fiscal_cost_is_flagged_everywhere(write_scenario, tmp_path, capsys):
    path = write_scenario(TALENT_MAX, name="talent_max.toml")
    out = tmp_path / "o"
    assert run(path, out, "--end", "2022-12") == 0
    printed = capsys.readouterr().out
    assert (
        "WARNING: talent_max: the policies cost" in printed and "general public budget" in printed
    )
    warnings = json.loads((out / "manifest.json").read_text())["warnings"]
    assert len(warnings) == 1 and "implausible" in warnings[0]
    assert main(["report", str(out)]) == 0
    assert "class='warning'" in (out / "report.html").read_text()


def test_the_baseline_draws_no_fiscal_warning(baseline_path, tmp_path, capsys):
    assert run(baseline_path, tmp_path / "o", "--end", "2025-12") == 0
    assert "WARNING" not in capsys.readouterr().out
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["warnings"] == []


def test_app_sliders_span_the_policy_fields_ranges():
    from sim.app.levers import SLIDERS
    from sim.policies.application_scenarios import ApplicationScenariosSpec as ApplicationScenarios
    from sim.policies.leading_enterprises import LeadingEnterprisesSpec as LeadingEnterprises
    from sim.policies.scale_up_awards import MAX_AWARD_M_YUAN
    from sim.policies.talent import TalentSpec as Talent

    assert SLIDERS["housing_subsidy_yuan_month"][1:3] == field_range(
        Talent, "housing_subsidy_yuan_month"
    )
    assert SLIDERS["scenarios_per_month"][2] == field_range(ApplicationScenarios, "per_month")[1]
    assert SLIDERS["leading_count"][2] == field_range(LeadingEnterprises, "count")[1]
    assert SLIDERS["award_10bn_m_yuan"][2] == MAX_AWARD_M_YUAN


def test_limits_are_documented_parameters():
    params = load_parameters()
    for key in ("max_worker_agents", "max_firm_agents", "max_people", "fiscal_warning_share"):
        spec = params.specs[f"limits.{key}"]
        assert spec.unit and spec.source and spec.status in ("assumed", "stated")
