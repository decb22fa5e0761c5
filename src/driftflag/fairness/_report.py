"""Build the fairness report: one computation, then cheap, already-suppressed views.

:func:`build_fairness_report` does all the work (MetricFrames, bootstrap, disparities, the
children's-social-care checks, suppression, verdict); :class:`FairnessReport` only looks results
up. Building never writes; :meth:`FairnessReport.write` takes a folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.fairness._analyses import (
    pooled_mitigation_table,
    population_test,
    proxy_check,
    selection_test,
)
from driftflag.fairness._caseload import Caseload, prepare_caseload
from driftflag.fairness._errors import FairnessConfigError
from driftflag.fairness._metrics import (
    GroupStats,
    check_against_metric_frames,
    compute_group_stats,
    metric_frames,
)
from driftflag.fairness._suppress import (
    hidden_label,
    is_small,
    secondary_suppress,
    suppressed_label,
)
from driftflag.fairness.config import METRICS, FairnessConfig
from driftflag.fairness.population import load_population_shares

__all__ = ["DISPARITY_METRICS", "WHICH_ERROR_MATTERS", "FairnessReport", "Verdict",
           "build_fairness_report"]

logger = logging.getLogger(__name__)

#: Metrics whose ratio to the reference group is shown and judged against the band.
DISPARITY_METRICS: tuple[str, ...] = (
    "selection_rate", "precision", "false_discovery_rate", "false_negative_rate",
    "false_positive_rate", "recall", "observed_to_predicted", "selection_to_need", "auc",
)
#: The four outcomes of a judged ratio (plus "reference" for the reference group's own row).
OUTCOMES: tuple[str, ...] = ("within band", "attention", "outside band", "cannot judge")
VERDICTS: tuple[str, ...] = ("pass", "attention", "insufficient evidence", "fail")
#: Published counts of every group table.
COUNT_COLUMNS: tuple[str, ...] = ("n", "n_labelled", "n_positive", "n_selected")
#: Counts never printed but implied by the rates (recall x cases with the outcome = listed
#: drifting cases): suppressed with the same primary and secondary rules.
IMPLIED_COLUMNS: tuple[str, ...] = ("n_tp",)
_MASKED = COUNT_COLUMNS + IMPLIED_COLUMNS
#: The counts each rate is a relation between (a hidden one hides the rate). Calibration and
#: AUC use every case with a known outcome, not the list, so a hidden listed count leaves them.
_RELATION: dict[str, tuple[str, ...]] = {
    "selection_rate": ("n", "n_selected"),
    "base_rate": ("n_labelled", "n_positive"),
    "mean_score": ("n_labelled",),
    "observed_to_predicted": ("n_labelled", "n_positive"),
    "auc": ("n_labelled", "n_positive"),
    "precision": ("n_selected", "n_tp"), "false_discovery_rate": ("n_selected", "n_tp"),
    "recall": ("n_positive", "n_tp"), "false_negative_rate": ("n_positive", "n_tp"),
    "false_positive_rate": ("n_labelled", "n_positive", "n_selected", "n_tp"),
    "selection_to_need": ("n", "n_selected", "n_labelled", "n_positive"),
}
COUNT_NAMES = {"n": "open cases", "n_labelled": "with a label", "n_positive": "with the outcome",
               "n_selected": "on the worklist"}

#: Which error matters for an audit-prioritisation tool (ml-anchors-and-tooling.md §2).
WHICH_ERROR_MATTERS = (
    "driftflag is an audit-prioritisation tool: a listed case is looked at by a practice "
    "manager, an unlisted drifting case is not. The harm of a missed case (a child whose plan "
    "keeps drifting unseen) is the larger one, so the false negative rate (drifting cases not "
    "listed) matters more; aequitas calls such an intervention assistive. But a flag can still "
    "bring unwanted scrutiny on a family, so the false discovery rate (listed cases that were "
    "not drifting) is shown beside it, and both are judged."
)

# metric -> (denominator, numerator, complement) as columns of the point frame
_BASIS: dict[str, tuple[str, str | None, str | None]] = {
    "selection_rate": ("n", "n_selected", "_n_not_selected"),
    "base_rate": ("n_labelled", "n_positive", "_n_negative"),
    "precision": ("n_selected_labelled", "n_tp", "n_fp"),
    "false_discovery_rate": ("n_selected_labelled", "n_fp", "n_tp"),
    "recall": ("n_positive", "n_tp", "_n_fn"),
    "false_negative_rate": ("n_positive", "_n_fn", "n_tp"),
    "false_positive_rate": ("_n_negative", "n_fp", "_n_tn"),
    "mean_score": ("n_labelled", None, None),
    "observed_to_predicted": ("n_labelled", None, None),
    "selection_to_need": ("n_labelled", None, None),
    "auc": ("n_positive", "_n_negative", None),
}


@dataclass(frozen=True)
class Verdict:
    """The panel's headline: ``status`` is "pass", "attention", "insufficient evidence" or
    "fail"; ``reasons`` say why in plain words.

    ``missing_evidence`` lists the main groups and main metrics that could not be judged (any
    makes a verdict that would otherwise be "pass" "insufficient evidence"); ``not_judged``
    every judged (group, metric) that could not be judged, with the ratio these numbers could
    detect.
    """

    status: str
    reasons: tuple[str, ...]
    not_judged: tuple[str, ...] = ()
    missing_evidence: tuple[str, ...] = ()

    @property
    def gate_ok(self) -> bool | None:
        """For the promotion gate: True on pass, False on fail, None otherwise (the panel
        decides: attention, or not enough evidence to judge)."""
        return {"pass": True, "fail": False}.get(self.status)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reasons": list(self.reasons),
                "not_judged": list(self.not_judged),
                "missing_evidence": list(self.missing_evidence), "gate_ok": self.gate_ok}


def _fmt_ratio(x: float) -> str:
    return f"{x:.2f}"


@dataclass
class FairnessReport:
    """The fairness audit of one worklist month: every figure computed once, views suppressed.

    Views: :attr:`verdict`, :meth:`by_group`, :meth:`disparity`, :meth:`to_frame`,
    :meth:`to_dict`, :meth:`to_html`; :meth:`write` writes ``fairness.html``, ``fairness.json``
    and ``charts/*.svg``; :meth:`gate` answers stage 4's promotion gate.
    """

    config: FairnessConfig
    verdict: Verdict
    summary: dict[str, Any]
    references: dict[str, dict[str, Any]]
    metric_frames: dict[str, Any]
    _tables: dict[str, pd.DataFrame]
    _disparities: dict[str, pd.DataFrame]
    _stats: GroupStats = field(repr=False)
    _visible: dict[str, pd.DataFrame] = field(repr=False)
    _masks: dict[str, pd.DataFrame] = field(repr=False)
    representation: dict[str, Any] = field(default_factory=dict)
    prior_history: dict[str, Any] = field(default_factory=dict)
    proxy: dict[str, Any] = field(default_factory=dict)
    mitigation: dict[str, Any] = field(default_factory=dict)
    power: dict[str, Any] | None = None

    # ---- views ---------------------------------------------------------------------------
    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self._tables)

    def _check_dim(self, dimension: str) -> None:
        if dimension not in self._tables:
            raise FairnessConfigError(
                f"dimension {dimension!r} is not in this report; it has {', '.join(self._tables)}")

    def by_group(self, dimension: str) -> pd.DataFrame:
        """Group table of one dimension, suppressed: counts as int or "<10", hidden rates None.

        Columns: ``group``, the counts (``n``, ``n_labelled``, ``n_positive``, ``n_selected``)
        and every metric with ``_low`` / ``_high`` bootstrap bounds.
        """
        self._check_dim(dimension)
        return self._tables[dimension].copy()

    def disparity(self, dimension: str, reference: str | None = None) -> pd.DataFrame:
        """Ratios of each group's metric to the reference group's, with intervals and judgement.

        ``reference=None`` uses the configured reference; another group name recomputes the
        ratios from the stored bootstrap replicates (no recomputation of the data).
        """
        self._check_dim(dimension)
        if reference is None or reference == self.references[dimension]["group"]:
            return self._disparities[dimension].copy()
        groups = list(self._stats.point[dimension].index)
        if reference not in groups:
            raise FairnessConfigError(
                f"reference {reference!r} is not a group of {dimension}: {', '.join(groups)}")
        return _disparity_frame(self._stats, self._visible[dimension], dimension, reference,
                                self.config)

    def to_frame(self) -> pd.DataFrame:
        """Every group metric of every dimension in long form (suppressed): one row per
        dimension, group and metric, with ``value``, ``ci_low``, ``ci_high``."""
        rows = []
        for dim, t in self._tables.items():
            for _, r in t.iterrows():
                for m in METRICS:
                    rows.append({"dimension": dim, "group": r["group"], "metric": m,
                                 "value": r[m], "ci_low": r[f"{m}_low"],
                                 "ci_high": r[f"{m}_high"]})
        return pd.DataFrame(rows, columns=["dimension", "group", "metric", "value", "ci_low",
                                           "ci_high"])

    def gate(self) -> bool | None:
        """For the promotion gate: True on pass, False on fail, None on attention or
        insufficient evidence (the panel decides)."""
        return self.verdict.gate_ok

    def to_dict(self) -> dict[str, Any]:
        """Every figure of the report, already suppressed, as JSON-ready values."""
        dims = {}
        for dim in self._tables:
            dims[dim] = {
                "reference": self.references[dim],
                "groups": _records(self._tables[dim]),
                "disparities": _records(self._disparities[dim]),
            }
        return _jsonable({
            "notice": HUMAN_DECISION_NOTICE,
            "model": self.config.model_label,
            "month": self.config.month,
            "verdict": self.verdict.to_dict(),
            "summary": self.summary,
            "which_error_matters": WHICH_ERROR_MATTERS,
            "band": list(self.config.band),
            "suppression": {
                "count_limit": self.config.suppression_limit,
                "shown_as": suppressed_label(self.config.suppression_limit),
                "min_group_for_rates": self.config.min_group_for_rates,
            },
            "dimensions": dims,
            "worklist_representation": self.representation,
            "prior_history": self.prior_history,
            "proxy": self.proxy,
            "mitigation": self.mitigation,
            "detection_power": self.power,
            "model_card": self.config.model_card,
            "config": self.config.model_dump(mode="json"),
        })

    def to_json(self) -> str:
        """:meth:`to_dict` as sorted, indented JSON (byte-identical for the same inputs)."""
        import json

        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"

    def to_html(self) -> str:
        """The ethics-panel pack as one self-contained HTML page (charts inline)."""
        from driftflag.fairness._render import render_html

        return render_html(self)

    def charts(self) -> dict[str, str]:
        """Chart name -> SVG text (deterministic)."""
        from driftflag.fairness._render import render_charts

        return render_charts(self)

    def write(self, out_dir: Path) -> Path:
        """Write ``fairness.html``, ``fairness.json`` and ``charts/*.svg`` atomically to
        ``out_dir`` (replaced as a whole)."""
        from driftflag._atomic import staged_dir
        from driftflag.fairness._render import render_charts, render_html

        out_dir = Path(out_dir)
        charts = render_charts(self)
        html = render_html(self, charts)
        with staged_dir(out_dir, kind="fairness", legacy=("fairness.json", "fairness.html", "charts")) as tmp:
            (tmp / "charts").mkdir()
            for name, svg in charts.items():
                (tmp / "charts" / f"{name}.svg").write_text(svg, encoding="utf-8")
            (tmp / "fairness.html").write_text(html, encoding="utf-8")
            (tmp / "fairness.json").write_text(self.to_json(), encoding="utf-8")
        logger.info("fairness pack written to %s (verdict %s)", out_dir, self.verdict.status)
        return out_dir


# ---- helpers -----------------------------------------------------------------------------
def _clean(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else round(float(v), 6)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def _jsonable(v: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, non-finite floats to None, recursively."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return _clean(v)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


def _with_derived(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.copy()
    f["_n_not_selected"] = f["n"] - f["n_selected"]
    f["_n_negative"] = f["n_labelled"] - f["n_positive"]
    f["_n_fn"] = f["n_positive"] - f["n_tp"]
    f["_n_tn"] = f["_n_negative"] - f["n_fp"]
    f["_n_ec_not_selected"] = f["n_entered_care"] - f["n_entered_care_selected"]
    return f


def _count_masks(stats: GroupStats, groups_of: dict[str, list[str]], cfg: FairnessConfig,
                 totals: dict[str, float]) -> dict[str, pd.DataFrame]:
    """Suppression masks of the published counts, joint over every dimension's table.

    Cells are (dimension, group) per count column plus the caseload total; each equation that
    links published cells (a dimension sums to the total; detailed codes sum to their major
    group; ethnicity-by-age rows and columns sum to the ethnicity and age tables; "Not known"
    is the same cell in the major and detailed tables) is a line for secondary suppression.
    """
    limit = cfg.suppression_limit
    cells: list[tuple[str, str]] = [("_total", "_total")]
    for dim, gs in groups_of.items():
        cells += [(dim, g) for g in gs]
    pos = {c: i for i, c in enumerate(cells)}
    lines: list[np.ndarray] = []
    for dim, gs in groups_of.items():
        lines.append(np.array([pos[(dim, g)] for g in gs] + [0]))
    if "ethnicity_detailed" in groups_of and "ethnicity" in groups_of:
        for major in groups_of["ethnicity"]:
            members = [g for g in groups_of["ethnicity_detailed"]
                       if _major_of_detailed(g) == major]
            if members:
                lines.append(np.array([pos[("ethnicity_detailed", g)] for g in members]
                                      + [pos[("ethnicity", major)]]))
    if "ethnicity_by_age" in groups_of:
        xs = groups_of["ethnicity_by_age"]
        for dim, part in (("ethnicity", 0), ("age_band", 1)):
            if dim not in groups_of:
                continue
            for g in groups_of[dim]:
                members = [x for x in xs if x.split(" / ")[part] == g]
                if members:
                    lines.append(np.array([pos[("ethnicity_by_age", x)] for x in members]
                                          + [pos[(dim, g)]]))
    masks: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    for col in _MASKED:
        v = np.array([totals[col]] + [stats.point[d].loc[g, col] for d, g in cells[1:]])
        values[col] = v
        masks[col] = is_small(v, limit)
    # complements inside a row: n - n_selected, n_labelled - n_positive, n - n_labelled
    # and listed drifting cases against listed cases and cases with the outcome
    pairs = (("n_selected", "n"), ("n_positive", "n_labelled"), ("n_labelled", "n"),
             ("n_tp", "n_selected"), ("n_tp", "n_positive"))
    changed = True
    while changed:
        changed = False
        for col in _MASKED:
            new = secondary_suppress(values[col], masks[col], lines)
            if (new != masks[col]).any():
                masks[col], changed = new, True
        for part, whole in pairs:
            comp = values[whole] - values[part]
            hit = (is_small(comp, limit) | masks[whole]) & ~masks[part] & (values[part] > 0) \
                & (comp > 0)
            if hit.any():
                masks[part] = masks[part] | hit
                changed = True
    out: dict[str, pd.DataFrame] = {}
    for dim, gs in groups_of.items():
        idx = [pos[(dim, g)] for g in gs]
        out[dim] = pd.DataFrame({col: masks[col][idx] for col in _MASKED},
                                index=pd.Index(gs, name="group"))
    out["_total"] = pd.DataFrame({col: masks[col][[0]] for col in _MASKED})
    return out


def _major_of_detailed(label: str) -> str:
    from driftflag.casemodel.codes import ETHNIC_MAJOR_GROUP, ETHNICITY_LABELS

    if label == "Not known":
        return "Not known"
    if label.endswith(" (other codes)"):
        return label[: -len(" (other codes)")]
    code = {v: k for k, v in ETHNICITY_LABELS.items()}.get(label)
    return ETHNIC_MAJOR_GROUP.get(code or "", "Not known")


def _rate_visible(point: pd.DataFrame, mask: pd.DataFrame, cfg: FairnessConfig) -> pd.DataFrame:
    """Which rates of which groups may be shown (see :mod:`driftflag.fairness._suppress`)."""
    f = _with_derived(point)
    limit, min_n = cfg.suppression_limit, cfg.min_group_for_rates
    vis = {}
    for m, (den, num, comp) in {**_BASIS,
                                "history_contrib_mean": ("n_history", None, None),
                                "recall_entered_care": ("n_entered_care",
                                                        "n_entered_care_selected",
                                                        "_n_ec_not_selected")}.items():
        ok = (f["n"] >= min_n) & (f[den] >= min_n)
        for c in (num, comp):
            if c is not None:
                ok &= ~is_small(f[c].to_numpy(), limit)
        # a rate with the counts of its own relation could give a hidden count back (recall x
        # outcomes = listed drifting cases; / precision = listed cases): it is shown only when
        # every count of its relation is (listed drifting cases: suppressed like a count)
        for c in _RELATION.get(m, COUNT_COLUMNS):
            ok &= ~mask[c]
        vis[m] = ok.to_numpy().copy()
    vis["selection_to_need"] = vis["selection_to_need"] & vis["selection_rate"] & vis["base_rate"]
    return pd.DataFrame(vis, index=point.index)


def _interval(boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if boot is None or boot.size == 0:
        return None, None
    a = (1 - level) / 2
    with np.errstate(all="ignore"):
        finite = np.isfinite(boot)
        enough = finite.mean(axis=0) >= 0.5
        b = np.where(finite, boot, np.nan)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanquantile(b, [a, 1 - a], axis=0)
    return np.where(enough, lo, np.nan), np.where(enough, hi, np.nan)


def _group_table(stats: GroupStats, dim: str, frames, mask: pd.DataFrame, vis: pd.DataFrame,
                 cfg: FairnessConfig) -> pd.DataFrame:
    point = stats.point[dim]
    mf_all, mf_lab = frames
    rows = {"group": list(point.index)}
    for c in COUNT_COLUMNS:
        v = point[c].round().astype(int).to_numpy()
        rows[c] = [hidden_label(x, cfg.suppression_limit) if mask.loc[g, c] else int(x)
                   for g, x in zip(point.index, v,
                                                                         strict=True)]
    # point estimates from fairlearn's MetricFrame (the vectorised sums agree: checked)
    est = pd.DataFrame(index=point.index)
    est["selection_rate"] = mf_all.by_group["selection_rate"].reindex(point.index)
    for m in METRICS:
        if m in ("selection_rate", "selection_to_need"):
            continue
        est[m] = (mf_lab.by_group[m].reindex(point.index) if mf_lab is not None
                  else np.nan)
    with np.errstate(all="ignore"):
        est["selection_to_need"] = est["selection_rate"] / est["base_rate"].where(
            est["base_rate"] > 0)
    for m in METRICS:
        lo, hi = _interval(stats.boot[dim].get(m) if stats.boot[dim] else None, cfg.ci_level)
        v = est[m].to_numpy(dtype=float)
        show = vis[m].to_numpy() & np.isfinite(v)
        rows[m] = [float(x) if s else None for x, s in zip(v, show, strict=True)]
        for suffix, arr in (("low", lo), ("high", hi)):
            rows[f"{m}_{suffix}"] = [float(x) if (s and arr is not None and np.isfinite(x))
                                     else None for x, s in
                                     zip(arr if arr is not None else v, show, strict=True)]
    if "auc" in point.columns:  # whole-caseload ranking quality by group
        lo, hi = _interval(stats.boot[dim].get("auc") if stats.boot[dim] else None, cfg.ci_level)
        v = point["auc"].to_numpy(dtype=float)
        show = vis["auc"].to_numpy() & np.isfinite(v)
        rows["auc"] = [float(x) if s_ else None for x, s_ in zip(v, show, strict=True)]
        for suffix, arr in (("low", lo), ("high", hi)):
            rows[f"auc_{suffix}"] = [float(x) if (s_ and arr is not None and np.isfinite(x))
                                     else None for x, s_ in
                                     zip(arr if arr is not None else v, show, strict=True)]
    return pd.DataFrame(rows)


_LABEL_METRICS = frozenset(DISPARITY_METRICS) - {"selection_rate"}


def _judge(ratio: float, lo: float, hi: float, detectable: float,
           band: tuple[float, float]) -> tuple[str, str]:
    """One of :data:`OUTCOMES` for a ratio with its interval, and why in plain words.

    ``detectable`` is the smallest ratio (above 1) the interval could tell from 1. If it is
    beyond the band the numbers could not see a disparity the size of the band, so a ratio
    inside the band is "cannot judge", not "within band".
    """
    b0, b1 = band
    if not (np.isfinite(ratio) and np.isfinite(lo) and np.isfinite(hi)):
        return "cannot judge", "no interval (too few cases with a known outcome)"
    if hi < b0 or lo > b1:
        return "outside band", "the whole interval lies outside the band"
    point_out = ratio < b0 or ratio > b1
    precise = np.isfinite(detectable) and detectable <= b1
    if precise:
        if point_out:
            return "attention", "the estimate lies outside the band; the interval reaches into it"
        return "within band", "the estimate lies inside the band"
    if point_out and (lo > 1 or hi < 1):
        return "attention", ("the estimate lies outside the band and the interval excludes 1, "
                             "but the numbers are few")
    if not np.isfinite(detectable):
        return "cannot judge", (f"these numbers could not detect a difference of any size "
                                f"(band {b0}-{b1})")
    return "cannot judge", (f"these numbers could only detect a ratio beyond "
                            f"{_fmt_ratio(detectable)} (band {b0}-{b1})")


def _detectable(log_ratio_boot: np.ndarray | None, level: float) -> np.ndarray | None:
    """Smallest ratio the interval could exclude, per group: ``exp(z * sd(log ratio))``."""
    if log_ratio_boot is None or log_ratio_boot.size == 0:
        return None
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    with np.errstate(all="ignore"):
        finite = np.isfinite(log_ratio_boot)
        b = np.where(finite, log_ratio_boot, np.nan)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sd = np.nanstd(b, axis=0, ddof=1)
    sd = np.where(finite.mean(axis=0) >= 0.5, sd, np.nan)
    return np.exp(z * sd)


def _disparity_frame(stats: GroupStats, vis: pd.DataFrame, dim: str, ref: str,
                     cfg: FairnessConfig) -> pd.DataFrame:
    point = stats.point[dim]
    groups = list(point.index)
    r = groups.index(ref)
    tol = cfg.tolerances
    judged = set(tol.judged_metrics) if dim in tol.dimensions else set()
    rows = []
    for m in DISPARITY_METRICS:
        if m not in point.columns:
            continue
        v = point[m].to_numpy(dtype=float)
        boot = stats.boot[dim].get(m) if stats.boot[dim] else None
        with np.errstate(all="ignore"):
            ratio = v / v[r] if v[r] > 0 else np.full_like(v, np.nan)
            rb = boot / boot[:, [r]] if boot is not None else None
            det = _detectable(np.log(rb), cfg.ci_level) if rb is not None else None
        lo, hi = _interval(rb, cfg.ci_level) if rb is not None else (None, None)
        vis_m = vis[m] if m in vis.columns else pd.Series(False, index=vis.index)
        for i, g in enumerate(groups):
            show = bool(vis_m.iloc[i] and vis_m.iloc[r] and np.isfinite(ratio[i]))
            lo_i = float(lo[i]) if (show and lo is not None and np.isfinite(lo[i])) else None
            hi_i = float(hi[i]) if (show and hi is not None and np.isfinite(hi[i])) else None
            det_i = float(det[i]) if (show and det is not None and np.isfinite(det[i])) else None
            if m in _LABEL_METRICS:
                enough = all(point[c].iloc[j] >= need for j in (i, r) for c, need in
                             (("n_labelled", tol.min_labelled),
                              ("n_positive", tol.min_positives)))
            else:
                enough = point["n"].iloc[i] >= tol.min_labelled
            if i == r:
                judgement, why = "reference", ""
            elif not show:
                judgement, why = "cannot judge", "too few children to show (small numbers)"
            elif not enough:
                judgement, why = "cannot judge", (
                    f"fewer than {tol.min_labelled} cases with a known outcome or "
                    f"{tol.min_positives} with the outcome")
            elif (edge := _boundary_interval(point, i, r, m)) is not None:
                # a rate of 0% or 100% does not vary under resampling: its bootstrap interval
                # is a point; use the rule of three (95% bound 3/n) instead
                lo_i, hi_i = edge
                det_i = None
                judgement, why = _judge(ratio[i], lo_i, hi_i, np.inf, cfg.band)
                why += " (a rate of 0% or 100%: interval by the rule of three)"
            else:
                judgement, why = _judge(ratio[i], lo_i if lo_i is not None else np.nan,
                                        hi_i if hi_i is not None else np.nan,
                                        det_i if det_i is not None else np.nan, cfg.band)
            rows.append({
                "group": g, "metric": m, "reference": ref,
                "ratio": float(ratio[i]) if show else None,
                "ci_low": lo_i, "ci_high": hi_i, "detectable_ratio": det_i,
                "judged": m in judged and i != r,
                "judgement": judgement, "why": why,
                "interval_excludes_one": bool(show and lo_i is not None and hi_i is not None
                                              and (lo_i > 1 or hi_i < 1)),
            })
    return _explained_by_need(pd.DataFrame(rows))


# metric -> (numerator, denominator) counts of the rate whose 0% / 100% makes the bootstrap
# degenerate, and how the metric is built from that rate (x = the rate's bound)
_EDGE: dict[str, tuple[str, str]] = {
    "selection_rate": ("n_selected", "n"), "precision": ("n_tp", "n_selected_labelled"),
    "false_discovery_rate": ("n_tp", "n_selected_labelled"),
    "recall": ("n_tp", "n_positive"), "false_negative_rate": ("n_tp", "n_positive"),
    "selection_to_need": ("n_selected", "n"), "observed_to_predicted": ("n_positive",
                                                                         "n_labelled"),
}


def _boundary_interval(point: pd.DataFrame, i: int, r: int, m: str):
    """Rule-of-three interval of group ``i``'s ratio to reference ``r`` when the group's rate
    behind ``m`` is 0% or 100% (else None; None too when the reference's is, which the
    bootstrap interval then shows as not judgeable)."""
    if m not in _EDGE:
        return None
    num, den = _EDGE[m]
    k, n = float(point[num].iloc[i]), float(point[den].iloc[i])
    if n <= 0 or 0 < k < n:
        return None
    k_r, n_r = float(point[num].iloc[r]), float(point[den].iloc[r])
    if n_r <= 0 or not 0 < k_r < n_r:
        return None
    q = min(1.0, 3.0 / n)
    lo_rate, hi_rate = (0.0, q) if k == 0 else (1.0 - q, 1.0)
    ref = point[m].iloc[r]
    if not np.isfinite(ref) or ref <= 0:
        return None
    if m in ("false_discovery_rate", "false_negative_rate"):  # 1 - the rate
        lo_rate, hi_rate = 1.0 - hi_rate, 1.0 - lo_rate
    if m == "selection_to_need":
        base = point["base_rate"].iloc[i]
        if not np.isfinite(base) or base <= 0:
            return None
        lo_rate, hi_rate = lo_rate / base, hi_rate / base
    if m == "observed_to_predicted":
        ms = point["mean_score"].iloc[i]
        if not np.isfinite(ms) or ms <= 0:
            return None
        lo_rate, hi_rate = lo_rate / ms, hi_rate / ms
    return float(lo_rate / ref), float(hi_rate / ref)


#: Rates a model fair to every group may still make differ by group: with different need (base
#: rate, risk mix) a calibrated model cannot equalise them (Kleinberg, Chouldechova).
NEED_DEPENDENT = frozenset({"precision", "false_discovery_rate", "false_negative_rate",
                            "selection_to_need"})


def _explained_by_need(d: pd.DataFrame) -> pd.DataFrame:
    """An error-rate gap outside the band is "outside band" only for a group whose calibration
    (observed / predicted) is itself outside band: then the model gets the group's risk wrong
    and the gap is its consequence. For a group the model is calibrated for, or whose
    calibration is not established as off (attention, cannot judge), the gap may follow from a
    different need (a
    calibrated model cannot equalise error rates across groups with different need), so it is
    "attention": the panel checks the need is real. Calibration itself is never relaxed."""
    if d.empty:
        return d
    cal = d[d["metric"] == "observed_to_predicted"].set_index("group")["judgement"]
    out = d["metric"].isin(NEED_DEPENDENT) & (d["judgement"] == "outside band")
    calibrated = out & (d["group"].map(cal) == "within band")
    unknown = out & d["group"].map(cal).isin(["cannot judge", "attention"])
    d.loc[calibrated | unknown, "judgement"] = "attention"
    d.loc[calibrated, "why"] = (
        "the whole interval lies outside the band, but the model's risk estimates are right "
        "for this group (observed / predicted within band): the gap follows from a different "
        "need, which the panel should check is real")
    d.loc[unknown, "why"] = (
        "the whole interval lies outside the band, but the model's risk estimates for this "
        "group are not shown to be wrong (observed / predicted not outside band), so the gap "
        "may follow from a different need; the panel should ask")
    return d


def _choose_reference(point: pd.DataFrame, vis: pd.DataFrame, dim: str,
                      cfg: FairnessConfig) -> dict[str, Any]:
    rule = cfg.reference.get(dim, "largest")
    largest = str(point["n"].idxmax())
    if rule == "largest":
        return {"group": largest, "rule": "largest group", "note": ""}
    names = {str(g).lower(): str(g) for g in point.index}
    g = names.get(rule.lower())
    if g is None:
        return {"group": largest, "rule": f"named: {rule}",
                "note": f"{rule} is not in this caseload; the largest group is used instead"}
    if not vis.loc[g, "selection_rate"]:
        return {"group": largest, "rule": f"named: {rule}",
                "note": f"{rule} is too small for rates; the largest group is used instead"}
    return {"group": g, "rule": f"named: {rule}", "note": ""}


def _history_and_entered(cl: Caseload, cfg: FairnessConfig):
    hist = cfg.history_feature_names()
    cols = [f"contrib__{h}" for h in hist if f"contrib__{h}" in cl.frame.columns]
    hc = cl.frame[cols].sum(axis=1, min_count=1).to_numpy(dtype=float) if cols else None
    ec = (cl.frame["entered_care_later"].fillna(False).to_numpy(dtype=bool)
          if "entered_care_later" in cl.frame.columns else None)
    return hist, cols, hc, ec


def build_fairness_report(scored: pd.DataFrame, config: FairnessConfig) -> FairnessReport:
    """Audit a scored caseload for fairness; returns a :class:`FairnessReport` (never writes).

    ``scored`` is one row per open case on the worklist month (see
    :mod:`driftflag.fairness._caseload`). Deterministic in ``scored`` and ``config``.
    """
    cfg = config
    cl = prepare_caseload(scored, cfg)
    hist, hist_cols, hc, ec = _history_and_entered(cl, cfg)
    stats = compute_group_stats(cl, n_bootstrap=cfg.n_bootstrap, random_state=cfg.random_state,
                                history_contrib=hc, entered_care=ec,
                                auc_dimensions=tuple(d for d in ("ethnicity", "sex", "age_band",
                                                                 "disability", "uasc")
                                                     if d in cl.groups))
    frames = {dim: metric_frames(cl, dim) for dim in cl.groups}
    check_against_metric_frames(stats, frames)

    totals = {"n": cl.n, "n_labelled": int(cl.labelled.sum()),
              "n_positive": int((cl.labelled & (cl.label == 1)).sum()),
              "n_selected": int(cl.selected.sum()),
              "n_tp": int((cl.labelled & (cl.label == 1) & cl.selected).sum())}
    groups_of = {d: [str(g) for g in stats.point[d].index] for d in cl.groups}
    masks = _count_masks(stats, groups_of, cfg, totals)
    summary = {
        "open_cases": hidden_label(totals["n"], cfg.suppression_limit)
        if masks["_total"]["n"].iloc[0] else totals["n"],
        "on_worklist": hidden_label(totals["n_selected"], cfg.suppression_limit)
        if masks["_total"]["n_selected"].iloc[0] else totals["n_selected"],
        "with_label": hidden_label(totals["n_labelled"], cfg.suppression_limit)
        if masks["_total"]["n_labelled"].iloc[0] else totals["n_labelled"],
        "with_outcome": hidden_label(totals["n_positive"], cfg.suppression_limit)
        if masks["_total"]["n_positive"].iloc[0] else totals["n_positive"],
        "k_rule": (f"k = {cfg.k}" if cfg.k is not None else "worklist as given"),
        "bootstrap_replicates": cfg.n_bootstrap,
        "ci_level": cfg.ci_level,
    }
    visible = {d: _rate_visible(stats.point[d], masks[d], cfg) for d in cl.groups}
    tables = {d: _group_table(stats, d, frames[d], masks[d], visible[d], cfg) for d in cl.groups}
    references = {d: _choose_reference(stats.point[d], visible[d], d, cfg) for d in cl.groups}
    disparities = {d: _disparity_frame(stats, visible[d], d, references[d]["group"], cfg)
                   for d in cl.groups}

    representation = _representation(cl, stats, tables, visible, references, totals, cfg,
                                     disparities)
    prior = _prior_history(stats, visible, masks, references, hist, hist_cols, hc, ec, cfg)
    proxy = _proxy(cl, cfg)
    pooled = bool((cl.period != "").any())
    mitigation = (_mitigation(cl, cfg, masks.get("ethnicity")) if cfg.mitigation
                  else {"shown": False, "note": "not requested"})
    verdict = _verdict(disparities, representation, prior, proxy, cfg)
    power = _power(summary["open_cases"]) if pooled else None
    return FairnessReport(config=cfg, verdict=verdict, summary=summary, references=references,
                          metric_frames=frames, _tables=tables, _disparities=disparities,
                          _stats=stats, _visible=visible, _masks=masks,
                          representation=representation, prior_history=prior, proxy=proxy,
                          mitigation=mitigation, power=power)


def _power(open_cases: Any) -> dict[str, Any] | None:
    """The power study's figures for a back-test pack of this size (None without the file)."""
    from driftflag.fairness.power import power_statement

    try:
        return power_statement(open_cases)
    except FairnessConfigError as e:
        logger.warning("no detection power quoted: %s", e)
        return None


# ---- sections ----------------------------------------------------------------------------
def _representation(cl, stats, tables, visible, references, totals, cfg,
                    disparities) -> dict[str, Any]:
    """Who is on the worklist: against the open caseload (every dimension) and, for ethnicity,
    against the child population (relative rate index, as councils' disproportionality tools).

    The chi-squared test treats each listed row as independent; in a pooled back-test a child
    can be listed in several months, so a finding also needs the selection-rate ratio's
    cluster-bootstrap interval (children resampled) to exclude 1."""
    out: dict[str, Any] = {"against_caseload": {}, "against_population": None}
    for dim, t in tables.items():
        point = stats.point[dim]
        ref = references[dim]["group"]
        d = disparities[dim]
        sel = d[d["metric"] == "selection_rate"].set_index("group")
        rows = []
        for i, g in enumerate(point.index):
            show = bool(visible[dim]["selection_rate"].iloc[i])
            p = selection_test(int(point["n_selected"].iloc[i]), int(point["n"].iloc[i]),
                               totals["n_selected"], totals["n"]) if show else float("nan")
            ref_rate = point.loc[ref, "selection_rate"]
            rri = point["selection_rate"].iloc[i] / ref_rate if show and ref_rate > 0 else np.nan
            rows.append({
                "group": g, "n": t["n"].iloc[i], "n_selected": t["n_selected"].iloc[i],
                "selection_rate": t["selection_rate"].iloc[i],
                "rri_vs_reference": float(rri) if np.isfinite(rri) else None,
                "p_value": float(p) if np.isfinite(p) else None,
                "interval_excludes_one": bool(sel.loc[g, "interval_excludes_one"])
                if g in sel.index else False,
                "finding": (_finding(p, rri) if show else
                            "too few to say anything (small numbers)"),
            })
        out["against_caseload"][dim] = {"reference": ref, "rows": rows}
    if "ethnicity" in stats.point:
        out["against_population"] = _against_population(stats, tables, visible, references,
                                                         cfg)
    return out


def _finding(p: float, rri: float) -> str:
    if not np.isfinite(p):
        return "no test possible"
    if p < 0.05:
        return "significantly higher" if rri > 1 else "significantly lower"
    return "no significant difference"


def _against_population(stats, tables, visible, references, cfg) -> dict[str, Any]:
    shares, source = load_population_shares(cfg.population_shares)
    point = stats.point["ethnicity"]
    t = tables["ethnicity"]
    known = [g for g in point.index if g in shares.index]
    ref = references["ethnicity"]["group"]
    if ref not in known:
        ref = max(known, key=lambda g: point.loc[g, "n"]) if known else None
    # the known groups' total would give a hidden "Not known" (or other) count back by
    # subtraction from the published total: shares of it and tests on it need every count shown
    masked = visible["ethnicity"]
    all_shown = bool(masked["selection_rate"].all())
    k_known = float(point.loc[known, "n_selected"].sum()) if known else 0.0
    n_known = float(point.loc[known, "n"].sum()) if known else 0.0
    rows = []
    for i, g in enumerate(point.index):
        row = {"group": g, "population_share": float(shares[g]) if g in shares.index else None,
               "n": t["n"].iloc[i], "n_selected": t["n_selected"].iloc[i]}
        show = bool(visible["ethnicity"]["selection_rate"].iloc[i]) and g in shares.index \
            and ref is not None
        if show:
            case_rate = point.loc[g, "n"] / shares[g]
            list_rate = point.loc[g, "n_selected"] / shares[g]
            ref_case = point.loc[ref, "n"] / shares[ref]
            ref_list = point.loc[ref, "n_selected"] / shares[ref]
            row["caseload_rri"] = float(case_rate / ref_case) if ref_case > 0 else None
            row["worklist_rri"] = float(list_rate / ref_list) if ref_list > 0 else None
            p = (population_test(int(point.loc[g, "n_selected"]), int(k_known), shares[g])
                 if all_shown else float("nan"))
            row["worklist_share_of_known"] = float(point.loc[g, "n_selected"] / k_known) \
                if k_known and all_shown else None
            row["caseload_share_of_known"] = float(point.loc[g, "n"] / n_known) \
                if n_known and all_shown else None
            row["p_value"] = p
            rri = row["worklist_rri"] or np.nan
            row["finding"] = _finding(p, rri if g != ref else 1.0) if g != ref else "reference"
            if cfg.child_population:
                pop = shares[g] * cfg.child_population
                row["worklist_per_10000_children"] = float(point.loc[g, "n_selected"] / pop
                                                           * 1e4)
                row["caseload_per_10000_children"] = float(point.loc[g, "n"] / pop * 1e4)
        else:
            row["finding"] = ("no population figure (a recording category)"
                              if g not in shares.index else
                              "too few to say anything (small numbers)")
        rows.append({k: _clean(v) for k, v in row.items()})
    return {"reference": ref, "source": source, "rows": rows,
            "note": "RRI = (group's rate per child in the population) / (reference group's); "
                    "a population share is of children with a known ethnicity."}


def _prior_history(stats, visible, masks, references, hist, hist_cols, hc, ec, cfg):
    """Mean contribution of history features and recall among later entrants, by ethnicity."""
    dim = "ethnicity" if "ethnicity" in stats.point else next(iter(stats.point))
    point = stats.point[dim]
    vis = visible[dim]
    ref = references[dim]["group"]
    out: dict[str, Any] = {"dimension": dim, "history_features": list(hist),
                           "contributions_available": hc is not None,
                           "entered_care_available": ec is not None, "rows": [],
                           "warnings": []}
    lo_c, hi_c = _interval(stats.boot[dim].get("history_contrib_mean")
                           if stats.boot[dim] else None, cfg.ci_level)
    lo_r, hi_r = _interval(stats.boot[dim].get("recall_entered_care")
                           if stats.boot[dim] else None, cfg.ci_level)
    n_ec = point["n_entered_care"].to_numpy()
    mask_ec = secondary_suppress(n_ec, is_small(n_ec, cfg.suppression_limit),
                                 [np.arange(len(n_ec))])
    ref_i = list(point.index).index(ref)
    rec_ref = point["recall_entered_care"].iloc[ref_i]
    for i, g in enumerate(point.index):
        row: dict[str, Any] = {"group": g}
        if hc is not None:
            show = bool(vis["history_contrib_mean"].iloc[i])
            row["history_contribution_mean"] = _clean(point["history_contrib_mean"].iloc[i]) \
                if show else None
            row["history_contribution_low"] = _clean(lo_c[i]) if show and lo_c is not None \
                else None
            row["history_contribution_high"] = _clean(hi_c[i]) if show and hi_c is not None \
                else None
        if ec is not None:
            row["n_entered_care"] = (hidden_label(n_ec[i], cfg.suppression_limit) if mask_ec[i]
                                     else int(n_ec[i]))
            show = bool(vis["recall_entered_care"].iloc[i]) and not mask_ec[i]
            rec = point["recall_entered_care"].iloc[i]
            row["recall_entered_care"] = _clean(rec) if show else None
            row["recall_entered_care_low"] = _clean(lo_r[i]) if show and lo_r is not None \
                else None
            row["recall_entered_care_high"] = _clean(hi_r[i]) if show and hi_r is not None \
                else None
            ratio = rec / rec_ref if show and rec_ref > 0 else np.nan
            row["recall_ratio_to_reference"] = _clean(ratio)
            enough = n_ec[i] >= cfg.tolerances.min_entered_care
            if g != ref and show and enough and np.isfinite(ratio) and ratio < cfg.band[0]:
                out["warnings"].append(
                    f"{g} children who later entered care were listed less often than {ref} "
                    f"children (recall ratio {_fmt_ratio(ratio)}, below {cfg.band[0]}): "
                    f"history-based features may under-flag them.")
        out["rows"].append(row)
    if hc is not None and ref in point.index:
        ref_c = point.loc[ref, "history_contrib_mean"]
        for i, g in enumerate(point.index):
            if g == ref or not vis["history_contrib_mean"].iloc[i]:
                continue
            d = point["history_contrib_mean"].iloc[i] - ref_c
            if lo_c is not None and hi_c[i] < lo_c[ref_i] and d < -0.1:
                out["warnings"].append(
                    f"history features lower {g} children's scores by {abs(d):.2f} log-odds "
                    f"on average against {ref} children; check whether this drives any gap.")
    if hc is None:
        out["note"] = ("no per-feature contributions (contrib__<feature> columns) for the "
                       "history features; the contribution check was not run")
    if ec is None:
        out["note_entered_care"] = ("no entered_care_later column; recall among children who "
                                    "later entered care was not computed")
    return out


def _proxy(cl: Caseload, cfg: FairnessConfig) -> dict[str, Any]:
    if "ethnicity" not in cl.groups:
        return {"available": False, "note": "ethnicity not reported", "groups": []}
    last = ~cl.frame["child_id"].duplicated(keep="last").to_numpy()  # one row per child
    res = proxy_check(cl, tuple(cfg.feature_columns), cl.groups["ethnicity"],
                      folds=cfg.proxy_cv_folds, min_group=cfg.min_group_for_rates,
                      top=cfg.proxy_top_features, random_state=cfg.random_state,
                      rows=np.flatnonzero(last))
    for g in res["groups"]:
        if g["auc"] is not None:
            g["auc"] = round(g["auc"], 6)
            for f in g["top_features"]:
                f["coefficient"] = round(f["coefficient"], 6)
    return res


def _mitigation(cl: Caseload, cfg: FairnessConfig,
                main_mask: pd.DataFrame | None = None) -> dict[str, Any]:
    """What other ways of filling the same lists would do (analysis only). A back-test applies
    each strategy to each month's list and pools the months.

    Disclosure: a group whose open-case or listed count is hidden in the main ethnicity table
    (``main_mask``) shows nothing here (its "as listed" row repeats the main table, and listed
    x selection rate gives the open cases); one whose outcome or listed-drifting count is hidden
    shows no precision or recall (precision x listed = recall x outcomes). The groups' listed
    counts of each strategy are then suppressed again against the strategy's total."""
    if "ethnicity" not in cl.groups:
        return {"shown": False}
    raw = pooled_mitigation_table(cl, cl.groups["ethnicity"])
    limit, min_n = cfg.suppression_limit, cfg.min_group_for_rates
    label = suppressed_label(limit)
    rows = []
    for strat, part in raw.groupby("strategy", sort=False):
        grp = part[part["group"] != "All"]
        v = grp["n_selected"].to_numpy(dtype=float)
        def masked(g: str, cols: tuple[str, ...]) -> bool:
            return bool(main_mask is not None and g in main_mask.index
                        and main_mask.loc[g, list(cols)].any())

        # a hidden open-case or listed count hides the group's row (listed x rate = open
        # cases); a hidden outcome or listed-drifting count hides its precision and recall
        withheld = np.array([masked(g, ("n", "n_selected")) for g in grp["group"]])
        no_rates = np.array([masked(g, ("n_labelled", "n_positive", "n_tp"))
                             for g in grp["group"]])
        mask = secondary_suppress(v, is_small(v, limit) | withheld, [np.arange(len(v))])
        j = 0
        for _, r in part.iterrows():
            is_all = r["group"] == "All"
            hidden = (not is_all) and bool(mask[j])
            held = (not is_all) and bool(withheld[j])
            rates_held = held or ((not is_all) and bool(no_rates[j]))
            j += 0 if is_all else 1
            rate_ok = not held and r["n"] >= min_n and not hidden and not is_small(
                np.array([r["n"] - r["n_selected"]]), limit)[0]
            prec_ok = not rates_held and not hidden and r["n_selected_labelled"] >= min_n and \
                not is_small(np.array([r["n_tp"], r["n_selected_labelled"] - r["n_tp"]]),
                             limit).any()
            rec_ok = not rates_held and not hidden and r["n_positive"] >= min_n and not is_small(
                np.array([r["n_tp"], r["n_positive"] - r["n_tp"]]), limit).any()
            rows.append({
                "strategy": strat, "group": r["group"],
                "n_selected": (hidden_label(r["n_selected"], limit) if hidden
                               else int(r["n_selected"])),
                "selection_rate": _clean(r["selection_rate"]) if rate_ok else None,
                "precision": _clean(r["precision"]) if prec_ok else None,
                "recall": _clean(r["recall"]) if rec_ok else None,
                "cases_changed": (label if is_small(np.array([r["cases_changed"]]), limit)[0]
                                  else int(r["cases_changed"])) if is_all else None,
            })
    pooled = len(np.unique(cl.period)) > 1
    return {"shown": True, "dimension": "ethnicity", "rows": rows,
            "note": ("Analysis only: the production worklist is not changed. "
                     + ("Each strategy fills each month's list (the same size as the list the "
                        "model made) and the months are added up; \"equal recall\" uses the "
                        "outcomes, which are not known when a list is made, so it shows what "
                        "is possible, not a rule to apply. " if pooled else "")
                     + "Group-specific thresholds treat children differently by ethnicity, "
                       "which needs a lawful basis and the panel's explicit decision.")}


def _nice_metric(m: str) -> str:
    return {"selection_to_need": "selection per need", "observed_to_predicted":
            "calibration (observed / predicted)", "auc": "AUC"}.get(m, m.replace("_", " "))


def _verdict(disparities, representation, prior, proxy, cfg: FairnessConfig) -> Verdict:
    """Combine every judgement: fail > attention > insufficient evidence > pass."""
    tol = cfg.tolerances
    fail, attention, not_judged, missing = [], [], [], []
    for dim in tol.dimensions:
        if dim not in disparities:
            continue
        main_groups = set(tol.main_groups.get(dim, ()))
        d = disparities[dim]
        for _, r in d.iterrows():
            m, g = r["metric"], r["group"]
            if not r["judged"]:
                continue
            what = f"{dim.replace('_', ' ')} {g}: {_nice_metric(m)}"
            if r["judgement"] == "cannot judge":
                det = r["detectable_ratio"]
                det_txt = (f"; could detect only a ratio beyond {_fmt_ratio(det)}"
                           if det is not None and np.isfinite(det) and "detect" not in r["why"]
                           else "")
                not_judged.append(f"{what} ({r['why']}{det_txt})")
                if g in main_groups and m in tol.main_metrics:
                    missing.append(f"{what}: {r['why']}")
                continue
            if r["judgement"] in ("outside band", "attention"):
                desc = (f"{what} is {_fmt_ratio(r['ratio'])} times {r['reference']}'s "
                        f"(95% interval {_fmt_ratio(r['ci_low'])}-{_fmt_ratio(r['ci_high'])}; "
                        f"band {cfg.band[0]}-{cfg.band[1]}): {r['judgement']}")
                (fail if r["judgement"] == "outside band" else attention).append(desc)
        # a main group with no rows at all (absent from the caseload) is missing evidence
        present = set(d["group"]) if len(d) else set()
        for g in sorted(main_groups - present):
            missing.append(f"{dim.replace('_', ' ')} {g}: no open cases in this caseload")
    # worklist selection tests: listed significantly more or less often than the rest, by a
    # rate ratio outside the band, asks the panel to check whether need explains it
    for dim in tol.dimensions:
        blob = representation.get("against_caseload", {}).get(dim)
        if not blob:
            continue
        for row in blob["rows"]:
            p, rri = row.get("p_value"), row.get("rri_vs_reference")
            if p is None or rri is None or row["group"] == blob["reference"]:
                continue
            if p < tol.selection_alpha and not cfg.band[0] <= rri <= cfg.band[1] \
                    and row.get("interval_excludes_one", True):
                attention.append(
                    f"{dim.replace('_', ' ')} {row['group']}: listed {_fmt_ratio(rri)} times as "
                    f"often as {blob['reference']} (selection test p={row['p_value']:.3f}): "
                    f"attention; check whether need explains it (see selection per need)")
    # recall among later entrants below the band is a warning for the panel; the history
    # contribution gap alone is context (it may be legitimate), so it is not in the verdict
    attention += [w for w in prior.get("warnings", []) if "listed less often" in w]
    for g in proxy.get("groups", []):
        if g.get("auc") is not None and g["auc"] > tol.proxy_auc_attention:
            attention.append(f"the model's features predict {g['group']} ethnicity with AUC "
                             f"{g['auc']:.2f} (above {tol.proxy_auc_attention}): they act as a "
                             f"proxy for ethnicity")
    if fail:
        status = "fail"
    elif attention:
        status = "attention"
    elif missing:
        status = "insufficient evidence"
    else:
        status = "pass"
    reasons = fail + attention
    if missing:
        reasons.append(f"insufficient evidence: {len(missing)} comparisons of a main ethnic "
                       f"group on a main measure cannot be judged with these numbers (listed "
                       f"under 'Evidence missing')")
    if not reasons:
        reasons = ["every main group was judged on every main metric, and no disparity lies "
                   "outside the band"]
    return Verdict(status=status, reasons=tuple(reasons), not_judged=tuple(not_judged),
                   missing_evidence=tuple(missing))
