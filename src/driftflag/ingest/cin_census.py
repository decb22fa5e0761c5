"""Minimal CIN census reader: streamed XML into the flattened tables of csc-validator-be-cin.

Structure from ``data-standards.md`` §3.1 (``Message/Header``, ``Message/Children/Child`` with
``ChildIdentifiers``, ``ChildCharacteristics`` and repeated ``CINdetails`` holding
``Assessments``, ``CINPlanDates``, ``Section47``, ``ChildProtectionPlans`` and, from 2025-26,
``PreProceedingsandFGDM``). The tables and their key columns follow csc-validator-be-cin
``cin_validator/ingress.py``: ``LAchildID`` + ``CINdetailsID`` (+ ``AssessmentID``, ``CPPID``).

The file is streamed with :func:`lxml.etree.iterparse`: each ``Child`` is flattened when its end
tag is read and then cleared, so memory holds one child's tree plus the output cells.

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


class _Codes(dict):
    """Tag -> code of its local name (-1: not one of ``names``), filled as tags are met.

    Keyed by the tag object itself (a namespaced name, or lxml's ``Comment``/``PI``/``Entity``
    factory for those nodes), so a child element costs one dictionary lookup to classify.
    """

    def __init__(self, names: dict[str, int]):
        super().__init__()
        self.names = names

    def __missing__(self, tag: object) -> int:
        code = self[tag] = self.names.get(_local(tag), -1)
        return code


#: code of a block nested in another one (``Disabilities`` in ``ChildCharacteristics``, ...);
#: the codes above it are the kinds of block nested in ``CINdetails``
_NESTED = 99


def _fill(block: etree._Element, codes: _Codes, row: list[object], offset: int) -> list[etree._Element]:
    """Set ``row[offset + i]`` to the text of the first child element of ``block`` with code
    ``i`` (first-child semantics: the children are read last to first, so the first one met in
    the file is written last; missing and blank are None). Returns the children with a code
    from :data:`_NESTED` up (nested blocks), in document order.

    Why one pass and plain lookups: lxml's ``iterchildren(tag=...)`` builds a tag matcher on
    every call, which cost more than reading the few children of a block.
    """
    nested = []
    for el in reversed(block[:]):
        i = codes[el.tag]
        if i >= 0:
            if i >= _NESTED:
                nested.append(el)
            elif len(el):
                row[offset + i] = _text(el)
            else:
                t = el.text
                row[offset + i] = (t.strip() or None) if t is not None else None
    nested.reverse()
    return nested


def _items(block: etree._Element, codes: _Codes) -> list[etree._Element]:
    """Children of ``block`` whose local name is the one name in ``codes``, in document order."""
    return [el for el in block if codes[el.tag] >= 0]


def _first(block: etree._Element, name: str) -> etree._Element | None:
    """First child element of ``block`` with local name ``name`` (any namespace)."""
    return next(block.iterchildren(f"{{*}}{name}"), None)


def _codes(fields: tuple[str, ...]) -> _Codes:
    return _Codes({f: i for i, f in enumerate(fields)})


#: codes of the blocks inside ``CINdetails`` (its own fields are 0 .. len(_CIN_FIELDS) - 1)
_CPP, _ASSESSMENT, _PLAN, _S47, _PP = 100, 101, 102, 103, 104
_CIN_BLOCKS = {
    "ChildProtectionPlans": _CPP, "Assessments": _ASSESSMENT, "CINPlanDates": _PLAN,
    "Section47": _S47, "PreProceedingsandFGDM": _PP,
}
_CHILD_BLOCKS = {"ChildIdentifiers": 0, "ChildCharacteristics": 1, "CINdetails": 2}
#: the missing values of each block's fields, the start of its row before :func:`_fill`
_BLANK_CIN = (None,) * len(_CIN_FIELDS)
_BLANK_ASSESSMENT = (None,) * len(_ASSESSMENT_FIELDS)
_BLANK_CPP = (None,) * len(_CPP_FIELDS)
_BLANK_PLAN = (None,) * len(_PLAN_FIELDS)
_BLANK_S47 = (None,) * len(_S47_FIELDS)
_BLANK_PP = (None,) * len(_PP_FIELDS)


class _Flattener:
    """Accumulates the cells of the wanted tables, one ``Child`` element at a time.

    Each table is one flat list of cells, row after row (``len(columns)`` cells a row): its
    columns are slices of it, which is far cheaper than transposing a list of row lists.
    """

    def __init__(self, source: str, wanted: set[str]):
        self.source = source
        self.wanted = wanted
        self.cells: dict[str, list[object]] = {t: [] for t in CIN_TABLES}
        self.n_children = 0
        self.child_codes = _Codes(_CHILD_BLOCKS)
        self.id_codes = _codes(_IDENTIFIER_FIELDS)
        self.chars_codes = _Codes({"Ethnicity": 0, "Disabilities": _NESTED})
        self.disability_codes = _codes(("Disability",))
        self.factors_codes = _Codes({**{f: i for i, f in enumerate(_ASSESSMENT_FIELDS)},
                                     "FactorsIdentifiedAtAssessment": _NESTED})
        self.factor_codes = _codes(("AssessmentFactors",))
        self.reviews_codes = _Codes({**{f: i for i, f in enumerate(_CPP_FIELDS)}, "Reviews": _NESTED})
        self.review_date_codes = _codes(("CPPreviewDate",))
        self.cin_codes = _Codes({**{f: i for i, f in enumerate(_CIN_FIELDS)}, **_CIN_BLOCKS})
        self.plan_codes = _codes(_PLAN_FIELDS)
        self.s47_codes = _codes(_S47_FIELDS)
        self.pp_codes = _codes(_PP_FIELDS)

    def header(self, el: etree._Element, path: str) -> None:
        if "Header" not in self.wanted:
            return
        vals: list[object] = [None] * (len(_HEADER_FIELDS) + 1)
        details = _first(el, "CollectionDetails")
        if details is not None:
            _fill(details, _codes(_HEADER_FIELDS[:3]), vals, 0)
        source = _first(el, "Source")
        if source is not None:
            _fill(source, _codes(_HEADER_FIELDS[3:]), vals, 3)
        vals[-1] = path
        self.cells["Header"] += vals

    def child(self, el: etree._Element, path: str) -> None:
        self.n_children += 1
        wanted = self.wanted
        cells = self.cells
        ids_el = chars = None
        cins = []
        child_codes = self.child_codes
        for sub in el:
            k = child_codes[sub.tag]
            if k == 2:
                cins.append(sub)
            elif k == 0:
                if ids_el is None:
                    ids_el = sub
            elif k == 1 and chars is None:
                chars = sub
        ids: list[object] = [None] * (len(_IDENTIFIER_FIELDS) + 1)
        if ids_el is not None:
            _fill(ids_el, self.id_codes, ids, 0)
        child_id = ids[0]
        if "ChildIdentifiers" in wanted:
            ids[-1] = f"{path}/ChildIdentifiers"
            cells["ChildIdentifiers"] += ids

        if "ChildCharacteristics" in wanted or "Disabilities" in wanted:
            chars_path = f"{path}/ChildCharacteristics"
            row = [child_id, None, chars_path]
            dis_blocks = [] if chars is None else _fill(chars, self.chars_codes, row, 1)
            if "ChildCharacteristics" in wanted:
                cells["ChildCharacteristics"] += row
            if "Disabilities" in wanted:
                out = cells["Disabilities"]
                for d, dis_block in enumerate(dis_blocks, start=1):
                    dis_path = f"{chars_path}/Disabilities[{d}]"
                    for i, dis in enumerate(_items(dis_block, self.disability_codes), start=1):
                        out += (child_id, _text(dis), f"{dis_path}/Disability[{i}]")
        if cins:
            self._cin_details(cins, child_id, path)

    def _cin_details(self, cins: list[etree._Element], child_id: object, path: str) -> None:
        """Rows of the ``CINdetails`` of one child and of the blocks inside them."""
        wanted = self.wanted
        cells = self.cells
        want_cin = "CINdetails" in wanted
        want_ass = "Assessments" in wanted
        want_plan = "CINplanDates" in wanted
        want_s47 = "Section47" in wanted
        want_cpp = "ChildProtectionPlans" in wanted
        want_rev = "Reviews" in wanted
        want_pp = "PreProceedings" in wanted
        cin_codes = self.cin_codes
        n_assessment = 0
        n_cpp = 0
        for c, cin in enumerate(cins, start=1):
            cin_path = f"{path}/CINdetails[{c}]"
            vals: list[object] = [child_id, c, *_BLANK_CIN, cin_path]
            n_ass = n_plan = n_s47 = n_cpp_here = n_pp = 0
            for sub in _fill(cin, cin_codes, vals, 2):
                i = cin_codes[sub.tag]
                if i == _ASSESSMENT:
                    n_assessment += 1
                    n_ass += 1
                    if not want_ass:
                        continue
                    ass_path = f"{cin_path}/Assessments[{n_ass}]"
                    base: list[object] = [child_id, c, n_assessment, *_BLANK_ASSESSMENT]
                    out = cells["Assessments"]
                    f = 0
                    for block in _fill(sub, self.factors_codes, base, 3):
                        for factor in _items(block, self.factor_codes):
                            f += 1
                            out += base
                            out += (_text(factor), f"{ass_path}/AssessmentFactors[{f}]")
                    if not f:
                        out += base
                        out += (None, ass_path)
                elif i == _CPP:
                    n_cpp += 1
                    n_cpp_here += 1
                    if not (want_cpp or want_rev):
                        continue
                    cpp_path = f"{cin_path}/ChildProtectionPlans[{n_cpp_here}]"
                    row: list[object] = [child_id, c, n_cpp, *_BLANK_CPP, cpp_path]
                    reviews = _fill(sub, self.reviews_codes, row, 3)
                    if want_cpp:
                        cells["ChildProtectionPlans"] += row
                    if want_rev:
                        out = cells["Reviews"]
                        for r, rev in enumerate(reviews, start=1):
                            rev_path = f"{cpp_path}/Reviews[{r}]"
                            k = 0
                            for k, dt in enumerate(_items(rev, self.review_date_codes), start=1):  # noqa: B007
                                out += (child_id, c, n_cpp, _text(dt), f"{rev_path}/CPPreviewDate[{k}]")
                            if not k:
                                out += (child_id, c, n_cpp, None, rev_path)
                elif i == _PLAN:
                    n_plan += 1
                    if want_plan:
                        row = [child_id, c, *_BLANK_PLAN, f"{cin_path}/CINPlanDates[{n_plan}]"]
                        _fill(sub, self.plan_codes, row, 2)
                        cells["CINplanDates"] += row
                elif i == _S47:
                    n_s47 += 1
                    if want_s47:
                        row = [child_id, c, *_BLANK_S47, f"{cin_path}/Section47[{n_s47}]"]
                        _fill(sub, self.s47_codes, row, 2)
                        cells["Section47"] += row
                elif i == _PP:
                    n_pp += 1
                    if want_pp:
                        row = [child_id, c, *_BLANK_PP, f"{cin_path}/PreProceedingsandFGDM[{n_pp}]"]
                        _fill(sub, self.pp_codes, row, 2)
                        cells["PreProceedings"] += row
            if want_cin:
                cells["CINdetails"] += vals

    def frames(self) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for table in CIN_TABLES:
            if table not in self.wanted:
                continue
            cols = [*CIN_TABLE_COLUMNS[table], "_source_path"]
            cells = self.cells[table]
            width = len(cols)
            # ids are numbers the flattener counted; every other cell is a text or None
            data = {
                col: np.array(cells[j::width], dtype=np.int64) if col in _ID_COLUMNS
                else text_array(cells[j::width])
                for j, col in enumerate(cols)
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
    # The path of the last parent met (None: inside a Child or Header), kept while its children
    # follow one another: lxml gives the same proxy for a node while one is alive.
    last_parent: etree._Element | None = None
    last_path: str | None = None
    try:
        for _, el in context:
            parent = el.getparent()
            if parent is None:
                continue  # the root itself: checked below
            if parent is not last_parent:
                ancestors = []
                anc = parent
                while anc is not None:
                    ancestors.append(_local(anc.tag))
                    anc = anc.getparent()
                last_parent = parent
                nested = "Child" in ancestors or "Header" in ancestors
                last_path = None if nested else "/" + "/".join(reversed(ancestors))
            parent_path = last_path
            if parent_path is None:
                continue  # nested inside a block handled when its ancestor ends
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
