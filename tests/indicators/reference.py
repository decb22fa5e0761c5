"""A slow, obviously correct reference implementation of the as-of snapshot.

One child at a time, one plain Python loop over that child's records, with ``datetime.date``,
``dateutil.relativedelta`` for calendar months and a day-by-day count of working days against the
``holidays`` library. It shares nothing with the fast implementation but the registry (for the
thresholds) and the ethnicity code list. Each indicator's definition in the registry YAML is
written out here as directly as possible; the property tests compare the two, indicator by
indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import holidays
import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

from driftflag.casemodel import CaseStore
from driftflag.casemodel.codes import ethnic_major_group
from driftflag.indicators import Registry

_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")


@cache
def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _HOLIDAYS


def working_days_elapsed(a: date, b: date) -> int:
    """Working days d with a < d <= b, counted one day at a time."""
    n = 0
    d = a + timedelta(days=1)
    while d <= b:
        n += is_working_day(d)
        d += timedelta(days=1)
    return n


def nth_working_day_after(a: date, n: int) -> date:
    d = a
    while n > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def months_before(d: date, n: int) -> date:
    return d - relativedelta(months=n)


def months_after(d: date, n: int) -> date:
    return d + relativedelta(months=n)


def _d(v):
    """A pandas value as a date, or None."""
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return pd.Timestamp(v).date()


def _v(v):
    """A pandas value as a plain Python value, or None."""
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, np.generic):
        return v.item()
    return v


def records(df: pd.DataFrame) -> list[dict]:
    out = []
    for row in df.to_dict("records"):
        out.append({k: _v(v) for k, v in row.items()})
    return out


def _is_open(start, end, day) -> bool:
    return start is not None and start <= day and (end is None or end > day)


def _latest(rows, start_key, id_key):
    return max(rows, key=lambda r: (r[start_key], r[id_key] if id_key else 0)) if rows else None


@dataclass
class ChildRecords:
    child: dict | None
    referrals: list
    assessments: list
    section47: list
    cin_plans: list
    cp_plans: list
    cp_reviews: list
    lac_episodes: list
    lac_reviews: list
    missing: list
    pre_proceedings: list
    care_proceedings: list
    visits: list
    allocations: list
    sw_episodes: list = field(default_factory=list)
    care_leavers: list = field(default_factory=list)


_DATE_COLS = {
    "referrals": ("referral_date", "closure_date"),
    "assessments": ("start_date", "authorisation_date"),
    "section47": ("start_date", "icpc_date", "icpc_target_date"),
    "cin_plans": ("start_date", "end_date"),
    "cp_plans": ("start_date", "end_date"),
    "cp_reviews": ("review_date",),
    "lac_episodes": ("decom", "dec"),
    "lac_reviews": ("review_date",),
    "missing_episodes": ("start_date", "end_date", "rhi_known_from"),
    "pre_proceedings": ("start_date", "decision_date"),
    "care_proceedings": ("application_date", "final_order_date"),
    "visits": ("visit_date",),
    "allocations": ("start_date", "end_date"),
    "sw_episodes": ("start_date", "end_date"),
    "care_leavers": ("birthday_date",),
    "workers": ("start_date", "end_date"),
    "children": ("date_of_birth", "uasc_ceased_date"),
}
_START = {
    "referrals": "referral_date", "assessments": "start_date", "section47": "start_date",
    "cin_plans": "start_date", "cp_plans": "start_date", "cp_reviews": "review_date",
    "lac_episodes": "decom", "lac_reviews": "review_date", "missing_episodes": "start_date",
    "pre_proceedings": "start_date", "care_proceedings": "application_date",
    "visits": "visit_date", "allocations": "start_date", "workers": "start_date",
    "sw_episodes": "start_date", "care_leavers": "birthday_date",
}


def _table(store: CaseStore, name: str) -> list[dict]:
    rows = records(store[name])
    for r in rows:
        for c in (*_DATE_COLS.get(name, ()), "known_from"):
            r[c] = _d(r.get(c))
    if name in _START:
        rows = [r for r in rows if r[_START[name]] is not None]
    if name != "workers":
        rows = [r for r in rows if r.get("child_id") is not None]
    return rows


def _by_child(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["child_id"], []).append(r)
    return out


class Reference:
    """The store read into per-child lists of plain dicts (dates as ``datetime.date``)."""

    def __init__(self, store: CaseStore, registry: Registry):
        self.registry = registry
        self.th = {ind.id: ind.threshold_values for ind in registry}
        self.tables = {name: _table(store, name) for name in store.tables}
        self.by_child = {name: _by_child(rows) for name, rows in self.tables.items() if name != "workers"}
        self.workers = self.tables["workers"]

    def known_by(self, day: date) -> Reference:
        """The same store with only the rows known on ``day``: a row is known from its
        ``known_from`` date, or from its event date when that is blank (children are not dated)."""
        view = Reference.__new__(Reference)
        view.registry, view.th = self.registry, self.th

        def known(name: str, r: dict) -> bool:
            if name == "children":
                return True
            start, known_from = r.get(_START.get(name, "")), r.get("known_from")
            when = max(known_from, start) if known_from and start else (known_from or start)
            return when is None or when <= day

        view.tables = {name: [r for r in rows if known(name, r)] for name, rows in self.tables.items()}
        view.by_child = {name: _by_child(rows) for name, rows in view.tables.items() if name != "workers"}
        view.workers = view.tables["workers"]
        # a snapshot source: some visit is known after its date (Annex A's latest visit)
        view.visits_are_snapshots = any(r["known_from"] is not None and r["known_from"] > r["visit_date"]
                                        for r in view.tables["visits"])
        return view

    def child_records(self, cid: str) -> ChildRecords:
        g = lambda name: self.by_child[name].get(cid, [])  # noqa: E731
        kids = g("children")
        return ChildRecords(
            child=kids[0] if kids else None, referrals=g("referrals"), assessments=g("assessments"),
            section47=g("section47"), cin_plans=g("cin_plans"), cp_plans=g("cp_plans"),
            cp_reviews=g("cp_reviews"), lac_episodes=g("lac_episodes"), lac_reviews=g("lac_reviews"),
            missing=g("missing_episodes"), pre_proceedings=g("pre_proceedings"),
            care_proceedings=g("care_proceedings"), visits=g("visits"), allocations=g("allocations"),
            sw_episodes=g("sw_episodes") if "sw_episodes" in self.by_child else [],
            care_leavers=g("care_leavers") if "care_leavers" in self.by_child else [],
        )

    @staticmethod
    def _open_otherwise(c: ChildRecords, D: date) -> bool:
        """Open to a CIN episode or plan (not only a care leaver)."""
        return (any(_is_open(r["referral_date"], r["closure_date"], D) for r in c.referrals)
                or any(_is_open(r["start_date"], r["end_date"], D) for r in c.cin_plans))

    def open_children(self, day: date) -> list[str]:
        out = set()
        for r in self.tables["referrals"]:
            if _is_open(r["referral_date"], r["closure_date"], day):
                out.add(r["child_id"])
        for name in ("cin_plans", "cp_plans"):
            for r in self.tables[name]:
                if _is_open(r["start_date"], r["end_date"], day):
                    out.add(r["child_id"])
        for r in self.tables["lac_episodes"]:
            if _is_open(r["decom"], r["dec"], day):
                out.add(r["child_id"])
        # care leavers: an OC3 record made at a birthday in the 12 months up to the day
        for r in self.tables.get("care_leavers", []):
            if r["birthday_date"] <= day < months_after(r["birthday_date"], 12):
                out.add(r["child_id"])
        return sorted(out)

    def snapshot(self, day: date) -> pd.DataFrame:
        if not getattr(self, "_filtered", False):
            view = self.known_by(day)
            view._filtered = True
            return view.snapshot(day)
        rows = [self.child_row(cid, day) for cid in self.open_children(day)]
        # team caseload needs every child's current team
        teams: dict[str, int] = {}
        for r in rows:
            if r["team"] is not None:
                teams[r["team"]] = teams.get(r["team"], 0) + 1
        in_post: dict[str, int] = {}
        for w in self.workers:
            if _is_open(w["start_date"], w["end_date"], day):
                in_post[w["team"]] = in_post.get(w["team"], 0) + 1
        if not any(t is not None for t in in_post):  # no roster in post on the day: the workers
            # holding an open case in the team
            held = {(r["team"], r["worker_id"]) for r in rows
                    if r["team"] is not None and r["worker_id"] is not None}
            for team, _worker in held:
                in_post[team] = in_post.get(team, 0) + 1
        for r in rows:
            team = r["team"]
            n = in_post.get(team, 0)
            r["team_caseload"] = teams[team] / n if team is not None and n else None
        return pd.DataFrame(rows)

    # --- one child ----------------------------------------------------------------------------
    def child_row(self, cid: str, D: date) -> dict:  # noqa: C901 - written out on purpose
        th = self.th
        c = self.child_records(cid)
        W12 = months_before(D, 12)
        row: dict = {"child_id": cid, "as_of": pd.Timestamp(D)}

        # current records
        open_cp = [p for p in c.cp_plans if _is_open(p["start_date"], p["end_date"], D)]
        cp = _latest(open_cp, "start_date", "cp_plan_id")
        eps = sorted(c.lac_episodes, key=lambda e: (e["decom"], e["episode_id"]))
        open_eps = [e for e in eps if _is_open(e["decom"], e["dec"], D)]
        ep = _latest(open_eps, "decom", "episode_id")
        service = "LAC" if ep else ("CP" if cp else "CIN")
        if service == "CIN" and not self._open_otherwise(c, D):
            service = "CL"
        row["service"] = service

        allocs = sorted(c.allocations, key=lambda a: (a["start_date"], a["allocation_id"]))
        alloc = _latest([a for a in allocs if _is_open(a["start_date"], a["end_date"], D)],
                        "start_date", "allocation_id")
        row["team"] = alloc["team"] if alloc else None
        row["worker_id"] = alloc["worker_id"] if alloc else None

        visits = [v["visit_date"] for v in c.visits if v["visit_date"] <= D]
        last_visit = max(visits) if visits else None

        # period of care of the current episode
        period_start = None
        if ep is not None:
            i = eps.index(ep)
            j = i
            while True:
                e = eps[j]
                if j == 0 or e["rne"] == "S":
                    break
                prev_end = eps[j - 1]["dec"]
                if prev_end is not None and e["decom"] > prev_end:
                    break
                j -= 1
            period_start = eps[j]["decom"]

        # worker changes: a looked-after child's from the 903 social worker episodes known by D
        # (a full history), anyone else's from the allocations
        sw = sorted((e for e in c.sw_episodes if e["start_date"] <= D),
                    key=lambda e: (e["start_date"], e["sw_episode_id"]))
        held = sw if (service == "LAC" and sw) else allocs

        def worker_changes(after: date) -> int:
            n = 0
            for k in range(1, len(held)):
                a = held[k]
                if after < a["start_date"] <= D and a["worker_id"] != held[k - 1]["worker_id"]:
                    n += 1
            return n

        def missing_starts(days: int) -> int:
            return sum(1 for m in c.missing if D - timedelta(days=days) < m["start_date"] <= D)

        # ---- child protection
        cp_review_overdue = None
        if cp is not None:
            t = th["cp_review_overdue"]
            reviews = [r["review_date"] for r in c.cp_reviews
                       if r["cp_plan_id"] == cp["cp_plan_id"] and r["review_date"] <= D]
            if reviews:
                due = months_after(max(reviews), int(t["review_interval_months"]))
            else:
                due = months_after(cp["start_date"], int(t["first_review_months"]))
            cp_review_overdue = due < D
            if cp["number_of_previous_cpp"] is not None:
                previous = cp["number_of_previous_cpp"]
            else:
                previous = sum(1 for p in c.cp_plans if p["start_date"] < cp["start_date"])
            repeat = any(
                p["start_date"] < cp["start_date"] and p["end_date"] is not None
                and months_before(cp["start_date"], int(th["cp_repeat_within_2y"]["months"]))
                <= p["end_date"] <= cp["start_date"]
                for p in c.cp_plans
            )
            row.update(
                cp_plan_days=(D - cp["start_date"]).days,
                cp_plan_over_18m=cp["start_date"] <= months_before(D, int(th["cp_plan_over_18m"]["months"])),
                cp_plan_over_24m=cp["start_date"] <= months_before(D, int(th["cp_plan_over_24m"]["months"])),
                cp_previous_plans=previous,
                cp_second_or_subsequent=previous >= 1,
                cp_repeat_within_2y=repeat,
                cp_review_overdue=cp_review_overdue,
                cp_category=cp["initial_category"],
            )
            t = th["cp_long_plan_without_progress"]
            long_plan = cp["start_date"] <= months_before(D, int(t["months"]))
            escalated = any(cp["start_date"] <= p["start_date"] <= D for p in c.pre_proceedings)
            since = max(last_visit, cp["start_date"]) if last_visit else cp["start_date"]
            stuck = (cp_review_overdue
                     or ((last_visit is not None or not self.visits_are_snapshots)  # visits known
                         and bool(self.tables["visits"])
                         and working_days_elapsed(since, D) > t["visit_gap_working_days"])
                     or missing_starts(int(t["missing_window_days"])) > 0
                     or worker_changes(W12) >= t["worker_changes"])
            row["cp_long_plan_without_progress"] = bool(long_plan and not escalated and stuck)
        else:
            for k in ("cp_plan_days", "cp_plan_over_18m", "cp_plan_over_24m", "cp_previous_plans",
                      "cp_second_or_subsequent", "cp_repeat_within_2y", "cp_review_overdue",
                      "cp_category", "cp_long_plan_without_progress"):
                row[k] = None

        row["days_since_last_visit"] = (D - last_visit).days if last_visit else None
        t = th["visit_overdue"]
        if service == "LAC":
            since = max(last_visit, period_start) if last_visit else period_start
            row["visit_overdue"] = (D - since).days > t["lac_days"]
        elif service == "CP":
            since = max(last_visit, cp["start_date"]) if last_visit else cp["start_date"]
            row["visit_overdue"] = working_days_elapsed(since, D) > t["cp_working_days"]
        else:
            plan = _latest([p for p in c.cin_plans if _is_open(p["start_date"], p["end_date"], D)],
                           "start_date", "cin_plan_id")
            if plan is None:
                row["visit_overdue"] = None  # still being assessed: no visiting frequency
            else:
                since = max(last_visit, plan["start_date"]) if last_visit else plan["start_date"]
                row["visit_overdue"] = working_days_elapsed(since, D) > t["cin_working_days"]
        if (last_visit is None and self.visits_are_snapshots) or not self.tables["visits"]:
            row["visit_overdue"] = None  # no visit known by D (from a snapshot, or at all)

        # ---- front door
        row["referrals_12m"] = sum(1 for r in c.referrals if W12 < r["referral_date"] <= D)
        refs = sorted(c.referrals, key=lambda r: (r["referral_date"], r["referral_id"]))
        before = [r for r in refs if r["referral_date"] <= D]
        if before:
            i = len(before) - 1
            last = before[i]
            cutoff = months_before(last["referral_date"], int(th["rereferral_12m"]["months"]))
            row["rereferral_12m"] = i > 0 and before[i - 1]["referral_date"] >= cutoff
        else:
            row["rereferral_12m"] = None

        open_a = [a for a in c.assessments if _is_open(a["start_date"], a["authorisation_date"], D)]
        a = _latest(open_a, "start_date", "assessment_id")
        if a is not None:
            wd = working_days_elapsed(a["start_date"], D)
            row["assessment_open_working_days"] = wd
            row["assessment_over_45wd"] = wd > th["assessment_over_45wd"]["working_days"]
        else:
            row["assessment_open_working_days"] = None
            row["assessment_over_45wd"] = None

        s = _latest([e for e in c.section47 if e["start_date"] <= D], "start_date", "s47_id")
        value = None
        late = th["s47_to_icpc_over_15wd"]["working_days"]
        if s is not None and s["start_date"] > months_before(D, int(th["s47_to_icpc_working_days"]["window_months"])):
            if s["icpc_date"] is not None and s["icpc_date"] <= D:
                value = working_days_elapsed(s["start_date"], s["icpc_date"])
            else:
                elapsed = working_days_elapsed(s["start_date"], D)
                if not (s["icpc_not_required"] is True and elapsed > late):
                    value = elapsed
        row["s47_to_icpc_working_days"] = value
        row["s47_to_icpc_over_15wd"] = None if value is None else value > late

        row["step_ups_12m"] = sum(1 for r in c.referrals
                                  if r["referral_source"] == "5D" and W12 < r["referral_date"] <= D)
        row["step_downs_12m"] = sum(1 for r in c.referrals
                                    if r["closure_reason"] == "RC9" and r["closure_date"] is not None
                                    and W12 < r["closure_date"] <= D)

        # ---- missing
        for name in ("missing_episodes_90d", "missing_episodes_365d"):
            row[name] = missing_starts(int(th[name]["window_days"]))
        for name in ("missing_days_90d", "missing_days_365d"):
            n = int(th[name]["window_days"])
            days: set[date] = set()
            for m in c.missing:
                if m["start_date"] > D:
                    continue
                last = m["end_date"] if m["end_date"] is not None and m["end_date"] <= D else D
                d = max(m["start_date"], D - timedelta(days=n - 1))
                while d <= last:
                    days.add(d)
                    d += timedelta(days=1)
            row[name] = len(days)
        row["missing_open_now"] = any(_is_open(m["start_date"], m["end_date"], D) for m in c.missing)
        for name, col in (("rhi_offered_share", "rhi_offered"), ("rhi_accepted_share", "rhi_accepted")):
            t = th[name]
            due = [m for m in c.missing if m["end_date"] is not None
                   and D - timedelta(days=int(t["window_days"])) < m["end_date"]
                   <= D - timedelta(days=int(t["grace_days"]))
                   # recorded by D: a value, known with the row or from an extract on or before D
                   and m[col] is not None and (m.get("rhi_known_from") is None or m["rhi_known_from"] <= D)]
            row[name] = sum(1 for m in due if m[col] is True) / len(due) if due else None

        # ---- legal
        for name, table, start_col, end_col, id_col, flag, limit in (
            ("plo_weeks", c.pre_proceedings, "start_date", "decision_date", "pp_id",
             "plo_over_16w", th["plo_over_16w"]["weeks"]),
            ("care_proceedings_weeks", c.care_proceedings, "application_date", "final_order_date",
             "proceedings_id", "care_proceedings_over_26w", th["care_proceedings_over_26w"]["weeks"]),
        ):
            cur = _latest([p for p in table if _is_open(p[start_col], p[end_col], D)], start_col, id_col)
            if cur is None:
                row[name] = row[flag] = None
            else:
                days = (D - cur[start_col]).days
                row[name] = days / 7
                row[flag] = days > 7 * limit

        # ---- looked after
        if ep is not None:
            moves = sum(1 for e in eps if e["rne"] in ("P", "T", "B", "U") and W12 < e["decom"] <= D)
            placements = sum(1 for e in eps if e["rne"] in ("S", "P", "T", "B", "U") and W12 < e["decom"] <= D)
            if any(_is_open(e["decom"], e["dec"], W12) for e in eps):
                placements += 1
            reviews = sorted(r["review_date"] for r in c.lac_reviews if period_start <= r["review_date"] <= D)
            t = th["lac_review_overdue"]
            if not reviews:
                due = nth_working_day_after(period_start, int(t["first_review_working_days"]))
            elif len(reviews) == 1:
                due = months_after(reviews[-1], int(t["second_review_months"]))
            else:
                due = months_after(reviews[-1], int(t["review_interval_months"]))
            row.update(
                lac_days=(D - period_start).days,
                placement_moves_12m=moves,
                placements_12m=placements,
                placements_3plus_12m=placements >= th["placements_3plus_12m"]["placements"],
                placed_out_of_area=None if ep["placement_in_la"] is None else not ep["placement_in_la"],
                placed_over_20_miles=(None if ep["pl_distance"] is None
                                      else ep["pl_distance"] > th["placed_over_20_miles"]["miles"]),
                legal_status=ep["ls"],
                permanence_plan=self.permanence(ep, c.child, D),
                lac_review_overdue=due < D,
            )
        else:
            for k in ("lac_days", "placement_moves_12m", "placements_12m", "placements_3plus_12m",
                      "placed_out_of_area", "placed_over_20_miles", "legal_status",
                      "permanence_plan", "lac_review_overdue"):
                row[k] = None

        # ---- care leavers: the latest OC3 record of the last record_months months
        for ind_id, value in (("care_leaver_not_in_touch",
                               lambda r: {"NO": 1.0, "REFU": 1.0, "YES": 0.0}.get(r["in_touch"])),
                              ("care_leaver_unsuitable_accommodation",
                               lambda r: None if r["accommodation_suitable"] is None
                               else float(not r["accommodation_suitable"]))):
            months = int(th[ind_id]["record_months"])
            recent = [r for r in c.care_leavers
                      if months_before(D, months) < r["birthday_date"] <= D]
            latest = max(recent, key=lambda r: r["birthday_date"]) if recent else None
            row[ind_id] = None if latest is None else value(latest)

        # ---- context
        # not available without any allocation known by D
        row["worker_changes_12m"] = worker_changes(W12) if any(a["start_date"] <= D for a in held) else None
        ch = c.child
        if ch is None:
            for k in ("sex", "ethnicity", "disability", "uasc", "age_band"):
                row[f"audit_{k}"] = None
            row["audit_ethnic_group"] = "Not known"
        else:
            row["audit_sex"] = ch["sex"]
            row["audit_ethnicity"] = ch["ethnicity"]
            row["audit_ethnic_group"] = ethnic_major_group(ch["ethnicity"])
            row["audit_disability"] = ch["disability"]
            row["audit_uasc"] = None if ch["uasc"] is None else (
                ch["uasc"] and (ch["uasc_ceased_date"] is None or ch["uasc_ceased_date"] > D))
            row["audit_age_band"] = self.age_band(ch["date_of_birth"], D)
        return row

    @staticmethod
    def age(dob: date | None, D: date) -> int | None:
        if dob is None:
            return None
        return D.year - dob.year - ((D.month, D.day) < (dob.month, dob.day))

    def age_band(self, dob: date | None, D: date) -> str | None:
        if dob is None:
            return None
        if dob > D:
            return "Unborn"
        a = self.age(dob, D)
        for limit, band in ((1, "Under 1"), (5, "1-4"), (10, "5-9"), (16, "10-15"), (18, "16-17")):
            if a < limit:
                return band
        return "18+"

    def permanence(self, ep: dict, child: dict | None, D: date) -> str:
        place, ls = ep["place"] or "", ep["ls"] or ""
        age = self.age(child["date_of_birth"], D) if child else None
        if place in ("A3", "A4", "A5", "A6") or ls in ("E1", "D1"):
            return "ADOPTION"
        if place == "P1" or ls == "V2":
            return "RETURN"
        if place.startswith("U"):
            return "FOSTERING"
        if (age or 0) >= 16 and (place in ("K3", "H5", "P2") or place.startswith("Z")):
            return "SUPPORTED"
        if place in ("K1", "K2", "R1", "S1"):
            return "RESIDENTIAL"
        return "OTHER"


def reference_snapshot(store: CaseStore, as_of: date, registry: Registry) -> pd.DataFrame:
    return Reference(store, registry).snapshot(as_of)
