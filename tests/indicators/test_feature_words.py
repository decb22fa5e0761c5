"""Model columns in words: what the model card and the fairness pack list instead of codes."""

from driftflag.casemodel.codes import LEGAL_STATUS_LABELS
from driftflag.indicators.registry import load_registry
from driftflag.indicators.words import feature_words


def test_every_model_feature_of_the_registry_reads_as_words():
    reg = load_registry()
    for name in reg.model_features():
        words = feature_words(name, reg)
        assert "_" not in words and words[0].isupper(), (name, words)


def test_one_hot_columns_show_the_codes_words_never_the_code():
    for code in LEGAL_STATUS_LABELS:
        words = feature_words(f"legal_status={code}")
        assert words.startswith("Legal status") and f": {code}" not in words, words
    assert feature_words("cp_category=NEG").endswith(": neglect")
    assert feature_words("legal_status=ZZ").endswith("other (ZZ)")  # shown as a code, in brackets
