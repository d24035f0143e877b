"""Scenario validation: every problem is one ScenarioError naming the file and the key path.

Requirement: an unknown key ('did you mean ...?'), a wrong type, a value out of range, an unknown
park or sector, a bad date, a missing or circular `extends` each give one clear message naming
the file and key path.
"""

from __future__ import annotations

import difflib
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.params import load_parameters
from sim.policies import KINDS as POLICY_KINDS
from sim.policies.rent_reduction import RentReductionSpec as RentReduction
from sim.scenario import RunSettings, ScenarioError, load_scenario


def toml_str(value: str | Path) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(str(value))


def rent(**fields: object) -> str:
    """A [[policies]] table for a valid rent reduction, with some fields replaced or added."""
    base: dict[str, object] = {
        "kind": "rent_reduction",
        "start": "2023-01",
        "end": "2025-12",
        "parks": ["jinfeng_software"],
        "share": 0.5,
    }
    base.update(fields)
    return table("policies", base)


def table(header: str, fields: dict[str, object]) -> str:
    lines = [f"[[{header}]]" if header == "policies" else f"[{header}]"]
    for key, value in fields.items():
        if value is None:
            continue
        lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def toml_value(value: object) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


class Raw:
    """TOML text written as is (e.g. a bare date, which Python values cannot spell)."""

    def __init__(self, text: str):
        self.text = text


def error_of(path: Path, params=None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, params)
    return info.value


def same_file(reported: str, expected: Path) -> bool:
    return Path(reported).resolve() == expected.resolve()


@pytest.fixture(scope="module")
def params():
    return load_parameters()


# ----------------------------------------------------------------------------------------------
# Positive cases


def baseline_policy_blocks(path: Path) -> int:
    """How many [[policies]] tables the file itself declares (read as text, not by the loader)."""
    return sum(line.strip() == "[[policies]]" for line in path.read_text().splitlines())


def test_baseline_loads(baseline_path):
    sc = load_scenario(baseline_path)
    assert sc.name == "baseline"
    assert (sc.run.start, sc.run.end, sc.run.scale) == ("2021-01", "2030-12", 10)
    assert sc.parameters == {}
    assert len(sc.policies) == baseline_policy_blocks(baseline_path)
    # every kind but subsidised computing power, which the baseline does not enact
    assert {p.kind for p in sc.policies} == set(POLICY_KINDS) - {"computing_power"}


def test_no_policy_loads_without_policies_and_inherits_run(scenarios_dir, baseline_path):
    sc = load_scenario(scenarios_dir / "no_policy.toml")
    assert sc.name == "no_policy"
    assert sc.policies == []
    assert sc.run == load_scenario(baseline_path).run


@pytest.fixture(scope="module")
def baseline_policies(baseline_path):
    return load_scenario(baseline_path).policies


@pytest.mark.parametrize(
    ("drop", "expect_removed"),
    [
        (["talent"], lambda p: p.kind == "talent"),
        (["zhongguancun_zhiku"], lambda p: p.name == "zhongguancun_zhiku"),
        (
            ["application_scenarios", "office_programme_2022"],
            lambda p: p.kind == "application_scenarios" or p.name == "office_programme_2022",
        ),
        (["*"], lambda p: True),
        ([], lambda p: False),
    ],
    ids=["by-kind", "by-name", "kind-and-name", "star", "nothing"],
)
def test_drop_policies(write_scenario, baseline_policies, drop, expect_removed):
    path = write_scenario(f"drop_policies = {toml_value(drop)}\n")
    sc = load_scenario(path)
    kept = [p for p in baseline_policies if not expect_removed(p)]
    assert [p.name for p in sc.policies] == [p.name for p in kept]
    assert sc.policies == kept


def test_drop_all_then_add_keeps_only_the_child_policy(write_scenario):
    path = write_scenario('drop_policies = ["*"]\n' + rent(name="mine"))
    sc = load_scenario(path)
    assert [(p.kind, p.name) for p in sc.policies] == [("rent_reduction", "mine")]
    assert sc.policies[0].share == 0.5


