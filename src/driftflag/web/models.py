"""What the web app's own database keeps: assignments, the access log and failed sign-ins.

Audits are not here: they live in the store's append-only ledger
(:mod:`driftflag.casemodel.ledger`). Roles are Django groups (:mod:`driftflag.web.roles`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Assignment(models.Model):
    """A case on a month's worklist given to an auditor by the QA lead (one auditor per case)."""

    month = models.CharField(max_length=7)
    child_id = models.CharField(max_length=64)
    auditor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.CharField(max_length=150)
    assigned_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "child_id"], name="one_auditor_per_case")]
        ordering = ["month", "child_id"]

    def __str__(self) -> str:
        return f"{self.month} case {self.child_id} to {self.auditor}"


class AccessEntry(models.Model):
    """One look at a child-level page, one change, or one sign-in event: who, when, what."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=40)
    month = models.CharField(max_length=7, blank=True)
    child_id = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "access entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.child_id}"


class FailedSignIn(models.Model):
    """A failed sign-in, counted to throttle guessing (:mod:`driftflag.web.security`)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=64, db_index=True)
