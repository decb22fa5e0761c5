"""Which of a synthetic LA's Annex A extracts an ingest test reads.

``driftflag synth`` writes one Annex A extract per month end (``annex_a_months``, twelve for the
clean LA): the last as a workbook, the earlier ones as CSV exports of each list. Each extract is
one more unit to read, stage and check (about half a CPU second each on these small LAs), and
the eleventh CSV export is read like the first: a test that judges how each kind of Annex A
file is read takes :func:`last_two_extracts`.
"""

from __future__ import annotations

from pathlib import Path


def last_two_extracts(la: Path) -> list[Path]:
    """The files of an LA's last two Annex A extracts: the workbook of the last month end and
    the CSV exports of each list of the month before."""
    annex = sorted((la / "annex_a").iterdir())
    months = sorted({p.name[8:18] for p in annex})
    kept = [p for p in annex if p.name[8:18] in months[-2:]]
    assert {p.suffix for p in kept} == {".csv", ".xlsx"}
    return kept