def test_child_policies_come_after_the_parents(write_scenario, baseline_policies):
    path = write_scenario('drop_policies = ["leading_enterprises"]\n' + rent(name="extra"))
    sc = load_scenario(path)
    names = [p.name for p in sc.policies]
    assert names[-1] == "extra"
    assert names[:-1] == [p.name for p in baseline_policies if p.kind != "leading_enterprises"]


def test_run_settings_merge_with_parent(write_scenario, baseline_path):
    # The parent's run settings all differ from the defaults (and from the baseline's), so a
    # merge that fell back to defaults for the keys the child does not set would be caught.
    parent = {"start": "2022-01", "end": "2027-12", "scale": 20, "replicates": 4, "seed": 9}
    defaults = RunSettings()
    assert all(getattr(defaults, key) != value for key, value in parent.items())
    write_scenario(table("run", parent), name="parent.toml")  # extends the baseline
    child = write_scenario(
        'extends = "parent.toml"\n[run]\nscale = 5\nreplicates = 3\n',
        name="child.toml",
        extends_baseline=False,
    )
    run = load_scenario(child).run
    assert (run.scale, run.replicates) == (5, 3)  # the child's
    assert (run.start, run.end, run.seed) == ("2022-01", "2027-12", 9)  # the parent's
    baseline_posterior = load_scenario(baseline_path).run.posterior
    assert baseline_posterior is not None and run.posterior == baseline_posterior  # grandparent's


def test_parameter_overrides_use_dotted_keys(write_scenario):
    path = write_scenario(
        """
        [parameters.labour]
        quit_rate = 0.02
        graduate_month = 8.0
        [parameters.migration]
        income_elasticity = 2
        """
    )
    sc = load_scenario(path)
    assert sc.parameters == {
        "labour.quit_rate": 0.02,
        "labour.graduate_month": 8,
        "migration.income_elasticity": 2,
    }
    assert type(sc.parameters["labour.graduate_month"]) is int  # an int parameter stays an int
    p = sc.params()
    assert p.labour.quit_rate == 0.02
    assert p["migration.income_elasticity"] == 2
    assert p.labour.matching_efficiency == load_parameters().labour.matching_efficiency


def test_parameter_overrides_chain_child_wins(write_scenario, tmp_path, baseline_path):
    write_scenario(
        "[parameters.labour]\nquit_rate = 0.02\nmatching_efficiency = 0.7\n", name="mid.toml"
    )
    child = write_scenario(
        'extends = "mid.toml"\n[parameters.labour]\nquit_rate = 0.03\n',
        name="leaf.toml",
        extends_baseline=False,
    )
    sc = load_scenario(child)
    assert sc.name == "leaf"
    assert sc.parameters == {"labour.quit_rate": 0.03, "labour.matching_efficiency": 0.7}
    assert len(sc.policies) == baseline_policy_blocks(baseline_path)  # through mid.toml


def test_relative_extends_resolves_from_the_childs_folder(tmp_path, scenarios_dir, monkeypatch):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "parent.toml").write_text('name = "parent"\n[run]\nscale = 7\n')
    (sub / "child.toml").write_text('name = "child"\nextends = "parent.toml"\n')
    monkeypatch.chdir(tmp_path)  # not the child's folder
    sc = load_scenario(Path("sub") / "child.toml")
    assert (sc.name, sc.run.scale) == ("child", 7)


# ----------------------------------------------------------------------------------------------
# Invalid files: (body of a child that extends baseline, key path, fragments of the message)

