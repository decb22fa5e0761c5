"""The SSDA903 return as XML (root ``<EXPSSDA903>``): detected by its root element, streamed into
the same canonical tables as the CSV form, every element accounted for.

The fixture layout follows two public sources (read, not copied; both MIT licensed):

* data-to-insight/csc-validator-be-903, ``lac_validator/ingress.py`` (``read_xml_from_text``):
  ``CHILD`` elements under the root, each with a ``HEADER`` whose leaves are the child's fields
  (``CHILDID`` for CHILD; UASC, OC3 ``IN_TOUCH/ACTIV/ACCOM`` and AD1 fields as header leaves) and
  whose ``AREVIEW``, ``AMISSING``, ``OC2``, ``PERMANENCE``, ``AD_PLACED`` children are table rows,
  and ``EPISODE`` elements under ``CHILD`` (``PL`` for PLACE);
* SocialFinanceDigitalLabs/csc-data-synthesizer, ``cscsynth/xml.py`` (``create_xml``), which
  writes that layout with dates as ``%d/%m/%Y``.

The XML below is written by this test for made-up children.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from driftflag.errors import SourceFileError
from driftflag.ingest.detect import detect_file
from driftflag.ingest.run import ingest
from driftflag.ingest.ssda903_xml import read_903_xml

EXTRACT = date(2026, 3, 31)
CREATED = datetime(2026, 4, 1, 9, 0)

SAMPLE = """<?xml version="1.0" encoding="utf-8"?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID>100001</CHILDID><SEX>M</SEX><DOB>14/02/2012</DOB><ETHNIC>WBRI</ETHNIC>
      <UPN>A123456789012</UPN>
      <UASC>1</UASC><DUC>01/10/2025</DUC>
      <AREVIEW><REVIEW>10/06/2025</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
      <AREVIEW><REVIEW>10/12/2025</REVIEW><REVIEW_CODE>PN2</REVIEW_CODE></AREVIEW>
      <AMISSING><MISSING>M</MISSING><MIS_START>03/08/2025</MIS_START><MIS_END>04/08/2025</MIS_END></AMISSING>
      <OC2><SDQ_SCORE>14</SDQ_SCORE><CONVICTED>0</CONVICTED><HEALTH_CHECK>1</HEALTH_CHECK>
        <IMMUNISATIONS>1</IMMUNISATIONS><TEETH_CHECK>1</TEETH_CHECK><HEALTH_ASSESSMENT>1</HEALTH_ASSESSMENT>
        <SUBSTANCE_MISUSE>0</SUBSTANCE_MISUSE></OC2>
      <PERMANENCE><PREV_PERM>Z1</PREV_PERM><DATE_PERM>zz/zz/zzzz</DATE_PERM></PERMANENCE>
    </HEADER>
    <EPISODE><DECOM>02/05/2025</DECOM><RNE>S</RNE><LS>C1</LS><CIN>N1</CIN><PL>U4</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>20/09/2025</DEC><REC>X1</REC><HOME_POST>AB1 2</HOME_POST>
      <PL_POST>AB3 4</PL_POST></EPISODE>
    <EPISODE><DECOM>20/09/2025</DECOM><RNE>L</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><REASON_PLACE_CHANGE>CARPL</REASON_PLACE_CHANGE></EPISODE>
  </CHILD>
  <CHILD>
    <HEADER>
      <CHILDID>100002</CHILDID><SEX>F</SEX><DOB>30/06/2006</DOB><ETHNIC>BAFR</ETHNIC>
      <IN_TOUCH>YES</IN_TOUCH><ACTIV>G4</ACTIV><ACCOM>K2</ACCOM>
    </HEADER>
    <EPISODE><DECOM>01/01/2020</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N2</CIN><PL>K2</PL>
      <PLACE_PROVIDER>PR4</PLACE_PROVIDER><DEC>30/06/2024</DEC><REC>E17</REC></EPISODE>
  </CHILD>
  <CHILD>
    <HEADER>
      <CHILDID>100003</CHILDID><SEX>F</SEX><DOB>05/03/2019</DOB><ETHNIC>MWBC</ETHNIC>
      <DATE_INT>01/07/2025</DATE_INT><DATE_MATCH>01/02/2026</DATE_MATCH><FOSTER_CARE>0</FOSTER_CARE>
      <NB_ADOPTR>2</NB_ADOPTR><SEX_ADOPTR>MF</SEX_ADOPTR><LS_ADOPTR>L0</LS_ADOPTR>
      <AD_PLACED><DATE_PLACED>01/07/2025</DATE_PLACED></AD_PLACED>
    </HEADER>
    <AREVIEW><REVIEW>15/07/2025</REVIEW><REVIEW_CODE>PN0</REVIEW_CODE></AREVIEW>
    <EPISODE><DECOM>01/04/2025</DECOM><RNE>S</RNE><LS>E1</LS><CIN>N1</CIN><PL>A4</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER></EPISODE>
  </CHILD>
