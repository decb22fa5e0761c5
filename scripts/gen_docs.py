"""Write the generated docs: docs/data-model.md (from the case-model schema) and
docs/indicators.md (from the indicator registry).

Usage::

    .venv/bin/python scripts/gen_docs.py           # rewrite what is out of date
    .venv/bin/python scripts/gen_docs.py --check   # exit 1 if any file is out of date

Run it after changing ``src/driftflag/casemodel/schema.py`` or
``src/driftflag/data/indicators.yaml``; ``tests/casemodel/test_docs.py`` and
``tests/indicators/test_indicator_docs.py`` fail until the committed files match.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from driftflag._atomic import write_bytes_atomic

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _renderers() -> dict[Path, Callable[[], str]]:
    from driftflag.casemodel._docs import render_data_model_markdown
    from driftflag.indicators._docs import render_indicator_markdown

    return {DOCS / "data-model.md": render_data_model_markdown,
            DOCS / "indicators.md": render_indicator_markdown}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only check; do not write.")
    args = parser.parse_args(argv)
    stale = 0
    for path, render in _renderers().items():
        text = render()
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            print(f"{path} is up to date")
        elif args.check:
            print(f"{path} is out of date; run scripts/gen_docs.py", file=sys.stderr)
            stale += 1
        else:
            write_bytes_atomic(path, text.encode("utf-8"))
            print(f"wrote {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
