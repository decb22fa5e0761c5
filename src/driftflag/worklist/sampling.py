"""Sample the month's audit worklist from a scored caseload, with inclusion probabilities.

The design, in the order it runs (``docs/worklist.md`` has the worked reasoning):

1. **Certainty picks**, fixed once the scores and the audit history are known:
   re-audits due (the audit ``reaudit_actions_after_months`` ago set actions); thematic pulls
   with ``method: highest_risk``; the highest-risk cases; the cases breaching most drift rules.
   Each takes cases in a fixed order (score descending, then ``child_id``) and skips a case whose
   team or worker cap is already reached. Their inclusion probability is 1.
2. **Random parts**, from what is left: the Ofsted "previously audited" pull (simple random
   sample of the open cases audited in the window), thematic pulls with ``method: random``, and
   the **random control sample**, stratified by service and team with proportional allocation.
   Places the certainty parts could not fill flow to the random control sample, so the worklist
   keeps its size.

Inclusion probabilities are **exact** when the random parts draw from disjoint pools and no cap
can bind inside them: then a case's probability is ``k_h / N_h`` for its stratum (or ``k / N``).
Otherwise they are **estimated by simulation**: the random parts are redrawn ``policy.simulations``
times with a fixed seed and the probability is the share of draws that picked the case
(labelled ``simulated (n=...)``). Either way they are stored with the worklist so later
evaluation can weight audits by ``1 / inclusion_probability``.

Everything here is pure: same caseload, policy, month, history and ``random_state`` give the
same worklist. Building a :class:`Worklist` never writes; :meth:`Worklist.write` does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftflag.casemodel.codes import AUDIT_SELECTION_REASONS
from driftflag.errors import ConfigError, SchemaError
from driftflag.evaluation import ranking_order
from driftflag.month import Month
from driftflag.worklist.policy import SERVICE_LABELS, THEMES, WorklistPolicy

if TYPE_CHECKING:
    from driftflag.worklist.explain import CaseExplanations

logger = logging.getLogger(__name__)

__all__ = [
    "AUDIT_REASON_OF_PART",
    "PARTS",
    "REQUIRED_COLUMNS",
    "Worklist",
    "inclusion_probabilities",
    "month_start",
    "sample_worklist",
]

#: Columns every scored caseload must carry.
REQUIRED_COLUMNS: tuple[str, ...] = ("child_id", "service", "team", "worker_id", "score")

#: The parts of the design, in the order they select.
PARTS: tuple[str, ...] = (
    "reaudit", "thematic", "highest_risk", "rule_flagged", "previously_audited", "random",
)

#: How each part is recorded in the store's ``audits.selection_reason`` code list.
AUDIT_REASON_OF_PART: dict[str, str] = {
    "reaudit": "re-audit",
    "previously_audited": "re-audit",
    "thematic": "thematic",
    "highest_risk": "targeted",
    "rule_flagged": "targeted",
    "random": "random",
}
assert set(AUDIT_REASON_OF_PART.values()) <= set(AUDIT_SELECTION_REASONS)

_CONNECTED_PLACEMENTS = ("U1", "U2", "U3")
#: Team shown for a case with no current allocation (it still counts, and is capped together).
UNALLOCATED_TEAM = "Unallocated"


def month_start(month: str | Month | date | pd.Timestamp) -> pd.Timestamp:
    """First day of ``month`` (``"2025-11"``, a :class:`~driftflag.month.Month`, a date or a
    timestamp): the worklist's as-of date (:attr:`driftflag.month.Month.as_of`)."""
    if isinstance(month, (str, Month)):
        return Month.parse(month[:7] if isinstance(month, str) else month, "month").timestamp()
    try:
        ts = pd.Timestamp(month)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"month {month!r} is not a month (YYYY-MM)") from e
    return ts.normalize().replace(day=1)


def _months_before(ms: pd.Timestamp, n: int) -> pd.Timestamp:
    return ms - pd.DateOffset(months=n)


