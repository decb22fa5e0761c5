"""One small function per calibration measure, computed from tidy frames read from the returns.

Every function is pure: it takes frames already parsed from the return files (see
:mod:`driftflag.calibration._inputs` for the columns) and a collection year ``year``
(1 April ``year-1`` to 31 March ``year``, both days included), and returns a :class:`Measure`.
Shares are in percent. Targets and tolerances are in :data:`TARGETS`; each cites
``shared/reference/data-standards.md``.

Frames used (dates are ``datetime64``; missing dates are ``NaT``):

* ``referrals``: ``child_id``, ``referral_date`` (CIN census ``CINdetails``).
* ``cp_plans``: ``child_id``, ``start``, ``end``, ``initial_category`` (``ChildProtectionPlans``).
* ``episodes``: ``child_id``, ``decom``, ``dec``, ``rne``, ``ls``, ``rec``, ``collection_year``
  (903 episodes, all years combined, resubmissions removed).
* ``header``: ``child_id``, ``ethnic`` (903 header). ``missing``: ``child_id``, ``missing``,
  ``mis_start`` (903 missing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from driftflag.casemodel.codes import collection_year_bounds, ethnic_major_group

# --- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A national figure and the tolerance a synthetic LA must meet (``target ± tolerance``)."""

    key: str
    label: str
    target: float
    tolerance: float
    unit: str
    source: str

    @property
    def low(self) -> float:
        return self.target - self.tolerance

    @property
    def high(self) -> float:
        return self.target + self.tolerance


_PCT = "%"
_TARGET_LIST = (
    Target("rereferral_12m", "Re-referrals within 12 months", 22.6, 3.0, _PCT,
           "data-standards.md §6.1 (EES C1, 2025)"),
    Target("cp_ending_2y_plus", "CP plans ending: lasted 2 years or more", 4.4, 1.5, _PCT,
           "data-standards.md §6.1 (EES D7, 2025)"),
    Target("cp_ending_1_2y", "CP plans ending: lasted 1 to 2 years", 25.0, 5.0, _PCT,
           "data-standards.md §6.1 (EES D7, 2025)"),
    Target("cp_initial_neglect", "CP plans starting: initial category neglect", 50.0, 7.0, _PCT,
           "data-standards.md §6.1 (CPP starting 2025; A5 2020)"),
    Target("cp_initial_emotional", "CP plans starting: initial category emotional abuse", 35.0,
           7.0, _PCT, "data-standards.md §6.1 (CPP starting 2025; A5 2020)"),
    Target("cla_ethnicity_white", "CLA at 31 March: White", 71.0, 4.0, _PCT,
           "data-standards.md §6.2 (CLA 2025)"),
    Target("cla_ethnicity_mixed", "CLA at 31 March: Mixed", 11.0, 4.0, _PCT,
           "data-standards.md §6.2 (CLA 2025)"),
    Target("cla_ethnicity_black", "CLA at 31 March: Black", 8.0, 4.0, _PCT,
           "data-standards.md §6.2 (CLA 2025)"),
    Target("cla_ethnicity_asian", "CLA at 31 March: Asian", 5.0, 4.0, _PCT,
           "data-standards.md §6.2 (CLA 2025)"),
    Target("cla_ethnicity_other", "CLA at 31 March: Other (incl. Chinese)", 4.0, 4.0, _PCT,
           "data-standards.md §6.2 (CLA 2025)"),
    Target("cla_missing_share", "CLA during year who went missing", 11.0, 4.0, _PCT,
           "data-standards.md §6.2 (missing 2025, derived)"),
    Target("cla_missing_mean_incidents", "Missing incidents per child who went missing", 6.8, 2.0,
           "incidents", "data-standards.md §6.2 (missing 2025)"),
    Target("cla_3plus_placements_2y", "CLA 2+ years: 3 or more placements in 2 years", 23.0, 6.0,
           _PCT, "data-standards.md §6.2 (placement stability 2025)"),
    Target("care_proceedings_mean_weeks", "Care proceedings proxy (ICO run): mean weeks", 39.0, 7.0,
           "weeks", "data-standards.md §6.3 (MoJ 2025), proxy per §4"),
    Target("care_proceedings_within_26w", "Care proceedings proxy: within 26 weeks", 35.0, 10.0,
           _PCT, "data-standards.md §6.3 (MoJ 2025), proxy per §4"),
)
#: Every calibration target, by key, in report order.
TARGETS: dict[str, Target] = {t.key: t for t in _TARGET_LIST}

