"""Workbook, CSV, HTML and the pseudonymised copy: what a QA lead opens, byte-identical on rerun."""

from __future__ import annotations

import hashlib
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.casemodel.codes import AUDIT_GRADES
from driftflag.worklist.outputs import AUDIT_COLUMNS, DISPLAY_COLUMNS, META_SHEET

KEY = b"a-test-key-of-sufficient-length"


def digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory, synth_worklist):
    out = tmp_path_factory.mktemp("wl") / "2025-11"
    synth_worklist.write(out, pseudonym_key=KEY)
    return out


def test_writes_the_files(written):
    assert set(digests(written)) == {
        ".driftflag-output", "worklist.xlsx", "worklist.csv", "worklist.html",
        "shared/worklist_shared.xlsx", "shared/worklist_shared.csv", "shared/worklist_shared.html"}


def test_byte_identical_on_rerun(tmp_path, synth_worklist, written):
    again = tmp_path / "again"
    synth_worklist.write(again, pseudonym_key=KEY)
    assert digests(again) == digests(written)
    with zipfile.ZipFile(written / "worklist.xlsx") as z:
        core = z.read("docProps/core.xml").decode()
        assert "2025-11-01T00:00:00Z" in core
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_workbook_sheets_columns_and_validation(written, synth_worklist):
    wb = load_workbook(written / "worklist.xlsx")
    teams = sorted(synth_worklist.frame["team"].unique())
    assert wb.sheetnames[0] == "Summary" and wb.sheetnames[-1] == META_SHEET
    assert wb.sheetnames[1:-1] == teams
    assert wb[META_SHEET].sheet_state == "hidden"
    summary = [c for row in wb["Summary"].iter_rows(values_only=True) for c in row if c]
    assert HUMAN_DECISION_NOTICE in summary
    for needed in ("Cases by selection reason", "Cases by service", "Cases by team"):
        assert needed in summary
    total_rows = 0
    for team in teams:
        ws = wb[team]
        header = [c.value for c in ws[1]]
        assert header == list(DISPLAY_COLUMNS)
        assert ws.freeze_panes == "B2"
        assert ws.auto_filter.ref is not None
        assert ws.column_dimensions["A"].width >= 9
        rows = ws.max_row - 1
        total_rows += rows
        assert all(ws.cell(r, 1).value for r in range(2, rows + 2))
        for c in AUDIT_COLUMNS:
            j = header.index(c) + 1
            assert all(ws.cell(r, j).value is None for r in range(2, rows + 2))
        dv = {"".join(ch for ch in str(d.sqref).split(":")[0] if ch.isalpha()): d
              for d in ws.data_validations.dataValidation}
        grade_col = ws.cell(1, header.index("Grade") + 1).column_letter
        assert dv[grade_col].type == "list"
        assert dv[grade_col].formula1 == '"' + ",".join(AUDIT_GRADES) + '"'
        drift_col = ws.cell(1, header.index("Drift found") + 1).column_letter
        assert dv[drift_col].formula1 == '"Yes,No"'
        date_col = ws.cell(1, header.index("Audit date") + 1).column_letter
        assert dv[date_col].type == "date"
    assert total_rows == len(synth_worklist.frame)


def test_csv_matches_the_workbook_columns(written, synth_worklist):
    csv = pd.read_csv(written / "worklist.csv", dtype={"Child ID": str})
    assert list(csv.columns) == list(DISPLAY_COLUMNS)
    assert set(csv["Child ID"]) == set(synth_worklist.frame["child_id"])
    assert csv["Inclusion probability"].between(0, 1).all()


def test_html_has_notice_sortable_table_and_cards(written, synth_worklist):
    html = (written / "worklist.html").read_text()
    assert html.count(HUMAN_DECISION_NOTICE) >= 1
    assert 'class="sortable"' in html
    assert html.count('class="card"') == len(synth_worklist.frame)
    assert html.count("<svg") >= 1


def test_shared_copy_is_pseudonymised(written, synth_worklist):
    ids = set(synth_worklist.frame["child_id"])
    names = set(synth_worklist.frame["worker_name"].dropna())
    for f in ("worklist_shared.csv", "worklist_shared.html"):
        text = (written / "shared" / f).read_text()
        assert not any(i in text for i in ids)
        assert not any(n in text for n in names)
        assert KEY.decode() not in text
    csv = pd.read_csv(written / "shared" / "worklist_shared.csv")
    assert csv["Child ID"].str.fullmatch(r"P[0-9a-f]{16}").all()
    assert csv["Worker"].isna().all()
    with zipfile.ZipFile(written / "shared" / "worklist_shared.xlsx") as z:
        blob = b"".join(z.read(n) for n in z.namelist())
    assert not any(i.encode() in blob for i in ids) and KEY not in blob


def test_key_comes_from_the_environment_or_a_file(tmp_path, monkeypatch):
    from driftflag.errors import ConfigError
    from driftflag.worklist.pseudonymise import load_pseudonym_key

    monkeypatch.delenv("DRIFTFLAG_PSEUDONYM_KEY", raising=False)
    assert load_pseudonym_key() is None
    monkeypatch.setenv("DRIFTFLAG_PSEUDONYM_KEY", "short")
    with pytest.raises(ConfigError, match="at least 16 bytes"):
        load_pseudonym_key()
    f = tmp_path / "key"
    f.write_bytes(KEY + b"\n")
    assert load_pseudonym_key(f) == KEY
