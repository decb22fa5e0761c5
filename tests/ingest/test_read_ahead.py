"""Reading ahead in a second process (``ingest/_read_ahead.py``) changes nothing but the time:
the same store, quarantine, warnings and duplicates report byte for byte, and a file that cannot
be read gives the same one-line error, with nothing written."""

from __future__ import annotations

import pickle
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from driftflag.errors import SourceFileError
from driftflag.ingest import _read_ahead
from driftflag.ingest.run import ingest

EXTRACT = date(2026, 3, 31)
CREATED = datetime(2026, 4, 1, 9, 0)
FORMATS = ("ssda903", "cin_census", "annex_a", "audits")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "gx" not in p.parts}


def _run(la: Path, store: Path, monkeypatch: pytest.MonkeyPatch, ahead: str):
    monkeypatch.setenv(_read_ahead.ENV_READ_AHEAD, ahead)
    return ingest([la / f for f in FORMATS], store, extract_date=EXTRACT, created_at=CREATED, run_gx=False)


@pytest.mark.slow
def test_reading_ahead_gives_the_same_store_byte_for_byte(messy_la: Path, messy_ingest, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # every return of the messy LA read in one process (DRIFTFLAG_READ_AHEAD=0), once per
    # session for this test and the fault-ledger tests (tests/ingest/conftest.py)
    here = messy_ingest
    ahead = _run(messy_la, tmp_path / "ahead", monkeypatch, "1")
    a, b = _files(here.store_path), _files(ahead.store_path)
    assert a.keys() == b.keys() and any(k.startswith("quarantine") for k in a)
    assert [k for k in a if a[k] != b[k]] == []
    assert here.accounting.equals(ahead.accounting)


def test_a_file_read_ahead_that_cannot_be_read_stops_the_ingest_with_its_line(
        tiny_la: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the detection accepts but its reader refuses: an Annex A export dated after the
    ingest's extract date (a council's mistyped file name). The refusal is made in a reading
    process (asserted: readers were started and no unit was read in this one) and reaches the
    caller as the one line naming the file; nothing is written."""
    la = tmp_path / "la"
    for f in ("ssda903", "annex_a"):
        shutil.copytree(tiny_la / f, la / f)
    last = sorted((la / "annex_a").glob("*list_6.csv"))[-1]
    bad = last.with_name("annex_a_2099-01-31_list_6.csv")
    last.rename(bad)
    monkeypatch.setenv(_read_ahead.ENV_READ_AHEAD, "1")
    started: list[int] = []
    start = _read_ahead._start_readers
    monkeypatch.setattr(_read_ahead, "_start_readers", lambda n: started.append(n) or start(n))
    from driftflag.ingest import run

    # a unit read in this process would come here; the readers import their own read_unit
    monkeypatch.setattr(run, "read_unit", _not_here)
    with pytest.raises(SourceFileError) as e:
        ingest([la / "ssda903", la / "annex_a"], tmp_path / "store", extract_date=EXTRACT, created_at=CREATED,
               run_gx=False)
    assert started and started[0] >= 1
    assert str(e.value).startswith(str(bad)) and "after the ingest's extract date" in str(e.value)
    assert not (tmp_path / "store").exists()


def _not_here(unit, extract):
    raise AssertionError("a unit was read in the ingest's own process")


def test_a_source_file_error_crosses_processes_whole() -> None:
    e = pickle.loads(pickle.dumps(SourceFileError("la/x.csv", "no header row")))
    assert (e.source, e.reason, str(e)) == ("la/x.csv", "no header row", "la/x.csv: no header row")


def test_reading_ahead_is_for_large_returns_on_two_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small.csv"
    small.write_bytes(b"x" * 1000)
    monkeypatch.delenv(_read_ahead.ENV_READ_AHEAD, raising=False)
    monkeypatch.setattr(_read_ahead.os, "cpu_count", lambda: 2)
    assert not _read_ahead.wanted([small])
    monkeypatch.setattr(_read_ahead, "READ_AHEAD_MIN_BYTES", 500)
    assert _read_ahead.wanted([small])
    monkeypatch.setattr(_read_ahead.os, "cpu_count", lambda: 1)
    assert not _read_ahead.wanted([small])
    monkeypatch.setenv(_read_ahead.ENV_READ_AHEAD, "1")
    assert _read_ahead.wanted([small])


def test_a_callers_script_without_a_main_guard_can_read_ahead(tiny_la: Path, tmp_path: Path) -> None:
    """The second process does not import the caller's script again (multiprocessing would,
    and an unguarded script calling the ingest would then fail)."""
    import os
    import subprocess
    import sys

    script = tmp_path / "council_script.py"
    script.write_text(
        "from datetime import date, datetime\n"
        "from driftflag.stages import ingest\n"
        f"r = ingest([{str(tiny_la / 'ssda903')!r}, {str(tiny_la / 'annex_a')!r}], {str(tmp_path / 'store')!r},\n"
        "           extract_date=date(2026, 3, 31), created_at=datetime(2026, 4, 1, 9, 0),\n"
        "           great_expectations=False)\n"
        "print('rows', int(r.accounting['rows_read'].sum()))\n")
    env = {**os.environ, _read_ahead.ENV_READ_AHEAD: "1"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("rows ") == 1 and int(done.stdout.split()[-1]) > 0


def test_without_an_interpreter_to_start_the_units_are_read_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(*_a, **_k):
        raise OSError("no interpreter")

    monkeypatch.setattr(_read_ahead.subprocess, "Popen", no_process)
    got = list(_read_ahead.units_in_order(_double, [1, 2, 3], EXTRACT, ahead=True))
    assert got == [2, 4, 6]


def _double(unit: int, _extract: date) -> int:
    return 2 * unit


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_units_come_back_in_order_from_the_reading_processes(processes: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import operator

    monkeypatch.setattr(_read_ahead, "read_ahead_processes", lambda: processes)
    units = [(k, 10 * k) for k in range(7)]
    got = list(_read_ahead.units_in_order(operator.getitem, units, 1, ahead=True))
    assert got == [0, 10, 20, 30, 40, 50, 60]


def test_a_unit_the_second_process_cannot_take_is_an_error_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request it cannot even unpickle (a function of a module only this process has) comes
    back as an error, raised here."""
    import sys
    import types

    only_here = types.ModuleType("driftflag_test_only_here")

    def triple(unit: int, _extract: date) -> int:
        return 3 * unit

    triple.__module__ = only_here.__name__
    triple.__qualname__ = "triple"
    only_here.triple = triple  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, only_here.__name__, only_here)
    with pytest.raises(ModuleNotFoundError):
        list(_read_ahead.units_in_order(only_here.triple, [1, 2], EXTRACT, ahead=True))


