"""The web face of the audit month: a Django application over the stage API and the audit ledger.

``driftflag serve --workspace W --store S`` runs it. Django is a thin face here: the month's
worklist is the one the worklist stage (:func:`driftflag.stages.worklist`) issued into the store,
and audits are read and written only through :mod:`driftflag.casemodel.ledger`, so an audit
entered on a case card is the same record ``driftflag audits report`` and training read (one
ledger, no double entry). Django's own database holds only people: users and their roles,
assignments of cases to auditors, the access log, sessions and failed sign-ins.

Flags prompt an audit by a person; they never decide anything about a child or family: every
page says so.

Modules: :mod:`.config` (settings from the workspace and store paths), :mod:`.roles` (who may
see what), :mod:`.month_data` (reading the month from the store), :mod:`.audit_entry` (the audit
form's rules and its ledger writes), :mod:`.charts` (inline SVG), :mod:`.security` (headers,
throttled sign-in), :mod:`.views`, :mod:`.server` (serving and adding users).
"""

from driftflag.web.config import configure

__all__ = ["configure"]
