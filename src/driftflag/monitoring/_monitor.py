"""Compare one month of model inputs and scores with the training reference.

For every input: a test pinned by type (KS or chi-squared), the population stability index on
the reference's fixed bins, and three signals that usually mean the *recording* changed rather
than the children: the blank share, the share of non-zero counts (a lapse in recording episodes
shows up as zeros, not blanks) and the code mix (codes new since training, or gone). Then the
score distribution and, once audit grades are in, the precision of the flags. The result is a
verdict (stable / watch / retrain) with reasons a person can check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.monitoring._config import MonitorConfig
from driftflag.monitoring._errors import MonitoringError
from driftflag.monitoring._reference import (
    FeatureReference,
    Reference,
    codes_of,
    count_bins,
    precision_of,
)
from driftflag.monitoring._stats import (
    benjamini_hochberg,
    bin_counts,
    chi2_counts,
    ks_against_sketch,
    ks_pvalue,
    psi,
    two_proportion,
)

__all__ = ["FEATURE_COLUMNS", "MonitorReport", "Verdict", "monitor"]

logger = logging.getLogger(__name__)

Verdict = Literal["stable", "watch", "retrain"]
RECORDING = "recording change?"
SHIFT = "input shift"

#: Columns of :meth:`MonitorReport.by_feature`, in order.
FEATURE_COLUMNS: tuple[str, ...] = (
    "feature", "kind", "test", "n_reference", "n_current", "statistic", "p_value", "p_adjusted",
    "psi", "missing_rate_reference", "missing_rate_current", "missing_rate_change",
    "missing_p_adjusted", "activity_change", "activity_p_adjusted", "code_mix_change",
    "new_codes", "flag", "likely_cause", "note",
)
_MAX_CHART_CODES = 12


def _edge_labels(edges: list[float]) -> list[str]:
    def f(v: float) -> str:
        return f"{v:.3g}"
    if not edges:
        return ["all"]
    labels = [f"<= {f(edges[0])}"]
    labels += [f"{f(a)}-{f(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return labels + [f"> {f(edges[-1])}"]


def _shares(counts: np.ndarray) -> list[float]:
    c = np.asarray(counts, dtype=float)
    return (c / c.sum()).round(6).tolist() if c.sum() > 0 else [0.0] * len(c)


@dataclass
class _Compared:
    """Raw (unadjusted) results for one column; flags are set after the BH adjustment."""

    row: dict[str, Any]
    p_missing: float = np.nan
    p_activity: float = np.nan
    nonzero_similar: bool = True
    known_similar: bool = True
    chart: dict[str, Any] = field(default_factory=dict)


def _compare(fr: FeatureReference, values: pd.Series, cfg: MonitorConfig, cap: int) -> _Compared:
    n_cur = len(values)
    row: dict[str, Any] = {"feature": fr.name, "kind": fr.kind, "test": fr.test,
                           "n_reference": fr.n_recorded, "statistic": np.nan, "p_value": np.nan,
                           "psi": 0.0, "activity_change": np.nan, "code_mix_change": np.nan,
                           "new_codes": "", "note": ""}
    out = _Compared(row=row)
    enough = fr.n_recorded >= cfg.min_rows
    if fr.kind in ("continuous", "count"):
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        rec = x[~np.isnan(x)]
        edges = np.asarray(fr.edges or [], dtype=float)
        cur_bins = bin_counts(rec, edges)
        row["psi"] = psi(fr.bin_counts or [], cur_bins, cfg.psi_floor)
        enough = enough and len(rec) >= cfg.min_rows
        if fr.kind == "continuous":
            out.chart = {"labels": _edge_labels(fr.edges or []), "reference": _shares(fr.bin_counts or []),
                         "current": _shares(cur_bins)}
            if enough and fr.n_groups is not None:
                # Team-level input: the sample is the distinct values, not the children sharing them.
                d, _ = ks_against_sketch(np.asarray(fr.quantiles), fr.n_recorded, rec)
                row["statistic"] = d
                row["p_value"] = ks_pvalue(d, fr.n_groups, len(np.unique(rec)))
                row["note"] = "team-level input: tested on distinct values"
            elif enough:
                row["statistic"], row["p_value"] = ks_against_sketch(np.asarray(fr.quantiles), fr.n_recorded, rec)
        else:
            ref_c = np.asarray(fr.count_values, dtype=float)
            cur_c = count_bins(rec, cap).astype(float)
            out.chart = {"labels": [str(i) for i in range(cap)] + [f">= {cap}"],
                         "reference": _shares(ref_c), "current": _shares(cur_c)}
            if enough:
                row["statistic"], row["p_value"] = chi2_counts(ref_c, cur_c, cfg.min_expected)
            _, p_nz = chi2_counts(ref_c[1:], cur_c[1:], cfg.min_expected)
            out.nonzero_similar = psi(ref_c[1:], cur_c[1:], cfg.psi_floor) < cfg.psi_watch or p_nz >= cfg.alpha
        if fr.kind == "continuous" and fr.edges and fr.edges[0] == 0 and len(fr.edges) > 1:
            ref_b = np.asarray(fr.bin_counts[1:], dtype=float)
            _, p_nz = chi2_counts(ref_b, cur_bins[1:], cfg.min_expected)
            out.nonzero_similar = psi(ref_b, cur_bins[1:], cfg.psi_floor) < cfg.psi_watch or p_nz >= cfg.alpha
        if fr.n_zero is not None and fr.n_zero < fr.n_recorded and len(rec):
            # Recorded activity: the share of cases with anything non-zero recorded. A lapse in
            # recording (episodes not entered, interviews left blank) shows here as more zeros.
            r_nz, c_nz = fr.n_recorded - fr.n_zero, int((rec != 0).sum())
            r_rate, c_rate = r_nz / fr.n_recorded, c_nz / len(rec)
            row["activity_change"] = (c_rate - r_rate) / r_rate
            out.p_activity = two_proportion(r_nz, fr.n_recorded, c_nz, len(rec))
        n_rec = len(rec)
    else:
        codes = codes_of(values)
        n_rec = len(codes)
        cur = codes.value_counts()
        ref = fr.categories or {}
        known = list(ref)
        new = sorted(set(cur.index) - set(ref))
        ref_v = np.array([ref[k] for k in known] + [0] * len(new), dtype=float)
        cur_v = np.array([cur.get(k, 0) for k in known + new], dtype=float)
        row["psi"] = psi(ref_v, cur_v, cfg.psi_floor)
        enough = enough and n_rec >= cfg.min_rows
        if enough:
            row["statistic"], row["p_value"] = chi2_counts(ref_v, cur_v, cfg.min_expected)
        if n_rec:
            new_share = cur_v[len(known):].sum() / n_rec
            ref_share = ref_v[:len(known)] / max(ref_v.sum(), 1)
            telling = ref_share * n_rec >= cfg.min_expected  # absence is telling only if expected
            vanished = float(ref_share[telling & (cur_v[:len(known)] == 0)].sum())
            row["code_mix_change"] = float(new_share + vanished)
            row["new_codes"] = ", ".join(new[:5]) + (" ..." if len(new) > 5 else "")
            out.known_similar = psi(ref_v[:len(known)], cur_v[:len(known)], cfg.psi_floor) < cfg.psi_watch
        order = np.argsort(-(ref_v + cur_v), kind="stable")[:_MAX_CHART_CODES]
        out.chart = {"labels": [(known + new)[i] for i in order],
                     "reference": [round(float(v), 6) for v in (ref_v / max(ref_v.sum(), 1))[order]],
                     "current": [round(float(v), 6) for v in (cur_v / max(cur_v.sum(), 1))[order]]}
    n_miss = n_cur - n_rec
    row["n_current"] = n_rec
    row["missing_rate_reference"] = fr.missing_rate
    row["missing_rate_current"] = n_miss / n_cur if n_cur else np.nan
    row["missing_rate_change"] = row["missing_rate_current"] - fr.missing_rate
    if n_cur and fr.n_rows:
        out.p_missing = two_proportion(fr.n_missing, fr.n_rows, n_miss, n_cur)
    if not enough:
        row["note"] = f"fewer than {cfg.min_rows} recorded values: distribution not tested"
    return out


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def _judge(c: _Compared, cfg: MonitorConfig, cap: int) -> tuple[str, str, list[str]]:
    """(flag, likely cause, reasons) for one input after the p-values were adjusted."""
    r = c.row
    name = r["feature"]
    dist_sig = bool(r["p_adjusted"] < cfg.alpha)  # NaN compares False
    level = None
    if dist_sig and r["psi"] > cfg.psi_shift:
        level = "shift"
    elif dist_sig and r["psi"] >= cfg.psi_watch:
        level = "watch"
    missing_jump = bool(r["missing_p_adjusted"] < cfg.alpha) and abs(r["missing_rate_change"]) >= cfg.missing_rate_watch
    activity_jump = bool(r["activity_p_adjusted"] < cfg.alpha) and abs(r["activity_change"]) >= cfg.activity_change_watch
    mix = r["code_mix_change"]
    codemix_jump = bool(mix >= cfg.code_mix_watch) and mix * r["n_current"] >= cfg.min_expected
    recording = ((missing_jump and level is None) or (activity_jump and c.nonzero_similar)
                 or (codemix_jump and c.known_similar))
    reasons: list[str] = []
    if missing_jump:
        reasons.append(f"{name}: blank share {_pct(r['missing_rate_reference'])} in training, "
                       f"{_pct(r['missing_rate_current'])} now")
    if activity_jump:
        reasons.append(f"{name}: share of cases with any recorded {_pct(r['activity_change'])} "
                       f"relative to training"
                       + (" while the recorded non-zero values look alike" if c.nonzero_similar else ""))
    if codemix_jump:
        what = f"codes new since training ({r['new_codes']})" if r["new_codes"] else "codes gone since training"
        reasons.append(f"{name}: {_pct(mix)} of rows affected by {what}")
    if recording:
        cause = RECORDING
        reasons = [s + f" (recording change? check how {name} is recorded before retraining)"
                   for s in reasons]
    elif level is not None or reasons:
        cause = SHIFT
        test = "KS" if r["test"] == "ks" else "chi-squared"
        reasons.insert(0, f"{name}: input shift, PSI {r['psi']:.2f} ({test} adjusted p "
                          f"{r['p_adjusted']:.2g})")
    else:
        cause = ""
    flag = level or ("watch" if reasons else "stable")
    return flag, cause, reasons


@dataclass(frozen=True)
class MonitorReport:
    """One month's data drift monitoring result. Aggregates only: no child-level rows.

    Views: :attr:`verdict`, :attr:`reasons`, :meth:`by_feature`, :meth:`to_dict`; writers:
    :meth:`write` (HTML + JSON) and :meth:`log_to_mlflow`.
    """

    verdict: Verdict
    reasons: tuple[str, ...]
    month: str
    reference_label: str
    n_current: int
    features: pd.DataFrame
    score: dict[str, Any] | None
    precision: dict[str, Any] | None
    charts: dict[str, dict[str, Any]]
    config: MonitorConfig
    notice: str = HUMAN_DECISION_NOTICE

    def by_feature(self) -> pd.DataFrame:
        """One row per model input (copy), flagged inputs first then by PSI."""
        return self.features.copy()

    def flagged(self) -> list[str]:
        """Inputs whose flag is not ``stable``."""
        return self.features.loc[self.features["flag"] != "stable", "feature"].tolist()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (NaN as ``None``)."""
        feats = self.features.astype(object).where(self.features.notna(), None)
        return {
            "notice": self.notice, "month": self.month, "reference": self.reference_label,
            "verdict": self.verdict, "reasons": list(self.reasons), "n_current": self.n_current,
            "score": self.score, "precision": self.precision,
            "features": feats.to_dict(orient="records"),
            "config": self.config.model_dump(mode="json"),
        }

    def metrics(self) -> dict[str, float]:
        """Flat numeric metrics for MLflow (``monitor.*``)."""
        from driftflag.monitoring._render import metrics_of

        return metrics_of(self)

    def write(self, out_dir, *, title: str = "Data drift monitoring") -> Any:
        """Write ``monitor.html`` (with charts), ``monitor.json`` and ``by_feature.csv`` atomically."""
        from driftflag.monitoring._render import write_report

        return write_report(self, out_dir, title=title)

    def log_to_mlflow(self, tracking_uri: str, run_id: str | None = None,
                      experiment: str | None = None) -> str:
        """Log metrics and the report to an existing run, or a new run in ``experiment``."""
        from driftflag.monitoring._mlflow import log_report

        return log_report(self, tracking_uri, run_id=run_id, experiment=experiment)