def test_readers_that_cannot_start_leave_the_reading_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that exits before its first answer (say, driftflag not importable there): the
    units are read in this process instead, from the first."""
    import subprocess
    import sys

    real = subprocess.Popen
    monkeypatch.setattr(_read_ahead.subprocess, "Popen",
                        lambda _args, **kw: real([sys.executable, "-c", "import sys; sys.exit(3)"], **kw))
    assert list(_read_ahead.units_in_order(_double, [1, 2, 3], EXTRACT, ahead=True)) == [2, 4, 6]


def test_the_ingest_takes_the_suites_prepared_beside_it(
        tiny_la: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large returns have Great Expectations prepared in another process while the last steps
    run (``validate/_beside.py``; that it gives what the suites give here is
    tests/validate/test_gx_suites.py's); forced here on small ones: the ingest hands the store
    it wrote to that process, takes its result into the summary and the manifest, and the
    Data Docs are under the store."""
    pytest.importorskip("great_expectations")
    from driftflag.casemodel.schema import TABLE_ORDER, TABLES
    from driftflag.validate import _beside
    from driftflag.validate._gx import expected_count

    ran: list[object] = []
    run = _beside.SuitesBeside.run
    monkeypatch.setattr(_beside.SuitesBeside, "run", lambda self, store: ran.append(store) or run(self, store))
    monkeypatch.setenv(_read_ahead.ENV_READ_AHEAD, "1")
    r = ingest([tiny_la / "ssda903"], tmp_path / "store", extract_date=EXTRACT, created_at=CREATED, run_gx=True)
    assert len(ran) == 1 and ran[0] is r.store  # the suites ran in the other process, on this store
    assert r.gx["expectations"] == sum(expected_count(TABLES[t]) for t in TABLE_ORDER)
    assert r.gx["success"] and r.manifest["validation"]["gx_success"] is True
    assert (tmp_path / "store" / r.gx["docs"]).is_file()
    summary = (tmp_path / "store" / "validation" / "summary.json").read_text()
    assert '"gx": {' in summary
