"""Never lose a council's data: driftflag writes only over its own marked folders, keeps what
people put there, survives a kill at any point of a swap, and respects the umask (issue 11)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from driftflag import _atomic
from driftflag._atomic import (
    OUTPUT_MARKER,
    STORE_MARKER,
    DestinationError,
    marker_of,
    recover,
    staged_dir,
    write_bytes_atomic,
)
from driftflag.casemodel import ledger, read_store
from driftflag.casemodel.store import CaseStore, write_store
from driftflag.cli import app
from driftflag.ingest.run import ingest

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1001,1,01/02/2015,WBRI,,,\n1002,2,03/04/2016,WBRI,,,\n"
EXTRACT, CREATED = date(2025, 3, 31), datetime(2025, 3, 31, 18, 0)
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _audit(audit_id: str, grade: str = "Good", child: str = "1001") -> pd.DataFrame:
    return pd.DataFrame({
        "audit_id": [audit_id], "child_id": [child], "audit_date": [pd.Timestamp("2025-03-10")],
        "auditor": ["PM1"], "team": ["Team A"], "service": ["CIN"], "grade": [grade],
        "drift_found": [grade != "Good"], "selection_reason": ["random"], "inclusion_probability": [0.1],
        "actions_set": [False]})


@pytest.fixture()
def header(tmp_path) -> Path:
    p = tmp_path / "in" / "header.csv"
    p.parent.mkdir()
    p.write_text(HEADER)
    return p


def _ingest(paths, store):
    return ingest(list(paths), store, extract_date=EXTRACT, created_at=CREATED, run_gx=False)


# --- refusing what is not ours ------------------------------------------------------------------
def test_issue_reproduction_store_over_a_folder_of_documents(tmp_path, header):
    """`mkdir v; echo x > v/minutes.docx; driftflag ingest header.csv --store v` deleted the document."""
    v = tmp_path / "v"
    v.mkdir()
    (v / "minutes.docx").write_text("x")
    res = CliRunner().invoke(app, ["ingest", str(header), "--store", str(v), "--no-gx",
                                   "--extract-date", "2025-03-31"])
    assert res.exit_code != 0
    out = res.output.strip()
    assert len(out.splitlines()) == 1 and "not empty" in out and str(v) in out, out
    assert _tree(v) == {"minutes.docx": b"x"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "v"]  # no staging folder left


@pytest.mark.parametrize("where", ["input folder", "input file", "folder holding the input"])
def test_store_never_replaces_an_input(tmp_path, header, where):
    if where == "folder holding the input":
        store = tmp_path / "s"
        _ingest([header], store)
        inp = store / "header.csv"
        inp.write_text(HEADER)
    else:
        inp = header.parent if where == "input folder" else header
        store = inp
    before = _tree(tmp_path)
    with pytest.raises(DestinationError, match="would replace the input"):
        _ingest([inp], store)
    assert _tree(tmp_path) == before


def test_store_inside_an_input_folder_is_refused(tmp_path, header):
    with pytest.raises(DestinationError, match="inside the input"):
        _ingest([header.parent], header.parent / "store")
    assert not (header.parent / "store").exists()


def test_a_file_or_a_symlink_is_never_replaced(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    with pytest.raises(DestinationError, match="is a file"), staged_dir(f, kind="worklist"):
        pass
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    with pytest.raises(DestinationError, match="symbolic link"), staged_dir(link, kind="worklist"):
        pass
    assert f.read_text() == "mine" and link.is_symlink()


def test_another_kind_of_output_is_refused(tmp_path):
    out = tmp_path / "o"
    with staged_dir(out, kind="monitor") as tmp:
        (tmp / "monitor.json").write_text("{}")
    before = _tree(out)
    with pytest.raises(DestinationError, match="driftflag monitor"), staged_dir(out, kind="worklist"):
        pass
    assert _tree(out) == before


def test_empty_and_own_folders_are_replaced_and_marked(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    for text in ("one", "two"):
        with staged_dir(out, kind="worklist") as tmp:
            (tmp / "worklist.csv").write_text(text)
        assert (out / "worklist.csv").read_text() == text
    m = marker_of(out)
    assert m["kind"] == "worklist" and m["contents"] == ["worklist.csv"] and m["driftflag_version"]
    assert (out / OUTPUT_MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_files_people_put_in_an_output_folder_survive_its_rewrite(tmp_path):
    out = tmp_path / "o"
    with staged_dir(out, kind="worklist") as tmp:
        (tmp / "worklist.xlsx").write_text("v1")
    (out / "completed by PM1.xlsx").write_text("grades")
    with staged_dir(out, kind="worklist") as tmp:
        (tmp / "worklist.xlsx").write_text("v2")
    assert (out / "worklist.xlsx").read_text() == "v2"
    assert (out / "completed by PM1.xlsx").read_text() == "grades"
    assert marker_of(out)["contents"] == ["worklist.xlsx"]  # still not listed as driftflag's
    # a new output that would replace the person's file is refused, nothing changes
    before = _tree(out)
    with pytest.raises(DestinationError, match="did not write"), staged_dir(out, kind="worklist") as tmp:
        (tmp / "completed by PM1.xlsx").write_text("driftflag's")
    assert _tree(out) == before


LEGACY_WORKLIST = ("worklist.xlsx", "worklist.csv", "worklist.html", "shared")


def test_an_output_of_an_older_driftflag_is_recognised_and_marked(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "worklist.xlsx").write_text("old")
    (out / "shared").mkdir()
    with staged_dir(out, kind="worklist", legacy=LEGACY_WORKLIST) as tmp:
        (tmp / "worklist.xlsx").write_text("new")
    assert _tree(out) == {"worklist.xlsx": b"new", OUTPUT_MARKER: (out / OUTPUT_MARKER).read_bytes()}
    assert marker_of(out)["kind"] == "worklist"


def test_a_folder_merely_holding_a_file_of_that_name_is_not_an_older_output(tmp_path):
    docs = tmp_path / "Documents"
    docs.mkdir()
    (docs / "worklist.xlsx").write_text("my own list")
    (docs / "budget.xlsx").write_text("mine")
    before = _tree(docs)
    with pytest.raises(DestinationError, match="also holds budget.xlsx"), \
            staged_dir(docs, kind="worklist", legacy=LEGACY_WORKLIST):
        pass
    assert _tree(docs) == before
    (docs / "budget.xlsx").unlink()
    (docs / "manifest.json").write_text("{}")  # not a store either: no schema_version, extra entries
    with pytest.raises(DestinationError):
        _ingest([tmp_path / "nothing.csv"], docs)


def test_a_failed_run_removes_only_its_staging_folder(tmp_path):
    out = tmp_path / "o"
    with staged_dir(out, kind="worklist") as tmp:
        (tmp / "a").write_text("1")
    before = _tree(out)
    with pytest.raises(RuntimeError), staged_dir(out, kind="worklist") as tmp:
        (tmp / "a").write_text("2")
        raise RuntimeError("boom")
    assert _tree(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["o"]


# --- records survive re-ingest ------------------------------------------------------------------
def test_reingest_keeps_the_audit_ledger_and_worklists(tmp_path, header):
    store = tmp_path / "s"
    _ingest([header], store)
    ledger.append_audits(store, _audit("WL2025-03-1001"), source="test", recorded_by="PM1")
    wl = ledger.worklist_dir(store, "2025-03")
    with staged_dir(wl, kind="issued worklist") as tmp:
        (tmp / "worklist.parquet").write_bytes(b"issued")
    records = _tree(store / "records")
    _ingest([header], store)
    assert _tree(store / "records") == records
    audits = read_store(store, tables=["audits"])["audits"]
    assert audits["audit_id"].tolist() == ["WL2025-03-1001"]
    write_store(CaseStore.from_frames({}), store, created_at=CREATED)  # any rewrite keeps them too
    assert _tree(store / "records") == records


def test_a_store_of_an_older_driftflag_is_migrated_on_reingest(tmp_path, header):
    store = tmp_path / "s"
    _ingest([header], store)
    # make it look like a store from before markers: imported audits inside audits.parquet,
    # stored worklists in STORE/worklists/
    (store / STORE_MARKER).unlink()
    audits = pd.concat([_audit("WL2025-03-1001", "Inadequate"), _audit("AUD000001", child="1002")])
    pd.read_parquet(store / "audits.parquet")  # it is a real store table
    audits.to_parquet(store / "audits.parquet", index=False)
    (store / "worklists" / "2025-03").mkdir(parents=True)
    (store / "worklists" / "2025-03" / "worklist.parquet").write_bytes(b"issued")
    _ingest([header], store)  # the new ingest has no audit log: only the imported audit survives
    a = read_store(store, tables=["audits"])["audits"]
    assert a["audit_id"].tolist() == ["WL2025-03-1001"] and a["grade"].tolist() == ["Inadequate"]
    assert (ledger.worklist_dir(store, "2025-03") / "worklist.parquet").read_bytes() == b"issued"
    assert not (store / "worklists").exists() and marker_of(store)["kind"] == "store"
    assert ledger.audit_history(store)["recorded_by"].tolist() == ["driftflag migration"]


# --- a kill at any point of a swap --------------------------------------------------------------
KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import driftflag._atomic as A
    dest, step, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == "renames":
        A._exchange = lambda a, b: False
    def checkpoint(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)
    A._checkpoint = checkpoint
    with A.staged_dir(dest, kind="store", keep=("records",)) as tmp:
        (tmp / "tables.txt").write_text("new")
        if step == "building":
            os.kill(os.getpid(), signal.SIGKILL)
""")


