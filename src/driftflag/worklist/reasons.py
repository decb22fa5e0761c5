"""The top three reasons per case, in words a practice manager understands.

Each reason is built from the case's own values and the registry's threshold, e.g. "On a child
protection plan for 19 months (flag at 18)" or "3 missing episodes in the last 90 days, no return
home interview recorded". The indicator registry (``driftflag/data/indicators.yaml``) has labels
and thresholds but no phrase templates yet, so the templates live here, keyed by indicator id,
and read every threshold from the registry.

Related indicators (``cp_plan_days`` and ``cp_plan_over_18m``; ``days_since_last_visit`` and
``visit_overdue``) are one *reason group*: their log-odds contributions are summed and phrased
once, so a case never gets the same reason twice. A group is a candidate reason only when it
pushes the score up (summed contribution > 0) and the case's values say something worth
auditing: a flag that is set, a count above zero, a value at or above the threshold its phrase
quotes (never "on a plan for 3 months (flag at 18)"). Codes are shown in words
(:data:`CODE_WORDS`: "long-term fostering", never "FOSTERING"). Protected characteristics
(sex, ethnicity, disability, age band, UASC: any ``audit_*`` column) are never a reason.

Phrasing is vectorised: one pass per reason group present in a slot, not one per child.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from driftflag.indicators.words import CODE_WORDS, code_words  # noqa: F401  (re-exported)
from driftflag.worklist.policy import PROTECTED_IDS

__all__ = ["CODE_WORDS", "GROUP_OF", "RULE_LABELS", "code_words", "is_protected_feature", "top_reasons"]

#: Short words for a breached drift rule, used in selection reasons.
RULE_LABELS: dict[str, str] = {
    "cp_long_plan_without_progress": "long child protection plan without progress",
    "cp_review_overdue": "child protection review overdue",
    "cp_repeat_within_2y": "repeat child protection plan within two years",
    "cp_plan_over_18m": "child protection plan 18 months or more",
    "cp_plan_over_24m": "child protection plan two years or more",
    "visit_overdue": "statutory visit overdue",
    "assessment_over_45wd": "assessment beyond 45 working days",
    "s47_to_icpc_over_15wd": "initial conference beyond 15 working days",
    "plo_over_16w": "PLO pre-proceedings beyond 16 weeks",
    "care_proceedings_over_26w": "care proceedings beyond 26 weeks",
    "lac_review_overdue": "looked-after review overdue",
    "placements_3plus_12m": "three or more placements in 12 months",
    "missing_open_now": "missing now",
    "rereferral_12m": "re-referral within 12 months",
}

#: Indicator id -> reason group (indicators not listed are their own group).
GROUP_OF: dict[str, str] = {
    "cp_plan_days": "cp_plan_length", "cp_plan_over_18m": "cp_plan_length",
    "cp_plan_over_24m": "cp_plan_length",
    "cp_previous_plans": "cp_history", "cp_second_or_subsequent": "cp_history",
    "days_since_last_visit": "visits", "visit_overdue": "visits",
    "assessment_open_working_days": "assessment", "assessment_over_45wd": "assessment",
    "s47_to_icpc_working_days": "icpc", "s47_to_icpc_over_15wd": "icpc",
    "missing_episodes_90d": "missing_recent", "missing_days_90d": "missing_recent",
    "missing_episodes_365d": "missing_year", "missing_days_365d": "missing_year",
    "rhi_offered_share": "rhi", "rhi_accepted_share": "rhi",
    "plo_weeks": "plo", "plo_over_16w": "plo",
    "care_proceedings_weeks": "proceedings", "care_proceedings_over_26w": "proceedings",
    "placements_12m": "placements", "placement_moves_12m": "placements",
    "placements_3plus_12m": "placements",
}

_DAYS_PER_MONTH = 365.25 / 12

# Defaults used only when no registry is passed (tests, a bare caseload); same as the shipped one.
_DEFAULT_THRESHOLDS: dict[tuple[str, str], float] = {
    ("cp_plan_over_18m", "months"): 18, ("cp_review_overdue", "review_interval_months"): 6,
    ("cp_long_plan_without_progress", "months"): 18, ("assessment_over_45wd", "working_days"): 45,
    ("s47_to_icpc_over_15wd", "working_days"): 15, ("plo_over_16w", "weeks"): 16,
    ("care_proceedings_over_26w", "weeks"): 26, ("placements_3plus_12m", "placements"): 3,
    ("cp_repeat_within_2y", "months"): 24,
}


def is_protected_feature(name: str) -> bool:
    """A model column that carries a protected characteristic (never phrased as a reason)."""
    base = name.split("=")[0]
    return base.startswith("audit_") or base in PROTECTED_IDS


def _threshold(registry, ind: str, name: str) -> float:
    if registry is not None and ind in registry:
        t = registry[ind].thresholds.get(name)
        if t is not None:
            return float(t.value)
    return float(_DEFAULT_THRESHOLDS[(ind, name)])


def _num(rows: pd.DataFrame, col: str) -> pd.Series:
    if col not in rows.columns:
        return pd.Series(np.nan, index=rows.index, dtype="float64")
    s = rows[col]
    if str(s.dtype) == "boolean" or pd.api.types.is_bool_dtype(s):
        return s.astype("Float64").astype("float64")
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _flag(rows: pd.DataFrame, col: str) -> pd.Series:
    if col not in rows.columns:
        return pd.Series(False, index=rows.index)
    return rows[col].astype("boolean").fillna(False).astype(bool)


def _int_text(s: pd.Series) -> pd.Series:
    return s.round().astype("Int64").astype("str")


def _count(n: pd.Series, one: str, many: str) -> pd.Series:
    """"1 missing episode" / "3 missing episodes"."""
    word = pd.Series(np.where(n.round() == 1, one, many), index=n.index)
    return _int_text(n) + " " + word


def _fmt(x: float) -> str:
    return f"{x:g}"


# --- phrase templates: (eligible(rows) -> bool Series, phrase(rows, registry) -> str Series) ---
Phrase = tuple[Callable[..., pd.Series], Callable[[pd.DataFrame, object], pd.Series]]


def _p_cp_plan_length(r: pd.DataFrame, reg) -> pd.Series:
    months = np.floor(_num(r, "cp_plan_days") / _DAYS_PER_MONTH)
    return ("On a child protection plan for " + _count(months, "month", "months")
            + f" (flag at {_fmt(_threshold(reg, 'cp_plan_over_18m', 'months'))})")


def _p_cp_history(r: pd.DataFrame, reg) -> pd.Series:
    prev = _num(r, "cp_previous_plans").fillna(1)
    return "Second or subsequent child protection plan (" + _count(prev, "previous plan", "previous plans") + ")"


def _p_visits(r: pd.DataFrame, reg) -> pd.Series:
    d = _count(_num(r, "days_since_last_visit"), "day", "days")
    return "Statutory visit overdue: " + d + " since the last visit"


def _p_missing_recent(r: pd.DataFrame, reg) -> pd.Series:
    n = _num(r, "missing_episodes_90d").fillna(0)
    base = _count(n, "missing episode", "missing episodes") + " in the last 90 days"
    share = _num(r, "rhi_offered_share")
    pct = _int_text(share * 100)
    suffix = np.where(share == 0, ", no return home interview recorded",
                      np.where(share < 1, ", return home interview offered after " + pct
                               + "% of this year's episodes", ""))
    return base + pd.Series(suffix, index=r.index)


def _p_missing_year(r: pd.DataFrame, reg) -> pd.Series:
    return (_count(_num(r, "missing_episodes_365d").fillna(0), "missing episode", "missing episodes")
            + " in the last year (" + _count(_num(r, "missing_days_365d").fillna(0), "day", "days")
            + " missing)")


def _p_rhi(r: pd.DataFrame, reg) -> pd.Series:
    return ("Return home interview offered after " + _int_text(_num(r, "rhi_offered_share") * 100)
            + "% of missing episodes in the last year")


def _p_placements(r: pd.DataFrame, reg) -> pd.Series:
    return (_count(_num(r, "placements_12m").fillna(0), "placement", "placements")
            + " in the last 12 months (flag at "
            + _fmt(_threshold(reg, "placements_3plus_12m", "placements")) + ")")


def _const(text: str) -> Callable[[pd.DataFrame, object], pd.Series]:
    return lambda r, reg: pd.Series(text, index=r.index, dtype="str")


def _flag_is(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda r, reg=None: _flag(r, col)


def _positive(*cols: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda r, reg=None: pd.concat([_num(r, c).fillna(0) > 0 for c in cols], axis=1).any(axis=1)


def _threshold_days(reg) -> float:
    """The long-plan threshold in days (the registry gives months)."""
    return _threshold(reg, "cp_plan_over_18m", "months") * _DAYS_PER_MONTH


def _at_least(r: pd.DataFrame, col: str, threshold: float) -> pd.Series:
    """Value at or above its threshold (a reason never quotes a value below the flag it names)."""
    return (_num(r, col) >= threshold).fillna(False).astype(bool)


def _present(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda r, reg=None: _num(r, col).notna() if col not in r or pd.api.types.is_numeric_dtype(r[col]) \
        else r[col].notna()


PHRASES: dict[str, Phrase] = {
    "cp_plan_length": (lambda r, reg=None: _at_least(r, "cp_plan_days", _threshold_days(reg))
                       | _flag(r, "cp_plan_over_18m"), _p_cp_plan_length),
    "cp_history": (lambda r, reg=None: _positive("cp_previous_plans")(r) | _flag(r, "cp_second_or_subsequent"),
                   _p_cp_history),
    "cp_repeat_within_2y": (_flag_is("cp_repeat_within_2y"), lambda r, reg: pd.Series(
        "New child protection plan within "
        + _fmt(_threshold(reg, "cp_repeat_within_2y", "months") / 12)
        + " years of the last one ending", index=r.index)),
    "cp_review_overdue": (_flag_is("cp_review_overdue"), lambda r, reg: pd.Series(
        "Child protection review conference overdue (due every "
        + _fmt(_threshold(reg, "cp_review_overdue", "review_interval_months")) + " months)",
        index=r.index)),
    "cp_category": (_present("cp_category"), lambda r, reg: "Child protection plan category: "
                    + code_words("cp_category", r["cp_category"])),
    "visits": (lambda r, reg=None: _flag(r, "visit_overdue") & _num(r, "days_since_last_visit").notna(), _p_visits),
    "cp_long_plan_without_progress": (_flag_is("cp_long_plan_without_progress"), lambda r, reg: pd.Series(
        "Child protection plan of "
        + _fmt(_threshold(reg, "cp_long_plan_without_progress", "months"))
        + " months or more with no sign of progress", index=r.index)),
    "referrals_12m": (_positive("referrals_12m"), lambda r, reg: _count(
        _num(r, "referrals_12m"), "referral", "referrals") + " in the last 12 months"),
    "rereferral_12m": (_flag_is("rereferral_12m"), _const("Re-referred within 12 months of a previous referral")),
    "assessment": (lambda r, reg=None: _at_least(r, "assessment_open_working_days", _threshold(reg, "assessment_over_45wd", "working_days")), lambda r, reg: "Assessment open for "
                   + _count(_num(r, "assessment_open_working_days"), "working day", "working days")
                   + " (flag at " + _fmt(_threshold(reg, "assessment_over_45wd", "working_days")) + ")"),
    "icpc": (lambda r, reg=None: _at_least(r, "s47_to_icpc_working_days", _threshold(reg, "s47_to_icpc_over_15wd", "working_days")), lambda r, reg: _count(
        _num(r, "s47_to_icpc_working_days"), "working day", "working days")
        + " from strategy discussion to initial conference (flag at "
        + _fmt(_threshold(reg, "s47_to_icpc_over_15wd", "working_days")) + ")"),
    "step_ups_12m": (_positive("step_ups_12m"), lambda r, reg: _count(
        _num(r, "step_ups_12m"), "step-up", "step-ups") + " from early help in the last 12 months"),
    "step_downs_12m": (_positive("step_downs_12m"), lambda r, reg: _count(
        _num(r, "step_downs_12m"), "step-down", "step-downs") + " to early help in the last 12 months"),
    "missing_recent": (_positive("missing_episodes_90d"), _p_missing_recent),
    "missing_year": (_positive("missing_episodes_365d"), _p_missing_year),
    "missing_open_now": (_flag_is("missing_open_now"), _const("Missing now")),
    "rhi": (lambda r, reg=None: (_num(r, "rhi_offered_share") < 1) & _positive("missing_episodes_365d")(r), _p_rhi),
    "plo": (lambda r, reg=None: _at_least(r, "plo_weeks", _threshold(reg, "plo_over_16w", "weeks")), lambda r, reg: "In PLO pre-proceedings for "
            + _count(_num(r, "plo_weeks"), "week", "weeks")
            + " (flag at " + _fmt(_threshold(reg, "plo_over_16w", "weeks")) + ")"),
    "proceedings": (lambda r, reg=None: _at_least(r, "care_proceedings_weeks", _threshold(reg, "care_proceedings_over_26w", "weeks")), lambda r, reg: "In care proceedings for "
                    + _count(_num(r, "care_proceedings_weeks"), "week", "weeks")
                    + " (flag at " + _fmt(_threshold(reg, "care_proceedings_over_26w", "weeks")) + ")"),
    "lac_days": (_present("lac_days"), lambda r, reg: "Looked after for " + _count(
        np.floor(_num(r, "lac_days") / _DAYS_PER_MONTH), "month", "months")),
    "placements": (lambda r, reg=None: _at_least(r, "placements_12m", _threshold(reg, "placements_3plus_12m", "placements"))
                   | _flag(r, "placements_3plus_12m"), _p_placements),
    "placed_out_of_area": (_flag_is("placed_out_of_area"), _const("Placed outside the council's area")),
    "placed_over_20_miles": (_flag_is("placed_over_20_miles"), _const("Placed more than 20 miles from home")),
    "legal_status": (_present("legal_status"), lambda r, reg: "Legal status: "
                     + code_words("legal_status", r["legal_status"])),
    "permanence_plan": (_present("permanence_plan"), lambda r, reg: "Permanence plan: "
                        + code_words("permanence_plan", r["permanence_plan"])),
    "lac_review_overdue": (_flag_is("lac_review_overdue"), _const("Looked-after review overdue")),
    "team_caseload": (_present("team_caseload"), lambda r, reg: "Allocated team carries "
                      + _num(r, "team_caseload").round(1).astype("str") + " cases per worker"),
    "worker_changes_12m": (_positive("worker_changes_12m"), lambda r, reg: _count(
        _num(r, "worker_changes_12m"), "change", "changes") + " of social worker in the last 12 months"),
}


def _generic(group: str) -> Phrase:
    """Fallback for an indicator with no template: the registry label and the value."""

    def eligible(r: pd.DataFrame, reg=None) -> pd.Series:
        if group not in r.columns:
            return pd.Series(False, index=r.index)
        s = r[group]
        if str(s.dtype) == "boolean" or pd.api.types.is_bool_dtype(s):
            return s.astype("boolean").fillna(False).astype(bool)
        return s.notna()

    def phrase(r: pd.DataFrame, reg) -> pd.Series:
        label = reg[group].label if reg is not None and group in reg else group.replace("_", " ").capitalize()
        s = r[group]
        if str(s.dtype) == "boolean" or pd.api.types.is_bool_dtype(s):
            return pd.Series(label, index=r.index, dtype="str")
        if pd.api.types.is_numeric_dtype(s):
            return label + ": " + s.astype("float64").map(lambda v: f"{v:g}")
        return label + ": " + code_words(group, s)

    return eligible, phrase


def top_reasons(rows: pd.DataFrame, contributions: pd.DataFrame, *, registry=None, k: int = 3) -> pd.DataFrame:
    """The ``k`` strongest reasons per row, phrased, with the group and its log-odds contribution.

    ``rows`` and ``contributions`` are aligned by position. Returns ``reason_1`` ... ``reason_k``
    (empty when fewer reasons qualify), ``reason_k_group`` and ``reason_k_logodds``.
    """
    rows = rows.reset_index(drop=True)
    contrib = contributions.reset_index(drop=True).drop(columns=["base_value"], errors="ignore")
    keep = [c for c in contrib.columns if not is_protected_feature(str(c))]
    contrib = contrib[keep]
    groups = pd.Index([GROUP_OF.get(str(c).split("=")[0], str(c).split("=")[0]) for c in keep])
    by_group = contrib.T.groupby(groups.to_numpy(), sort=True).sum().T  # n x G, groups sorted
    names = list(by_group.columns)
    values = by_group.to_numpy(dtype=float)
    ok = np.zeros_like(values, dtype=bool)
    for j, g in enumerate(names):
        eligible, _ = PHRASES.get(g) or _generic(g)
        ok[:, j] = eligible(rows, registry).to_numpy(dtype=bool)
    strength = np.where(ok & (values > 0), values, -np.inf)
    # strongest first; ties go to the group that sorts first (stable on the sorted names)
    order = np.argsort(-strength, axis=1, kind="stable")[:, :k]
    out = {}
    for slot in range(k):
        col = order[:, slot] if order.shape[1] > slot else np.zeros(len(rows), dtype=np.int64)
        s_val = strength[np.arange(len(rows)), col] if len(rows) else np.zeros(0)
        valid = np.isfinite(s_val)
        text = pd.Series("", index=rows.index, dtype="str")
        grp = pd.Series("", index=rows.index, dtype="str")
        for j in np.unique(col[valid]):
            mask = valid & (col == j)
            g = names[j]
            _, phrase = PHRASES.get(g) or _generic(g)
            text.loc[mask] = phrase(rows.loc[mask], registry).astype("str").to_numpy()
            grp.loc[mask] = g
        out[f"reason_{slot + 1}"] = text
        out[f"reason_{slot + 1}_group"] = grp
        out[f"reason_{slot + 1}_logodds"] = np.where(valid, np.round(s_val, 4), np.nan)
    return pd.DataFrame(out, index=rows.index)
