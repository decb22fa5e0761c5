"""Messages people read: escaped, one line, bounded, no "nan"/"None", no child rows beyond the
identifiers needed (issue 11), and telemetry off wherever driftflag sets MLflow up."""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from driftflag._text import VALUE_LIMIT, cell, say, shown, single_line
from driftflag.validate.summary import EXAMPLE_FIELDS, build_summary, example, render_terminal

HOSTILE = ["[/notes]", "[n/a]", "[bold red]x[/]", ":thumbs_up:", "a\x00b", "two\nlines", "tab\there",
           "cr\rlf", "bidi\u202eevil", "sep\u2028x", "=1+1", "x" * 500]


def _console(width: int = 200) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, color_system=None, legacy_windows=False), buf


# --- the helpers ------------------------------------------------------------------------------

@given(st.text(), st.integers(min_value=2, max_value=120))
def test_single_line_is_one_printable_bounded_line(text, limit):
    line = single_line(text, limit)
    assert line.isprintable()  # no newline, NUL, bidi override or other control character
    assert len(line) <= limit
    if text.isprintable() and len(text) <= limit:
        assert line == text  # ordinary text is left alone


@given(st.text(min_size=1))
def test_single_line_keeps_every_printable_character_in_order(text):
    # Nothing is dropped silently: printable characters survive, the rest become escapes.
    line = single_line(text, 10 * len(text) + 10)
    printable = [c for c in text if c.isprintable()]
    it = iter(line)
    assert all(c in it for c in printable)


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT])
def test_missing_values_are_never_nan_or_none(missing):
    assert shown(missing) == "blank"
    assert cell(missing).plain == ""


def test_shown_escapes_and_truncates():
    assert shown("a\x00b\nc") == "a\\x00b\\nc"
    assert shown("x" * 500) == "x" * (VALUE_LIMIT - 1) + "…"
    assert shown("[n/a]") == "[n/a]"  # markup is kept as typed: the printers never parse it
    assert shown(b"\xffid") == "\\xffid"


@pytest.mark.parametrize("value", HOSTILE)
def test_say_prints_text_as_typed_on_one_line(value):
    con, buf = _console()
    say(con, f"error: {value}", one_line=True)
    out = buf.getvalue()
    assert out.count("\n") == 1
    assert out.rstrip("\n") == single_line(f"error: {value}")


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)  # a loaded machine is not a failure
def test_cells_are_never_markup(value):
    from rich.table import Table

    con, buf = _console()
    t = Table()
    t.add_column("v", overflow="fold")
    t.add_row(cell(value))
    con.print(t)  # a closing tag such as [/notes] used to raise MarkupError
    assert "".join(single_line(value, 80).split()) in "".join(buf.getvalue().split())


# --- the ingest summary -----------------------------------------------------------------------

def _issues(values: list[str]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        "table": "children", "source_file": "/returns/ssda903/2025-26/header.csv", "source_table": "header",
        "source_row": [str(i + 1) for i in range(n)], "column": "sex", "value": values,
        "rule": "unknown_code", "level": "error",
        "message": ["sex '" + v + "' is not in the SEX_CODES code list" for v in values],
        "_src": [f"s{i}" for i in range(n)],
    })


def _summary(values: list[str]) -> dict:
    from driftflag.casemodel.store import CaseStore

    acc = pd.DataFrame([{"file": "/returns/[n/a]/header.csv", "format": "ssda903", "rows_read": len(values),
                         "accepted": 0, "quarantined": len(values), "duplicates": 0}])
    dups = pd.DataFrame(columns=["table", "reason"])
    return build_summary(CaseStore.from_frames({}), acc, _issues(values), dups,
                         extract_date=pd.Timestamp("2026-03-31").date())


@pytest.mark.parametrize("value", HOSTILE)
def test_terminal_summary_prints_hostile_values_as_typed(value):
    con, buf = _console(width=400)
    render_terminal(_summary([value]), con)
    out = buf.getvalue()
    assert "[n/a]/header.csv" in out  # not erased as an unknown style
    assert shown(value) in out


@functools.cache
def _base_summary() -> dict:
    return _summary(["X"])