CASES = [
    # unknown keys, with suggestions
    pytest.param(
        'descriptoin = "x"\n',
        "descriptoin",
        ["unknown key 'descriptoin'", "did you mean 'description'?"],
        id="unknown-top-level-key",
    ),
    pytest.param(
        'drop_polices = ["talent"]\n',
        "drop_polices",
        ["unknown key 'drop_polices'", "did you mean 'drop_policies'?"],
        id="unknown-top-level-key-2",
    ),
    pytest.param(
        "[run]\nscael = 3\n",
        "run.scael",
        ["unknown key 'scael'", "did you mean 'scale'?"],
        id="unknown-run-key",
    ),
    pytest.param(
        "[run]\nreplicate = 3\n",
        "run.replicate",
        ["did you mean 'replicates'?"],
        id="unknown-run-key-2",
    ),
    pytest.param(
        rent(shaer=0.3),
        "policies[0].shaer",
        ["unknown key 'shaer'", "did you mean 'share'?"],
        id="unknown-policy-key",
    ),
    pytest.param(
        rent() + rent(new_setler_months=12),
        "policies[1].new_setler_months",
        ["did you mean 'new_settler_months'?"],
        id="unknown-policy-key-second-policy",
    ),
    pytest.param(
        rent(kind="rent_reducton"),
        "policies[0].kind",
        ["unknown policy kind 'rent_reducton'", "did you mean 'rent_reduction'?"],
        id="unknown-policy-kind",
    ),
    pytest.param(
        table("policies", {"kind": "talant", "start": "2021-01", "end": "2021-02"}),
        "policies[0].kind",
        ["did you mean 'talent'?"],
        id="unknown-policy-kind-2",
    ),
    pytest.param(
        table("policies", {"start": "2021-01", "end": "2021-02"}),
        "policies[0].kind",
        ["missing 'kind'", "rent_reduction"],
        id="missing-policy-kind",
    ),
    # wrong types
    pytest.param(
        rent(share="half"), "policies[0].share", ["valid number", "'half'"], id="string-for-number"
    ),
    pytest.param("[run]\nscale = 2.5\n", "run.scale", ["valid integer", "2.5"], id="float-for-int"),
    pytest.param("[run]\nscale = 2.0\n", "run.scale", ["valid integer"], id="whole-float-for-int"),
    pytest.param(
        '[run]\nreplicates = "3"\n', "run.replicates", ["valid integer"], id="string-for-int"
    ),
    pytest.param(
        table(
            "policies",
            {
                "kind": "leading_enterprises",
                "start": "2021-07",
                "end": "2021-07",
                "count": 1.5,
                "park": "jinfeng_software",
                "sector": "general_it",
            },
        ),
        "policies[0].count",
        ["valid integer", "1.5"],
        id="float-for-int-in-policy",
    ),
    pytest.param(
        rent(parks="jinfeng_software"), "policies[0].parks", ["valid list"], id="string-for-list"
    ),
    pytest.param(
        'drop_policies = "talent"\n', "drop_policies", ["valid list"], id="string-for-list-top"
    ),
    pytest.param("run = 3\n", "run", ["dictionary"], id="number-for-table"),
    pytest.param(
        "[run]\nend = 2023-01-01\n", "run.end", ["valid string"], id="toml-date-for-month"
    ),
    # out of range
    pytest.param(
        rent(share=1.5), "policies[0].share", ["less than or equal to 1", "1.5"], id="share-1.5"
    ),
    pytest.param(
        rent(share=-0.1), "policies[0].share", ["greater than or equal to 0"], id="share-neg"
    ),
    pytest.param(
        "[run]\nscale = 0\n", "run.scale", ["greater than or equal to 1", "0"], id="scale-0"
    ),
    pytest.param("[run]\nseed = -1\n", "run.seed", ["greater than or equal to 0"], id="seed-neg"),
    pytest.param(
        table(
            "policies",
            {
                "kind": "application_scenarios",
                "start": "2022-01",
                "end": "2022-06",
                "per_month": -1,
            },
        ),
        "policies[0].per_month",
        ["greater than or equal to 0", "-1"],
        id="negative-per-month",
    ),
    pytest.param(rent(parks=[]), "policies[0].parks", ["at least 1 item"], id="empty-parks-list"),
    pytest.param('name = "two words"\n', "name", ["pattern"], id="bad-name"),
    # unknown parks and sectors
    pytest.param(
        rent(parks=["jinfeng_software", "jinfeng_sofware"]),
        "policies[0].parks[1]",
        ["unknown park 'jinfeng_sofware'", "did you mean 'jinfeng_software'?"],
        id="unknown-park-in-list",
    ),
    pytest.param(
        table(
            "policies",
            {
                "kind": "leading_enterprises",
                "start": "2021-07",
                "end": "2021-07",
                "count": 1,
                "park": "liangjiang_sofware",
                "sector": "general_it",
            },
        ),
        "policies[0].park",
        ["unknown park 'liangjiang_sofware'", "did you mean 'liangjiang_software'?"],
        id="unknown-park-single",
    ),
    pytest.param(
        table(
            "policies",
            {
                "kind": "talent",
                "start": "2021-01",
                "end": "2021-12",
                "sectors": ["ic_design", "artificial_inteligence"],
            },
        ),
        "policies[0].sectors[1]",
        ["unknown sector 'artificial_inteligence'", "did you mean 'artificial_intelligence'?"],
        id="unknown-sector-in-list",
    ),
    pytest.param(
        table(
            "policies",
            {
                "kind": "leading_enterprises",
                "start": "2021-07",
                "end": "2021-07",
                "count": 1,
                "park": "jinfeng_software",
                "sector": "generl_it",
            },
        ),
        "policies[0].sector",
        ["unknown sector 'generl_it'", "did you mean 'general_it'?"],
        id="unknown-sector-single",
    ),
    pytest.param(
        table(
            "policies",
            {
                "kind": "office_supply",
                "start": "2022-01",
                "end": "2022-12",
                "parks": ["outside"],
                "area_m2": 1000,
            },
        ),
        "policies[0].parks",
        ["outside"],
        id="office-outside-parks",
    ),
    # bad dates
    pytest.param('[run]\nend = "2023-13"\n', "run.end", ["2023-13", "01-12"], id="month-13"),
    pytest.param(
        '[run]\nstart = "2021/01"\n', "run.start", ["YYYY-MM", "2021/01"], id="slash-date"
    ),
    pytest.param(rent(start="2023/01"), "policies[0].start", ["YYYY-MM"], id="slash-date-policy"),
    pytest.param(rent(end="2025-1"), "policies[0].end", ["YYYY-MM"], id="one-digit-month"),
    pytest.param('[run]\nstart = "1899-12"\n', "run.start", ["1900"], id="year-out-of-range"),
    pytest.param(
        rent(start="2025-01", end="2024-12"),
        "policies[0].end",
        ["end 2024-12 is before start 2025-01"],
        id="policy-end-before-start",
    ),
    # [parameters] overrides
    pytest.param(
        "[parameters.labor]\nquit_rate = 0.02\n",
        "parameters.labor",
        ["unknown parameter group 'labor'", "did you mean 'labour'?"],
        id="unknown-parameter-group",
    ),
    pytest.param(
        "[parameters.labour]\nquit_rat = 0.02\n",
        "parameters.labour.quit_rat",
        ["unknown parameter 'quit_rat'", "did you mean 'quit_rate'?"],
        id="unknown-parameter-name",
    ),
    pytest.param(
        "[parameters.migration]\nincome_elastcity = 2\n",
        "parameters.migration.income_elastcity",
        ["did you mean 'income_elasticity'?"],
        id="unknown-parameter-name-2",
    ),
    pytest.param(
        "[parameters.labour]\nquit_rate = 1.5\n",
        "parameters.labour.quit_rate",
        ["1.5", "above the maximum 1"],
        id="parameter-above-max",
    ),
    pytest.param(
        "[parameters.labour]\nquit_rate = -0.5\n",
        "parameters.labour.quit_rate",
        ["-0.5", "below the minimum 0"],
        id="parameter-below-min",
    ),
    pytest.param(
        "[parameters.labour]\ngraduate_month = 13\n",
        "parameters.labour.graduate_month",
        ["above the maximum 12"],
        id="int-parameter-above-max",
    ),
    pytest.param(
        '[parameters.labour]\nquit_rate = "high"\n',
        "parameters.labour.quit_rate",
        ["expected a number", "'high'"],
        id="parameter-string",
    ),
    pytest.param(
        "[parameters.labour]\nquit_rate = true\n",
        "parameters.labour.quit_rate",
        ["expected a number"],
        id="parameter-bool",
    ),
    pytest.param(
        "[parameters.labour]\ngraduate_month = 7.5\n",
        "parameters.labour.graduate_month",
        ["whole number", "7.5"],
        id="parameter-float-for-int",
    ),
    pytest.param(
        "[parameters]\nlabour = 3\n",
        "parameters.labour",
        ["table"],
        id="parameter-group-not-a-table",
    ),
    # scale-up awards
    pytest.param(
        table(
            "policies",
            {
                "kind": "scale_up_awards",
                "start": "2021-01",
                "end": "2021-12",
                "thresholds_bn_yuan": [0.1, 1.0],
                "awards_m_yuan": [0.5],
            },
        ),
        "policies[0]",
        ["same length"],
        id="awards-lengths-differ",
    ),
    pytest.param(
        table(
            "policies",
            {
                "kind": "scale_up_awards",
                "start": "2021-01",
                "end": "2021-12",
                "thresholds_bn_yuan": [1.0, 0.1],
                "awards_m_yuan": [0.5, 2.0],
            },
        ),
        "policies[0]",
        ["increasing"],
        id="awards-thresholds-unsorted",
    ),
    pytest.param(
        table(
            "policies",
            {
                "kind": "scale_up_awards",
                "start": "2021-01",
                "end": "2021-12",
                "thresholds_bn_yuan": [0.0, 1.0],
                "awards_m_yuan": [0.5, 2.0],
            },
        ),
        "policies[0]",
        ["> 0"],
        id="awards-threshold-zero",
    ),
]


