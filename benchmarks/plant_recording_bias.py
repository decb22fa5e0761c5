"""Plant a recording bias in a synthetic LA's written Annex A extracts, independently of the
simulator's ``--bias`` option (which works inside the simulator).

    python benchmarks/plant_recording_bias.py LA_FOLDER [--group Black] [--share 0.5] [--seed 0]

The group's protective work is under-recorded: for each child of the group, a share ``share`` of
the visits the extracts show ("Date Child Was Last Seen", "Date of the Last Statutory Visit",
"Date of Last Social Work Visit") were never written up, and a share ``share`` of the return
home interviews offered after missing episodes are recorded as not offered. An unrecorded visit
disappears from every monthly extract: where it was the latest, the extract shows the child's
latest recorded visit before it (or nothing). The practice did not change, so the truth tables
are untouched; the records (and every indicator and outcome built on them: visits out of time,
repeat missing without a return home interview) look worse for the group.

Each decision is a function of (seed, child, visit date) or (seed, child, missing count, care
start), so the same visit is dropped from every extract that shows it. Prints how many visit
dates and interviews were changed for how many children.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
from datetime import date, datetime
from pathlib import Path

GROUP_CODES = {"Black": ("BAFR", "BCRB", "BOTH"), "Asian": ("AIND", "APKN", "ABAN", "AOTH"),
               "Mixed": ("MWBC", "MWBA", "MWAS", "MOTH"), "White": ("WBRI", "WIRI", "WOTH",
                                                                    "WIRT", "WROM")}
VISIT_COLUMNS = ("Date Child Was Last Seen", "Date of the Last Statutory Visit",
                 "Date of Last Social Work Visit")
RHI_OFFERED = "Was the child offered a Return Interview after their last missing episode (Y/N)?"
RHI_ACCEPTED = "Did the child accept a Return Interview after their last missing episode (Y/N)?"
MISSING_COUNT = ("Number of Episodes the Child has been 'Missing' from their Placement in the "
                 "last 12 months")
CARE_START = "Date Started to be Looked After"
_NAME = re.compile(r"annex_a_(\d{4}-\d{2}-\d{2})(?:_list_\d+)?\.(csv|xlsx)$")


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.strptime(value.strip(), "%d/%m/%Y").date()
        except ValueError:
            return None
    return None


class _Planter:
    """The decisions and the running record of each child's recorded visits."""

    def __init__(self, group: str, share: float, seed: int) -> None:
        self.codes, self.share, self.seed = GROUP_CODES[group], share, seed
        self.kept: dict[str, set[date]] = {}
        self.dropped: set[tuple[str, date]] = set()
        self.rhi = 0
        self.children: set[str] = set()

    def _hit(self, *key) -> bool:
        return random.Random("|".join(map(str, (self.seed, *key)))).random() < self.share

    def in_group(self, ethnicity) -> bool:
        return isinstance(ethnicity, str) and ethnicity.split(")")[-1].strip() in self.codes

    def visit(self, child: str, value):
        """The visit date this extract shows once unrecorded visits are taken out (same type
        as ``value``: text for CSV, datetime for the workbook; None for no date)."""
        d = _as_date(value)
        if d is None:
            return value
        if not self._hit("visit", child, d):
            self.kept.setdefault(child, set()).add(d)
            return value
        self.dropped.add((child, d))
        self.children.add(child)
        before = [k for k in self.kept.get(child, ()) if k < d]
        if not before:
            return "" if isinstance(value, str) else None
        prev = max(before)
        return prev.strftime("%d/%m/%Y") if isinstance(value, str) else datetime(
            prev.year, prev.month, prev.day)

    def row(self, row: dict) -> dict:
        if not self.in_group(row.get("Ethnicity")):
            return row
        child = str(row.get("Child Unique ID"))
        for col in VISIT_COLUMNS:
            if col in row:
                row[col] = self.visit(child, row[col])
        offered = row.get(RHI_OFFERED)
        if isinstance(offered, str) and offered.startswith("a)") and self._hit(
                "rhi", child, row.get(MISSING_COUNT), _as_date(row.get(CARE_START))):
            row[RHI_OFFERED] = "b) No"
            if RHI_ACCEPTED in row:
                row[RHI_ACCEPTED] = "b) No"
            self.rhi += 1
            self.children.add(child)
        return row


def _csv(path: Path, planter: _Planter) -> None:
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for row in reader:
        w.writerow(planter.row(row))
    path.write_text(out.getvalue(), encoding="utf-8")


def _xlsx(path: Path, planter: _Planter) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        header = [c.value for c in ws[1]]
        for cells in ws.iter_rows(min_row=2):
            row = dict(zip(header, (c.value for c in cells), strict=False))
            new = planter.row(dict(row))
            for c, name in zip(cells, header, strict=False):
                if new.get(name) != row.get(name):
                    c.value = new[name]
    wb.save(path)


def plant(folder: Path, group: str, share: float, seed: int) -> tuple[int, int, int]:
    """Rewrite every Annex A extract, oldest first; returns (visit dates unrecorded, interviews
    recorded as not offered, children)."""
    files = []
    for p in (folder / "annex_a").iterdir():
        m = _NAME.search(p.name)
        if m:
            files.append((m.group(1), p.suffix != ".xlsx", p.name, p))
    planter = _Planter(group, share, seed)
    for _, _, _, p in sorted(files):
        (_csv if p.suffix == ".csv" else _xlsx)(p, planter)
    return len(planter.dropped), planter.rhi, len(planter.children)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("la", type=Path)
    ap.add_argument("--group", default="Black", choices=sorted(GROUP_CODES))
    ap.add_argument("--share", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    visits, rhi, children = plant(a.la, a.group, a.share, a.seed)
    print(f"unrecorded {visits} visits and {rhi} return home interviews for {children} "
          f"{a.group} children")


if __name__ == "__main__":
    main()
