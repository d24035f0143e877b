"""Output folders and files: cqsim replaces only what it wrote, and never a mix of old and new.

Requirements (issue 14): a folder that is not a cqsim output is refused (exit 2, a way out
named) unless --force, and --force keeps the user's files; a cqsim run folder is replaced as
one unit, with files that `report`, `plot` or the user put there kept; `--out .` or a parent of
the current folder is refused; whether the output can be written is checked before any
simulation; a failed or interrupted write leaves the folder as it was; a report or plot never
replaces a file cqsim did not write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from cqsim.cli import EXIT_BAD_INPUT, main
from sim import outputs, runner
from sim.errors import OutputError

SHORT_END = "2021-03"
OUTPUT_FILES = {"trajectories.parquet", "targets.csv", "manifest.json"}


@pytest.fixture(scope="module")
def short_result(baseline_path):
    return runner.run(baseline_path, replicates=1, end=SHORT_END)


def run_argv(scenario: Path, out: Path, *extra: str) -> list[str]:
    return [
        "run",
        str(scenario),
        "-n",
        "1",
        "--end",
        SHORT_END,
        "--quiet",
        "--out",
        str(out),
        *extra,
    ]


def no_simulation(monkeypatch):
    """Make any simulation fail loudly: the checks must come before it."""

    def refuse(*args, **kwargs):
        raise AssertionError("a simulation ran before the output was checked")

    monkeypatch.setattr(runner, "simulate", refuse)
    monkeypatch.setattr(runner, "run_many", refuse)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ---------------------------------------------------------------------------------------------
# Folders that are not cqsim's


def test_folder_of_the_users_is_refused_and_untouched(baseline_path, tmp_path, capsys, monkeypatch):
    thesis = tmp_path / "x"
    (thesis / "sub").mkdir(parents=True)
    (thesis / "thesis.txt").write_text("three years of work")
    before = snapshot(thesis)
    no_simulation(monkeypatch)
    assert main(run_argv(baseline_path, thesis)) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cqsim: error: --out: ")
    assert "did not write" in err[0] and "--force" in err[0] and "another output folder" in err[0]
    assert snapshot(thesis) == before and (thesis / "sub").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]  # no hidden leftovers


def test_force_writes_into_the_folder_and_keeps_the_users_files(baseline_path, tmp_path):
    thesis = tmp_path / "x"
    (thesis / "sub").mkdir(parents=True)
    (thesis / "thesis.txt").write_text("three years of work")
    assert main([*run_argv(baseline_path, thesis), "--force"]) == 0
    assert (thesis / "thesis.txt").read_text() == "three years of work"
    assert (thesis / "sub").is_dir()
    assert OUTPUT_FILES <= {p.name for p in thesis.iterdir()}
    mark = json.loads((thesis / "manifest.json").read_text())["cqsim_output"]
    assert set(mark["files"]) == OUTPUT_FILES  # the user's files are not claimed as cqsim's


@pytest.mark.parametrize("where", [".", "..", "parent-of-parent"])
def test_current_folder_or_a_parent_is_refused(baseline_path, tmp_path, where, capsys, monkeypatch):
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    (here / "keep.txt").write_text("mine")
    monkeypatch.chdir(here)
    no_simulation(monkeypatch)
    target = {".": ".", "..": "..", "parent-of-parent": str(tmp_path)}[where]
    assert main([*run_argv(baseline_path, Path(target)), "--force"]) == EXIT_BAD_INPUT
    assert "current folder or contains it" in capsys.readouterr().err
    assert (here / "keep.txt").read_text() == "mine"


def test_a_file_as_output_folder_is_refused(baseline_path, tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    no_simulation(monkeypatch)
    assert main(run_argv(baseline_path, blocker)) == EXIT_BAD_INPUT
    assert main(run_argv(baseline_path, blocker / "sub")) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "exists and is not a folder" in err and "is a file, not a folder" in err
    assert blocker.read_text() == "x"


def test_unwritable_place_is_refused_before_simulating(
    baseline_path, tmp_path, capsys, monkeypatch
):
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if str(self).startswith(str(tmp_path)):
            raise OSError(30, "Read-only file system")
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    no_simulation(monkeypatch)
    assert main(run_argv(baseline_path, tmp_path / "runs" / "o")) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("cqsim: error: --out: cannot write") and "Read-only" in err


def test_impossible_output_path_is_one_message(baseline_path, capsys, monkeypatch):
    no_simulation(monkeypatch)
    assert main(run_argv(baseline_path, Path("/proc/cqsim-cannot-be-here"))) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("cqsim: error: --out: cannot write")


# ---------------------------------------------------------------------------------------------
# Folders that are cqsim's


def test_rerun_replaces_cqsim_files_and_keeps_reports_and_notes(baseline_path, tmp_path):
    out = tmp_path / "o"
    assert main(run_argv(baseline_path, out)) == 0
    assert main(["report", str(out)]) == 0
    assert main(["plot", str(out), "fan", "--metric", "workforce"]) == 0
    (out / "notes.md").write_text("my reading of the run")
    kept = {name: (out / name).read_bytes() for name in ("report.html", "notes.md")}
    first = json.loads((out / "manifest.json").read_text())
    assert main([*run_argv(baseline_path, out), "--seed", "5"]) == 0
    second = json.loads((out / "manifest.json").read_text())
    assert second["seeds"] == [5] and first["seeds"] != second["seeds"]
    assert {n: (out / n).read_bytes() for n in kept} == kept
    assert (out / "fan_workforce.png").exists() and (out / "fan_workforce.svg").exists()
    traj = pd.read_parquet(out / "trajectories.parquet")
    assert set(traj["seed"]) == {5}  # outputs all from the new run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_rerun_removes_cqsim_files_the_new_run_does_not_write(short_result, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    for name in ("trajectories.parquet", "attribution.csv"):
        (out / name).write_text("old")
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "cqsim_output": {
                    "kind": "compare",
                    "files": ["attribution.csv", "trajectories.parquet", "manifest.json"],
                }
            }
        )
    )
    runner.write_outputs(short_result, out)
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES  # the stale table went with its run


def test_folder_written_before_the_mark_counts_as_cqsims(short_result, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "targets.csv").write_text("old")
    (out / "manifest.json").write_text(json.dumps({"versions": {"cqsim": "0.1.0"}}))
    (out / "report.html").write_text("kept")
    runner.write_outputs(short_result, out)
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES | {"report.html"}


def _boom(*args, **kwargs):
    raise OSError(28, "No space left on device")


def test_failed_write_leaves_no_folder(short_result, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "write_target_csv", _boom)
    with pytest.raises(OutputError, match="No space left"):
        runner.write_outputs(short_result, tmp_path / "o")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_earlier_run_whole(short_result, tmp_path, monkeypatch):
    out = tmp_path / "o"
    runner.write_outputs(short_result, out)
    (out / "notes.md").write_text("mine")
    before = snapshot(out)
    monkeypatch.setattr(runner, "write_target_csv", _boom)
    with pytest.raises(OutputError):
        runner.write_outputs(short_result, out)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_failure_at_the_swap_gives_the_users_files_back(short_result, tmp_path, monkeypatch):
    """The last rename (new folder -> out) fails after the user's files were moved over."""
    out = tmp_path / "o"
    runner.write_outputs(short_result, out)
    (out / "notes.md").write_text("mine")
    before = snapshot(out)
    real_rename = Path.rename

    def rename(self, target):
        if ".cqsim-new-" in self.name and Path(target).name == "o":
            raise OSError("rename failed (simulated)")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="simulated"):
        runner.write_outputs(short_result, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]
    assert snapshot(out) == before


