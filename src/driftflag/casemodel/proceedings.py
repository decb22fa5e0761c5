"""Care proceedings derived from the 903 legal statuses (interim care order to final order).

No return records care proceedings as such before the 2025-26 CIN census (``CourtAppDate``),
but every looked-after child's 903 episodes carry the legal status: an interim care order
(``LS = C1``) runs from the first hearing after the application until the final order
(data-standards.md §4: "ICO start -> FCO / placement order"). Without this derivation the
``care_proceedings`` table stays empty, so the 26-week indicator and milestone never fire.

Rules (one period of care at a time, episodes ordered by DECOM):

* a period of care starts at a child's first episode, at ``RNE = S``, after an episode whose
  ``REC`` is not ``X1`` (care ended) or after a gap (the previous DEC is before this DECOM);
* consecutive ``C1`` episodes of one period form one set of proceedings; its
  ``application_date`` is the first one's DECOM (the proxy: the application itself is a few
  days earlier);
* it ends (``final_order_date``) at the DECOM of the next episode of the same period, whose
  legal status gives the order (``C2`` care order, ``E1``/``D1`` placement order, anything else
  no order); or, when no episode follows in the period, at the last ``C1`` episode's DEC, the
  order read from the reason care ended (special guardianship, child arrangements); a blank
  DEC means the proceedings are still open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FINAL_ORDER_BY_LS", "FINAL_ORDER_BY_REC", "INTERIM_CARE_ORDER", "care_proceedings_from_903",
           "with_derived_proceedings"]

INTERIM_CARE_ORDER = "C1"
_CONTINUES = "X1"

#: Legal status of the episode after the interim order -> the final order it stands for.
FINAL_ORDER_BY_LS: dict[str, str] = {
    "C2": "Care order", "E1": "Placement order", "D1": "Placement order",
}
#: Reason care ended at the final order -> the order (other reasons leave the order unknown).
FINAL_ORDER_BY_REC: dict[str, str] = {
    "E45": "Special guardianship order", "E46": "Special guardianship order",
    "E41": "Child arrangements order", "E47": "Child arrangements order",
    "E48": "Child arrangements order",
}
_NO_ORDER = "No order"


def _text(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "").astype(str)


def care_proceedings_from_903(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per run of interim care order episodes, as canonical ``care_proceedings`` rows.

    ``episodes`` is the canonical ``lac_episodes`` table (``child_id``, ``decom``, ``dec``,
    ``rne``, ``ls``, ``rec``; a ``known_from`` column, when present, is carried from the run's
    first episode). ``proceedings_id`` is ``<child_id>:<yyyymmdd of application>:903``.
    """
    from driftflag.casemodel.schema import CARE_PROCEEDINGS, conform

    need = ["child_id", "decom", "dec", "rne", "ls", "rec"]
    if episodes is None or episodes.empty or not set(need) <= set(episodes.columns):
        return CARE_PROCEEDINGS.empty()
    extra = [c for c in ("known_from",) if c in episodes.columns]
    e = episodes.loc[episodes["child_id"].notna() & episodes["decom"].notna(), need + extra]
    e = e.sort_values(["child_id", "decom"], kind="mergesort").reset_index(drop=True)
    child = _text(e["child_id"]).to_numpy()
    ls, rne, rec = (_text(e[c]).to_numpy() for c in ("ls", "rne", "rec"))
    decom = e["decom"].to_numpy("datetime64[ns]")
    dec = e["dec"].to_numpy("datetime64[ns]")
    n = len(e)
    if n == 0:
        return CARE_PROCEEDINGS.empty()

    prev = np.r_[-1, np.arange(n - 1)]
    first_of_child = np.r_[True, child[1:] != child[:-1]]
    prev_rec = np.where(first_of_child, "", rec[prev])
    prev_dec = np.where(first_of_child, np.datetime64("NaT"), dec[prev])
    care_ended = (prev_rec != "") & (prev_rec != _CONTINUES)
    gap = ~np.isnat(prev_dec) & (prev_dec < decom)
    new_period = first_of_child | (rne == "S") | care_ended | gap

    is_ico = ls == INTERIM_CARE_ORDER
    prev_ico = np.r_[False, is_ico[:-1]]
    run_start = is_ico & (new_period | ~prev_ico)
    next_in_period = np.r_[~new_period[1:], False]
    run_last = is_ico & ~(next_in_period & np.r_[is_ico[1:], False])
    starts = np.flatnonzero(run_start)
    lasts = np.flatnonzero(run_last)  # one per run, in the same order as ``starts``
    follow = next_in_period[lasts]
    nxt = np.minimum(lasts + 1, n - 1)

    end = np.where(follow, decom[nxt], dec[lasts])
    by_ls = np.array([FINAL_ORDER_BY_LS.get(c, _NO_ORDER) for c in ls[nxt]], dtype=object)
    by_rec = np.array([FINAL_ORDER_BY_REC.get(c) for c in rec[lasts]], dtype=object)
    order = np.where(follow, by_ls, by_rec)
    order = np.where(np.isnat(end), None, order)

    app = pd.Series(decom[starts])
    out = pd.DataFrame({
        "proceedings_id": pd.Series(child[starts]) + ":" + app.dt.strftime("%Y%m%d") + ":903",
        "child_id": child[starts],
        "application_date": app,
        "final_order_date": pd.Series(end, dtype="datetime64[ns]"),
        "final_order": order,
    })
    res = conform(out, CARE_PROCEEDINGS)
    for c in extra:
        res[c] = e[c].to_numpy()[starts]
    return res


def with_derived_proceedings(recorded: pd.DataFrame | None, episodes: pd.DataFrame | None) -> pd.DataFrame:
    """``recorded`` care proceedings plus those derived from ``episodes`` for other children.

    A council's own record of proceedings (a canonical ``care_proceedings`` table) is better
    than the 903 proxy, so a child with any recorded proceedings keeps exactly those.
    """
    derived = care_proceedings_from_903(episodes) if episodes is not None else None
    if recorded is None or recorded.empty:
        return derived if derived is not None else _empty()
    if derived is None or derived.empty:
        return recorded
    have = pd.Index(recorded["child_id"].astype(object))
    extra = derived.loc[~derived["child_id"].astype(object).isin(have)]
    return pd.concat([recorded, extra], ignore_index=True)


def _empty() -> pd.DataFrame:
    from driftflag.casemodel.schema import CARE_PROCEEDINGS

    return CARE_PROCEEDINGS.empty()
