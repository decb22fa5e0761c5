"""Audit feedback round trip: fill the workbook, import, see the audits in the store and report;
a malformed workbook is rejected row by row and the store is unchanged."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from driftflag.casemodel import read_store
from driftflag.errors import StoreError
from driftflag.worklist.feedback import (
    AuditImportError,
    audits_report,
    import_audits,
    save_worklist,
)
from driftflag.worklist.outputs import META_SHEET


def store_digest(path):
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def fill(src, dest, *, bad=None, limit=None):
    """Fill the auditor columns of every case row (``bad``: {row index: {column: value}})."""
    wb = load_workbook(src)
    n = 0
    grades = ["Good", "Requires improvement", "Inadequate"]
    for ws in wb.worksheets:
        header = [c.value for c in ws[1]]
        if ws.title == META_SHEET or "Child ID" not in header:
            continue
        col = {h: i + 1 for i, h in enumerate(header)}
        for r in range(2, ws.max_row + 1):
            if limit is not None and n >= limit:
                break
            values = {"Grade": grades[n % 3], "Drift found": "Yes" if n % 2 else "No",
                      "Actions set": "Yes" if n % 3 else "No", "Auditor": f"PM{n % 4}",
                      "Audit date": datetime(2025, 11, 3 + n % 20)}
            values.update((bad or {}).get(n, {}))
            for k, v in values.items():
                ws.cell(r, col[k]).value = v
            n += 1
    wb.save(dest)
    return n


@pytest.fixture()
def issued(tmp_path, store_path, synth_worklist):
    out = tmp_path / "out"
    synth_worklist.write(out)
    save_worklist(synth_worklist, store_path)
    return out / "worklist.xlsx"


def test_round_trip(tmp_path, store_path, issued, synth_worklist):
    before = len(read_store(store_path, tables=["audits"])["audits"])
    done = tmp_path / "done.xlsx"
    n = fill(issued, done, limit=25)
    res = import_audits(done, store_path)
    assert len(res.imported) == n == 25
    assert res.not_audited == len(synth_worklist.frame) - 25
    audits = read_store(store_path, tables=["audits"])["audits"]
    assert len(audits) == before + 25
    new = audits[audits["audit_id"].str.startswith("WL2025-11-")]
    assert len(new) == 25 and new["audit_date"].between("2025-11-01", "2025-11-30").all()
    wl = synth_worklist.frame.set_index("child_id")
    assert (new["inclusion_probability"].to_numpy()
            == wl.loc[new["child_id"], "inclusion_probability"].to_numpy()).all()
    assert set(new["selection_reason"]) <= {"random", "targeted", "thematic", "re-audit"}
    assert (store_path / "records" / "worklists" / "2025-11" / "worklist.parquet").is_file()

    rep = audits_report(store_path, "2025-06", "2025-11")
    parts = set(rep.by_part["part"])
    assert parts & {"Highest risk", "Rule-flagged", "Random control"}  # in words, not codes
    assert rep.by_part["audits"].sum() >= 25
    est = rep.estimates.set_index("measure")["value"]
    assert 0 <= est["model precision on audited cases, weighted"] <= 1
    assert 0 <= est["drift prevalence, inverse-probability weighted"] <= 1
    assert rep.agreement.columns.tolist()[:5] == ["flag", "Outstanding", "Good", "Requires improvement",
                                                  "Inadequate"]
    assert "over-optimistic" in rep.to_text()

    # importing the same workbook again records nothing new: the store is unchanged
    snapshot = store_digest(store_path)
    again = import_audits(done, store_path)
    assert len(again.imported) == 0 and again.unchanged == 25
    assert store_digest(store_path) == snapshot


def test_malformed_workbook_is_rejected_row_by_row_and_store_unchanged(tmp_path, store_path, issued):
    snapshot = store_digest(store_path)
    bad = tmp_path / "bad.xlsx"
    fill(issued, bad, limit=6, bad={
        0: {"Grade": "Excellent"},
        1: {"Audit date": datetime(2026, 1, 2)},
        2: {"Drift found": "maybe"},
        3: {"Auditor": None},
    })
    wb = load_workbook(bad)
    ws = wb.worksheets[-2]  # the last team sheet: its first row is not filled in
    ws.cell(2, 1).value = "NOT-A-CASE"
    wb.save(bad)
    with pytest.raises(AuditImportError) as e:
        import_audits(bad, store_path)
    problems = e.value.problems
    reasons = " | ".join(str(p) for p in problems)
    assert ("value 'Excellent': the grade must be one of Outstanding, Good, Requires improvement, "
            "Inadequate") in reasons
    assert "column 'Audit date' value '2026-01-02': must be between 2025-11-01 and 2025-12-31" in reasons
    assert "column 'Drift found' value 'maybe'" in reasons
    assert "column 'Auditor' value '': the auditor must be named" in reasons
    assert "value 'NOT-A-CASE': this case is not on the 2025-11 worklist" in reasons
    assert all(p.row >= 2 and p.sheet for p in problems)
    assert str(e.value).startswith(str(bad))
    assert store_digest(store_path) == snapshot


def test_import_needs_the_stored_worklist(tmp_path, store_path, synth_worklist):
    out = tmp_path / "o"
    synth_worklist.write(out)
    with pytest.raises(StoreError, match="no worklist stored for 2025-11"):
        import_audits(out / "worklist.xlsx", store_path)


def test_report_on_the_councils_audit_log(store_path):
    rep = audits_report(store_path, "2024-01", "2025-11")
    assert rep.by_part["part"].str.endswith("(audit log)").all()
    assert rep.notes and "no stored worklist" in rep.notes[0]
    assert isinstance(rep.optimism, pd.DataFrame)


def test_imported_audits_and_worklists_survive_a_rewrite_of_the_store(tmp_path, store_path, issued, synth_la):
    from driftflag.casemodel import write_store

    done = tmp_path / "done.xlsx"
    fill(issued, done, limit=5)
    import_audits(done, store_path)
    imported = read_store(store_path, tables=["audits"])["audits"]
    imported = imported[imported["audit_id"].str.startswith("WL")]
    write_store(synth_la.store, store_path, created_at=datetime(2026, 1, 1))  # what a re-ingest does
    after = read_store(store_path, tables=["audits"])["audits"]
    pd.testing.assert_frame_equal(after[after["audit_id"].str.startswith("WL")].reset_index(drop=True),
                                  imported.reset_index(drop=True))
    assert (store_path / "records" / "worklists" / "2025-11" / "worklist.parquet").is_file()
    assert import_audits(done, store_path).unchanged == 5  # the ledger still knows them


def test_a_corrected_grade_is_a_new_record_not_an_overwrite(tmp_path, store_path, issued):
    from driftflag.casemodel import ledger

    done = tmp_path / "done.xlsx"
    fill(issued, done, limit=3)
    first = import_audits(done, store_path).imported
    fixed = tmp_path / "fixed.xlsx"
    fill(issued, fixed, limit=3, bad={0: {"Grade": "Inadequate", "Drift found": "Yes"}})
    res = import_audits(fixed, store_path, recorded_by="QA lead")
    assert res.corrected == 1 and res.unchanged == 2
    assert len(res.imported) == 1  # unchanged rows skipped
    corrected = res.imported["audit_id"].iloc[0]
    assert corrected in set(first["audit_id"])
    history = ledger.audit_history(store_path)
    assert len(history) == 4
    correction = history.iloc[-1]
    original = history[history["audit_id"] == corrected].iloc[0]
    assert correction["audit_id"] == corrected
    assert correction["recorded_by"] == "QA lead" and correction["supersedes"] == original["record_id"]
    assert original["grade"] == "Good"  # the first record is still there
    audits = read_store(store_path, tables=["audits"])["audits"].set_index("audit_id")
    assert audits.loc[corrected, "grade"] == "Inadequate"


def test_a_worklist_issued_again_keeps_the_earlier_one(store_path, synth_worklist):
    from dataclasses import replace

    from driftflag.casemodel import ledger

    first = ledger.worklist_dir(store_path, "2025-11") / "worklist.parquet"
    save_worklist(synth_worklist, store_path)
    original = first.read_bytes()
    save_worklist(synth_worklist, store_path)  # the same worklist again: nothing to keep
    assert not (first.parent / "previous").exists()
    smaller = replace(synth_worklist, frame=synth_worklist.frame.iloc[:5])
    save_worklist(smaller, store_path)
    assert (first.parent / "previous" / "001" / "worklist.parquet").read_bytes() == original
    assert len(pd.read_parquet(first)) == 5


# --- how audits come back: round trips -----------------------------------------------------------
def _team_sheets(wb):
    return [ws for ws in wb.worksheets if ws.title != META_SHEET and ws.cell(1, 1).value == "Child ID"]


def _case_rows(path):
    """[(sheet, row, child id)] of every case row in a workbook, in order."""
    wb = load_workbook(path)
    return [(ws.title, r, str(ws.cell(r, 1).value)) for ws in _team_sheets(wb)
            for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value]


def test_a_book_returned_in_three_partial_imports(tmp_path, store_path, issued, synth_worklist):
    from driftflag.casemodel import ledger

    total = len(synth_worklist.frame)
    done = 0
    for i, upto in enumerate((10, 25, None)):
        part = tmp_path / f"part{i}.xlsx"
        fill(issued, part, limit=upto)  # the same book, more of it filled in each time
        res = import_audits(part, store_path)
        now = upto or total
        assert len(res.imported) == now - done and res.unchanged == done and res.corrected == 0
        assert res.not_audited == total - now
        assert res.blank == total - now and len(res.missing) == 0
        done = now
    history = ledger.audit_history(store_path)
    assert len(history) == total and history["supersedes"].isna().all()
    assert set(history["child_id"]) == set(synth_worklist.frame["child_id"])


def test_a_single_team_sheet_copied_into_a_new_book(tmp_path, store_path, issued, synth_worklist):
    """The obvious hand-out: one team's sheet copied (values only) into a new workbook, with no
    _worklist sheet; the month is read from the sheet's hidden month column."""
    from openpyxl import Workbook

    filled = tmp_path / "filled.xlsx"
    fill(issued, filled)
    src = _team_sheets(load_workbook(filled))[-1]
    book = Workbook()
    ws = book.active
    ws.title = "My team"
    book.create_sheet("Sheet2")  # an empty sheet of the manager's own is ignored
    for row in src.iter_rows(values_only=True):
        ws.append(list(row))
    single = tmp_path / "single.xlsx"
    book.save(single)
    res = import_audits(single, store_path)
    team_rows = src.max_row - 1
    assert len(res.imported) == team_rows and len(res.missing) == 0
    assert res.not_audited == len(synth_worklist.frame) - team_rows
    assert "still to be audited" in res.summary()


