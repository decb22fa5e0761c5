"""Messy-fault injection: realistic data-quality faults in the return files, with a ledger.

``driftflag synth --messy RATE`` passes a :class:`MessyInjector` to every writer in
:mod:`driftflag.synth.writers`. The writers build their return-format frames, give them to the
injector (one method per frame type) and serialise what it returns, so every fault is in the
written file exactly as the ledger says.

Each data row (each CSV row, each Annex A / audit log row, each XML record: Child, CINdetails,
Assessments, ...) gets a fault with probability ``rate``; the fault is drawn uniformly from the
kinds that apply to that row, and a row gets at most one fault. Each file (each Annex A sheet)
also gets a header variant with probability ``rate``.

Fault kinds (``fault`` column of the ledger):

===================  ======================================================================
``unparseable_date``  ``31/02/2024``, ``2024-13-01``, ``n/a`` (``2024-02-31`` in the XML)
``swapped_dates``     start and end dates of one record exchanged (end before start)
``unknown_code``      a code outside the list: ``PLACE=ZZ``, ``LS=C9``, ethnicity ``XXXX``...
``duplicate_row``     an exact copy of a row inserted right after it (a whole CINdetails
                      block, with everything nested in it, in the XML)
``blank_id``          the child identifier blanked
``whitespace``        stray spaces and/or lower case on a code or label (`` wbri ``)
``header_variant``    903 headers in lower case; Annex A ``Age`` for ``Age of Child (Years)``
                      or other case/spacing variants
``label_variant``     Annex A ``WBRI`` / ``White British`` for ``a) WBRI``, ``Yes`` for
                      ``a) Yes``, ``Female`` for ``b) Female``
===================  ======================================================================

``whitespace``, ``header_variant`` and ``label_variant`` are *tolerable* (:data:`TOLERABLE`): a
reader should accept the value. The others are errors a reader must quarantine or warn about.

The ledger (:meth:`MessyInjector.ledger`) has one row per fault with columns :data:`LEDGER_COLUMNS`:

* ``file``: path relative to the LA folder (``ssda903/2025-26/episodes.csv``);
* ``table``: 903 table name, Annex A sheet name (``List 7``), ``Audits``, or the XML record
  (``Child``, ``CINdetails``, ``ChildProtectionPlans``, ``CPPreviewDate``...);
* ``row``: for CSV and xlsx the 1-based data row in the written file (row 1 is the first row
  after the header; 0 is the header row itself), counted after duplicates are inserted; for the
  XML the XPath of the element (``/Message/Children/Child[12]/CINdetails[2]/ChildProtectionPlans[1]/CPPstartDate``);
* ``column``: the return's canonical column / element name (even when that column's header was
  varied too); blank for ``duplicate_row`` (the whole row);
* ``original_value`` / ``injected_value``: the text before and after (Excel dates as
  ``dd/mm/yyyy``). A ``swapped_dates`` fault is recorded once, on the start column; the paired
  end column holds the original start date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from driftflag.casemodel import codes
from driftflag.synth.writers import annex_a as _annex
from driftflag.synth.writers import audit_log as _audit
from driftflag.synth.writers._common import serial_to_dmy
from driftflag.synth.writers._xlsx import XlsxSheet
from driftflag.synth.writers.cin_census import TABLE_POS, CinCensus, xml_path

FAULTS: tuple[str, ...] = (
    "unparseable_date", "swapped_dates", "unknown_code", "duplicate_row", "blank_id",
    "whitespace", "header_variant", "label_variant",
)
TOLERABLE: frozenset[str] = frozenset({"whitespace", "header_variant", "label_variant"})
LEDGER_COLUMNS: tuple[str, ...] = (
    "file", "table", "row", "column", "original_value", "injected_value", "fault",
)

_LABEL = re.compile(r"^[a-z]{1,2}\d?\) \S")


@dataclass(frozen=True)
class TableSpec:
    """Where faults can go in one table: its id, date, code and label columns."""

    id_column: str | None = None
    date_columns: tuple[str, ...] = ()
    date_pairs: tuple[tuple[str, str], ...] = ()
    unknown_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    whitespace_columns: tuple[str, ...] = ()
    label_cells: bool = False  # Annex A: any "x) label" cell can take a label/whitespace variant
    duplicates: bool = True
    date_style: str = "dmy"  # dmy (903 text), iso (CIN xs:date) or excel (serial numbers)


SPEC_903: dict[str, TableSpec] = {
    "header": TableSpec(
        "CHILD", ("DOB",), (), {"ETHNIC": ("XXXX",), "SEX": ("X", "9")}, ("ETHNIC", "SEX")),
    "episodes": TableSpec(
        "CHILD", ("DECOM", "DEC"), (("DECOM", "DEC"),),
        {"PLACE": ("ZZ",), "LS": ("C9",), "RNE": ("Q",), "CIN": ("N99",)},
        ("PLACE", "LS", "RNE", "CIN")),
    "uasc": TableSpec("CHILD", ("DOB", "DUC")),
    "missing": TableSpec(
        "CHILD", ("DOB", "MIS_START", "MIS_END"), (("MIS_START", "MIS_END"),),
        {"MISSING": ("X",)}, ("MISSING",)),
    "reviews": TableSpec(
        "CHILD", ("DOB", "REVIEW"), (), {"REVIEW_CODE": ("PN9",)}, ("REVIEW_CODE",)),
}

SPEC_CIN: dict[str, TableSpec] = {
    "Child": TableSpec(
        "LAchildID", ("PersonBirthDate",), (), {"Ethnicity": ("XXXX",)}, ("Ethnicity",),
        duplicates=False, date_style="iso"),
    "CINdetails": TableSpec(
        None, ("CINreferralDate", "CINclosureDate", "DateOfInitialCPC"),
        (("CINreferralDate", "CINclosureDate"),),
        {"ReferralSource": ("99",), "PrimaryNeedCode": ("N99",)},
        ("ReferralSource", "PrimaryNeedCode"), date_style="iso"),
    "Assessments": TableSpec(
        None, ("AssessmentActualStartDate", "AssessmentAuthorisationDate"),
        (("AssessmentActualStartDate", "AssessmentAuthorisationDate"),),
        duplicates=False, date_style="iso"),
    "CINPlanDates": TableSpec(
        None, ("CINPlanStartDate", "CINPlanEndDate"), (("CINPlanStartDate", "CINPlanEndDate"),),
        duplicates=False, date_style="iso"),
    "Section47": TableSpec(
        None, ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC"),
        (("S47ActualStartDate", "DateOfInitialCPC"),), duplicates=False, date_style="iso"),
    "ChildProtectionPlans": TableSpec(
        None, ("CPPstartDate", "CPPendDate"), (("CPPstartDate", "CPPendDate"),),
        {"InitialCategoryOfAbuse": ("XXX",), "LatestCategoryOfAbuse": ("XXX",)},
        ("InitialCategoryOfAbuse", "LatestCategoryOfAbuse"), duplicates=False, date_style="iso"),
    "CPPreviewDate": TableSpec(None, ("CPPreviewDate",), duplicates=False, date_style="iso"),
    "PreProceedingsandFGDM": TableSpec(
        None, ("PPStartDate", "LBPSentDate", "InitialPPMeetingDate", "StepDecisionDate",
               "CourtAppDate"),
        (("PPStartDate", "StepDecisionDate"),), {"PPOutcome": ("Z",)}, ("PPOutcome",),
        duplicates=False, date_style="iso"),
}

_ANNEX_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "List 4": (("Continuous Assessment Start Date", "Continuous Assessment Date of Authorisation"),),
    "List 5": (("Strategy discussion initiating Section 47 Enquiry Start Date",
                "Date of Initial Child Protection Conference"),),
    "List 6": (("CIN Start Date", "CIN Closure Date"),),
    "List 7": (("Child Protection Plan Start Date", "Child Protection Plan End Date"),),
    "List 8": (("Date Started to be Looked After", "Date Ceased to be Looked After"),),
}
_ANNEX_UNKNOWN: dict[str, tuple[str, ...]] = {
    "Ethnicity": ("XXXX",),
    "Initial Category of Abuse": ("XXX",),
    "Child's Legal Status": ("C9: Unknown order",),
    "Placement Type": ("ZZ: Unknown placement",),
}


def annex_spec(sheet: str) -> TableSpec:
    cols = _annex.COLUMNS[sheet]
    return TableSpec(
        "Child Unique ID", _annex.DATE_COLUMNS[sheet], _ANNEX_PAIRS.get(sheet, ()),
        {c: v for c, v in _ANNEX_UNKNOWN.items() if c in cols}, label_cells=True,
        date_style="excel")


SPEC_AUDIT = TableSpec(
    "Child Unique ID", _audit.DATE_COLUMNS, (), {"Grade": ("Excellent",)}, ("Grade", "Service"),
    date_style="excel")


# --- value helpers -----------------------------------------------------------------------------

def _is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v == ""


def _text(v, style: str) -> str:
    """A cell value as the ledger shows it."""
    if _is_blank(v):
        return ""
    if style == "excel" and not isinstance(v, str):
        return serial_to_dmy(float(v))
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _year_of(text: str) -> str:
    m = re.search(r"(\d{4})", text)
    return m.group(1) if m else "2024"


def _date_key(v, style: str):
    """Sortable key of a clean date value, or None (blank, text in an Excel cell, unparseable)."""
    if _is_blank(v):
        return None
    if style == "excel":
        return None if isinstance(v, str) else float(v)
    m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", v) if style == "dmy" else \
        re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", v)
    if m is None:
        return None
    return (m.group(3), m.group(2), m.group(1)) if style == "dmy" else m.groups()


def _before(start, end, style: str) -> bool:
    """Both dates clean and start strictly before end (so swapping puts end before start)."""
    a, b = _date_key(start, style), _date_key(end, style)
    return a is not None and b is not None and a < b


def _label_variants(column: str, value: str) -> list[str]:
    if not _LABEL.match(value):
        return []
    rest = value.split(") ", 1)[1]
    out = [rest]
    if column == "Ethnicity" and rest in codes.ETHNICITY_LABELS:
        out.append(codes.ETHNICITY_LABELS[rest])
    if rest in ("Yes", "No"):
        out.append(rest[0])
    return [v for v in out if v != value]


def _whitespace_variants(value: str) -> list[str]:
    out = [f" {value.lower()} ", f"{value} ", f" {value}", value.lower(), f"  {value}"]
    return list(dict.fromkeys(v for v in out if v != value))


def _header_variants(name: str) -> list[str]:
    out = [name.lower(), name.upper(), f"{name} ", name.replace(" ", "  ", 1), name.title()]
    if name == "Age of Child (Years)":
        out = ["Age", "Age of child (years)", *out]
    return list(dict.fromkeys(v for v in out if v != name))


# --- the injector ---------------------------------------------------------------------------------

class MessyInjector:
    """Inject faults into return-format frames and keep a ledger of every one.

    Parameters
    ----------
    rate:
        Probability that a data row gets a fault (and that a file gets a header variant).
        ``0`` leaves every frame untouched and draws nothing from ``rng``.
    rng:
        A seeded :class:`numpy.random.Generator`; the same seed and inputs give the same faults.
    """

    def __init__(self, rate: float, rng: np.random.Generator):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate!r}")
        self.rate = float(rate)
        self.rng = rng
        self._rows: list[dict] = []

    # -- public API, one method per frame type ---------------------------------------------------

    def ssda903(self, tables: dict[str, pd.DataFrame], *, folder: str) -> dict[str, pd.DataFrame]:
        """Faults for one year's 903 tables; ``folder`` is e.g. ``ssda903/2025-26``."""
        if self.rate == 0:
            return tables
        out = {}
        for name, df in tables.items():
            if name not in SPEC_903:  # tables added later (sw_episodes, oc3) are written clean
                out[name] = df
                continue
            file = f"{folder}/{name}.csv"
            cols = {c: df[c].to_numpy(dtype=object).copy() for c in df.columns}
            new_cols, header = self._rows_faults(cols, SPEC_903[name], file, name, list(df.columns))
            if self.rng.random() < self.rate:
                header = [c.lower() for c in df.columns]
                for c, h in zip(df.columns, header, strict=True):
                    if h != c:
                        self._log(file, name, 0, c, c, h, "header_variant")
            frame = pd.DataFrame(new_cols, columns=list(df.columns), dtype=object)
            frame.columns = header
            out[name] = frame
        return out

    def annex_a(self, sheets: list[XlsxSheet], *, file: str) -> list[XlsxSheet]:
        """Faults for the Annex A workbook (one :class:`XlsxSheet` per list)."""
        if self.rate == 0:
            return sheets
        return [self._sheet_faults(s, annex_spec(s.name), file) for s in sheets]

    def audit_log(self, sheet: XlsxSheet, *, file: str) -> XlsxSheet:
        """Faults for the QA audit log sheet."""
        if self.rate == 0:
            return sheet
        return self._sheet_faults(sheet, SPEC_AUDIT, file)

    def cin_census(self, doc: CinCensus, *, file: str) -> CinCensus:
        """Faults for one CIN census file (see :class:`CinCensus`)."""
        if self.rate == 0:
            return doc
        tables = {k: v.reset_index(drop=True).copy() for k, v in doc.tables.items()}
        for df in tables.values():
            df["_rid"] = np.arange(len(df))
            df["_frozen"] = False
        pending: list[tuple[str, int, str, str, str, str]] = []

        def cell_faults(name: str, eligible: np.ndarray | None) -> list[int]:
            """Row faults on one record table; returns the rows chosen for duplication."""
            df = tables[name]
            cols = {c: df[c].to_numpy(dtype=object).copy() for c in df.columns
                    if not c.startswith("_")}
            rids = df["_rid"].to_numpy()
            dups = []
            touched = False
            for i in self._choose_rows(len(df), eligible):
                hit = self._cell_fault(cols, i, SPEC_CIN[name])
                if hit is None:
                    continue
                if hit[3] == "duplicate_row":
                    dups.append(int(i))
                else:
                    touched = True
                    pending.append((name, int(rids[i]), *hit))
            if touched:
                for c, v in cols.items():
                    df[c] = pd.Series(v, index=df.index, dtype=object)
            return dups

        # 1. CINdetails first: a duplicated block is copied with everything nested in it, and
        #    the records of duplicated blocks get no other fault (the copy must stay exact).
        cin = tables["CINdetails"]
        dup_rows = cell_faults("CINdetails", None)
        dup_keys = set(zip(cin["_child"].to_numpy()[dup_rows].tolist(),
                           cin["_cin"].to_numpy()[dup_rows].tolist(), strict=True))
        for name, df in tables.items():
            if "_cin" not in df.columns:
                continue
            df["_cin"] = df["_cin"].astype(float)
            if dup_keys and len(df):
                keys = pd.Series(list(zip(df["_child"].astype(int), df["_cin"].astype(int),
                                          strict=True)), dtype=object)
                in_dup = keys.isin(dup_keys).to_numpy()
                copies = df.loc[in_dup].copy()
                copies["_cin"] += 0.5
                copies["_rid"] = -1
                copies["_frozen"] = True
                df.loc[in_dup, "_frozen"] = True
                tables[name] = pd.concat([df, copies], ignore_index=True)
        # 2. every other record table
        for name in ("Child", "Assessments", "CINPlanDates", "Section47", "ChildProtectionPlans",
                     "CPPreviewDate", "PreProceedingsandFGDM"):
            cell_faults(name, ~tables[name]["_frozen"].to_numpy(dtype=bool))
        # 3. renumber CINdetails within each child, then resolve the XPaths
        cin = tables["CINdetails"].sort_values(["_child", "_cin"], kind="mergesort")
        remap = pd.DataFrame({"_child": cin["_child"].to_numpy(), "_cin": cin["_cin"].to_numpy(),
                              "_new": cin.groupby("_child", sort=False).cumcount().to_numpy() + 1})
        for name, df in tables.items():
            if "_cin" in df.columns and len(df):
                m = df[["_child", "_cin"]].merge(remap, on=["_child", "_cin"], how="left")
                df["_cin"] = m["_new"].to_numpy()
            for c in TABLE_POS[name]:
                df[c] = df[c].astype("int64")
        if dup_keys:
            copies = pd.DataFrame(sorted(dup_keys), columns=["_child", "_cin"])
            copies["_cin"] = copies["_cin"] + 0.5
            copies = copies.merge(remap, on=["_child", "_cin"], how="left")
            for c, new in zip(copies["_child"].tolist(), copies["_new"].tolist(), strict=True):
                path = xml_path("CINdetails", {"_child": int(c), "_cin": int(new)}, None)
                self._log(file, "CINdetails", path, "", "", "", "duplicate_row")
        if pending:
            rows = pd.DataFrame(pending, columns=["table", "_rid", "column", "orig", "new", "fault"])
            rows["_n"] = np.arange(len(rows))
            resolved = []
            for name, grp in rows.groupby("table", sort=False):
                df = tables[name]
                where = df.loc[df["_rid"] >= 0].set_index("_rid")[list(TABLE_POS[name])]
                at = where.reindex(grp["_rid"].to_numpy()).to_numpy(dtype=np.int64).tolist()
                for n_, column, orig, new_, fault, p in zip(
                        grp["_n"].tolist(), grp["column"].tolist(), grp["orig"].tolist(),
                        grp["new"].tolist(), grp["fault"].tolist(), at, strict=True):
                    pos = dict(zip(TABLE_POS[name], p, strict=True))
                    resolved.append((n_, name, xml_path(name, pos, column), column, orig,
                                     new_, fault))
            for _, name, path, column, orig, new, fault in sorted(resolved, key=lambda t: t[0]):
                self._log(file, name, path, column, orig, new, fault)
        out = {}
        for name, df in tables.items():
            df = df.drop(columns=["_rid", "_frozen"])
            out[name] = df.sort_values(list(TABLE_POS[name]), kind="mergesort").reset_index(drop=True)
        return CinCensus(collection_year=doc.collection_year, header=dict(doc.header), tables=out)

    def ledger(self) -> pd.DataFrame:
        """Every fault injected so far, in injection order (columns :data:`LEDGER_COLUMNS`)."""
        if not self._rows:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in LEDGER_COLUMNS})
        return pd.DataFrame(self._rows, columns=list(LEDGER_COLUMNS)).astype(object)

    # -- internals ---------------------------------------------------------------------------------

    def _log(self, file, table, row, column, orig, new, fault) -> None:
        self._rows.append({"file": file, "table": table, "row": row, "column": column,
                           "original_value": orig, "injected_value": new, "fault": fault})

    def _choose_rows(self, n: int, eligible: np.ndarray | None = None) -> np.ndarray:
        hit = self.rng.random(n) < self.rate
        if eligible is not None:
            hit &= eligible
        return np.flatnonzero(hit)

    def _bad_date(self, orig: str, style: str) -> str:
        y = _year_of(orig)
        if style == "iso":
            options = [f"{y}-02-31", f"{y}-13-01", "n/a", f"31/02/{y}"]
        else:
            options = [f"31/02/{y}", f"{y}-13-01", "n/a"]
        return options[int(self.rng.integers(len(options)))]

    def _pick(self, items: list):
        return items[int(self.rng.integers(len(items)))]

    def _cell_fault(self, cols: dict[str, np.ndarray], i: int, spec: TableSpec):
        """Apply one cell-level fault to row ``i`` (in place); return (column, orig, new, kind)
        or None when no cell fault applies. ``duplicate_row`` is handled by the caller."""
        style = spec.date_style
        options: dict[str, list] = {}
        dates = [c for c in spec.date_columns if c in cols and not _is_blank(cols[c][i])
                 and (style != "excel" or not isinstance(cols[c][i], str))]
        if dates:
            options["unparseable_date"] = dates
        pairs = [(a, b) for a, b in spec.date_pairs
                 if a in cols and b in cols and _before(cols[a][i], cols[b][i], style)]
        if pairs:
            options["swapped_dates"] = pairs
        unknown = [c for c in spec.unknown_codes if c in cols and not _is_blank(cols[c][i])]
        if unknown:
            options["unknown_code"] = unknown
        if spec.id_column and spec.id_column in cols and not _is_blank(cols[spec.id_column][i]):
            options["blank_id"] = [spec.id_column]
        ws = [c for c in spec.whitespace_columns if c in cols
              and isinstance(cols[c][i], str) and cols[c][i] != ""]
        labels: list[str] = []
        if spec.label_cells:
            labels = [c for c in cols if isinstance(cols[c][i], str) and _LABEL.match(cols[c][i])
                      and _label_variants(c, cols[c][i])]
            ws = list(dict.fromkeys([*ws, *labels]))
        if ws:
            options["whitespace"] = ws
        if labels:
            options["label_variant"] = labels
        if spec.duplicates:
            options["duplicate_row"] = [None]
        if not options:
            return None
        kind = self._pick(sorted(options))
        target = self._pick(options[kind])
        if kind == "duplicate_row":
            return ("", "", "", "duplicate_row")
        if kind == "swapped_dates":
            a, b = target
            orig = _text(cols[a][i], style)
            cols[a][i], cols[b][i] = cols[b][i], cols[a][i]
            return (a, orig, _text(cols[a][i], style), kind)
        orig = _text(cols[target][i], style)
        if kind == "unparseable_date":
            new = self._bad_date(orig, "iso" if style == "iso" else "dmy")
        elif kind == "unknown_code":
            new = self._pick(list(spec.unknown_codes[target]))
        elif kind == "blank_id":
            new = ""
        elif kind == "whitespace":
            new = self._pick(_whitespace_variants(cols[target][i]))
        else:  # label_variant
            new = self._pick(_label_variants(target, cols[target][i]))
        cols[target][i] = new
        return (target, orig, new, kind)

    def _rows_faults(self, cols: dict[str, np.ndarray], spec: TableSpec, file: str, table: str,
                     header: list[str]) -> tuple[dict[str, np.ndarray], list[str]]:
        """Row faults for a flat table (CSV or sheet); returns the new columns (duplicates
        inserted) and the header. Ledger rows are numbered in the final file."""
        n = len(next(iter(cols.values()))) if cols else 0
        chosen = self._choose_rows(n)
        entries = []
        dup = np.zeros(n, dtype=bool)
        for i in chosen:
            hit = self._cell_fault(cols, i, spec)
            if hit is None:
                continue
            if hit[3] == "duplicate_row":
                dup[i] = True
            entries.append((i, *hit))
        reps = 1 + dup.astype(np.int64)
        order = np.repeat(np.arange(n), reps)
        first_pos = np.cumsum(reps) - reps  # 0-based position of each original row
        for i, column, orig, new, kind in entries:
            row = int(first_pos[i]) + 1 + (1 if kind == "duplicate_row" else 0)
            self._log(file, table, row, column, orig, new, kind)
        if dup.any():
            cols = {c: v[order] for c, v in cols.items()}
        return cols, header

    def _sheet_faults(self, sheet: XlsxSheet, spec: TableSpec, file: str) -> XlsxSheet:
        df = sheet.frame
        cols = {c: df[c].to_numpy(dtype=object).copy() for c in df.columns}
        cols, header = self._rows_faults(cols, spec, file, sheet.name, list(sheet.header))
        if self.rng.random() < self.rate and len(header):
            k = 1 + int(self.rng.integers(2))
            picks = sorted(self.rng.choice(len(header), size=min(k, len(header)), replace=False))
            if "Age of Child (Years)" in header and self.rng.random() < 0.5:
                picks = sorted({*picks, header.index("Age of Child (Years)")})
            header = list(header)
            for j in picks:
                name = list(df.columns)[j]
                new = self._pick(_header_variants(header[j]))
                self._log(file, sheet.name, 0, name, header[j], new, "header_variant")
                header[j] = new
        frame = pd.DataFrame(cols, columns=list(df.columns), dtype=object)
        return XlsxSheet(name=sheet.name, frame=frame, date_columns=sheet.date_columns,
                         header=header)
