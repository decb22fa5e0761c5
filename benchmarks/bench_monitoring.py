"""Benchmark: driftflag's data drift monitor against Evidently's data drift preset, same data.

Run by hand (not in the test suite)::

    python3 -m venv .venv-evidently && .venv-evidently/bin/pip install evidently "pandas<3" pyarrow
    .venv/bin/python benchmarks/bench_monitoring.py [--children 20000] [--seeds 1 2 3]
                                                    [--evidently-python .venv-evidently/bin/python]

Evidently is not a driftflag dependency (and 0.7.23 does not import under pandas 3), so it runs
in a subprocess of its own venv on the same Parquet files. For every scenario the script writes
the reference (12 monthly snapshots) and the current month to Parquet (model inputs and the
stand-in score; no child ids), then records the verdicts, flagged inputs and timings of:

* driftflag: ``build_reference`` + ``monitor`` (pinned tests, PSI, BH, recording-change signals);
* Evidently ``DataDriftPreset()`` with its defaults (method chosen per column by size and type);
* Evidently ``DataDriftPreset(method="psi")`` (PSI >= 0.1 per column, the closest like-for-like).

Scenarios: unshifted months (each of six months after the reference, for each seed: the
false-alarm rate), and three deliberate recording changes on seed 1 (missing episodes of 60% of
children unrecorded; 60% of episodes unrecorded at random; return home interviews left blank).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

_EVIDENTLY = r"""
import json, sys, time
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
out = {}
for label, preset in (("default", DataDriftPreset()), ("psi", DataDriftPreset(method="psi"))):
    t = time.perf_counter()
    d = Report([preset]).run(cur, ref).dict()
    secs = time.perf_counter() - t
    cols = {}
    for m in d["metrics"]:
        c = m["config"]
        if c.get("type", "").endswith("ValueDrift"):
            method, thr, v = c["method"], c["threshold"], m["value"]
            pvalue = any(k in method.lower() for k in ("p_value", "k-s", "chi-square", "z-test", "fisher"))
            cols[c["column"]] = {"method": method, "value": v,
                                 "drift": bool(v < thr) if pvalue else bool(v >= thr)}
        elif c.get("type", "").endswith("DriftedColumnsCount"):
            share = m["value"]["share"]
    out[label] = {"seconds": secs, "drifted_share": share, "dataset_drift": share >= 0.5,
                  "drifted": sorted(k for k, v in cols.items() if v["drift"]),
                  "methods": sorted({v["method"] for v in cols.values()}),
                  "score": cols.get("score")}
print(json.dumps(out, default=str))
"""


def _driftflag(ref, cur, features, config):
    from driftflag.monitoring import build_reference, monitor

    t = time.perf_counter()
    reference = build_reference(ref, features, "score", config=config)
    t1 = time.perf_counter()
    report = monitor(cur, reference, config)
    t2 = time.perf_counter()
    f = report.by_feature()
    return {"verdict": report.verdict, "flagged": report.flagged(),
            "recording": f.loc[f["likely_cause"] == "recording change?", "feature"].tolist(),
            "score_psi": report.score["psi"], "reference_seconds": t1 - t, "monitor_seconds": t2 - t1,
            "reference_json_bytes": len(reference.to_json())}


def _evidently(python: str, ref, cur, tmp: Path) -> dict:
    rp, cp = tmp / "reference.parquet", tmp / "current.parquet"
    ref.to_parquet(rp, index=False)
    cur.to_parquet(cp, index=False)
    t = time.perf_counter()
    res = subprocess.run([python, "-c", _EVIDENTLY, str(rp), str(cp)], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr else "failed"}
    out = json.loads(res.stdout)
    out["subprocess_seconds"] = time.perf_counter() - t
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--evidently-python", default=".venv-evidently/bin/python")
    ap.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    args = ap.parse_args()

    import pandas as pd

    from driftflag.indicators import load_registry
    from driftflag.monitoring import MonitorConfig, kinds_from_registry
    from monitoring import synth_months as sm

    config = MonitorConfig(kinds=kinds_from_registry(load_registry()))
    features = sm.features()
    keep = [*features, "score"]
    clean_months = [str(d.date()) for d in pd.date_range("2025-10-01", "2026-03-01", freq="MS")]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for seed in args.seeds:
            store = sm.la(args.children, seed)
            scenarios = [(f"unshifted {m[:7]}", store, m) for m in clean_months]
            if seed == args.seeds[0]:
                scenarios += [
                    ("missing episodes of 60% of children unrecorded", sm.drop_missing_episodes(store), sm.CURRENT),
                    ("60% of missing episodes unrecorded at random",
                     sm.drop_missing_episodes(store, by_child=False), sm.CURRENT),
                    ("return home interviews left blank", sm.blank_rhi(store), sm.CURRENT),
                ]
            ref_cache: dict[int, pd.DataFrame] = {}
            for name, st, month in scenarios:
                ref = ref_cache.get(id(st))
                if ref is None:
                    ref = ref_cache[id(st)] = sm.reference_frame(st)[keep]
                cur = sm.current_frame(st, month)[keep]
                row = {"seed": seed, "scenario": name, "n_reference": len(ref), "n_current": len(cur),
                       "driftflag": _driftflag(ref, cur, features, config),
                       "evidently": _evidently(args.evidently_python, ref, cur, tmp)}
                rows.append(row)
                ev = row["evidently"]
                ev_txt = ("error: " + ev["error"]) if "error" in ev else (
                    f"default {len(ev['default']['drifted'])} cols ({ev['default']['seconds']:.2f}s) "
                    f"psi {len(ev['psi']['drifted'])} cols ({ev['psi']['seconds']:.2f}s)")
                df = row["driftflag"]
                print(f"seed {seed} {name}: driftflag {df['verdict']} {df['flagged']} "
                      f"({df['reference_seconds'] + df['monitor_seconds']:.2f}s) | evidently {ev_txt}", flush=True)

    unshifted = [r for r in rows if r["scenario"].startswith("unshifted")]
    fa_df = sum(r["driftflag"]["verdict"] != "stable" for r in unshifted)
    ok_ev = [r for r in unshifted if "error" not in r["evidently"]]
    fa_ev = sum(bool(r["evidently"]["default"]["drifted"]) for r in ok_ev)
    fa_ev_psi = sum(bool(r["evidently"]["psi"]["drifted"]) for r in ok_ev)
    print(f"\nfalse alarms on {len(unshifted)} unshifted months: driftflag {fa_df} (verdict not stable); "
          f"Evidently default {fa_ev}, Evidently PSI {fa_ev_psi} (any column flagged) of {len(ok_ev)}")
    if ok_ev:
        ev_methods = sorted({m for r in ok_ev for m in r["evidently"]["default"]["methods"]})
        print("Evidently default methods chosen:", ", ".join(ev_methods))
        for key in ("default", "psi"):
            cols: dict[str, int] = {}
            for r in ok_ev:
                for c in r["evidently"][key]["drifted"]:
                    cols[c] = cols.get(c, 0) + 1
            print(f"Evidently {key}: columns flagged on unshifted months: {cols}")
    df_secs = [r["driftflag"]["reference_seconds"] + r["driftflag"]["monitor_seconds"] for r in rows]
    print(f"driftflag seconds per month (reference + monitor): median {sorted(df_secs)[len(df_secs) // 2]:.2f}")
    if ok_ev:
        ev_secs = [r["evidently"]["default"]["seconds"] for r in ok_ev]
        print(f"Evidently default preset seconds per month (in its process): median {sorted(ev_secs)[len(ev_secs) // 2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