def _theme_mask(caseload: pd.DataFrame, theme: str) -> np.ndarray:
    """Which open cases a thematic pull may take (predicates over snapshot columns)."""

    def col(name: str) -> pd.Series:
        if name not in caseload.columns:
            raise SchemaError(f"thematic pull {theme!r} needs column {name!r} in the scored caseload")
        return caseload[name]

    def truthy(s: pd.Series) -> np.ndarray:
        return s.astype("boolean").fillna(False).to_numpy(dtype=bool)

    if theme == "missing":
        return (col("missing_episodes_90d").fillna(0).to_numpy(dtype=float) > 0) | truthy(col("missing_open_now"))
    if theme == "plo":
        return (col("plo_weeks").notna() | col("care_proceedings_weeks").notna()).to_numpy()
    if theme == "neglect":
        return (col("cp_category").astype("str") == "NEG").to_numpy()
    if theme == "disability":
        return truthy(col("audit_disability"))
    if theme == "connected_carers":
        return col("placement").astype("str").isin(_CONNECTED_PLACEMENTS).to_numpy()
    raise ConfigError(f"unknown theme {theme!r} (known: {', '.join(THEMES)})")  # pragma: no cover


def _cumcount(codes: np.ndarray) -> np.ndarray:
    """Position of each element among earlier elements with the same code (vectorised)."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.r_[0, np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    out = np.empty(len(codes), dtype=np.int64)
    out[order] = np.arange(len(codes)) - run_start
    return out


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` in proportion to ``weights``; leftover places go to the largest remainders
    (ties to the earlier entry), so the split is deterministic."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = total * weights / weights.sum()
    base = np.floor(exact + 1e-12).astype(np.int64)
    left = total - int(base.sum())
    if left > 0:
        order = np.lexsort((np.arange(len(weights)), -(exact - base)))
        base[order[:left]] += 1
    return base


@dataclass
class _Caps:
    """Places left per team and per worker (cases without a worker are never capped)."""

    team_left: np.ndarray
    worker_left: np.ndarray

    def copy(self) -> _Caps:
        return _Caps(self.team_left.copy(), self.worker_left.copy())


@dataclass
class _RandomPart:
    """One random part of the design: a pool, and a quota per stratum (one stratum for SRS)."""

    part: str
    label: str
    pool: np.ndarray            # indices into the caseload
    stratum: np.ndarray         # stratum code of each pool member
    quota: np.ndarray           # places per stratum code
    stratum_names: list[str]


@dataclass
class _Design:
    """The fixed (certainty) stage of the design plus what the random stage draws from."""

    caseload: pd.DataFrame
    policy: WorklistPolicy
    month: pd.Timestamp
    team: np.ndarray
    worker: np.ndarray
    caps: _Caps
    part: np.ndarray            # "" or the part that selected the case (certainty picks)
    label: np.ndarray           # the certainty part's description
    random_parts: list[_RandomPart]
    eligible: np.ndarray
    rule_score: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    # --- the random stage ---------------------------------------------------------------
    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Indices, part names and part labels picked by one draw of the random parts."""
        caps = self.caps.copy()
        taken_mask = np.zeros(len(self.caseload), dtype=bool)
        idx_out, part_out, label_out = [], [], []
        for rp in self.random_parts:
            avail = ~taken_mask[rp.pool]
            pool, stratum = rp.pool[avail], rp.stratum[avail]
            if len(pool) == 0 or rp.quota.sum() == 0:
                continue
            order = np.argsort(rng.random(len(pool)), kind="stable")
            got = _take(pool[order], stratum[order], rp.quota, self.team, self.worker, caps)
            taken_mask[got] = True
            idx_out.append(got)
            part_out.append(np.full(len(got), rp.part, dtype=object))
            label_out.append(np.full(len(got), rp.label, dtype=object))
        if not idx_out:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
        return np.concatenate(idx_out), np.concatenate(part_out), np.concatenate(label_out)

    def exact(self) -> bool:
        """True when every random part's pool is disjoint from the others and no cap can bind."""
        active = [rp for rp in self.random_parts if len(rp.pool) and rp.quota.sum() > 0]
        if len(active) > 1:
            seen = np.zeros(len(self.caseload), dtype=np.int64)
            for rp in active:
                seen[rp.pool] += 1
            if (seen > 1).any():
                return False
        team_need = np.zeros(len(self.caps.team_left), dtype=np.int64)
        worker_need = np.zeros(len(self.caps.worker_left), dtype=np.int64)
        for rp in active:
            for codes, need in ((self.team[rp.pool], team_need), (self.worker[rp.pool], worker_need)):
                # the most one group can receive: per stratum, min(quota, members of the group)
                key = pd.DataFrame({"g": codes, "s": rp.stratum})
                counts = key.groupby(["g", "s"], sort=False).size().reset_index(name="n")
                most = np.minimum(counts["n"].to_numpy(), rp.quota[counts["s"].to_numpy()])
                np.add.at(need, counts["g"].to_numpy(), most)
        return bool((team_need <= self.caps.team_left).all() and (worker_need <= self.caps.worker_left).all())

    def exact_probabilities(self) -> np.ndarray:
        """Inclusion probability of every case under an exact design."""
        pi = (self.part != "").astype(float)
        for rp in self.random_parts:
            if len(rp.pool) == 0:
                continue
            n_h = np.bincount(rp.stratum, minlength=len(rp.quota)).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                frac = np.where(n_h > 0, np.minimum(rp.quota, n_h) / n_h, 0.0)
            pi[rp.pool] = frac[rp.stratum]
        return pi

    def simulated_probabilities(self, n: int, seed: int) -> np.ndarray:
        """Share of ``n`` redraws of the random parts that pick each case (certainty picks: 1)."""
        rng = np.random.default_rng(seed)
        active = [rp for rp in self.random_parts if len(rp.pool) and rp.quota.sum() > 0]
        if len(active) == 1:
            counts = self._one_part_counts(active[0], n, rng)
        else:
            counts = np.zeros(len(self.caseload), dtype=np.int64)
            for _ in range(n):
                got, _, _ = self.draw(rng)
                counts[got] += 1
        pi = counts / n
        pi[self.part != ""] = 1.0
        return pi

    def _one_part_counts(self, rp: _RandomPart, n: int, rng: np.random.Generator,
                         batch: int = 128) -> np.ndarray:
        """How often each case is picked in ``n`` draws of the one random part, as :meth:`draw`
        would pick them from the same random numbers, without sorting the pool each draw.

        Why: the draws were 2,000 full sorts of the pool (about 6 s at the benchmark LA). A
        draw's keys are the pool's next ``len(pool)`` uniforms (one array of ``batch`` rows is
        the same stream); without binding caps it takes, per stratum, the ``quota`` smallest
        keys (ties to the earlier pool position, as the stable sort does), which a partition
        finds; a draw whose tentative picks would overflow a team or worker cap is taken by
        :func:`_take` from its keys' sorted order, exactly as before.
        """
        pool, stratum, quota = rp.pool, rp.stratum, rp.quota
        m = len(pool)
        counts = np.zeros(len(self.caseload), dtype=np.int64)
        members = [(np.flatnonzero(stratum == h), int(min(q, np.sum(stratum == h))))
                   for h, q in enumerate(quota) if q > 0]
        team_p, worker_p = self.team[pool], self.worker[pool]
        n_t, n_w = len(self.caps.team_left), len(self.caps.worker_left)
        done = 0
        while done < n:
            b = min(batch, n - done)
            keys = rng.random((b, m))
            sel = np.zeros((b, m), dtype=bool)
            for mem, q in members:
                if q == 0:
                    continue
                if q >= len(mem):
                    sel[:, mem] = True
                    continue
                kh = keys[:, mem]
                thr = np.partition(kh, q - 1, axis=1)[:, q - 1]
                s = kh <= thr[:, None]
                for r in np.flatnonzero(s.sum(axis=1) > q):  # a key equal to the q-th: earlier first
                    s[r] = kh[r] < thr[r]
                    s[r, np.flatnonzero(kh[r] == thr[r])[: q - int(s[r].sum())]] = True
                sel[:, mem] = s
            rows, cols = np.nonzero(sel)
            t_need = np.bincount(rows * n_t + team_p[cols], minlength=b * n_t).reshape(b, n_t)
            w_need = np.bincount(rows * n_w + worker_p[cols], minlength=b * n_w).reshape(b, n_w)
            binds = (t_need > self.caps.team_left).any(axis=1) | (w_need > self.caps.worker_left).any(axis=1)
            free = ~binds[rows]
            np.add.at(counts, pool[cols[free]], 1)
            for r in np.flatnonzero(binds):
                order = np.argsort(keys[r], kind="stable")
                got = _take(pool[order], stratum[order], quota, self.team, self.worker, self.caps.copy())
                counts[got] += 1
            done += b
        return counts


