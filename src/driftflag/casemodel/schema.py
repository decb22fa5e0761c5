"""The canonical case model: one typed table per kind of event in a child's journey.

The model sits close to what councils record and to the three returns (Annex A, SSDA903, CIN
census; see ``docs/data-model.md`` for the column-by-column mapping). Every table but
``workers`` carries ``child_id`` so that any event can be joined back to the child; events that belong to a CIN
episode (the census ``CINdetails`` block, opened by a referral) also carry ``referral_id``.

Dates are ``datetime64[ns]`` at midnight (no times of day in any return); an open event has a
missing end date (``NaT``). Codes are plain strings from :mod:`driftflag.casemodel.codes`.
Protected characteristics (``sex``, ``ethnicity``, ``disability``, ``uasc``) live in
``children`` only and are joined in for audit, never used as model inputs by default.

Every row carries ``known_from``, the date the council could first have known it (design notes
section 2): snapshots are built only from rows known by their as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

SCHEMA_VERSION = "1.2.0"

Kind = Literal["string", "date", "bool", "int", "float"]

_PANDAS_DTYPE: dict[str, str] = {
    "string": "str",
    "date": "datetime64[ns]",
    "bool": "boolean",
    "int": "Int64",
    "float": "float64",
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``returns`` says where the value comes from in each return (``903``, ``CIN``, ``AnnexA``);
    an empty mapping means no return carries it (local case-management data only).
    ``scheduled`` marks a date planned ahead (a target or due date): in a live extract it may
    lie after the extract date, so the "no date after the extract" rule does not apply to it.
    """

    name: str
    kind: Kind
    description: str
    required: bool = False
    codes: str | None = None  # name of a code list in driftflag.casemodel.codes
    returns: dict[str, str] = field(default_factory=dict)
    scheduled: bool = False

    @property
    def dtype(self) -> str:
        return _PANDAS_DTYPE[self.kind]


@dataclass(frozen=True)
class Table:
    """A canonical table: its name, primary key and columns."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def empty(self) -> pd.DataFrame:
        """An empty frame with this table's columns and dtypes."""
        return conform(pd.DataFrame({c.name: [] for c in self.columns}), self)


def _c(name: str, kind: Kind, description: str, **kw) -> Column:
    return Column(name=name, kind=kind, description=description, **kw)


CHILD_ID = _c(
    "child_id", "string", "The council's child identifier, stable across returns.", required=True,
    returns={"903": "CHILD", "CIN": "LAchildID", "AnnexA": "Child Unique ID"},
)

TABLES: dict[str, Table] = {}


#: Every table's last column: when the row became known (see :data:`KNOWN_FROM`).
KNOWN_FROM = _c(
    "known_from", "date",
    "Date the row became known: its event date where the source is a full history (903 episodes, "
    "CIN census referrals and plans, a council's own records), otherwise the extract or collection "
    "it first appeared in (Annex A snapshots: the extract date). Blank means the event date. "
    "Fields filled only when something ends are known from the end date. A snapshot on D reads "
    "only rows with known_from <= D.",
)


def _table(name: str, description: str, key: tuple[str, ...], *columns: Column) -> Table:
    t = Table(name=name, description=description, key=key, columns=(*columns, KNOWN_FROM))
    TABLES[name] = t
    return t


CHILDREN = _table(
    "children",
    "One row per child known to children's social care.",
    ("child_id",),
    CHILD_ID,
    _c("sex", "string", "M, F or U (2024-25 codes; older 1/2 and GenderCurrent are mapped).",
       required=True, codes="SEX_CODES",
       returns={"903": "header.SEX", "CIN": "Sex / GenderCurrent", "AnnexA": "Gender"}),
    _c("date_of_birth", "date", "Date of birth; expected date of birth for an unborn child.",
       required=True, returns={"903": "header.DOB", "CIN": "PersonBirthDate / ExpectedPersonBirthDate",
                               "AnnexA": "Date of Birth"}),
    _c("ethnicity", "string", "One of the 20 DfE ethnicity codes (REFU/NOBT when not known).",
       codes="ETHNICITY_CODES",
       returns={"903": "header.ETHNIC", "CIN": "Ethnicity", "AnnexA": "Ethnicity"}),
    _c("disability", "bool", "Whether the child has a recorded disability.",
       returns={"CIN": "Disabilities (not NONE)", "AnnexA": "Does the Child have a Disability"}),
    _c("disability_codes", "string", "Space-separated CIN disability codes (NONE when none).",
       codes="DISABILITY_CODES", returns={"CIN": "Disabilities/Disability"}),
    _c("uasc", "bool", "Unaccompanied asylum-seeking child at any time.",
       returns={"903": "UASC table (row present)", "CIN": "factor 9A"}),
    _c("uasc_ceased_date", "date", "Date UASC status ceased.", returns={"903": "UASC.DUC"}),
    _c("upn", "string", "Unique pupil number, where known.", returns={"903": "header.UPN", "CIN": "UPN"}),
    _c("date_of_death", "date", "Date of death, where recorded.", returns={"CIN": "PersonDeathDate"}),
)

