"""Approximate nearest-neighbour libraries on face-like embeddings: the time to find every point's
16 nearest points (index built from the points, then each point searched), and how many of the
pairs closer than the same-person distance (0.55) they find, against exact search on a sample.

    python benchmarks/ann_libraries.py [--n 100000]

Data: `synthetic_embeddings.face_like` (see there how it is made). Each library with its usual
settings, on every core. Writes `benchmarks/results/ann_libraries.md` and prints it.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import os
import time
from collections.abc import Callable

import numpy as np

from measure import load, machine, write_report
from synthetic_embeddings import face_like

from influencer_kit.people.neighbours import KMEANS_ROUNDS, PROBES, approximate_neighbours

K = 16
RADIUS = 0.55
SAMPLE = 2000  # points whose exact neighbours within RADIUS are checked


def faiss_hnsw(X: np.ndarray) -> np.ndarray:
    import faiss

    index = faiss.IndexHNSWFlat(X.shape[1], 32)
    index.hnsw.efConstruction = 40
    index.add(X)
    index.hnsw.efSearch = 64
    return index.search(X, K)[1]


def faiss_ivf(X: np.ndarray) -> np.ndarray:
    import faiss

    nlist = int(4 * np.sqrt(len(X)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatL2(X.shape[1]), X.shape[1], nlist)
    index.train(X[np.random.default_rng(0).choice(len(X), min(len(X), 64 * nlist), replace=False)])
    index.add(X)
    index.nprobe = 8
    return index.search(X, K)[1]


def hnswlib_hnsw(X: np.ndarray) -> np.ndarray:
    import hnswlib

    index = hnswlib.Index(space="l2", dim=X.shape[1])
    index.init_index(max_elements=len(X), M=16, ef_construction=100)
    index.add_items(X, num_threads=os.cpu_count())
    index.set_ef(64)
    return index.knn_query(X, k=K, num_threads=os.cpu_count())[0].astype(np.int64)


def usearch_hnsw(X: np.ndarray) -> np.ndarray:
    from usearch.index import Index

    index = Index(ndim=X.shape[1], metric="l2sq", dtype="f32")
    index.add(np.arange(len(X)), X)
    return index.search(X, K).keys.astype(np.int64)


def kit_search(X: np.ndarray) -> np.ndarray:
    return approximate_neighbours(X, X, K)[1]


LIBRARIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "faiss-cpu HNSW32": faiss_hnsw, "faiss-cpu IVFFlat": faiss_ivf, "hnswlib": hnswlib_hnsw,
    "usearch": usearch_hnsw,
    f"faiss-cpu IVFFlat as influencer_kit.people.neighbours sets it ({KMEANS_ROUNDS} k-means rounds, {PROBES} probes)":
        kit_search,
}


def recall(X: np.ndarray, found: np.ndarray, sample: np.ndarray) -> float:
    """Share of the pairs (sampled point, any point) closer than RADIUS that `found` holds,
    counting at most K - 1 per point (what a K-neighbour search can hold besides the point)."""
    hits = total = 0
    for i in sample:
        d = np.linalg.norm(X - X[i], axis=1)
        near = np.flatnonzero(d <= RADIUS)
        near = near[near != i]
        near = near[np.argsort(d[near])][: K - 1]
        total += len(near)
        hits += len(np.intersect1d(near, found[i]))
    return hits / total if total else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--libraries", nargs="*", default=list(LIBRARIES), help="which of them")
    args = parser.parse_args()
    X, _ = face_like(args.n)
    sample = np.random.default_rng(1).choice(len(X), SAMPLE, replace=False)
    load_before = load()
    lines = ["| library | version | seconds (build + search) | recall of pairs within 0.55 |", "|---|---|---|---|"]
    for name in args.libraries:
        find = LIBRARIES[name]
        start = time.perf_counter()
        found = find(X)
        seconds = time.perf_counter() - start
        version = importlib.metadata.version(next(d for d in ("faiss-cpu", "hnswlib", "usearch") if d in name))
        lines.append(f"| {name} | {version} | {seconds:.1f} | {recall(X, found, sample):.4f} |")
        print(lines[-1], flush=True)
    write_report(
        f"# Approximate nearest neighbours: {args.n:,} face-like 128-d points, {K} neighbours each\n\n"
        f"Machine: {machine()}. Load average before: {load_before}, after: {load()}. Data: "
        "benchmarks/synthetic_embeddings.py (people as clusters, appearances ~0.35 apart within a person, "
        f"centres ~0.9 apart, 10% seen once). Recall: on {SAMPLE} sampled points, the share of their true "
        f"neighbours within {RADIUS} (up to {K - 1}) that the library returned.\n\n" + "\n".join(lines) + "\n",
        "ann_libraries.md")


if __name__ == "__main__":
    main()
