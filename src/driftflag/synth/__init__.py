"""Synthetic local authority: a realistic, calibrated test bed in the real return formats."""

from driftflag.synth.config import BiasSpec, Profile, SynthConfig
from driftflag.synth.generator import SynthResult, generate

__all__ = ["BiasSpec", "Profile", "SynthConfig", "SynthResult", "generate", "run_synth"]


def run_synth(*args, **kwargs):
    """Generate and write a synthetic LA (see :func:`driftflag.synth.run.run_synth`)."""
    from driftflag.synth.run import run_synth as _run

    return _run(*args, **kwargs)
