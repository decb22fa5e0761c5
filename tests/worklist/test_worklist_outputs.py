"""Workbook, CSV, HTML and the pseudonymised copy: what a QA lead opens, byte-identical on rerun."""

from __future__ import annotations

import hashlib
import zipfile

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from worklist_helpers import policy

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
    from driftflag.worklist.outputs import FROZEN_COLUMNS, INSTRUCTION, MONTH_COLUMN, natural_key

    wb = load_workbook(written / "worklist.xlsx")
    teams = sorted(synth_worklist.frame["team"].unique(), key=natural_key)
    assert wb.sheetnames[:2] == ["Summary", "About the sample"] and wb.sheetnames[-1] == META_SHEET
    assert wb.sheetnames[2:-1] == teams
    assert wb[META_SHEET].sheet_state == "hidden"
    summary = [c for row in wb["Summary"].iter_rows(values_only=True) for c in row if c]
    assert HUMAN_DECISION_NOTICE in summary
    assert INSTRUCTION in summary and "driftflag" not in INSTRUCTION and "`" not in INSTRUCTION
    for needed in ("Cases by selection reason", "Cases by service", "Cases by team"):
        assert needed in summary
    about = " ".join(str(c) for row in wb["About the sample"].iter_rows(values_only=True) for c in row if c)
    assert "1 / probability" in about and "2,000 times" in about
    total_rows = 0
    for team in teams:
        ws = wb[team]
        header = [c.value for c in ws[1]]
        assert header == list(DISPLAY_COLUMNS)
        # the audit columns come straight after the reasons, which are frozen on screen
        assert header.index("Grade") == header.index("Reason 3") + 1 == len(FROZEN_COLUMNS)
        assert ws.freeze_panes == ws.cell(2, len(FROZEN_COLUMNS) + 1).coordinate
        assert ws.auto_filter.ref is not None
        assert ws.column_dimensions["A"].width >= 9
        assert ws.protection.sheet and ws.protection.autoFilter is False  # filters still allowed
        assert ws.page_setup.orientation == "landscape"
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0  # 1 is the default
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows.replace("$", "") == "1:1"
        month_col = ws.cell(1, header.index(MONTH_COLUMN) + 1).column_letter
        assert ws.column_dimensions[month_col].hidden
        rows = ws.max_row - 1
        total_rows += rows
        assert all(ws.cell(r, 1).value for r in range(2, rows + 2))
        assert all(ws.cell(r, header.index(MONTH_COLUMN) + 1).value == "2025-11" for r in range(2, rows + 2))
        for j, c in enumerate(header, start=1):
            for r in range(2, rows + 2):
                cell = ws.cell(r, j)
                if c in AUDIT_COLUMNS:
                    assert cell.value is None and cell.protection.locked is False, (c, r)
                else:
                    assert cell.protection.locked is not False, (c, r)
        dv = {"".join(ch for ch in str(d.sqref).split(":")[0] if ch.isalpha()): d
              for d in ws.data_validations.dataValidation}
        for c in ("Grade", "Moderator grade"):
            col = ws.cell(1, header.index(c) + 1).column_letter
            assert dv[col].type == "list"
            assert dv[col].formula1 == '"' + ",".join(AUDIT_GRADES) + '"'
        assert AUDIT_GRADES[0] == "Outstanding" and len(AUDIT_GRADES) == 4
        drift_col = ws.cell(1, header.index("Drift found") + 1).column_letter
        assert dv[drift_col].formula1 == '"Yes,No"'
        date_col = ws.cell(1, header.index("Audit date") + 1).column_letter
        assert dv[date_col].type == "date"
        # Excel serial dates: 2025-11-01 is 45962, 2025-12-31 (end of the following month) 46022
        assert (dv[date_col].formula1, dv[date_col].formula2) == ("45962", "46022")
    assert total_rows == len(synth_worklist.frame)


def test_natural_team_order():
    from driftflag.worklist.outputs import natural_key

    names = ["Team 10", "Team 3", "team 12", "Team 1", "Alpha", "Team 2b", "Team 2"]
    assert sorted(names, key=natural_key) == ["Alpha", "Team 1", "Team 2", "Team 2b", "Team 3",
                                               "Team 10", "team 12"]


def test_grading_scale_is_configurable(tmp_path, synth_worklist):
    import dataclasses

    pol = synth_worklist.policy.model_copy(update={"grading_scale": ("Strong", "Adequate", "Weak")})
    wl = dataclasses.replace(synth_worklist, policy=pol)
    wl.to_excel(tmp_path / "w.xlsx")
    wb = load_workbook(tmp_path / "w.xlsx")
    ws = wb[wb.sheetnames[2]]
    assert any(d.formula1 == '"Strong,Adequate,Weak"' for d in ws.data_validations.dataValidation)
    with pytest.raises(ValueError):
        type(pol).model_validate({**pol.model_dump(), "grading_scale": "ofsted5"})


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


def test_no_missing_value_marker_reaches_a_page(written):
    """A measure that does not apply (months on a plan for a looked-after child) is an empty
    cell: never "nan", "None", "NaT" or "<NA>" in the pages and CSVs people read."""
    import re

    for f in ("worklist.html", "worklist.csv", "shared/worklist_shared.html",
              "shared/worklist_shared.csv"):
        text = (written / f).read_text()
        cells = re.split(r"<[^>]+>|,|\n", text)
        bad = {c.strip() for c in cells} & {"nan", "None", "NaT", "<NA>", "&lt;NA&gt;", "NaN"}
        assert not bad, (f, bad)


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


