"""The sampling policy: presets load; bad files are refused with the file and key named."""

from pathlib import Path

import pytest

from driftflag.errors import ConfigError
from driftflag.worklist.policy import WorklistPolicy

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["monthly_audit", "ofsted_monitoring_visit"])
def test_presets_load(name):
    pol = WorklistPolicy.from_yaml(ROOT / "pipelines" / f"{name}.yaml")
    assert pol.name == name


def test_ofsted_preset_pulls_six_previously_audited_cases():
    pol = WorklistPolicy.from_yaml(ROOT / "pipelines" / "ofsted_monitoring_visit.yaml")
    assert pol.previously_audited is not None
    assert pol.previously_audited.size == 6 and pol.previously_audited.within_months == 3
    assert pol.exclude_audited_within_months == 0


@pytest.mark.parametrize("text, message", [
    ("name: x\nsize: 10\nshares: {highest_risk: 0.5, rule_flagged: 0.2, random: 0.2}\n",
     "shares: shares must sum to 1 (they sum to 0.9)"),
    ("name: x\nsize: 10\nsharez: 1\nshares: {highest_risk: 1, rule_flagged: 0, random: 0}\n",
     "sharez: unknown key 'sharez'"),
    ("name: x\nsize: 0\nshares: {highest_risk: 1, rule_flagged: 0, random: 0}\n",
     "size: Input should be greater than or equal to 1"),
    ("name: x\nsize: 5\nshares: {highest_risk: 1, rule_flagged: 0, random: 0}\n"
     "thematic: [{theme: missing, size: 6}]\n", "exceed size"),
    ("name: x\nsize: 5\nshares: {highest_risk: 1, rule_flagged: 0, random: 0}\n"
     "rule_flags: [visit_overdue, ethnicity]\n", "protected characteristics: ethnicity"),
    ("name: x\nsize: 9\nshares: {highest_risk: 1, rule_flagged: 0, random: 0}\n"
     "previously_audited: {size: 6}\n", "exclude_audited_within_months must be 0"),
    ("name: x\nsize: 9\nshares: {highest_risk: 1, rule_flagged: 0, random: 0}\n"
     "thematic: [{theme: gangs, size: 1}]\n", "thematic.0.theme"),
    ("- not a mapping\n", "a worklist policy is a mapping"),
    ("name: [unclosed\n", "not valid YAML"),
])
def test_bad_policies_are_refused_naming_file_and_key(tmp_path, text, message):
    p = tmp_path / "policy.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        WorklistPolicy.from_yaml(p)
    assert str(e.value).startswith(str(p))
    assert message in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the worklist policy"):
        WorklistPolicy.from_yaml(tmp_path / "nope.yaml")


def test_one_k_across_training_and_the_worklist():
    """Training evaluates precision at the k cases the worklist lists: the same k everywhere."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    train = yaml.safe_load((root / "pipelines" / "train.yaml").read_text())
    size = WorklistPolicy.from_yaml(root / "pipelines" / "monthly_audit.yaml").size
    ks = {}
    for st in train["steps"]:
        with_ = st.get("with") or {}
        for where, block in ((st["id"], with_), (f"{st['id']}.config", with_.get("config") or {})):
            if "k" in block:
                ks[where] = block["k"]
    # the train step's evaluation k (its config) and the fairness pack's k both equal the list size
    assert {"train.config", "fairness"} <= set(ks) and set(ks.values()) == {size}, ks
