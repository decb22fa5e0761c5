"""Every stage at several LA sizes in one run: time, peak memory and load average per figure.

    nice -n 10 .venv/bin/python benchmarks/run_all.py --sizes 15000 50000 150000 [--work DIR]
    .venv/bin/python benchmarks/run_all.py --report          # README table from the results file

Stages, each in a fresh child process (so its peak resident memory is its own, read with
``os.wait4``; ``peak_tree_rss_gb`` is the largest sum, sampled every 0.2 s, of the stage's
process and the processes it started, the ingest's read-ahead worker): ``synth`` (the benchmark LA: N children, 10 years, seed 1, every format with the
48 monthly Annex A extracts), ``ingest`` (the four folders with Great Expectations and Data
Docs), ``train`` (the 36-month panel 2023-04..2026-03 from the ingested store, ``future_drift``
labels, the three model specs over the temporal folds and the metric table with the pipelines'
100 replicates), ``worklist`` (score and explain every open case of 2025-11 with the trained
LightGBM, sample with ``pipelines/monthly_audit.yaml``, write every output). The load average
(1 minute) is read before and after each stage: the machine may be shared, so a figure taken
under load is an upper bound.

Results are appended to ``benchmarks/results/run_all.jsonl`` (one line per stage and size, with
the commit); ``--report`` prints the markdown table and the fitted growth per stage (the slope of
log time and log memory against log children, least squares) and writes it into
``benchmarks/README.md`` between the ``run_all`` markers. Memory at 400,000 children is
extrapolated two ways: the power law of the fit, and a straight line through the largest two
sizes (peak RSS has a fixed part, the interpreter and its libraries, which a power law fitted
on small sizes understates).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "run_all.jsonl"
STAGES = ("synth", "ingest", "train", "worklist")
BEGIN, END = "<!-- run_all:begin -->", "<!-- run_all:end -->"
EXTRACT = date(2026, 3, 31)


def _paths(work: Path, n: int) -> dict[str, Path]:
    base = work / f"la_{n}"
    return {"la": base / "la", "store": base / "store", "model": base / "lightgbm.pkl", "out": base / "out"}


def _stage(stage: str, work: Path, n: int) -> dict:
    """Run one stage in this process (the child); return its sub-step seconds."""
    p = _paths(work, n)
    steps: dict[str, float] = {}
    t = time.perf_counter()

    def step(name: str) -> None:
        nonlocal t
        steps[name] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()

    if stage == "synth":
        from driftflag.synth import SynthConfig
        from driftflag.synth.run import run_synth

        run_synth(SynthConfig(children=n, years=10, seed=1), p["la"], force=True)
        step("synth")
    elif stage == "ingest":
        from driftflag.ingest.run import ingest

        shutil.rmtree(p["store"], ignore_errors=True)
        la = p["la"]
        r = ingest([la / "ssda903", la / "cin_census", la / "annex_a", la / "audits"], p["store"],
                   extract_date=EXTRACT, created_at=datetime(2026, 4, 1), run_gx=True)
        step("ingest + GX")
        steps["rows_read"] = int(r.accounting["rows_read"].sum())
    elif stage == "train":
        from driftflag._memory import release_free_memory
        from driftflag.casemodel.store import read_store
        from driftflag.indicators import load_registry, panel
        from driftflag.models import TemporalConfig, load_specs
        from driftflag.models.training import train_models
        from driftflag.targets import future_drift

        store = read_store(p["store"])
        step("read store")
        start = date(2023, 4, 1)
        pan = panel(store, start, EXTRACT)
        step("panel (36 months)")
        labels = future_drift(store, cohort=pan[["child_id", "as_of"]])
        del store  # not read again: as the train stage (driftflag.stages._train) lets it go
        release_free_memory()
        step("labels")
        specs = load_specs(ROOT / "models")
        res = train_models(pan, labels, specs, TemporalConfig(feature_start=start, feature_end=EXTRACT),
                           registry=load_registry(), k=25, n_boot=100)
        step("train 3 models + metric table (100 replicates)")
        steps["panel_rows"] = len(pan)
        with p["model"].open("wb") as fh:
            pickle.dump(res.final_models["lightgbm"], fh)
    elif stage == "worklist":
        from driftflag.casemodel.store import read_store
        from driftflag.indicators import load_registry
        from driftflag.worklist import WorklistPolicy, sample_worklist
        from driftflag.worklist.caseload import score_caseload

        store = read_store(p["store"])
        with p["model"].open("rb") as fh:
            model = pickle.load(fh)
        step("read store + model")
        scored, contrib = score_caseload(store, "2025-11", model, explain_all=False)  # as the worklist stage
        step("snapshot + score + explain")
        policy = WorklistPolicy.from_yaml(ROOT / "pipelines" / "monthly_audit.yaml")
        wl = sample_worklist(scored, policy, "2025-11", store["audits"], contributions=contrib,
                             registry=load_registry(), model_label="benchmark LightGBM")
        step("sample + inclusion probabilities")
        shutil.rmtree(p["out"], ignore_errors=True)
        wl.write(p["out"], pseudonym_key=b"benchmark-key-0123456789")
        step("write outputs")
        steps["open_cases"] = int(wl.summary()["open_cases"])
    return steps


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process under it (the ingest's read-ahead worker)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            for line in (d / "status").read_text().splitlines():
                if line.startswith("PPid:"):
                    parent[int(d.name)] = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    rss[int(d.name)] = int(line.split()[1]) * 1024
        except OSError:
            continue
    tree, grew = {root}, True
    while grew:
        more = {p for p, pp in parent.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(p, 0) for p in tree)


def _run_child(stage: str, work: Path, n: int, commit: str) -> dict:
    import threading

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", stage, "--work", str(work), "--sizes", str(n)],
                            stdout=subprocess.PIPE, text=True)
    # ru_maxrss is the largest single process; the ingest's read-ahead worker runs beside the
    # stage's own process, so their sum is sampled too (every 0.2 s)
    tree_peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            tree_peak[0] = max(tree_peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    steps = {}
    for line in out.splitlines():
        if line.startswith("STEPS "):
            steps = json.loads(line[6:])
    return {"stage": stage, "children": n, "ok": os.waitstatus_to_exitcode(status) == 0,
            "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_gb": round(usage.ru_maxrss / 1024 / 1024, 3),
            "peak_tree_rss_gb": round(tree_peak[0] / 1024 ** 3, 3),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "steps": steps, "commit": commit, "cpus": os.cpu_count(),
            "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def _fit(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y on log x (the growth exponent)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / den if den else float("nan")


def _mem(r: dict) -> float:
    """A stage's peak memory: its process's, or its processes' together when that is more."""
    return max(r["peak_rss_gb"], r.get("peak_tree_rss_gb", 0.0))


