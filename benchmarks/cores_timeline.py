"""How many of the machine's cores a command keeps busy, second by second: where a stage runs on
one core while the others wait.

    .venv/bin/python benchmarks/cores_timeline.py [--every 2] -- COMMAND [ARGS...]

Prints the command's own output (warnings left out), then one ``seconds:busy cores`` figure per
interval (read from ``/proc/stat``: the whole machine, so run it on an idle machine) and the
core-seconds left idle. Why: on the 2-core benchmark machine the ingest of 150,000 children was
two busy cores while reading and one while settling its tables (about 34 of 110 s, 2026-12-02):
CPU profiles of one process do not show the core that waits. Linux only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time


def _cpu_times() -> tuple[int, int]:
    """(all jiffies, idle jiffies) of the machine since boot."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]  # idle + iowait


def busy_cores(command: list[str], every: float) -> tuple[list[tuple[float, float]], str, int]:
    """Run ``command``; return (seconds since start, busy cores) per interval, its output and its
    exit code."""
    cores = os.cpu_count() or 1
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    start, before = time.monotonic(), _cpu_times()
    rows: list[tuple[float, float]] = []
    out: list[str] = []

    reader = threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    while proc.poll() is None:
        time.sleep(every)
        now = _cpu_times()
        total, idle = now[0] - before[0], now[1] - before[1]
        before = now
        rows.append((time.monotonic() - start, cores * (1 - idle / total) if total else 0.0))
    reader.join()
    return rows, "".join(out), proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=float, default=2.0, help="seconds per figure")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("give the command after --")
    rows, output, code = busy_cores(command, args.every)
    print("".join(line for line in output.splitlines(keepends=True)
                  if "Warning" not in line and "require_minimum" not in line), end="")
    print(" ".join(f"{t:.0f}:{b:.1f}" for t, b in rows))
    cores = os.cpu_count() or 1
    idle = sum((cores - b) * args.every for _, b in rows)
    print(f"{cores} cores; {rows[-1][0] if rows else 0:.0f} s; core-seconds idle: {idle:.0f}; exit code {code}")


if __name__ == "__main__":
    main()
