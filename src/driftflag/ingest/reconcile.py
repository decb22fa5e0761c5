"""Reconcile the same child or event arriving from several files and returns: keys and precedence.

Each canonical table has a *natural key* (:data:`NATURAL_KEYS`: the child and the event's
defining date, as in liia-tools' de-duplication keys, data-standards.md §1.2 and §2.3) because
the returns carry no event identifiers. Rows sharing a key are one record:

1. **Within one file**, an identical row is a ``duplicate_row``; a row with the same key and
   different values is an error (``duplicate_key``, quarantined) except where a return repeats
   a record by design (Annex A repeats the child on every list; latest visits and allocations).
2. **Within one return type**, the row from the newest collection year replaces older ones
   (``resubmitted``): a 903 episode open at 31 March is resubmitted next year with its end date
   (liia-tools ``RULE_1``/``RULE_3``/``RULE_3A``); a CIN episode likewise.
3. **Across return types**, the row of the return with the highest precedence
   (:data:`PRECEDENCE`) is kept and its blank columns are filled from the others
   (``other_source``), so e.g. Annex A's ``child_seen`` joins the CIN census assessment.

Identifiers the returns do not carry are built from the natural key
(``<child_id>:<yyyymmdd>``), so the same inputs always give the same ids.

Knowledge dates: each record's ``known_from`` is the earliest date any of its rows became known
(a full-history row on its event date, an Annex A row on its extract date, never before a
block's first collection), so a referral in both the CIN census and an Annex A is known from
its referral date and a visit seen only in Annex A extracts from the first extract showing it.
Annex A allocations are snapshots: :func:`allocation_runs` turns the observations of successive
extracts into allocations valid from one extract to the next change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.casemodel.keys import NATURAL_KEYS  # re-exported: ingest uses rc.NATURAL_KEYS
from driftflag.ingest._common import large_text, lexsort_order

#: Lower wins. A council's own canonical extract first; then the return that is the statutory
#: source of the table (CIN census for referrals and plans, 903 for care episodes); Annex A
#: fills what only it carries (child seen, seen alone, ICPC outcome, visits, allocations).
PRECEDENCE: dict[str, int] = {"canonical": 0, "cin": 1, "ssda903": 2, "ssda903-uasc": 3, "annex-a": 4,
                              "audits": 5}

#: Annex A repeats these by design; a differing repeat is not an error.
REPEATS_OK_ANNEX = frozenset({"children", "visits", "allocations", "cp_reviews", "lac_reviews"})

#: Key -> generated id: (id column, date column used in the id, extra key column).
ID_RULES: dict[str, tuple[str, str, str | None]] = {
    "referrals": ("referral_id", "referral_date", None),
    "assessments": ("assessment_id", "start_date", None),
    "section47": ("s47_id", "start_date", None),
    "cin_plans": ("cin_plan_id", "start_date", None),
    "cp_plans": ("cp_plan_id", "start_date", None),
    "lac_episodes": ("episode_id", "decom", None),
    "missing_episodes": ("missing_id", "start_date", "missing_type"),
    "pre_proceedings": ("pp_id", "start_date", None),
    "care_proceedings": ("proceedings_id", "application_date", None),
    "visits": ("visit_id", "visit_date", "visit_type"),
    "allocations": ("allocation_id", "start_date", "worker_id"),
    "sw_episodes": ("sw_episode_id", "start_date", None),
}


#: The event date of each table: a full-history row is known from it.
EVENT_DATE: dict[str, str] = {
    "referrals": "referral_date", "assessments": "start_date", "section47": "start_date",
    "cin_plans": "start_date", "cp_plans": "start_date", "cp_reviews": "review_date",
    "lac_episodes": "decom", "lac_reviews": "review_date", "missing_episodes": "start_date",
    "pre_proceedings": "start_date", "care_proceedings": "application_date", "visits": "visit_date",
    "allocations": "start_date", "workers": "start_date", "audits": "audit_date",
    "sw_episodes": "start_date", "care_leavers": "birthday_date", "health_outcomes": "year_ending",
    "adoptions": "decision_date", "placed_for_adoption": "placed_date",
}


def row_known_from(table: str, df: pd.DataFrame) -> pd.Series:
    """When each staged row became known: a ``known_from`` the source gave, else ``_known`` (the
    extract date of a snapshot source), else the event date; never before ``_floor``."""
    nat = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    k = df["known_from"] if "known_from" in df.columns else nat
    if "_known" in df.columns:
        k = k.fillna(df["_known"])
    ev = EVENT_DATE.get(table)
    if ev is not None and ev in df.columns:
        k = k.fillna(df[ev])
    if "_floor" in df.columns:
        floor = pd.to_datetime(df["_floor"])
        k = k.where(~(floor > k).fillna(False), floor)
    return pd.to_datetime(k).astype("datetime64[ns]")


def allocation_runs(df: pd.DataFrame, *, decided: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Annex A allocation observations (one per child and extract, starting on the extract date)
    as runs: an observation with the same team and worker as the child's previous one continues
    that allocation (a ``repeated`` duplicate); a change starts a new allocation on its extract
    date and ends the previous one then (a slowly changing dimension). Rows from other sources
    are returned unchanged. Returns (rows kept, duplicates)."""
    if df.empty or "_format" not in df.columns:
        return df, df.iloc[0:0].assign(reason=pd.Series([], dtype="str"))
    snap = (df["_format"] == "annex-a").to_numpy()
    a = df.loc[snap].sort_values(["child_id", "start_date", "_source_file", "_seq"], kind="mergesort")
    if a.empty:
        return df, df.iloc[0:0].assign(reason=pd.Series([], dtype="str"))
    child = a["child_id"].astype(object).to_numpy()
    same_child = np.r_[False, child[1:] == child[:-1]]
    same_day = np.r_[False, a["start_date"].to_numpy()[1:] == a["start_date"].to_numpy()[:-1]] & same_child
    who = (a["team"].astype(object).astype(str) + "\x1f" + a["worker_id"].astype(object).astype(str)).to_numpy()
    same_who = np.r_[False, who[1:] == who[:-1]]
    # two workbooks with the same extract date: the first observation stands
    cont = same_child & (same_who | same_day)
    if decided:
        cont = np.zeros(len(a), dtype=bool)
    kept = a.loc[~cont].copy()
    nxt_child = kept["child_id"].astype(object).shift(-1)
    nxt_start = kept["start_date"].shift(-1)
    ends = nxt_start.where(nxt_child == kept["child_id"].astype(object))
    kept["end_date"] = kept["end_date"].fillna(ends) if "end_date" in kept.columns else ends
    dups = a.loc[cont].assign(reason="repeated")
    out = pd.concat([df.loc[~snap], kept], ignore_index=True)
    return out, dups


