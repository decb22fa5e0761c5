"""Scan the files driftflag wrote for people (HTML, xlsx, CSV) for "nan", raw codes and outside hosts.

    python scripts/scan_people_files.py reports/demo

See driftflag.reports.scan; exits 1 when anything is found.
"""

import sys

from driftflag.reports.scan import main

if __name__ == "__main__":
    sys.exit(main())