REFERRALS = _table(
    "referrals",
    "A referral and the CIN episode it opens (the CIN census CINdetails block).",
    ("referral_id",),
    _c("referral_id", "string", "Identifier of the referral / CIN episode.", required=True),
    CHILD_ID,
    _c("referral_date", "date", "Date of the referral.", required=True,
       returns={"CIN": "CINreferralDate", "AnnexA": "L3 Date of referral"}),
    _c("referral_source", "string", "Who referred (CIN ReferralSource code).",
       codes="REFERRAL_SOURCE_CODES", returns={"CIN": "ReferralSource", "AnnexA": "L3 Referral Source"}),
    _c("referral_nfa", "bool", "Referral closed with no further action before assessment.",
       returns={"CIN": "ReferralNFA", "AnnexA": "L3 Referral NFA?"}),
    _c("primary_need", "string", "Primary need code N0-N9.", codes="PRIMARY_NEED_CODES",
       returns={"CIN": "PrimaryNeedCode", "AnnexA": "L6 Primary Need Code"}),
    _c("closure_date", "date", "Date the CIN episode closed (blank while open).",
       returns={"CIN": "CINclosureDate", "AnnexA": "L6 CIN Closure Date"}),
    _c("closure_reason", "string", "Reason for closure RC1-RC9.", codes="CLOSURE_REASON_CODES",
       returns={"CIN": "ReasonForClosure", "AnnexA": "L6 Reason for Closure"}),
)

ASSESSMENTS = _table(
    "assessments",
    "Continuous (single) assessments of need.",
    ("assessment_id",),
    _c("assessment_id", "string", "Identifier of the assessment.", required=True),
    CHILD_ID,
    _c("referral_id", "string", "The CIN episode the assessment belongs to."),
    _c("start_date", "date", "Actual start date.", required=True,
       returns={"CIN": "AssessmentActualStartDate", "AnnexA": "L4 Continuous Assessment Start Date"}),
    _c("authorisation_date", "date", "Date the assessment was authorised (completed).",
       returns={"CIN": "AssessmentAuthorisationDate",
                "AnnexA": "L4 Continuous Assessment Date of Authorisation"}),
    _c("factors", "string", "Space-separated assessment factor codes.", codes="ASSESSMENT_FACTOR_CODES",
       returns={"CIN": "FactorsIdentifiedAtAssessment/AssessmentFactors"}),
    _c("child_seen", "bool", "Child seen during the assessment.",
       returns={"AnnexA": "L4 Child Seen During Continuous Assessment"}),
    _c("requires_support", "bool", "Assessed as requiring children's social care support.",
       returns={"AnnexA": "L4 Was the child assessed as requiring LA children's social care support?"}),
)