@pytest.mark.parametrize(("body", "key", "fragments"), CASES)
def test_invalid_child_names_file_key_and_problem(write_scenario, params, body, key, fragments):
    path = write_scenario(body)
    err = error_of(path, params)
    assert same_file(err.file, path)
    assert err.key == key
    for fragment in fragments:
        assert fragment in err.message
    # str(err) is the one line the CLI prints: "FILE: KEY: message"
    assert str(err) == f"{err.file}: {key}: {err.message}"
    assert "\n" not in str(err)


def test_run_end_before_start(write_scenario):
    path = write_scenario('[run]\nstart = "2022-01"\nend = "2021-06"\n')
    err = error_of(path)
    assert same_file(err.file, path)
    assert err.key == "run.end"
    assert "end 2021-06 is before start 2022-01" in err.message


def test_run_end_before_inherited_start(write_scenario):
    # the child sets only `end`; baseline's start is 2021-01
    path = write_scenario('[run]\nend = "2020-06"\n')
    err = error_of(path)
    assert same_file(err.file, path)
    assert err.key == "run.end"
    assert "before start 2021-01" in err.message


def test_end_before_start_across_files(tmp_path):
    (tmp_path / "parent.toml").write_text('name = "parent"\n[run]\nstart = "2026-01"\n')
    child = tmp_path / "child.toml"
    child.write_text('name = "child"\nextends = "parent.toml"\n[run]\nend = "2025-06"\n')
    err = error_of(child)
    assert same_file(err.file, child)
    assert err.key == "run.end"
    assert "2025-06" in err.message and "2026-01" in err.message


