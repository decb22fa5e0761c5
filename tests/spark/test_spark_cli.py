"""``driftflag features --engine spark`` over a pool of stores, and the one-line refusals."""

from __future__ import annotations

import pandas as pd
import pytest
from spark_helpers import pandas_pool_panel
from typer.testing import CliRunner

from driftflag.cli import app
from driftflag.errors import ConfigError

runner = CliRunner()


@pytest.mark.slow
def test_features_engine_spark_writes_the_pool_panel_and_its_coverage(spark, pool, tmp_path):
    from driftflag.indicators import feature_coverage, load_registry

    out = tmp_path / "pooled"
    args = ["features", "--engine", "spark", "--from", "2025-11", "--to", "2025-11", "--out", str(out)]
    for s in pool:
        args += ["--store", str(s.path), "--la-code", s.la_code]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "3 councils: 201, 202, 203" in result.output
    panel = pd.read_parquet(out / "panel")
    expected = pandas_pool_panel(pool, "2025-11-01", "2025-11-01")
    assert len(panel) == len(expected)
    assert sorted(zip(panel["la_code"], panel["child_id"], panel["as_of"], strict=True)) == \
        sorted(zip(expected["la_code"], expected["child_id"], expected["as_of"], strict=True))
    written = pd.read_csv(out / "coverage.csv", index_col="feature")
    reference = feature_coverage(expected, load_registry().model_features()).round(4)
    pd.testing.assert_frame_equal(written, reference, check_names=False)
    # an input store is refused as the output, before any work
    refused = runner.invoke(app, [*args[:-1], str(pool[0].path)])
    assert refused.exit_code == 2 and "Traceback" not in refused.output


def test_pandas_engine_reads_one_store(tmp_path):
    result = runner.invoke(app, ["features", "--store", "a", "--store", "b", "--from", "2025-01",
                                 "--to", "2025-02", "--out", str(tmp_path / "p.parquet")])
    assert result.exit_code == 2
    assert "pool several councils with --engine spark" in result.output


def test_missing_spark_extra_is_one_line(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if the extra were not installed
    result = runner.invoke(app, ["features", "--engine", "spark", "--store", str(tmp_path),
                                 "--from", "2025-01", "--to", "2025-02", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "pip install 'driftflag[spark]'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_pipeline_features_step_names_its_engine(tmp_path):
    """The panel step of a pipeline takes the engine; a wrong one is refused, naming the key,
    before any work."""
    from driftflag.pipeline import PipelineConfig

    text = ("name: pool\nsteps:\n  - id: panel\n    kind: features\n    with: {stores: [a, b], "
            "la_codes: ['201', '202'], first: 2025-01, last: 2025-03, out: o, engine: ENGINE}\n")
    good = tmp_path / "good.yaml"
    good.write_text(text.replace("ENGINE", "spark"))
    step = PipelineConfig.from_yaml(good).steps[0]
    assert step.kind == "features"
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("ENGINE", "dask"))
    with pytest.raises(ConfigError, match=r"steps\[0\] \(panel\)\.with\.engine"):
        PipelineConfig.from_yaml(bad)