SECTION47 = _table(
    "section47",
    "Section 47 enquiries and the initial child protection conference (ICPC) that follows.",
    ("s47_id",),
    _c("s47_id", "string", "Identifier of the enquiry.", required=True),
    CHILD_ID,
    _c("referral_id", "string", "The CIN episode the enquiry belongs to."),
    _c("start_date", "date", "Strategy discussion / s47 start date.", required=True,
       returns={"CIN": "S47ActualStartDate",
                "AnnexA": "L5 Strategy discussion initiating Section 47 Enquiry Start Date"}),
    _c("icpc_target_date", "date", "Target date for the ICPC (15 working days); may be after the "
       "extract date.", returns={"CIN": "InitialCPCtarget"}, scheduled=True),
    _c("icpc_date", "date", "Date of the initial child protection conference.",
       returns={"CIN": "DateOfInitialCPC", "AnnexA": "L5 Date of Initial Child Protection Conference"}),
    _c("icpc_not_required", "bool", "An ICPC was deemed unnecessary.",
       returns={"CIN": "ICPCnotRequired",
                "AnnexA": "L5 Was an Initial Child Protection Conference deemed unnecessary?"}),
    _c("icpc_resulted_in_plan", "bool", "The ICPC resulted in a child protection plan.",
       returns={"AnnexA": "L5 Did the Initial Child Protection Conference Result in a Child Protection Plan"}),
)

CIN_PLANS = _table(
    "cin_plans",
    "Child in need plans.",
    ("cin_plan_id",),
    _c("cin_plan_id", "string", "Identifier of the plan.", required=True),
    CHILD_ID,
    _c("referral_id", "string", "The CIN episode the plan belongs to."),
    _c("start_date", "date", "Plan start.", required=True, returns={"CIN": "CINPlanStartDate"}),
    _c("end_date", "date", "Plan end (blank while open).", returns={"CIN": "CINPlanEndDate"}),
)

CP_PLANS = _table(
    "cp_plans",
    "Child protection plans.",
    ("cp_plan_id",),
    _c("cp_plan_id", "string", "Identifier of the plan.", required=True),
    CHILD_ID,
    _c("referral_id", "string", "The CIN episode the plan belongs to."),
    _c("start_date", "date", "Plan start.", required=True,
       returns={"CIN": "CPPstartDate", "AnnexA": "L7 Child Protection Plan Start Date"}),
    _c("end_date", "date", "Plan end (blank while open).",
       returns={"CIN": "CPPendDate", "AnnexA": "L7 Child Protection Plan End Date"}),
    _c("initial_category", "string", "Initial category of abuse.", codes="CATEGORY_OF_ABUSE_CODES",
       returns={"CIN": "InitialCategoryOfAbuse", "AnnexA": "L7 Initial Category of Abuse"}),
    _c("latest_category", "string", "Latest category of abuse.", codes="CATEGORY_OF_ABUSE_CODES",
       returns={"CIN": "LatestCategoryOfAbuse", "AnnexA": "L7 Latest Category of Abuse"}),
    _c("number_of_previous_cpp", "int", "Number of previous child protection plans (any LA).",
       returns={"CIN": "NumberOfPreviousCPP",
                "AnnexA": "L7 Number of Previous Child Protection Plans"}),
)

CP_REVIEWS = _table(
    "cp_reviews",
    "Child protection review conferences.",
    ("cp_plan_id", "review_date"),
    _c("cp_plan_id", "string", "The plan reviewed.", required=True),
    CHILD_ID,
    _c("review_date", "date", "Date of the review conference.", required=True,
       returns={"CIN": "Reviews/CPPreviewDate", "AnnexA": "L7 Date of latest review conference (latest only)"}),
)

