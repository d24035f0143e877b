"""Bad input files and arguments: one message naming the file or option, exit 2, no traceback,
nothing written (issue 14). Checked through `cqsim run` and `cqsim validate` in process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cqsim.cli import EXIT_BAD_INPUT, main
from sim import files
from sim.errors import ScenarioError

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("cqsim: error:")]
    assert len(errors) == 1, err
    assert "Traceback" not in "\n".join(err)
    return errors[0]


def run_bad(path: Path, tmp_path: Path, capsys) -> str:
    out = tmp_path / "out"
    argv = ["run", str(path), "-n", "1", "--end", "2021-02", "--quiet", "--out", str(out)]
    assert main(argv) == EXIT_BAD_INPUT
    assert not out.exists()
    return one_error(capsys)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            b'name = "caf\xe9"\n',
            "is not UTF-8 text (byte 0xe9 at line 1, column 12); save it as UTF-8",
        ),
        ("name = 'x'\n".encode("utf-16"), "is not UTF-8 text"),
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (b'name = "a\x00b"\n', "NUL bytes"),
        (b"name = \n", "not valid TOML"),
        (b"PAR1\x00\x01\x02\xff\xfe", "is not UTF-8 text"),
    ],
    ids=["latin-1", "utf-16", "empty", "blank", "nul", "bad-toml", "binary"],
)
def test_bad_file_content(tmp_path, capsys, content, fragment):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    line = run_bad(path, tmp_path, capsys)
    assert line.startswith(f"cqsim: error: {path}: ") and fragment in line


def test_byte_order_mark_is_accepted(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + f'name = "bom"\nextends = {json.dumps(str(SCENARIOS / "no_policy.toml"))}\n'.encode()
    )
    assert main(["validate", str(path)]) == 0
    assert "ok  " in capsys.readouterr().out


def test_folder_given_as_scenario(tmp_path, capsys):
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    assert run_bad(folder, tmp_path, capsys).endswith("is a folder, not a scenario file")


def test_missing_file(tmp_path, capsys):
    assert run_bad(tmp_path / "nope.toml", tmp_path, capsys).endswith("file not found")


def test_unreadable_file(tmp_path, capsys, monkeypatch):
    path = tmp_path / "locked.toml"
    path.write_text('name = "x"\n')
    real_open = Path.open

    def locked(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", locked)
    assert run_bad(path, tmp_path, capsys).endswith("cannot read the file: permission denied")


def test_huge_file_is_refused_unread(tmp_path, capsys):
    path = tmp_path / "huge.toml"
    with path.open("wb") as fh:
        fh.truncate(files.MAX_INPUT_BYTES + 1)  # sparse: costs no disk
    line = run_bad(path, tmp_path, capsys)
    assert "is the right file?" in line and "MB" in line


@pytest.mark.parametrize("what", ["sweep", "calibration"])
def test_other_input_files_share_the_checks(tmp_path, what):
    path = tmp_path / f"{what}.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    if what == "sweep":
        from sim.sweeps.spec import load_sweep as load
    else:
        from sim.calibrate import load_config as load
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load(path)


def test_validate_many_files_names_what_each_is(capsys):
    paths = sorted(SCENARIOS.glob("*.toml")) + sorted((SCENARIOS / "sweeps").glob("*.toml"))
    assert main(["validate", *map(str, paths)]) == 0
    out = capsys.readouterr().out
    assert "parameters.toml: a parameter file" in out and "not a scenario" in out
    assert "calibration.toml: a calibration file" in out
    assert "rent_vs_talent_grid.toml: a sweep file" in out
    assert out.count("ok  ") == len(paths)


def test_validate_goes_on_after_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff")
    assert main(["validate", str(bad), str(SCENARIOS / "baseline.toml")]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert "baseline.toml" in captured.out and "bad.toml" in captured.err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--scale", "5000"], "argument --scale: must be from 1 to 1,000, got 5,000"),
        (["--scale", "0"], "argument --scale: must be from 1 to 1,000, got 0"),
        (["--scale", "ten"], "argument --scale: expected a whole number, got 'ten'"),
        (["-n", "100001"], "argument -n/--replicates: must be from 1 to 1,000, got 100,001"),
        (["-n", "0"], "argument -n/--replicates: must be from 1 to 1,000"),
        (["--seed", "-1"], "argument --seed: must be from 0 to"),
        (["--workers", "100000"], "argument --workers: must be from 1 to"),
        (["--end", "2021-13"], "--end: month must be 01-12"),
    ],
)
def test_command_line_ranges_are_the_scenario_files_ranges(tmp_path, capsys, args, fragment):
    out = tmp_path / "out"
    argv = ["run", str(SCENARIOS / "baseline.toml"), "--quiet", "--out", str(out), *args]
    code = None
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits by itself
        code = exc.code
    assert code == EXIT_BAD_INPUT
    assert fragment in capsys.readouterr().err
    assert not out.exists()


def test_compare_and_validate_model_apply_the_same_ranges(capsys):
    for argv in (
        ["compare", str(SCENARIOS / "baseline.toml"), "--scale", "5000"],
        ["validate-model", "-n", "100001"],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "argument --scale: must be from 1 to 1,000" in err
    assert "argument -n/--replicates: must be from 1 to 1,000" in err


def test_a_parameter_file_is_read_again_only_when_it_changes(tmp_path):
    """Models built one after another share the parsed file; an edited file is read anew."""
    import shutil

    from sim.params import default_parameter_path, load_parameters

    path = tmp_path / "parameters.toml"
    shutil.copy(default_parameter_path(), path)
    first = load_parameters(path)
    assert load_parameters(path) is first
    text = path.read_text(encoding="utf-8")
    assert "[labour.quit_rate]\nvalue = 0.012\n" in text
    path.write_text(
        text.replace("[labour.quit_rate]\nvalue = 0.012\n", "[labour.quit_rate]\nvalue = 0.013\n"),
        encoding="utf-8",
    )
    edited = load_parameters(path)
    assert edited is not first
    assert edited["labour.quit_rate"] == 0.013 and first["labour.quit_rate"] == 0.012
