"""Which cuts keep every person whole and apart on the videos built from the photos of
../shared/faces (one person photographed years apart: the set tests/test_end_to_end.py runs), for
each embedder: a tune set for the same-person distances, beside the real-footage `tune` and
`ads_tune` parts (benchmarks/real_footage.py --cuts).

    python benchmarks/identity_cuts.py [--cuts 0.40:1.00:0.04]

Each embedder runs once in a child (benchmarks/kit_runner.py) and again at each cut from its face
cache. Writes benchmarks/results/identity/shared_faces_cuts.md and prints it.
"""
from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd
from compare import run_child
from measure import commit, load, machine, write_report
from real_footage import EMBEDDERS, cut_values

from influencer_kit_samples.people import build_people_dataset

FACES = Path(__file__).resolve().parents[2] / "shared" / "faces"


def errors(truth: list[str], predicted: list[str]) -> tuple[list[str], int]:
    """The people split over 2+ ids, and how many ids hold 2+ people (rows with a person only)."""
    pairs = {(t, p) for t, p in zip(truth, predicted) if t}
    people, ids = Counter(t for t, _ in pairs), Counter(p for _, p in pairs)
    return sorted(t for t, n in people.items() if n > 1), sum(1 for n in ids.values() if n > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", default="0.40:1.00:0.04", help="FROM:TO:STEP")
    parser.add_argument("--embedder", action="append", choices=list(EMBEDDERS),
                        help="one of real_footage.EMBEDDERS (repeatable; default all)")
    args = parser.parse_args()
    cuts = cut_values(args.cuts)
    chosen = {name: EMBEDDERS[name] for name in (args.embedder or EMBEDDERS)}
    with tempfile.TemporaryDirectory(prefix="ik-identity-cuts-") as work:
        csv = build_people_dataset(FACES, Path(work) / "data", pairs=1, n_frames=24)
        truth = [p if isinstance(p, str) else "" for p in pd.read_csv(csv)["Person"]]
        jobs = [a for name, overrides in chosen.items() for a in ("--job", name, *overrides)]
        _, results = run_child("kit_runner.py", [str(csv), str(Path(work) / "kit")],
                               ["--cuts", *map(str, cuts), *jobs])
    lines = ["# Cuts on the videos built from ../shared/faces", "",
             f"{machine()}; load average {load()}. Commit {commit()}. Rows: {len(truth)}, people: "
             f"{len(set(filter(None, truth)))}. Each cell: the people split over 2+ influencers, and the "
             f"influencers holding 2+ people (merges); `right` when neither.", "",
             "| cut | " + " | ".join(chosen) + " |", "|---|" + "---|" * len(chosen)]
    by = {(r.get("approach", r["name"]), r.get("cut")): r for r in results}
    for cut in cuts:
        cells = []
        for name in chosen:
            r = by.get((name, cut))
            if r is None or "error" in r:
                cells.append(f"failed: {r['error'] if r else 'no result'}")
                continue
            split, merges = errors(truth, [p if isinstance(p, str) else "" for p in r["predictions"]])
            cells.append("right" if not split and not merges else
                         ", ".join(filter(None, [f"split {' '.join(split)}" if split else "",
                                                 f"{merges} merge(s)" if merges else ""])))
        lines.append(f"| {cut:g} | " + " | ".join(cells) + " |")
    write_report("\n".join(lines) + "\n", "identity/shared_faces_cuts.md")


if __name__ == "__main__":
    main()
