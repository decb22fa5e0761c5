"""Writing a monitoring report: HTML with small charts, JSON and a CSV of the per-input table.

Charts are matplotlib bar charts of reference and current shares per bin (aggregates only),
saved with ``metadata={"Date": None}`` and a fixed size so the same month gives the same bytes.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from driftflag._atomic import staged_dir
from driftflag._text import people_csv

if TYPE_CHECKING:
    from driftflag.monitoring._monitor import MonitorReport

__all__ = ["metrics_of", "write_report"]


def _fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if spec.endswith("%"):  # "%.1%" -> percent with one decimal
        body = spec[1:-1]
        return f"{value:{body}%}"
    return spec % value


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", name.lower())


def _chart(name: str, data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = data["labels"]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(4.2, 2.6), dpi=90)
    ax.bar(x - 0.2, data["reference"], width=0.4, label="training reference", color="#7a8fb8")
    ax.bar(x + 0.2, data["current"], width=0.4, label="this month", color="#d98c3f")
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("share of cases", fontsize=8)
    ax.set_title(name, fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Date": None, "Software": None})
    plt.close(fig)


def metrics_of(report: MonitorReport) -> dict[str, float]:
    """Flat numeric metrics (``monitor.*``) for MLflow; no child-level values."""
    f = report.features
    verdict_code = {"stable": 0, "watch": 1, "retrain": 2}[report.verdict]
    m: dict[str, float] = {
        "monitor.verdict": float(verdict_code),
        "monitor.n_current": float(report.n_current),
        "monitor.inputs_flagged": float((f["flag"] != "stable").sum()),
        "monitor.inputs_shift": float((f["flag"] == "shift").sum()),
        "monitor.inputs_recording_change": float((f["likely_cause"] == "recording change?").sum()),
        "monitor.max_psi": float(f["psi"].max()) if len(f) else 0.0,
    }
    # per-input figures stay in the logged report (by_feature.csv, monitor.json): as metrics they
    # were two keys per input on the model's run (issue 14: a run keeps <= 40 metric keys)
    changes = f["missing_rate_change"].abs() if len(f) else f["psi"]
    m["monitor.max_missing_change"] = float(changes.max()) if changes.notna().any() else 0.0
    if report.score:
        m["monitor.score.psi"] = float(report.score["psi"])
        if report.score.get("ks_statistic") is not None:
            m["monitor.score.ks"] = float(report.score["ks_statistic"])
    if report.precision and report.precision.get("precision") is not None:
        m["monitor.precision"] = float(report.precision["precision"])
        m["monitor.precision.n"] = float(report.precision["n_audited_flagged"])
    return m


def write_report(report: MonitorReport, out_dir: Path | str, *, title: str = "Data drift monitoring") -> Path:
    """Write ``monitor.html``, ``monitor.json``, ``by_feature.csv`` and ``charts/*.png`` atomically."""
    import jinja2

    out_dir = Path(out_dir)
    data = report.to_dict()
    with staged_dir(out_dir, kind="monitor", legacy=("monitor.json", "monitor.html", "by_feature.csv", "charts")) as tmp:
        (tmp / "charts").mkdir()
        charts = []
        for name, chart in report.charts.items():
            file = f"charts/{_slug(name)}.png"
            _chart(name, chart, tmp / file)
            charts.append({"name": name, "file": file})
        env = jinja2.Environment(loader=jinja2.PackageLoader("driftflag", "templates"),
                                 autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True)
        html = env.get_template("monitor.html").render(
            title=title, r=data, features=data["features"], charts=charts, fmt=_fmt,
            cfg=report.config, n_tests=int(report.features[["p_value"]].notna().sum().iloc[0]) * 3)
        (tmp / "monitor.html").write_text(html, encoding="utf-8")
        (tmp / "monitor.json").write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
        people_csv(report.features, tmp / "by_feature.csv")
    return out_dir
