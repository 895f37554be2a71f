"""Grouping 100,000 rows into creatives: synthetic fingerprints, timed. Near-linear in rows (hash
bands bucketed, never all pairs); writes benchmarks/results/creatives_scale.md.

    python benchmarks/creatives_scale.py [--rows 100000] [--seconds 15] [--seed 0]

Each creative is a random sequence of 64-bit frame hashes (one every 0.1 s, `--seconds` long); its
1-4 videos are it as posted, trimmed at either end, mirrored or played 1.1x, each frame with 0-4 of
its 64 bits flipped (re-encoding); 5% of all frames are one plain frame (a black frame: the same hash
everywhere, the bucket that `MAX_BUCKET` skips). Every video shows its creative's person.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from measure import commit, load, machine, write_report

from influencer_kit.creatives.grouping import CreativesConfig, group_videos
from influencer_kit.model import Fingerprint

STEP_S = 0.1
PLAIN = np.uint64(0)  # the hash of a plain frame


def noisy(hashes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each hash with 0-4 random bits flipped."""
    flips = rng.integers(0, 5, len(hashes))
    masks = np.zeros(len(hashes), np.uint64)
    for k in range(4):
        bit = rng.integers(0, 64, len(hashes)).astype(np.uint64)
        masks ^= np.where(flips > k, np.uint64(1) << bit, np.uint64(0))
    return hashes ^ masks


def variant(base: np.ndarray, kind: str, rng: np.random.Generator) -> Fingerprint:
    """One video of a creative whose frames hash to `base` (n, 2)."""
    frames = base
    if kind == "trimmed":
        start, end = rng.integers(0, 20, 2)
        frames = base[start: len(base) - end]
    elif kind == "mirrored":
        frames = base[:, ::-1]
    elif kind == "speed":
        frames = base[np.round(np.arange(0, len(base) - 1, 1.1)).astype(int)]
    shown = noisy(frames[:, 0], rng)
    hashes = np.stack([shown, noisy(frames[:, 1], rng)], axis=1)
    hashes[rng.random(len(hashes)) < 0.05] = PLAIN
    return Fingerprint((np.arange(len(hashes)) * STEP_S).astype(np.float32), hashes)


def synthetic(rows: int, seconds: float, rng: np.random.Generator) -> tuple[list[Fingerprint], list[int]]:
    """`rows` fingerprints and the creative each was made from."""
    fingerprints, truth = [], []
    frames = round(seconds / STEP_S)
    creative = 0
    while len(fingerprints) < rows:
        base = rng.integers(0, 2**63, (frames, 2), dtype=np.int64).astype(np.uint64)
        kinds = ["posted", *rng.choice(["trimmed", "mirrored", "speed"], int(rng.integers(0, 4)))]
        for kind in kinds[: rows - len(fingerprints)]:
            fingerprints.append(variant(base, str(kind), rng))
            truth.append(creative)
        creative += 1
    return fingerprints, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    fingerprints, truth = synthetic(args.rows, args.seconds, np.random.default_rng(args.seed))
    people = [frozenset({f"influencer_{t % 5000:04d}"}) for t in truth]
    load_before = load()
    start, cpu = time.perf_counter(), time.process_time()
    labels = group_videos(fingerprints, people, CreativesConfig())
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    truth_array = np.array(truth)
    right = all(len(set(labels[truth_array == t])) == 1 for t in np.unique(truth_array)[:2000])
    report = f"""# Grouping 100,000 rows into creatives

`python benchmarks/creatives_scale.py --rows {args.rows} --seconds {args.seconds:g}` at {commit()}

{args.rows:,} synthetic fingerprints ({len(set(truth)):,} creatives of 1-4 videos, {args.seconds:g} s each at one
frame every {STEP_S} s: {sum(len(f) for f in fingerprints):,} frames) grouped into
{len(set(labels.tolist())):,} creatives in
**{seconds:.1f} s** wall, {cpu_s:.1f} s of CPU (the first 2,000 creatives each in one group: {right}).

Machine: {machine()}; load average before: {load_before}, after: {load()} (a shared machine: the
time is an upper bound of this code's).
"""
    write_report(report, "creatives_scale.md")


if __name__ == "__main__":
    main()
