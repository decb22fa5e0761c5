"""Page times of the web app under 20 concurrent users (issue 18).

    nice -n 10 .venv/bin/python benchmarks/bench_web.py --demo reports/demo [--users 20] [--rounds 15]

Copies the demo's store and workspace (``DEMO/store``, ``DEMO/workspace``: the benchmark LA of
``make demo``, 30,000 children over 8 years, its month's worklist of 40 cases) to a temporary
folder, creates one QA lead and one auditor account per user (each auditor is given two of the
month's cases), starts ``driftflag serve`` on a free loopback port and signs every user in. Then
USERS threads run at once, each ROUNDS times: the month's worklist (as its QA lead) and one of its
auditor's case cards. Prints the median and 95th percentile of each page's time, the requests
per second and any request that did not answer 200. One warm-up request per page first (the
first case card of a month builds the 24-month indicator history of the worklist's cases).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

PASSWORD = "benchmark-password-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accounts(ws: Path, store: Path, users: int, month: str) -> list[tuple[str, str, str]]:
    """(QA lead, auditor, child id) per user, made directly in the web app's database."""
    from driftflag.web import month_data
    from driftflag.web.server import prepare

    prepare(ws, store)
    from django.contrib.auth import get_user_model

    from driftflag.web.models import Assignment
    from driftflag.web.roles import AUDITOR, QA_LEAD, set_role

    cases = list(month_data.issued_worklist(store, month).index)
    made = []
    for i in range(users):
        lead, pm = f"lead{i:02d}", f"pm{i:02d}"
        for name, role in ((lead, QA_LEAD), (pm, AUDITOR)):
            u = get_user_model().objects.create_user(name, password=PASSWORD)
            set_role(u, role)
        for c in cases[2 * i % len(cases): 2 * i % len(cases) + 2]:
            Assignment.objects.update_or_create(month=month, child_id=c, defaults={
                "auditor": get_user_model().objects.get(username=pm), "assigned_by": lead})
        made.append((lead, pm, cases[2 * i % len(cases)]))
    return made


def _session(base: str, user: str) -> requests.Session:
    s = requests.Session()
    s.get(f"{base}/login/")
    r = s.post(f"{base}/login/", data={"username": user, "password": PASSWORD,
                                       "csrfmiddlewaretoken": s.cookies["csrftoken"]},
               headers={"Referer": f"{base}/login/"}, allow_redirects=False)
    if r.status_code != 302:
        raise SystemExit(f"sign-in of {user} failed: {r.status_code}")
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", type=Path, default=Path("reports/demo"))
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=8, help="server threads (driftflag serve --threads)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    try:
        store, ws = tmp / "store", tmp / "workspace"
        shutil.copytree(args.demo / "store", store)
        shutil.copytree(args.demo / "workspace", ws, ignore=shutil.ignore_patterns("pipeline-cache"))
        from driftflag.web import month_data

        month = month_data.months(store)[0]
        accounts = _accounts(ws, store, args.users, month)
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "driftflag.cli", "serve", "--store", str(store),
                                   "--workspace", str(ws), "--port", str(port), "--threads", str(args.threads)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                requests.get(f"{base}/login/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        try:
            sessions = [(_session(base, lead), _session(base, pm), cid) for lead, pm, cid in accounts]
            t0 = time.perf_counter()
            sessions[0][0].get(f"{base}/month/{month}/")
            sessions[0][1].get(f"{base}/month/{month}/case/{sessions[0][2]}/")
            print(f"warm-up (worklist + first case card, builds the history panel): {time.perf_counter() - t0:.2f} s")
            times: dict[str, list[float]] = {"worklist": [], "case card": []}
            bad: list[str] = []
            lock = threading.Lock()
            start = threading.Barrier(len(sessions))

            def user(lead: requests.Session, pm: requests.Session, cid: str) -> None:
                start.wait()
                for _ in range(args.rounds):
                    for name, s, url in (("worklist", lead, f"{base}/month/{month}/"),
                                         ("case card", pm, f"{base}/month/{month}/case/{cid}/")):
                        t = time.perf_counter()
                        r = s.get(url)
                        dt = time.perf_counter() - t
                        with lock:
                            times[name].append(dt)
                            if r.status_code != 200:
                                bad.append(f"{name} {r.status_code}")

            threads = [threading.Thread(target=user, args=s) for s in sessions]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(timeout=30)
        cases = len(month_data.issued_worklist(store, month))
        print(f"{args.users} concurrent users x {args.rounds} rounds, server threads {args.threads}; "
              f"month {month}, {cases} cases on the worklist")
        for name, ts in times.items():
            ts.sort()
            p95 = ts[max(0, int(round(0.95 * len(ts))) - 1)]
            print(f"{name:10s} n={len(ts)}  median {1000 * statistics.median(ts):.0f} ms  p95 {1000 * p95:.0f} ms  "
                  f"max {1000 * ts[-1]:.0f} ms")
        total = sum(len(t) for t in times.values())
        print(f"{total} requests in {wall:.1f} s: {total / wall:.1f} requests/s; not 200: {len(bad)} {bad[:5]}")
        if server.stderr is not None:
            errors = [line for line in server.stderr.read().decode(errors="replace").splitlines()
                      if re.search(r"error|Traceback", line, re.I)]
            if errors:
                print("server errors:", *errors[:5], sep="\n  ")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
