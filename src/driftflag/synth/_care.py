"""Looked-after children: legal status, care proceedings, placements, missing episodes, reviews.

Routes into care (``route``):

* ``proc``  - care proceedings issued (after PLO pre-proceedings or straight away): interim care
  order (C1) from the application until the final order. Proceedings length is lognormal, mean
  ~39 weeks with ~35% within 26 weeks (data-standards.md §6.3, MoJ 2025), longer for stuck cases.
* ``s20``   - accommodation under section 20 (V2), mostly teenagers; some convert to proceedings.
* ``emerg`` - police protection (L1) or an emergency protection order (L2), then proceedings,
  section 20 or home.
* ``uasc``  - unaccompanied asylum-seeking children, accommodated under s20 until 18.

Episodes follow SSDA903 semantics (data-standards.md §2.3): a new row at any change of legal
status (RNE L), placement (P, T) or both (B); the earlier row ends with REC X1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from driftflag.synth._population import Population
from driftflag.synth._util import choice, choice_rows, poisson_times, sigmoid
from driftflag.synth.config import Profile

# Placement mix by age band at the placement (0: <1, 1: 1-9, 2: 10-15, 3: 16-17); judgement from
# DfE CLA placement shares (~70% foster care, ~15% with connected carers, ~10-12% residential).
_PLACES = ("U4", "U5", "U6", "U1", "U2", "U3", "K2", "K1", "K3", "P1", "R3", "R1", "S1", "Z11", "Z12")
_PLACE_MIX = np.array([
    # U4   U5    U6    U1    U2    U3    K2    K1     K3    P1    R3    R1     S1     Z11  Z12
    [0.10, 0.10, 0.42, 0.03, 0.02, 0.12, 0.00, 0.00, 0.00, 0.06, 0.12, 0.00, 0.00, 0.02, 0.01],
    [0.22, 0.02, 0.38, 0.06, 0.00, 0.14, 0.04, 0.00, 0.00, 0.08, 0.00, 0.01, 0.02, 0.02, 0.01],
    [0.20, 0.00, 0.30, 0.05, 0.00, 0.08, 0.21, 0.01, 0.00, 0.05, 0.00, 0.01, 0.05, 0.02, 0.02],
    [0.12, 0.00, 0.20, 0.03, 0.00, 0.05, 0.14, 0.01, 0.36, 0.03, 0.00, 0.01, 0.02, 0.01, 0.02],
])
_UASC_MIX = np.array([0.05, 0, 0.30, 0, 0, 0, 0.05, 0, 0.58, 0, 0, 0, 0, 0.01, 0.01])
_IN_LA_P = {"U1": 0.75, "U2": 0.75, "U3": 0.75, "U4": 0.62, "U5": 0.62, "U6": 0.62, "K2": 0.30,
            "K1": 0.10, "K3": 0.45, "P1": 0.85, "R3": 0.40, "R1": 0.2, "S1": 0.25, "Z11": 0.6,
            "Z12": 0.6, "A5": 0.35, "A6": 0.6}
_PROVIDER = {
    "U1": ("PR1",), "U2": ("PR1",), "U3": ("PR1",), "U4": ("PR1", "PR4", "PR5"),
    "U5": ("PR1", "PR4"), "U6": ("PR1", "PR4", "PR5"), "K2": ("PR1", "PR4", "PR5"),
    "K1": ("PR2", "PR1"), "K3": ("PR4", "PR1", "PR5"), "P1": ("PR0",), "R3": ("PR4", "PR3"),
    "R1": ("PR3",), "S1": ("PR4", "PR5"), "A5": ("PR1", "PR2", "PR5"), "A6": ("PR1",),
    "Z11": ("",), "Z12": ("",),
}
_REGISTERED = {"K1", "K2", "S1", "R1"}

_RPC = ("CARPL", "OTHER", "CREQB", "CREQO", "CHILD", "LAREQ", "STAND", "CLOSE", "ALLEG", "APPRR")
_RPC_P = (0.40, 0.24, 0.11, 0.08, 0.05, 0.03, 0.02, 0.03, 0.02, 0.02)


@dataclass
class CareResult:
    period_end: np.ndarray  # natural (uncensored) end day of each care entry
    episodes: pd.DataFrame
    proceedings: pd.DataFrame
    missing: pd.DataFrame
    reviews: pd.DataFrame
    placements: pd.DataFrame  # entry, day, place, in_la (for RHI and truth)


def _age_band(age_days: np.ndarray) -> np.ndarray:
    return np.select([age_days < 365, age_days < 3653, age_days < 5844], [0, 1, 2], 3)


def simulate_care(
    pop: Population,
    prof: Profile,
    rng: np.random.Generator,
    child: np.ndarray,
    start: np.ndarray,
    route: np.ndarray,
    pressure: np.ndarray,
) -> CareResult:
    m = len(child)
    z = pop.stuckness[child]
    dob = pop.dob[child]
    age18 = pop.age18[child]
    start = np.maximum(start, dob)
    uasc = route == "uasc"

    # --- legal status timeline: list of (entry, day, ls) changes after the start -------------
    ls0 = np.where(route == "proc", "C1", "V2").astype(object)
    emerg = route == "emerg"
    ls0[emerg] = np.where(rng.random(int(emerg.sum())) < 0.6, "L1", "L2")
    app = np.full(m, -1, dtype=np.int64)
    app[route == "proc"] = start[route == "proc"]
    natural_end = np.full(m, np.iinfo(np.int64).max // 4, dtype=np.int64)
    rec = np.full(m, "", dtype=object)

    ls_e, ls_d, ls_v = [], [], []
    # emergency: short L1/L2, then proceedings / s20 / home
    l_len = np.where(ls0 == "L1", rng.integers(1, 4, m), rng.integers(3, 9, m))
    after = choice(rng, ("proc", "s20", "home"), (0.55, 0.25, 0.20), m)
    e_proc = emerg & (after == "proc")
    e_s20 = emerg & (after == "s20")
    e_home = emerg & (after == "home")
    app[e_proc] = start[e_proc] + l_len[e_proc]
    for mask in (e_proc, e_s20):
        idx = np.flatnonzero(mask)
        ls_e.append(idx)
        ls_d.append(start[idx] + l_len[idx])
        ls_v.append(np.full(len(idx), "C1" if mask is e_proc else "V2", dtype=object))
    natural_end[e_home] = start[e_home] + l_len[e_home]
    rec[e_home] = "E4A"

    # section 20: lognormal stay, ~18% later converted to proceedings
    s20 = (route == "s20") | e_s20
    s20_len = np.exp(rng.normal(np.log(240) + 0.25 * z, 1.0)).astype(np.int64) + 7
    conv = s20 & ~uasc & (rng.random(m) < sigmoid(-1.6 + 0.5 * z))
    conv_day = start + rng.integers(30, 240, m)
    conv &= conv_day < start + s20_len
    app[conv] = conv_day[conv]
    idx = np.flatnonzero(conv)
    ls_e.append(idx)
    ls_d.append(conv_day[idx])
    ls_v.append(np.full(len(idx), "C1", dtype=object))
    plain_s20 = s20 & ~conv
    natural_end[plain_s20] = start[plain_s20] + s20_len[plain_s20]
    rec[plain_s20] = choice(rng, ("E4A", "E4B", "E13", "E8"), (0.66, 0.2, 0.08, 0.06),
                            int(plain_s20.sum()))
    # UASC: accommodated until 18 unless age-assessed as an adult or they leave the area
    ua_len = np.where(rng.random(m) < 0.06, rng.integers(30, 200, m), 10**7)
    natural_end[uasc] = start[uasc] + ua_len[uasc]
    rec[uasc] = np.where(ua_len[uasc] < 10**6, "E15", "")

    # --- care proceedings: application to final order ---------------------------------------
    has_app = app >= 0
    eps = 0.4 * z + np.sqrt(0.84) * rng.standard_normal(m)
    weeks = np.exp(prof.proceedings_log_median_weeks + prof.proceedings_log_sigma * eps
                   + 0.04 * pressure)
    final_order = app + np.round(weeks * 7).astype(np.int64)
    age_fo = final_order - dob
    young, mid = age_fo < 5 * 365, age_fo < 12 * 365
    order_p = np.where(
        young[:, None], [0.28, 0.42, 0.16, 0.08, 0.06],
        np.where(mid[:, None], [0.52, 0.03, 0.22, 0.14, 0.09], [0.66, 0.0, 0.07, 0.20, 0.07]),
    )
    order = choice_rows(rng, ("C2", "E1", "SGO", "SO", "CAO"), order_p)
    order[~has_app] = ""
    for code in ("C2", "E1"):
        idx = np.flatnonzero(has_app & (order == code))
        ls_e.append(idx)
        ls_d.append(final_order[idx])
        ls_v.append(np.full(len(idx), code, dtype=object))
    leave_at_fo = has_app & np.isin(order, ("SGO", "SO", "CAO"))
    natural_end[leave_at_fo] = final_order[leave_at_fo]
    rec[leave_at_fo & (order == "SGO")] = choice(
        rng, ("E45", "E46"), (0.45, 0.55), int((leave_at_fo & (order == "SGO")).sum()))
    rec[leave_at_fo & (order == "SO")] = "E4A"
    rec[leave_at_fo & (order == "CAO")] = choice(
        rng, ("E41", "E47", "E48"), (0.5, 0.2, 0.3), int((leave_at_fo & (order == "CAO")).sum()))
    c2 = has_app & (order == "C2")
    discharge = final_order + rng.exponential(8 * 365, m).astype(np.int64)
    natural_end[c2] = discharge[c2]
    rec[c2] = choice(rng, ("E4A", "E45", "E46", "E8"), (0.4, 0.25, 0.25, 0.1), int(c2.sum()))
    e1 = has_app & (order == "E1")
    adopt_place = final_order + rng.integers(90, 330, m)
    adopt_order = adopt_place + rng.integers(120, 400, m)
    natural_end[e1] = adopt_order[e1]
    rec[e1] = choice(rng, ("E11", "E12"), (0.85, 0.15), int(e1.sum()))

    # --- 18th birthday ends every period --------------------------------------------------
    ages_out = natural_end >= age18
    natural_end = np.where(ages_out, age18, natural_end)
    rec[ages_out] = choice(rng, ("E5", "E6", "E17", "E7", "E8"), (0.25, 0.45, 0.15, 0.05, 0.10),
                           int(ages_out.sum()))
    natural_end = np.maximum(natural_end, start + 1)

    # --- proceedings rows ----------------------------------------------------------------
    pidx = np.flatnonzero(has_app & (app < natural_end))
    fo_seen = final_order[pidx] <= natural_end[pidx]
    proceedings = pd.DataFrame({
        "entry": pidx,
        "child_no": child[pidx],
        "application": app[pidx],
        "final_order": np.where(fo_seen, final_order[pidx], -1),
        "order": np.where(fo_seen, order[pidx], "").astype(object),
    })
    proceedings.loc[proceedings["order"] == "", "final_order"] = -1

    # --- placements: first placement, moves, adoption placement ----------------------------
    dur_days = natural_end - start
    moves_rate = (prof.placement_moves_per_year / 365.0
                  * rng.gamma(prof.placement_moves_shape, 1.0 / prof.placement_moves_shape, m)
                  * np.exp(0.50 * z + 0.35 * ((start - dob) > 10 * 365) - 0.3))
    mv_entry, mv_day = poisson_times(rng, start + 1, natural_end, moves_rate)
    ap = np.flatnonzero(e1 & (adopt_place < natural_end))
    pl_entry = np.concatenate([np.arange(m), mv_entry, ap])
    pl_day = np.concatenate([start, mv_day, adopt_place[ap]])
    pl_kind = np.concatenate([np.zeros(m, int), np.ones(len(mv_entry), int), np.full(len(ap), 2)])
    band = _age_band(pl_day - dob[pl_entry])
    place = choice_rows(rng, _PLACES, _PLACE_MIX[band])
    ua_pl = uasc[pl_entry]
    place[ua_pl] = choice(rng, _PLACES, _UASC_MIX, int(ua_pl.sum()))
    place[pl_kind == 2] = choice(rng, ("A5", "A6"), (0.8, 0.2), int((pl_kind == 2).sum()))
    # after the adoption placement nothing moves
    o = np.lexsort((pl_kind, pl_day, pl_entry))
    pl_entry, pl_day, pl_kind, place = pl_entry[o], pl_day[o], pl_kind[o], place[o]
    adopt_day_of_entry = np.where(e1, adopt_place, np.iinfo(np.int64).max // 4)
    keep = ~((pl_kind == 1) & (pl_day >= adopt_day_of_entry[pl_entry]))
    pl_entry, pl_day, pl_kind, place = pl_entry[keep], pl_day[keep], pl_kind[keep], place[keep]
    npl = len(pl_entry)
    in_la = rng.random(npl) < np.array([_IN_LA_P.get(p, 0.5) for p in place])
    dist = np.where(in_la, np.exp(rng.normal(np.log(2.5), 0.6, npl)),
                    np.exp(rng.normal(np.log(17.0), 0.85, npl)))
    provider = np.array([
        _PROVIDER[p][0] if len(_PROVIDER[p]) == 1 else None for p in place], dtype=object)
    multi = provider == None  # noqa: E711
    provider[multi] = choice(rng, ("PR1", "PR4", "PR5"), (0.45, 0.45, 0.10), int(multi.sum()))
    provider = np.where(np.isin(place, ("K1", "A5")) & (rng.random(npl) < 0.5), "PR2", provider)
    district = rng.integers(1, 10, npl)
    pl_post = np.where(
        in_la, "FL" + pop.district[child[pl_entry]].astype(str) + " " + district.astype(str),
        choice(rng, ("FX", "FY", "GA", "GB", "HD", "KT"), np.ones(6), npl).astype(object)
        + rng.integers(1, 30, npl).astype(str) + " " + district.astype(str),
    )
    urn = np.where(np.isin(place, list(_REGISTERED)),
                   "SC" + rng.integers(100000, 999999, npl).astype(str), "XXXXXXX")
    placements = pd.DataFrame({
        "entry": pl_entry, "day": pl_day, "kind": pl_kind, "place": place,
        "provider": provider, "in_la": in_la, "distance": np.round(dist, 1),
        "pl_post": pl_post, "urn": urn,
    })

    # --- episodes: merge legal status changes and placement changes ------------------------
    ls_e = np.concatenate(ls_e) if ls_e else np.array([], int)
    ls_d = np.concatenate(ls_d) if ls_d else np.array([], int)
    ls_v = np.concatenate(ls_v) if ls_v else np.array([], object)
    lkeep = (ls_d > start[ls_e]) & (ls_d < natural_end[ls_e])
    lsdf = pd.DataFrame({"entry": ls_e[lkeep], "day": ls_d[lkeep], "ls_new": ls_v[lkeep]})
    lsdf = lsdf.drop_duplicates(["entry", "day"], keep="last")
    pldf = placements[["entry", "day", "kind", "place", "provider", "pl_post", "urn", "in_la",
                       "distance"]].copy()
    pldf = pldf[pldf["day"] < natural_end[pldf["entry"].to_numpy()]]
    pldf = pldf.drop_duplicates(["entry", "day"], keep="last")
    pldf["pl_change"] = pldf["kind"] > 0
    ev = pd.merge(lsdf, pldf, on=["entry", "day"], how="outer", sort=True)
    ev["ls_change"] = ev["ls_new"].notna()
    ev["pl_change"] = ev["pl_change"].astype("boolean").fillna(False).astype(bool)
    ev = ev.sort_values(["entry", "day"], kind="stable").reset_index(drop=True)
    first = ~ev["entry"].duplicated()
    ev.loc[first, "ls_new"] = ls0[ev.loc[first, "entry"].to_numpy()]
    for col in ("ls_new", "place", "provider", "pl_post", "urn", "in_la", "distance"):
        ev[col] = ev.groupby("entry", sort=False)[col].ffill()
    e_entry = ev["entry"].to_numpy()
    rne = np.where(ev["ls_change"] & ev["pl_change"], "B",
                   np.where(ev["ls_change"], "L", "P")).astype(object)
    same_carer = (ev["place"].isin(["A6", "U4", "U1"]).to_numpy()
                  & ev["pl_change"].to_numpy() & (rng.random(len(ev)) < 0.25))
    rne = np.where(same_carer & (rne == "P"), "T", np.where(same_carer & (rne == "B"), "U", rne))
    rne[first.to_numpy()] = "S"
    nxt_day = np.r_[ev["day"].to_numpy()[1:], 0]
    last = np.r_[e_entry[1:] != e_entry[:-1], True]
    dec = np.where(last, natural_end[e_entry], nxt_day)
    rec_ep = np.where(last, rec[e_entry], "X1").astype(object)
    # reason for placement change goes on the episode that ended because the placement changed
    next_pl_change = np.r_[ev["pl_change"].to_numpy()[1:], False] & ~last
    next_kind_adopt = np.r_[ev["place"].isin(["A5", "A6"]).to_numpy()[1:], False]
    rpc = np.where(next_pl_change, choice(rng, _RPC, _RPC_P, len(ev)), "").astype(object)
    rpc = np.where(next_pl_change & next_kind_adopt, "CARPL", rpc)
    age_at = ev["day"].to_numpy() - dob[e_entry]
    need = np.where(uasc[e_entry], "N8", np.where(route[e_entry] == "s20",
                    choice(rng, ("N1", "N4", "N5", "N6", "N2"), (0.4, 0.2, 0.2, 0.12, 0.08), len(ev)),
                    "N1"))
    episodes = pd.DataFrame({
        "entry": e_entry, "child_no": child[e_entry], "decom": ev["day"].to_numpy(),
        "rne": rne, "ls": ev["ls_new"].to_numpy(), "cin": need,
        "place": ev["place"].to_numpy(), "place_provider": ev["provider"].to_numpy(),
        "dec": dec, "rec": rec_ep, "reason_place_change": rpc,
        "home_post": pop.home_post[child[e_entry]], "pl_post": ev["pl_post"].to_numpy(),
        "urn": ev["urn"].to_numpy(), "pl_distance": ev["distance"].to_numpy(),
        "placement_in_la": ev["in_la"].astype(bool).to_numpy(), "age_at": age_at,
    })

    # --- missing and away episodes --------------------------------------------------------
    teen_from = dob + 10 * 365
    w_start = np.maximum(start, teen_from)
    resid = np.isin(place[np.searchsorted(pl_entry, np.arange(m))], ("K2", "K3", "K1"))
    prone = rng.random(m) < sigmoid(prof.missing_prone_base + 0.55 * z + 0.6 * resid
                                    + 0.5 * uasc - 0.25 * (dob + 14 * 365 > start))
    rate = np.where(prone, rng.gamma(prof.missing_rate_shape,
                                     prof.missing_rate_per_year / prof.missing_rate_shape, m), 0.0)
    ms_entry, ms_day = poisson_times(rng, w_start, natural_end, rate / 365.0)
    aw_entry, aw_day = poisson_times(rng, w_start, natural_end, 0.45 * rate / 365.0)
    mentry = np.concatenate([ms_entry, aw_entry])
    mday = np.concatenate([ms_day, aw_day])
    mtype = np.concatenate([np.full(len(ms_entry), "M"), np.full(len(aw_entry), "A")]).astype(object)
    nmis = len(mentry)
    mlen = choice(rng, (0, 1, 2, 3, 5, 9, 20), (0.45, 0.30, 0.14, 0.05, 0.03, 0.02, 0.01), nmis)
    mend = np.minimum(mday + mlen, natural_end[mentry])
    # in-area placement at the time of the episode decides the RHI offer (S4:753)
    pkey = pl_entry.astype(np.int64) * 10**6 + (pl_day - pl_day.min() if npl else 0)
    qkey = mentry.astype(np.int64) * 10**6 + (mday - (pl_day.min() if npl else 0))
    pos = np.clip(np.searchsorted(pkey, qkey, side="right") - 1, 0, max(npl - 1, 0))
    m_in_la = in_la[pos] if npl else np.ones(nmis, bool)
    # stuck cases' missing episodes are less often followed by a return home interview
    offered = rng.random(nmis) < np.where(m_in_la, 0.78, 0.48) * sigmoid(1.2 - 0.8 * z[mentry])
    accepted = offered & (rng.random(nmis) < sigmoid(0.3 - 0.5 * z[mentry]))
    missing = pd.DataFrame({
        "entry": mentry, "child_no": child[mentry], "missing_type": mtype,
        "start": mday, "end": mend, "rhi_offered": offered, "rhi_accepted": accepted,
    }).sort_values(["child_no", "start", "missing_type"], kind="stable")
    # two draws on one day are one episode: the 903 missing table is keyed by child, start and type
    missing = missing.drop_duplicates(["child_no", "start", "missing_type"]).reset_index(drop=True)

    # --- looked-after reviews: 20 working days, 3 months, then every 6 months ---------------
    n_rev = np.where(dur_days > 28, 1, 0) + np.where(dur_days > 91, 1 + (dur_days - 91) // 182, 0)
    r_entry = np.repeat(np.arange(m), n_rev)
    k = np.arange(len(r_entry)) - np.repeat(np.cumsum(n_rev) - n_rev, n_rev)
    offset = np.where(k == 0, 28, 91 + (k - 1) * 182)
    late = np.where(rng.random(len(r_entry)) < 0.08 * np.exp(0.4 * z[r_entry]),
                    rng.integers(5, 60, len(r_entry)), 0)
    r_day = start[r_entry] + offset - rng.integers(0, 6, len(r_entry)) + late
    rk = r_day < natural_end[r_entry]
    age_r = r_day - dob[r_entry]
    code = np.where(age_r < 4 * 365, "PN0",
                    choice(rng, ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"),
                           (0.55, 0.1, 0.08, 0.1, 0.07, 0.06, 0.04), len(r_entry)))
    reviews = pd.DataFrame({
        "child_no": child[r_entry][rk], "review_date": r_day[rk], "review_code": code[rk],
    })
    return CareResult(
        period_end=natural_end, episodes=episodes, proceedings=proceedings, missing=missing,
        reviews=reviews, placements=placements,
    )
