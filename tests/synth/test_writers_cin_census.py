"""CIN census writer: element names and order, year rules, no dates after the reference date."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from driftflag.synth.writers import write_cin_census

from .data_for_test import small_store

YEARS = (2024, 2025, 2026)
EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "external"

#: Element order of the DfE schema (CIN_schema xsd, as in the sample CIN_Census_2024.xml).
ORDER = {
    "Message": ["Header", "Children"],
    "Header": ["CollectionDetails", "Source"],
    "CollectionDetails": ["Collection", "Year", "ReferenceDate"],
    "Source": ["SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"],
    "Child": ["ChildIdentifiers", "ChildCharacteristics", "CINdetails"],
    "ChildIdentifiers": ["LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate",
                         "ExpectedPersonBirthDate", "GenderCurrent", "Sex", "PersonDeathDate"],
    "ChildCharacteristics": ["Ethnicity", "Disabilities"],
    "CINdetails": ["CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate",
                   "ReasonForClosure", "DateOfInitialCPC", "Assessments", "CINPlanDates",
                   "Section47", "ReferralNFA", "ChildProtectionPlans", "PreProceedingsandFGDM"],
    "Assessments": ["AssessmentActualStartDate", "AssessmentInternalReviewDate",
                    "AssessmentAuthorisationDate", "FactorsIdentifiedAtAssessment"],
    "CINPlanDates": ["CINPlanStartDate", "CINPlanEndDate"],
    "Section47": ["S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired"],
    "ChildProtectionPlans": ["CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse",
                             "LatestCategoryOfAbuse", "NumberOfPreviousCPP", "Reviews"],
    "PreProceedingsandFGDM": ["PPStartDate", "LBPSentDate", "FGDMMeetingOffer", "FGDMMeetingFac",
                              "InitialPPMeetingDate", "ReviewMeetingsCount", "StepDecisionDate",
                              "PPOutcome", "CourtAppDate", "LetterInitCPDate"],
    "Disabilities": ["Disability"],
    "FactorsIdentifiedAtAssessment": ["AssessmentFactors"],
    "Reviews": ["CPPreviewDate"],
}
DATE_TAGS = {"PersonBirthDate", "PersonDeathDate", "CINreferralDate", "CINclosureDate",
             "DateOfInitialCPC", "AssessmentActualStartDate", "AssessmentAuthorisationDate",
             "CINPlanStartDate", "CINPlanEndDate", "S47ActualStartDate", "InitialCPCtarget",
             "CPPstartDate", "CPPendDate", "CPPreviewDate", "PPStartDate", "LBPSentDate",
             "InitialPPMeetingDate", "StepDecisionDate", "CourtAppDate", "LetterInitCPDate"}


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[int, etree._ElementTree]:
    out = tmp_path_factory.mktemp("cin")
    paths = write_cin_census(small_store(), out, YEARS, la_code="123")
    assert [p.relative_to(out).as_posix() for p in paths] == [
        "cin_census/cin_census_2023-24.xml", "cin_census/cin_census_2024-25.xml",
        "cin_census/cin_census_2025-26.xml"]
    return {y: etree.parse(str(p)) for y, p in zip(YEARS, paths, strict=True)}


def child(doc, cid: str):
    found = doc.xpath(f"/Message/Children/Child[ChildIdentifiers/LAchildID='{cid}']")
    assert len(found) == 1, cid
    return found[0]


def check_order(el) -> None:
    tags = [c.tag for c in el]
    if el.tag in ORDER:
        known = ORDER[el.tag]
        assert set(tags) <= set(known), (el.tag, tags)
        idx = [known.index(t) for t in tags]
        assert idx == sorted(idx), (el.tag, tags)
    for c in el:
        check_order(c)


def test_element_names_and_order(docs):
    for doc in docs.values():
        check_order(doc.getroot())


@pytest.mark.skipif(not (EXTERNAL / "cin_census").is_dir(), reason="external fixtures absent")
def test_order_agrees_with_external_sample():
    sample = etree.parse(str(EXTERNAL / "cin_census" / "CIN_Census_2024.xml"))
    for el in sample.iter():
        tags = [c.tag for c in el if isinstance(c.tag, str)]
        if el.tag in ORDER and tags:
            idx = [ORDER[el.tag].index(t) for t in tags if t in ORDER[el.tag]]
            assert idx == sorted(idx), (el.tag, tags)


def test_header(docs):
    h = docs[2026].find("Header")
    assert h.findtext("CollectionDetails/Collection") == "CIN"
    assert h.findtext("CollectionDetails/Year") == "2026"
    assert h.findtext("CollectionDetails/ReferenceDate") == "2026-03-31"
    assert h.findtext("Source/LEA") == "123"
    assert h.findtext("Source/DateTime") == "2026-03-31T00:00:00"


def test_children_included(docs):
    ids = {y: [e.text for e in d.iterfind("Children/Child/ChildIdentifiers/LAchildID")]
           for y, d in docs.items()}
    assert ids[2024] == ["C002", "C006"]
    assert ids[2025] == ["C001", "C002", "C003", "C006"]
    assert ids[2026] == ["C001", "C002", "C003", "C004", "C005"]
    # C006's NFA referral (closed 20/10/2023) is its own CINdetails in 2023-24
    c6 = child(docs[2024], "C006").findall("CINdetails")
    assert [c.findtext("ReferralNFA") for c in c6] == ["1", "0"]


def test_no_date_after_the_reference_date(docs):
    for y, doc in docs.items():
        ref = f"{y}-03-31"
        for el in doc.iter():
            if el.tag in DATE_TAGS:
                assert el.text <= ref, (y, el.tag, el.text)


def test_sex_or_gender_current_by_year(docs):
    for y, doc in docs.items():
        ids = doc.findall("Children/Child/ChildIdentifiers")
        if y < 2025:
            assert all(i.find("Sex") is None for i in ids)
            assert {i.findtext("GenderCurrent") for i in ids} <= {"1", "2", "0", "9"}
        else:
            assert all(i.find("GenderCurrent") is None for i in ids)
            assert {i.findtext("Sex") for i in ids} <= {"M", "F", "U"}
    assert child(docs[2024], "C002").findtext("ChildIdentifiers/GenderCurrent") == "1"
    assert child(docs[2024], "C006").findtext("ChildIdentifiers/GenderCurrent") == "0"


def test_unborn_child_and_events_after_the_reference_date(docs):
    c5 = child(docs[2026], "C005")
    ids = c5.find("ChildIdentifiers")
    assert ids.find("PersonBirthDate") is None
    assert ids.findtext("ExpectedPersonBirthDate") == "2026-05-01"
    assert ids.findtext("Sex") == "U"
    cin = c5.find("CINdetails")
    assert cin.find("CINclosureDate") is None and cin.find("ReasonForClosure") is None
    assert cin.find("Assessments/AssessmentAuthorisationDate") is None
    assert cin.findtext("CINPlanDates/CINPlanStartDate") == "2026-03-01"
    assert cin.find("CINPlanDates/CINPlanEndDate") is None
    s47 = cin.find("Section47")
    assert s47.find("DateOfInitialCPC") is None and s47.find("InitialCPCtarget") is None
    assert cin.find("ChildProtectionPlans") is None  # starts 10/04/2026


def test_cp_plan_across_the_year_boundary(docs):
    p25 = child(docs[2025], "C001").find("CINdetails/ChildProtectionPlans")
    assert p25.findtext("CPPstartDate") == "2024-11-25"
    assert p25.find("CPPendDate") is None
    assert [e.text for e in p25.iterfind("Reviews/CPPreviewDate")] == ["2025-02-20"]
    c1 = child(docs[2026], "C001").findall("CINdetails")
    assert [c.findtext("CINreferralDate") for c in c1] == ["2024-11-01", "2025-12-01"]
    p26 = c1[0].find("ChildProtectionPlans")
    assert p26.findtext("CPPendDate") == "2025-08-20"
    assert p26.findtext("LatestCategoryOfAbuse") == "EMO"
    assert [e.text for e in p26.iterfind("Reviews/CPPreviewDate")] == ["2025-02-20", "2025-07-20"]
    assert c1[0].findtext("CINclosureDate") == "2025-10-01"
    assert c1[0].findtext("DateOfInitialCPC") == "2024-11-25"
    assert [e.text for e in c1[0].iterfind(
        "Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors")] == ["3A", "4B"]


def test_pre_proceedings_only_from_2025_26(docs):
    for y in (2024, 2025):
        assert not docs[y].xpath("//PreProceedingsandFGDM")
    pp = docs[2026].xpath("//PreProceedingsandFGDM")
    assert len(pp) == 1
    got = {c.tag: c.text for c in pp[0]}
    assert got == {
        "PPStartDate": "2025-09-01", "LBPSentDate": "2025-09-05", "FGDMMeetingOffer": "1",
        "FGDMMeetingFac": "0", "InitialPPMeetingDate": "2025-09-20", "ReviewMeetingsCount": "2",
        "StepDecisionDate": "2026-01-15", "PPOutcome": "C", "CourtAppDate": "2026-02-01",
    }
    assert pp[0].getparent().findtext("CINreferralDate") == "2025-04-10"
    c4 = child(docs[2026], "C004").find("CINdetails/ChildProtectionPlans")
    assert c4.findtext("LatestCategoryOfAbuse") == "PHY"  # blank latest -> initial
    assert [e.text for e in c4.iterfind("Reviews/CPPreviewDate")] == ["2025-07-30", "2026-01-20"]


def test_yes_no_and_disabilities(docs):
    for doc in docs.values():
        for tag in ("ReferralNFA", "ICPCnotRequired", "FGDMMeetingOffer", "FGDMMeetingFac"):
            assert {e.text for e in doc.iter(tag)} <= {"0", "1"}
    dis = child(docs[2025], "C002").findall("ChildCharacteristics/Disabilities/Disability")
    assert [d.text for d in dis] == ["LD", "AUT"]
    assert child(docs[2025], "C003").findtext("ChildIdentifiers/UPNunknown") == "UN2"
