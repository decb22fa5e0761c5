"""Pipelines: YAML definitions of multi-step runs (train, monthly audit, monitoring)."""

from driftflag.pipeline.config import PipelineConfig
from driftflag.pipeline.runner import PipelineStepError, StepOutcome, run_pipeline

__all__ = ["PipelineConfig", "PipelineStepError", "StepOutcome", "run_pipeline"]