def test_a_book_with_no_month_anywhere_is_matched_to_its_worklist(tmp_path, store_path, issued):
    from openpyxl import Workbook

    from driftflag.worklist.outputs import MONTH_COLUMN

    filled = tmp_path / "filled.xlsx"
    fill(issued, filled, limit=3)
    src = _team_sheets(load_workbook(filled))[0]
    header = [c.value for c in src[1]]
    keep = [j for j, h in enumerate(header) if h != MONTH_COLUMN]
    book = Workbook()
    for row in src.iter_rows(values_only=True):
        book.active.append([row[j] for j in keep])
    bare = tmp_path / "bare.xlsx"
    book.save(bare)
    res = import_audits(bare, store_path)
    assert res.month == "2025-11" and len(res.imported) >= 1


def test_a_deleted_row_is_reported_missing_not_dropped(tmp_path, store_path, issued, synth_worklist):
    done = tmp_path / "done.xlsx"
    fill(issued, done)
    wb = load_workbook(done)
    ws = max(_team_sheets(wb), key=lambda w: w.max_row)
    gone = str(ws.cell(2, 1).value)
    ws.delete_rows(2)
    wb.save(done)
    res = import_audits(done, store_path)
    assert res.missing["child_id"].tolist() == [gone]
    assert res.missing["team"].iloc[0] == ws.cell(2, 2).value  # the same team
    assert res.not_audited == 1  # still outstanding, and said so
    assert gone in res.summary() and "deleted" in res.summary()


