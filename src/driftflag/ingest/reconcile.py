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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "children": ("child_id",),
    "referrals": ("child_id", "referral_date"),
    "assessments": ("child_id", "start_date"),
    "section47": ("child_id", "start_date"),
    "cin_plans": ("child_id", "start_date"),
    "cp_plans": ("child_id", "start_date"),
    "cp_reviews": ("child_id", "cp_plan_id", "review_date"),
    "lac_episodes": ("child_id", "decom"),
    "lac_reviews": ("child_id", "review_date"),
    "missing_episodes": ("child_id", "start_date", "missing_type"),
    "pre_proceedings": ("child_id", "start_date"),
    "care_proceedings": ("child_id", "application_date"),
    "visits": ("child_id", "visit_type", "visit_date"),
    "allocations": ("child_id", "team", "worker_id", "start_date"),
    "workers": ("worker_id",),
    "audits": ("audit_id",),
}

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
}


def key_id(child: pd.Series, when: pd.Series, extra: pd.Series | None = None) -> pd.Series:
    """``<child_id>:<yyyymmdd>[:<extra>]``; missing when a part is missing."""
    s = child.astype("str") + ":" + when.dt.strftime("%Y%m%d")
    if extra is not None:
        s = s + ":" + extra.astype("str")
    return s


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
    """Masks (exact duplicate rows, same key with different values) within each source file."""
    if df.empty:
        z = np.zeros(0, dtype=bool)
        return z, z
    where = ["_source_file", "_source_table"]
    exact = df.duplicated(subset=where + _value_columns(df), keep="first").to_numpy()
    key = [k for k in NATURAL_KEYS[table] if k in df.columns]
    clash = df.duplicated(subset=where + key, keep="first").to_numpy() & ~exact
    if table in REPEATS_OK_ANNEX:
        clash &= (df["_format"] != "annex-a").to_numpy()
    return exact, clash


def order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in precedence order: return type, newest year first, then file and position."""
    rank = df["_format"].map(PRECEDENCE).fillna(9).astype(np.int64)
    return (df.assign(_rank=rank, _negyear=-df["_year"])
            .sort_values(["_rank", "_negyear", "_source_file", "_source_table", "_seq"], kind="mergesort")
            .drop(columns=["_rank", "_negyear"]))


def reconcile(table: str, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Collapse rows sharing a natural key into one record.

    Returns ``(accepted, duplicates)``: ``accepted`` holds one row per key (the winning row with
    blanks filled from lower-precedence return types; ``_src`` is the winner's); ``duplicates``
    the other rows with a ``reason`` (``resubmitted``, ``repeated`` or ``other_source``).
    """
    if df.empty:
        return df, df.assign(reason=pd.Series([], dtype="str"))
    key = list(NATURAL_KEYS[table])
    df = order(df)
    same_fmt = df.duplicated(subset=key + ["_format"], keep="first").to_numpy()
    first_year = df.groupby(key + ["_format"], sort=False, dropna=False)["_year"].transform("first")
    reason_same = np.where(df["_year"].to_numpy() != first_year.to_numpy(), "resubmitted", "repeated")
    kept = df.loc[~same_fmt]
    dups = [df.loc[same_fmt].assign(reason=reason_same[same_fmt])]
    if kept["_format"].nunique() > 1:
        cross = kept.duplicated(subset=key, keep="first").to_numpy()
        dups.append(kept.loc[cross].assign(reason="other_source"))
        if cross.any():
            filled = kept.groupby(key, sort=False, dropna=False).first()
            winners = kept.loc[~cross].set_index(key)
            cols = [c for c in winners.columns if not c.startswith("_")]
            winners[cols] = filled.loc[winners.index, cols].to_numpy() if len(cols) else winners[cols]
            for c in cols:  # restore dtypes lost by to_numpy on mixed frames
                winners[c] = winners[c].astype(kept[c].dtype)
            kept = winners.reset_index()
        else:
            kept = kept.loc[~cross]
    return kept.reset_index(drop=True), pd.concat(dups, ignore_index=True)
