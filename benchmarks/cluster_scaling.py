"""The clustering stage alone, on synthetic embeddings with known people: time and peak memory of
every registered clusterer (with its defaults) at 10k, 100k and 1M points of 128 dimensions, how
they grow, and how far the approximate neighbours used above `exact_max` points change the labels
(ARI against the same clusterer with exact search, at `--agreement` points).

    python benchmarks/cluster_scaling.py [--sizes 10000 100000 1000000] [--agreement 100000] [--names dbscan]

The points are `synthetic_embeddings.face_like` (see there how they are made: people as clusters,
appearances ~0.35 apart within a person, centres ~0.9 apart, a heavy tail of people with many
appearances, 10% seen once). Each run is a child process (its peak memory is measured over the
process, data included) limited to `TIMEOUT_S`. Writes `benchmarks/results/cluster_scaling.md`
and prints it.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from measure import commit, load, machine, run_measured, write_report
from synthetic_embeddings import face_like

from influencer_kit.experiment.evaluation import bcubed
from influencer_kit.plugin import manager

DIM = 128
TIMEOUT_S = 900
EXACT = 10**12  # exact_max that keeps a clusterer on exact search at any size
SAME_PERSON = 0.55  # the default embedder's (dlib) same-person distance, which every clusterer's cut defaults to


def run_one(name: str, n: int, out: Path, exact: bool) -> None:
    """Child process: cluster `n` points with clusterer `name` (exact search throughout when
    `exact`), write time and score, and the labels beside `out`."""
    X, truth = face_like(n)
    settings = {"name": name, **({"exact_max": EXACT} if exact else {})}
    clusterer = manager.build("cluster", settings, same_person=SAME_PERSON)
    start = time.perf_counter()
    labels = np.asarray(clusterer.fit_predict(X))
    seconds = time.perf_counter() - start
    np.save(out.with_suffix(".npy"), labels)
    predicted = [f"noise{i}" if label == -1 else str(label) for i, label in enumerate(labels)]
    out.write_text(json.dumps({"seconds": seconds, "bcubed_f": bcubed(truth.tolist(), predicted)[2]}))


def measure(name: str, n: int, exact: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="ik-cluster-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--one", name, str(n), str(out)] + (["--exact"] if exact else [])
        measured = run_measured(command, timeout_s=TIMEOUT_S)
        if out.exists():
            labels = np.load(out.with_suffix(".npy"))
            return {**json.loads(out.read_text()), "peak_bytes": measured.peak_bytes, "note": "", "labels": labels}
    if measured.wall_s >= TIMEOUT_S:
        note = f"stopped after {TIMEOUT_S} s"
    elif "MemoryError" in measured.output or "Unable to allocate" in measured.output:
        note = "out of memory"
    else:
        note = "failed: " + (measured.output.strip().splitlines() or ["?"])[-1][:120]
    return {"seconds": None, "bcubed_f": None, "peak_bytes": measured.peak_bytes, "note": note, "labels": None}


def growth(rows: list[tuple[int, dict]], key: str) -> str:
    """The exponent k of n^k between the two largest sizes that both finished."""
    done = [(n, r[key]) for n, r in rows if r["seconds"] is not None and r[key]]
    if len(done) < 2:
        return ""
    (n0, v0), (n1, v1) = done[-2], done[-1]
    return f"n^{math.log(v1 / v0) / math.log(n1 / n0):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--agreement", type=int, default=100_000, help="points at which to compare with exact search")
    parser.add_argument("--names", nargs="*", help="clusterers (default: every registered one)")
    parser.add_argument("--one", nargs=3, metavar=("NAME", "N", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--exact", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one[0], int(args.one[1]), Path(args.one[2]), args.exact)
        return
    names = args.names or sorted(name for kind, name in manager.registry() if kind == "cluster")
    load_before = load()
    lines = ["| clusterer | points | time s | peak memory MiB | BCubed F | note |", "|---|---|---|---|---|---|"]
    summary = ["| clusterer | time grows as | memory grows as |", "|---|---|---|"]
    agreement = ["| clusterer | points | exact search s | approximate s | ARI approximate vs exact |", "|---|---|---|---|---|"]
    for name in names:
        rows = []
        for n in args.sizes:
            result = measure(name, n)
            rows.append((n, result))
            seconds = "" if result["seconds"] is None else f"{result['seconds']:.2f}"
            score = "" if result["bcubed_f"] is None else f"{result['bcubed_f']:.3f}"
            lines.append(f"| {name} | {n:,} | {seconds} | {result['peak_bytes'] / 2**20:.0f} | {score} | {result['note']} |")
            print(lines[-1], flush=True)
            if n == args.agreement:
                exact = measure(name, n, exact=True)
                ari = ("" if exact["labels"] is None or result["labels"] is None
                       else f"{adjusted_rand_score(exact['labels'], result['labels']):.4f}")
                exact_s = f"{exact['seconds']:.1f}" if exact["seconds"] is not None else exact["note"]
                agreement.append(f"| {name} | {n:,} | {exact_s} | {seconds} | {ari} |")
                print(agreement[-1], flush=True)
        summary.append(f"| {name} | {growth(rows, 'seconds')} | {growth(rows, 'peak_bytes')} |")
    report = (
        "# Clustering alone: time and memory by number of points\n\n"
        f"Machine: {machine()}. Commit {commit()}. Load average before: {load_before}, after: {load()}. "
        f"Synthetic {DIM}-d face-like embeddings (benchmarks/synthetic_embeddings.py: people as clusters, "
        "appearances ~0.35 apart within a person, centres ~0.9 apart, a heavy tail of people with many "
        "appearances, 10% seen once); each clusterer with its default settings (its cut at dlib's same-person "
        f"distance, {SAME_PERSON}; exact neighbour search up to its exact_max, 20,000 points, "
        "faiss IndexIVFFlat above: neighbours.py), "
        f"in its own process (peak memory includes Python and the data, {DIM * 4} bytes a point), stopped after "
        f"{TIMEOUT_S} s.\n\n" + "\n".join(lines)
        + "\n\nGrowth between the two largest sizes that finished:\n\n" + "\n".join(summary)
        + "\n\nApproximate against exact neighbour search (the same clusterer with exact_max above the size):\n\n"
        + "\n".join(agreement) + "\n"
    )
    write_report(report, "cluster_scaling.md")


if __name__ == "__main__":
    main()