LAC_EPISODES = _table(
    "lac_episodes",
    "Looked-after episodes with SSDA903 semantics: a new row at any change of legal status, "
    "placement or carer; a period of care runs from RNE=S to a REC other than X1.",
    ("episode_id",),
    _c("episode_id", "string", "Identifier of the episode.", required=True),
    CHILD_ID,
    _c("decom", "date", "Date episode commenced.", required=True, returns={"903": "DECOM"}),
    _c("rne", "string", "Reason for new episode.", required=True, codes="RNE_CODES", returns={"903": "RNE"}),
    _c("ls", "string", "Legal status.", required=True, codes="LEGAL_STATUS_CODES",
       returns={"903": "LS", "AnnexA": "L8 Child's Legal Status"}),
    _c("cin", "string", "Category of need N1-N8.", codes="CATEGORY_OF_NEED_903",
       returns={"903": "CIN", "AnnexA": "L8 Child's Category of Need"}),
    _c("place", "string", "Placement type (code list by collection year).", required=True,
       codes="ALL_PLACE_CODES", returns={"903": "PLACE", "AnnexA": "L8 Placement Type"}),
    _c("place_provider", "string", "Placement provider PR0-PR5 (blank for some placements).",
       codes="PLACE_PROVIDER_CODES", returns={"903": "PLACE_PROVIDER", "AnnexA": "L8 Placement Provider"}),
    _c("dec", "date", "Date episode ceased (blank while open).", returns={"903": "DEC"}),
    _c("rec", "string", "Reason episode ceased.", codes="REC_CODES", returns={"903": "REC"}),
    _c("reason_place_change", "string", "Reason for placement change.",
       codes="REASON_PLACE_CHANGE_CODES", returns={"903": "REASON_PLACE_CHANGE"}),
    _c("home_post", "string", "Postcode sector of the home the child was removed from.",
       returns={"903": "HOME_POST"}),
    _c("pl_post", "string", "Postcode sector of the placement.",
       returns={"903": "PL_POST", "AnnexA": "L8 Placement postcode"}),
    _c("urn", "string", "Ofsted URN of the placement, or SC999999 / XXXXXXX.",
       returns={"903": "URN", "AnnexA": "L8 URN of Placement"}),
    _c("pl_distance", "float", "Miles from home to placement (derived, as the 903 validator does).",
       returns={}),
    _c("placement_in_la", "bool", "Placement inside the council's boundary.",
       returns={"AnnexA": "L8 Placement Location"}),
)

LAC_REVIEWS = _table(
    "lac_reviews",
    "Looked-after child reviews.",
    ("child_id", "review_date"),
    CHILD_ID,
    _c("review_date", "date", "Date of the review.", required=True,
       returns={"903": "reviews.REVIEW", "AnnexA": "L8 Date of Latest Statutory Review (latest only)"}),
    _c("review_code", "string", "Method of participation PN0-PN7.", codes="REVIEW_CODE_CODES",
       returns={"903": "reviews.REVIEW_CODE"}),
)

MISSING_EPISODES = _table(
    "missing_episodes",
    "Episodes of a child being missing (whereabouts unknown) or away without authorisation.",
    ("missing_id",),
    _c("missing_id", "string", "Identifier of the episode.", required=True),
    CHILD_ID,
    _c("missing_type", "string", "M missing or A away.", required=True, codes="MISSING_TYPE_CODES",
       returns={"903": "missing.MISSING"}),
    _c("start_date", "date", "Start of the episode.", required=True, returns={"903": "missing.MIS_START"}),
    _c("end_date", "date", "End of the episode (blank while open).", returns={"903": "missing.MIS_END"}),
    _c("rhi_offered", "bool", "Return home interview offered after the episode.",
       returns={"AnnexA": "L8 Was the child offered a Return Interview after their last missing episode (latest only)"}),
    _c("rhi_accepted", "bool", "Return home interview accepted.",
       returns={"AnnexA": "L8 Did the child accept a Return Interview after their last missing episode (latest only)"}),
    _c("rhi_known_from", "date",
       "Date the return home interview fields became known, when later than the row (the first "
       "Annex A extract reporting them for the child's last missing episode). Blank: known with "
       "the row."),
)

PRE_PROCEEDINGS = _table(
    "pre_proceedings",
    "PLO pre-proceedings, as in the CIN census 2025-26 PreProceedingsandFGDM block.",
    ("pp_id",),
    _c("pp_id", "string", "Identifier of the pre-proceedings.", required=True),
    CHILD_ID,
    _c("referral_id", "string", "The CIN episode the pre-proceedings belong to."),
    _c("start_date", "date", "Pre-proceedings start (legal gateway decision).", required=True,
       returns={"CIN": "PPStartDate"}),
    _c("letter_before_proceedings_date", "date", "Letter before proceedings sent.",
       returns={"CIN": "LBPSentDate"}),
    _c("fgdm_offered", "bool", "Family group decision making meeting offered.",
       returns={"CIN": "FGDMMeetingOffer"}),
    _c("fgdm_facilitated", "bool", "Family group decision making meeting facilitated.",
       returns={"CIN": "FGDMMeetingFac"}),
    _c("initial_meeting_date", "date", "Initial pre-proceedings meeting.",
       returns={"CIN": "InitialPPMeetingDate"}),
    _c("review_meetings_count", "int", "Number of pre-proceedings review meetings.",
       returns={"CIN": "ReviewMeetingsCount"}),
    _c("decision_date", "date", "Date of the step decision (issue or step down).",
       returns={"CIN": "StepDecisionDate"}),
    _c("outcome", "string", "Outcome code.", codes="PP_OUTCOME_CODES", returns={"CIN": "PPOutcome"}),
    _c("court_application_date", "date", "Care application issued.", returns={"CIN": "CourtAppDate"}),
)

