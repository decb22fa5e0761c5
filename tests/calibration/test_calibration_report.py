"""Calibration report object, year choice, errors, rendering and the CLI wiring."""

from __future__ import annotations

import json
import shutil

import pytest
from rich.console import Console
from tiny_la import Episode, Plan, Referral
from typer.testing import CliRunner

from driftflag.calibration import TARGETS, CalibrationItem, calibration_report, render_report
from driftflag.cli import app
from driftflag.errors import CalibrationError


def _small_la(tiny_la, years=(2025, 2026)):
    la = tiny_la(years=years)
    la.ethnic = {"a": "WBRI", "b": "BAFR"}
    la.episodes = [
        Episode("a", "2024-06-01", "S", dec="2025-05-01", rec="X1"), Episode("a", "2025-05-01", "P"),
        Episode("b", "2024-09-01", "S", dec="2025-08-01", rec="E11"),
    ]
    la.referrals = [Referral("a", "2024-05-01", plans=[Plan("2024-06-01", "2025-06-01")])]
    return la.write()


def test_report_defaults_to_latest_year_and_lists_every_target(tiny_la):
    report = calibration_report(_small_la(tiny_la))
    assert report.year == 2026 and report.year_label == "2025-26"
    assert [i.key for i in report.items] == list(TARGETS)
    assert report.years_903 == (2025, 2026) and report.years_cin == (2025, 2026)
    assert not report.all_within_tolerance


def test_earlier_year_uses_resubmitted_episodes_correctly(tiny_la):
    report = calibration_report(_small_la(tiny_la), year=2025)
    # at 31 March 2025 both a and b were looked after (their 2025 rows were replaced by the
    # 2026 resubmissions, which carry DEC dates after 31 March 2025)
    white = report["cla_ethnicity_white"]
    assert (white.numerator, white.denominator) == (1, 2)
    assert report["cla_ethnicity_black"].value == pytest.approx(50.0)


def test_year_not_present(tiny_la):
    la_dir = _small_la(tiny_la)
    with pytest.raises(CalibrationError, match=r"collection year 2024 \(2023-24\) needs both returns"):
        calibration_report(la_dir, year=2024)


def test_missing_return_folder(tiny_la):
    la_dir = _small_la(tiny_la)
    shutil.rmtree(la_dir / "cin_census")
    with pytest.raises(CalibrationError, match="no CIN census found"):
        calibration_report(la_dir)
    with pytest.raises(CalibrationError, match="LA folder not found"):
        calibration_report(la_dir / "nope")


def test_no_common_year(tiny_la):
    la_dir = _small_la(tiny_la)
    (la_dir / "cin_census" / "cin_census_2025-26.xml").unlink()
    (la_dir / "cin_census" / "cin_census_2024-25.xml").rename(la_dir / "cin_census" / "cin_census_2019-20.xml")
    with pytest.raises(CalibrationError, match="no collection year has both"):
        calibration_report(la_dir)


@pytest.mark.parametrize(
    ("value", "within"), [(19.6, True), (25.6, True), (19.59, False), (25.61, False), (None, False)]
)
def test_item_within_is_inclusive(value, within):
    item = CalibrationItem("k", "label", value, 22.6, 19.6, 25.6, "%", 1, 2, "src")
    assert item.within is within


def test_to_dict_is_json_and_to_frame_has_one_row_per_item(tiny_la):
    report = calibration_report(_small_la(tiny_la))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["collection_year"] == 2026
    assert data["n_out_of_tolerance"] == len(report.out_of_tolerance)
    frame = report.to_frame()
    assert len(frame) == len(TARGETS) and frame["within"].dtype == bool


def test_render_report_title_marks_and_footer(tiny_la):
    report = calibration_report(_small_la(tiny_la))
    table = render_report(report)
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    assert "Calibration of la against England, collection year 2025-26" in text
    assert "✗" in text
    assert f"{len(report.out_of_tolerance)} of {len(TARGETS)} figures out of tolerance" in text


def test_cli_exits_1_when_out_of_tolerance_and_2_on_error(tiny_la, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["calibration", str(_small_la(tiny_la))])
    assert result.exit_code == 1, result.output
    assert "Re-referrals" in result.output and "out of tolerance" in result.output
    result = runner.invoke(app, ["calibration", str(tmp_path / "missing")])
    assert result.exit_code == 2


def test_empty_returns_give_no_values_not_errors(tiny_la):
    la_dir = tiny_la().write()  # header-only CSVs and censuses without children
    report = calibration_report(la_dir)
    assert all(i.value is None and i.note for i in report.items if i.key != "cla_ethnicity_other")
    assert report["cla_ethnicity_other"].denominator == 0
    assert len(report.out_of_tolerance) == len(TARGETS)
