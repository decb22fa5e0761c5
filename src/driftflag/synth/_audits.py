"""The true monthly drift probability of every open case, and the council's QA audit history.

Truth: on the first day of each month, every open case (an open CIN episode) gets a true
probability that an audit that month would find drift (:data:`TRUTH_WEIGHTS`). An audit reads the
file: it finds drift where the symptoms show (plans and clocks running on, an assessment
overrunning, overdue visits, repeated missing without return home interviews, placement moves,
changes of worker) and, beyond them, where the practice is stuck in ways the records do not show
(the latent stuckness, which also causes the symptoms, with noise). Models only ever see the
recorded symptoms, so the truth's expected AUC is the ceiling a model can reach (issue 5), and the
truth is no one label.

Audits: a monthly uniform random sample of open cases (inclusion probability exact: k / n) plus
targeted audits drawn with probability proportional to a rule score (inclusion probability
estimated as ``min(1, k w / sum w)``), and re-audits three months after audits that set actions.
Grades are observed with auditor optimism: 40% of cases truly Requires improvement or Inadequate
are graded one level too high (S4:833, domain-requirements.md §2.4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.synth._util import sigmoid
from driftflag.synth.config import BiasSpec, Profile

GRADES = np.array(["Good", "Requires improvement", "Inadequate"], dtype=object)


def _interval_lookup(
    child: np.ndarray, when: np.ndarray, iv_child: np.ndarray, iv_start: np.ndarray,
    iv_end: np.ndarray, *, start_inclusive: bool = False,
) -> np.ndarray:
    """Index of the interval of the same child containing ``when`` (start < when <= end), else -1.

    Intervals of one child must not overlap. Vectorised with one ``searchsorted``.
    """
    if len(iv_child) == 0:
        return np.full(len(child), -1)
    order = np.lexsort((iv_start, iv_child))
    key = iv_child[order].astype(np.int64) * 200000 + (iv_start[order] - 0)
    q = child.astype(np.int64) * 200000 + when - (0 if start_inclusive else 1)
    pos = np.searchsorted(key, q, side="right") - 1
    valid = pos >= 0
    pos_c = np.where(valid, pos, 0)
    oi = order[pos_c]
    ok = valid & (iv_child[oi] == child) & (iv_end[oi] >= when)
    return np.where(ok, oi, -1)


def _count_in_window(
    child: np.ndarray, when: np.ndarray, ev_child: np.ndarray, ev_day: np.ndarray, window: int
) -> np.ndarray:
    """Events of the same child with ``when - window <= day < when``."""
    key = np.sort(ev_child.astype(np.int64) * 200000 + ev_day)
    hi = np.searchsorted(key, child.astype(np.int64) * 200000 + when, side="left")
    lo = np.searchsorted(key, child.astype(np.int64) * 200000 + when - window, side="left")
    return hi - lo


def _last_before(child, when, ev_child, ev_day) -> np.ndarray:
    """Day of the child's last event strictly before ``when``, or -1."""
    key = np.sort(ev_child.astype(np.int64) * 200000 + ev_day)
    q = child.astype(np.int64) * 200000 + when
    pos = np.searchsorted(key, q, side="left") - 1
    ok = pos >= 0
    kc = key[np.where(ok, pos, 0)]
    same = ok & (kc // 200000 == child)
    return np.where(same, kc % 200000, -1)


#: Logit weights of the true monthly drift probability: what an audit of the file would find.
#: Each symptom is caused by the latent stuckness (and team pressure) with its own noise, and the
#: latent part the records never show keeps the truth from being any one label.
TRUTH_WEIGHTS: dict[str, float] = {
    "intercept": -2.9,
    "stuckness": 0.55,
    "cp_plan_over_15m": 0.8,
    "cp_plan_over_21m": 0.5,
    "assessment_over_45wd": 0.6,
    "pre_proceedings_over_16w": 0.9,
    "proceedings_over_26w": 0.8,
    "missing_90d": 0.2,
    "missing_without_rhi_90d": 0.35,
    "placement_moves_12m": 0.45,
    "worker_changes_12m": 0.25,
    "team_pressure": 0.15,
    "masked_neglect": 0.8,
    "visit_overdue": 1.0,
}


def _days_since(as_of: np.ndarray, starts: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Days from the start of the interval each row falls in (``idx``, -1 for none) to ``as_of``;
    0 where there is none. Safe when the interval table is empty (a small LA may have no plan)."""
    if len(starts) == 0:
        return np.zeros(len(as_of), dtype=np.int64)
    return np.where(idx >= 0, as_of - starts[np.maximum(idx, 0)], 0)


def monthly_truth(
    month_starts: np.ndarray,
    referrals: pd.DataFrame,
    care: pd.DataFrame,
    cp: pd.DataFrame,
    cin: pd.DataFrame,
    pp: pd.DataFrame,
    missing: pd.DataFrame,
    allocations: pd.DataFrame,
    visits: pd.DataFrame,
    stuckness: np.ndarray,
    pressure_of_child_at,
    *,
    assessments: pd.DataFrame | None = None,
    proceedings: pd.DataFrame | None = None,
    episodes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (open case, month start) with the service and the true drift probability.

    All inputs are in integer days with -1 for "still open"; days beyond the extract date are
    allowed (the truth is about the world, not the records). The logit is the sum of
    :data:`TRUTH_WEIGHTS` times each symptom on the month start (capped counts).
    """
    big = np.iinfo(np.int64).max // 4
    r_close = np.where(referrals["close"].to_numpy() < 0, big, referrals["close"].to_numpy())
    r_date = referrals["date"].to_numpy()
    first = np.searchsorted(month_starts, r_date, side="right")
    last = np.searchsorted(month_starts, r_close, side="right") - 1
    n = np.maximum(last - first + 1, 0)
    ri = np.repeat(np.arange(len(referrals)), n)
    mi = np.repeat(first, n) + (np.arange(len(ri)) - np.repeat(np.cumsum(n) - n, n))
    child = referrals["child_no"].to_numpy()[ri]
    as_of = month_starts[mi]

    def end_of(df, col="end"):
        e = df[col].to_numpy()
        return np.where(e < 0, big, e)

    in_care = _interval_lookup(child, as_of, care["child_no"].to_numpy(), care["start"].to_numpy(),
                               end_of(care)) >= 0
    cpi = _interval_lookup(child, as_of, cp["child_no"].to_numpy(), cp["start"].to_numpy(), end_of(cp))
    cini = _interval_lookup(child, as_of, cin["child_no"].to_numpy(), cin["start"].to_numpy(),
                            end_of(cin))
    ppi = _interval_lookup(child, as_of, pp["child_no"].to_numpy(), pp["start"].to_numpy(),
                           end_of(pp, "decision"))
    service = np.select([in_care, cpi >= 0, cini >= 0], ["LAC", "CP", "CIN"], "ASSESSMENT")
    cp_days = _days_since(as_of, cp["start"].to_numpy(), cpi)
    pp_days = _days_since(as_of, pp["start"].to_numpy(), ppi)
    a_days = np.zeros(len(child), dtype=np.int64)
    if assessments is not None and len(assessments):
        ai = _interval_lookup(child, as_of, assessments["child_no"].to_numpy(),
                              assessments["start"].to_numpy(), end_of(assessments, "auth"))
        a_days = np.where(ai >= 0, as_of - assessments["start"].to_numpy()[np.maximum(ai, 0)], 0)
    pr_days = np.zeros(len(child), dtype=np.int64)
    if proceedings is not None and len(proceedings):
        pri = _interval_lookup(child, as_of, proceedings["child_no"].to_numpy(),
                               proceedings["application"].to_numpy(), end_of(proceedings, "final_order"))
        pr_days = np.where(pri >= 0, as_of - proceedings["application"].to_numpy()[np.maximum(pri, 0)], 0)
    moves12 = np.zeros(len(child), dtype=np.int64)
    if episodes is not None and len(episodes):
        mv = episodes[episodes["rne"].isin(["P", "B", "T", "U"])]
        moves12 = _count_in_window(child, as_of, mv["child_no"].to_numpy(), mv["decom"].to_numpy(), 365)
    miss90 = _count_in_window(child, as_of, missing["child_no"].to_numpy(),
                              missing["start"].to_numpy(), 90)
    no_rhi = missing[~missing["rhi_offered"].astype(bool)]
    miss90_no_rhi = _count_in_window(child, as_of, no_rhi["child_no"].to_numpy(),
                                     no_rhi["start"].to_numpy(), 90)
    wc12 = _count_in_window(child, as_of, allocations["child_no"].to_numpy(),
                            allocations["start"].to_numpy(), 365)
    last_visit = _last_before(child, as_of, visits["child_no"].to_numpy(),
                              visits["visit_date"].to_numpy())
    expected_gap = np.select([service == "CP", service == "CIN", service == "LAC"], [14, 28, 42], 60)
    overdue = (last_visit < 0) | (as_of - last_visit > 2 * expected_gap)
    masked = referrals["masked"].to_numpy()[ri]
    pressure = pressure_of_child_at(child, as_of)
    z = stuckness[child]
    w = TRUTH_WEIGHTS
    logit = (w["intercept"] + w["stuckness"] * z + w["cp_plan_over_15m"] * (cp_days > 456)
             + w["cp_plan_over_21m"] * (cp_days > 640)
             + w["assessment_over_45wd"] * (a_days > 63)
             + w["pre_proceedings_over_16w"] * (pp_days > 112)
             + w["proceedings_over_26w"] * (pr_days > 182)
             + w["missing_90d"] * np.minimum(miss90, 4)
             + w["missing_without_rhi_90d"] * np.minimum(miss90_no_rhi, 3)
             + w["placement_moves_12m"] * np.minimum(moves12, 3)
             + w["worker_changes_12m"] * np.minimum(np.maximum(wc12 - 1, 0), 3)
             + w["team_pressure"] * pressure + w["masked_neglect"] * masked
             + w["visit_overdue"] * (overdue & (service != "ASSESSMENT")))
    return pd.DataFrame({
        "child_no": child, "as_of": as_of, "referral_no": referrals["referral_no"].to_numpy()[ri],
        "service": service, "p_drift": sigmoid(logit),
        "rule_score": ((cp_days > 547).astype(int) + (pp_days > 112) + (miss90 >= 3)
                       + (np.maximum(wc12 - 1, 0) >= 2) + overdue),
    })


def sample_audits(
    panel: pd.DataFrame,
    prof: Profile,
    rng: np.random.Generator,
    ethnic_group: np.ndarray,
    n_auditors: int,
    bias: BiasSpec | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the audit history from the monthly truth panel; returns (audits, audit truth)."""
    p = panel.reset_index(drop=True)
    n_open = p.groupby("as_of")["child_no"].transform("size").to_numpy()
    k_rand = np.maximum(1, np.round(n_open * prof.audits_random_per_1000_open / 1000)).astype(int)
    k_targ = np.maximum(1, np.round(n_open * prof.audits_targeted_per_1000_open / 1000)).astype(int)
    u = rng.random(len(p))
    p["_u"] = u
    rank_r = p.groupby("as_of")["_u"].rank(method="first").to_numpy() - 1
    rand_pick = rank_r < k_rand
    w = np.exp(1.0 * p["rule_score"].to_numpy())
    gumbel = np.log(w) - np.log(-np.log(rng.random(len(p))))
    p["_g"] = np.where(rand_pick, -np.inf, gumbel)
    rank_t = p.groupby("as_of")["_g"].rank(method="first", ascending=False).to_numpy() - 1
    targ_pick = (rank_t < k_targ) & ~rand_pick
    sum_w = p.assign(_w=w).groupby("as_of")["_w"].transform("sum").to_numpy()
    incl = np.where(rand_pick, k_rand / n_open, np.minimum(1.0, k_targ * w / sum_w))
    picked = rand_pick | targ_pick
    a = p.loc[picked, ["child_no", "as_of", "service", "p_drift"]].copy()
    a["selection_reason"] = np.where(rand_pick[picked], "random", "targeted")
    a["inclusion_probability"] = np.round(incl[picked], 6)

    # re-audits three months later for audits that set actions (decided below; drawn twice)
    def grade(frame: pd.DataFrame) -> pd.DataFrame:
        m = len(frame)
        drift = rng.random(m) < frame["p_drift"].to_numpy()
        g_true = np.where(drift, np.where(rng.random(m) < 0.45, 2, 1),
                          np.select([rng.random(m) < 0.65], [0], np.where(rng.random(m) < 0.86, 1, 2)))
        optimistic = (g_true > 0) & (rng.random(m) < prof.auditor_optimism)
        g_obs = g_true - optimistic
        found = np.where(drift, rng.random(m) < prof.audit_drift_detection, rng.random(m) < 0.03)
        if bias is not None and bias.kind == "label":
            grp = ethnic_group[frame["child_no"].to_numpy()] == bias.group
            flip = grp & ~drift & (rng.random(m) < bias.strength)
            found = found | flip
            g_obs = np.where(flip, np.minimum(g_obs + 1, 2), g_obs)
        frame = frame.copy()
        frame["true_drift"] = drift
        frame["true_grade"] = GRADES[g_true]
        frame["grade"] = GRADES[g_obs]
        frame["drift_found"] = found
        frame["actions_set"] = (g_obs > 0) & (rng.random(m) < 0.8)
        frame["audit_date"] = frame["as_of"].to_numpy() + rng.integers(3, 26, m)
        return frame

    a = grade(a)
    re = a[a["actions_set"].to_numpy() & (rng.random(len(a)) < 0.4)][["child_no", "as_of"]].copy()
    months = np.sort(p["as_of"].unique())
    idx = np.searchsorted(months, re["as_of"].to_numpy()) + 3
    re = re[idx < len(months)]
    re["as_of"] = months[idx[idx < len(months)]]
    re = re.merge(p[["child_no", "as_of", "service", "p_drift"]], on=["child_no", "as_of"])
    re = re.drop_duplicates(["child_no", "as_of"])
    re["selection_reason"] = "re-audit"
    re["inclusion_probability"] = 0.4
    re = grade(re)
    audits = pd.concat([a, re], ignore_index=True)
    audits = audits.drop_duplicates(["child_no", "as_of"], keep="first")
    audits = audits.sort_values(["audit_date", "child_no"], kind="stable").reset_index(drop=True)
    audits["auditor"] = [f"PM{int(x):02d}" for x in rng.integers(1, n_auditors + 1, len(audits))]
    return audits, audits[["child_no", "as_of", "p_drift", "true_drift", "true_grade"]]