CARE_PROCEEDINGS = _table(
    "care_proceedings",
    "Care proceedings from application to final order (26-week limit, Children and Families Act 2014); "
    "derived at ingest from the 903 legal statuses (casemodel.proceedings) for children without a "
    "council record.",
    ("proceedings_id",),
    _c("proceedings_id", "string", "Identifier of the proceedings.", required=True),
    CHILD_ID,
    _c("application_date", "date", "Date the care application was issued.", required=True,
       returns={"CIN": "CourtAppDate (2025-26)", "903": "proxy: start of LS C1"}),
    _c("final_order_date", "date", "Date of the final order (blank while ongoing).",
       returns={"903": "proxy: end of LS C1"}),
    _c("final_order", "string", "Final order: care order, placement order, SGO, supervision order, "
       "child arrangements order or no order.", returns={"903": "proxy: LS after C1, or REC"}),
)

SW_EPISODES = _table(
    "sw_episodes",
    "Who held a looked-after child's case, as the 903 social worker episodes table records it: a "
    "full, event-dated history (each row known from its start), unlike Annex A's snapshots of the "
    "allocated worker. Worker changes of a looked-after child come from here where present.",
    ("sw_episode_id",),
    _c("sw_episode_id", "string", "Identifier of the social worker episode.", required=True),
    CHILD_ID,
    _c("worker_id", "string", "The social worker's identifier.", required=True, returns={"903": "SWEpisodes.SW_ID"}),
    _c("start_date", "date", "Date the worker took the case.", required=True,
       returns={"903": "SWEpisodes.SW_DECOM"}),
    _c("end_date", "date", "Date the worker stopped holding the case (blank while current).",
       returns={"903": "SWEpisodes.SW_DEC"}),
    _c("end_reason", "string", "Why the episode ended.", codes="SW_REASON_CODES",
       returns={"903": "SWEpisodes.SW_REASON"}),
)

CARE_LEAVERS = _table(
    "care_leavers",
    "Care leavers at their 17th to 21st birthdays (903 OC3): whether the council is in touch, "
    "their activity and their accommodation. One row per child and birthday.",
    ("child_id", "birthday_date"),
    CHILD_ID,
    _c("birthday_date", "date", "The 17th-21st birthday in the collection year the row describes "
       "(derived from DOB and the collection year).", required=True, returns={"903": "OC3.DOB + year"}),
    _c("age", "int", "Age at that birthday (17 to 21).", returns={"903": "OC3.DOB + year"}),
    _c("in_touch", "string", "Whether the council is in touch.", required=True, codes="IN_TOUCH_CODES",
       returns={"903": "OC3.IN_TOUCH", "AnnexA": "L9 LA in Touch"}),
    _c("activity", "string", "Main activity (education, training, employment or not).",
       codes="ACTIVITY_CODES", returns={"903": "OC3.ACTIV", "AnnexA": "L9 Activity Status"}),
    _c("accommodation", "string", "Accommodation type and suitability (1 suitable, 2 unsuitable).",
       codes="ACCOMMODATION_CODES", returns={"903": "OC3.ACCOM", "AnnexA": "L9 Type of Accommodation"}),
    _c("accommodation_suitable", "bool", "The accommodation is suitable (from the ACCOM code's "
       "second character; blank when there is no information).",
       returns={"903": "OC3.ACCOM", "AnnexA": "L9 Suitability of Accommodation"}),
)