def children_known_from(accepted: dict[str, pd.DataFrame]) -> None:
    """A child is known from the first of: its own rows' knowledge dates and the earliest
    ``known_from`` of any of its events (a 903 header or CIN child record has no date of its own)."""
    kids = accepted.get("children")
    if kids is None or kids.empty:
        return
    firsts = [df[["child_id", "known_from"]] for t, df in accepted.items()
              if t != "children" and "child_id" in df.columns and "known_from" in df.columns and len(df)]
    own = kids["known_from"] if "known_from" in kids.columns else pd.Series(pd.NaT, index=kids.index)
    if firsts:
        ev = pd.concat(firsts, ignore_index=True).groupby("child_id")["known_from"].min()
        first = kids["child_id"].astype(object).map(ev)
        own = pd.concat([pd.to_datetime(own), pd.to_datetime(first)], axis=1).min(axis=1)
    kids["known_from"] = pd.to_datetime(own).astype("datetime64[ns]")


def key_id(child: pd.Series, when: pd.Series, extra: pd.Series | None = None) -> pd.Series:
    """``<child_id>:<yyyymmdd>[:<extra>]``; missing when a part is missing.

    What ``child.astype("str") + ":" + when.dt.strftime("%Y%m%d") [+ ":" + extra.astype("str")]``
    gives, built without pandas' per-row date formatting (a third of the checking of an Annex A
    extract's events went to it): the date as the integer YYYYMMDD from numpy's calendar units,
    cast to text and joined by one pyarrow kernel (tests/ingest/test_reconcile_fast.py)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    day = _yyyymmdd_text(when)
    if day is None:  # not a plain datetime column: pandas' own formatting
        s = child.astype("str") + ":" + when.dt.strftime("%Y%m%d")
        return s + ":" + extra.astype("str") if extra is not None else s
    parts = [large_text(child.astype("str")), day]
    if extra is not None:
        parts.append(large_text(extra.astype("str")))
    joined = pc.binary_join_element_wise(*parts, pa.scalar(":", pa.large_string()))
    names = {child.name, when.name} | ({extra.name} if extra is not None else set())
    return pd.Series(pd.array(joined, dtype=child.astype("str").dtype), index=child.index,
                     name=child.name if len(names) == 1 else None)


def _yyyymmdd_text(when: pd.Series):
    """``when.dt.strftime("%Y%m%d")`` as a pyarrow ``large_string`` array (NaT -> null), or None
    where that shortcut does not hold: not a time-zone-naive datetime column, or a year
    outside 1000-9999 (``%Y`` does not write four digits there)."""
    import pyarrow as pa

    if not (isinstance(when.dtype, np.dtype) and when.dtype.kind == "M"):
        return None
    v = when.to_numpy()
    nat = np.isnat(v)
    years = v.astype("datetime64[Y]")
    months = v.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    if ((y[~nat] < 1000) | (y[~nat] > 9999)).any():
        return None
    m = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    d = (v.astype("datetime64[D]") - months.astype("datetime64[D]")).astype(np.int64) + 1
    number = np.where(nat, 0, y * 10000 + m * 100 + d)
    return pa.array(number, mask=nat).cast(pa.large_string())


def add_ids(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Fill the table's generated identifiers (kept when the source supplied them)."""
    rule = ID_RULES.get(table)
    if rule is not None:
        col, when, extra = rule
        made = key_id(df["child_id"], df[when], df[extra] if extra else None)
        df[col] = df[col].fillna(made) if col in df.columns else made
    if "_ref_date" in df.columns:
        made = key_id(df["child_id"], df["_ref_date"])
        df["referral_id"] = df["referral_id"].fillna(made) if "referral_id" in df.columns else made
    if table == "cp_reviews" and "_cp_start" in df.columns:
        made = key_id(df["child_id"], df["_cp_start"])
        df["cp_plan_id"] = df["cp_plan_id"].fillna(made) if "cp_plan_id" in df.columns else made
    return df


