"""CIN census reader: external sample, flattened tables, Sex/GenderCurrent, errors, year dedupe."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from driftflag.errors import SourceFileError
from driftflag.ingest import CIN_TABLES, read_cin_census, read_cin_years

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTERNAL_CIN = REPO_ROOT.parent / "shared" / "fixtures" / "external" / "cin_census" / "CIN_Census_2024.xml"

HEADER = (
    "<Header><CollectionDetails><Collection>CIN</Collection><Year>2026</Year>"
    "<ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails></Header>"
)


def _message(children: str, header: str = HEADER) -> str:
    return f"<Message>{header}<Children>{children}</Children></Message>"


def _child(child_id: str, body: str = "", sex: str = "<Sex>F</Sex>") -> str:
    return (
        f"<Child><ChildIdentifiers><LAchildID>{child_id}</LAchildID>{sex}</ChildIdentifiers>"
        f"<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>{body}</Child>"
    )


def _cin(ref: str, inner: str = "") -> str:
    return f"<CINdetails><CINreferralDate>{ref}</CINreferralDate>{inner}</CINdetails>"


def _cpp(start: str, end: str = "", cat: str = "NEG", reviews: str = "") -> str:
    end_xml = f"<CPPendDate>{end}</CPPendDate>" if end else ""
    return (
        f"<ChildProtectionPlans><CPPstartDate>{start}</CPPstartDate>{end_xml}"
        f"<InitialCategoryOfAbuse>{cat}</InitialCategoryOfAbuse>{reviews}</ChildProtectionPlans>"
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.external
@pytest.mark.skipif(not EXTERNAL_CIN.is_file(), reason=f"external fixture absent: {EXTERNAL_CIN}")
def test_external_cin_census_parses_every_block():
    tables = read_cin_census(EXTERNAL_CIN)
    assert set(tables) == set(CIN_TABLES)
    tree = etree.parse(str(EXTERNAL_CIN))  # independent count of the blocks in the file
    for table, xpath in [
        ("ChildIdentifiers", "//Child"),
        ("CINdetails", "//CINdetails"),
        ("ChildProtectionPlans", "//ChildProtectionPlans"),
        ("CINplanDates", "//CINPlanDates"),
        ("Section47", "//Section47"),
        ("Disabilities", "//Disability"),
        ("Reviews", "//CPPreviewDate"),
    ]:
        assert len(tables[table]) == len(tree.xpath(xpath)), table
    ids = tables["ChildIdentifiers"]
    assert ids["LAchildID"].tolist() == ["DfEX0000001", "child_fails_assessments"]
    # stray text after <UPNunknown> does not leak into values
    assert ids.loc[0, "UPNunknown"] == "UN3" and ids.loc[0, "PersonBirthDate"] == "2015-03-27"
    # 3 factors for the first assessment, and the second assessment (no factors) is still a row
    assert tables["Assessments"]["AssessmentID"].tolist() == [1, 1, 1, 1]
    assert tables["Assessments"]["AssessmentFactors"].isna().tolist() == [False, False, False, True]
    assert tables["Header"].loc[0, "ReferenceDate"] == "2024-03-31"
    assert (tables["CINdetails"]["_source_file"] == str(EXTERNAL_CIN)).all()


def test_flattened_ids_and_source_paths(tmp_path):
    body = (
        _cin("2025-05-01", "<Assessments><AssessmentActualStartDate>2025-05-02</AssessmentActualStartDate>"
                          "<FactorsIdentifiedAtAssessment><AssessmentFactors>3A</AssessmentFactors>"
                          "</FactorsIdentifiedAtAssessment></Assessments>"
             + _cpp("2025-06-01", "2025-09-01", reviews="<Reviews><CPPreviewDate>2025-07-01</CPPreviewDate>"
                                                       "<CPPreviewDate>2025-08-01</CPPreviewDate></Reviews>"))
        + _cin("2025-10-01", "<Assessments/>" + _cpp("2025-11-01"))
    )
    path = _write(tmp_path / "c.xml", _message(_child("A") + _child("B", body)))
    t = read_cin_census(path)
    cin = t["CINdetails"]
    assert cin["CINdetailsID"].tolist() == [1, 2]
    assert cin["_source_path"].tolist() == [
        "/Message/Children/Child[2]/CINdetails[1]", "/Message/Children/Child[2]/CINdetails[2]"
    ]
    cpp = t["ChildProtectionPlans"]
    assert cpp[["CINdetailsID", "CPPID"]].values.tolist() == [[1, 1], [2, 2]]  # CPPID per child
    assert pd.isna(cpp.loc[1, "CPPendDate"])
    assert t["Assessments"]["AssessmentID"].tolist() == [1, 2]
    rev = t["Reviews"]
    assert rev["CPPreviewDate"].tolist() == ["2025-07-01", "2025-08-01"]
    assert rev["_source_path"].iloc[1].endswith("ChildProtectionPlans[1]/Reviews[1]/CPPreviewDate[2]")
    assert len(t["ChildIdentifiers"]) == 2 and t["ChildIdentifiers"].loc[0, "LAchildID"] == "A"


@pytest.mark.parametrize(
    ("sex_xml", "sex", "gender"),
    [("<Sex>M</Sex>", "M", None), ("<GenderCurrent>1</GenderCurrent>", None, "1"), ("", None, None)],
)
def test_sex_or_gender_current(tmp_path, sex_xml, sex, gender):
    path = _write(tmp_path / "c.xml", _message(_child("A", sex=sex_xml)))
    row = read_cin_census(path)["ChildIdentifiers"].iloc[0]
    assert (None if pd.isna(row["Sex"]) else row["Sex"]) == sex
    assert (None if pd.isna(row["GenderCurrent"]) else row["GenderCurrent"]) == gender


def test_namespaces_stray_text_and_missing_blocks(tmp_path):
    xml = (
        '<Message xmlns="http://example.org/cin">stray<Children>'
        "<Child>text<ChildIdentifiers><LAchildID> X1 </LAchildID></ChildIdentifiers>"
        "<CINdetails><CINreferralDate>2025-05-01</CINreferralDate>junk<Unknown>1</Unknown></CINdetails>"
        "</Child><Child/></Children></Message>"
    )
    t = read_cin_census(_write(tmp_path / "c.xml", xml))
    assert t["ChildIdentifiers"]["LAchildID"].tolist()[0] == "X1"
    assert len(t["ChildIdentifiers"]) == 2  # an empty <Child/> is still a row
    assert t["CINdetails"]["CINreferralDate"].tolist() == ["2025-05-01"]
    assert t["Header"].empty
    assert pd.isna(t["ChildCharacteristics"].loc[0, "Ethnicity"])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (_message(_child("A"))[:-30], "not a readable XML file"),  # truncated
        ("CHILD,DECOM\n1,2\n", "not a readable XML file"),
        ("", "not a readable XML file"),
        ("<Root><Children/></Root>", "root element is <Root>, expected <Message>"),
    ],
)
def test_unreadable_xml_names_the_file(tmp_path, text, reason):
    path = _write(tmp_path / "cin_census_2025-26.xml", text)
    with pytest.raises(SourceFileError, match=reason) as e:
        read_cin_census(path)
    assert "cin_census_2025-26.xml" in str(e.value)


def test_read_cin_years_keeps_latest_version(tmp_path):
    root = tmp_path / "cin_census"
    # Referral of 2025-02-01 open at 31 March 2025 with an open plan; closed in 2025-26.
    _write(root / "cin_census_2024-25.xml", _message(
        _child("A", _cin("2025-02-01", _cpp("2025-03-01")))
        + _child("B", _cin("2024-06-01", "<CINclosureDate>2024-07-01</CINclosureDate>"))
    ))
    _write(root / "cin_census_2025-26.xml", _message(
        _child("A", _cin("2025-02-01", "<CINclosureDate>2025-12-01</CINclosureDate>"
                         + _cpp("2025-03-01", "2025-11-01")) + _cin("2026-01-05"))
    ))
    _write(root / "other.xml", "<notcin/>")  # not named like a census: ignored
    t = read_cin_years(tmp_path)
    cin = t["CINdetails"].sort_values(["LAchildID", "CINreferralDate"])
    assert cin[["LAchildID", "CINreferralDate", "collection_year"]].values.tolist() == [
        ["A", "2025-02-01", 2026], ["A", "2026-01-05", 2026], ["B", "2024-06-01", 2025]
    ]
    assert t["CINdetails"].attrs["dropped_resubmitted"] == 1
    cpp = t["ChildProtectionPlans"]
    assert cpp[["CPPstartDate", "CPPendDate", "collection_year"]].values.tolist() == [
        ["2025-03-01", "2025-11-01", 2026]
    ]
    assert sorted(t["ChildIdentifiers"]["collection_year"].tolist()) == [2025, 2026]
    assert len(t["Header"]) == 2
    only = read_cin_years(root, tables=["Reviews"], years=[2025])
    assert set(only) == {"Reviews"}