def _score_result(ref: FeatureReference, scores: pd.Series, cfg: MonitorConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    c = _compare(ref, scores, cfg, cap=1)
    r = c.row
    sig = bool(r["p_value"] < cfg.alpha)
    level = "shift" if sig and r["psi"] > cfg.psi_shift else "watch" if sig and r["psi"] >= cfg.psi_watch else "stable"
    res = {"n_current": r["n_current"], "psi": r["psi"], "ks_statistic": r["statistic"],
           "p_value": r["p_value"], "flag": level, "note": r["note"]}
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in res.items()}, c.chart


def _precision_result(reference: Reference, audits: pd.DataFrame, cfg: MonitorConfig) -> dict[str, Any]:
    found, n = precision_of(audits)
    base = reference.precision
    res: dict[str, Any] = {"n_audited_flagged": n, "precision": found / n if n else None,
                           "reference_precision": base.precision if base else None,
                           "change": None, "p_value": None, "flag": "stable", "note": ""}
    if base is None:
        res["note"] = "no training precision in the reference to compare with"
        return res
    if n < cfg.min_audits:
        res["note"] = f"only {n} audited flagged cases (at least {cfg.min_audits} needed)"
        return res
    change = found / n - base.precision
    p_two = two_proportion(round(base.precision * base.n), base.n, found, n)
    p_one = p_two / 2 if change < 0 else 1 - p_two / 2
    res.update(change=change, p_value=p_one)
    if change <= -cfg.precision_drop_watch:
        res["flag"] = "retrain" if p_one < cfg.alpha else "watch"
    return res