def test_april_date_lower_case_grade_notes_and_moderator_grade(tmp_path, store_path, issued):
    """An audit of the November list finished in December, a grade typed in lower case, notes
    and a moderator's grade: all recorded."""
    from driftflag.casemodel import ledger

    done = tmp_path / "done.xlsx"
    fill(issued, done, limit=2, bad={
        0: {"Audit date": datetime(2025, 12, 15), "Grade": "requires IMPROVEMENT",
            "Notes": "Plan not updated since the review", "Moderator grade": "inadequate"},
        1: {"Grade": " outstanding ", "Notes": "- see chronology"},
    })
    res = import_audits(done, store_path)
    assert len(res.imported) == 2
    rec = ledger.current_records(store_path).sort_values("audit_date")
    assert rec["grade"].tolist() == ["Outstanding", "Requires improvement"]
    assert rec["moderator_grade"].tolist()[1] == "Inadequate"
    assert rec["notes"].tolist() == ["- see chronology", "Plan not updated since the review"]
    assert rec["audit_date"].max() == pd.Timestamp("2025-12-15")
    rep = audits_report(store_path, "2025-11", "2025-12")
    mod = rep.moderation.set_index("measure")["cases"]
    assert mod["moderated audits"] == 1 and mod["moderator graded lower (auditor over-optimistic)"] == 1