@given(st.text(min_size=1, max_size=80))
@settings(max_examples=100, deadline=None)
def test_terminal_summary_never_fails_on_any_value(value):
    summary = copy.deepcopy(_base_summary())
    issue = _issues([value]).iloc[0].to_dict()
    summary["by_rule"][0]["examples"] = [example(issue)]
    con, buf = _console(width=400)
    render_terminal(summary, con)
    example_cells = [line for line in buf.getvalue().splitlines() if "header.csv, header row 1" in line]
    assert len(example_cells) == 1  # the example stays on one line of the table
    assert shown(value) in example_cells[0]


def test_example_is_only_the_identifiers_and_is_bounded():
    # An unbalanced quote makes one value swallow the following rows of the file.
    swallowed = 'F",04/05/2008,WBRI\n1000007,M,23/11/2016,WBRI\n1000011,F,02/02/2012,AIND\n' * 20
    ex = _summary([swallowed])["by_rule"][0]["examples"][0]
    assert tuple(ex) == EXAMPLE_FIELDS
    assert ex["value"] == shown(swallowed) and len(ex["value"]) <= VALUE_LIMIT
    assert "1000011" not in json.dumps(ex)  # no other child's row
    assert all(str(v).isprintable() for v in ex.values())


def test_example_of_a_missing_value_reads_blank():
    ex = example({"source_file": "f.csv", "source_table": "header", "source_row": None, "column": "sex",
                  "value": None, "message": "sex is blank but required in children"})
    assert ex["value"] == "blank" and ex["source_row"] == ""
    assert "None" not in json.dumps(ex) and "nan" not in json.dumps(ex)


def test_validation_html_shows_only_the_example_fields():
    from driftflag.validate.summary import render_html

    html = render_html(_summary(["[/notes]", "<script>x</script>"]))
    assert "<script>x" not in html and "&lt;script&gt;" in html
    assert "[/notes]" in html


def _write_header(folder: Path, rows: list[list[str]]) -> Path:
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "header.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"])
        w.writerows(rows)
    return p


def test_ingest_with_markup_in_values_prints_them_and_exits_zero(tmp_path):
    from driftflag.cli import app

    header = _write_header(tmp_path / "returns", [
        ["1000000", "[/notes]", "04/05/2008", "WBRI", "", "", ""],
        ["1000007", "M", "[n/a]", "WBRI", "", "", ""],
        ["1000011", "F", "02/02/2012", "WBRI", "", "", ""],
    ])
    r = CliRunner().invoke(app, ["ingest", str(header), "--store", str(tmp_path / "store"), "--no-gx",
                                 "--extract-date", "2026-03-31"])
    assert r.exit_code == 0, r.output
    flat = "".join(r.stdout.split())
    assert "'[/notes]'" in flat and "'[n/a]'" in flat
    assert "1000011" not in r.stdout  # the accepted child is never printed
    assert "WBRI" not in r.stdout and "04/05/2008" not in r.stdout  # nor the rest of a bad row


def test_cli_error_with_newline_nul_and_markup_is_one_line(tmp_path):
    from driftflag.cli import app

    bad = tmp_path / "[red]two\nlines.csv"
    bad.write_bytes(b"not,a,return\n1,2,3\n")
    r = CliRunner().invoke(app, ["ingest", str(bad), "--store", str(tmp_path / "s"), "--no-gx"])
    assert r.exit_code == 2
    lines = r.stderr.strip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftflag: error: ")
    assert "[red]two\\nlines.csv" in lines[0]  # not erased as a style, not split in two


def test_internal_error_is_one_line(monkeypatch, capsys):
    from driftflag import cli

    def boom():
        raise RuntimeError("bad value '[/notes]'\nsecond line\x00")

    monkeypatch.setattr(cli, "app", boom)
    monkeypatch.setattr(sys, "argv", ["driftflag"])
    with pytest.raises(SystemExit) as exc:
        cli.entry()
    assert exc.value.code == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[/notes]" in err and "\\nsecond line\\x00" in err


# --- telemetry --------------------------------------------------------------------------------

_PROBE = textwrap.dedent("""
    import os, sys, importlib.abc
    seen = {}

    class Probe(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "mlflow" and "mlflow" not in seen:
                seen["mlflow"] = (os.environ.get("MLFLOW_DISABLE_TELEMETRY"), os.environ.get("DO_NOT_TRACK"))
            return None

    sys.meta_path.insert(0, Probe())
    {body}
    from mlflow.telemetry import get_telemetry_client
    from mlflow.telemetry.utils import is_telemetry_disabled
    print(seen.get("mlflow"), get_telemetry_client() is None, is_telemetry_disabled())
""")