def test_first_problem_wins_and_is_reported_once(write_scenario):
    path = write_scenario("foo = 1\n[run]\nscale = 0\n")
    err = error_of(path)
    assert err.key in ("foo", "run.scale")
    assert "\n" not in str(err)


# ----------------------------------------------------------------------------------------------
# `extends`


def test_missing_extends_file(write_scenario):
    path = write_scenario('extends = "no_such_parent.toml"\n', extends_baseline=False)
    err = error_of(path)
    assert same_file(err.file, path)
    assert err.key == "extends"
    assert "not found" in err.message and "no_such_parent.toml" in err.message


def test_missing_extends_deeper_in_the_chain_names_the_middle_file(write_scenario):
    mid = write_scenario('extends = "gone.toml"\n', name="mid.toml", extends_baseline=False)
    leaf = write_scenario('extends = "mid.toml"\n', name="leaf.toml", extends_baseline=False)
    err = error_of(leaf)
    assert same_file(err.file, mid)
    assert err.key == "extends"
    assert "gone.toml" in err.message


def test_extends_wrong_type(write_scenario):
    path = write_scenario("extends = 3\n", extends_baseline=False)
    err = error_of(path)
    assert (err.key, same_file(err.file, path)) == ("extends", True)


def test_self_extends(write_scenario):
    path = write_scenario('extends = "self.toml"\n', name="self.toml", extends_baseline=False)
    err = error_of(path)
    assert same_file(err.file, path)
    assert err.key == "extends"
    assert "circular" in err.message and "self.toml" in err.message


