"""The scan of files for people finds what must never reach them, and the Data Docs are made
to work offline."""

from __future__ import annotations

import pandas as pd

from driftflag.reports.scan import scan_folder
from driftflag.validate.offline_docs import make_offline

GX_PAGE = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<style>.logo{background:url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png')}</style>
</head><body>
<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20261130T1&dataContextId=c85d"/>
<a href="https://greatexpectations.io/newsletter?utm_source=datadocs">Newsletter</a>
<p><strong>Data asset:</strong> None</p><td>NaN% not null</td>
<svg xmlns="http://www.w3.org/2000/svg"></svg>
<td>value in set MANAGE, FCONTA</td>
</body></html>"""


def test_finds_markers_codes_and_outside_hosts(tmp_path):
    (tmp_path / "month").mkdir()
    (tmp_path / "la").mkdir()
    (tmp_path / "month" / "page.html").write_text(
        "<p>Days since last visit: nan</p><p>Permanence plan: FOSTERING</p>"
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script><style>.x{color:#NaN}</style>'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg><p>Placed out of area (CIN, CP)</p>')
    pd.DataFrame({"a": ["Legal status: C1", "fine"], "b": ["None", "ok"]}).to_csv(tmp_path / "month" / "t.csv")
    pd.DataFrame({"a": ["NaT"]}).to_excel(tmp_path / "month" / "w.xlsx", index=False)
    (tmp_path / "la" / "extract.csv").write_text("code\nFOSTERING\nnan\n")  # an input, not a page
    found = scan_folder(tmp_path)
    kinds = {(f.path, f.kind, f.text.split(": ")[-1]) for f in found}
    assert ("month/page.html", "missing-value marker", "nan") in kinds
    assert ("month/page.html", "raw code", "FOSTERING") in kinds
    assert ("month/page.html", "outside host", "cdn.jsdelivr.net") in kinds
    assert ("month/t.csv", "raw code", "C1") in kinds
    assert ("month/t.csv", "missing-value marker", "None") in kinds
    assert any(f.path == "month/w.xlsx" and f.kind == "missing-value marker" for f in found)
    assert not any(f.path.startswith("la/") for f in found)
    assert not any("w3.org" in f.text or "CIN" in f.text for f in found)
    assert len(found) == 6, found


def test_n_a_is_a_missing_value_marker_but_not_inside_words_or_paths(tmp_path):
    """The scorecard once showed "n/a / n/a" as a direction of travel; a person reads
    "not available". Text such as "and/after" or an address with "/n/a" is not a marker."""
    (tmp_path / "page.html").write_text("<td>n/a / N/A</td><p>on and/or after; see x.org/n/a/b</p>")
    found = scan_folder(tmp_path)
    assert [f.kind for f in found] == ["missing-value marker"] * 2, found  # n/a and N/A, nothing else
    assert all(f.text == "n/a / N/A" for f in found)


def test_a_clean_folder_has_no_findings(tmp_path):
    (tmp_path / "page.html").write_text("<p>Days since last visit: not available</p>"
                                        "<p>Permanence plan: long-term fostering</p>")
    assert scan_folder(tmp_path) == []


def test_data_docs_made_offline(tmp_path):
    site = tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site"
    page = site / "validations" / "suite" / "run" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text(GX_PAGE)
    (site / "index.html").write_text(GX_PAGE)
    before = scan_folder(tmp_path)
    assert {f.text for f in before if f.kind == "outside host"} >= {
        "maxcdn.bootstrapcdn.com", "code.jquery.com", "great-expectations-web-assets.s3.us-east-2.amazonaws.com",
        "greatexpectations.io"}
    assert make_offline(site) == 2
    assert make_offline(site) == 0  # idempotent
    assert scan_folder(tmp_path) == []  # codes in the Data Docs are the code lists they document
    text = page.read_text()
    assert "dataContextId" not in text and "http" not in text.replace("http://www.w3.org", "")
    assert '<img src="../../../static/images/logo-long.png"' in text
    assert ">Newsletter</a>" in text and "Data asset:</strong> not recorded" in text


def test_data_docs_index_lists_every_page_offline(tmp_path):
    site = tmp_path / "local_site"
    for rel in ("index.html", "expectations/driftflag_children.html",
                "validations/driftflag_children/__none__/run/driftflag-children.html"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(GX_PAGE)
    make_offline(site)
    index = (site / "index.html").read_text()
    assert '<a href="expectations/driftflag_children.html">children</a>' in index
    assert 'href="validations/driftflag_children/__none__/run/driftflag-children.html"' in index
    make_offline(site)
    assert (site / "index.html").read_text() == index


def test_a_cited_code_is_not_a_raw_value(tmp_path):
    (tmp_path / "p.html").write_text("<p>England 22.6 (2024-25, DfE C1)</p><p>interim care order (LS C1)</p>"
                                     "<p>Legal status: C1</p>")
    found = scan_folder(tmp_path)
    assert [f.text for f in found] == ["Legal status: C1"]