def _take(order: np.ndarray, stratum: np.ndarray, quota: np.ndarray, team: np.ndarray,
          worker: np.ndarray, caps: _Caps) -> np.ndarray:
    """Take candidates in ``order`` up to each stratum's quota, skipping any whose team or worker
    cap is reached; updates ``caps``. Vectorised when no cap binds (the usual case); otherwise a
    loop over candidates that stops as soon as the quotas are filled."""
    tentative = order[_cumcount(stratum) < quota[stratum]]
    t_need = np.bincount(team[tentative], minlength=len(caps.team_left))
    w_need = np.bincount(worker[tentative], minlength=len(caps.worker_left))
    if (t_need <= caps.team_left).all() and (w_need <= caps.worker_left).all():
        caps.team_left -= t_need
        caps.worker_left -= w_need
        return tentative
    left = quota.astype(np.int64).copy()
    remaining = int(left.sum())
    got: list[int] = []
    for i, s in zip(order.tolist(), stratum.tolist(), strict=True):
        if remaining == 0:
            break
        t, w = team[i], worker[i]
        if left[s] <= 0 or caps.team_left[t] <= 0 or caps.worker_left[w] <= 0:
            continue
        got.append(i)
        left[s] -= 1
        remaining -= 1
        caps.team_left[t] -= 1
        caps.worker_left[w] -= 1
    return np.asarray(got, dtype=np.int64)