# --- hostile values from the returns (issue 11) -----------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _hostile_worklist(teams: list[str] | None = None):
    """A small worklist whose ids, teams and workers start like formulas (no model needed)."""
    from driftflag.worklist.sampling import Worklist

    n = len(FORMULAS)
    teams = teams or [f"{v} team" for v in FORMULAS]
    frame = pd.DataFrame({
        "child_id": FORMULAS, "team": [teams[i % len(teams)] for i in range(n)],
        "service": ["CIN"] * n, "worker_id": ["W1"] * n, "worker_name": FORMULAS,
        "score": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5], "risk_percentile": [1.0, 20.0, 40.0, 60.0, 80.0, 99.0],
        "days_since_last_visit": [-3, 1, 2, 3, 4, 5],
        "selection_part": ["random"] * n, "selection_reason": ["-random control"] * n,
        "reason_1": FORMULAS, "inclusion_probability": [0.5] * n, "inclusion_probability_method": ["exact"] * n,
    })
    return Worklist(frame=frame, month="2025-11", policy=policy(), design={"open_cases": n},
                    model_label="=model")


def _assert_no_formula_cells(path):
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    for row in body:
        for name, value in zip(header, row, strict=True):
            if value.startswith(("=", "+", "-", "@", "\t", "\r")):
                # only numbers may start with a minus sign
                assert name in ("Risk score", "Days since last visit") and float(value) < 0, (name, value)
    return header, body


def test_worklist_csv_neutralises_formulas_and_keeps_numbers(tmp_path):
    wl = _hostile_worklist()
    wl.write(tmp_path / "out")
    header, body = _assert_no_formula_cells(tmp_path / "out" / "worklist.csv")
    col = dict(zip(header, zip(*body, strict=True), strict=True))
    assert list(col["Child ID"]) == ["'" + v for v in FORMULAS]  # nothing lost: a quote in front
    assert col["Risk score"][0] == "-0.5" and col["Days since last visit"][0] == "-3"
    csv = pd.read_csv(tmp_path / "out" / "worklist.csv")
    assert csv["Risk score"].dtype.kind == "f" and csv["Risk score"].iloc[0] == -0.5


def test_shared_csv_neutralises_formulas(tmp_path):
    wl = _hostile_worklist()
    wl.write(tmp_path / "out", pseudonym_key=KEY)
    header, body = _assert_no_formula_cells(tmp_path / "out" / "shared" / "worklist_shared.csv")
    teams = [r[header.index("Team")] for r in body]
    assert all(t.startswith("'") for t in teams)


def test_workbook_writes_formula_like_values_as_text(tmp_path):
    wl = _hostile_worklist()
    wl.write(tmp_path / "out")
    wb = load_workbook(tmp_path / "out" / "worklist.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)  # no formula anywhere
    assert {c.value for c in cells} >= {v for v in FORMULAS if v.isprintable()}


APOSTROPHE_31 = "Children in Need Team North We's Locality"  # character 31 is "'" (the issue)


@pytest.mark.parametrize("teams", [
    [APOSTROPHE_31],
    ["'quoted'", "[North]: a/b*c?d\\e", "History", "summary", "_worklist"],
    ["A" * 40, "a" * 40 + "x", "A" * 31],  # collide once cut, and case-insensitively
    ["Team\x00one", "Team\none", "   ", "''"],
])
def test_workbook_with_awkward_team_names_opens(tmp_path, teams):
    wl = _hostile_worklist(teams)
    wl.write(tmp_path / "out")
    wb = load_workbook(tmp_path / "out" / "worklist.xlsx")
    team_sheets = wb.sheetnames[2:-1]
    assert len(team_sheets) == len(set(wl.frame["team"]))
    assert sum(wb[s].max_row - 1 for s in team_sheets) == len(wl.frame)


def _excel_accepts(name: str) -> bool:
    return (0 < len(name.encode("utf-16-le")) // 2 <= 31 and not any(c in "[]:*?/\\" for c in name)
            and not name.startswith("'") and not name.endswith("'") and name.isprintable())


@given(st.lists(st.text(max_size=50), min_size=1, max_size=12, unique=True))
@settings(max_examples=300, deadline=None)
def test_sheet_names_are_valid_and_unique_for_any_team_names(teams):
    from driftflag.worklist.outputs import _sheet_names

    names = _sheet_names(teams)
    assert set(names) == set(teams)
    assert all(_excel_accepts(n) for n in names.values())
    folded = [n.casefold() for n in names.values()] + [n.lower() for n in names.values()]
    assert len({n.lower() for n in names.values()}) == len(names)
    assert len({n.casefold() for n in names.values()}) == len(names)
    assert not {"summary", "_worklist", "history"} & set(folded)


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4, unique=True))
@settings(max_examples=15, deadline=None)
def test_xlsxwriter_accepts_the_sheet_names(teams):
    import io

    import xlsxwriter

    from driftflag.worklist.outputs import _sheet_names

    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    wb.add_worksheet("Summary")
    for name in _sheet_names(teams).values():
        wb.add_worksheet(name)  # raises on an invalid or duplicate name
    wb.add_worksheet("_worklist")
    wb.close()


def test_the_written_worklist_passes_the_scan(written):
    """The scan of files for people (driftflag.reports.scan) finds nothing in the worklist's
    workbook, CSV and page, nor in the pseudonymised copy: no nan/None/NaT, no raw code, no
    outside host."""
    from driftflag.reports.scan import people_files, scan_folder

    assert len(people_files(written)) == 6
    assert scan_folder(written) == []
