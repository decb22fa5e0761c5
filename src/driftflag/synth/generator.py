"""Assemble a synthetic local authority: canonical case store plus the truth behind it.

:func:`generate` is pure (no files): it returns a :class:`SynthResult` holding the canonical
tables (exactly what a council's case management system would hold on the extract date) and
the truth tables (latent drivers and the true monthly drift probability), which are never
written into the returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from driftflag.casemodel import CaseStore
from driftflag.synth._audits import monthly_truth, sample_audits
from driftflag.synth._care_leavers import simulate_care_leavers
from driftflag.synth._journeys import simulate_journeys
from driftflag.synth._population import simulate_population
from driftflag.synth._util import NA, day, segment_cumsum, to_datetime
from driftflag.synth._workforce import SERVICES, allocate, build_workforce
from driftflag.synth.config import PROFILES, SynthConfig

logger = logging.getLogger(__name__)

_STREAMS = {"population": 1, "workforce": 2, "journeys": 3, "allocations": 4, "visits": 5,
            "audits": 6, "ids": 7, "bias": 8, "care_leavers": 9}


def _rng(cfg: SynthConfig, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([cfg.seed, _STREAMS[stream]]))


@dataclass
class SynthResult:
    config: SynthConfig
    store: CaseStore
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)


def _ids(prefix: str, n: int, width: int = 7) -> np.ndarray:
    """Identifiers PREFIX0000001... in order (an empty array when n is 0)."""
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _censor(days: np.ndarray, end_day: int) -> np.ndarray:
    """Dates after the extract date are not yet known: they become missing."""
    d = np.asarray(days, dtype=np.int64)
    return np.where((d < 0) | (d > end_day), NA, d)


def _visits(rng, intervals: pd.DataFrame) -> pd.DataFrame:
    """Statutory visits: gamma-distributed gaps over each interval (CP, CIN plan, care)."""
    start = intervals["start"].to_numpy()
    end = intervals["end"].to_numpy()
    gap = intervals["gap"].to_numpy()
    nmax = np.ceil((end - start) / (gap * 0.5)).astype(np.int64) + 2
    nmax = np.minimum(nmax, 400)
    idx = np.repeat(np.arange(len(start)), nmax)
    gaps = rng.gamma(4.0, gap[idx] / 4.0)
    starts_at = np.concatenate([[0], np.cumsum(nmax)[:-1]])
    cum = segment_cumsum(gaps, starts_at)
    # the first visit comes early in the plan: shift every visit back by 70% of the first gap
    first_gap = np.repeat(gaps[starts_at], nmax)
    vday = start[idx] + np.round(cum).astype(np.int64) - np.round(first_gap * 0.7).astype(np.int64)
    keep = (vday >= start[idx]) & (vday < end[idx])
    idx, vday = idx[keep], vday[keep]
    return pd.DataFrame({
        "child_no": intervals["child_no"].to_numpy()[idx],
        "visit_date": vday,
        "visit_type": intervals["type"].to_numpy()[idx],
        "seen_alone": rng.random(len(idx)) < np.where(intervals["type"].to_numpy()[idx] == "CIN", 0.55, 0.7),
    })


def generate(cfg: SynthConfig, progress=None) -> SynthResult:
    """Simulate the LA described by ``cfg``; deterministic in ``cfg`` (including the seed)."""
    prof = PROFILES[cfg.profile]
    end_day = day(cfg.end)
    step = progress or (lambda _msg: None)

    step("population")
    pop = simulate_population(cfg, prof, _rng(cfg, "population"))
    wf = build_workforce(cfg, prof, _rng(cfg, "workforce"))
    step("journeys")
    j = simulate_journeys(cfg, prof, pop, wf, _rng(cfg, "journeys"))
    refs = j.frame("referrals").sort_values(["child_no", "date"], kind="stable").reset_index(drop=True)

    step("allocations")
    ph = j.frame("phases")
    ph = ph[(ph["end"] > ph["start"]) & (ph["start"] <= end_day)].reset_index(drop=True)
    alloc = allocate(wf, prof, _rng(cfg, "allocations"), ph["child_no"].to_numpy(),
                     ph["team_no"].to_numpy(), ph["start"].to_numpy(), ph["end"].to_numpy())
    alloc = alloc.sort_values(["child_no", "start"], kind="stable").reset_index(drop=True)

    step("visits")
    care = j.frame("care_periods")
    cp = j.frame("cp_plans")
    cin = j.frame("cin_plans")
    z = pop.stuckness
    iv = pd.concat([
        pd.DataFrame({"child_no": cp["child_no"], "start": cp["start"], "end": cp["end"],
                      "type": "CP", "base": 14.0}),
        pd.DataFrame({"child_no": cin["child_no"], "start": cin["start"], "end": cin["end"],
                      "type": "CIN", "base": 28.0}),
        pd.DataFrame({"child_no": care["child_no"], "start": care["start"], "end": care["end"],
                      "type": "LAC", "base": 42.0}),
    ], ignore_index=True)
    iv = iv[(iv["end"] > iv["start"]) & (iv["start"] <= end_day)].reset_index(drop=True)
    iv["end"] = np.minimum(iv["end"].to_numpy(), end_day + 1)
    pr = wf.pressure_at(wf.team_for("IP", pop.district[iv["child_no"].to_numpy()]), iv["start"].to_numpy())
    vrng = _rng(cfg, "visits")
    iv["gap"] = iv["base"] * np.exp(0.45 * z[iv["child_no"].to_numpy()] + 0.15 * pr
                                    + vrng.normal(0, 0.15, len(iv)))
    visits = _visits(vrng, iv).sort_values(["child_no", "visit_date"], kind="stable").reset_index(drop=True)

    missing = j.frame("missing")
    true_visits, true_missing = visits, missing.copy()  # the truth is about practice, not records
    brng = _rng(cfg, "bias")
    if cfg.bias is not None and cfg.bias.kind == "recording":
        g = pop.ethnic_group
        drop = (g[visits["child_no"].to_numpy()] == cfg.bias.group) & (brng.random(len(visits)) < cfg.bias.strength)
        visits = visits[~drop].reset_index(drop=True)
        hit = (g[missing["child_no"].to_numpy()] == cfg.bias.group) & (brng.random(len(missing)) < cfg.bias.strength)
        missing.loc[hit, ["rhi_offered", "rhi_accepted"]] = False

    step("truth and audits")
    first_month = pd.Timestamp(cfg.start) + pd.offsets.MonthBegin(1)
    months = pd.date_range(first_month, pd.Timestamp(cfg.end), freq="MS")
    month_days = ((months - pd.Timestamp("1970-01-01")).days).to_numpy().astype(np.int64)
    pp = j.frame("pre_proceedings")

    def pressure_of_child_at(child, days):
        return wf.pressure_at(wf.team_for("IP", pop.district[child]), days)

    panel = monthly_truth(month_days, refs, care, cp, cin, pp, true_missing, alloc, true_visits, z,
                          pressure_of_child_at, assessments=j.frame("assessments"),
                          proceedings=j.frame("proceedings"), episodes=j.frame("lac_episodes"))
    n_auditors = max(4, len(wf.teams) // 2)
    audits, audit_truth = sample_audits(panel, prof, _rng(cfg, "audits"), pop.ethnic_group,
                                        n_auditors, cfg.bias)
    audits = audits[audits["audit_date"] <= end_day].reset_index(drop=True)
    # audit team = the team holding the case on the audit date
    from driftflag.synth._audits import _interval_lookup

    ai = _interval_lookup(audits["child_no"].to_numpy(), audits["audit_date"].to_numpy(),
                          alloc["child_no"].to_numpy(), alloc["start"].to_numpy(),
                          alloc["end"].to_numpy(), start_inclusive=True)

    step("canonical tables")
    store, truth = _assemble(cfg, pop, wf, j, refs, alloc, visits, missing, care, panel, audits, ai,
                             audit_truth)
    return SynthResult(config=cfg, store=store, truth=truth)


def _assemble(cfg, pop, wf, j, refs, alloc, visits, missing, care, panel, audits, audit_alloc,
              audit_truth):
    end_day = day(cfg.end)
    E = lambda a: to_datetime(_censor(a, end_day))  # noqa: E731
    D = lambda a: to_datetime(np.asarray(a, dtype=np.int64))  # noqa: E731

    # child ids: a random permutation so ids say nothing about arrival order
    perm = _rng(cfg, "ids").permutation(pop.n)
    child_id = np.char.add("", (1000000 + perm).astype(str)).astype(object)

    refs = refs[refs["date"] <= end_day].reset_index(drop=True)
    refs["referral_id"] = _ids("REF", len(refs))
    ref_id_of = pd.Series(refs["referral_id"].to_numpy(), index=refs["referral_no"].to_numpy())
    close = _censor(refs["close"].to_numpy(), end_day)

    known = np.zeros(pop.n, dtype=bool)
    known[refs["child_no"].to_numpy()] = True
    uasc_ceased = np.where(pop.uasc, pop.age18, NA)
    children = pd.DataFrame({
        "child_id": child_id[known],
        "sex": pop.sex[known],
        "date_of_birth": D(pop.dob[known]),
        "ethnicity": np.where(pop.ethnicity[known] == "", None, pop.ethnicity[known]),
        "disability": pop.disabled[known],
        "disability_codes": pop.disability_codes[known],
        "uasc": pop.uasc[known],
        "uasc_ceased_date": E(uasc_ceased[known]),
        "upn": None,
        "date_of_death": None,
    }).sort_values("child_id", kind="stable")

    referrals = pd.DataFrame({
        "referral_id": refs["referral_id"], "child_id": child_id[refs["child_no"]],
        "referral_date": D(refs["date"]), "referral_source": refs["source"],
        "referral_nfa": refs["nfa"], "primary_need": refs["need"],
        "closure_date": to_datetime(close),
        "closure_reason": np.where(close == NA, None, refs["reason"]),
    })

    def linked(df: pd.DataFrame) -> pd.DataFrame:
        df = df[df["referral_no"].isin(ref_id_of.index)].reset_index(drop=True)
        return df.assign(referral_id=ref_id_of.loc[df["referral_no"].to_numpy()].to_numpy())

    a = linked(j.frame("assessments"))
    a = a[a["start"] <= end_day].sort_values(["child_no", "start"], kind="stable").reset_index(drop=True)
    assessments = pd.DataFrame({
        "assessment_id": _ids("ASM", len(a)), "child_id": child_id[a["child_no"]],
        "referral_id": a["referral_id"], "start_date": D(a["start"]),
        "authorisation_date": E(a["auth"]), "factors": a["factors"],
        "child_seen": a["child_seen"], "requires_support": np.where(a["auth"] > end_day, None, a["requires_support"]),
    })

    s = linked(j.frame("section47"))
    s = s[s["start"] <= end_day].sort_values(["child_no", "start"], kind="stable").reset_index(drop=True)
    icpc = _censor(s["icpc"].to_numpy(), end_day)
    section47 = pd.DataFrame({
        "s47_id": _ids("S47", len(s)), "child_id": child_id[s["child_no"]],
        "referral_id": s["referral_id"], "start_date": D(s["start"]),
        "icpc_target_date": E(s["icpc_target"]), "icpc_date": to_datetime(icpc),
        "icpc_not_required": s["icpc_not_required"],
        "icpc_resulted_in_plan": np.where(icpc == NA, None, s["plan"]),
    })

    c = linked(j.frame("cin_plans"))
    c = c[(c["start"] <= end_day) & (c["end"] > c["start"])]
    c = c.sort_values(["child_no", "start"], kind="stable").reset_index(drop=True)
    cin_plans = pd.DataFrame({
        "cin_plan_id": _ids("CINP", len(c)), "child_id": child_id[c["child_no"]],
        "referral_id": c["referral_id"], "start_date": D(c["start"]), "end_date": E(c["end"]),
    })

    p = linked(j.frame("cp_plans"))
    p = p[p["start"] <= end_day].sort_values(["child_no", "start"], kind="stable").reset_index(drop=True)
    p["cp_plan_id"] = _ids("CPP", len(p))
    cp_plans = pd.DataFrame({
        "cp_plan_id": p["cp_plan_id"], "child_id": child_id[p["child_no"]],
        "referral_id": p["referral_id"], "start_date": D(p["start"]), "end_date": E(p["end"]),
        "initial_category": p["initial_category"], "latest_category": p["latest_category"],
        "number_of_previous_cpp": p["previous"],
    })
    cpid_of = pd.Series(p["cp_plan_id"].to_numpy(), index=p["referral_no"].to_numpy())
    rv = j.frame("cp_reviews")
    rv = rv[(rv["review"] <= end_day) & rv["cp_referral_no"].isin(cpid_of.index)]
    rv = rv.sort_values(["child_no", "review"], kind="stable").reset_index(drop=True)
    cp_reviews = pd.DataFrame({
        "cp_plan_id": cpid_of.loc[rv["cp_referral_no"].to_numpy()].to_numpy(),
        "child_id": child_id[rv["child_no"]], "review_date": D(rv["review"]),
    }).drop_duplicates(["cp_plan_id", "review_date"])

    ep = j.frame("lac_episodes")
    ep = ep[ep["decom"] <= end_day].sort_values(["child_no", "decom"], kind="stable").reset_index(drop=True)
    dec = _censor(ep["dec"].to_numpy(), end_day)
    lac_episodes = pd.DataFrame({
        "episode_id": _ids("EP", len(ep)), "child_id": child_id[ep["child_no"]],
        "decom": D(ep["decom"]), "rne": ep["rne"], "ls": ep["ls"], "cin": ep["cin"],
        "place": ep["place"], "place_provider": np.where(ep["place_provider"] == "", None, ep["place_provider"]),
        "dec": to_datetime(dec), "rec": np.where(dec == NA, None, ep["rec"]),
        "reason_place_change": np.where((dec == NA) | (ep["reason_place_change"] == ""), None,
                                        ep["reason_place_change"]),
        "home_post": ep["home_post"], "pl_post": ep["pl_post"], "urn": ep["urn"],
        "pl_distance": ep["pl_distance"], "placement_in_la": ep["placement_in_la"],
    })

    lr = j.frame("lac_reviews")
    lr = lr[lr["review_date"] <= end_day].sort_values(["child_no", "review_date"], kind="stable")
    lac_reviews = pd.DataFrame({
        "child_id": child_id[lr["child_no"]], "review_date": D(lr["review_date"]),
        "review_code": lr["review_code"],
    }).drop_duplicates(["child_id", "review_date"])

    ms = missing[missing["start"] <= end_day].reset_index(drop=True)
    mend = _censor(ms["end"].to_numpy(), end_day)
    missing_episodes = pd.DataFrame({
        "missing_id": _ids("MIS", len(ms)), "child_id": child_id[ms["child_no"]],
        "missing_type": ms["missing_type"], "start_date": D(ms["start"]),
        "end_date": to_datetime(mend),
        "rhi_offered": np.where(mend == NA, None, ms["rhi_offered"]),
        "rhi_accepted": np.where(mend == NA, None, ms["rhi_accepted"]),
    })

    pp = linked(j.frame("pre_proceedings"))
    pp = pp[pp["start"] <= end_day].sort_values(["child_no", "start"], kind="stable").reset_index(drop=True)
    decided = (pp["decision"] <= end_day).to_numpy()
    pre_proceedings = pd.DataFrame({
        "pp_id": _ids("PP", len(pp)), "child_id": child_id[pp["child_no"]],
        "referral_id": pp["referral_id"], "start_date": D(pp["start"]),
        "letter_before_proceedings_date": E(pp["lbp"]), "fgdm_offered": pp["fgdm_offered"],
        "fgdm_facilitated": pp["fgdm_facilitated"], "initial_meeting_date": E(pp["initial_meeting"]),
        "review_meetings_count": np.where(decided, pp["review_meetings"],
                                          np.floor((end_day - pp["start"].to_numpy()) / 42)).astype(int),
        "decision_date": E(pp["decision"]),
        "outcome": np.where(decided, pp["outcome"], "A"),
        "court_application_date": E(pp["court_app"]),
    })

    pr = j.frame("proceedings")
    pr = pr[pr["application"] <= end_day].sort_values(["child_no", "application"], kind="stable").reset_index(drop=True)
    fo = _censor(pr["final_order"].to_numpy(), end_day)
    order_name = {"C2": "Care order", "E1": "Placement order", "SGO": "Special guardianship order",
                  "SO": "Supervision order", "CAO": "Child arrangements order"}
    care_proceedings = pd.DataFrame({
        "proceedings_id": _ids("PROC", len(pr)), "child_id": child_id[pr["child_no"]],
        "application_date": D(pr["application"]), "final_order_date": to_datetime(fo),
        "final_order": [order_name.get(o) if f != NA else None for o, f in zip(pr["order"], fo, strict=True)],
    })

    v = visits[visits["visit_date"] <= end_day].reset_index(drop=True)
    visits_t = pd.DataFrame({
        "visit_id": _ids("V", len(v), 8), "child_id": child_id[v["child_no"]],
        "visit_date": D(v["visit_date"]), "visit_type": v["visit_type"], "seen_alone": v["seen_alone"],
    })

    al = alloc[alloc["start"] <= end_day].reset_index(drop=True)
    aend = _censor(al["end"].to_numpy(), end_day)
    team_name = wf.teams["team"].to_numpy()
    allocations = pd.DataFrame({
        "allocation_id": _ids("AL", len(al), 8), "child_id": child_id[al["child_no"]],
        "team": team_name[al["team_no"]], "worker_id": wf.workers["worker_id"].to_numpy()[al["worker_no"]],
        "start_date": D(al["start"]), "end_date": to_datetime(aend),
        "end_reason": np.where(aend == NA, None,
                               np.where(al["end_reason"] == "CASE_CLOSED", None, al["end_reason"])),
    })

    w = wf.workers[wf.workers["start"] <= end_day]
    svc = wf.teams["service"].to_numpy()
    workers = pd.DataFrame({
        "worker_id": w["worker_id"], "worker_name": w["worker_name"],
        "team": team_name[w["team_no"]], "service": [SERVICES[x] for x in svc[w["team_no"]]],
        "start_date": D(w["start"]), "end_date": to_datetime(_censor(w["end"].to_numpy(), end_day)),
    })

    au = audits.reset_index(drop=True)
    au["audit_id"] = _ids("AUD", len(au), 6)
    audits_t = pd.DataFrame({
        "audit_id": au["audit_id"], "child_id": child_id[au["child_no"]],
        "audit_date": D(au["audit_date"]), "auditor": au["auditor"],
        "team": np.where(audit_alloc >= 0, team_name[alloc["team_no"].to_numpy()[np.maximum(audit_alloc, 0)]], None),
        "service": au["service"].replace({"ASSESSMENT": "CIN"}),
        "grade": au["grade"], "drift_found": au["drift_found"],
        "selection_reason": au["selection_reason"],
        "inclusion_probability": au["inclusion_probability"], "actions_set": au["actions_set"],
    })

    store = CaseStore.from_frames({
        "children": children, "referrals": referrals, "assessments": assessments,
        "section47": section47, "cin_plans": cin_plans, "cp_plans": cp_plans,
        "cp_reviews": cp_reviews, "lac_episodes": lac_episodes, "lac_reviews": lac_reviews,
        "missing_episodes": missing_episodes, "pre_proceedings": pre_proceedings,
        "care_proceedings": care_proceedings, "visits": visits_t, "allocations": allocations,
        "workers": workers, "audits": audits_t,
        # care leavers come from the finished episodes, with their own random stream
        "care_leavers": simulate_care_leavers(children, lac_episodes, pd.Timestamp(cfg.end),
                                              _rng(cfg, "care_leavers"), PROFILES[cfg.profile]),
    })

    panel = panel[panel["as_of"] <= end_day]
    drift_monthly = pd.DataFrame({
        "child_id": child_id[panel["child_no"].to_numpy()],
        "as_of": D(panel["as_of"]), "service": panel["service"].to_numpy(),
        "p_drift": panel["p_drift"].round(6).to_numpy(),
    }).sort_values(["as_of", "child_id"], kind="stable").reset_index(drop=True)
    masked_ever = np.zeros(pop.n, bool)
    masked_ever[refs.loc[refs["masked"], "child_no"].to_numpy()] = True
    care_prior = care.groupby("child_no")["prior_plan"].first()
    prior = np.full(pop.n, None, dtype=object)
    prior[care_prior.index.to_numpy()] = care_prior.to_numpy()
    children_truth = pd.DataFrame({
        "child_id": child_id[known], "ethnic_group": pop.ethnic_group[known],
        "stuckness": np.round(pop.stuckness[known], 6), "severity": np.round(pop.severity[known], 6),
        "neglect_masked_by_disability": masked_ever[known],
        "prior_plan_before_first_care": prior[known],
    }).sort_values("child_id", kind="stable").reset_index(drop=True)
    at = audit_truth.reset_index(drop=True)
    at = at.merge(au[["child_no", "as_of", "audit_id"]], on=["child_no", "as_of"])
    audit_truth_t = pd.DataFrame({
        "audit_id": at["audit_id"], "p_drift": at["p_drift"].round(6),
        "true_drift": at["true_drift"], "true_grade": at["true_grade"],
    }).sort_values("audit_id").reset_index(drop=True)
    truth = {"drift_monthly": drift_monthly, "children": children_truth, "audits": audit_truth_t}
    return store, truth