def _value_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if not c.startswith("_")]


def within_file(table: str, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Masks (exact duplicate rows, same key with different values) within each source file.

    An exact duplicate shares its key with the row it repeats, so both masks are decided among
    the rows whose key occurs more than once in their file: comparing every value column of
    every row was a tenth of the checking of an Annex A extract, where nearly every key is
    unique. Same masks as ``df.duplicated`` over all the rows (tests/ingest/test_reconcile_fast.py)."""
    if df.empty:
        z = np.zeros(0, dtype=bool)
        return z, z
    where = ["_source_file", "_source_table"]
    key = [k for k in NATURAL_KEYS[table] if k in df.columns]
    exact = np.zeros(len(df), dtype=bool)
    clash = np.zeros(len(df), dtype=bool)
    shared = df.duplicated(subset=where + key, keep=False).to_numpy()
    if shared.any():
        sub = df.loc[shared]
        sub_exact = sub.duplicated(subset=where + _value_columns(df), keep="first").to_numpy()
        exact[shared] = sub_exact
        clash[shared] = sub.duplicated(subset=where + key, keep="first").to_numpy() & ~sub_exact
    if table in REPEATS_OK_ANNEX:
        clash &= (df["_format"] != "annex-a").to_numpy()
    return exact, clash


def order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in precedence order: return type, newest year first, then file and position.

    The stable order ``sort_values`` gives on those five keys (blanks last), found with one
    ``np.lexsort`` of integer keys: each text key ranked through its distinct values, the
    return type mapped on its distinct values. Why: sorting millions of rows (the Annex A
    children at 150,000 children) by their texts, and mapping every row's format through a
    dictionary, was a third of reconciling."""
    return df.take(order_positions(df))


def order_positions(df: pd.DataFrame) -> np.ndarray:
    """The positions of ``df``'s rows in precedence order (what :func:`order` takes)."""
    fmt_codes, fmts = pd.factorize(df["_format"], use_na_sentinel=True)
    ranks = np.r_[np.array([PRECEDENCE.get(f, 9) for f in fmts], dtype=np.int64), np.int64(9)]
    keys = [ranks[fmt_codes], _sort_rank(-df["_year"]), _sort_rank(df["_source_file"]),
            _sort_rank(df["_source_table"]), _sort_rank(df["_seq"])]
    return lexsort_order(keys)


def _taken(df: pd.DataFrame, at: np.ndarray, known_from: np.ndarray, columns) -> pd.DataFrame:
    """``df``'s rows at ``at`` with their ``known_from`` (in place of the one staged, else last),
    of ``columns`` only: what taking the rows in order, then these, gave."""
    own = [c for c in columns if c != "known_from"]
    out = df[own].take(at)
    if "known_from" in columns:
        out["known_from"] = known_from
        out = out[list(columns)]
    return out


def group_ids(columns: list) -> np.ndarray:
    """One integer per row naming its combination of ``columns``' values (equal values, blanks
    included, the same number; in order of first appearance): what ``groupby(columns,
    dropna=False)`` groups by, as integers any later grouping takes at once."""
    n = len(columns[0])
    out = np.zeros(n, dtype=np.int64)
    for col in columns:
        codes, distinct = pd.factorize(col, use_na_sentinel=False)
        out = pd.factorize(out * (len(distinct) + 1) + codes.astype(np.int64))[0].astype(np.int64)
    return out


def _sort_rank(s: pd.Series) -> np.ndarray:
    """Each row's place in ``sort_values``' order of ``s`` (blanks last): integers as they are,
    a categorical by its codes (its categories' order), anything else by its sorted distinct
    values."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu":
        return s.to_numpy()
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64)
        return np.where(codes < 0, len(s.cat.categories), codes)
    codes, _ = pd.factorize(s, sort=True, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    return np.where(codes < 0, codes.max(initial=-1) + 1, codes)


def reconcile(table: str, df: pd.DataFrame,
              duplicate_columns: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Collapse rows sharing a natural key into one record.

    Returns ``(accepted, duplicates)``: ``accepted`` holds one row per key (the winning row with
    blanks filled from lower-precedence return types; ``_src`` is the winner's); ``duplicates``
    the other rows with a ``reason`` (``resubmitted``, ``repeated`` or ``other_source``), with
    only those of ``duplicate_columns`` they have, if given. Why: the ingest reports a duplicate
    by its provenance alone, and the whole rows of a large table's duplicates (the census's
    referrals, repeated in every year's return) were copied only to be cut down to it.
    """
    if df.empty:
        return df, df.assign(reason=pd.Series([], dtype="str"))
    key = list(NATURAL_KEYS[table])
    # the rows in precedence order as positions: each result takes its own rows once (not every
    # row of every column copied into order first: at 150,000 children the referrals' copies,
    # in order, kept and filled, were the settling's peak together)
    o = order_positions(df)
    # each row's key, and its key and return type, numbered once (blanks a value of their own,
    # as groupby's dropna=False has them): every grouping below is by these integers, not by
    # the key's texts hashed again for each (four times over a large table's rows)
    gid = group_ids([df[k].take(o) for k in key])
    gid_fmt = group_ids([gid, df["_format"].take(o)])
    known = row_known_from(table, df).take(o)
    known_from = known.groupby(gid, sort=False).transform("min").to_numpy() if len(df) else known.to_numpy()
    same_fmt = pd.Series(gid_fmt).duplicated(keep="first").to_numpy()
    year = df["_year"].take(o)
    first_year = year.groupby(gid_fmt, sort=False).transform("first")
    reason_same = np.where(year.to_numpy() != first_year.to_numpy(), "resubmitted", "repeated")
    with_known = df.columns.append(pd.Index(["known_from"])).unique()
    report = with_known if duplicate_columns is None else [c for c in duplicate_columns if c in with_known]
    dups = [_taken(df, o[same_fmt], known_from[same_fmt], report).assign(reason=reason_same[same_fmt])]
    kept = _taken(df, o[~same_fmt], known_from[~same_fmt], with_known)
    del df, known, year, first_year
    gid = gid[~same_fmt]
    if kept["_format"].nunique() > 1:
        cross = pd.Series(gid).duplicated(keep="first").to_numpy()
        dups.append(kept.loc[cross, report].assign(reason="other_source"))
        if cross.any():
            cols = [c for c in kept.columns if c not in key and not c.startswith("_")]
            # blanks filled from the key's other rows, by key number (what is filled only)
            filled = kept[cols].groupby(gid, sort=False).first()
            winners = kept.loc[~cross].set_index(key)
            aligned = filled.loc[gid[~cross], cols]
            for c in cols:  # column by column, in the kept rows' dtypes (no frame of objects)
                winners[c] = aligned[c].astype(kept[c].dtype).array
            kept = winners.reset_index()
        else:
            kept = kept.loc[~cross]
    return kept.reset_index(drop=True), pd.concat(dups, ignore_index=True)


#: Annex A's list 8 asks about the child's last missing episode "in the last 12 months".
_RHI_LOOKBACK = pd.DateOffset(months=12)


def missing_rhi_from_extracts(missing: pd.DataFrame, children_rows: pd.DataFrame) -> pd.DataFrame:
    """Fill the return home interview fields of 903 missing episodes from Annex A extracts.

    Annex A list 8 says, on each extract date, whether the child was offered (and accepted) a
    return home interview after their *last* missing episode. Each such answer belongs to the
    child's latest missing (type M) episode started on or before the extract date and within
    the 12 months before it. The first extract answering for an episode gives its values and
    ``rhi_known_from`` (its extract date): the interview fields are known only from then,
    although the episode itself is known from its start date (the 903 is a full history).
    Episodes no extract answered for keep blank fields (not recorded, never "not offered");
    fields a source already gave are kept.

    ``children_rows`` are the staged ``children`` rows of every source, before reconciliation:
    the list 8 rows carry ``_rhi_offered``/``_rhi_accepted`` (``"true"``/``"false"``) and
    ``_known`` (their extract date).
    """
    need = {"_rhi_offered", "_rhi_accepted", "_known", "child_id"}
    if missing is None or missing.empty or children_rows is None or need - set(children_rows.columns):
        return missing
    obs = children_rows.loc[children_rows["_rhi_offered"].notna() | children_rows["_rhi_accepted"].notna(),
                            ["child_id", "_known", "_rhi_offered", "_rhi_accepted"]]
    obs = obs.dropna(subset=["child_id", "_known"])
    if obs.empty:
        return missing
    obs = obs.assign(child_id=obs["child_id"].astype(str), _known=pd.to_datetime(obs["_known"]))
    out = missing.copy()
    for c in ("rhi_offered", "rhi_accepted"):
        if c not in out.columns:
            out[c] = pd.Series(pd.NA, index=out.index, dtype="boolean")
    if "rhi_known_from" not in out.columns:
        out["rhi_known_from"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    ms = out.loc[(out["missing_type"].astype(str) == "M") & out["start_date"].notna(),
                 ["child_id", "start_date"]]
    ms = ms.assign(child_id=ms["child_id"].astype(str), _row=ms.index,
                   start_date=pd.to_datetime(ms["start_date"]).astype("datetime64[ns]"))
    left = obs.sort_values("_known", kind="mergesort").assign(
        _known=lambda d: d["_known"].astype("datetime64[ns]"))
    m = pd.merge_asof(left, ms.sort_values("start_date", kind="mergesort"), left_on="_known",
                      right_on="start_date", by="child_id", direction="backward")
    m = m.dropna(subset=["_row"])
    m = m.loc[m["start_date"] > m["_known"] - _RHI_LOOKBACK]
    first = m.sort_values(["_row", "_known"], kind="mergesort").drop_duplicates("_row")
    rows = first["_row"].astype(np.int64).to_numpy()
    blank = out.loc[rows, "rhi_offered"].isna().to_numpy() & out.loc[rows, "rhi_accepted"].isna().to_numpy()
    rows, first = rows[blank], first.loc[blank]

    def as_bool(s: pd.Series) -> pd.Series:
        return s.map({"true": True, "false": False, True: True, False: False}).astype("boolean")

    out.loc[rows, "rhi_offered"] = as_bool(first["_rhi_offered"]).to_numpy()
    out.loc[rows, "rhi_accepted"] = as_bool(first["_rhi_accepted"]).to_numpy()
    out.loc[rows, "rhi_known_from"] = first["_known"].to_numpy()
    return out
