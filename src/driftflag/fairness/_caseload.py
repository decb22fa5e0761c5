"""Check the scored caseload and derive the group columns of every dimension.

The scored caseload is the interface between the scores and this audit: one row per open case
(and per month, when an ``as_of`` column pools a back-test: then each month's list is made
separately and the bootstrap resamples children) with ``child_id``, ``score``, ``selected`` (or
a ``k`` in the config), ``label`` (0/1 or NaN), optional ``sample_weight``,
``entered_care_later`` and ``predicted`` (the probability calibration is judged on, when the
scores that rank the list are not probabilities; default the score), and the ``audit_*``
columns. Audit columns are never model features;
they exist only to slice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.casemodel.codes import ETHNIC_MAJOR_GROUP, ETHNIC_MAJOR_GROUPS, ETHNICITY_LABELS
from driftflag.evaluation import select_top_k as _select_top_k
from driftflag.fairness._errors import ScoredCaseloadError
from driftflag.fairness.config import FairnessConfig

__all__ = ["AGE_BANDS", "Caseload", "prepare_caseload", "select_top_k"]

#: Age bands of ``domain-requirements.md`` §3.4.
AGE_BANDS: tuple[str, ...] = ("under 1", "1-4", "5-9", "10-15", "16-17")
_AGE_ALIASES: dict[str, str] = {"unborn": "under 1", "under 1": "under 1", "18+": "16-17",
                                "1-4": "1-4", "5-9": "5-9", "10-15": "10-15", "16-17": "16-17"}
_REQUIRED = ("child_id", "score", "label", "audit_ethnicity", "audit_sex", "audit_age_band",
             "audit_disability", "audit_uasc")
_SEX_LABEL = {"M": "Male", "F": "Female", "U": "Not stated/recorded"}


# the one top-k (score descending, ties by child_id), re-exported as fairness.select_top_k
select_top_k = _select_top_k


class Caseload:
    """The checked caseload as arrays, plus one categorical group column per dimension."""

    def __init__(self, frame: pd.DataFrame, groups: dict[str, pd.Categorical]):
        self.frame = frame
        self.groups = groups
        self.score = frame["score"].to_numpy(dtype=float)
        #: the probability behind observed / predicted (the score unless given)
        self.predicted = (frame["predicted"].to_numpy(dtype=float) if "predicted" in frame.columns
                          else self.score)
        self.selected = frame["selected"].to_numpy(dtype=bool)
        self.label = frame["label"].to_numpy(dtype=float)
        self.labelled = ~np.isnan(self.label)
        self.weight = frame["sample_weight"].to_numpy(dtype=float)
        self.n = len(frame)
        #: one code per child: the bootstrap resamples children (clusters), never rows, so a
        #: child listed in several back-test months counts as one draw
        self.cluster = pd.factorize(frame["child_id"].to_numpy(dtype=str), sort=True)[0]
        #: the worklist month of each row ("" when the caseload is one month)
        self.period = (frame["as_of"].astype(str).str[:7].to_numpy(dtype=str)
                       if "as_of" in frame.columns else np.full(self.n, "", dtype=object))


def _ethnic_codes(s: pd.Series) -> pd.Series:
    return s.astype("object").where(s.notna(), "").astype(str).str.strip().str.upper()


def _major(codes: pd.Series) -> pd.Series:
    return codes.map(ETHNIC_MAJOR_GROUP).fillna("Not known")


def _detailed(codes: pd.Series, major: pd.Series, min_n: int) -> pd.Categorical:
    """Detailed DfE codes, small codes pooled into "<major> (other codes)" so numbers allow.

    Refused, not obtained and blank codes stay together as "Not known" (never dropped).
    """
    label = codes.map(ETHNICITY_LABELS)
    label = label.where(major != "Not known", "Not known").fillna("Not known")
    counts = label.value_counts()
    small = label.map(counts) < min_n
    pooled = major + " (other codes)"
    label = label.where(~small | (major == "Not known"), pooled)
    order = []
    for g in ETHNIC_MAJOR_GROUPS:
        for code, name in ETHNICITY_LABELS.items():
            if ETHNIC_MAJOR_GROUP[code] == g and g != "Not known" and name not in order:
                order.append(name)
        order.append(f"{g} (other codes)" if g != "Not known" else "Not known")
    present = [c for c in order if c in set(label)]
    return pd.Categorical(label, categories=present)


def prepare_caseload(scored: pd.DataFrame, config: FairnessConfig) -> Caseload:
    """Check ``scored`` and derive group columns; raises :class:`ScoredCaseloadError`.

    Selection comes from ``selected``, or from ``config.k`` with explicit tie-breaking (score
    descending, then ``child_id`` ascending) when ``k`` is given.
    """
    missing = [c for c in _REQUIRED if c not in scored.columns]
    if config.k is None and "selected" not in scored.columns:
        missing.append("selected (or give k in the config)")
    if missing:
        raise ScoredCaseloadError(f"missing columns: {', '.join(missing)}")
    if len(scored) == 0:
        raise ScoredCaseloadError("no open cases")
    df = scored.copy()
    df["child_id"] = df["child_id"].astype(str)
    pooled = "as_of" in df.columns
    if pooled:
        as_of = pd.to_datetime(df["as_of"], errors="coerce")
        if as_of.isna().any():
            raise ScoredCaseloadError("as_of must be a date on every row")
        df["as_of"] = as_of
        if df.duplicated(["child_id", "as_of"]).any():
            raise ScoredCaseloadError("(child_id, as_of) must be unique (one row per open case "
                                      "and month)")
    elif df["child_id"].duplicated().any():
        raise ScoredCaseloadError("child_id must be unique (one row per open case)")
    score = pd.to_numeric(df["score"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(score).any() or (score < 0).any() or (score > 1).any():
        raise ScoredCaseloadError("score must be a number in [0, 1] on every row")
    label = pd.to_numeric(df["label"], errors="coerce").to_numpy(dtype=float)
    ok = np.isnan(label) | (label == 0) | (label == 1)
    if not ok.all():
        raise ScoredCaseloadError("label must be 0, 1 or missing")
    df["score"] = score
    df["label"] = label
    if "predicted" in df.columns:
        pred = pd.to_numeric(df["predicted"], errors="coerce").to_numpy(dtype=float)
        if np.isnan(pred).any() or (pred < 0).any() or (pred > 1).any():
            raise ScoredCaseloadError("predicted must be a probability in [0, 1] on every row")
        df["predicted"] = pred
    if "sample_weight" in df.columns:
        w = pd.to_numeric(df["sample_weight"], errors="coerce").to_numpy(dtype=float)
        bad = (~np.isnan(label)) & (np.isnan(w) | (w <= 0))
        if bad.any():
            raise ScoredCaseloadError("sample_weight must be positive on every labelled row")
        df["sample_weight"] = np.where(np.isnan(label), 0.0, w)
    else:
        df["sample_weight"] = np.where(np.isnan(label), 0.0, 1.0)
    if config.k is not None and pooled:  # one list per month, each of size k
        sel = np.zeros(len(df), dtype=bool)
        for _, idx in df.groupby("as_of", sort=True).indices.items():
            sel[idx] = select_top_k(score[idx], df["child_id"].to_numpy()[idx], config.k)
        df["selected"] = sel
    elif config.k is not None:
        df["selected"] = select_top_k(score, df["child_id"].to_numpy(), config.k)
    else:
        sel = df["selected"]
        if sel.isna().any():
            raise ScoredCaseloadError("selected must be true or false on every row")
        df["selected"] = sel.astype(bool)
    absent = [f for f in config.feature_columns if f not in df.columns]
    if absent:
        raise ScoredCaseloadError(f"feature columns not in the caseload: {', '.join(absent)}")

    codes = _ethnic_codes(df["audit_ethnicity"])
    major = _major(codes)
    age = df["audit_age_band"].astype("object").where(df["audit_age_band"].notna(), "Not known")
    # The snapshot's bands (driftflag.indicators) add "Unborn" and "18+": an unborn child is
    # reported with the under-1s and a young person still open at 18 with the 16-17s, so the
    # fairness bands stay the five of domain-requirements.md §3.4.
    age = age.map(lambda a: _AGE_ALIASES.get(str(a).strip().lower(), a))
    bad_age = set(age) - set(AGE_BANDS) - {"Not known"}
    if bad_age:
        raise ScoredCaseloadError(f"audit_age_band values not in {AGE_BANDS}: {sorted(bad_age)}")
    ages = [a for a in (*AGE_BANDS, "Not known") if a in set(age)]
    sex = df["audit_sex"].astype("object").map(_SEX_LABEL).fillna("Not stated/recorded")

    def _yes_no(col: str) -> pd.Categorical:
        v = df[col].astype("object")
        lab = np.where(v.isna(), "Not known", np.where(v.fillna(False).astype(bool), "Yes", "No"))
        return pd.Categorical(lab, categories=[c for c in ("No", "Yes", "Not known") if c in set(lab)])

    groups: dict[str, pd.Categorical] = {}
    all_groups = {
        "ethnicity": lambda: pd.Categorical(
            major, categories=[g for g in ETHNIC_MAJOR_GROUPS if g in set(major)]),
        "ethnicity_detailed": lambda: _detailed(codes, major, config.min_detailed_group),
        "sex": lambda: pd.Categorical(
            sex, categories=[s for s in _SEX_LABEL.values() if s in set(sex)]),
        "age_band": lambda: pd.Categorical(age, categories=ages),
        "disability": lambda: _yes_no("audit_disability"),
        "uasc": lambda: _yes_no("audit_uasc"),
        "ethnicity_by_age": lambda: pd.Categorical(
            major + " / " + age,
            categories=[f"{g} / {a}" for g in ETHNIC_MAJOR_GROUPS for a in ages
                        if f"{g} / {a}" in set(major + " / " + age)]),
    }
    for dim in config.dimensions:
        groups[dim] = all_groups[dim]()
    df["_ethnic_major"] = major.to_numpy()
    df["_age_band"] = age.to_numpy()
    return Caseload(df.reset_index(drop=True), groups)