def monitor(
    current: pd.DataFrame,
    reference: Reference,
    config: MonitorConfig | None = None,
    audits: pd.DataFrame | None = None,
    *,
    score_col: str = "score",
    month: str = "",
) -> MonitorReport:
    """Compare one month (one row per open case) with the training reference.

    ``current`` must hold every reference feature (extra columns are ignored) and, when the
    reference has a score, ``score_col``. ``audits`` (columns ``flagged``, ``drift_found``) are
    the month's audit grades; precision is compared once there are ``config.min_audits``.
    The bins and tests are the reference's, never re-chosen from the current month.
    """
    cfg = config or MonitorConfig()
    absent = [f for f in reference.features if f not in current.columns]
    if absent:
        raise MonitoringError(f"current month lacks feature column(s): {', '.join(absent)}")
    if len(current) == 0:
        raise MonitoringError("current month has no rows")
    cap = reference.count_cap
    compared = [_compare(fr, current[name], cfg, cap) for name, fr in reference.features.items()]
    frame = pd.DataFrame([c.row for c in compared])
    k = len(compared)
    p_all = np.concatenate([frame["p_value"].to_numpy(float),
                            np.array([c.p_missing for c in compared], dtype=float),
                            np.array([c.p_activity for c in compared], dtype=float)])
    adj = benjamini_hochberg(p_all)
    frame["p_adjusted"], frame["missing_p_adjusted"], frame["activity_p_adjusted"] = adj[:k], adj[k:2 * k], adj[2 * k:]
    reasons_by: list[list[str]] = []
    flags, causes = [], []
    for c, (_, r) in zip(compared, frame.iterrows(), strict=True):
        c.row = r.to_dict()
        flag, cause, why = _judge(c, cfg, cap)
        flags.append(flag)
        causes.append(cause)
        reasons_by.append(why)
    frame["flag"], frame["likely_cause"] = flags, causes
    rank = frame["flag"].map({"shift": 0, "watch": 1, "stable": 2})
    frame = frame.assign(_r=rank).sort_values(["_r", "psi", "feature"], ascending=[True, False, True],
                                              kind="stable")
    order = frame.index.to_list()
    frame = frame.drop(columns="_r").reset_index(drop=True)[list(FEATURE_COLUMNS)]
    charts = {frame.loc[i, "feature"]: compared[j].chart for i, j in enumerate(order)
              if frame.loc[i, "flag"] != "stable"}

    score = None
    if reference.score is not None:
        if score_col not in current.columns:
            raise MonitoringError(f"current month has no score column {score_col!r}")
        score, charts["score"] = _score_result(reference.score, current[score_col], cfg)
    precision = _precision_result(reference, audits, cfg) if audits is not None else None

    verdict, reasons = _verdict(frame, [reasons_by[j] for j in order], score, precision, cfg)
    logger.info("data drift monitoring %s: %s (%d inputs flagged)", month or "current month",
                verdict, int((frame["flag"] != "stable").sum()))
    return MonitorReport(verdict=verdict, reasons=tuple(reasons), month=month,
                         reference_label=reference.label, n_current=len(current), features=frame,
                         score=score, precision=precision, charts=charts, config=cfg)


