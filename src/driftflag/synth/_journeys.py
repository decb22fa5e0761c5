"""Children's journeys through children's social care, one referral round at a time.

Each round takes every child with a referral due, decides how far the referral escalates
(no further action, assessment only, child in need plan, section 47 without a plan, child
protection plan, straight into care) and times every event in causal order:

    referral -> assessment -> s47 enquiry -> initial conference -> CP plan -> review conferences
             -> PLO pre-proceedings -> care proceedings -> looked after -> closure -> re-referral

Everything is vectorised over the children in the round; the only Python loop is over rounds
(a child's first referral, first re-referral, ...), of which there are about a dozen.

Planted mechanisms (documented in ``docs/synthetic-la.md``):

* stuckness (latent) lengthens CP plans, PLO pre-proceedings and proceedings, delays reviews and
  visits, raises missing episodes (with fewer return home interviews), placement moves and
  re-referral;
* premature closure under poor practice: stuck cases in teams under pressure sometimes have their
  CIN plan or assessment closed early, and come back soon (the revolving door);
* team pressure lengthens assessments and plans and raises worker changes;
* neglect masked by disability: some disabled children whose concerns would lead to a child
  protection plan get a child in need plan instead, which runs longer (S4:722, S4:727);
* abrupt entry into care for Black and Asian children: fewer prior CIN/CP plans before they
  become looked after (S1:545: 39% / 36% against 65% / 62% for White / Mixed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from driftflag.synth._care import simulate_care
from driftflag.synth._population import Population
from driftflag.synth._util import (
    add_working_days,
    choice,
    choice_rows,
    day,
    ordinal_cuts,
    sigmoid,
)
from driftflag.synth._workforce import Workforce
from driftflag.synth.config import Profile, SynthConfig

MAX_ROUNDS = 16
LEVELS = ("NFA", "NOT_IN_NEED", "CIN", "S47", "CP", "CARE")

_SOURCES = ("6", "2A", "3A", "3B", "3E", "3F", "5A", "5C", "5D", "1A", "1B", "1D", "4", "7", "8",
            "9", "10", "2B")
_SOURCE_P_SCHOOL_AGE = (0.27, 0.24, 0.03, 0.01, 0.04, 0.06, 0.06, 0.03, 0.04, 0.04, 0.05, 0.01,
                        0.03, 0.02, 0.03, 0.01, 0.01, 0.02)
_SOURCE_P_YOUNG = (0.28, 0.02, 0.06, 0.09, 0.06, 0.14, 0.08, 0.04, 0.05, 0.04, 0.06, 0.0, 0.03,
                   0.02, 0.03, 0.01, 0.01, 0.00)

_FACTORS = {
    "NEG": ("16A", "4A", "2A", "1A", "3A"),
    "EMO": ("3A", "4A", "17A", "2A", "1A"),
    "PHY": ("18C", "3A", "4A"),
    "SAB": ("19C", "19B", "11A"),
    "MUL": ("3A", "4A", "16A", "18C"),
    "EXT": ("10A", "11A", "13A", "24A", "14A", "15A"),
    "OTHER": ("3A", "4A", "5A", "6A", "20", "21", "7A"),
}

_CATS = ("NEG", "EMO", "PHY", "SAB", "MUL")


@dataclass
class Journeys:
    """Event tables in integer days, keyed by child number (converted by the generator)."""

    referrals: list[pd.DataFrame] = field(default_factory=list)
    assessments: list[pd.DataFrame] = field(default_factory=list)
    section47: list[pd.DataFrame] = field(default_factory=list)
    cin_plans: list[pd.DataFrame] = field(default_factory=list)
    cp_plans: list[pd.DataFrame] = field(default_factory=list)
    cp_reviews: list[pd.DataFrame] = field(default_factory=list)
    pre_proceedings: list[pd.DataFrame] = field(default_factory=list)
    proceedings: list[pd.DataFrame] = field(default_factory=list)
    lac_episodes: list[pd.DataFrame] = field(default_factory=list)
    lac_reviews: list[pd.DataFrame] = field(default_factory=list)
    missing: list[pd.DataFrame] = field(default_factory=list)
    phases: list[pd.DataFrame] = field(default_factory=list)
    care_periods: list[pd.DataFrame] = field(default_factory=list)

    def frame(self, name: str) -> pd.DataFrame:
        parts = getattr(self, name)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _wd(rng: np.random.Generator, median: float, sigma: float, mult: np.ndarray) -> np.ndarray:
    return np.maximum(1, np.round(np.exp(rng.normal(np.log(median), sigma, len(mult))) * mult)).astype(np.int64)


def simulate_journeys(
    cfg: SynthConfig, prof: Profile, pop: Population, wf: Workforce, rng: np.random.Generator
) -> Journeys:
    end_day = day(cfg.end)
    hol = _holidays(cfg)
    out = Journeys()
    n = pop.n
    n_cp_prev = np.zeros(n, dtype=np.int64)
    had_plan = np.zeros(n, dtype=bool)
    was_looked_after = np.zeros(n, dtype=bool)
    abrupt = np.array([prof.abrupt_care_entry.get(g, 0.0) for g in pop.ethnic_group])

    cur_child = np.arange(n)
    cur_r = pop.first_referral.copy()
    cuts = None
    cp_cuts = None
    ref_no = 0
    for k in range(MAX_ROUNDS):
        ok = (cur_r <= end_day) & (cur_r < pop.age18[cur_child] - 30)
        c, r = cur_child[ok], cur_r[ok]
        m = len(c)
        if m == 0:
            break
        rid = np.arange(ref_no, ref_no + m)
        ref_no += m
        z, sev, dob = pop.stuckness[c], pop.severity[c], pop.dob[c]
        a18 = pop.age18[c]  # children's services end at 18: every date below is capped there
        age = r - dob
        disabled = pop.disabled[c]
        uasc_first = pop.uasc[c] & (k == 0)

        # ---- how far does the referral escalate? ------------------------------------------
        y = (0.85 * sev + 0.30 * z + 0.55 * (n_cp_prev[c] > 0) + 0.12 * min(k, 3)
             + 0.25 * (age < 365) - 0.10 * (age > 12 * 365) + rng.logistic(0, 0.8, m))
        if cuts is None:
            cuts = ordinal_cuts(y[~uasc_first], prof.level_shares)
        level = np.searchsorted(cuts, y)
        # abrupt entry: direct to care more often for groups with less prior help (S1:545)
        boost = rng.random(m) < abrupt[c] * 0.03 * (level >= 2)
        level = np.where(boost, 5, level)
        level = np.where(uasc_first, 5, level)
        # care with no earlier involvement is rare for White and Mixed children: most come via plans
        damp = (level == 5) & ~uasc_first & (abrupt[c] == 0) & (rng.random(m) < 0.35) & (k == 0)
        level = np.where(damp, 4, level)
        cat = choice(rng, _CATS, [prof.cp_category_shares[x] for x in _CATS], m)
        neglect = cat == "NEG"
        masked = disabled & (level == 4) & np.isin(cat, ("NEG", "EMO")) & (rng.random(m) < 0.45)
        level = np.where(masked, 2, level)

        # ---- referral -------------------------------------------------------------------
        school_age = (age > 4 * 365)[:, None]
        src = choice_rows(rng, _SOURCES, np.where(school_age, _SOURCE_P_SCHOOL_AGE, _SOURCE_P_YOUNG))
        need = np.where(
            pop.uasc[c], "N8",
            np.where(level >= 3, choice(rng, ("N1", "N1", "N4", "N5"), (0.6, 0.2, 0.1, 0.1), m),
                     choice(rng, ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N0"),
                            (0.40, 0.02, 0.04, 0.15, 0.22, 0.05, 0.01, 0.03, 0.06, 0.02), m)),
        ).astype(object)
        need = np.where(disabled & (level != 4) & (rng.random(m) < 0.55), "N2", need)
        fd_team = wf.team_for("FD", pop.district[c])
        ip_team = np.where(disabled & (need == "N2") | masked,
                           wf.team_for("DIS", pop.district[c]), wf.team_for("IP", pop.district[c]))
        p_fd = wf.pressure_at(fd_team, r)
        p_ip = wf.pressure_at(ip_team, r)

        close = np.full(m, -1, dtype=np.int64)
        reason = np.full(m, "", dtype=object)
        nfa = level == 0
        close[nfa] = r[nfa] + rng.integers(0, 4, int(nfa.sum()))
        reason[nfa] = "RC8"

        # ---- assessment (every level but NFA) -------------------------------------------
        has_a = level >= 1
        a_start = r + rng.integers(0, 4, m)
        a_wd = _wd(rng, 24.0, 0.55, np.exp(0.22 * p_fd + 0.10 * z))
        auth = np.minimum(add_working_days(a_start, a_wd, hol), a18)
        fac_key = np.where(level >= 3, cat, np.where(age > 11 * 365, "EXT", "OTHER"))
        f1 = np.array([_FACTORS[x][i % len(_FACTORS[x])] for x, i in
                       zip(fac_key, rng.integers(0, 6, m), strict=True)], dtype=object)
        f2 = np.array([_FACTORS[x][i % len(_FACTORS[x])] for x, i in
                       zip(fac_key, rng.integers(0, 6, m), strict=True)], dtype=object)
        factors = np.where(f1 == f2, f1, f1 + " " + f2)
        factors = np.where(pop.uasc[c], "9A", factors)
        ai = np.flatnonzero(has_a)
        out.assessments.append(pd.DataFrame({
            "referral_no": rid[ai], "child_no": c[ai], "start": a_start[ai], "auth": auth[ai],
            "factors": factors[ai], "child_seen": rng.random(len(ai)) < 0.93,
            "requires_support": level[ai] >= 2,
        }))
        l1 = level == 1
        close[l1] = auth[l1] + rng.integers(0, 8, int(l1.sum()))
        reason[l1] = choice(rng, ("RC8", "RC9"), (0.65, 0.35), int(l1.sum()))

        # ---- section 47 and initial conference ------------------------------------------
        has_s47 = (level >= 3) & ~uasc_first
        s47_start = r + rng.integers(0, 6, m)
        icpc_wd = _wd(rng, 11.0, 0.45, np.exp(0.15 * p_ip))
        icpc = np.minimum(add_working_days(s47_start, icpc_wd, hol), a18)
        icpc_target = add_working_days(s47_start, np.full(m, 15), hol)
        icpc_not_req = (level == 3) & (rng.random(m) < 0.62)
        icpc_not_req |= level == 5
        held = has_s47 & ~icpc_not_req
        si = np.flatnonzero(has_s47)
        out.section47.append(pd.DataFrame({
            "referral_no": rid[si], "child_no": c[si], "start": s47_start[si],
            "icpc_target": icpc_target[si], "icpc": np.where(held[si], icpc[si], -1),
            "icpc_not_required": icpc_not_req[si], "plan": level[si] == 4,
        }))

        # ---- child protection plan ------------------------------------------------------
        cp = level == 4
        cp_start = icpc
        u = 0.85 * z + 0.25 * neglect + 0.3 * disabled + 0.2 * p_ip + rng.logistic(0, 0.7, m)
        if cp_cuts is None:
            cp_cuts = ordinal_cuts(u[cp] if cp.any() else u, prof.cp_duration_draw_shares)
        bucket = np.searchsorted(cp_cuts, u)
        lo = np.array([25, 92, 183, 365, 730])[bucket]
        hi = np.array([91, 182, 364, 729, 1100])[bucket]
        cp_len = lo + np.floor(rng.random(m) * (hi - lo + 1)).astype(np.int64)
        tail = bucket == 4
        cp_len[tail] = 730 + rng.exponential(260, int(tail.sum())).astype(np.int64)
        cp_end = np.minimum(cp_start + cp_len, a18)

        # PLO pre-proceedings for some plans (S4:567, S4:724)
        plo = cp & (rng.random(m) < sigmoid(-1.55 + 0.55 * z + 0.45 * sev + 0.25 * neglect))
        pp_start = cp_start + (cp_len * rng.uniform(0.15, 0.7, m)).astype(np.int64)
        plo &= pp_start < a18 - 180
        pp_weeks = np.exp(rng.normal(np.log(13.0) + 0.32 * z + 0.05 * p_ip, 0.5))
        decision = pp_start + np.round(pp_weeks * 7).astype(np.int64)
        issue = plo & (rng.random(m) < sigmoid(0.1 + 0.6 * sev) * (1 - 0.5 * abrupt[c]))
        app = np.maximum(decision + rng.integers(3, 22, m), dob + rng.integers(0, 3, m))
        issue &= app < pop.age18[c] - 7  # no proceedings for a young person about to turn 18
        lbp = pp_start + rng.integers(0, 11, m)
        init_meet = lbp + rng.integers(7, 22, m)
        fg_off = rng.random(m) < 0.7
        fg_fac = fg_off & (rng.random(m) < 0.6)
        pi = np.flatnonzero(plo)
        out.pre_proceedings.append(pd.DataFrame({
            "referral_no": rid[pi], "child_no": c[pi], "start": pp_start[pi], "lbp": lbp[pi],
            "fgdm_offered": fg_off[pi], "fgdm_facilitated": fg_fac[pi],
            "initial_meeting": init_meet[pi],
            "review_meetings": np.floor(pp_weeks[pi] / 6).astype(np.int64),
            "decision": decision[pi], "outcome": np.where(issue[pi], "C", "B"),
            "court_app": np.where(issue[pi], app[pi], -1),
        }))
        cp_end = np.where(issue, app, np.where(plo, np.maximum(cp_end, decision + rng.integers(7, 60, m)), cp_end))
        cp_end = np.minimum(cp_end, a18)
        latest = np.where(rng.random(m) < 0.88, cat, choice(rng, _CATS, (0.5, 0.3, 0.1, 0.05, 0.05), m))
        ci = np.flatnonzero(cp)
        out.cp_plans.append(pd.DataFrame({
            "referral_no": rid[ci], "child_no": c[ci], "start": cp_start[ci], "end": cp_end[ci],
            "initial_category": cat[ci], "latest_category": latest[ci],
            "previous": n_cp_prev[c[ci]] + (rng.random(len(ci)) < 0.04),
        }))
        # review conferences: 3 months, then every 6 months (Working Together)
        nrev = np.where(cp_len > 80, 1 + np.maximum(cp_end - cp_start - 91, 0) // 182, 0)[ci]
        rv_i = np.repeat(ci, nrev)
        kk = np.arange(len(rv_i)) - np.repeat(np.cumsum(nrev) - nrev, nrev)
        late = np.where(rng.random(len(rv_i)) < 0.06 * np.exp(0.5 * z[rv_i] + 0.3 * p_ip[rv_i]),
                        rng.integers(10, 70, len(rv_i)), 0)
        rv_day = cp_start[rv_i] + 91 + kk * 182 - rng.integers(0, 8, len(rv_i)) + late
        rk = rv_day < cp_end[rv_i]
        out.cp_reviews.append(pd.DataFrame({
            "cp_referral_no": rid[rv_i][rk], "child_no": c[rv_i][rk], "review": rv_day[rk],
        }))

        # ---- child in need plans: CIN level, s47 without plan, step-down after CP ----------
        cin_a = level == 2
        cin_b = (level == 3) & (rng.random(m) < 0.5)
        cin_c = cp & ~issue & (rng.random(m) < 0.5)
        c_start = np.where(cin_c, cp_end, np.where(cin_b & held, np.maximum(auth, icpc), auth)
                           + rng.integers(0, 11, m))
        c_len = np.exp(rng.normal(np.log(np.where(cin_c, 150, 200)) + 0.25 * z + 0.45 * masked
                                  + 0.1 * p_ip, 0.6)).astype(np.int64) + 14
        # premature closure under poor practice: the plan is closed before its aims are met, more
        # often for stuck cases in teams under pressure; the child comes back (revolving door)
        premature = (rng.random(m) < sigmoid(prof.premature_closure_base + 0.8 * z + 0.3 * p_ip)) & (
            level >= 1) & (level <= 3)
        c_len = np.where(premature, np.maximum(14, (c_len * 0.45).astype(np.int64)), c_len)
        has_cin = cin_a | cin_b | cin_c
        c_end = np.minimum(c_start + c_len, a18)
        has_cin &= c_start < c_end
        # teenagers on a CIN plan sometimes become accommodated (s20) at its end
        s20_from_cin = has_cin & (age > 11 * 365) & (rng.random(m) < 0.07 * (1 - abrupt[c]))
        cii = np.flatnonzero(has_cin)
        out.cin_plans.append(pd.DataFrame({
            "referral_no": rid[cii], "child_no": c[cii], "start": c_start[cii], "end": c_end[cii],
        }))

        # ---- into care ----------------------------------------------------------------
        direct = level == 5
        route = np.full(m, "", dtype=object)
        route[direct] = np.where(
            uasc_first[direct], "uasc",
            np.where(age[direct] > 11 * 365,
                     choice(rng, ("s20", "emerg"), (0.7, 0.3), int(direct.sum())),
                     choice(rng, ("emerg", "proc"), (0.55, 0.45), int(direct.sum()))))
        care_start = np.where(route == "uasc", r, np.where(route == "s20", r + rng.integers(0, 21, m),
                                                          r + rng.integers(0, 4, m)))
        care_start = np.where(route == "proc", r + rng.integers(2, 15, m), care_start)
        route = np.where(issue, "proc", route)
        care_start = np.where(issue, app, care_start)
        route = np.where(s20_from_cin & (route == ""), "s20", route)
        care_start = np.where(s20_from_cin & (route == "s20") & ~direct, c_end, care_start)
        care_start = np.maximum(care_start, dob)
        # nobody becomes looked after within a week of their 18th birthday
        route = np.where(care_start >= pop.age18[c] - 7, "", route)
        in_care = route != ""
        care_end = np.full(m, -1, dtype=np.int64)
        cidx = np.flatnonzero(in_care & (care_start <= end_day))
        if len(cidx):
            cic_team = wf.team_for("CIC", pop.district[c[cidx]])
            res = simulate_care(pop, prof, rng, c[cidx], care_start[cidx], route[cidx],
                                wf.pressure_at(cic_team, care_start[cidx]))
            care_end[cidx] = res.period_end
            for name, df in (("lac_episodes", res.episodes), ("proceedings", res.proceedings),
                             ("missing", res.missing), ("lac_reviews", res.reviews)):
                if "entry" in df:
                    df = df.assign(referral_no=rid[cidx][df["entry"].to_numpy()])
                getattr(out, name).append(df)
            prior = had_plan[c[cidx]] | (cp[cidx] & (cp_start[cidx] <= care_start[cidx])) | (
                has_cin[cidx] & (c_start[cidx] < care_start[cidx]))
            out.care_periods.append(pd.DataFrame({
                "child_no": c[cidx], "referral_no": rid[cidx], "start": care_start[cidx],
                "end": res.period_end, "route": route[cidx], "prior_plan": prior,
                "team_no": cic_team,
            }))
            was_looked_after[c[cidx]] = True
            recs = res.episodes.groupby("entry")["rec"].last()
            last_rec = np.full(len(cidx), "", dtype=object)
            last_rec[recs.index.to_numpy()] = recs.to_numpy()
            rc = np.select(
                [np.isin(last_rec, ("E11", "E12")), np.isin(last_rec, ("E45", "E46")),
                 np.isin(last_rec, ("E41", "E47", "E48")), np.isin(last_rec, ("E7",))],
                ["RC1", "RC4", "RC3", "RC6"], "RC7")
            done = np.maximum.reduce([res.period_end, np.where(has_a[cidx], auth[cidx], 0),
                                      np.where(held[cidx], icpc[cidx], 0)])
            close[cidx] = done + rng.integers(0, 31, len(cidx))
            reason[cidx] = rc
        # cin plans end when the child becomes looked after
        c_end = np.where(in_care & has_cin & (care_start < c_end), np.maximum(care_start, c_start + 1), c_end)
        out.cin_plans[-1]["end"] = c_end[cii]

        # ---- closure of the CIN episode ---------------------------------------------------
        open_ = close < 0
        plan_end = np.maximum.reduce([
            np.where(cp, cp_end, 0), np.where(has_cin, c_end, 0), np.where(has_a, auth, 0),
            np.where(held, icpc, 0)])
        close[open_] = plan_end[open_] + rng.integers(0, 15, int(open_.sum()))
        reason[open_ & (reason == "")] = "RC7"
        over = close > a18
        close = np.where(over, a18, close)
        reason = np.where(over & ~np.isin(reason, ("RC1", "RC4", "RC3")), "RC6", reason)
        # transfer out and closure quirks
        moved = (rng.random(m) < 0.03) & ~in_care
        reason = np.where(moved, "RC5", reason)

        out.referrals.append(pd.DataFrame({
            "referral_no": rid, "child_no": c, "round": k, "date": r, "source": src,
            "nfa": nfa, "need": need, "close": close, "reason": reason, "level": level,
            "masked": masked, "category": np.where(cp, cat, ""), "premature": premature,
        }))
        # ---- allocation phases ---------------------------------------------------------
        a_end = np.where(has_a, np.maximum(auth, r + 1), close + 1)
        ph = [pd.DataFrame({"child_no": c, "team_no": fd_team, "start": r, "end": a_end,
                            "referral_no": rid})]
        main = has_a & (close > auth)
        pre_care_end = np.where(in_care, np.minimum(care_start, close), close)
        mi = np.flatnonzero(main & (pre_care_end > auth))
        ph.append(pd.DataFrame({"child_no": c[mi], "team_no": ip_team[mi], "start": auth[mi],
                                "end": pre_care_end[mi], "referral_no": rid[mi]}))
        if len(cidx):
            ph.append(pd.DataFrame({"child_no": c[cidx], "team_no": cic_team,
                                    "start": care_start[cidx], "end": care_end[cidx],
                                    "referral_no": rid[cidx]}))
            post = cidx[close[cidx] > care_end[cidx] + 1]
            ph.append(pd.DataFrame({"child_no": c[post], "team_no": ip_team[post],
                                    "start": care_end[post], "end": close[post],
                                    "referral_no": rid[post]}))
        out.phases.append(pd.concat(ph, ignore_index=True))

        # ---- history and re-referral ----------------------------------------------------
        n_cp_prev[c] += cp
        had_plan[c] |= cp | has_cin
        p_rr = sigmoid(np.log(prof.rereferral_prob / (1 - prof.rereferral_prob)) + 0.35 * z
                       + 0.25 * sev + 0.35 * (level <= 1) - 0.4 * (k > 4)
                       + prof.premature_rereferral_logit * premature)
        again = (rng.random(m) < p_rr) & (reason != "RC5") & (reason != "RC1")
        fast = rng.random(m) < np.where(premature, 0.9, prof.rereferral_fast_share)
        gap = np.where(fast, 7 + rng.exponential(prof.rereferral_fast_mean_days, m),
                       rng.uniform(300, 4 * 365, m)).astype(np.int64)
        nxt = close + gap
        cur_child, cur_r = c[again], nxt[again]
    return out


def _holidays(cfg: SynthConfig) -> np.ndarray:
    from driftflag.casemodel.calendar import england_bank_holidays

    return england_bank_holidays(cfg.start.year - 1, cfg.end.year + 12)