def test_circular_extends_a_b_a(write_scenario):
    a = write_scenario('extends = "b.toml"\n', name="a.toml", extends_baseline=False)
    b = write_scenario('extends = "a.toml"\n', name="b.toml", extends_baseline=False)
    err = error_of(a)
    assert same_file(err.file, b)  # b.toml's `extends` closes the loop
    assert err.key == "extends"
    assert "circular" in err.message
    assert "a.toml -> b.toml -> a.toml" in err.message
    err_b = error_of(b)
    assert same_file(err_b.file, a)
    assert "b.toml -> a.toml -> b.toml" in err_b.message


def test_circular_extends_three_files(write_scenario):
    a = write_scenario('extends = "b.toml"\n', name="a.toml", extends_baseline=False)
    write_scenario('extends = "c.toml"\n', name="b.toml", extends_baseline=False)
    c = write_scenario('extends = "a.toml"\n', name="c.toml", extends_baseline=False)
    err = error_of(a)
    assert same_file(err.file, c)
    assert err.key == "extends"
    assert "a.toml -> b.toml -> c.toml -> a.toml" in err.message


def test_error_in_parent_names_the_parent(write_scenario):
    parent = write_scenario(rent(share=1.5), name="parent.toml")
    child = write_scenario('extends = "parent.toml"\n', name="kid.toml", extends_baseline=False)
    err = error_of(child)
    assert same_file(err.file, parent)
    assert err.key == "policies[0].share"


def test_missing_scenario_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    err = error_of(path)
    assert same_file(err.file, path)
    assert "not found" in err.message
    assert str(path) in str(err)