HEALTH_OUTCOMES = _table(
    "health_outcomes",
    "Outcomes of children looked after for 12 months at 31 March (903 OC2): health checks, "
    "strengths and difficulties score, convictions, substance misuse.",
    ("child_id", "year_ending"),
    CHILD_ID,
    _c("year_ending", "date", "The 31 March the row describes (the collection year's end).", required=True),
    _c("sdq_score", "int", "Strengths and difficulties questionnaire score.", returns={"903": "OC2.SDQ_SCORE"}),
    _c("sdq_reason", "string", "Why no SDQ score was recorded.", returns={"903": "OC2.SDQ_REASON"}),
    _c("convicted", "bool", "Convicted or subject to a final warning or reprimand.",
       returns={"903": "OC2.CONVICTED"}),
    _c("health_check", "bool", "Health surveillance checks up to date.", returns={"903": "OC2.HEALTH_CHECK"}),
    _c("immunisations", "bool", "Immunisations up to date.", returns={"903": "OC2.IMMUNISATIONS"}),
    _c("teeth_check", "bool", "Teeth checked by a dentist.", returns={"903": "OC2.TEETH_CHECK"}),
    _c("health_assessment", "bool", "Annual health assessment done.", returns={"903": "OC2.HEALTH_ASSESSMENT"}),
    _c("substance_misuse", "bool", "Identified as having a substance misuse problem.",
       returns={"903": "OC2.SUBSTANCE_MISUSE"}),
    _c("intervention_received", "bool", "Received an intervention for substance misuse.",
       returns={"903": "OC2.INTERVENTION_RECEIVED"}),
    _c("intervention_offered", "bool", "Offered an intervention for substance misuse.",
       returns={"903": "OC2.INTERVENTION_OFFERED"}),
)

ADOPTIONS = _table(
    "adoptions",
    "Adoption decisions and matches (903 AD1).",
    ("child_id", "decision_date"),
    CHILD_ID,
    _c("decision_date", "date", "Date of the decision that the child should be placed for adoption.",
       required=True, returns={"903": "AD1.DATE_INT", "AnnexA": "L10 Date of decision that child should be placed for adoption"}),
    _c("match_date", "date", "Date the child was matched with prospective adopters.",
       returns={"903": "AD1.DATE_MATCH", "AnnexA": "L10 Date of matching child and prospective adopters"}),
    _c("foster_care", "bool", "Adopted by their foster carers.", returns={"903": "AD1.FOSTER_CARE"}),
    _c("number_of_adopters", "int", "Number of adopters.", returns={"903": "AD1.NB_ADOPTR"}),
    _c("sex_of_adopters", "string", "Sex of the adopters, as coded.", returns={"903": "AD1.SEX_ADOPTR"}),
    _c("legal_status_of_adopters", "string", "Legal status of the adopters, as coded.",
       returns={"903": "AD1.LS_ADOPTR"}),
)

PLACED_FOR_ADOPTION = _table(
    "placed_for_adoption",
    "Decisions that a child should be placed for adoption and when they ceased (903 PlacedAdoption).",
    ("child_id", "placed_date"),
    CHILD_ID,
    _c("placed_date", "date", "Date of the decision that the child should be placed for adoption.",
       required=True, returns={"903": "PlacedAdoption.DATE_PLACED"}),
    _c("ceased_date", "date", "Date that decision ceased (blank while current).",
       returns={"903": "PlacedAdoption.DATE_PLACED_CEASED"}),
    _c("ceased_reason", "string", "Why it ceased, as coded.", returns={"903": "PlacedAdoption.REASON_PLACED_CEASED"}),
)

PREVIOUS_PERMANENCE = _table(
    "previous_permanence",
    "The permanence option a child had before this period of care (903 PrevPerm).",
    ("child_id",),
    CHILD_ID,
    _c("prev_perm", "string", "Previous permanence option.", required=True, codes="PREV_PERM_CODES",
       returns={"903": "PrevPerm.PREV_PERM"}),
    _c("la_perm", "string", "Council that granted it (usually blank).", returns={"903": "PrevPerm.LA_PERM"}),
    _c("date_perm", "string", "Date it was granted as written (zz for unknown parts, as the return allows).",
       returns={"903": "PrevPerm.DATE_PERM"}),
)

