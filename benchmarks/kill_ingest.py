"""Kill re-ingests at random moments; after each, the store must be the old or the new one,
with its records, and nothing may be left beside it once the next run has recovered.

    PYTHONPATH=src .venv/bin/python benchmarks/kill_ingest.py --runs 40 --seed 1 [--renames]

Each run re-ingests a small 903 header into a store holding one ledger audit, sends SIGKILL
after a random delay (uniform over the later part of an unkilled run's duration, where the
store is written and swapped) and then reads the store (which recovers). Prints counts of
outcomes; any store that is neither old nor new, or any lost record, is a failure (exit 1).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n" + "".join(
    f"{1000 + i},{1 + i % 2},01/02/2015,WBRI,,,\n" for i in range(400))
RUN = """
import sys
from datetime import date, datetime
import driftflag._atomic as A
from driftflag.ingest.run import ingest
if sys.argv[4] == "renames":
    A._exchange = lambda a, b: False  # the two-rename swap used where there is no renameat2
ingest([sys.argv[1]], sys.argv[2], extract_date=date(2025, 3, 31),
       created_at=datetime.fromisoformat(sys.argv[3]), run_gx=False)
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--renames", action="store_true", help="use the two-rename swap")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    import pandas as pd

    from driftflag.casemodel import ledger, read_store

    root = Path(tempfile.mkdtemp(prefix="kill-ingest-"))
    src = root / "header.csv"
    src.write_text(HEADER)
    store = root / "store"
    env = {**os.environ}

    def run(created: str, delay: float | None) -> int:
        mode = "renames" if args.renames else "exchange"
        p = subprocess.Popen([sys.executable, "-c", RUN, str(src), str(store), created, mode], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if delay is not None:
            try:
                p.wait(delay)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
        return p.wait()

    t0 = time.perf_counter()
    assert run("2025-04-01T00:00:00", None) == 0
    duration = time.perf_counter() - t0
    audit = pd.DataFrame({"audit_id": ["WL2025-03-1001"], "child_id": ["1001"],
                          "audit_date": [pd.Timestamp("2025-03-10")], "auditor": ["PM1"], "grade": ["Good"],
                          "drift_found": [False], "selection_reason": ["random"]})
    ledger.append_audits(store, audit, source="benchmark")
    outcomes = {"old": 0, "new": 0, "finished": 0}
    failures = []
    for i in range(args.runs):
        before = read_store(store, tables=["audits"]).manifest["created_at"]
        created = f"2025-04-02T00:00:{i % 60:02d}.{i + 1:06d}"
        rc = run(created, rng.uniform(0.5 * duration, 1.1 * duration))
        cs = read_store(store, tables=["audits"])  # recovers first
        got = cs.manifest["created_at"]
        if rc == 0:
            outcomes["finished"] += 1
        elif got == before:
            outcomes["old"] += 1
        elif got == created:
            outcomes["new"] += 1
        else:
            failures.append(f"run {i}: store is neither old nor new ({got})")
        if cs["audits"]["audit_id"].tolist() != ["WL2025-03-1001"]:
            failures.append(f"run {i}: ledger audit lost")
        left = sorted(p.name for p in root.iterdir() if p.name not in ("header.csv", "store"))
        if left:
            failures.append(f"run {i}: left {left}")
    print(f"{'two renames' if args.renames else 'exchange'}: unkilled ingest {duration:.2f} s; {args.runs} killed runs: {outcomes['old']} left the old "
          f"store, {outcomes['new']} the new, {outcomes['finished']} finished before the kill; "
          f"{len(failures)} failures")
    for f in failures:
        print(" ", f)
    if not failures:
        import shutil

        shutil.rmtree(root)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
