"""Teams, social workers, caseload pressure and case allocations.

Planted workload mechanism (documented in ``docs/synthetic-la.md``): every team has a pressure
level that varies by year (under-staffing, vacancies). Pressure lengthens assessments, spaces
out visits, lengthens child protection plans and raises worker turnover, so cases in pressured
teams drift more and see more changes of worker. Workers leave after a tenure drawn per post;
their cases are reallocated (903 ``SW_REASON`` LEFTRL), and cases are also moved between
workers for other reasons (CHCHAN, ORGRST, MANAGE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from driftflag.synth._util import NA, choice, day
from driftflag.synth.config import Profile, SynthConfig

SERVICES: dict[str, str] = {
    "FD": "Duty and Assessment",
    "IP": "Intervention and Planning",
    "CIC": "Children in Care",
    "DIS": "0-25 Disability",
}

_FIRST = (
    "Amira", "Ben", "Chloe", "Daniel", "Efua", "Fatima", "George", "Hannah", "Imran", "Jade",
    "Kwame", "Laura", "Mohammed", "Niamh", "Oliver", "Priya", "Rachel", "Samuel", "Tomasz",
    "Uma", "Victoria", "Wei", "Yasmin", "Zoe", "Aisha", "Callum", "Deborah", "Grace", "Joseph",
    "Leah",
)
_LAST = (
    "Adeyemi", "Baker", "Campbell", "Davies", "Evans", "Fernandes", "Green", "Hussain", "Iqbal",
    "Jones", "Khan", "Lewis", "Mensah", "Nowak", "O'Brien", "Patel", "Quinn", "Roberts", "Smith",
    "Taylor", "Walker", "Wilson", "Wright", "Young", "Ahmed", "Brown", "Clarke", "Okafor",
)


@dataclass
class Workforce:
    teams: pd.DataFrame  # team_no, team, service, n_slots
    pressure: np.ndarray  # [team_no, year_index]
    workers: pd.DataFrame  # worker_no, worker_id, worker_name, team_no, slot, start, end
    year0: int
    slot_keys: np.ndarray  # sorted key of (global slot, start) for incumbent lookup
    slot_worker: np.ndarray
    slot_end: np.ndarray
    team_of_service: dict[str, np.ndarray]
    slots_of_team: np.ndarray  # first global slot number of each team
    n_slots: np.ndarray

    def team_for(self, service: str, district: np.ndarray) -> np.ndarray:
        """Team number for a service and the child's home district (teams work in patches)."""
        teams = self.team_of_service[service]
        return teams[(district - 1) % len(teams)]

    def pressure_at(self, team_no: np.ndarray, days: np.ndarray) -> np.ndarray:
        yi = np.clip((np.asarray(days) - self.year0) // 365, 0, self.pressure.shape[1] - 1)
        return self.pressure[team_no, yi]

    def incumbent(self, slot: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Worker in post in a global slot on a day, and the day that worker leaves."""
        key = slot.astype(np.int64) * 200000 + (days - self.year0 + 50000)
        pos = np.searchsorted(self.slot_keys, key, side="right") - 1
        return self.slot_worker[pos], self.slot_end[pos]


def build_workforce(cfg: SynthConfig, prof: Profile, rng: np.random.Generator) -> Workforce:
    n = cfg.children
    counts = {
        "FD": max(1, round(n / 4000)),
        "IP": max(1, round(n / 2000)),
        "CIC": max(1, round(n / 4500)),
        "DIS": max(1, round(n / 15000)),
    }
    rows = []
    for svc, k in counts.items():
        for i in range(k):
            rows.append({"service": svc, "team": f"{SERVICES[svc]} {i + 1}" if k > 1 else SERVICES[svc]})
    teams = pd.DataFrame(rows)
    teams["team_no"] = np.arange(len(teams))
    n_teams = len(teams)
    teams["n_slots"] = prof.workers_per_team + rng.integers(-1, 3, size=n_teams)
    n_years = cfg.years + 2
    base = rng.normal(0.0, 0.6, size=n_teams)
    shock = rng.normal(0.0, 0.5, size=(n_teams, n_years))
    pressure = base[:, None] + shock
    year0 = day(cfg.start) - 365

    n_slots = teams["n_slots"].to_numpy()
    slots_of_team = np.concatenate([[0], np.cumsum(n_slots)[:-1]])
    total_slots = int(n_slots.sum())
    slot_team = np.repeat(np.arange(n_teams), n_slots)
    # A chain of workers per post: tenure exponential, mean 3 years, shorter under pressure.
    k = 16
    mean_tenure = 3 * 365 * np.exp(-0.35 * base[slot_team])
    tenure = rng.exponential(mean_tenure[:, None], size=(total_slots, k)).astype(np.int64) + 60
    first_start = year0 - rng.integers(0, 3 * 365, size=total_slots)
    starts = first_start[:, None] + np.concatenate(
        [np.zeros((total_slots, 1), dtype=np.int64), np.cumsum(tenure, axis=1)[:, :-1]], axis=1
    )
    ends = starts + tenure
    end_day = day(cfg.end)
    keep = starts <= end_day + 3650
    slot_idx = np.repeat(np.arange(total_slots), k).reshape(total_slots, k)[keep]
    w_start, w_end = starts[keep], ends[keep]
    order = np.lexsort((w_start, slot_idx))
    slot_idx, w_start, w_end = slot_idx[order], w_start[order], w_end[order]
    nw = len(slot_idx)
    names = np.char.add(
        np.char.add(choice(rng, _FIRST, np.ones(len(_FIRST)), nw).astype(str), " "),
        choice(rng, _LAST, np.ones(len(_LAST)), nw).astype(str),
    )
    workers = pd.DataFrame({
        "worker_no": np.arange(nw),
        "worker_id": [f"SW{i + 1:05d}" for i in range(nw)],
        "worker_name": names.astype(object),
        "team_no": slot_team[slot_idx],
        "slot": slot_idx,
        "start": w_start,
        "end": np.where(w_end > end_day, NA, w_end),
        "end_natural": w_end,
    })
    slot_keys = slot_idx.astype(np.int64) * 200000 + (w_start - year0 + 50000)
    team_of_service = {
        s: teams.loc[teams["service"] == s, "team_no"].to_numpy() for s in SERVICES
    }
    return Workforce(
        teams=teams, pressure=pressure, workers=workers, year0=year0, slot_keys=slot_keys,
        slot_worker=np.arange(nw), slot_end=w_end, team_of_service=team_of_service,
        slots_of_team=slots_of_team, n_slots=n_slots,
    )


def allocate(
    wf: Workforce,
    prof: Profile,
    rng: np.random.Generator,
    child_no: np.ndarray,
    team_no: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
) -> pd.DataFrame:
    """Split each phase [start, end) into allocation segments with a worker each.

    Segments break at random reallocations (rate ``worker_changes_per_year``, higher under
    pressure) and wherever the allocated worker leaves.
    """
    n = len(child_no)
    pr = wf.pressure_at(team_no, start)
    rate = prof.worker_changes_per_year / 365.0 * np.exp(0.45 * pr) * 0.6
    dur = np.maximum(end - start, 1)
    nb = rng.poisson(rate * dur)
    idx = np.repeat(np.arange(n), nb)
    cut = start[idx] + 1 + np.floor(rng.random(len(idx)) * (dur[idx] - 1)).astype(np.int64)
    seg_phase = np.concatenate([np.arange(n), idx])
    seg_start = np.concatenate([start, cut])
    order = np.lexsort((seg_start, seg_phase))
    seg_phase, seg_start = seg_phase[order], seg_start[order]
    dedup = np.ones(len(seg_phase), dtype=bool)
    dedup[1:] = (seg_phase[1:] != seg_phase[:-1]) | (seg_start[1:] != seg_start[:-1])
    seg_phase, seg_start = seg_phase[dedup], seg_start[dedup]
    reason = np.where(np.r_[True, seg_phase[1:] != seg_phase[:-1]], "", "CHCHAN").astype(object)

    def draw_slot(phase: np.ndarray) -> np.ndarray:
        tno = team_no[phase]
        return wf.slots_of_team[tno] + np.floor(rng.random(len(phase)) * wf.n_slots[tno]).astype(
            np.int64
        )

    slot = draw_slot(seg_phase)
    for _ in range(8):
        nxt = np.r_[seg_start[1:], 0]
        last = np.r_[seg_phase[1:] != seg_phase[:-1], True]
        seg_end = np.where(last, end[seg_phase], nxt)
        worker, leaves = wf.incumbent(slot, seg_start)
        split = (leaves > seg_start) & (leaves < seg_end)
        if not split.any():
            break
        seg_phase = np.concatenate([seg_phase, seg_phase[split]])
        seg_start = np.concatenate([seg_start, leaves[split]])
        slot = np.concatenate([slot, draw_slot(seg_phase[-int(split.sum()):])])
        reason = np.concatenate([reason, np.full(int(split.sum()), "LEFTRL", dtype=object)])
        order = np.lexsort((seg_start, seg_phase))
        seg_phase, seg_start, reason, slot = (
            seg_phase[order], seg_start[order], reason[order], slot[order]
        )
    nxt = np.r_[seg_start[1:], 0]
    last = np.r_[seg_phase[1:] != seg_phase[:-1], True]
    seg_end = np.where(last, end[seg_phase], nxt)
    worker, _ = wf.incumbent(slot, seg_start)
    # The reason a segment ends is the reason the next one starts.
    end_reason = np.where(last, "", np.concatenate([reason[1:], np.array([""], dtype=object)])).astype(object)
    swap = rng.random(len(end_reason)) < 0.3
    alt = choice(rng, ("ORGRST", "MANAGE", "PCCHAN"), (0.4, 0.4, 0.2), len(end_reason))
    end_reason = np.where((end_reason == "CHCHAN") & swap, alt, end_reason)
    end_reason = np.where(last, "CASE_CLOSED", end_reason)
    return pd.DataFrame({
        "child_no": child_no[seg_phase],
        "team_no": team_no[seg_phase],
        "worker_no": worker,
        "start": seg_start,
        "end": seg_end,
        "end_reason": end_reason,
    })