VISITS = _table(
    "visits",
    "Statutory visits to the child.",
    ("visit_id",),
    _c("visit_id", "string", "Identifier of the visit.", required=True),
    CHILD_ID,
    _c("visit_date", "date", "Date of the visit.", required=True,
       returns={"AnnexA": "L6 Date Child Was Last Seen / L7 Date of the Last Statutory Visit / "
                          "L8 Date of Last Social Work Visit (latest only)"}),
    _c("visit_type", "string", "CIN, CP or LAC visit.", required=True),
    _c("seen_alone", "bool", "Child seen alone.", returns={"AnnexA": "L7 Was the Child Seen Alone?"}),
)

ALLOCATIONS = _table(
    "allocations",
    "Which team and worker a child's case was allocated to, over time.",
    ("allocation_id",),
    _c("allocation_id", "string", "Identifier of the allocation.", required=True),
    CHILD_ID,
    _c("team", "string", "Allocated team.", required=True, returns={"AnnexA": "Allocated Team"}),
    _c("worker_id", "string", "Allocated worker identifier.", required=True,
       returns={"903": "SWEpisodes.SW_ID"}),
    _c("start_date", "date", "Allocation start.", required=True, returns={"903": "SWEpisodes.SW_DECOM"}),
    _c("end_date", "date", "Allocation end (blank while current).", returns={"903": "SWEpisodes.SW_DEC"}),
    _c("end_reason", "string", "Why the allocation ended (903 SW_REASON codes).", codes="SW_REASON_CODES",
       returns={"903": "SWEpisodes.SW_REASON"}),
)

WORKERS = _table(
    "workers",
    "Social workers and the team each belongs to (for caseloads and worker changes).",
    ("worker_id",),
    _c("worker_id", "string", "Worker identifier.", required=True),
    _c("worker_name", "string", "Worker's name as shown to QA leads (removed from shared outputs).",
       returns={"AnnexA": "Allocated Worker"}),
    _c("team", "string", "Team the worker belongs to.", required=True, returns={"AnnexA": "Allocated Team"}),
    _c("service", "string", "Service the team belongs to (front door, CIN/CP, children in care)."),
    _c("start_date", "date", "Date the worker joined.", required=True),
    _c("end_date", "date", "Date the worker left (blank while in post)."),
)

AUDITS = _table(
    "audits",
    "Historical quality-assurance case audits (the council's audit log; no return carries it).",
    ("audit_id",),
    _c("audit_id", "string", "Identifier of the audit.", required=True),
    CHILD_ID,
    _c("audit_date", "date", "Date the audit was completed.", required=True),
    _c("auditor", "string", "Auditor (practice manager) identifier.", required=True),
    _c("team", "string", "Team the case was allocated to when audited."),
    _c("service", "string", "Service the case was open to: CIN, CP or LAC."),
    _c("grade", "string", "Outstanding, Good, Requires improvement or Inadequate.", required=True, codes="AUDIT_GRADES"),
    _c("drift_found", "bool", "The auditor found drift or delay.", required=True),
    _c("selection_reason", "string", "Why the case was audited: random, targeted, thematic or re-audit.",
       required=True, codes="AUDIT_SELECTION_REASONS"),
    _c("inclusion_probability", "float", "Probability the case was selected that month, when known."),
    _c("actions_set", "bool", "The audit set actions (drives a re-audit three months later)."),
)

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)


def conform(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Return ``df`` with exactly the table's columns, in order, cast to the canonical dtypes.

    Missing optional columns are added empty; a missing required column raises
    :class:`~driftflag.errors.SchemaError`; unknown columns are dropped. Casting is strict: a
    value that cannot be represented raises (callers validate before conforming).
    """
    from driftflag.errors import SchemaError

    absent = [c.name for c in table.columns if c.required and c.name not in df.columns]
    if absent and len(df):
        raise SchemaError(f"table {table.name}: required column(s) missing: {', '.join(absent)}")
    out = {}
    n = len(df)
    for col in table.columns:
        if col.name in df.columns:
            s = df[col.name]
        else:
            s = pd.Series([None] * n, index=df.index, dtype="object")
        if col.kind == "date":
            s = pd.to_datetime(s).astype("datetime64[ns]")
        elif col.kind == "string":
            s = s.astype("str")
        else:
            s = s.astype(col.dtype)
        out[col.name] = s
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)
