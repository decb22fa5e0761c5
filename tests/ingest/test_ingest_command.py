"""``driftflag ingest`` wiring: summary printed, exit 2 with one line for an unreadable file."""

from __future__ import annotations

import typer
from typer.testing import CliRunner


def _app() -> typer.Typer:
    from driftflag.cli import app

    return app


def test_ingest_prints_summary(clean_la, tmp_path):
    r = CliRunner().invoke(_app(), ["ingest", str(clean_la / "audits"), "--store", str(tmp_path / "s"),
                                    "--extract-date", "2026-03-31", "--no-gx"])
    assert r.exit_code == 0, r.output
    assert "rows read" in r.output and (tmp_path / "s" / "manifest.json").is_file()


def test_unreadable_file_exits_non_zero_with_one_line(tmp_path):
    bad = tmp_path / "list.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    r = CliRunner().invoke(_app(), ["ingest", str(bad), "--store", str(tmp_path / "s"), "--no-gx",
                                    "--extract-date", "2026-03-31"])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert lines == [f"driftflag: error: {bad}: not a readable xlsx workbook (truncated or damaged: BadZipFile)"]
    assert not (tmp_path / "s").exists()


def test_bad_extract_date(tmp_path):
    r = CliRunner().invoke(_app(), ["ingest", str(tmp_path), "--store", str(tmp_path / "s"),
                                    "--extract-date", "31/03/2026"])
    assert r.exit_code == 2 and "is not a date" in r.output
