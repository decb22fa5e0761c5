"""Minimal CIN census reader: streamed XML into the flattened tables of csc-validator-be-cin.

Structure from ``data-standards.md`` §3.1 (``Message/Header``, ``Message/Children/Child`` with
``ChildIdentifiers``, ``ChildCharacteristics`` and repeated ``CINdetails`` holding
``Assessments``, ``CINPlanDates``, ``Section47``, ``ChildProtectionPlans`` and, from 2025-26,
``PreProceedingsandFGDM``). The tables and their key columns follow csc-validator-be-cin
``cin_validator/ingress.py``: ``LAchildID`` + ``CINdetailsID`` (+ ``AssessmentID``, ``CPPID``).

The file is streamed with :func:`lxml.etree.iterparse`: each ``Child`` is flattened when its end
tag is read and then cleared, so memory holds one child's tree plus the output rows.

Nothing is validated: values stay the strings in the file (stripped; blank becomes missing).
Every row carries ``_source_file`` and ``_source_path``, an XPath-like location such as
``/Message/Children/Child[12]/CINdetails[2]``. Deviations from csc-validator, all so that no
record is dropped silently:

* ``AssessmentID`` and ``CPPID`` are numbered per child (1, 2, ... across all of the child's
  ``CINdetails``), like ``CINdetailsID``; so (``LAchildID``, ``CPPID``) is unique within a file.
* ``Assessments`` has one row per ``AssessmentFactors`` value, and one row with a missing factor
  when an assessment lists none (csc-validator drops such assessments).
* ``Reviews`` has one row per ``CPPreviewDate``.
* Both ``Sex`` (2024-25 onward) and ``GenderCurrent`` (earlier) are kept, as written.
* Namespaces are ignored; text outside leaf elements (stray text) is ignored; when a leaf
  element repeats inside one block the first is used; unknown elements are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from driftflag.errors import SourceFileError
from driftflag.ingest._common import (
    constant_text,
    file_nul_reason,
    keep_latest_year,
    one_line,
    year_from_label,
)
from driftflag.ingest._tabular import text_array

logger = logging.getLogger(__name__)

_HEADER_FIELDS = (
    "Collection", "Year", "ReferenceDate", "SourceLevel", "LEA", "SoftwareCode", "Release",
    "SerialNo", "DateTime",
)
_IDENTIFIER_FIELDS = (
    "LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate",
    "GenderCurrent", "Sex", "PersonDeathDate",
)
_CIN_FIELDS = (
    "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure",
    "DateOfInitialCPC", "ReferralNFA",
)
_ASSESSMENT_FIELDS = (
    "AssessmentActualStartDate", "AssessmentInternalReviewDate", "AssessmentAuthorisationDate",
)
_PLAN_FIELDS = ("CINPlanStartDate", "CINPlanEndDate")
_S47_FIELDS = ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")
_CPP_FIELDS = (
    "CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse",
    "NumberOfPreviousCPP",
)
_PP_FIELDS = (
    "PPStartDate", "LBPSentDate", "FGDMMeetingOffer", "FGDMMeetingFac", "InitialPPMeetingDate",
    "ReviewMeetingsCount", "StepDecisionDate", "PPOutcome", "CourtAppDate", "LetterInitCPDate",
)

#: Value columns of each flattened table (id columns first), then ``_source_file``/``_source_path``.
CIN_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": _HEADER_FIELDS,
    "ChildIdentifiers": _IDENTIFIER_FIELDS,
    "ChildCharacteristics": ("LAchildID", "Ethnicity"),
    "Disabilities": ("LAchildID", "Disability"),
    "CINdetails": ("LAchildID", "CINdetailsID", *_CIN_FIELDS),
    "Assessments": ("LAchildID", "CINdetailsID", "AssessmentID", *_ASSESSMENT_FIELDS, "AssessmentFactors"),
    "CINplanDates": ("LAchildID", "CINdetailsID", *_PLAN_FIELDS),
    "Section47": ("LAchildID", "CINdetailsID", *_S47_FIELDS),
    "ChildProtectionPlans": ("LAchildID", "CINdetailsID", "CPPID", *_CPP_FIELDS),
    "Reviews": ("LAchildID", "CINdetailsID", "CPPID", "CPPreviewDate"),
    "PreProceedings": ("LAchildID", "CINdetailsID", *_PP_FIELDS),
}
CIN_TABLES: tuple[str, ...] = tuple(CIN_TABLE_COLUMNS)
_ID_COLUMNS = ("CINdetailsID", "AssessmentID", "CPPID")

_MSG_NOT_XML = "not a readable XML file ({detail})"
_MSG_ROOT = "root element is <{tag}>, expected <Message>"
_MSG_NO_FILES = "no CIN census files (named like cin_census_2025-26.xml) found"


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: object) -> str:
    """Tag name without namespace; comments and processing instructions give ''."""
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = tag.rpartition("}")[2]
    return name


def _text(el: etree._Element | None) -> str | None:
    """The element's whole text, stripped (blank -> None).

    ``el.text`` stops at the first child node, so ``100<?x?>0001`` would read as ``100``: the
    text after a processing instruction, comment or nested element is joined on (XPath
    ``string()``), and an entity reference left unresolved is kept as written (``&x;``) so the
    value is quarantined as it stands rather than silently shortened.
    """
    if el is None:
        return None
    if len(el) == 0:
        t = el.text
    else:
        parts = [el.text or ""]
        for ch in el:
            if isinstance(ch, etree._Entity):
                parts.append(ch.text or "")
            elif isinstance(ch.tag, str):
                parts.append("".join(ch.itertext(with_tail=False)))
            parts.append(ch.tail or "")
        t = "".join(parts)
    if t is None:
        return None
    t = t.strip()
    return t or None


def _positions(fields: tuple[str, ...]) -> dict[str, int]:
    return {f: i for i, f in enumerate(fields)}


def _fill(block: etree._Element | None, positions: dict[str, int], width: int) -> list[object]:
    """Text of the first child element of ``block`` named each field (missing -> None)."""
    vals: list[object] = [None] * width
    if block is None:
        return vals
    seen = 0
    for el in block:
        tag = el.tag
        name = _LOCAL_NAMES.get(tag) if isinstance(tag, str) else ""
        if name is None:
            name = _local(tag)
        i = positions.get(name)
        if i is not None and not (seen >> i) & 1:
            seen |= 1 << i
            vals[i] = _text(el)
    return vals


def _each(block: etree._Element | None, name: str) -> list[etree._Element]:
    """Child elements of ``block`` with local name ``name``, in document order."""
    if block is None:
        return []
    out = []
    for el in block:
        tag = el.tag
        n = _LOCAL_NAMES.get(tag) if isinstance(tag, str) else ""
        if n is None:
            n = _local(tag)
        if n == name:
            out.append(el)
    return out


def _first(block: etree._Element | None, name: str) -> etree._Element | None:
    found = _each(block, name)
    return found[0] if found else None


_POS_HEADER_DETAILS = _positions(_HEADER_FIELDS[:3])
_POS_HEADER_SOURCE = _positions(_HEADER_FIELDS[3:])
_POS_IDS = _positions(_IDENTIFIER_FIELDS)
_POS_CIN = _positions(_CIN_FIELDS)
_POS_ASSESSMENT = _positions(_ASSESSMENT_FIELDS)
_POS_PLAN = _positions(_PLAN_FIELDS)
_POS_S47 = _positions(_S47_FIELDS)
_POS_CPP = _positions(_CPP_FIELDS)
_POS_PP = _positions(_PP_FIELDS)


class _Flattener:
    """Accumulates rows of the wanted tables, one ``Child`` element at a time."""

    def __init__(self, source: str, wanted: set[str]):
        self.source = source
        self.wanted = wanted
        self.rows: dict[str, list[list[object]]] = {t: [] for t in CIN_TABLES}
        self.n_children = 0

    def header(self, el: etree._Element, path: str) -> None:
        if "Header" not in self.wanted:
            return
        vals = _fill(_first(el, "CollectionDetails"), _POS_HEADER_DETAILS, 3)
        vals += _fill(_first(el, "Source"), _POS_HEADER_SOURCE, len(_HEADER_FIELDS) - 3)
        vals.append(path)
        self.rows["Header"].append(vals)

    def child(self, el: etree._Element, path: str) -> None:
        self.n_children += 1
        wanted = self.wanted
        rows = self.rows
        blocks: dict[str, list[etree._Element]] = {"ChildIdentifiers": [], "ChildCharacteristics": [], "CINdetails": []}
        for sub in el:
            tag = sub.tag
            name = _LOCAL_NAMES.get(tag) if isinstance(tag, str) else ""
            if name is None:
                name = _local(tag)
            lst = blocks.get(name)
            if lst is not None:
                lst.append(sub)
        ids_el = blocks["ChildIdentifiers"]
        ids = _fill(ids_el[0] if ids_el else None, _POS_IDS, len(_IDENTIFIER_FIELDS))
        child_id = ids[0]
        if "ChildIdentifiers" in wanted:
            ids.append(f"{path}/ChildIdentifiers")
            rows["ChildIdentifiers"].append(ids)

        if "ChildCharacteristics" in wanted or "Disabilities" in wanted:
            chars_el = blocks["ChildCharacteristics"]
            chars = chars_el[0] if chars_el else None
            chars_path = f"{path}/ChildCharacteristics"
            if "ChildCharacteristics" in wanted:
                eth = _fill(chars, {"Ethnicity": 0}, 1)[0]
                rows["ChildCharacteristics"].append([child_id, eth, chars_path])
            if "Disabilities" in wanted:
                for d, dis_block in enumerate(_each(chars, "Disabilities"), start=1):
                    dis_path = f"{chars_path}/Disabilities[{d}]"
                    for i, dis in enumerate(_each(dis_block, "Disability"), start=1):
                        rows["Disabilities"].append([child_id, _text(dis), f"{dis_path}/Disability[{i}]"])

        want_cin = "CINdetails" in wanted
        want_ass = "Assessments" in wanted
        want_plan = "CINplanDates" in wanted
        want_s47 = "Section47" in wanted
        want_cpp = "ChildProtectionPlans" in wanted
        want_rev = "Reviews" in wanted
        want_pp = "PreProceedings" in wanted
        n_assessment = 0
        n_cpp = 0
        for c, cin in enumerate(blocks["CINdetails"], start=1):
            cin_path = f"{path}/CINdetails[{c}]"
            vals: list[object] = [child_id, c, *([None] * len(_CIN_FIELDS))]
            seen = 0
            n_ass = n_plan = n_s47 = n_cpp_here = n_pp = 0
            for sub in cin:
                tag = sub.tag
                name = _LOCAL_NAMES.get(tag) if isinstance(tag, str) else ""
                if name is None:
                    name = _local(tag)
                i = _POS_CIN.get(name)
                if i is not None:
                    if not (seen >> i) & 1:
                        seen |= 1 << i
                        vals[2 + i] = _text(sub)
                elif name == "ChildProtectionPlans":
                    n_cpp += 1
                    n_cpp_here += 1
                    if not (want_cpp or want_rev):
                        continue
                    cpp_path = f"{cin_path}/ChildProtectionPlans[{n_cpp_here}]"
                    if want_cpp:
                        row = [child_id, c, n_cpp, *_fill(sub, _POS_CPP, len(_CPP_FIELDS)), cpp_path]
                        rows["ChildProtectionPlans"].append(row)
                    if want_rev:
                        for r, rev in enumerate(_each(sub, "Reviews"), start=1):
                            rev_path = f"{cpp_path}/Reviews[{r}]"
                            dates = _each(rev, "CPPreviewDate")
                            if not dates:
                                rows["Reviews"].append([child_id, c, n_cpp, None, rev_path])
                            for k, dt in enumerate(dates, start=1):
                                rows["Reviews"].append(
                                    [child_id, c, n_cpp, _text(dt), f"{rev_path}/CPPreviewDate[{k}]"]
                                )
                elif name == "Assessments":
                    n_assessment += 1
                    n_ass += 1
                    if not want_ass:
                        continue
                    ass_path = f"{cin_path}/Assessments[{n_ass}]"
                    base = [child_id, c, n_assessment, *_fill(sub, _POS_ASSESSMENT, len(_ASSESSMENT_FIELDS))]
                    factors = [
                        f
                        for block in _each(sub, "FactorsIdentifiedAtAssessment")
                        for f in _each(block, "AssessmentFactors")
                    ]
                    if not factors:
                        rows["Assessments"].append([*base, None, ass_path])
                    for f, factor in enumerate(factors, start=1):
                        rows["Assessments"].append(
                            [*base, _text(factor), f"{ass_path}/AssessmentFactors[{f}]"]
                        )
                elif name == "CINPlanDates":
                    n_plan += 1
                    if want_plan:
                        rows["CINplanDates"].append(
                            [child_id, c, *_fill(sub, _POS_PLAN, len(_PLAN_FIELDS)),
                             f"{cin_path}/CINPlanDates[{n_plan}]"]
                        )
                elif name == "Section47":
                    n_s47 += 1
                    if want_s47:
                        rows["Section47"].append(
                            [child_id, c, *_fill(sub, _POS_S47, len(_S47_FIELDS)),
                             f"{cin_path}/Section47[{n_s47}]"]
                        )
                elif name == "PreProceedingsandFGDM":
                    n_pp += 1
                    if want_pp:
                        rows["PreProceedings"].append(
                            [child_id, c, *_fill(sub, _POS_PP, len(_PP_FIELDS)),
                             f"{cin_path}/PreProceedingsandFGDM[{n_pp}]"]
                        )
            if want_cin:
                vals.append(cin_path)
                rows["CINdetails"].append(vals)

    def frames(self) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for table in CIN_TABLES:
            if table not in self.wanted:
                continue
            cols = [*CIN_TABLE_COLUMNS[table], "_source_path"]
            rows = self.rows[table]
            values = list(zip(*rows, strict=True)) if rows else [()] * len(cols)
            # ids are numbers the flattener counted; every other cell is a text or None
            data = {
                col: np.array(vals, dtype=np.int64) if col in _ID_COLUMNS else text_array(vals)
                for col, vals in zip(cols, values, strict=True)
            }
            df = pd.DataFrame(data, columns=cols)
            df.insert(len(cols) - 1, "_source_file", constant_text(self.source, len(df)))
            out[table] = df
        return out


def read_cin_census(path: Path, tables: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read one CIN census XML file into flattened, string-valued tables.

    Parameters
    ----------
    path
        The XML file.
    tables
        Names from :data:`CIN_TABLES` to build (default: all). Skipping tables that are not
        needed (e.g. ``Assessments``) saves time on large files; the file is still fully parsed.

    Returns
    -------
    dict of DataFrame
        One DataFrame per table, columns as in :data:`CIN_TABLE_COLUMNS` plus ``_source_file``
        and ``_source_path``. ``ChildIdentifiers`` and ``ChildCharacteristics`` have exactly one
        row per ``Child`` element (missing blocks give missing values).

    Raises
    ------
    SourceFileError
        If the file is missing, not well-formed XML (including a truncated file), or its root
        element is not ``Message``.
    """
    path = Path(path)
    wanted = set(CIN_TABLES if tables is None else tables)
    unknown = wanted - set(CIN_TABLES)
    if unknown:
        raise ValueError(f"unknown CIN table(s): {', '.join(sorted(unknown))}")
    if not path.is_file():
        raise SourceFileError(str(path), "file not found")
    flat = _Flattener(str(path), wanted)
    counters: dict[str, int] = {}
    context = etree.iterparse(
        str(path), events=("end",), tag=("{*}Child", "{*}Header"),
        resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True,
    )
    try:
        for _, el in context:
            parent = el.getparent()
            if parent is None:
                continue  # the root itself: checked below
            ancestors = []
            anc = parent
            while anc is not None:
                ancestors.append(_local(anc.tag))
                anc = anc.getparent()
            if "Child" in ancestors or "Header" in ancestors:
                continue  # nested inside a block handled when its ancestor ends
            parent_path = "/" + "/".join(reversed(ancestors))
            name = _local(el.tag)
            counters[parent_path + name] = n = counters.get(parent_path + name, 0) + 1
            if name == "Header":
                flat.header(el, f"{parent_path}/Header")
            else:
                flat.child(el, f"{parent_path}/Child[{n}]")
            el.clear()
            while el.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as e:
        reason = file_nul_reason(path)
        raise SourceFileError(str(path), reason or _MSG_NOT_XML.format(detail=one_line(e.msg or e))) from e
    except OSError as e:
        raise SourceFileError(str(path), f"cannot read file ({one_line(e)})") from e
    root = context.root
    if root is None:
        raise SourceFileError(str(path), _MSG_NOT_XML.format(detail="no root element"))
    if _local(root.tag) != "Message":
        raise SourceFileError(str(path), _MSG_ROOT.format(tag=_local(root.tag)))
    logger.debug("CIN census %s: %d children", path, flat.n_children)
    return flat.frames()


