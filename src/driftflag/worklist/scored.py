"""The scored caseload of one month, with known outcomes, for the fairness audit (stage 6).

Error rates (precision, false discovery, false negatives) need outcomes, and a case's outcome
(a drift milestone within the next six months) is known only once its window has closed. So
the fairness pack evaluates the most recent month whose outcome window has closed by the
store's extract date (the requested month when it has), and says which month it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from driftflag.errors import ConfigError
from driftflag.evaluation import select_top_k
from driftflag.month import Month


@dataclass
class ScoredCaseload:
    frame: pd.DataFrame
    feature_columns: list[str]
    model_card: str | None
    model_label: str
    month: str
    run_id: str | None
    workspace: Path | None
    requested_month: str | None = None


def extract_date_of(store) -> date:
    """The store's extract date (manifest ``extract_date``, else the creation date)."""
    m = store.manifest or {}
    raw = m.get("extract_date") or str(m.get("created_at", ""))[:10]
    if not raw:
        raise ConfigError("the store's manifest has no extract date or creation date")
    return date.fromisoformat(str(raw)[:10])


def latest_closed_month(extract: date, horizon_months: int) -> pd.Timestamp:
    """First day of the latest month whose outcome window (as_of, as_of + H] ends by ``extract``."""
    ts = pd.Timestamp(extract) - pd.DateOffset(months=horizon_months)
    return ts.normalize().replace(day=1)


def scored_caseload(
    store: Path,
    *,
    model: str = "champion",
    month: str | None = None,
    workspace: Path | None = None,
    target: str = "future_drift",
    k: int = 40,
    horizon_months: int = 6,
) -> ScoredCaseload:
    """Score, explain and label one month's open caseload; ``selected`` = the top-k list."""
    from driftflag.casemodel import read_store
    from driftflag.targets import TargetConfig, future_drift
    from driftflag.tracking import CHAMPION, resolve_workspace, show
    from driftflag.worklist.caseload import load_model, score_caseload

    cs = read_store(store)
    extract = extract_date_of(cs)
    closed = latest_closed_month(extract, horizon_months)
    want = Month.parse(month).timestamp() if month else closed
    use = min(want, closed)
    version = None if model in ("champion", CHAMPION) else model
    fitted, label = load_model(None, workspace=workspace, target=target, version=version)
    scored, contrib = score_caseload(cs, use.strftime("%Y-%m"), fitted)
    frame = scored.reset_index(drop=True)
    labels = future_drift(cs, cohort=frame[["child_id", "as_of"]],
                          config=TargetConfig(horizon_months=horizon_months))
    frame = frame.merge(labels[["child_id", "as_of", "label"]], on=["child_id", "as_of"], how="left")
    # top-k, ties broken by child_id (triage semantics)
    frame["selected"] = select_top_k(frame["score"].to_numpy(), frame["child_id"].to_numpy(), k)
    # children who became looked after in the outcome window (prior-history check)
    eps = cs["lac_episodes"]
    starts = eps.loc[eps["rne"] == "S", ["child_id", "decom"]]
    end = use + pd.DateOffset(months=horizon_months)
    later = set(starts.loc[(starts["decom"] > use) & (starts["decom"] <= end), "child_id"])
    frame["entered_care_later"] = frame["child_id"].isin(later)
    for col in contrib.columns:
        if col != "base_value":
            frame[f"contrib__{col}"] = contrib[col].to_numpy()
    names = [str(c) for c in getattr(fitted, "feature_names_in_", [])]
    raw = sorted({n.split("=", 1)[0] for n in names if n.split("=", 1)[0] in frame.columns})
    ws = resolve_workspace(workspace, create=False)
    info = show(ws, target, version)  # the version just loaded, so it exists
    card = info.get("model_card")
    run_id = info.get("run_id")
    return ScoredCaseload(frame=frame, feature_columns=raw, model_card=card, model_label=label,
                          month=use.strftime("%Y-%m"), run_id=run_id, workspace=ws,
                          requested_month=month)