def _clean_env() -> dict[str, str]:
    ci = {"PYTEST_CURRENT_TEST", "GITHUB_ACTIONS", "CI", "CIRCLECI", "GITLAB_CI", "JENKINS_URL", "TRAVIS",
          "TF_BUILD", "BUILDKITE", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK"}
    env = {k: v for k, v in os.environ.items() if k not in ci}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    return env


@pytest.mark.parametrize("body", [
    # the CLI entry point (a command that opens the MLflow workspace)
    "from typer.testing import CliRunner\n"
    "from driftflag.cli import app\n"
    "r = CliRunner().invoke(app, ['models', 'list', '--workspace', sys.argv[1]])",
    # the library: setting a workspace up
    "from driftflag.tracking import resolve_workspace, use_workspace\n"
    "use_workspace(resolve_workspace(sys.argv[1]))",
], ids=["cli", "workspace"])
def test_mlflow_telemetry_is_off_before_mlflow_is_imported(tmp_path, body):
    code = _PROBE.replace("{body}", body)
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ws")],
                       capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "('true', 'true') True True"


# --- other printing places --------------------------------------------------------------------

def test_headerless_return_is_not_printed(tmp_path):
    from driftflag.cli import app

    header = tmp_path / "header.csv"
    header.write_text("1000000,F,04/05/2008,WBRI,,,\n1000007,M,23/11/2016,WBRI,,,\n")
    r = CliRunner().invoke(app, ["ingest", str(header), "--store", str(tmp_path / "s"), "--no-gx"])
    assert r.exit_code == 2
    line = r.stderr.strip()
    assert "first row holds values, not column names (7 columns)" in line
    assert "04/05/2008" not in line and "WBRI" not in line and "1000000" not in line


def test_unrecognised_header_names_its_columns_escaped(tmp_path):
    from driftflag.cli import app

    f = tmp_path / "mystery.csv"
    f.write_text("[/notes],Name\x07,Other\n1,2,3\n")
    r = CliRunner().invoke(app, ["ingest", str(f), "--store", str(tmp_path / "s"), "--no-gx"])
    assert r.exit_code == 2
    assert "header row: [/notes], Name\\x07, Other" in r.stderr


def test_tables_never_print_nan_or_none(monkeypatch, tmp_path):
    import driftflag.tracking
    from driftflag import cli

    monkeypatch.setattr(cli.out, "width", 200)
    versions = pd.DataFrame({"version": ["1", "2"], "aliases": [None, "[champion]"],
                             "auc": [0.71234, float("nan")], "created": [pd.NaT, pd.Timestamp("2025-11-01")]})
    monkeypatch.setattr(driftflag.tracking, "list_versions", lambda ws, target: versions)
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "mlflow.db").touch()  # a workspace (a missing one is refused in one line)
    r = CliRunner().invoke(cli.app, ["models", "list", "--workspace", str(tmp_path / "ws")])
    assert r.exit_code == 0, r.output
    words = r.stdout.replace("│", " ").split()
    assert "0.712" in words and "[champion]" in words
    assert not {"nan", "None", "NaT", "<NA>"} & set(words)


def test_text_table_has_no_missing_markers_and_one_line_cells():
    from driftflag._text import text_table

    df = pd.DataFrame({"part": ["Random", None, "two\nlines"], "rate": [0.5, float("nan"), 0.25],
                       "n": pd.array([1, None, 3], dtype="Int64"), "when": [pd.NaT, pd.Timestamp("2025-11-01"), pd.NaT]})
    text = text_table(df)
    assert len(text.splitlines()) == 4
    assert not {"nan", "NaN", "None", "NaT", "<NA>"} & set(text.split())
    assert "two\\nlines" in text and "0.50" in text


def test_log_lines_are_one_line():
    import logging

    from driftflag.cli import _OneLineFormatter

    rec = logging.LogRecord("driftflag.ingest", logging.WARNING, __file__, 1,
                            "%s is not UTF-8", ("returns/a\nFAKE forged line.csv",), None)
    line = _OneLineFormatter("%(levelname)s %(name)s: %(message)s").format(rec)
    assert line == "WARNING driftflag.ingest: returns/a\\nFAKE forged line.csv is not UTF-8"