#: Days in the re-referral look-back: a previous referral at d-365 <= prev < d counts (§6.1).
REREFERRAL_WINDOW_DAYS = 365
#: CP plan length bands of EES D7 (§6.1): "1-2 years" is 365 <= days < 730, "2+ years" >= 730.
CP_ONE_YEAR_DAYS = 365
CP_TWO_YEARS_DAYS = 730
#: 903 RNE codes that mean a new placement (§2.2, §4 "Placement instability").
PLACEMENT_CHANGE_RNE = frozenset({"P", "T", "B", "U"})
#: The 26-week limit for care proceedings (Children and Families Act 2014; §6.3), in days.
CARE_PROCEEDINGS_LIMIT_DAYS = 182
#: The 903 REC code for "episode ceases and a new one begins" (care continues).
REC_CONTINUES = "X1"


@dataclass(frozen=True)
class Measure:
    """A computed figure: ``value`` (percent for shares) with its numerator and denominator.

    ``value`` is None when the denominator is zero or the data needed are absent; ``note`` says
    why.
    """

    value: float | None
    numerator: float
    denominator: float
    note: str = ""


def _share(numerator: int, denominator: int, note_if_empty: str) -> Measure:
    if denominator == 0:
        return Measure(None, numerator, denominator, note_if_empty)
    return Measure(100.0 * numerator / denominator, numerator, denominator)


