"""The `cqsim` command line: bad input exits 2 with one message and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cqsim.cli import EXIT_BAD_INPUT, main
from sim.scenario import load_scenario

SHORT_END = "2021-03"  # keep simulated runs to a few months


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


def assert_nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{out.name}.")]
    assert leftovers == []
    assert not (tmp_path / "runs").exists()


# ----------------------------------------------------------------------------------------------
# Bad scenario files: exit 2, one line "cqsim: error: FILE: KEY: message", no output folder

BAD_FILES = [
    pytest.param(
        '[[policies]]\nkind = "rent_reduction"\nstart = "2023-01"\nend = "2025-12"\n'
        'parks = ["jinfeng_software"]\nshare = 1.5\n',
        "policies[0].share",
        "less than or equal to 1",
        id="share-out-of-range",
    ),
    pytest.param("[run]\nscael = 3\n", "run.scael", "did you mean 'scale'?", id="unknown-key"),
    pytest.param(
        '[[policies]]\nkind = "rent_reduction"\nstart = "2023-01"\nend = "2025-12"\n'
        'parks = ["jinfeng_sofware"]\nshare = 0.5\n',
        "policies[0].parks[0]",
        "did you mean 'jinfeng_software'?",
        id="unknown-park",
    ),
    pytest.param(
        '[[policies]]\nkind = "talent"\nstart = "2023-01"\nend = "2025-12"\n'
        'sectors = ["software_dev"]\n',
        "policies[0].sectors[0]",
        "choose from 'artificial_intelligence'",
        id="unknown-sector-lists-choices",
    ),
    pytest.param('[run]\nend = "2023-13"\n', "run.end", "01-12", id="bad-date"),
    pytest.param(
        "[parameters.labour]\nquit_rate = 2\n",
        "parameters.labour.quit_rate",
        "above the maximum",
        id="parameter-out-of-range",
    ),
]


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(("body", "key", "fragment"), BAD_FILES)
def test_bad_file_exits_2_with_one_line(
    write_scenario, tmp_path, out_dir, capsys, monkeypatch, command, body, key, fragment
):
    monkeypatch.chdir(tmp_path)  # the default output folder would be ./runs/<name>
    path = write_scenario(body)
    argv = [command, str(path)]
    if command == "run":
        argv += ["--end", SHORT_END, "--quiet", "--out", str(out_dir)]
    assert main(argv) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    lines = error_lines(captured.err)
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"cqsim: error: {path}: {key}: ")
    assert fragment in lines[0]
    assert captured.out == ""
    assert_nothing_written(tmp_path, out_dir)


def test_bad_file_without_out_writes_no_runs_folder(write_scenario, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = write_scenario("[run]\nscale = 0\n")
    assert main(["run", str(path), "--quiet"]) == EXIT_BAD_INPUT
    assert "run.scale" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_extends_problems_exit_2(write_scenario, tmp_path, out_dir, capsys):
    a = write_scenario('extends = "b.toml"\n', name="a.toml", extends_baseline=False)
    b = write_scenario('extends = "a.toml"\n', name="b.toml", extends_baseline=False)
    assert main(["run", str(a), "--quiet", "--out", str(out_dir)]) == EXIT_BAD_INPUT
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert lines[0].startswith(f"cqsim: error: {b.resolve()}: extends: circular extends")

    missing = write_scenario('extends = "gone.toml"\n', name="m.toml", extends_baseline=False)
    assert main(["run", str(missing), "--quiet", "--out", str(out_dir)]) == EXIT_BAD_INPUT
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert lines[0].startswith(f"cqsim: error: {missing}: extends: file not found")
    assert_nothing_written(tmp_path, out_dir)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_missing_scenario_file_exits_2(tmp_path, out_dir, capsys, command):
    path = tmp_path / "nowhere.toml"
    argv = [command, str(path)] + (["--quiet", "--out", str(out_dir)] if command == "run" else [])
    assert main(argv) == EXIT_BAD_INPUT
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert lines[0].startswith(f"cqsim: error: {path}: ")
    assert "not found" in lines[0]
    assert_nothing_written(tmp_path, out_dir)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_toml_syntax_error_exits_2(tmp_path, out_dir, capsys, command):
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\nextends = \n')
    argv = [command, str(path)] + (["--quiet", "--out", str(out_dir)] if command == "run" else [])
    assert main(argv) == EXIT_BAD_INPUT
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert lines[0].startswith(f"cqsim: error: {path}: not valid TOML")
    assert_nothing_written(tmp_path, out_dir)


def test_validate_reports_every_file(baseline_path, write_scenario, capsys):
    bad = write_scenario("[run]\nscale = 0\n")
    assert main(["validate", str(baseline_path), str(bad), str(baseline_path)]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out.startswith(f"ok  {baseline_path}: 'baseline'")
    assert captured.out.count("ok  ") == 2
    assert error_lines(captured.err) == [
        f"cqsim: error: {bad}: run.scale: input should be greater than or equal to 1 (got 0)"
    ]


def test_validate_good_files(baseline_path, scenarios_dir, capsys):
    no_policy = scenarios_dir / "no_policy.toml"
    assert main(["validate", str(baseline_path), str(no_policy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith(f"ok  {baseline_path}: 'baseline', 2021-01 to 2030-12, scale 10")
    blocks = sum(line.strip() == "[[policies]]" for line in baseline_path.read_text().splitlines())
    assert f"{blocks} policies" in out[0]
    assert out[1].startswith(f"ok  {no_policy}: 'no_policy'")
    assert "0 policies (no policies)" in out[1]


# ----------------------------------------------------------------------------------------------
# Bad command-line values: exit 2, no output folder


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--end", "2021/06"], "--end: expected a month as 'YYYY-MM'"),
        (["--end", "2021-6"], "--end: expected a month as 'YYYY-MM'"),
        (["--end", "2021-13"], "--end: month must be 01-12"),
        (["--end", "2020-12"], "--end: 2020-12 is before the start 2021-01"),
    ],
    ids=["slash", "one-digit-month", "month-13", "before-start"],
)
def test_bad_end_exits_2(baseline_path, tmp_path, out_dir, capsys, extra, fragment):
    argv = ["run", str(baseline_path), "--quiet", "--out", str(out_dir), *extra]
    assert main(argv) == EXIT_BAD_INPUT
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert lines[0].startswith("cqsim: error: --end: ")
    assert fragment in lines[0]
    assert_nothing_written(tmp_path, out_dir)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--scale", "0"], "argument --scale"),
        (["--scale", "ten"], "argument --scale"),
        (["-n", "0"], "argument -n/--replicates"),
        (["-n", "1.5"], "argument -n/--replicates"),
        (["--workers", "0"], "argument --workers"),
        (["--seed", "-1"], "argument --seed"),
        (["--seed", str(2**32)], "argument --seed"),
        (["--bogus"], "unrecognized arguments"),
    ],
    ids=["scale-0", "scale-word", "n-0", "n-float", "workers-0", "seed-neg", "seed-big", "flag"],
)
def test_bad_option_values_exit_2(baseline_path, tmp_path, out_dir, capsys, extra, fragment):
    argv = ["run", str(baseline_path), "--end", SHORT_END, "--quiet", "--out", str(out_dir)]
    with pytest.raises(SystemExit) as info:
        main([*argv, *extra])
    assert info.value.code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "cqsim: error: " in err
    assert fragment in err
    assert_nothing_written(tmp_path, out_dir)


@pytest.mark.parametrize("value", ["2", "four", "0", "100000"])
def test_bad_attribution_orderings_exit_2(baseline_path, tmp_path, out_dir, capsys, value):
    argv = ["compare", str(baseline_path), "--end", SHORT_END, "--quiet", "--out", str(out_dir)]
    with pytest.raises(SystemExit) as info:
        main([*argv, "--attribution-orderings", value])
    assert info.value.code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "argument --attribution-orderings: must be a whole number from 4" in err
    assert_nothing_written(tmp_path, out_dir)


def test_no_command_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == EXIT_BAD_INPUT
    assert "cqsim: error:" in capsys.readouterr().err


def test_out_that_is_a_file_exits_2(baseline_path, tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("keep me")
    argv = ["run", str(baseline_path), "-n", "1", "--end", SHORT_END, "--quiet", "--out", str(out)]
    assert main(argv) == EXIT_BAD_INPUT
    assert "--out" in capsys.readouterr().err
    assert out.read_text() == "keep me"


# ----------------------------------------------------------------------------------------------
# The installed console script


def _cqsim() -> list[str]:
    script = Path(sys.executable).with_name("cqsim")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cqsim"]


def test_console_script_validate(baseline_path, write_scenario, tmp_path):
    ok = subprocess.run(
        [*_cqsim(), "validate", str(baseline_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"ok  {baseline_path}: 'baseline'")

    bad = write_scenario(
        '[[policies]]\nkind = "rent_reducton"\nstart = "2021-01"\nend = "2021-02"\n'
    )
    res = subprocess.run(
        [*_cqsim(), "validate", str(bad)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert res.returncode == EXIT_BAD_INPUT
    assert error_lines(res.stderr) == [
        f"cqsim: error: {bad}: policies[0].kind: unknown policy kind 'rent_reducton'; "
        "did you mean 'rent_reduction'?"
    ]


# ----------------------------------------------------------------------------------------------
# A successful short run and its three files

OUTPUT_FILES = {"trajectories.parquet", "targets.csv", "manifest.json"}


def test_short_run_writes_three_files(baseline_path, tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["run", str(baseline_path), "--end", "2021-06", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no temporary siblings
    assert capsys.readouterr().err == ""  # --quiet: no progress bar

    run_settings = load_scenario(baseline_path).run  # replicates and seed come from the file
    seeds = [run_settings.seed + k for k in range(run_settings.replicates)]
    traj = pd.read_parquet(out / "trajectories.parquet")
    assert list(traj.columns) == ["scenario", "replicate", "seed", "date", "metric", "value"]
    assert set(traj["scenario"].astype(str)) == {"baseline"}
    assert set(traj["replicate"]) == set(range(run_settings.replicates))
    assert set(traj["seed"]) == set(seeds)
    dates = pd.to_datetime(traj["date"])
    assert dates.min() == pd.Timestamp("2021-01-01")
    assert dates.max() == pd.Timestamp("2021-06-01")
    assert dates.nunique() == 6

    targets = pd.read_csv(out / "targets.csv")
    assert list(targets.columns) == [
        "target_id",
        "metric",
        "year",
        "target",
        "unit",
        "median",
        "p10",
        "p90",
        "prob_met",
    ]
    assert len(targets) > 0

    manifest = json.loads((out / "manifest.json").read_text())
    scenario = manifest["scenario"]
    assert scenario["name"] == "baseline"
    assert scenario["run"]["start"] == "2021-01"
    assert scenario["run"]["end"] == "2021-06"  # the --end override is in the resolved scenario
    assert len(scenario["policies"]) == len(load_scenario(baseline_path).policies)
    assert manifest["seeds"] == seeds
    assert manifest["replicates"] == run_settings.replicates
    for pkg in ("python", "cqsim", "mesa", "numpy", "pandas", "pydantic"):
        assert manifest["versions"][pkg]


def test_seed_and_replicates_reach_the_manifest(baseline_path, tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["run", str(baseline_path), "--end", SHORT_END, "-n", "2", "--seed", "7"]
    assert main([*argv, "--scale", "20", "--quiet", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"] == [7, 8]
    assert manifest["scenario"]["run"]["scale"] == 20
    traj = pd.read_parquet(out / "trajectories.parquet")
    assert set(traj["seed"]) == {7, 8}
    assert set(traj["replicate"]) == {0, 1}
