"""Model columns and coded indicator values in words, for everything people read.

A model column is an indicator id (``cp_plan_days``) or a one-hot column of a coded indicator
(``legal_status=C1``); people read the registry's label and the code list's words instead
("Legal status: interim care order"). Shared by the worklist's reasons, the model card and the
fairness pack, so that no page shows a bare code-list value.
"""

from __future__ import annotations

import pandas as pd

from driftflag.casemodel.codes import ANNEX_A_PERMANENCE_PLAN, LEGAL_STATUS_LABELS

__all__ = ["CODE_WORDS", "code_words", "feature_words"]

_CATEGORY_WORDS = {"NEG": "neglect", "PHY": "physical abuse", "SAB": "sexual abuse",
                   "EMO": "emotional abuse", "MUL": "multiple categories"}
#: Code lists shown in words (a reason never reads "FOSTERING" or "C1").
_PERMANENCE_WORDS = {k: v.split(") ", 1)[-1].lower() for k, v in ANNEX_A_PERMANENCE_PLAN.items()}
_LEGAL_STATUS_WORDS = {k: v[0].lower() + v[1:] if not v[:2].isupper() else v
                       for k, v in LEGAL_STATUS_LABELS.items()}
CODE_WORDS: dict[str, dict[str, str]] = {"cp_category": _CATEGORY_WORDS, "permanence_plan": _PERMANENCE_WORDS,
                                         "legal_status": _LEGAL_STATUS_WORDS}


def code_words(indicator: str, values: pd.Series) -> pd.Series:
    """Coded values of ``indicator`` in words; an unknown code is shown as "other (CODE)" so the
    reader sees it is a code, never a bare code-list value."""
    words = CODE_WORDS.get(indicator, {})
    return values.astype("object").map(
        lambda c: "" if c is None or c != c else words.get(str(c), f"other ({c})" if words else
                                                         str(c).replace("_", " ").lower()))


def feature_words(name: str, registry=None) -> str:
    """A model column in words: the indicator's label from the registry, and for a one-hot
    column the code's words (``legal_status=C1`` -> "Legal status: interim care order")."""
    from driftflag.indicators.registry import load_registry

    reg = registry if registry is not None else load_registry()
    base, eq, code = name.partition("=")
    label = reg[base].label if base in reg else base.replace("_", " ").capitalize()
    if not eq:
        return label
    words = CODE_WORDS.get(base, {})
    return f"{label}: {words.get(code, f'other ({code})' if words else code.replace('_', ' ').lower())}"