def _bounds(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, end = collection_year_bounds(year)
    return pd.Timestamp(start), pd.Timestamp(end)


def _mask(values: pd.Series) -> pd.Series:
    """A plain numpy-backed boolean mask (missing -> False), whatever the input's dtype."""
    return pd.Series(values.fillna(False).to_numpy(dtype=bool), index=values.index)


def _in_year(dates: pd.Series, year: int) -> pd.Series:
    start, end = _bounds(year)
    return _mask(dates.between(start, end))


# --- CIN census -------------------------------------------------------------------------------


def rereferral_12m(referrals: pd.DataFrame, year: int) -> Measure:
    """Share of referrals in ``year`` that are re-referrals within 12 months (§6.1, EES C1).

    A referral of a child on day ``d`` is a re-referral when the same child had an earlier
    referral ``prev`` with ``d - 365 days <= prev < d`` (exactly 365 days before counts).
    Referrals are the distinct (``child_id``, ``referral_date``) pairs of all census years read;
    rows without a child id or a readable date are not counted.
    """
    r = referrals.dropna(subset=["child_id", "referral_date"])
    r = r.drop_duplicates(["child_id", "referral_date"]).sort_values(["child_id", "referral_date"])
    prev = r.groupby("child_id", sort=False)["referral_date"].shift(1)
    gap = (r["referral_date"] - prev).dt.days
    in_year = _in_year(r["referral_date"], year)
    is_re = _mask(gap <= REREFERRAL_WINDOW_DAYS)
    return _share(int((in_year & is_re).sum()), int(in_year.sum()), "no referrals in the year")


def _plans_ending(cp_plans: pd.DataFrame, year: int) -> pd.Series:
    """Durations in days of CP plans ending in ``year`` (readable start, end >= start)."""
    p = cp_plans[_in_year(cp_plans["end"], year)].dropna(subset=["start"])
    days = (p["end"] - p["start"]).dt.days
    return days[days >= 0]


def cp_ending_2y_plus(cp_plans: pd.DataFrame, year: int) -> Measure:
    """Share of CP plans ending in ``year`` that lasted 2 years or more, ``days >= 730`` (§6.1 D7).

    Duration is ``CPPendDate - CPPstartDate`` in days. Plans with an unreadable start date or
    ending before they start are left out of numerator and denominator.
    """
    days = _plans_ending(cp_plans, year)
    return _share(int((days >= CP_TWO_YEARS_DAYS).sum()), len(days), "no CP plans ended in the year")


def cp_ending_1_2y(cp_plans: pd.DataFrame, year: int) -> Measure:
    """Share of CP plans ending in ``year`` that lasted 1-2 years, ``365 <= days < 730`` (§6.1 D7)."""
    days = _plans_ending(cp_plans, year)
    n = int(((days >= CP_ONE_YEAR_DAYS) & (days < CP_TWO_YEARS_DAYS)).sum())
    return _share(n, len(days), "no CP plans ended in the year")


def cp_initial_category_share(cp_plans: pd.DataFrame, year: int, category: str) -> Measure:
    """Share of CP plans starting in ``year`` whose ``InitialCategoryOfAbuse`` is ``category`` (§6.1).

    The denominator is every plan starting in the year, including a blank or unknown category.
    """
    p = cp_plans[_in_year(cp_plans["start"], year)]
    n = int(_mask(p["initial_category"] == category).sum())
    return _share(n, len(p), "no CP plans started in the year")


# --- 903: who is looked after -----------------------------------------------------------------


def _open_at_year_end(episodes: pd.DataFrame) -> pd.Series:
    """31 March of each row's collection year: a blank DEC means open until at least then."""
    return pd.to_datetime(episodes["collection_year"].astype(str) + "-03-31")


def looked_after_on(episodes: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Mask of episodes covering ``day`` (end of day): ``DECOM <= day`` and ``DEC > day``.

    A blank ``DEC`` means the episode was open at the end of the collection year of the file it
    came from, so it covers ``day`` only up to that 31 March (an older file's blank DEC that was
    never resubmitted says nothing about later dates). An episode ending on ``day`` does not
    cover it (the child ceased that day, or moved to the next episode).
    """
    open_end = _open_at_year_end(episodes)
    covers = (episodes["decom"] <= day) & (
        (episodes["dec"] > day) | (episodes["dec"].isna() & (day <= open_end))
    )
    return _mask(covers)


def looked_after_during(episodes: pd.DataFrame, year: int) -> pd.Series:
    """Mask of episodes overlapping ``year``: ``DECOM <= 31 Mar`` and ``DEC >= 1 Apr`` (or open)."""
    start, end = _bounds(year)
    open_end = _open_at_year_end(episodes)
    overlaps = (episodes["decom"] <= end) & (
        (episodes["dec"] >= start) | (episodes["dec"].isna() & (start <= open_end))
    )
    return _mask(overlaps)


def with_periods_of_care(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes sorted by child and DECOM, with ``period_id`` numbering periods of care (§2.3).

    A new period of care starts at a child's first episode, at an episode with ``RNE = S``,
    after an episode whose ``REC`` is not ``X1`` (care ended), or after a gap (the previous
    episode's DEC is before this DECOM). Rows without a DECOM are dropped.
    """
    e = episodes.dropna(subset=["child_id", "decom"]).sort_values(
        ["child_id", "decom", "collection_year"], kind="stable"
    ).reset_index(drop=True)
    g = e.groupby("child_id", sort=False)
    prev_rec = g["rec"].shift(1)
    prev_dec = g["dec"].shift(1)
    first = ~_mask(e["child_id"] == e["child_id"].shift(1))
    ended = _mask(prev_rec.notna() & (prev_rec != REC_CONTINUES))
    gap = _mask(prev_dec < e["decom"])
    started = _mask(e["rne"] == "S")
    e["period_id"] = (first | ended | gap | started).cumsum()
    return e


def _cla_at_31_march(episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per child looked after at 31 March ``year``: the latest episode covering it."""
    _, end = _bounds(year)
    e = episodes[looked_after_on(episodes, end)]
    return e.sort_values(["child_id", "decom"]).drop_duplicates("child_id", keep="last")


def cla_ethnicity_share(episodes: pd.DataFrame, header: pd.DataFrame, year: int, group: str) -> Measure:
    """Share of children looked after at 31 March ``year`` in ethnic major group ``group`` (§6.2).

    Looked after at 31 March: an episode covering that day (:func:`looked_after_on`; in the
    year's own file, an episode with blank DEC). Ethnicity is the 903 header ``ETHNIC`` of the
    latest year, grouped by :func:`~driftflag.casemodel.codes.ethnic_major_group` (Chinese is
    Other). The denominator is every such child, including Not known and children without a
    header row.
    """
    cla = _cla_at_31_march(episodes, year)["child_id"]
    eth = header.dropna(subset=["child_id"]).drop_duplicates("child_id", keep="last")
    eth = eth.set_index("child_id")["ethnic"]
    groups = cla.map(eth).map(lambda c: ethnic_major_group(c if isinstance(c, str) else None))
    return _share(int((groups == group).sum()), len(cla), "no children looked after at 31 March")


def _missing_counts(episodes: pd.DataFrame, missing: pd.DataFrame, year: int) -> tuple[int, pd.Series]:
    """Children looked after during ``year`` and, per child, ``MISSING = M`` episodes starting in it."""
    children = pd.Index(episodes.loc[looked_after_during(episodes, year), "child_id"].unique())
    m = missing[_in_year(missing["mis_start"], year)]
    m = m[_mask(m["missing"] == "M") & _mask(m["child_id"].isin(children))]
    return len(children), m.groupby("child_id").size()


def cla_missing_share(episodes: pd.DataFrame, missing: pd.DataFrame, year: int) -> Measure:
    """Share of children looked after at any time in ``year`` with at least one missing episode.

    A missing episode is a 903 ``Missing`` row with ``MISSING = M`` (not ``A``, away) and
    ``MIS_START`` in the year (§6.2, missing 2025: about 11% implied).
    """
    n_cla, per_child = _missing_counts(episodes, missing, year)
    return _share(len(per_child), n_cla, "no children looked after in the year")


def cla_missing_mean_incidents(episodes: pd.DataFrame, missing: pd.DataFrame, year: int) -> Measure:
    """Mean number of missing episodes (``M``, starting in ``year``) per child who went missing (§6.2)."""
    _, per_child = _missing_counts(episodes, missing, year)
    if per_child.empty:
        return Measure(None, 0, 0, "no child looked after went missing in the year")
    total = int(per_child.sum())
    return Measure(total / len(per_child), total, len(per_child))


def cla_3plus_placements_2y(
    episodes: pd.DataFrame, year: int, years_read: Iterable[int] | None = None
) -> Measure:
    """Share of children looked after for 2+ years with 3+ placements in those 2 years (§6.2).

    Children: looked after at 31 March ``year`` whose current period of care
    (:func:`with_periods_of_care`) started on or before 31 March ``year-2``. Placements in the
    window (31 March ``year-2``, 31 March ``year``]: 1 for the placement held on 31 March
    ``year-2``, plus one per episode of the same period with DECOM in the window and RNE in
    P, T, B or U. Needs the 903 returns of ``year-1`` and ``year`` (and earlier ones for
    periods' starts, though an earlier DECOM seen in a resubmitted episode is enough);
    ``years_read`` lists the 903 years read (default: the years left in ``episodes``, which
    can miss a year whose rows were all resubmitted later).
    """
    years = set(episodes["collection_year"].unique() if years_read is None else years_read)
    if not {year - 1, year} <= years:
        return Measure(None, 0, 0, f"needs the 903 returns of {year - 1} and {year}")
    _, window_end = _bounds(year)
    window_start = pd.Timestamp(collection_year_bounds(year - 2)[1])
    e = with_periods_of_care(episodes)
    current = _cla_at_31_march(e, year)
    if current.empty:
        return Measure(None, 0, 0, "no children looked after at 31 March")
    period_start = e.groupby("period_id")["decom"].min()
    current = current[_mask(current["period_id"].map(period_start) <= window_start)]
    moves = e[
        e["period_id"].isin(current["period_id"])
        & (e["decom"] > window_start)
        & (e["decom"] <= window_end)
        & _mask(e["rne"].isin(PLACEMENT_CHANGE_RNE))
    ].groupby("period_id").size()
    placements = 1 + current["period_id"].map(moves).fillna(0)
    return _share(int((placements >= 3).sum()), len(current), "no children looked after for 2 years")


# --- 903: care proceedings proxy --------------------------------------------------------------


def interim_care_order_runs(episodes: pd.DataFrame) -> pd.DataFrame:
    """Runs of consecutive ``LS = C1`` (interim care order) episodes with their start and end.

    Proxy for care proceedings (§4: "ICO start -> FCO / placement order"). Within a period of
    care, consecutive episodes with ``LS = C1`` form a run starting at the first one's DECOM. A
    run ends at the DECOM of the next episode of the same period (whose LS differs), or, when
    care ends (the last C1 episode's REC is not X1), at that episode's DEC. Otherwise (still
    open, or the data stop) ``end`` is NaT.

    Returns columns ``child_id``, ``start``, ``end``, ``days``.
    """
    e = with_periods_of_care(episodes)
    ls = e["ls"].fillna("")
    new_run = _mask(e["period_id"] != e["period_id"].shift(1)) | ~_mask(ls == ls.shift(1))
    e["run_id"] = new_run.cumsum()
    next_same_period = _mask(e["period_id"].shift(-1) == e["period_id"])
    e["next_decom"] = e["decom"].shift(-1).where(next_same_period)
    c1 = e[_mask(ls == "C1")]
    if c1.empty:
        return pd.DataFrame({"child_id": [], "start": pd.Series([], dtype="datetime64[ns]"),
                             "end": pd.Series([], dtype="datetime64[ns]"), "days": []})
    first = c1.drop_duplicates("run_id", keep="first").set_index("run_id")
    last = c1.drop_duplicates("run_id", keep="last").set_index("run_id")
    care_ended = _mask(last["rec"].notna() & (last["rec"] != REC_CONTINUES))
    end = last["next_decom"].where(last["next_decom"].notna(), last["dec"].where(care_ended))
    runs = pd.DataFrame({"child_id": first["child_id"], "start": first["decom"], "end": end})
    runs["days"] = (runs["end"] - runs["start"]).dt.days
    return runs[["child_id", "start", "end", "days"]].reset_index(drop=True)


def _runs_ending(episodes: pd.DataFrame, year: int) -> pd.Series:
    runs = interim_care_order_runs(episodes)
    days = runs.loc[_in_year(runs["end"], year), "days"]
    return days[days >= 0].astype(float)


def care_proceedings_mean_weeks(episodes: pd.DataFrame, year: int) -> Measure:
    """Mean length in weeks (days / 7) of ICO runs ending in ``year`` (§6.3, proxy per §4).

    Runs still open at 31 March ``year`` are left out (they have not ended).
    """
    days = _runs_ending(episodes, year)
    if days.empty:
        return Measure(None, 0, 0, "no interim care order runs ended in the year")
    weeks = float(np.sum(days)) / 7
    return Measure(weeks / len(days), round(weeks, 3), len(days))


def care_proceedings_within_26w(episodes: pd.DataFrame, year: int) -> Measure:
    """Share of ICO runs ending in ``year`` that lasted 26 weeks (182 days) or less (§6.3)."""
    days = _runs_ending(episodes, year)
    n = int((days <= CARE_PROCEEDINGS_LIMIT_DAYS).sum())
    return _share(n, len(days), "no interim care order runs ended in the year")
