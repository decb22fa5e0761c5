"""Code lists: ethnicity groups, PLACE codes by collection year, collection-year arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from driftflag.casemodel import codes


def test_twenty_distinct_ethnicity_codes():
    assert len(codes.ETHNICITY_CODES) == 20
    assert len(set(codes.ETHNICITY_CODES)) == 20


@pytest.mark.parametrize("code", codes.ETHNICITY_CODES)
def test_every_ethnicity_code_has_group_and_labels(code):
    assert codes.ETHNIC_MAJOR_GROUP[code] in codes.ETHNIC_MAJOR_GROUPS
    assert codes.ETHNICITY_LABELS[code]
    assert codes.ANNEX_A_ETHNICITY_LABEL[code].endswith(f") {code}")


def test_label_maps_have_no_extra_codes():
    assert set(codes.ETHNICITY_LABELS) == set(codes.ETHNICITY_CODES)
    assert set(codes.ANNEX_A_ETHNICITY_LABEL) == set(codes.ETHNICITY_CODES)


def test_annex_a_ethnicity_letters():
    assert codes.ANNEX_A_ETHNICITY_LABEL["WBRI"] == "a) WBRI"
    assert codes.ANNEX_A_ETHNICITY_LABEL["OOTH"] == "r) OOTH"
    assert codes.ANNEX_A_ETHNICITY_LABEL["REFU"] == "s) REFU"
    assert codes.ANNEX_A_ETHNICITY_LABEL["NOBT"] == "s) NOBT"


def test_chinese_is_other_not_asian():
    assert codes.ethnic_major_group("CHNE") == "Other"
    assert codes.ETHNIC_MAJOR_GROUP["CHNE"] == "Other"


@pytest.mark.parametrize(
    ("code", "group"),
    [("WBRI", "White"), ("MWBC", "Mixed"), ("APKN", "Asian"), ("BAFR", "Black"), ("OOTH", "Other")],
)
def test_major_groups(code, group):
    assert codes.ethnic_major_group(code) == group


@pytest.mark.parametrize("code", ["REFU", "NOBT", "", "   ", None, "XXXX", "white"])
def test_not_known(code):
    assert codes.ethnic_major_group(code) == "Not known"


def test_group_lookup_ignores_case_and_spaces():
    assert codes.ethnic_major_group(" chne ") == "Other"
    assert codes.ethnic_major_group("bcrb") == "Black"


def test_every_major_group_is_used():
    used = {codes.ethnic_major_group(c) for c in codes.ETHNICITY_CODES}
    assert used == set(codes.ETHNIC_MAJOR_GROUPS)


def test_place_codes_2024():
    p = codes.place_codes(2024)
    assert {"H5", "P2", "Z1"} <= set(p)
    assert "K3" not in p
    assert not {"Z11", "Z12", "Z13", "Z14"} & set(p)
    assert codes.place_codes(2023) == p


def test_place_codes_2025_adds_k3():
    p = codes.place_codes(2025)
    assert set(p) == set(codes.place_codes(2024)) | {"K3"}


def test_place_codes_2026():
    p = set(codes.place_codes(2026))
    assert not {"H5", "P2", "Z1"} & p
    assert {"K3", "Z11", "Z12", "Z13", "Z14"} <= p
    assert p == (set(codes.place_codes(2025)) - {"H5", "P2", "Z1"}) | {"Z11", "Z12", "Z13", "Z14"}
    assert set(codes.place_codes(2030)) == p


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_place_codes_unique_and_within_union(year):
    p = codes.place_codes(year)
    assert len(p) == len(set(p))
    assert set(p) <= codes.ALL_PLACE_CODES


def test_place_without_provider_are_2026_codes():
    assert codes.PLACE_WITHOUT_PROVIDER.issubset(codes.place_codes(2026))


@pytest.mark.parametrize(("year", "letters"), [(2024, False), (2025, True), (2026, True)])
def test_uses_letter_sex(year, letters):
    assert codes.uses_letter_sex(year) is letters


@pytest.mark.parametrize(
    ("d", "year"),
    [
        (date(2024, 3, 31), 2024),
        (date(2024, 4, 1), 2025),
        (date(2025, 1, 1), 2025),
        (date(2025, 3, 31), 2025),
        (date(2025, 4, 1), 2026),
        (date(2024, 12, 31), 2025),
    ],
)
def test_collection_year_of(d, year):
    assert codes.collection_year_of(d) == year


def test_collection_year_bounds():
    assert codes.collection_year_bounds(2025) == (date(2024, 4, 1), date(2025, 3, 31))


@pytest.mark.parametrize("year", [2020, 2024, 2025, 2026])
def test_bounds_agree_with_collection_year_of(year):
    first, last = codes.collection_year_bounds(year)
    assert codes.collection_year_of(first) == year
    assert codes.collection_year_of(last) == year
    assert codes.collection_year_of(date.fromordinal(first.toordinal() - 1)) == year - 1
    assert codes.collection_year_of(date.fromordinal(last.toordinal() + 1)) == year + 1


def test_annex_a_letters_follow_the_ofsted_template():
    # the public sample Annex_A.xlsx (liia-tools) has "d) WOTH", "f) MWBC", "l) ABAN", "r) OOTH"
    from driftflag.casemodel.codes import ANNEX_A_ETHNICITY_LABEL as L

    assert (L["WIRT"], L["WOTH"], L["MWBC"], L["ABAN"], L["OOTH"]) == (
        "c) WIRT", "d) WOTH", "f) MWBC", "l) ABAN", "r) OOTH")
