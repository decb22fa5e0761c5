"""Who may see and do what: the four roles as Django groups, and the role matrix.

A user has one role (their group). :data:`MATRIX` is the rule every view checks through
:func:`allowed`; the tests walk it role by role and page by page. An auditor sees a case card
only for a case assigned to them (checked in the view on top of the matrix).
"""

from __future__ import annotations

QA_LEAD = "qa_lead"
AUDITOR = "auditor"
ETHICS = "ethics_panel"
DATA_SCIENTIST = "data_scientist"

#: Role name -> what people call it.
ROLES: dict[str, str] = {
    QA_LEAD: "QA lead",
    AUDITOR: "Auditor (practice manager)",
    ETHICS: "Ethics panel",
    DATA_SCIENTIST: "Data scientist",
}

#: Page or action -> the roles allowed. Child-level pages are marked in :data:`CHILD_LEVEL`.
MATRIX: dict[str, frozenset[str]] = {
    "home": frozenset(ROLES),
    "worklist": frozenset({QA_LEAD}),
    "assign": frozenset({QA_LEAD}),
    "make_worklist": frozenset({QA_LEAD}),
    "export_workbook": frozenset({QA_LEAD}),
    "all_audits": frozenset({QA_LEAD}),
    "moderate": frozenset({QA_LEAD}),
    "audit_report": frozenset({QA_LEAD}),
    "access_log": frozenset({QA_LEAD}),
    "my_cases": frozenset({AUDITOR}),
    "case_card": frozenset({QA_LEAD, AUDITOR}),
    "enter_audit": frozenset({AUDITOR}),
    "scorecard": frozenset({QA_LEAD, ETHICS, DATA_SCIENTIST}),
    "fairness": frozenset({QA_LEAD, ETHICS, DATA_SCIENTIST}),
    "aggregates": frozenset({QA_LEAD, ETHICS, DATA_SCIENTIST}),
    "models": frozenset({DATA_SCIENTIST}),
    "monitoring": frozenset({DATA_SCIENTIST}),
}
#: Pages that show a child (each view of one is written to the access log).
CHILD_LEVEL = frozenset({"worklist", "export_workbook", "all_audits", "my_cases", "case_card"})


def role_of(user) -> str | None:
    """The user's role (the first of their groups that is a role), None for none."""
    if not getattr(user, "is_authenticated", False):
        return None
    names = set(user.groups.values_list("name", flat=True))
    return next((r for r in ROLES if r in names), None)


def allowed(user, page: str) -> bool:
    return role_of(user) in MATRIX[page]


def ensure_groups() -> None:
    """Create the role groups (idempotent)."""
    from django.contrib.auth.models import Group

    for name in ROLES:
        Group.objects.get_or_create(name=name)


def set_role(user, role: str) -> None:
    """Give ``user`` exactly one role."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    from django.contrib.auth.models import Group

    ensure_groups()
    user.groups.remove(*Group.objects.filter(name__in=list(ROLES)))
    user.groups.add(Group.objects.get(name=role))
