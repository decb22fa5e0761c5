"""Which of a synthetic LA's returns an ingest test reads.

``driftflag synth`` writes one Annex A extract per month end (``annex_a_months``, twelve for the
ingest tests): the last as a workbook, the earlier ones as CSV exports of each list. Each extract
is one more unit to read, stage and check (about half a CPU second each on these small LAs), but
the eleventh CSV export is read like the first, and the messy LA's Annex A faults are all in the
workbook (``truth/messy_faults.csv``). A test that judges how each kind of file is read, or the
injected faults, reads :func:`every_kind_of_return` instead of the whole folder.
"""

from __future__ import annotations

from pathlib import Path

FORMATS = ("ssda903", "cin_census", "annex_a", "audits")


def last_two_extracts(la: Path) -> list[Path]:
    """The files of an LA's last two Annex A extracts: the workbook of the last month end and
    the CSV exports of each list of the month before."""
    annex = sorted((la / "annex_a").iterdir())
    months = sorted({p.name[8:18] for p in annex})
    kept = [p for p in annex if p.name[8:18] in months[-2:]]
    assert {p.suffix for p in kept} == {".csv", ".xlsx"}
    return kept


def every_kind_of_return(la: Path) -> list[Path]:
    """Every 903 and CIN census return, the last two Annex A extracts (:func:`last_two_extracts`)
    and the audit log: every kind of file (so every kind of unit the ingest reads) and, in the
    messy LA, every file with an injected fault (:func:`assert_every_faulty_file_is_read`)."""
    return [la / "ssda903", la / "cin_census", *last_two_extracts(la), la / "audits"]


def assert_every_faulty_file_is_read(la: Path, paths: list[Path]) -> None:
    """Each format is among ``paths`` and each file the messy LA's ledger names is in one of them."""
    import pandas as pd

    assert {p.relative_to(la).parts[0] for p in paths} == set(FORMATS)
    faulty = set(pd.read_csv(la / "truth" / "messy_faults.csv", dtype=str)["file"])
    assert faulty and all(any((la / f).is_relative_to(p) for p in paths) for f in faulty), faulty
