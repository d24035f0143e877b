"""Output folders and files that never lose what the user has.

cqsim replaces only what it wrote itself:

- An **output folder** (``cqsim run --out``, ``cqsim compare --out``, validation, exports) holds
  a ``manifest.json`` whose ``cqsim_output`` entry lists the files cqsim put there. A new run
  writes its files into a fresh hidden sibling folder, which then takes the folder's place in
  one rename, so a reader sees either the old outputs or the new ones, never a mix. Every other
  file in the folder (a report, a plot, the user's notes) is carried over into the new folder
  first. A folder that is not a cqsim output is refused unless the caller passes ``force``, and
  then only files with cqsim's output names are replaced. Nothing is deleted that the old
  manifest does not list.
- An **output file** (a report, a plot, a posterior) replaces an existing file only if cqsim
  wrote that file (each format carries a mark: see :func:`written_by_cqsim`), or with ``force``.

Whether a path can be written is checked before any simulation starts
(:func:`check_output_folder`, :func:`check_output_file`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

from sim.errors import CqsimWarning, OutputError
from sim.signals import check_not_stopped

MANIFEST = "manifest.json"
MARK = "cqsim_output"
# Files that cqsim versions before the manifest mark wrote into their folders.
LEGACY_FILES = (
    "trajectories.parquet",
    "targets.csv",
    "manifest.json",
    "paired_differences.csv",
    "attainment.csv",
    "cost_ledger.csv",
    "attribution.csv",
)
# How each output format carries cqsim's mark, and how far into the file to look for it.
GENERATOR = "cqsim"
SNIFF_BYTES = 65536


def cqsim_files(folder: str | Path) -> list[str] | None:
    """The names of the files cqsim wrote in a folder, or None if it is not a cqsim output."""
    manifest = Path(folder) / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    mark = data.get(MARK)
    if isinstance(mark, dict) and isinstance(mark.get("files"), list):
        return [str(name) for name in mark["files"] if _plain_name(str(name))]
    versions = data.get("versions")
    if isinstance(versions, dict) and "cqsim" in versions:  # written before the mark existed
        return [name for name in LEGACY_FILES if (Path(folder) / name).exists()]
    return None


def _plain_name(name: str) -> bool:
    """A file name inside the folder (no path separators, not '.' or '..')."""
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _is_or_contains(folder: Path, other: Path) -> bool:
    """Whether ``folder`` is ``other`` or one of its parents."""
    return folder == other or folder in other.parents


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor)


def check_writable_place(path: str | Path, option: str = "out") -> None:
    """Raise OutputError if nothing can be created at ``path`` (read-only, not a folder...)."""
    path = Path(path).absolute()
    base = _nearest_existing(path.parent)
    if not base.is_dir():
        raise OutputError("", option, f"cannot write {path}: {base} is a file, not a folder")
    try:
        probe = Path(os.path.join(base, f".cqsim-probe-{os.getpid()}-{secrets.token_hex(4)}"))
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(
            "", option, f"cannot write {path}: cannot create files in {base} ({reason})"
        ) from None


def check_output_folder(path: str | Path, *, force: bool = False, option: str = "out") -> Path:
    """Check, before any work, that cqsim may write its output folder at ``path``.

    Raises:
        OutputError: ``path`` is a file, the current folder or one that contains it, a folder
            that is not a cqsim output (unless ``force``), or in a place that cannot be written.

    """
    out = Path(path)
    real = out.resolve()
    here = Path.cwd().resolve()
    if _is_or_contains(real, here):
        raise OutputError(
            "",
            option,
            f"{path} is the current folder or contains it; cqsim writes an output folder as "
            "one unit: give a folder of its own, such as runs/NAME",
        )
    if out.exists():
        if not out.is_dir():
            raise OutputError("", option, f"{path} exists and is not a folder")
        try:
            has_entries = any(True for _ in real.iterdir())
        except OSError as exc:
            raise OutputError("", option, f"cannot read {path}: {exc.strerror or exc}") from None
        if has_entries and cqsim_files(real) is None and not force:
            raise OutputError(
                "",
                option,
                f"{path} holds files that cqsim did not write (it has no cqsim manifest.json); "
                "give another output folder, or add --force to write cqsim's files into it and "
                "keep everything else",
            )
    check_writable_place(real, option)
    return out


def _tidy_leftovers(out: Path) -> None:
    """Remove hidden folders a killed cqsim write left with only cqsim's files; warn of others.

    A leftover folder holding other files may hold the user's, moved there just before a kill.
    """
    for left in sorted(out.parent.glob(f".{out.name}.cqsim-*")):
        parts = left.name.rsplit("-", 2)
        if len(parts) != 3 or not parts[1].isdigit() or _alive(int(parts[1])):
            continue
        listed = cqsim_files(left)
        if listed is None and ".cqsim-new-" in left.name:
            # Killed while writing: nothing but cqsim's files yet (the user's files are moved
            # in only after the manifest has listed cqsim's).
            listed = [p.name for p in left.iterdir()]
        ours = set(listed or [])
        others = [p.name for p in left.iterdir() if p.name not in ours]
        if not others:
            shutil.rmtree(left, ignore_errors=True)
            continue
        warnings.warn(
            f"{left} was left by an interrupted cqsim write and holds files cqsim did not "
            f"write ({', '.join(others[:3])}{'...' if len(others) > 3 else ''}): they may be "
            f"files of yours that were in {out}",
            CqsimWarning,
            stacklevel=3,
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _mark_manifest(folder: Path, kind: str) -> None:
    """Add the list of files the block wrote to its manifest (creating one if absent)."""
    manifest = folder / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    names = sorted({p.name for p in folder.iterdir()} | {MANIFEST})
    data[MARK] = {"kind": kind, "files": names, "format": 1}
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, manifest)


@contextlib.contextmanager
def output_folder(
    path: str | Path, *, kind: str, force: bool = False, option: str = "out"
) -> Iterator[Path]:
    """Yield an empty folder to write outputs into; on success it becomes ``path``.

    The block writes its files (and usually a ``manifest.json``); cqsim's mark listing them is
    added to the manifest. Then the files of the existing folder that cqsim did not write are
    moved into the new one, the new folder takes the old one's place, and the old cqsim files
    are removed. If the block raises, or the process is interrupted, ``path`` is left as it was.

    Raises:
        OutputError: as :func:`check_output_folder`, or a write that failed (disk full...).

    """
    check_output_folder(path, force=force, option=option)
    out = Path(path).resolve()
    _tidy_leftovers(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}-{secrets.token_hex(3)}"
    new = out.parent / f".{out.name}.cqsim-new-{tag}"
    old = out.parent / f".{out.name}.cqsim-old-{tag}"
    moved: list[str] = []  # the user's entries moved from out into new
    new.mkdir()
    try:
        try:
            yield new
            _mark_manifest(new, kind)
        except OSError as exc:
            raise OutputError("", option, f"cannot write {path}: {exc.strerror or exc}") from None
        check_not_stopped()  # a stop whose KeyboardInterrupt was lost still writes nothing
        ours = set(json.loads((new / MANIFEST).read_text(encoding="utf-8"))[MARK]["files"])
        if out.exists():
            earlier = set(cqsim_files(out) or [])
            for entry in sorted(out.iterdir(), key=lambda p: p.name):
                if entry.name not in earlier and entry.name not in ours:
                    entry.rename(new / entry.name)
                    moved.append(entry.name)
            out.rename(old)
        new.rename(out)
    except BaseException:
        if old.exists() and not out.exists():  # the swap failed half-way: put the old back
            with contextlib.suppress(OSError):
                old.rename(out)
        for name in moved:  # give the user's files back before anything else
            with contextlib.suppress(OSError):
                (new / name).rename(out / name)
        if new.exists():
            for entry in new.iterdir():
                if entry.name not in moved:
                    _remove(entry)
            with contextlib.suppress(OSError):
                new.rmdir()
        raise
    if old.exists():
        for entry in old.iterdir():  # cqsim's earlier files, and same-named files under force
            _remove(entry)
        with contextlib.suppress(OSError):
            old.rmdir()


def written_by_cqsim(path: str | Path, *, csv_header: str | None = None) -> bool:
    """Whether an existing output file carries cqsim's mark (so cqsim may replace it).

    HTML pages carry ``<meta name="generator" content="cqsim">``, PNG, SVG and PDF figures the
    software or creator "cqsim", Parquet files the schema metadata key "cqsim". A CSV table has
    no room for a mark: it counts as cqsim's when its header line is ``csv_header``.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return False
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq

            meta = pq.read_schema(path).metadata or {}
        except Exception:  # not a readable Parquet file: not ours
            return False
        return GENERATOR.encode() in meta
    if suffix == ".csv":
        return csv_header is not None and head.split(b"\n", 1)[0].rstrip(b"\r") == (
            csv_header.encode()
        )
    return GENERATOR.encode() in head


def check_output_file(
    path: str | Path, *, force: bool = False, option: str = "out", csv_header: str | None = None
) -> Path:
    """Check, before any work, that cqsim may write the file ``path``.

    Raises:
        OutputError: ``path`` is a folder, a file cqsim did not write (unless ``force``), or in
            a place that cannot be written.

    """
    out = Path(path)
    if out.is_dir():
        raise OutputError("", option, f"{path} is a folder; give a file name")
    if out.exists() and not force and not written_by_cqsim(out, csv_header=csv_header):
        raise OutputError(
            "",
            option,
            f"{path} exists and was not written by cqsim; give another file name, or add "
            "--force to replace it",
        )
    check_writable_place(out, option)
    return out


@contextlib.contextmanager
def output_file(
    path: str | Path, *, force: bool = False, option: str = "out", csv_header: str | None = None
) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one rename."""
    check_output_file(path, force=force, option=option, csv_header=csv_header)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.stem}.cqsim-{os.getpid()}-{secrets.token_hex(3)}{out.suffix}"
    try:
        yield tmp
        os.replace(tmp, out)
    except OSError as exc:
        raise OutputError("", option, f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
