"""The clustering stage alone, on synthetic embeddings with known clusters: time and peak memory of
every registered clusterer (with its defaults) at 1k, 10k and 100k points of 128 dimensions, and how
they grow.

    python benchmarks/cluster_scaling.py [--sizes 1000 10000 100000]

The points look like per-video dlib embeddings: clusters of 10 (a person in 10 videos) whose centres
lie about 1.0 apart, each point about 0.23 from its centre. Each run is a child process (its peak
memory is measured over the process, data included) limited to `MEMORY_LIMIT` of address space
and `TIMEOUT_S`. Writes `benchmarks/results/cluster_scaling.md` and prints it.
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from measure import load, machine, run_measured, write_report

from influencer_kit.experiment.evaluation import bcubed
from influencer_kit.plugin import manager

DIM = 128
PER_CLUSTER = 10
MEMORY_LIMIT = 8 * 2**30
TIMEOUT_S = 150
SAME_PERSON = 0.55  # the default embedder's (dlib) same-person distance, which every clusterer's cut defaults to


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` points in clusters of `PER_CLUSTER`, and their true cluster."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) // PER_CLUSTER
    centres = rng.normal(size=(labels[-1] + 1, DIM)).astype(np.float32)
    centres *= 0.72 / np.linalg.norm(centres, axis=1, keepdims=True)  # random centres ~1.0 apart
    return centres[labels] + rng.normal(scale=0.02, size=(n, DIM)).astype(np.float32), labels


def run_one(name: str, n: int, out: Path) -> None:
    """Child process: cluster `n` points with clusterer `name`, write time and score."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    X, truth = synthetic(n)
    clusterer = manager.build("cluster", {"name": name}, same_person=SAME_PERSON)
    start = time.perf_counter()
    labels = np.asarray(clusterer.fit_predict(X))
    seconds = time.perf_counter() - start
    predicted = [f"noise{i}" if label == -1 else str(label) for i, label in enumerate(labels)]
    out.write_text(json.dumps({"seconds": seconds, "bcubed_f": bcubed(truth.tolist(), predicted)[2]}))


def measure(name: str, n: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="ik-cluster-") as tmp:
        out = Path(tmp) / "result.json"
        measured = run_measured([sys.executable, __file__, "--one", name, str(n), str(out)], timeout_s=TIMEOUT_S)
        if out.exists():
            return {**json.loads(out.read_text()), "peak_bytes": measured.peak_bytes, "note": ""}
    if measured.wall_s >= TIMEOUT_S:
        note = f"stopped after {TIMEOUT_S} s"
    elif "MemoryError" in measured.output or "Unable to allocate" in measured.output:
        note = f"out of memory (limit {MEMORY_LIMIT / 2**30:.0f} GiB)"
    else:
        note = "failed: " + (measured.output.strip().splitlines() or ["?"])[-1][:120]
    return {"seconds": None, "bcubed_f": None, "peak_bytes": measured.peak_bytes, "note": note}


def growth(rows: list[tuple[int, dict]], key: str) -> str:
    """The exponent k of n^k between the two largest sizes that both finished."""
    done = [(n, r[key]) for n, r in rows if r["seconds"] is not None and r[key]]
    if len(done) < 2:
        return ""
    (n0, v0), (n1, v1) = done[-2], done[-1]
    return f"n^{math.log(v1 / v0) / math.log(n1 / n0):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--one", nargs=3, metavar=("NAME", "N", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one[0], int(args.one[1]), Path(args.one[2]))
        return
    names = sorted(name for kind, name in manager.registry() if kind == "cluster")
    load_before = load()
    lines = ["| clusterer | points | time s | peak memory MiB | BCubed F | note |", "|---|---|---|---|---|---|"]
    summary = ["| clusterer | time grows as | memory grows as |", "|---|---|---|"]
    for name in names:
        rows = []
        for n in args.sizes:
            result = measure(name, n)
            rows.append((n, result))
            seconds = "" if result["seconds"] is None else f"{result['seconds']:.2f}"
            score = "" if result["bcubed_f"] is None else f"{result['bcubed_f']:.3f}"
            lines.append(f"| {name} | {n} | {seconds} | {result['peak_bytes'] / 2**20:.0f} | {score} | {result['note']} |")
            print(lines[-1], flush=True)
        summary.append(f"| {name} | {growth(rows, 'seconds')} | {growth(rows, 'peak_bytes')} |")
    report = (
        "# Clustering alone: time and memory by number of points\n\n"
        f"Machine: {machine()}. Load average before: {load_before}, after: {load()}. Synthetic {DIM}-d "
        f"embeddings in clusters of {PER_CLUSTER} (centres ~1.0 apart, points ~0.23 from their centre); "
        f"each clusterer with its default settings (its cut at dlib's same-person distance, {SAME_PERSON}), in its own process (peak memory includes Python and "
        f"the data, {DIM * 4} bytes a point), limited to {MEMORY_LIMIT / 2**30:.0f} GiB and {TIMEOUT_S} s.\n\n"
        + "\n".join(lines) + "\n\nGrowth between the two largest sizes that finished:\n\n" + "\n".join(summary) + "\n"
    )
    write_report(report, "cluster_scaling.md")


if __name__ == "__main__":
    main()
