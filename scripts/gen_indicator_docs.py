"""Write docs/indicators.md from the indicator registry.

Usage::

    .venv/bin/python scripts/gen_indicator_docs.py           # rewrite the file
    .venv/bin/python scripts/gen_indicator_docs.py --check   # exit 1 if it is out of date

Run it after any change to ``src/driftflag/data/indicators.yaml``;
``tests/indicators/test_indicator_docs.py`` fails until the committed file matches.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from driftflag._atomic import write_bytes_atomic
from driftflag.indicators._docs import render_indicator_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only check; do not write.")
    args = parser.parse_args(argv)
    text = render_indicator_markdown()
    current = DOC.read_text(encoding="utf-8") if DOC.is_file() else None
    if args.check:
        if current != text:
            print(f"{DOC} is out of date; run scripts/gen_indicator_docs.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        write_bytes_atomic(DOC, text.encode("utf-8"))
        print(f"wrote {DOC}")
    else:
        print(f"{DOC} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