def _stratum_key(rows: pd.DataFrame, strata: tuple[str, ...]) -> pd.Series:
    """"LAC / Children in Care": the stratum each row belongs to (vectorised string join)."""
    key = pd.Series("", index=rows.index, dtype="str")
    for i, s in enumerate(strata):
        part = rows[s].astype("str").fillna("unknown")
        key = part if i == 0 else key + " / " + part
    return key


def _canonical_order(caseload: pd.DataFrame) -> np.ndarray:
    """Row positions that sort the caseload by ``child_id``."""
    return np.argsort(caseload["child_id"].astype("str").to_numpy(), kind="stable")


def _rule_score(caseload: pd.DataFrame, policy: WorklistPolicy) -> np.ndarray:
    if "rule_score" in caseload.columns:
        return caseload["rule_score"].fillna(0).to_numpy(dtype=float)
    present = [f for f in policy.rule_flags if f in caseload.columns]
    if not present:
        if policy.shares.rule_flagged > 0:
            raise SchemaError(
                "the scored caseload has neither a rule_score column nor any of the policy's "
                f"rule_flags ({', '.join(policy.rule_flags)})")
        return np.zeros(len(caseload))
    missing = sorted(set(policy.rule_flags) - set(present))
    if missing:
        logger.warning("rule flags not in the caseload, ignored: %s", ", ".join(missing))
    flags = caseload[present].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return flags.sum(axis=1).astype(float)


