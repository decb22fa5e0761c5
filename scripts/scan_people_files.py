"""Scan the files driftflag wrote for people (HTML, xlsx, CSV) for "nan", raw codes and outside hosts.

    python scripts/scan_people_files.py reports/demo

See driftflag.reports.scan; prints each finding and a count per kind, exits 1 when anything is found.
"""

import sys
from collections import Counter
from pathlib import Path

from driftflag.reports.scan import people_files, scan_folder


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "reports/demo")
    found = scan_folder(root)
    for f in found[:500]:
        print(f)
    counts = Counter(f.kind for f in found)
    print(f"scanned {len(people_files(root))} files under {root}: "
          + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing found"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
