"""driftflag: find drifting cases in English children's social care.

driftflag derives drift-and-delay indicators from case data, trains interpretable models and
produces a monthly case-audit worklist. Flags prompt an audit by a person; they never decide
anything about a family.
"""

__version__ = "0.1.0"

#: Printed on every output: what a flag is and is not.
HUMAN_DECISION_NOTICE = (
    "driftflag prioritises cases for audit by a person. A flag is a prompt to look at a case; "
    "it never decides anything about a child or family."
)