def _run_killed(dest: Path, step: str, mode: str) -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    r = subprocess.run([sys.executable, "-c", KILLER, str(dest), step, mode], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == -9, r.stderr


STEPS = {"exchange": ["building", "carried", "exchanged", "removing"],
         "renames": ["building", "carried", "moved-old", "renamed-new", "removing"]}
SWAPPED = ("exchanged", "renamed-new", "removing")


@pytest.mark.parametrize("mode, step", [(m, s) for m, steps in STEPS.items() for s in steps])
def test_a_kill_at_any_point_leaves_the_old_or_the_new_store(tmp_path, mode, step):
    dest = tmp_path / "store"
    with staged_dir(dest, kind="store", keep=("records",)) as tmp:
        (tmp / "tables.txt").write_text("old")
    (dest / "records").mkdir()
    (dest / "records" / "audits.txt").write_text("people's records")
    (tmp_path / "p1").mkdir(), (tmp_path / "p2").mkdir()
    exchange_works = _atomic._exchange(tmp_path / "p1", tmp_path / "p2")  # does this filesystem exchange?
    (tmp_path / "p1").rmdir(), (tmp_path / "p2").rmdir()

    _run_killed(dest, step, mode)
    if mode == "exchange" and exchange_works or step in ("building", "carried"):
        assert (dest / "tables.txt").read_text() in ("old", "new")  # found under its own name at once
    messages = recover(dest)
    assert (dest / "tables.txt").read_text() == ("new" if step in SWAPPED else "old")
    assert (dest / "records" / "audits.txt").read_text() == "people's records"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"], messages
    assert messages and all("\n" not in m for m in messages)
    assert recover(dest) == []  # nothing left to do


def test_recovery_says_what_it_did_and_runs_before_every_write(tmp_path, caplog):
    dest = tmp_path / "store"
    with staged_dir(dest, kind="store", keep=("records",)) as tmp:
        (tmp / "tables.txt").write_text("old")
    _run_killed(dest, "moved-old", "renames")
    assert not dest.exists()
    with staged_dir(dest, kind="store", keep=("records",)) as tmp:
        (tmp / "tables.txt").write_text("newer")
    assert (dest / "tables.txt").read_text() == "newer"
    assert any("restored" in r.getMessage() and ".store.old-" in r.getMessage() for r in caplog.records)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_recovery_leaves_folders_of_running_processes_and_unmarked_ones(tmp_path):
    dest = tmp_path / "store"
    dest.mkdir()
    live = tmp_path / f".store.tmp-{os.getpid()}-abcd"
    live.mkdir()
    stranger = tmp_path / ".store.tmp-999999999-abcd"  # no such process, but no marker either
    stranger.mkdir()
    (stranger / "x").write_text("1")
    reused = tmp_path / f".store.tmp-{os.getpid()}_1-abcd"  # our PID, but another process's start
    reused.mkdir()
    _atomic.write_marker(reused, "store", contents=(), staging=True)
    messages = recover(dest)
    assert live.is_dir() and (stranger / "x").is_file()
    assert any("no driftflag marker" in m for m in messages)
    if _atomic._start_time(os.getpid()) is not None:  # where /proc tells when a process started
        assert not reused.exists() and any(reused.name in m for m in messages)


@pytest.mark.slow
@pytest.mark.parametrize("step, mode", [("carried", "exchange"), ("moved-old", "renames")])
def test_a_killed_reingest_keeps_the_store_and_its_records(tmp_path, header, step, mode):
    store = tmp_path / "s"
    _ingest([header], store)
    ledger.append_audits(store, _audit("WL2025-03-1001"), source="test", recorded_by="PM1")
    script = textwrap.dedent(f"""
        import os, signal
        from datetime import date, datetime
        import driftflag._atomic as A
        from driftflag.ingest.run import ingest
        if {mode!r} == "renames":
            A._exchange = lambda a, b: False
        A._checkpoint = lambda name: name == {step!r} and os.kill(os.getpid(), signal.SIGKILL)
        ingest([{str(header)!r}], {str(store)!r}, extract_date=date(2025, 3, 31),
               created_at=datetime(2025, 4, 1), run_gx=False)
    """)
    r = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": SRC},
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == -9, r.stderr
    back = read_store(store)  # recovers first
    assert back.manifest["created_at"] == "2025-03-31T18:00:00"  # the old store
    assert back["audits"]["audit_id"].tolist() == ["WL2025-03-1001"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "s"]


# --- permissions follow the umask ---------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o077, 0o022])
def test_outputs_respect_the_umask(tmp_path, header, umask):
    old = os.umask(umask)
    try:
        store = tmp_path / "s"
        _ingest([header], store)
        ledger.append_audits(store, _audit("WL2025-03-1001"), source="test")
        single = tmp_path / "page.html"
        write_bytes_atomic(single, b"<p>")
    finally:
        os.umask(old)
    want_file, want_dir = 0o666 & ~umask, 0o777 & ~umask
    assert stat.S_IMODE(store.stat().st_mode) == want_dir
    assert stat.S_IMODE((store / "children.parquet").stat().st_mode) == want_file
    seg = next((store / "records" / "audits").iterdir())
    assert stat.S_IMODE(seg.stat().st_mode) == want_file
    assert stat.S_IMODE(single.stat().st_mode) == want_file


def test_rewriting_a_file_keeps_its_permissions(tmp_path):
    f = tmp_path / "index.html"
    f.write_text("a")
    f.chmod(0o640)
    write_bytes_atomic(f, b"b")
    assert stat.S_IMODE(f.stat().st_mode) == 0o640 and f.read_bytes() == b"b"


def test_marker_is_json_naming_kind_and_version(tmp_path, header):
    store = tmp_path / "s"
    _ingest([header], store)
    m = json.loads((store / STORE_MARKER).read_text())
    assert m["kind"] == "store" and m["created"] == CREATED.isoformat() and "records" in m["keep"]


@pytest.mark.parametrize("mode, step", [(m, s) for m, steps in STEPS.items() for s in steps[1:-1]])
def test_an_error_during_the_swap_leaves_the_old_or_the_new_store(tmp_path, monkeypatch, mode, step):
    dest = tmp_path / "store"
    with staged_dir(dest, kind="store", keep=("records",)) as tmp:
        (tmp / "tables.txt").write_text("old")
    (dest / "records").mkdir()
    (dest / "records" / "audits.txt").write_text("people's records")
    if mode == "renames":
        monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)

    def fail(name):
        if name == step:
            raise OSError("disk vanished")

    monkeypatch.setattr(_atomic, "_checkpoint", fail)
    with pytest.raises(OSError, match="disk vanished"), staged_dir(dest, kind="store", keep=("records",)) as tmp:
        (tmp / "tables.txt").write_text("new")
    assert (dest / "tables.txt").read_text() == ("new" if step in ("exchanged", "renamed-new") else "old")
    assert (dest / "records" / "audits.txt").read_text() == "people's records"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_a_ledger_append_during_a_store_swap_lands_in_the_new_store(tmp_path, monkeypatch):
    """An import running while an ingest swaps the store waits for the swap (folder_lock), so its
    audit is written into the new store, not into the old one about to be removed."""
    import threading

    store = tmp_path / "s"
    with staged_dir(store, kind="store", keep=("records",)) as tmp:
        (tmp / "tables.txt").write_text("old")
    ledger.append_audits(store, _audit("WL2025-03-1001"), source="first")
    carried, resume = threading.Event(), threading.Event()

    def pause(name):
        if name == "carried" and threading.current_thread().name == "ingest":
            carried.set()
            resume.wait(60)

    monkeypatch.setattr(_atomic, "_checkpoint", pause)

    def swap():
        with staged_dir(store, kind="store", keep=("records",)) as tmp:
            (tmp / "tables.txt").write_text("new")

    ingest_thread = threading.Thread(target=swap, name="ingest")
    ingest_thread.start()
    assert carried.wait(60)
    importer = threading.Thread(target=lambda: ledger.append_audits(store, _audit("WL2025-03-1002"),
                                                                    source="second"))
    importer.start()
    importer.join(0.5)  # give it the chance to write mid-swap (it must be waiting instead)
    resume.set()
    ingest_thread.join(60)
    importer.join(60)
    assert (store / "tables.txt").read_text() == "new"
    assert ledger.audit_history(store)["audit_id"].tolist() == ["WL2025-03-1001", "WL2025-03-1002"]