def test_toml_syntax_error(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\n[run\nscale = 3\n')
    err = error_of(path)
    assert same_file(err.file, path)
    assert "TOML" in err.message
    assert "line 2" in err.message


# ----------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=30, deadline=None)
@given(share=st.floats(allow_nan=True, allow_infinity=True))
def test_share_in_unit_interval_loads_otherwise_names_key(tmp_path_factory, params, share):
    path = tmp_path_factory.mktemp("share") / "share.toml"
    path.write_text(f'name = "share"\n{rent(share=share)}')
    if 0 <= share <= 1:
        sc = load_scenario(path, params)
        assert sc.policies[0].share == share
    else:
        err = error_of(path, params)
        assert err.key == "policies[0].share"
        assert same_file(err.file, path)


@settings(max_examples=30, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=True))
def test_parameter_override_range_property(tmp_path_factory, params, value):
    path = tmp_path_factory.mktemp("param") / "param.toml"
    path.write_text(f'name = "param"\n[parameters.labour]\nquit_rate = {value!r}\n')
    if 0 <= value <= 1:
        assert load_scenario(path, params).parameters == {"labour.quit_rate": value}
    else:
        err = error_of(path, params)
        assert err.key == "parameters.labour.quit_rate"
        assert any(word in err.message for word in ("maximum", "minimum", "finite"))


def _misspell(word: str, data: st.DataObject) -> str:
    i = data.draw(st.integers(1, len(word) - 2), label="position")
    how = data.draw(st.sampled_from(["delete", "double", "swap"]), label="edit")
    if how == "delete":
        return word[:i] + word[i + 1 :]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


RUN_KEYS = [k for k in RunSettings.model_fields if len(k) >= 5]
RENT_KEYS = [k for k in RentReduction.model_fields if len(k) >= 5 and k != "kind"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), where=st.sampled_from(["run", "policy"]))
def test_misspelt_key_suggests_the_real_one(tmp_path_factory, params, data, where):
    keys = RUN_KEYS if where == "run" else RENT_KEYS
    word = data.draw(st.sampled_from(keys), label="key")
    typo = _misspell(word, data)
    assume(typo not in keys and typo != word)
    # the suggestion is only well defined when the typo is closest to the key it came from
    best = difflib.get_close_matches(typo, keys, n=1, cutoff=0.6)
    assume(best == [word])
    if where == "run":
        body, key = f"[run]\n{typo} = 3\n", f"run.{typo}"
    else:
        body, key = rent(**{typo: 3}), f"policies[0].{typo}"
    path = tmp_path_factory.mktemp("typo") / "typo.toml"
    path.write_text(f'name = "typo"\n{body}')
    err = error_of(path, params)
    assert err.key == key
    assert f"unknown key '{typo}'" in err.message
    assert f"did you mean '{word}'?" in err.message


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_misspelt_park_suggests_the_real_one(tmp_path_factory, params, data):
    parks = params.park_ids
    park = data.draw(st.sampled_from([p for p in parks if p != "outside"]), label="park")
    typo = _misspell(park, data)
    assume(typo not in parks)
    assume(difflib.get_close_matches(typo, parks, n=1, cutoff=0.6) == [park])
    path = tmp_path_factory.mktemp("park") / "park.toml"
    path.write_text(f'name = "park"\n{rent(parks=[typo])}')
    err = error_of(path, params)
    assert err.key == "policies[0].parks[0]"
    assert f"did you mean '{park}'?" in err.message


# ----------------------------------------------------------------------------------------------
# Problems found in sim/scenario.py, now fixed


def test_nan_parameter_override_is_rejected(write_scenario):
    path = write_scenario("[parameters.labour]\nquit_rate = nan\n")
    err = error_of(path)
    assert err.key == "parameters.labour.quit_rate"


@pytest.mark.parametrize(
    ("body", "typo"),
    [
        ('nmae = "x"\n', "nmae"),
        ('name = "x"\n' + rent(share=None, shrae=0.5), "shrae"),
    ],
    ids=["top-level-name", "policy-share"],
)
def test_misspelt_required_key_names_the_typo(tmp_path, body, typo):
    path = tmp_path / "typo.toml"
    path.write_text(body)
    err = error_of(path)
    assert f"'{typo}'" in err.message and "did you mean" in err.message


def test_month_error_shows_the_value_once(write_scenario):
    err = error_of(write_scenario('[run]\nend = "2023-13"\n'))
    assert err.message.count("2023-13") == 1


def test_nan_share_is_rejected(write_scenario):
    err = error_of(write_scenario(rent(share=math.nan)))
    assert err.key == "policies[0].share"


def test_equal_award_thresholds_are_rejected(write_scenario):
    body = (
        '[[policies]]\nkind = "scale_up_awards"\nstart = "2023-01"\nend = "2024-12"\n'
        "thresholds_bn_yuan = [1.0, 1.0]\nawards_m_yuan = [1.0, 2.0]\n"
    )
    err = error_of(write_scenario(body))
    assert err.key == "policies[0]"
    assert "strictly increasing" in err.message