def _verdict(frame: pd.DataFrame, feature_reasons: list[list[str]], score: dict[str, Any] | None,
             precision: dict[str, Any] | None, cfg: MonitorConfig) -> tuple[Verdict, list[str]]:
    """stable / watch / retrain, with the reasons in order of weight.

    Retraining is called for by a significant input shift in at least ``retrain_feature_share``
    of the inputs, a significant shift of the score distribution, or a significant fall in
    audited precision. A shift that looks like a recording change never calls for retraining on
    its own: retraining would teach the model the recording fault, so it asks for a check first.
    """
    retrain: list[str] = []
    watch: list[str] = []
    tested = int(frame["p_value"].notna().sum())
    shifted = frame[(frame["flag"] == "shift") & (frame["likely_cause"] == SHIFT)]
    recording = frame.loc[frame["likely_cause"] == RECORDING, "feature"].tolist()
    share = len(shifted) / tested if tested else 0.0
    if len(shifted) and share >= cfg.retrain_feature_share:
        retrain.append(f"{len(shifted)} of {tested} inputs ({_pct(share)}) show a significant input shift "
                       f"(PSI > {cfg.psi_shift}), at least {_pct(cfg.retrain_feature_share)} calls for retraining")
    if score is not None and score["flag"] != "stable":
        msg = f"score distribution: PSI {score['psi']:.2f} (KS p {score['p_value']:.2g})"
        (retrain if score["flag"] == "shift" else watch).append(msg)
    if precision is not None and precision["flag"] != "stable":
        msg = (f"precision of flags {_pct(precision['precision'])} on {precision['n_audited_flagged']} "
               f"audited cases against {_pct(precision['reference_precision'])} at training")
        (retrain if precision["flag"] == "retrain" else watch).append(msg)
    for reasons in feature_reasons:
        watch.extend(reasons)
    if retrain and recording and not (precision and precision["flag"] == "retrain"):
        watch = retrain + watch
        retrain = []
        watch.insert(0, f"retraining held back: possible recording changes in {', '.join(recording)}; "
                        "fix the recording first, or the model would learn the fault")
    if retrain:
        return "retrain", retrain + watch
    if watch:
        return "watch", watch
    return "stable", []
