"""Plant a label bias in a synthetic LA's written CIN census returns, independently of the
simulator's ``--bias`` option (which works inside the simulator).

    python benchmarks/plant_label_bias.py LA_FOLDER [--group Black] [--share 0.5] [--seed 0]

For each child of the group in each CIN census XML, with probability ``share``, one extra
referral is added, dated 30-300 days after one of the child's referrals in that return (before
the return's reference date), closed the same day with no further action
(``ReferralNFA`` = 1, ``ReasonForClosure`` RC8). A referral within 365 days of the previous one
is a re-referral, a drift milestone: the group's recorded outcomes rise while its children's
circumstances (and so the model's inputs) do not: a recording bias against the group, as when a
group is re-referred more readily for the same concerns. Prints how many referrals were added
for how many children.
"""

from __future__ import annotations

import argparse
import random
import re
from datetime import date, timedelta
from pathlib import Path

GROUP_CODES = {"Black": ("BAFR", "BCRB", "BOTH"), "Asian": ("AIND", "APKN", "ABAN", "AOTH"),
               "Mixed": ("MWBC", "MWBA", "MWAS", "MOTH"), "White": ("WBRI", "WIRI", "WOTH",
                                                                    "WIRT", "WROM")}


def plant(folder: Path, group: str, share: float, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    codes = GROUP_CODES[group]
    added, children = 0, set()
    for xml in sorted((folder / "cin_census").glob("*.xml")):
        text = xml.read_text(encoding="utf-8")
        ref_date = date.fromisoformat(re.search(r"<ReferenceDate>([\d-]+)<", text).group(1))

        def extra(m: re.Match, ref_date: date = ref_date) -> str:
            nonlocal added
            child = m.group(0)
            eth = re.search(r"<Ethnicity>(\w+)</Ethnicity>", child)
            if not eth or eth.group(1) not in codes or rng.random() >= share:
                return child
            refs = re.findall(r"<CINreferralDate>([\d-]+)</CINreferralDate>", child)
            if not refs:
                return child
            d = date.fromisoformat(rng.choice(refs)) + timedelta(days=rng.randint(30, 300))
            if d >= ref_date:
                return child
            block = (f"<CINdetails><CINreferralDate>{d}</CINreferralDate><ReferralSource>1B"
                     f"</ReferralSource><PrimaryNeedCode>N9</PrimaryNeedCode><CINclosureDate>{d}"
                     f"</CINclosureDate><ReasonForClosure>RC8</ReasonForClosure><ReferralNFA>1"
                     f"</ReferralNFA></CINdetails>")
            added += 1
            children.add(re.search(r"<LAchildID>([^<]+)<", child).group(1))
            return child.replace("</Child>", block + "</Child>")

        xml.write_text(re.sub(r"<Child>.*?</Child>", extra, text, flags=re.S), encoding="utf-8")
    return added, len(children)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("la", type=Path)
    ap.add_argument("--group", default="Black", choices=sorted(GROUP_CODES))
    ap.add_argument("--share", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    added, children = plant(a.la, a.group, a.share, a.seed)
    print(f"added {added} no-further-action referrals for {children} {a.group} children")


if __name__ == "__main__":
    main()