def test_a_corrected_grade_then_the_original_again_keeps_every_record(tmp_path, store_path, issued):
    from driftflag.casemodel import ledger

    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    fill(issued, a, limit=1)
    fill(issued, b, limit=1, bad={0: {"Grade": "Inadequate"}})
    for path in (a, b, a):
        import_audits(path, store_path)
    h = ledger.audit_history(store_path)
    assert h["grade"].tolist() == ["Good", "Inadequate", "Good"]
    assert h["supersedes"].iloc[1] == h["record_id"].iloc[0] and h["supersedes"].iloc[2] == h["record_id"].iloc[1]


def test_the_same_case_twice_with_different_grades_is_refused(tmp_path, store_path, issued):
    done = tmp_path / "done.xlsx"
    fill(issued, done, limit=1)
    wb = load_workbook(done)
    ws = _team_sheets(wb)[0]
    ws.append([c.value for c in ws[2]])
    header = [c.value for c in ws[1]]
    ws.cell(ws.max_row, header.index("Grade") + 1).value = "Inadequate"
    wb.save(done)
    snapshot = store_digest(store_path)
    with pytest.raises(AuditImportError, match="appears twice with different audits"):
        import_audits(done, store_path)
    assert store_digest(store_path) == snapshot


def test_report_pages_read_cleanly(tmp_path, store_path, issued):
    import re

    done = tmp_path / "done.xlsx"
    fill(issued, done, limit=8)
    import_audits(done, store_path)
    for months in (("2025-11", "2025-11"), ("2019-01", "2019-02")):  # with audits, and none at all
        rep = audits_report(store_path, *months)
        written = rep.write(tmp_path / "rep")
        html = written[0].read_text()
        text = rep.to_text()
        wb = load_workbook(written[1])
        cells = " | ".join(str(c) for row in wb.active.iter_rows(values_only=True) for c in row if c is not None)
        for page in (html, text, cells):
            assert "Empty DataFrame" not in page
            assert not re.search(r"\b(nan|NaN|None|NaT|<NA>)\b", re.sub(r"<[^>]+>", " ", page)), page[:400]
        assert "http" not in html
