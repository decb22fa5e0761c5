"""Builders for tiny LA folders written in the real return layouts (903 CSV, CIN census XML).

Tests describe a child's whole history once; :class:`TinyLA` splits it into yearly returns the
way the writers do: a record appears in every year it overlaps, and dates after a year's
31 March are blanked (an episode open at 31 March has blank DEC and REC; a CP plan open at the
reference date has no end date).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


def d(text: str) -> date:
    return date.fromisoformat(text)


def year_start(y: int) -> date:
    return date(y - 1, 4, 1)


def year_end(y: int) -> date:
    return date(y, 3, 31)


def label(y: int) -> str:
    return f"{y - 1}-{y % 100:02d}"


def ddmmyyyy(x: date | None) -> str:
    return "" if x is None else x.strftime("%d/%m/%Y")


@dataclass
class Episode:
    child: str
    decom: str
    rne: str
    ls: str = "C2"
    place: str = "U1"
    dec: str | None = None
    rec: str | None = None


@dataclass
class Plan:
    start: str
    end: str | None = None
    category: str = "NEG"


@dataclass
class Referral:
    child: str
    date: str
    closed: str | None = None
    plans: list[Plan] = field(default_factory=list)


@dataclass
class TinyLA:
    root: Path
    years: tuple[int, ...]
    ethnic: dict[str, str] = field(default_factory=dict)
    episodes: list[Episode] = field(default_factory=list)
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # child, M/A, start
    referrals: list[Referral] = field(default_factory=list)

    def write(self) -> Path:
        for y in self.years:
            self._write_903(y)
            self._write_cin(y)
        return self.root

    def _write_903(self, y: int) -> None:
        folder = self.root / "ssda903" / label(y)
        folder.mkdir(parents=True, exist_ok=True)
        lo, hi = year_start(y), year_end(y)
        eps = []
        for e in self.episodes:
            decom, dec = d(e.decom), d(e.dec) if e.dec else None
            if decom > hi or (dec is not None and dec < lo):
                continue
            if dec is not None and dec > hi:
                dec, rec = None, None
            else:
                rec = e.rec
            eps.append(
                [e.child, ddmmyyyy(decom), e.rne, e.ls, "N1", e.place, "PR1", ddmmyyyy(dec),
                 rec or "", "", "", "", ""]
            )
        children = sorted({r[0] for r in eps})
        self._csv(folder / "episodes.csv",
                  ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"], eps)
        self._csv(folder / "header.csv", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
                  [[c, "M", "01/01/2012", self.ethnic.get(c, "WBRI"), "", "", ""] for c in children])
        mis = [[c, "01/01/2012", kind, ddmmyyyy(d(s)), ""]
               for c, kind, s in self.missing if lo <= d(s) <= hi]
        self._csv(folder / "missing.csv", ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"], mis)

    @staticmethod
    def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    def _write_cin(self, y: int) -> None:
        folder = self.root / "cin_census"
        folder.mkdir(parents=True, exist_ok=True)
        lo, hi = year_start(y), year_end(y)
        by_child: dict[str, list[str]] = {}
        for r in self.referrals:
            ref, closed = d(r.date), d(r.closed) if r.closed else None
            if ref > hi or (closed is not None and closed < lo):
                continue
            parts = [f"<CINreferralDate>{ref}</CINreferralDate><ReferralSource>1A</ReferralSource>"]
            if closed is not None and closed <= hi:
                parts.append(f"<CINclosureDate>{closed}</CINclosureDate>")
            for p in r.plans:
                start, end = d(p.start), d(p.end) if p.end else None
                if start > hi or (end is not None and end < lo):
                    continue
                end_xml = f"<CPPendDate>{end}</CPPendDate>" if end is not None and end <= hi else ""
                parts.append(
                    f"<ChildProtectionPlans><CPPstartDate>{start}</CPPstartDate>{end_xml}"
                    f"<InitialCategoryOfAbuse>{p.category}</InitialCategoryOfAbuse>"
                    f"</ChildProtectionPlans>"
                )
            by_child.setdefault(r.child, []).append("<CINdetails>" + "".join(parts) + "</CINdetails>")
        kids = "".join(
            f"<Child><ChildIdentifiers><LAchildID>{c}</LAchildID><Sex>M</Sex></ChildIdentifiers>"
            f"<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>"
            + "".join(cins) + "</Child>"
            for c, cins in by_child.items()
        )
        xml = (
            "<Message><Header><CollectionDetails><Collection>CIN</Collection>"
            f"<Year>{y}</Year><ReferenceDate>{hi}</ReferenceDate></CollectionDetails></Header>"
            f"<Children>{kids}</Children></Message>"
        )
        (folder / f"cin_census_{label(y)}.xml").write_text(xml)
