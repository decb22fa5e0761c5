"""Scored caseloads for the fairness tests, built from the seeded synthetic LA.

``res.truth["drift_monthly"]`` gives each open case's true drift probability for a month; joined
to ``res.store["children"]`` it is a realistic caseload. A stand-in "model" scores each case as a
logistic function of a noisy drift signal plus history-based features (prior CP plans, previous
CIN plans, referrals in 12 months), so the planted mechanism "less prior help before care for
Black and Asian children" (``docs/synthetic-la.md``) reaches the scores as it would with a real
model. Labels are Bernoulli(p_drift). Per-feature contributions are those of the linear model in
log-odds (coefficient x centred value), what SHAP gives for a linear model.

Bias, for the tests that the report must catch:

* ``SynthConfig(bias="label:GROUP:S")``: a model trained on those audit labels learns the drift
  probability the biased labels imply, ``p + S (1 - p)`` for the group; labels used for evaluation
  stay the truth, so the group is over-listed with more false discoveries.
* ``score_shift={"Black": 0.1}``: add 0.1 to the group's scores directly (clipped to [0, 1]).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.casemodel.codes import ETHNIC_MAJOR_GROUP

FEATURES = ("drift_signal", "prior_cp_plans", "previous_cin_plans", "referrals_12m",
            "missing_90d")
HISTORY = ("prior_cp_plans", "previous_cin_plans", "referrals_12m")
_COEF = {"drift_signal": 0.9, "prior_cp_plans": 0.3, "previous_cin_plans": 0.25,
         "referrals_12m": 0.2, "missing_90d": 0.1}


def synth_la(children: int = 8000, years: int = 4, seed: int = 3, bias: str | None = None):
    """The synthetic LA (the suite's cache: several tests share one)."""
    from synthetic_la_cache import synthetic_la

    return synthetic_la(children=children, years=years, seed=seed, bias=bias)


def _age_band(dob: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    age = (as_of - dob).dt.days.to_numpy() / 365.25
    return np.select([age < 1, age < 5, age < 10, age < 16], ["under 1", "1-4", "5-9", "10-15"],
                     "16-17")


def _count_before(events: pd.DataFrame, col: str, ids: pd.Series, lo, hi) -> np.ndarray:
    e = events[(events[col] >= lo) & (events[col] < hi)] if lo is not None else \
        events[events[col] < hi]
    return ids.map(e.groupby("child_id").size()).fillna(0).to_numpy(dtype=float)


def scored_caseload(
    *,
    children: int = 8000,
    years: int = 4,
    seed: int = 3,
    month: str = "2025-03-01",
    k: float = 0.1,
    bias: str | None = None,
    score_shift: dict[str, float] | None = None,
    label_seed: int = 0,
    noise: float = 0.6,
    labelled_share: float = 1.0,
    history_weight: float = 1.0,
) -> pd.DataFrame:
    """One month's scored caseload from the synthetic LA (deterministic in its arguments)."""
    from driftflag.fairness import select_top_k

    res = synth_la(children, years, seed, bias)
    as_of = pd.Timestamp(month)
    dm = res.truth["drift_monthly"]
    cases = dm[dm["as_of"] == as_of][["child_id", "p_drift"]].reset_index(drop=True)
    ch = res.store["children"]
    df = cases.merge(ch, on="child_id", how="left")
    ids = df["child_id"]
    rng = np.random.default_rng([seed, label_seed, 7])
    p = df["p_drift"].to_numpy()
    major = df["ethnicity"].astype("object").fillna("").map(ETHNIC_MAJOR_GROUP).fillna("Not known")
    learned = p.copy()
    if bias is not None and bias.startswith("label:"):
        _, group, strength = bias.split(":")
        hit = (major == group).to_numpy()
        learned[hit] = p[hit] + float(strength) * (1 - p[hit])
    learned = np.clip(learned, 1e-4, 1 - 1e-4)
    store = res.store
    year = pd.Timedelta(days=365)
    X = pd.DataFrame({
        "drift_signal": np.log(learned / (1 - learned)) + rng.normal(0, noise, len(df)),
        "prior_cp_plans": _count_before(store["cp_plans"], "start_date", ids, None, as_of),
        "previous_cin_plans": _count_before(store["cin_plans"], "end_date", ids, None, as_of),
        "referrals_12m": _count_before(store["referrals"], "referral_date", ids, as_of - year,
                                       as_of),
        "missing_90d": _count_before(store["missing_episodes"], "start_date", ids,
                                     as_of - pd.Timedelta(days=90), as_of),
    })
    logit = np.full(len(df), -0.2)
    contrib = {}
    for f in FEATURES:
        x = X[f].to_numpy()
        sd = x.std() or 1.0
        coef = _COEF[f] * (history_weight if f in HISTORY else 1.0)
        c = coef * (x - x.mean()) / (sd if f != "drift_signal" else 1.0)
        contrib[f"contrib__{f}"] = c
        logit = logit + c
    score = 1 / (1 + np.exp(-logit))
    if score_shift:
        for g, s in score_shift.items():
            score = np.where(major == g, np.clip(score + s, 0, 1), score)
    label = (rng.random(len(df)) < p).astype(float)
    weight = np.ones(len(df))
    if labelled_share < 1:
        keep = rng.random(len(df)) < labelled_share
        label = np.where(keep, label, np.nan)
        weight = np.where(keep, 1 / labelled_share, np.nan)
    lac = store["lac_episodes"]
    in_care_now = set(lac[(lac["decom"] <= as_of) & (lac["dec"].isna() | (lac["dec"] > as_of))]
                      ["child_id"])
    later = set(lac[(lac["decom"] > as_of) & (lac["decom"] <= as_of + year)]["child_id"])
    out = pd.DataFrame({
        "child_id": ids.astype(str),
        "score": score,
        "label": label,
        "sample_weight": weight,
        "entered_care_later": ids.isin(later).to_numpy() & ~ids.isin(in_care_now).to_numpy(),
        "audit_ethnicity": df["ethnicity"],
        "audit_ethnic_group": major,
        "audit_sex": df["sex"],
        "audit_age_band": _age_band(df["date_of_birth"], as_of),
        "audit_disability": df["disability"].astype("boolean"),
        "audit_uasc": df["uasc"].astype("boolean"),
    })
    for f in FEATURES:
        out[f] = X[f].to_numpy()
    for c, v in contrib.items():
        out[c] = v
    out["selected"] = select_top_k(out["score"].to_numpy(), out["child_id"].to_numpy(), k)
    out["p_drift"] = p
    return out


def tiny_caseload() -> pd.DataFrame:
    """A hand-written 60-case caseload with known groups (for suppression and API tests)."""
    rng = np.random.default_rng(0)
    n = 60
    eth = np.array(["WBRI"] * 30 + ["BAFR"] * 15 + ["APKN"] * 8 + ["REFU"] * 4 + [None] * 3,
                   dtype=object)
    score = np.round(rng.random(n), 3)
    return pd.DataFrame({
        "child_id": [f"C{i:03d}" for i in range(n)],
        "score": score,
        "label": (rng.random(n) < score).astype(float),
        "selected": score >= np.sort(score)[-12],
        "audit_ethnicity": eth,
        "audit_sex": np.where(np.arange(n) % 2 == 0, "F", "M"),
        "audit_age_band": np.array(["under 1", "1-4", "5-9", "10-15", "16-17"])[np.arange(n) % 5],
        "audit_disability": np.arange(n) % 7 == 0,
        "audit_uasc": np.arange(n) % 13 == 0,
    })


MONTHS = ("2025-01-01", "2025-02-01", "2025-03-01")


def pooled(label_bias: float = 0.0, score_up: dict | None = None) -> pd.DataFrame:
    """Three months pooled; ``label_bias`` turns that share of Black children's negative labels
    positive (a recording bias the scores do not know); ``score_up`` adds to a column's group."""
    frames = []
    for m in MONTHS:
        f = scored_caseload(month=m).drop(columns=["selected", "sample_weight"])
        f["as_of"] = pd.Timestamp(m)
        frames.append(f)
    df = pd.concat(frames, ignore_index=True)
    if label_bias:
        rng = np.random.default_rng(5)
        black = (df["audit_ethnic_group"] == "Black").to_numpy()
        flip = black & (df["label"].to_numpy() == 0) & (rng.random(len(df)) < label_bias)
        df.loc[flip, "label"] = 1.0
    for col, (group, add) in (score_up or {}).items():
        hit = (df[col] == group).to_numpy()
        df.loc[hit, "score"] = np.clip(df.loc[hit, "score"] + add, 0, 1)
    return df