def find_cin_files(root: Path) -> dict[int, Path]:
    """CIN census files (``cin_census_2025-26.xml`` -> 2026) in ``root`` or ``root/cin_census``."""
    root = Path(root)
    if (root / "cin_census").is_dir():
        root = root / "cin_census"
    if not root.is_dir():
        raise SourceFileError(str(root), "not a folder")
    files: dict[int, Path] = {}
    for p in sorted(root.iterdir()):
        if not (p.is_file() and p.suffix.lower() == ".xml" and p.name.lower().startswith("cin_census")):
            continue
        year = year_from_label(p.name)
        if year is None:
            continue
        if year in files:
            raise SourceFileError(str(p), f"two files for collection year {year} ({files[year].name})")
        files[year] = p
    return dict(sorted(files.items()))


def _keep_children_of(df: pd.DataFrame, parent: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of ``df`` whose parent record (``collection_year`` + ``keys``) survived the dedupe.

    Rows whose key has a missing part are kept (they cannot be matched).
    """
    cols = ["collection_year", *keys]
    if df.empty:
        return df.reset_index(drop=True)
    survivors = pd.MultiIndex.from_frame(parent[cols].dropna())
    idx = pd.MultiIndex.from_frame(df[cols])
    keep = idx.isin(survivors) | df[cols].isna().any(axis=1).to_numpy()
    out = df.loc[keep].reset_index(drop=True)
    out.attrs["dropped_resubmitted"] = int((~keep).sum())
    return out


def read_cin_years(
    root: Path, tables: Iterable[str] | None = None, years: Iterable[int] | None = None
) -> dict[str, pd.DataFrame]:
    """Read and combine the CIN census files of an LA.

    ``root`` is the ``cin_census`` folder (or the LA folder holding it); files are named
    ``cin_census_<label>.xml``. ``tables`` limits the tables built (see :func:`read_cin_census`);
    ``years`` limits the collection years read (default: every file found). Each table gains an integer ``collection_year`` column (its ids
    stay per file, so join within a year: ``collection_year`` + ``LAchildID`` + ``CINdetailsID``).
    CIN episodes and CP plans continuing across years are resubmitted in each census; combining
    keeps the latest year's version of each record:

    * ``CINdetails``: latest year per (``LAchildID``, ``CINreferralDate``); ``Assessments``,
      ``CINplanDates``, ``Section47`` and ``PreProceedings`` follow their ``CINdetails`` row.
    * ``ChildProtectionPlans``: latest year per (``LAchildID``, ``CPPstartDate``); ``Reviews``
      follow their plan.
    * ``ChildIdentifiers``, ``ChildCharacteristics``: latest year per ``LAchildID``;
      ``Disabilities`` follow them. ``Header`` keeps one row per file.

    Rows with a missing key part are always kept. Rows dropped are counted in
    ``df.attrs["dropped_resubmitted"]``.

    Raises
    ------
    SourceFileError
        If there are no census files or one cannot be read.
    """
    files = find_cin_files(root)
    if years is not None:
        chosen = set(years)
        files = {y: p for y, p in files.items() if y in chosen}
    if not files:
        raise SourceFileError(str(root), _MSG_NO_FILES)
    wanted = list(CIN_TABLES if tables is None else tables)
    # Parents are needed to decide which nested rows survive.
    needed = set(wanted)
    if needed & {"Assessments", "CINplanDates", "Section47", "PreProceedings"}:
        needed.add("CINdetails")
    if "Reviews" in needed:
        needed.add("ChildProtectionPlans")
    if "Disabilities" in needed:
        needed.add("ChildCharacteristics")
    per_table: dict[str, list[pd.DataFrame]] = {t: [] for t in needed}
    for year, path in files.items():
        for table, df in read_cin_census(path, tables=needed).items():
            df.insert(0, "collection_year", year)
            per_table[table].append(df)
    combined = {t: pd.concat(frames, ignore_index=True) for t, frames in per_table.items()}

    out: dict[str, pd.DataFrame] = {}
    if "Header" in combined:
        out["Header"] = combined["Header"]
    for table in ("ChildIdentifiers", "ChildCharacteristics"):
        if table in combined:
            out[table] = keep_latest_year(combined[table], ["LAchildID"])
    if "CINdetails" in combined:
        out["CINdetails"] = keep_latest_year(combined["CINdetails"], ["LAchildID", "CINreferralDate"])
    if "ChildProtectionPlans" in combined:
        out["ChildProtectionPlans"] = keep_latest_year(
            combined["ChildProtectionPlans"], ["LAchildID", "CPPstartDate"]
        )
    for table in ("Assessments", "CINplanDates", "Section47", "PreProceedings"):
        if table in combined:
            out[table] = _keep_children_of(combined[table], out["CINdetails"], ["LAchildID", "CINdetailsID"])
    if "Reviews" in combined:
        out["Reviews"] = _keep_children_of(
            combined["Reviews"], out["ChildProtectionPlans"], ["LAchildID", "CPPID"]
        )
    if "Disabilities" in combined:
        out["Disabilities"] = _keep_children_of(
            combined["Disabilities"], out["ChildCharacteristics"], ["LAchildID"]
        )
    return {t: out[t] for t in CIN_TABLES if t in wanted}
