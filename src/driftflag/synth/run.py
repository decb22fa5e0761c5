"""Write a synthetic LA to disk: the returns, the canonical store and the truth.

Layout of ``DIR``::

    ssda903/<2025-26>/header.csv episodes.csv uasc.csv missing.csv reviews.csv sw_episodes.csv oc3.csv
                                                   (or ssda903_<2025-26>.xml with --903-form xml)
    cin_census/cin_census_<2025-26>.xml
    annex_a/annex_a_<last month end>.xlsx          the latest Annex A workbook
    annex_a/annex_a_<month end>_list_<n>.csv       earlier month ends (the last ``annex_a_months``)
                                                   as CSV exports of each list
    audits/qa_audit_log.xlsx
    canonical/        the case store (Parquet + manifest.json)
    truth/            latent drivers and true drift probabilities (never in the returns)
    synth_manifest.json

The whole folder is built beside ``DIR`` and renamed into place, so a failed run leaves nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from driftflag._atomic import staged_dir
from driftflag.casemodel.store import file_sha256, write_store
from driftflag.errors import ConfigError
from driftflag.synth.config import SynthConfig
from driftflag.synth.generator import SynthResult, generate

STEPS = ("population", "journeys", "allocations", "visits", "truth and audits",
         "canonical tables", "case store", "SSDA903", "CIN census", "Annex A", "audit log",
         "manifest")

TRUTH_README = """\
# truth/

What the simulator knows and no council record holds. Never use these as model inputs.

- `drift_monthly.parquet`: one row per open case on the first day of each month: `child_id`,
  `as_of`, `service` (LAC, CP, CIN, ASSESSMENT) and `p_drift`, the true probability that an audit
  that month would find drift (before auditor optimism or any injected bias).
- `children.parquet`: latent `stuckness` and `severity`, whether neglect was masked by disability,
  and whether the child had a CIN or CP plan before first becoming looked after.
- `audits.parquet`: for each audit in the audit log, the true drift and true grade.
- `messy_faults.csv` (only with `--messy`): every fault injected into the return files, with the
  file, row or element path, column, original and injected value and the kind of fault.
- `mechanisms.json`: the planted mechanisms, the profile and any `--bias` spec.
"""


def _hash_config(cfg: SynthConfig) -> str:
    return hashlib.sha256(cfg.model_dump_json().encode()).hexdigest()[:16]


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, index=False, compression="zstd")


def run_synth(
    cfg: SynthConfig,
    out_dir: Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Generate the LA of ``cfg`` and write it to ``out_dir``; return a short summary."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise ConfigError(f"{out_dir} exists and is not empty; pass --force to replace it")
    step = progress or (lambda _s: None)
    from driftflag.synth import writers

    with staged_dir(out_dir, kind="synthetic LA", legacy=("synth_manifest.json", "canonical", "ssda903",
                                                          "cin_census", "annex_a", "audits", "truth")) as tmp:
        result: SynthResult = generate(cfg, progress=step)
        store = result.store
        step("case store")
        created = datetime.combine(cfg.end, time(0, 0))
        write_store(store, tmp / "canonical", created_at=created,
                    extra={"generator": {"synth": cfg.model_dump(mode="json"),
                                         "config_hash": _hash_config(cfg)}})
        injector = None
        if cfg.messy > 0:
            from driftflag.synth.messy import MessyInjector

            injector = MessyInjector(
                cfg.messy, np.random.default_rng(np.random.SeedSequence([cfg.seed, 99])))
        step("SSDA903")
        writers.write_ssda903(store, tmp, cfg.collection_years, faults=injector, form=cfg.ssda903_form)
        step("CIN census")
        writers.write_cin_census(store, tmp, cfg.collection_years, la_code=cfg.la_code,
                                 faults=injector)
        step("Annex A")
        from driftflag.synth.writers.annex_a import annex_a_extract_dates

        writers.write_annex_a_series(store, tmp, annex_a_extract_dates(cfg.start, cfg.end, cfg.annex_a_months),
                             faults=injector)
        step("audit log")
        writers.write_audit_log(store, tmp, faults=injector)

        step("manifest")
        truth_dir = tmp / "truth"
        truth_dir.mkdir()
        for name, df in result.truth.items():
            _write_parquet(df, truth_dir / f"{name}.parquet")
        if injector is not None:
            injector.ledger().to_csv(truth_dir / "messy_faults.csv", index=False)
        (truth_dir / "README.md").write_text(TRUTH_README)
        (truth_dir / "mechanisms.json").write_text(
            json.dumps(_mechanisms(cfg), indent=2, sort_keys=True) + "\n")
        # the folder marker (a dot file) is rewritten when the output is swapped into place
        files = sorted(p for p in tmp.rglob("*")
                       if p.is_file() and not p.relative_to(tmp).parts[0].startswith("."))
        manifest = {
            "config": cfg.model_dump(mode="json"),
            "config_hash": _hash_config(cfg),
            "extract_date": cfg.end.isoformat(),
            "collection_years": cfg.collection_years,
            "row_counts": store.row_counts(),
            "files": {str(p.relative_to(tmp)): file_sha256(p) for p in files},
        }
        (tmp / "synth_manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    counts = store.row_counts()
    return (
        f"Synthetic LA written to {out_dir}: {counts['children']:,} children, "
        f"{counts['referrals']:,} referrals, {counts['cp_plans']:,} child protection plans, "
        f"{counts['lac_episodes']:,} looked-after episodes, {counts['audits']:,} QA audits "
        f"({cfg.collection_years[0] - 1}-{cfg.collection_years[-1]}, seed {cfg.seed})."
    )


def _mechanisms(cfg: SynthConfig) -> dict:
    from driftflag.synth.config import PROFILES

    return {
        "planted_mechanisms": {
            "stuckness": "latent N(0,1) per child; lengthens CP plans, PLO pre-proceedings and "
                         "care proceedings, delays reviews and visits, raises missing episodes, "
                         "re-referral and the true drift probability",
            "workload": "team pressure by year; lengthens assessments and plans, raises worker "
                        "changes and the true drift probability",
            "neglect_masked_by_disability": "45% of disabled children whose referral would lead "
                                            "to a CP plan for neglect or emotional abuse get a "
                                            "longer CIN plan instead (S4:722)",
            "abrupt_entry_to_care": "Black and Asian children enter care with fewer prior CIN/CP "
                                    "plans (S1:545)",
            "auditor_optimism": "40% of RI/Inadequate cases graded one level too high (S4:833)",
        },
        "bias": cfg.bias.model_dump() if cfg.bias else None,
        "profile": PROFILES[cfg.profile].model_dump(mode="json"),
    }
