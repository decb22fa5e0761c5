"""SSDA903 (children looked after) return: one folder of CSV tables per collection year.

Layout: ``DIR/ssda903/<label>/{header,episodes,uasc,missing,reviews,sw_episodes,oc3}.csv`` (label
``2025-26`` for collection year 2026), with exactly the columns of data-standards.md §2.1 and dates
as ``%d/%m/%Y``; or, in the XML form, ``DIR/ssda903/<label>/ssda903_<label>.xml`` (root
``<EXPSSDA903>``, :func:`build_903_xml`) holding the same rows.

Which rows go into collection year ``Y`` (1 April ``Y-1`` - 31 March ``Y``):

* **episodes**: episodes overlapping the year (``DECOM <= 31/03/Y`` and ``DEC`` blank or
  ``>= 01/04/Y-1``). Nothing after the reference date 31 March ``Y`` is written: a ``DEC`` after
  it is blank and so is its ``REC`` (the episode was open at the census date).
* **header**: children with an episode in that year's episodes file, and care leavers with an
  OC3 row that year.
* **sw_episodes**: the allocations of each child looked after in the year that overlap their time
  in care within it, one episode per run of the same worker (``SW_REASON`` ``OTHERS`` where the
  simulator recorded no reason).
* **oc3**: care leavers' records at a 17th-21st birthday in the year.
* **uasc**: children in the header who are UASC (``DUC`` after the reference date is blank).
* **missing**: missing/away episodes starting in the year (``MIS_END`` after the reference date
  is blank).
* **reviews**: reviews in the year.

Year-dependent coding:

* ``SEX``: ``1``/``2`` before collection year 2025, ``M``/``F``/``U`` from 2025
  (:func:`codes.uses_letter_sex`). Before 2025 there was no code for "not known", so a canonical
  ``U`` is written blank.
* ``PLACE``: the simulator writes canonical placements with the 2025-26 list for every date.
  For earlier collection years they are mapped back to a code valid that year
  (:func:`codes.place_codes`): **Z11, Z12, Z13, Z14 -> Z1** before 2026 (Z1 was split in
  2025-26), and **K3 -> H5** before 2025 (K3, registered supported accommodation, was added in
  2024-25; before that these placements were recorded as H5, semi-independent living).
* ``PLACE_PROVIDER`` is blank for placements without a provider
  (:data:`codes.PLACE_WITHOUT_PROVIDER`, and Z1 in the years it is used).

``MOTHER`` and ``MC_DOB`` are written blank (the canonical model does not record whether a child
is a mother). Rows are ordered by child id, then date, so output is the same run to run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from driftflag.casemodel import codes
from driftflag.casemodel.codes import SSDA903_MORE_COLUMNS
from driftflag.synth.writers._common import (
    collection_label,
    fmt_dates,
    map_values,
    str_values,
    year_window,
)

if TYPE_CHECKING:
    from driftflag.casemodel import CaseStore
    from driftflag.synth.messy import MessyInjector

#: Exact column lists, data-standards.md §2.1, in file order (shared with the reader).
COLUMNS: dict[str, tuple[str, ...]] = codes.SSDA903_COLUMNS
TABLES: tuple[str, ...] = tuple(COLUMNS)

_Z_SPLIT = {"Z11": "Z1", "Z12": "Z1", "Z13": "Z1", "Z14": "Z1"}


def place_for_year(place: np.ndarray, collection_year: int) -> np.ndarray:
    """Map canonical (2025-26 list) placement codes to codes valid in ``collection_year``."""
    mapping: dict[str, str] = {}
    if collection_year < 2026:
        mapping.update(_Z_SPLIT)
    if collection_year < 2025:
        mapping["K3"] = "H5"
    return map_values(place, mapping) if mapping else place


def sex_for_year(sex: np.ndarray, collection_year: int) -> np.ndarray:
    """903 ``SEX``: M/F/U from 2024-25, 1/2 before (U has no code then and is written blank)."""
    if codes.uses_letter_sex(collection_year):
        return sex
    return map_values(sex, codes.SEX_903_NUMERIC, default="")


def _frame(table: str, data: dict[str, np.ndarray], n: int) -> pd.DataFrame:
    cols = {}
    for c in COLUMNS[table]:
        v = data.get(c)
        cols[c] = np.full(n, "", dtype=object) if v is None else v
    return pd.DataFrame(cols, dtype=object)


def build_903_tables(store: CaseStore, collection_year: int) -> dict[str, pd.DataFrame]:
    """Build the 903 tables of one collection year as all-string frames.

    Keys are ``header, episodes, uasc, missing, reviews`` (each with exactly the columns of
    :data:`COLUMNS`) and ``sw_episodes`` (:data:`codes.SSDA903_MORE_COLUMNS`); ``""`` for blanks.
    """
    start, end = year_window(collection_year)
    children = store["children"].set_index("child_id")

    ep = store["lac_episodes"]
    keep = (ep["decom"] <= end) & (ep["dec"].isna() | (ep["dec"] >= start))
    ep = ep.loc[keep].sort_values(["child_id", "decom", "episode_id"], kind="mergesort")
    closed = ep["dec"].notna() & (ep["dec"] <= end)
    canon_place = str_values(ep["place"])
    place = place_for_year(canon_place, collection_year)
    provider = str_values(ep["place_provider"])
    no_provider = np.isin(canon_place, list(codes.PLACE_WITHOUT_PROVIDER)) | (place == "Z1")
    provider[no_provider] = ""
    rec = str_values(ep["rec"])
    rec[~closed.to_numpy()] = ""
    n = len(ep)
    episodes = _frame("episodes", {
        "CHILD": str_values(ep["child_id"]),
        "DECOM": fmt_dates(ep["decom"]),
        "RNE": str_values(ep["rne"]),
        "LS": str_values(ep["ls"]),
        "CIN": str_values(ep["cin"]),
        "PLACE": place,
        "PLACE_PROVIDER": provider,
        "DEC": fmt_dates(ep["dec"], after=end),
        "REC": rec,
        "REASON_PLACE_CHANGE": str_values(ep["reason_place_change"]),
        "HOME_POST": str_values(ep["home_post"]),
        "PL_POST": str_values(ep["pl_post"]),
        "URN": str_values(ep["urn"]),
    }, n)

    cl = store["care_leavers"]
    cl = cl.loc[(cl["birthday_date"] >= start) & (cl["birthday_date"] <= end)]
    cl = cl.sort_values(["child_id", "birthday_date"], kind="mergesort")
    # the header lists every child in the return: looked after in the year, or a care leaver
    child_ids = np.unique(np.concatenate([ep["child_id"].astype(str).to_numpy(dtype=object),
                                          cl["child_id"].astype(str).to_numpy(dtype=object)]))
    ch = children.reindex(pd.Index(child_ids, dtype="string"))
    sex = sex_for_year(str_values(ch["sex"]), collection_year)
    header = _frame("header", {
        "CHILD": np.asarray(child_ids, dtype=object),
        "SEX": sex,
        "DOB": fmt_dates(ch["date_of_birth"]),
        "ETHNIC": str_values(ch["ethnicity"]),
        "UPN": str_values(ch["upn"]),
    }, len(ch))

    is_uasc = ch["uasc"].fillna(False).to_numpy(dtype=bool)
    uch = ch.loc[is_uasc]
    uasc = _frame("uasc", {
        "CHILD": np.asarray(child_ids, dtype=object)[is_uasc],
        "SEX": sex[is_uasc],
        "DOB": fmt_dates(uch["date_of_birth"]),
        "DUC": fmt_dates(uch["uasc_ceased_date"], after=end),
    }, len(uch))

    dob = children["date_of_birth"]
    mi = store["missing_episodes"]
    mi = mi.loc[(mi["start_date"] >= start) & (mi["start_date"] <= end)]
    mi = mi.sort_values(["child_id", "start_date", "missing_id"], kind="mergesort")
    missing = _frame("missing", {
        "CHILD": str_values(mi["child_id"]),
        "DOB": fmt_dates(dob.reindex(mi["child_id"])),
        "MISSING": str_values(mi["missing_type"]),
        "MIS_START": fmt_dates(mi["start_date"]),
        "MIS_END": fmt_dates(mi["end_date"], after=end),
    }, len(mi))

    rv = store["lac_reviews"]
    rv = rv.loc[(rv["review_date"] >= start) & (rv["review_date"] <= end)]
    rv = rv.sort_values(["child_id", "review_date"], kind="mergesort")
    reviews = _frame("reviews", {
        "CHILD": str_values(rv["child_id"]),
        "DOB": fmt_dates(dob.reindex(rv["child_id"])),
        "REVIEW": fmt_dates(rv["review_date"]),
        "REVIEW_CODE": str_values(rv["review_code"]),
    }, len(rv))

    tables = {"header": header, "episodes": episodes, "uasc": uasc, "missing": missing,
              "reviews": reviews}
    tables["sw_episodes"] = _sw_episodes(store, ep, start, end, dob)
    tables["oc3"] = pd.DataFrame({
        "CHILD": str_values(cl["child_id"]),
        "DOB": fmt_dates(dob.reindex(cl["child_id"])),
        "IN_TOUCH": str_values(cl["in_touch"]),
        "ACTIV": str_values(cl["activity"]),
        "ACCOM": str_values(cl["accommodation"]),
    }, columns=list(SSDA903_MORE_COLUMNS["oc3"]), dtype=object)
    return tables


def _sw_episodes(store: CaseStore, ep: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                 dob: pd.Series) -> pd.DataFrame:
    """The social worker episodes table of one year: the allocations of each child looked after
    in the year that overlap the child's time in care within it (``SW_DEC`` and ``SW_REASON``
    blank when the allocation ends after the reference date)."""
    cols = SSDA903_MORE_COLUMNS["sw_episodes"]
    if ep.empty:
        return pd.DataFrame({c: [] for c in cols}, dtype=object)
    care = pd.DataFrame({"child_id": ep["child_id"].to_numpy(), "decom": ep["decom"].to_numpy(),
                         "dec": ep["dec"].fillna(end).clip(upper=end).to_numpy()})
    care = care.groupby("child_id", sort=False).agg(care_from=("decom", "min"), care_to=("dec", "max"))
    care["care_from"] = care["care_from"].clip(lower=start)
    al = store["allocations"]
    al = al.loc[al["child_id"].isin(care.index)].join(care, on="child_id")
    al = al.loc[(al["start_date"] <= al["care_to"]) & (al["end_date"].isna() | (al["end_date"] >= al["care_from"]))]
    al = al.loc[~(al["end_date"] <= al["start_date"])]  # nobody held the case: not an episode
    al = al.sort_values(["child_id", "start_date", "allocation_id"], kind="mergesort")
    # one episode per worker: a run of allocations of the same worker (split at a team change)
    child, worker = al["child_id"].astype(object).to_numpy(), al["worker_id"].astype(object).to_numpy()
    same = np.r_[False, (child[1:] == child[:-1]) & (worker[1:] == worker[:-1])]
    run = np.cumsum(~same)
    al = al.assign(_run=run).groupby("_run", sort=True).agg(
        child_id=("child_id", "first"), worker_id=("worker_id", "first"), start_date=("start_date", "first"),
        end_date=("end_date", lambda e: e.iloc[-1]), end_reason=("end_reason", "last"))
    al = al.drop_duplicates(["child_id", "start_date"], keep="last")
    ended = (al["end_date"].notna() & (al["end_date"] <= end)).to_numpy()
    reason = str_values(al["end_reason"])
    reason[~ended] = ""
    # SW_REASON is required for every ended episode (lac2024_25 rule SW13STG1)
    reason[ended & (reason == "")] = "OTHERS"
    return pd.DataFrame({
        "CHILD": str_values(al["child_id"]),
        "DOB": fmt_dates(dob.reindex(al["child_id"])),
        "SW_ID": str_values(al["worker_id"]),
        "SW_DECOM": fmt_dates(al["start_date"]),
        "SW_DEC": fmt_dates(al["end_date"], after=end),
        "SW_REASON": reason,
    }, columns=list(cols), dtype=object)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write an all-string frame as a plain CSV (LF line endings, header row, no index)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


#: Where each table's rows go in the XML form: header fields (``HEADER``), a block inside the
#: header, or a block of ``CHILD`` (csc-validator-be-903 ``lac_validator/ingress.py``).
_XML_HEADER_TABLES = ("uasc", "oc3")
_XML_BLOCKS: dict[str, tuple[str, str]] = {
    "reviews": ("HEADER", "AREVIEW"), "missing": ("HEADER", "AMISSING"),
    "episodes": ("CHILD", "EPISODE"), "sw_episodes": ("CHILD", "SWEPISODE"),
}
_XML_NAMES = {"CHILD": "CHILDID", "PLACE": "PL"}
#: Columns the XML form carries once per child (in the header), not in each block.
_PER_CHILD = ("CHILD", "SEX", "DOB")


def _leaf(parent, name: str, value: str) -> None:
    from lxml import etree

    if value != "":
        etree.SubElement(parent, _XML_NAMES.get(name, name)).text = value


def build_903_xml(tables: dict[str, pd.DataFrame]) -> bytes:
    """One year's 903 tables as the XML form (root ``<EXPSSDA903>``, one ``<CHILD>`` per header
    row, dates as written in the CSV form, blanks left out). The reader gives back the same rows."""
    from lxml import etree

    root = etree.Element("EXPSSDA903")
    by_child: dict[str, dict[str, list[dict[str, str]]]] = {}
    for name, df in tables.items():
        if name == "header" or not len(df):
            continue
        for rec in df.to_dict(orient="records"):
            by_child.setdefault(rec["CHILD"], {}).setdefault(name, []).append(rec)
    for head in tables["header"].to_dict(orient="records"):
        child = etree.SubElement(root, "CHILD")
        header = etree.SubElement(child, "HEADER")
        for c, v in head.items():
            _leaf(header, c, v)
        rows = by_child.get(head["CHILD"], {})
        for name in _XML_HEADER_TABLES:
            for rec in rows.get(name, [])[:1]:
                if name == "uasc":
                    _leaf(header, "UASC", "1")
                for c, v in rec.items():
                    if c not in _PER_CHILD:
                        _leaf(header, c, v)
        for name, (where, tag) in _XML_BLOCKS.items():
            for rec in rows.get(name, []):
                block = etree.SubElement(header if where == "HEADER" else child, tag)
                for c, v in rec.items():
                    if c not in _PER_CHILD:
                        _leaf(block, c, v)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_ssda903(
    store: CaseStore,
    out_dir: Path,
    collection_years: Iterable[int],
    *,
    faults: MessyInjector | None = None,
    form: str = "csv",
) -> list[Path]:
    """Write ``out_dir/ssda903/<label>/<table>.csv`` for each collection year; return the paths.

    ``form="xml"`` writes ``out_dir/ssda903/<label>/ssda903_<label>.xml`` instead (the same rows,
    see :func:`build_903_xml`). ``faults`` (a :class:`driftflag.synth.messy.MessyInjector`) gets
    each year's tables after they are built and before they are written, and returns the frames
    to write (CSV form only).
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    for year in sorted(set(collection_years)):
        folder = f"ssda903/{collection_label(year)}"
        tables = build_903_tables(store, year)
        if form == "xml":
            path = out_dir / folder / f"ssda903_{collection_label(year)}.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(build_903_xml(tables))
            written.append(path)
            continue
        if faults is not None:
            tables = faults.ssda903(tables, folder=folder)
        for name in tables:
            path = out_dir / folder / f"{name}.csv"
            write_csv(tables[name], path)
            written.append(path)
    return written