def report(results: Path = RESULTS, commit: str | None = None) -> str:
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    if commit:
        rows = [r for r in rows if r["commit"] == commit]
    latest: dict[tuple[str, int, str], dict] = {}
    for r in rows:
        if r["ok"]:
            latest[(r["stage"], r["children"], r["commit"])] = r
    order = list(dict.fromkeys(r["commit"] for r in rows))
    lines = ["| stage | children | commit | wall | CPU (user + sys) | peak RSS | load (1 min) before / after | measured |",
             "|---|---|---|---|---|---|---|---|"]
    for (stage, n, c), r in sorted(latest.items(), key=lambda kv: (STAGES.index(kv[0][0]), kv[0][1],
                                                                   order.index(kv[0][2]))):
        lines.append(f"| {stage} | {n:,} | `{c}` | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s | {_mem(r):.2f} GB | "
                     f"{r['load_before']:.1f} / {r['load_after']:.1f} | {r['at']} |")
    lines += ["", "| stage | commit | sizes | growth exponent: CPU time | peak RSS | peak RSS at 400,000 (power law / straight line) |",
              "|---|---|---|---|---|---|"]
    for stage in STAGES:
        for c in order:
            pts = sorted((n, r) for (s, n, cc), r in latest.items() if s == stage and cc == c)
            if len(pts) < 2:
                continue
            ns = [n for n, _ in pts]
            b_t = _fit(ns, [max(r["cpu_s"], 0.01) for _, r in pts])
            b_m = _fit(ns, [_mem(r) for _, r in pts])
            (n1, r1), (n2, r2) = pts[-2], pts[-1]
            power = _mem(r2) * (400_000 / n2) ** b_m
            slope = (_mem(r2) - _mem(r1)) / (n2 - n1)
            line = _mem(r2) + slope * (400_000 - n2)
            lines.append(f"| {stage} | `{c}` | {', '.join(f'{n:,}' for n in ns)} | {b_t:.2f} | {b_m:.2f} | "
                         f"{power:.1f} GB / {line:.1f} GB |")
    return "\n".join(lines)


def _write_readme(table: str) -> None:
    readme = ROOT / "benchmarks" / "README.md"
    text = readme.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + BEGIN + "\n" + table + "\n" + END + rest.split(END, 1)[1]
    else:
        text += f"\n{BEGIN}\n{table}\n{END}\n"
    readme.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[15_000, 50_000, 150_000])
    ap.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    ap.add_argument("--work", type=Path, default=ROOT / "reports" / "bench_all")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--report", action="store_true", help="print (and write into README.md) the table only")
    ap.add_argument("--commit", help="--report: only results of this commit")
    ap.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        steps = _stage(a.child, a.work, a.sizes[0])
        steps["self_peak_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 3)
        print("STEPS " + json.dumps(steps), flush=True)
        return 0
    if a.report:
        table = report(a.results, a.commit)
        print(table)
        _write_readme(table)
        return 0
    commit = os.environ.get("BENCH_COMMIT") or subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    a.results.parent.mkdir(parents=True, exist_ok=True)
    for n in a.sizes:
        for stage in a.stages:
            r = _run_child(stage, a.work, n, commit)
            print(json.dumps(r), flush=True)
            with a.results.open("a") as fh:
                fh.write(json.dumps(r) + "\n")
            if not r["ok"]:
                print(f"{stage} at {n} failed: later stages of this size skipped", file=sys.stderr)
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
