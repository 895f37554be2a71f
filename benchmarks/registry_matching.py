"""Registry matching at scale: appearances matched against a registry of known people, with the
default search (approximate above `exact_max`) and with exact search, timed, and how far their
decisions agree.

    python benchmarks/registry_matching.py [--appearances 100000] [--people 10000] [--faces 3]

Data: `synthetic_embeddings.face_like`-style people (centres ~0.9 apart, faces ~0.25 from their
centre): the registry holds `--faces` reference faces of each of `--people` people; the
appearances are new faces, 60% of known people and 40% of people the registry has never seen.
Writes `benchmarks/results/registry_matching.md` and prints it.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from measure import commit, load, machine, write_report
from synthetic_embeddings import BETWEEN, DIM, WITHIN

from influencer_kit.registry.match import MatchRule, match

EXACT = 10**12


def data(appearances: int, people: int, faces: int, seed: int = 0) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """Reference faces and their owners; appearances and who they truly are ("" for a stranger)."""
    rng = np.random.default_rng(seed)
    mean = rng.normal(size=DIM)
    mean /= np.linalg.norm(mean)
    strangers = int(0.4 * appearances)
    centres = mean + rng.normal(scale=BETWEEN / np.sqrt(2 * DIM), size=(people + strangers, DIM))
    owner_of_ref = np.repeat(np.arange(people), faces)
    refs = centres[owner_of_ref] + rng.normal(scale=WITHIN / np.sqrt(DIM), size=(len(owner_of_ref), DIM))
    who = np.concatenate([rng.integers(0, people, appearances - strangers), people + np.arange(strangers)])
    X = centres[who] + rng.normal(scale=WITHIN / np.sqrt(DIM), size=(appearances, DIM))
    names = [f"influencer_{i:05d}" for i in range(people)]
    return refs, [names[o] for o in owner_of_ref], X, [names[w] if w < people else "" for w in who]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appearances", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--faces", type=int, default=3)
    args = parser.parse_args()
    refs, owners, X, truth = data(args.appearances, args.people, args.faces)
    load_before = load()
    lines = ["| search | seconds | right (known matched, strangers left) | same decision as exact |", "|---|---|---|---|"]
    decided = {}
    for label, exact_max in (("default (approximate above 20,000)", None), ("exact", EXACT)):
        start = time.perf_counter()
        rule = MatchRule(match_distance=0.55, margin=0.05) if exact_max is None else \
            MatchRule(match_distance=0.55, margin=0.05, exact_max=exact_max)
        decisions = match(X, refs, owners, rule)
        seconds = time.perf_counter() - start
        decided[label] = [d.person for d in decisions]
        right = np.mean([d == t for d, t in zip(decided[label], truth)])
        lines.append(f"| {label} | {seconds:.1f} | {right:.4f} | |")
        print(lines[-1], flush=True)
    agree = np.mean([a == b for a, b in zip(*decided.values())])
    lines[2] = lines[2].removesuffix(" |") + f" {agree:.4f} |"
    write_report(
        f"# Registry matching: {args.appearances:,} appearances against {args.people:,} known people\n\n"
        f"Machine: {machine()}. Commit {commit()}. Load average before: {load_before}, after: {load()}. "
        f"{args.faces} reference faces per person ({args.people * args.faces:,} in all); 60% of the appearances "
        "are known people, 40% strangers; match distance 0.55, margin 0.05.\n\n" + "\n".join(lines) + "\n",
        "registry_matching.md")


if __name__ == "__main__":
    main()