def test_interrupted_run_writes_nothing_and_keeps_the_previous_output(
    baseline_path, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "o"
    assert main(run_argv(baseline_path, out)) == 0
    before = snapshot(out)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner.MonthlyValues, "write_parquet", interrupt)
    assert main([*run_argv(baseline_path, out), "--seed", "5"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_leftovers_of_a_killed_write_are_tidied_or_pointed_at(short_result, tmp_path):
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    ours = tmp_path / f".o.cqsim-new-{dead}-abcdef"
    ours.mkdir()
    (ours / "targets.csv").write_text("half written")
    theirs = tmp_path / f".o.cqsim-old-{dead}-123456"
    theirs.mkdir()
    (theirs / "thesis.txt").write_text("mine")
    with pytest.warns(UserWarning, match="thesis.txt"):
        runner.write_outputs(short_result, tmp_path / "o")
    assert not ours.exists()  # nothing of the user's in it: removed
    assert (theirs / "thesis.txt").read_text() == "mine"  # never deleted


# ---------------------------------------------------------------------------------------------
# Single output files


def test_report_and_plot_do_not_replace_a_file_cqsim_did_not_write(short_result, tmp_path, capsys):
    run = tmp_path / "o"
    runner.write_outputs(short_result, run)
    page = tmp_path / "page.html"
    page.write_text("<p>the user's page</p>")
    figure = tmp_path / "figure.png"
    figure.write_bytes(b"\x89PNG the user's figure")
    assert main(["report", str(run), "--out", str(page)]) == EXIT_BAD_INPUT
    assert main(["plot", str(run), "fan", "--out", str(figure)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("not written by cqsim" in e and "--force" in e for e in err)
    assert page.read_text() == "<p>the user's page</p>"
    assert figure.read_bytes() == b"\x89PNG the user's figure"
    assert main(["report", str(run), "--out", str(page), "--force"]) == 0
    assert main(["report", str(run), "--out", str(page)]) == 0  # now it is cqsim's own
    assert main(["plot", str(run), "fan", "--out", str(figure), "--force"]) == 0
    assert main(["plot", str(run), "fan", "--out", str(figure)]) == 0
    assert outputs.written_by_cqsim(page) and outputs.written_by_cqsim(figure)


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_every_figure_format_carries_the_mark(short_result, tmp_path, suffix):
    run = tmp_path / "o"
    runner.write_outputs(short_result, run)
    target = tmp_path / f"fan{suffix}"
    assert main(["plot", str(run), "fan", "--out", str(target)]) == 0
    assert outputs.written_by_cqsim(target)


def test_output_file_cleans_up_after_a_failed_write(tmp_path):
    target = tmp_path / "t.html"
    with pytest.raises(OutputError, match="simulated"), outputs.output_file(target) as tmp:
        tmp.write_text("half")
        raise OSError("simulated")
    assert list(tmp_path.iterdir()) == []


def test_csv_is_cqsims_only_with_its_own_header(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("factor,S1,ST\nx,0.1,0.2\n")
    assert outputs.written_by_cqsim(table, csv_header="factor,S1,ST")
    assert not outputs.written_by_cqsim(table, csv_header="factor,mu_star")
    assert not outputs.written_by_cqsim(table)


def test_written_files_name_only_plain_entries(tmp_path):
    (tmp_path / "manifest.json").write_text(
        json.dumps({"cqsim_output": {"files": ["a.csv", "../escape", "/etc/passwd", "b/c"]}})
    )
    assert outputs.cqsim_files(tmp_path) == ["a.csv"]  # never a path outside the folder


def test_check_comes_before_the_simulation_for_compare(
    tmp_path, baseline_path, capsys, monkeypatch
):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.txt").write_text("x")
    no_simulation(monkeypatch)
    import analysis.compare as compare_module

    monkeypatch.setattr(compare_module, "run_many", runner.run_many)
    argv = ["compare", str(baseline_path), "-n", "1", "--end", SHORT_END, "--quiet"]
    assert main([*argv, "--out", str(mine)]) == EXIT_BAD_INPUT
    assert "did not write" in capsys.readouterr().err


def test_environment_keeps_no_probe_files(tmp_path):
    outputs.check_writable_place(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []
    assert not any(name.startswith(".cqsim-probe") for name in os.listdir(tmp_path))
