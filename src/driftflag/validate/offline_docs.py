"""Great Expectations Data Docs that work offline and ask no outside host for anything.

GX writes pages that load Bootstrap, jQuery, Font Awesome and Vega from public CDNs, fetch
their logo from an S3 bucket with the project's ``dataContextId`` and a timestamp in the URL
(telling a third party who opened the page, and when), and link to GX's newsletter. On a
council network those requests are blocked and the pages come up blank. After GX builds the
docs, :func:`make_offline` rewrites every page: outside stylesheets and scripts are removed and
replaced by one small inline stylesheet (tables, headings and the validation colours read
without Bootstrap; the pages' interactive filters and Vega charts are not available offline),
the logo points at the copy GX ships in ``static/images``, and outside links keep their text
but lose their address. Running it twice changes nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["OFFLINE_CSS", "make_offline", "offline_page"]

_OUTSIDE = r"""(?:https?:)?//(?!localhost|127\.0\.0\.1)[^"'\s)]+"""
_SCRIPT = re.compile(rf"""<script[^>]*\bsrc=["']{_OUTSIDE}["'][^>]*>\s*</script>\s*""", re.I)
_LINK = re.compile(rf"""<link[^>]*\bhref=["']{_OUTSIDE}["'][^>]*/?>\s*""", re.I)
_IMG_SRC = re.compile(rf"""(<img[^>]*\bsrc=)["']{_OUTSIDE}["']""", re.I)
_CSS_URL = re.compile(rf"""url\(\s*["']?{_OUTSIDE}["']?\s*\)""", re.I)
_ANCHOR = re.compile(rf"""(<a\b[^>]*?)\s+href=["']{_OUTSIDE}["']""", re.I)
_ANY = re.compile(_OUTSIDE)
_NAMESPACE = re.compile(r"""(?:xmlns(?::\w+)?)=["']https?://[^"']+["']""")
_MARK = "<!-- driftflag: offline -->"
_NONE_TEXT = re.compile(r"(>\s*(?:[^<>]*:\s*)?)None(\s*<)")

#: Enough style for the pages to read without Bootstrap.
OFFLINE_CSS = """<style>
body{font-family:Arial,Helvetica,sans-serif;margin:0 1.5em;color:#1b1b1b}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:14px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#ddebf7}.text-danger,.fa-times{color:#9c0006}.text-success,.fa-check{color:#006100}
nav,.navbar{padding:.4em 0;border-bottom:1px solid #ccc}.d-none{display:none}
img{max-height:40px}
</style>"""


def offline_page(html: str, logo: str) -> str:
    """One page with every outside request removed (``logo``: relative path of the local logo)."""
    if _MARK in html:
        return html
    out = _SCRIPT.sub("", html)
    out = _LINK.sub("", out)
    out = _IMG_SRC.sub(lambda m: f'{m.group(1)}"{logo}"', out)
    out = _CSS_URL.sub(f'url("{logo}")', out)
    out = _ANCHOR.sub(r"\1", out)
    # anything still naming an outside host (a URL in text or an attribute GX adds later)
    kept = {m.start(): m.group(0) for m in _NAMESPACE.finditer(out)}
    out = "".join(_strip_urls(out, kept))
    out = _NONE_TEXT.sub(r"\1not recorded\2", out)  # GX prints "Data asset: None"
    out = re.sub(r"(?<![\w-])NaN%", "not available (no rows)", out)  # a share of an empty table
    head = out.lower().find("</head>")
    out = out[:head] + OFFLINE_CSS + "\n" + out[head:] if head >= 0 else OFFLINE_CSS + out
    return _MARK + "\n" + out


def _strip_urls(text: str, keep: dict[int, str]):
    """``text`` with outside URLs removed, XML namespace declarations kept."""
    pos = 0
    protected = [(s, s + len(v)) for s, v in keep.items()]
    for m in _ANY.finditer(text):
        if any(a <= m.start() < b for a, b in protected):
            continue
        yield text[pos:m.start()]
        pos = m.end()
    yield text[pos:]


_LIST_MARK = "<!-- driftflag: page list -->"


def _with_page_list(html: str, site: Path, pages: list[Path]) -> str:
    """The index page with a plain list of every suite and validation page: GX fills its
    index tables with JavaScript from a CDN, so offline they would be empty."""
    import html as _html

    def items(folder: str) -> str:
        found = [p for p in pages if p.relative_to(site).parts[0] == folder]
        return "".join(f'<li><a href="{_html.escape(p.relative_to(site).as_posix())}">'
                       f"{_html.escape(p.stem.replace('driftflag_', '').replace('driftflag-', '').replace('_', ' '))}"
                       f"</a></li>" for p in found) or "<li>none</li>"

    block = (f"{_LIST_MARK}<section><h2>Expectation suites</h2><ul>{items('expectations')}</ul>"
             f"<h2>Validation results</h2><ul>{items('validations')}</ul></section>")
    end = html.lower().rfind("</body>")
    return html[:end] + block + html[end:] if end >= 0 else html + block


def make_offline(site: Path | str) -> int:
    """Rewrite every page under the Data Docs ``site`` folder; returns how many changed."""
    site = Path(site)
    if not site.is_dir():
        return 0
    logo_file = site / "static" / "images" / "logo-long.png"
    changed = 0
    pages = sorted(site.rglob("*.html"))
    for page in pages:
        logo = os.path.relpath(logo_file, page.parent).replace(os.sep, "/")
        text = page.read_text(encoding="utf-8")
        new = offline_page(text, logo)
        if page == site / "index.html" and _LIST_MARK not in new:
            new = _with_page_list(new, site, pages)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed
