"""`driftflag synth` end to end: calibration from the written returns, determinism, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from driftflag.calibration import calibration_report
from driftflag.cli import app
from driftflag.synth import SynthConfig
from driftflag.synth.run import run_synth

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_la(synthetic_la_dir):
    """The demo LA of `make demo`: 30,000 children, 8 years, seed 1 (written by ``run_synth``),
    with the last Annex A extract only. ``annex_a_months`` chooses which month ends get an
    Annex A file and nothing else: the 903, CIN census, audits, canonical store and truth are
    byte for byte the demo's (only the manifests' config differs), and the calibration reads no
    Annex A. The demo's 47 earlier extracts took most of this fixture's time."""
    return synthetic_la_dir(children=30000, years=8, seed=1, annex_a_months=1)


@pytest.mark.slow
def test_demo_la_is_calibrated_to_england(demo_la):
    report = calibration_report(demo_la)
    bad = [(i.key, i.value, i.low, i.high) for i in report.items if not i.within]
    assert not bad, f"out of tolerance: {bad}"
    assert len(report.items) >= 15


@pytest.mark.slow
def test_calibration_command_exit_code(demo_la):
    res = runner.invoke(app, ["calibration", str(demo_la)])
    assert res.exit_code == 0, res.output
    assert "within tolerance" in res.output


@pytest.mark.slow
def test_layout_and_manifest(demo_la):
    for sub in ("ssda903/2025-26/episodes.csv", "ssda903/2018-19/header.csv",
                "cin_census/cin_census_2025-26.xml", "annex_a/annex_a_2026-03-31.xlsx",
                "audits/qa_audit_log.xlsx", "canonical/manifest.json",
                "truth/drift_monthly.parquet", "truth/mechanisms.json"):
        assert (demo_la / sub).is_file(), sub
    man = json.loads((demo_la / "synth_manifest.json").read_text())
    assert man["config"]["seed"] == 1
    assert man["files"]["canonical/manifest.json"]
    # the truth never leaks into the returns: no latent column names in any return file
    for path in (demo_la / "ssda903").rglob("*.csv"):
        assert "stuckness" not in path.read_text()


@pytest.mark.slow
def test_same_arguments_give_byte_identical_files(tmp_path):
    # determinism needs no size: a small LA and three monthly Annex A extracts (still a series:
    # a workbook and CSV exports) with every kind of injected fault (asserted)
    from driftflag.synth.messy import FAULTS

    cfg = SynthConfig(children=150, years=2, seed=7, messy=0.02, annex_a_months=3)
    run_synth(cfg, tmp_path / "a")
    run_synth(cfg, tmp_path / "b")
    ledger = (tmp_path / "a" / "truth" / "messy_faults.csv").read_text()
    assert all(f",{fault}\n" in ledger for fault in FAULTS)
    assert {p.suffix for p in (tmp_path / "a" / "annex_a").iterdir()} == {".csv", ".xlsx"}
    a = json.loads((tmp_path / "a" / "synth_manifest.json").read_text())["files"]
    b = json.loads((tmp_path / "b" / "synth_manifest.json").read_text())["files"]
    assert a == b
    assert (tmp_path / "a" / "synth_manifest.json").read_bytes() == (
        tmp_path / "b" / "synth_manifest.json").read_bytes()


def test_annex_a_months_changes_only_the_annex_a_files(tmp_path):
    """Why the calibration tests above may read the demo LA with one Annex A extract: the number
    of extracts changes which Annex A files are written and the manifests' config, nothing else."""
    base = {"children": 150, "years": 2, "seed": 1}
    run_synth(SynthConfig(**base, annex_a_months=3), tmp_path / "all")
    run_synth(SynthConfig(**base, annex_a_months=1), tmp_path / "one")
    ignore = {"synth_manifest.json", "canonical/manifest.json"}

    def files(root):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and not p.relative_to(root).as_posix().startswith("annex_a/")
                and p.relative_to(root).as_posix() not in ignore}

    every, one = files(tmp_path / "all"), files(tmp_path / "one")
    assert len(every) > 10 and every.keys() == one.keys()
    assert [name for name in every if every[name] != one[name]] == []
    assert sorted(p.name for p in (tmp_path / "one" / "annex_a").iterdir()) == [
        "annex_a_2026-03-31.xlsx"]
    last = (tmp_path / "all" / "annex_a" / "annex_a_2026-03-31.xlsx").read_bytes()
    assert (tmp_path / "one" / "annex_a" / "annex_a_2026-03-31.xlsx").read_bytes() == last


def test_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "la"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    res = runner.invoke(app, ["synth", "--out", str(out), "--children", "200", "--years", "2"])
    assert res.exit_code == 2
    assert "pass --force" in res.output
    assert (out / "keep.txt").read_text() == "x"


@pytest.mark.parametrize("args, message", [
    (["--bias", "label:Purple:0.5"], "bias: --bias group 'Purple' is not one of"),
    (["--bias", "nonsense"], "is not KIND:GROUP:STRENGTH"),
    (["--end", "2026-02-28"], "must be a 31 March"),
])
def test_bad_arguments_give_one_line_errors(tmp_path, args, message):
    res = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), "--children", "200", *args])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "x").exists()