</EXPSSDA903>
"""
#: Records in SAMPLE: 3 headers, 1 UASC, 3 reviews (one directly under CHILD), 1 missing, 1 OC2,
#: 1 PrevPerm, 1 OC3, 1 AD1, 1 PlacedAdoption, 4 episodes.
SAMPLE_RECORDS = 17


def _write(tmp_path: Path, text: str, name: str = "ssda903_2025-26.xml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_every_element_becomes_a_row_of_its_table(tmp_path):
    tables = read_903_xml(_write(tmp_path, SAMPLE))
    counts = {t: len(df) for t, df in tables.items() if len(df)}
    assert counts == {"header": 3, "uasc": 1, "reviews": 3, "missing": 1, "oc2": 1, "prev_perm": 1, "oc3": 1,
                      "ad1": 1, "placed_adoption": 1, "episodes": 4}
    assert sum(counts.values()) == SAMPLE_RECORDS
    ep = tables["episodes"]
    # CHILDID -> CHILD and PL -> PLACE, as the CSV form names them
    assert list(ep["CHILD"]) == ["100001", "100001", "100002", "100003"]
    assert list(ep["PLACE"]) == ["U4", "U4", "K2", "A4"]
    assert list(ep["_source_row"]) == ["CHILD[1]/EPISODE[1]", "CHILD[1]/EPISODE[2]", "CHILD[2]/EPISODE[1]",
                                       "CHILD[3]/EPISODE[1]"]
    rv = tables["reviews"]
    assert list(rv["_source_row"]) == ["CHILD[1]/HEADER/AREVIEW[1]", "CHILD[1]/HEADER/AREVIEW[2]",
                                       "CHILD[3]/AREVIEW[1]"]
    assert list(rv["DOB"]) == ["14/02/2012", "14/02/2012", "05/03/2019"]  # repeated from the header


def test_ingest_gives_the_canonical_tables_with_every_row_accounted_for(tmp_path):
    r = ingest([_write(tmp_path, SAMPLE)], tmp_path / "store", extract_date=EXTRACT, created_at=CREATED,
               run_gx=False)
    acc = r.accounting.iloc[0]
    assert acc["format"] == "ssda903"
    assert acc["rows_read"] == SAMPLE_RECORDS
    assert acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"]
    assert acc["quarantined"] == 0, r.errors[["source_row", "column", "value", "message"]]
    s = r.store
    assert set(s["children"]["child_id"]) == {"100001", "100002", "100003"}
    assert s["children"].set_index("child_id").loc["100001", "uasc"]
    assert len(s["lac_episodes"]) == 4 and len(s["lac_reviews"]) == 3 and len(s["missing_episodes"]) == 1
    cl = s["care_leavers"].iloc[0]
    # born 30/06/2006: the 19th birthday falls in 2025-26
    assert (cl["child_id"], cl["birthday_date"], cl["age"]) == ("100002", pd.Timestamp("2025-06-30"), 19)
    assert (cl["in_touch"], cl["activity"], cl["accommodation"], bool(cl["accommodation_suitable"])) == \
        ("YES", "G4", "K2", False)
    assert s["health_outcomes"].iloc[0]["sdq_score"] == 14
    assert s["adoptions"].iloc[0]["match_date"] == pd.Timestamp("2026-02-01")
    assert s["placed_for_adoption"].iloc[0]["placed_date"] == pd.Timestamp("2025-07-01")
    assert s["previous_permanence"].iloc[0]["date_perm"] == "zz/zz/zzzz"


def test_detected_by_root_element_not_name(tmp_path):
    p = _write(tmp_path, SAMPLE, name="export.xml")
    src = detect_file(p)
    assert (src.format, src.table) == ("ssda903", "xml")
    assert detect_file(p, "ssda903").format == "ssda903"
    with pytest.raises(SourceFileError, match="EXPSSDA903"):
        detect_file(p, "cin")
    cin = _write(tmp_path, "<Message><Header/></Message>", name="ssda903.xml")
    assert detect_file(cin).format == "cin"


def test_repeated_field_is_quarantined_with_one_line_naming_file_element_column_value(tmp_path):
    bad = SAMPLE.replace("<RNE>L</RNE>", "<RNE>L</RNE><RNE>P</RNE>")
    p = _write(tmp_path, bad)
    r = ingest([p], tmp_path / "store", extract_date=EXTRACT, created_at=CREATED, run_gx=False)
    acc = r.accounting.iloc[0]
    assert acc["rows_read"] == SAMPLE_RECORDS
    assert acc["quarantined"] == 1
    assert acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"]
    e = r.errors.iloc[0]
    assert (e["source_file"], e["source_row"], e["column"], e["value"], e["rule"]) == \
        (str(p), "CHILD[1]/EPISODE[2]", "RNE", "P", "repeated_element")
    assert "\n" not in e["message"] and "'L'" in e["message"] and "'P'" in e["message"]
    assert len(r.store["lac_episodes"]) == 3


def test_bad_value_is_quarantined_naming_its_element(tmp_path):
    p = _write(tmp_path, SAMPLE.replace("<DECOM>20/09/2025</DECOM>", "<DECOM>31/09/2025</DECOM>"))
    r = ingest([p], tmp_path / "store", extract_date=EXTRACT, created_at=CREATED, run_gx=False)
    e = r.errors
    assert list(e["source_row"]) == ["CHILD[1]/EPISODE[2]"] and list(e["value"]) == ["31/09/2025"]
    acc = r.accounting.iloc[0]
    assert acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"] == SAMPLE_RECORDS


@pytest.mark.parametrize("text,reason", [
    (SAMPLE[: len(SAMPLE) // 2], "not a readable XML file"),
    (SAMPLE.replace("EXPSSDA903", "EXPSSDA904"), None),
])
def test_unreadable_file_is_one_line_naming_the_file(tmp_path, text, reason):
    p = _write(tmp_path, text)
    with pytest.raises(SourceFileError) as e:
        read_903_xml(p)
    msg = str(e.value)
    assert str(p) in msg and "\n" not in msg
    assert (reason or "root element is <EXPSSDA904>, expected <EXPSSDA903>") in msg


@pytest.fixture(scope="module")
def two_forms(tmp_path_factory):
    """The same synthetic LA (seed, size) with its 903 written as CSV tables and as XML."""
    from driftflag.synth import SynthConfig
    from driftflag.synth.run import run_synth

    root = tmp_path_factory.mktemp("forms")
    out = {}
    for form in ("csv", "xml"):
        run_synth(SynthConfig(children=300, years=2, seed=11, annex_a_months=1, ssda903_form=form), root / form)
        out[form] = root / form
    return out


@pytest.mark.slow
def test_synthetic_la_xml_and_csv_forms_give_identical_stores(two_forms, tmp_path):
    csv_la, xml_la = two_forms["csv"], two_forms["xml"]
    assert sorted(p.suffix for p in (xml_la / "ssda903").rglob("*.*")) == [".xml", ".xml"]
    assert not list((csv_la / "ssda903").rglob("*.xml"))
    stores = {}
    for form, la in two_forms.items():
        r = ingest([la / "ssda903"], tmp_path / form, extract_date=EXTRACT, created_at=CREATED, run_gx=False)
        acc = r.accounting
        assert (acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"]).all()
        assert acc["quarantined"].sum() == 0
        stores[form] = r
    a, b = stores["csv"].store, stores["xml"].store
    assert stores["csv"].accounting["rows_read"].sum() == stores["xml"].accounting["rows_read"].sum()
    assert len(a["lac_episodes"]) > 20 and len(a["sw_episodes"]) > 20 and len(a["care_leavers"]) >= 1
    for t in a.tables:
        pd.testing.assert_frame_equal(a[t], b[t], obj=t)
    # the other returns are the same bytes whichever form the 903 takes
    for sub in ("cin_census", "annex_a", "audits"):
        for f in sorted((csv_la / sub).rglob("*.*")):
            assert f.read_bytes() == (xml_la / f.relative_to(csv_la)).read_bytes(), f


def test_streamed_one_child_in_memory_at_a_time(tmp_path, monkeypatch):
    """Each <CHILD> is cleared and dropped from the root once read: when a child is flattened the
    root holds only it and the children lxml has parsed ahead in its read buffer (a few dozen),
    however long the file; without the clearing it would hold every child read so far."""
    from driftflag.ingest import ssda903_xml

    body = SAMPLE.split("<EXPSSDA903>")[1].split("</EXPSSDA903>")[0]
    p = _write(tmp_path, "<EXPSSDA903>" + body * 1000 + "</EXPSSDA903>")
    held: list[int] = []
    original = ssda903_xml._Rows.child

    def spy(self, el, path):
        held.append(len(el.getparent()))
        return original(self, el, path)

    monkeypatch.setattr(ssda903_xml._Rows, "child", spy)
    tables = read_903_xml(p)
    assert len(held) == 3000 and len(tables["episodes"]) == 4000
    assert max(held) < 150