def _history(audits_history: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["child_id", "audit_date", "actions_set"]
    if audits_history is None or len(audits_history) == 0:
        return pd.DataFrame({"child_id": pd.Series([], dtype="str"),
                             "audit_date": pd.Series([], dtype="datetime64[ns]"),
                             "actions_set": pd.Series([], dtype="boolean")})
    absent = [c for c in cols if c not in audits_history.columns]
    if absent:
        raise SchemaError(f"audit history lacks column(s): {', '.join(absent)}")
    h = audits_history[cols].copy()
    h["child_id"] = h["child_id"].astype("str")
    h["audit_date"] = pd.to_datetime(h["audit_date"])
    h["actions_set"] = h["actions_set"].astype("boolean").fillna(False)
    return h


def _build_design(caseload: pd.DataFrame, policy: WorklistPolicy, month: pd.Timestamp,
                  audits_history: pd.DataFrame | None) -> _Design:
    absent = [c for c in REQUIRED_COLUMNS if c not in caseload.columns]
    if absent:
        raise SchemaError(f"the scored caseload lacks column(s): {', '.join(absent)}")
    # canonical row order (child_id), so the draw does not depend on how the caseload was sorted
    cl = caseload.iloc[_canonical_order(caseload)].reset_index(drop=True).copy()
    cl["child_id"] = cl["child_id"].astype("str")
    cl["team"] = cl["team"].astype("str").fillna(UNALLOCATED_TEAM)
    cl["service"] = cl["service"].astype("str").fillna("unknown")
    dup = cl["child_id"][cl["child_id"].duplicated()]
    if len(dup):
        raise SchemaError(f"the scored caseload has child_id {dup.iloc[0]!r} more than once")
    if cl["score"].isna().any():
        raise SchemaError(f"child_id {cl.loc[cl['score'].isna(), 'child_id'].iloc[0]!r} has no score")
    n = len(cl)
    score = cl["score"].to_numpy(dtype=float)
    child = cl["child_id"].to_numpy(dtype=object)
    risk_order = ranking_order(score, child)          # score descending, then child_id
    rule = _rule_score(cl, policy)
    rule_order = np.lexsort((child, -score, -rule))   # most rules breached, then risk

    team = pd.factorize(cl["team"].astype("str"), sort=True)[0]
    w_codes, w_names = pd.factorize(cl["worker_id"].astype("str").where(cl["worker_id"].notna()), sort=True)
    unallocated = len(w_names)
    worker = np.where(w_codes < 0, unallocated, w_codes)
    big = n + 1
    team_left = np.full(team.max() + 1 if n else 0, policy.caps.per_team or big, dtype=np.int64)
    worker_left = np.full(unallocated + 1, policy.caps.per_worker or big, dtype=np.int64)
    worker_left[unallocated] = big  # cases with no allocated worker are not worker-capped
    caps = _Caps(team_left, worker_left)

    hist = _history(audits_history)
    in_scope = cl["service"].astype("str").isin(policy.services).to_numpy()
    excl_from = _months_before(month, policy.exclude_audited_within_months)
    recent_ids = hist.loc[(hist["audit_date"] >= excl_from) & (hist["audit_date"] < month), "child_id"]
    recently = cl["child_id"].isin(set(recent_ids)).to_numpy() if policy.exclude_audited_within_months else \
        np.zeros(n, dtype=bool)
    reaudit = np.zeros(n, dtype=bool)
    if policy.reaudit_actions_after_months:
        r0 = _months_before(month, policy.reaudit_actions_after_months)
        due = hist.loc[(hist["audit_date"] >= r0) & (hist["audit_date"] < r0 + pd.DateOffset(months=1))
                       & hist["actions_set"].to_numpy(dtype=bool), "child_id"]
        reaudit = in_scope & cl["child_id"].isin(set(due)).to_numpy()
    eligible = in_scope & ~recently

    part = np.full(n, "", dtype=object)
    label = np.full(n, "", dtype=object)

    def certainty(pool_mask: np.ndarray, order: np.ndarray, k: int, name: str, text: str) -> int:
        cand = order[pool_mask[order] & (part[order] == "")]
        got = _take(cand, np.zeros(len(cand), dtype=np.int64), np.array([k]), team, worker, caps)
        part[got] = name
        label[got] = text
        return len(got)

    # 1. re-audits: all that are due, never dropped by caps (they still use up cap places)
    re_idx = np.flatnonzero(reaudit)
    part[re_idx] = "reaudit"
    label[re_idx] = (f"Re-audit: the audit {policy.reaudit_actions_after_months} months ago set actions")
    np.subtract.at(caps.team_left, team[re_idx], 1)
    np.subtract.at(caps.worker_left, worker[re_idx], 1)
    n_re = len(re_idx)

    # 2. thematic pulls by risk
    shortfall = 0
    theme_masks = {t.theme: _theme_mask(cl, t.theme) & eligible for t in policy.thematic}
    for t in policy.thematic:
        if t.method == "highest_risk":
            got = certainty(theme_masks[t.theme], risk_order, t.size, "thematic",
                            f"Thematic audit: {THEMES[t.theme]}")
            shortfall += t.size - got

    # 3-4. highest risk and rule-flagged, from the places left
    fixed = sum(t.size for t in policy.thematic) + (policy.previously_audited.size if policy.previously_audited else 0)
    rest = max(policy.size - n_re - fixed, 0)
    q_risk, q_rule, q_random = _largest_remainder(
        rest, np.array([policy.shares.highest_risk, policy.shares.rule_flagged, policy.shares.random]))
    got = certainty(eligible, risk_order, int(q_risk), "highest_risk", "Highest risk this month")
    shortfall += int(q_risk) - got
    got = certainty(eligible & (rule > 0), rule_order, int(q_rule), "rule_flagged", "Drift rule breached")
    shortfall += int(q_rule) - got

    # 5. random parts
    random_parts: list[_RandomPart] = []
    prev_mask = np.zeros(n, dtype=bool)
    if policy.previously_audited is not None:
        w0 = _months_before(month, policy.previously_audited.within_months)
        prev_ids = hist.loc[(hist["audit_date"] >= w0) & (hist["audit_date"] < month), "child_id"]
        prev_mask = in_scope & cl["child_id"].isin(set(prev_ids)).to_numpy()
        pool = np.flatnonzero(prev_mask & (part == ""))
        k = policy.previously_audited.size
        shortfall += max(k - len(pool), 0)
        random_parts.append(_RandomPart(
            "previously_audited",
            f"Audited by the council in the last {policy.previously_audited.within_months} months "
            "(Ofsted monitoring-visit sample)",
            pool, np.zeros(len(pool), dtype=np.int64), np.array([min(k, len(pool))]), ["all"]))
    for t in policy.thematic:
        if t.method == "random":
            pool = np.flatnonzero(theme_masks[t.theme] & (part == ""))
            shortfall += max(t.size - len(pool), 0)
            random_parts.append(_RandomPart(
                "thematic", f"Thematic audit (random): {THEMES[t.theme]}", pool,
                np.zeros(len(pool), dtype=np.int64), np.array([min(t.size, len(pool))]), ["all"]))
    pool = np.flatnonzero(eligible & ~prev_mask & (part == ""))
    k_random = int(q_random) + shortfall
    if policy.strata:
        key = _stratum_key(cl.loc[pool], policy.strata)
        s_codes, s_names = pd.factorize(key, sort=True)
    else:
        s_codes, s_names = np.zeros(len(pool), dtype=np.int64), pd.Index(["all"])
    n_h = np.bincount(s_codes, minlength=len(s_names))
    quota = np.minimum(_largest_remainder(min(k_random, len(pool)), n_h), n_h)
    random_parts.append(_RandomPart("random", "Random control sample", pool, s_codes.astype(np.int64),
                                    quota.astype(np.int64), [str(s) for s in s_names]))

    meta = {
        "open_cases": int(n),
        "in_scope": int(in_scope.sum()),
        "excluded_recently_audited": int((in_scope & recently & ~reaudit).sum()),
        "eligible": int(eligible.sum()),
        "reaudits_due": int(n_re),
        "quota_highest_risk": int(q_risk),
        "quota_rule_flagged": int(q_rule),
        "quota_random": int(k_random),
        "shortfall_to_random": int(shortfall),
    }
    return _Design(cl, policy, month, team, worker, caps, part, label, random_parts, eligible, rule, meta)


def _default_seed(policy: WorklistPolicy, month: pd.Timestamp) -> list[int]:
    return [policy.seed, month.year, month.month]


def inclusion_probabilities(
    caseload: pd.DataFrame, policy: WorklistPolicy, month: str | date | pd.Timestamp,
    audits_history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Inclusion probability of every open case under the policy (exact or simulated).

    Returns ``child_id``, ``inclusion_probability`` and ``inclusion_probability_method``; the
    method is ``"exact"`` or ``"simulated (n=N)"``.
    """
    design = _build_design(caseload, policy, month_start(month), audits_history)
    pi, method = _probabilities(design)
    return pd.DataFrame({"child_id": design.caseload["child_id"], "inclusion_probability": pi,
                         "inclusion_probability_method": method})


def _probabilities(design: _Design) -> tuple[np.ndarray, str]:
    if design.exact():
        return design.exact_probabilities(), "exact"
    n = design.policy.simulations
    seed = [design.policy.seed, design.month.year, design.month.month, 1]
    return design.simulated_probabilities(n, np.random.SeedSequence(seed).generate_state(1)[0]), \
        f"simulated (n={n})"


@dataclass
class Worklist:
    """One month's audit worklist: the selected cases, why, and with what probability.

    ``frame`` has one row per selected case, sorted by score (descending) then ``child_id``.
    ``contributions`` (optional) holds the selected cases' log-odds contributions, indexed by
    ``child_id``, with a ``base_value`` column. Building never writes; :meth:`write` does.
    """

    frame: pd.DataFrame
    month: str
    policy: WorklistPolicy
    design: dict[str, Any]
    contributions: pd.DataFrame | None = None
    model_label: str = "not recorded"
    registry_label: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The worklist as a DataFrame (a copy)."""
        return self.frame.copy()

    def summary(self) -> dict[str, Any]:
        """Counts by selection part, service and team, plus the design facts."""
        f = self.frame
        return {
            "month": self.month,
            "policy": self.policy.name,
            "cases": int(len(f)),
            "by_part": {str(k): int(v) for k, v in f["selection_part"].value_counts().sort_index().items()},
            "by_service": {str(k): int(v) for k, v in f["service"].value_counts().sort_index().items()},
            "by_team": {str(k): int(v) for k, v in f["team"].value_counts().sort_index().items()},
            "inclusion_probability_method": str(f["inclusion_probability_method"].iloc[0]) if len(f) else "",
            **self.design,
        }

    def to_excel(self, path: Path | str) -> Path:
        from driftflag.worklist.outputs import write_excel

        return write_excel(self, Path(path))

    def to_csv(self, path: Path | str) -> Path:
        from driftflag.worklist.outputs import write_csv

        return write_csv(self, Path(path))

    def to_html(self) -> str:
        from driftflag.worklist.outputs import render_html

        return render_html(self)

    def write(self, out_dir: Path | str, *, pseudonym_key: bytes | None = None) -> Path:
        """Write ``worklist.xlsx``, ``worklist.csv``, ``worklist.html`` (and, with a key, the
        pseudonymised copy in ``shared/``) atomically into ``out_dir``."""
        from driftflag.worklist.outputs import write_all

        return write_all(self, Path(out_dir), pseudonym_key=pseudonym_key)


def sample_worklist(
    caseload: pd.DataFrame,
    policy: WorklistPolicy,
    month: str | date | pd.Timestamp,
    audits_history: pd.DataFrame | None = None,
    random_state: int | np.random.Generator | None = None,
    *,
    contributions: pd.DataFrame | CaseExplanations | None = None,
    registry: Any = None,
    model_label: str = "not recorded",
) -> Worklist:
    """Select the month's worklist from a scored caseload (pure; see the module docstring).

    Parameters
    ----------
    caseload
        One row per open case on the first day of the month: ``child_id``, ``service``, ``team``,
        ``worker_id``, ``score`` (probability), indicator columns, optional ``worker_name`` and
        ``rule_score``.
    policy
        The sampling policy.
    month
        The worklist month (``"2025-11"``).
    audits_history
        The store's ``audits`` table (``child_id``, ``audit_date``, ``actions_set``), for
        exclusions, re-audits and the Ofsted previously-audited pull.
    random_state
        Seed of the random parts; default derived from ``policy.seed`` and the month.
    contributions
        Optional log-odds contributions aligned with ``caseload`` (see
        :func:`driftflag.worklist.explain.explain`), or a
        :class:`~driftflag.worklist.explain.CaseExplanations` that makes them for the selected
        cases only; gives each case its top three reasons.
    """
    ms = month_start(month)
    design = _build_design(caseload, policy, ms, audits_history)
    rng = random_state if isinstance(random_state, np.random.Generator) else \
        np.random.default_rng(_default_seed(policy, ms) if random_state is None else random_state)
    r_idx, r_part, r_label = design.draw(rng)
    part = design.part.copy()
    label = design.label.copy()
    part[r_idx] = r_part
    label[r_idx] = r_label
    pi, method = _probabilities(design)

    cl = design.caseload
    sel = np.flatnonzero(part != "")
    score = cl["score"].to_numpy(dtype=float)
    n_scope = max(int((cl["service"].astype("str").isin(policy.services)).sum()), 1)
    rank = pd.Series(-score).rank(method="min").to_numpy()  # 1 = highest risk
    pct = pd.Series(score).rank(method="max", pct=True).to_numpy() * 100

    out = cl.iloc[sel].copy()
    out["risk_rank"] = rank[sel].astype(np.int64)
    out["risk_percentile"] = np.round(pct[sel], 1)
    out["rule_score"] = design.rule_score[sel]
    out["selection_part"] = part[sel]
    out["selection_code"] = pd.Series(part[sel]).map(AUDIT_REASON_OF_PART).to_numpy()
    out["inclusion_probability"] = pi[sel]
    out["inclusion_probability_method"] = method
    out["month"] = ms.strftime("%Y-%m")
    flags_text = _breached_text(out, policy)
    stratum = _stratum_key(out, policy.strata) if policy.strata else "all"
    base = pd.Series(label[sel], index=out.index).astype("str")
    base = base.mask(out["selection_part"] == "highest_risk", base + " (" + rank_words(
        out["risk_rank"].to_numpy(), rank, n_scope) + ")")
    base = base.mask(out["selection_part"] == "rule_flagged", base + ": " + flags_text)
    base = base.mask(out["selection_part"] == "random", base + " (" + stratum + ")")
    also = (out["selection_part"] != "rule_flagged") & (flags_text != "")
    out["selection_reason"] = base.mask(also, base + "; also breaches: " + flags_text)
    out["model_flagged"] = rank[sel] <= max(int(design.meta["quota_highest_risk"]), 1)
    out["rule_flagged"] = design.rule_score[sel] > 0
    out = out.sort_values(["score", "child_id"], ascending=[False, True], kind="stable").reset_index(drop=True)

    contrib = None
    if contributions is not None:
        from driftflag.worklist.reasons import top_reasons

        if len(contributions) != len(caseload):
            raise SchemaError("contributions are not aligned with the caseload (row counts differ)")
        pos = _canonical_order(caseload)[sel]
        contrib = contributions.reset_index(drop=True).iloc[pos].copy() \
            if isinstance(contributions, pd.DataFrame) else contributions.rows(pos)
        contrib.index = cl["child_id"].iloc[sel].to_numpy()
        contrib = contrib.loc[out["child_id"].to_numpy()]
        reasons = top_reasons(out, contrib.reset_index(drop=True), registry=registry)
        out = pd.concat([out, reasons], axis=1)
        none = out["reason_1"].astype("str") == ""
        out.loc[none, "reason_1"] = np.where(
            out.loc[none, "selection_part"] == "random",
            NO_REASON + " (a random control case: audited to see practice as it is)", NO_REASON)
    else:
        for k in (1, 2, 3):
            out[f"reason_{k}"] = ""
    design.meta["inclusion_probability_method"] = method
    design.meta["not_available"] = dict(caseload.attrs.get("not_available", {}))
    reg_label = getattr(registry, "label", "") if registry is not None else ""
    return Worklist(frame=out, month=ms.strftime("%Y-%m"), policy=policy, design=dict(design.meta),
                    contributions=contrib, model_label=model_label, registry_label=reg_label)


#: Shown as the first reason of a case where no indicator is above its threshold (never blank).
NO_REASON = "No drift indicator is above its threshold for this case"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_words(ranks: np.ndarray, all_ranks: np.ndarray, n_scope: int) -> list[str]:
    """"3rd highest of 4,820" or, when cases share a score, "joint 6th of 4,820 (2 cases with
    the same score)": a tie is explained, never two cases both "rank 6" with no word why."""
    ranks = np.asarray(ranks, dtype=np.int64)
    ties = pd.Series(np.asarray(all_ranks, dtype=np.int64)).value_counts()
    out = []
    for r in ranks:
        n = int(ties.get(int(r), 1))
        out.append(f"joint {ordinal(int(r))} of {n_scope:,} ({n} cases with the same score)" if n > 1
                   else f"{ordinal(int(r))} highest of {n_scope:,}")
    return out


def _breached_text(rows: pd.DataFrame, policy: WorklistPolicy) -> pd.Series:
    """Comma-separated drift rules each row breaches, in the practice words of the reasons."""
    from driftflag.worklist.reasons import RULE_LABELS

    text = pd.Series("", index=rows.index, dtype="str")
    for f in policy.rule_flags:
        if f not in rows.columns:
            continue
        hit = rows[f].astype("boolean").fillna(False).to_numpy(dtype=bool)
        word = RULE_LABELS.get(f, f.replace("_", " "))
        text = text.mask(hit, text.where(text == "", text + ", ") + word)
    return text


def service_label(code: str) -> str:
    """Practice words for a service code."""
    return SERVICE_LABELS.get(code, code)
