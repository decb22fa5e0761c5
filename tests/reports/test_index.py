"""The index page: plain guidance for the QA lead, no link to a binary database."""

from __future__ import annotations

from driftflag.reports.index import GUIDES, build_index, champion_card, demo_links


def test_index_links_pages_not_the_database(tmp_path):
    root = tmp_path / "demo"
    (root / "workspace").mkdir(parents=True)
    (root / "workspace" / "mlflow.db").write_bytes(b"SQLite format 3\x00")
    wl = root / "month" / "worklist"
    wl.mkdir(parents=True)
    (wl / "worklist.html").write_text("<p>x</p>")
    links = demo_links(root, "2026-03")
    assert not any(str(link.path).endswith(".db") for link in links)
    page = build_index(tmp_path / "index.html", links).read_text()
    assert "worklist.html" in page and "mlflow.db\"" not in page
    assert "driftflag audits import" not in GUIDES["Quality-assurance lead"]


def test_no_model_card_without_a_registered_model(tmp_path):
    assert champion_card(tmp_path) is None
    (tmp_path / "mlflow.db").write_bytes(b"not a database")
    assert champion_card(tmp_path) is None
