"""Summarise the suite's timeline (``DRIFTFLAG_SUITE_TIMELINE=<folder>``, see tests/suite_timeline.py).

    python benchmarks/suite_timeline.py <folder> [--groups 25]

Prints, per xdist worker, its busy time (inside tests), its idle time (before its first test,
between tests, after its last) and its waits for the shared synthetic-LA cache's lock; how long the
last worker ran alone at the end (the critical path's tail); and the groups (a module, or a package
run whole on one worker) by wall and CPU, in the order each worker ran them.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def _load(folder: Path) -> list[dict]:
    lines: list[dict] = []
    for path in sorted(folder.glob("timeline-*.jsonl")):
        lines.extend(json.loads(text) for text in path.read_text().splitlines() if text)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--groups", type=int, default=25, help="groups to list (by wall)")
    args = parser.parse_args()
    lines = _load(args.folder)
    tests = [x for x in lines if x["kind"] == "test"]
    locks = [x for x in lines if x["kind"] == "lock"]
    sessions = [x for x in lines if x["kind"] == "session"]
    workers = sorted({x["worker"] for x in tests})
    start = min(x["t"] for x in sessions if x["event"] == "start")
    end_of = {w: max(x["t1"] for x in tests if x["worker"] == w) for w in workers}
    end = max(end_of.values())
    print(f"span from the first worker's start to the last test's end: {end - start:.0f} s")
    for w in workers:
        mine = sorted((x for x in tests if x["worker"] == w), key=lambda x: x["t0"])
        busy = sum(x["t1"] - x["t0"] for x in mine)
        cpu = sum(x["cpu"] + x["children_cpu"] for x in mine)
        first = mine[0]["t0"] - start
        gaps = sum(max(0.0, b["t0"] - a["t1"]) for a, b in zip(mine, mine[1:], strict=False))
        waits = sum(x["got"] - x["asked"] for x in locks if x["worker"] == w)
        builds = sum(x["done"] - x["got"] for x in locks if x["worker"] == w and x["built"])
        print(f"{w}: {len(mine)} tests, busy {busy:.0f} s (CPU {cpu:.0f} s), before first test "
              f"{first:.0f} s, between tests {gaps:.0f} s, after last {end - end_of[w]:.0f} s; "
              f"lock waits {waits:.0f} s, LA builds {builds:.0f} s")
    ends = sorted(end_of.values())
    if len(ends) > 1:
        print(f"last worker alone at the end: {ends[-1] - ends[-2]:.0f} s")

    groups: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"n": 0, "wall": 0.0, "cpu": 0.0, "child": 0.0, "t0": 1e18, "t1": 0.0})
    for x in tests:
        g = groups[(x["worker"], x["group"])]
        g["n"] += 1
        g["wall"] += x["t1"] - x["t0"]
        g["cpu"] += x["cpu"]
        g["child"] += x["children_cpu"]
        g["t0"] = min(g["t0"], x["t0"])
        g["t1"] = max(g["t1"], x["t1"])
    print(f"\ngroups by wall (top {args.groups}): worker, start-end (s from start), tests, wall, "
          "CPU (process + children)")
    ranked = sorted(groups.items(), key=lambda kv: -kv[1]["wall"])
    for (w, name), g in ranked[: args.groups]:
        print(f"  {w} {g['t0'] - start:6.0f}-{g['t1'] - start:6.0f} {g['n']:4d} "
              f"{g['wall']:7.1f} {g['cpu']:7.1f} + {g['child']:6.1f}  {name}")
    print("\nper worker, groups in the order run (those over 5 s):")
    for w in workers:
        order = sorted(((n, g) for (ww, n), g in groups.items() if ww == w),
                       key=lambda ng: ng[1]["t0"])
        print(f"  {w}: " + ", ".join(f"{n} {g['t0'] - start:.0f}+{g['wall']:.0f}"
                                     for n, g in order if g["wall"] > 5))
    print("\nsynthetic-LA cache: worker, what, children/years/seed, wait, build-or-read")
    for x in sorted(locks, key=lambda x: x["asked"]):
        print(f"  {x['worker']} {x['asked'] - start:6.0f} {x['what']:17s} "
              f"{x['children']}/{x['years']}/{x['seed']} wait {x['got'] - x['asked']:6.1f} "
              f"{'build' if x['built'] else 'read '} {x['done'] - x['got']:6.1f}")
    tops = sorted(tests, key=lambda x: -(x["t1"] - x["t0"]))[:20]
    print("\nlongest tests: worker, wall (setup/call/teardown), CPU + children, node")
    for x in tops:
        print(f"  {x['worker']} {x['t1'] - x['t0']:6.1f} ({x.get('setup', 0):.0f}/"
              f"{x.get('call', 0):.0f}/{x.get('teardown', 0):.0f}) {x['cpu']:6.1f} + "
              f"{x['children_cpu']:5.1f} {x['nodeid']}")


if __name__ == "__main__":
    main()
