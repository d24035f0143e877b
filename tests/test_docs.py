"""scenarios/README.md is generated from the code (sim.docs) and must be kept up to date."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.docs import EXAMPLE, policy_models, scenario_reference
from sim.params import load_parameters
from sim.policies import KINDS as POLICY_KINDS
from sim.scenario import RunSettings, load_scenario

REGENERATE = "run python -m sim.docs > scenarios/README.md"


@pytest.fixture(scope="module")
def reference() -> str:
    return scenario_reference()


def test_readme_is_up_to_date(scenarios_dir: Path, reference: str) -> None:
    readme = scenarios_dir / "README.md"
    assert readme.is_file(), f"scenarios/README.md is missing: {REGENERATE}"
    assert readme.read_text(encoding="utf-8") == reference, (
        f"scenarios/README.md is out of date: {REGENERATE}"
    )


def test_main_prints_the_reference(reference: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sim.docs"], capture_output=True, check=True, encoding="utf-8"
    )
    assert out.stdout == reference


def test_every_policy_kind_and_key_is_documented(reference: str) -> None:
    assert list(policy_models()) == list(POLICY_KINDS)
    sections = reference.split("\n### ")
    for kind in POLICY_KINDS:
        section = next((s for s in sections if s.startswith(f"`{kind}`\n")), None)
        assert section is not None, f"no section for policy kind '{kind}'"
        for name in policy_models()[kind].model_fields:
            assert f"| `{name}` |" in section, f"{kind}.{name} is not documented"
    for name in RunSettings.model_fields:
        assert f"| `{name}` |" in reference


def test_every_parameter_park_and_sector_is_documented(reference: str) -> None:
    params = load_parameters()
    for key in params.specs:
        assert f"| `{key}` |" in reference, f"parameter {key} is not documented"
    for park in params.park_ids:
        assert f"| `{park}` |" in reference
    for sector in params.sector_ids:
        assert f"| `{sector}` |" in reference


def test_example_is_a_valid_scenario(scenarios_dir: Path, tmp_path: Path) -> None:
    for name in ("baseline.toml", "posterior.parquet"):
        shutil.copy(scenarios_dir / name, tmp_path / name)
    path = tmp_path / "example.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "science_city_push"
    assert scenario.run.end == "2027-12" and scenario.run.replicates == 20
    assert scenario.parameters == {"migration.income_elasticity": 2.0}
    names = [p.name for p in scenario.policies]
    assert "office_programme_first_batch" not in names
    assert names[-2:] == ["office_programme_science_city_only", "science_city_talent_2024"]


def test_readme_compare_examples_name_the_folder_compare_writes(scenarios_dir: Path) -> None:
    """The README's report and plot examples read the folder its compare example writes."""
    import re

    from cqsim.planning import default_compare_folder

    readme = (scenarios_dir.parent / "README.md").read_text(encoding="utf-8")
    command = re.search(r"cqsim compare ((?:scenarios/\S+\.toml ?)+)", readme)
    assert command, "the README shows no cqsim compare example"
    names = [load_scenario(scenarios_dir.parent / p).name for p in command.group(1).split()]
    expected = default_compare_folder(names).as_posix()
    used = set(re.findall(r"runs/compare_[A-Za-z0-9_.-]+", readme)) - {"runs/compare_"}
    assert used, "the README reads no comparison folder"
    assert used == {expected}


def test_ci_runs_the_readmes_own_commands(scenarios_dir: Path) -> None:
    """.ci/run installs and tests exactly as the README says (with the pinned versions)."""
    import re

    root = scenarios_dir.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    setup, tests = blocks[0].strip(), blocks[1].strip()
    assert "-c constraints.txt" in setup and (root / "constraints.txt").is_file()
    assert setup in ci and tests in ci


def test_readme_mesa_example_runs(scenarios_dir: Path) -> None:
    """The README's example of the model as a Mesa model runs as written."""
    import re

    readme = (scenarios_dir.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The model as a Mesa model", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(namespace["results"]) == 2 * 3 * 36
    assert namespace["model"].month == 12
