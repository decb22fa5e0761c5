"""The natural key of each canonical table: the child and the event's own date (plus what tells
two same-day events apart). Ingest reconciles returns on them and validation checks them, so they
belong to the case model both read. (Moved here from ``driftflag.ingest.reconcile``.)"""

from __future__ import annotations

NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "children": ("child_id",),
    "referrals": ("child_id", "referral_date"),
    "assessments": ("child_id", "start_date"),
    "section47": ("child_id", "start_date"),
    "cin_plans": ("child_id", "start_date"),
    "cp_plans": ("child_id", "start_date"),
    "cp_reviews": ("child_id", "cp_plan_id", "review_date"),
    "lac_episodes": ("child_id", "decom"),
    "lac_reviews": ("child_id", "review_date"),
    "missing_episodes": ("child_id", "start_date", "missing_type"),
    "pre_proceedings": ("child_id", "start_date"),
    "care_proceedings": ("child_id", "application_date"),
    "visits": ("child_id", "visit_type", "visit_date"),
    "allocations": ("child_id", "team", "worker_id", "start_date"),
    "sw_episodes": ("child_id", "start_date"),
    "care_leavers": ("child_id", "birthday_date"),
    "health_outcomes": ("child_id", "year_ending"),
    "adoptions": ("child_id", "decision_date"),
    "placed_for_adoption": ("child_id", "placed_date"),
    "previous_permanence": ("child_id",),
    "workers": ("worker_id",),
    "audits": ("audit_id",),
}
