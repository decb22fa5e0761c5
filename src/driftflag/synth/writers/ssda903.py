"""SSDA903 (children looked after) return: one folder of CSV tables per collection year.

Layout: ``DIR/ssda903/<label>/{header,episodes,uasc,missing,reviews}.csv`` (label ``2025-26`` for
collection year 2026), with exactly the columns of data-standards.md §2.1 and dates as
``%d/%m/%Y``.

Which rows go into collection year ``Y`` (1 April ``Y-1`` - 31 March ``Y``):

* **episodes**: episodes overlapping the year (``DECOM <= 31/03/Y`` and ``DEC`` blank or
  ``>= 01/04/Y-1``). Nothing after the reference date 31 March ``Y`` is written: a ``DEC`` after
  it is blank and so is its ``REC`` (the episode was open at the census date).
* **header**: children with an episode in that year's episodes file.
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
    """Build the five 903 tables of one collection year as all-string frames.

    Keys are ``header, episodes, uasc, missing, reviews``; each frame has exactly the return's
    columns (:data:`COLUMNS`), ``""`` for blanks.
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

    child_ids = pd.unique(ep["child_id"])  # sorted, because ep is sorted by child_id
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

    return {"header": header, "episodes": episodes, "uasc": uasc, "missing": missing,
            "reviews": reviews}


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write an all-string frame as a plain CSV (LF line endings, header row, no index)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_ssda903(
    store: CaseStore,
    out_dir: Path,
    collection_years: Iterable[int],
    *,
    faults: MessyInjector | None = None,
) -> list[Path]:
    """Write ``out_dir/ssda903/<label>/<table>.csv`` for each collection year; return the paths.

    ``faults`` (a :class:`driftflag.synth.messy.MessyInjector`) gets each year's tables after they
    are built and before they are written, and returns the frames to write.
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    for year in sorted(set(collection_years)):
        folder = f"ssda903/{collection_label(year)}"
        tables = build_903_tables(store, year)
        if faults is not None:
            tables = faults.ssda903(tables, folder=folder)
        for name in TABLES:
            path = out_dir / folder / f"{name}.csv"
            write_csv(tables[name], path)
            written.append(path)
    return written
