"""Who is near whom among embeddings: the pairs closer than a radius (the graph the clusterers
need) and each query's nearest points (what registry matching and close calls need).

Up to `exact_max` points (default `EXACT_MAX`) the search is exact (scikit-learn, and NumPy in
blocks). Above it, exact search grows as n^2 (34 s for 100,000 appearances, an hour for a
million), so an approximate search takes over: faiss's inverted file (`faiss-cpu`,
`IndexIVFFlat`), k-means cells of which each query searches only its few nearest
(benchmarks/results/ann_libraries.md compares it with HNSW graphs and says why). The radius
graph keeps each point's `NEIGHBOURS` nearest points within the radius, so a point with more neighbours than that inside the radius keeps only its
nearest ones; that still joins a person's appearances into one connected group, which is all a
radius graph is used for here.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

EXACT_MAX = 20_000  # points; above this, neighbours are found approximately
NEIGHBOURS = 32  # nearest points looked at per point by the approximate search
CELLS_PER_ROOT = 4.0  # cells: this times the square root of the number of points
PROBES = 8  # nearest cells whose points each query is compared with
KMEANS_ROUNDS = 10
RECOMPUTE_BELOW = 0.1  # approximate distances shorter than this are recomputed in double precision
SAMPLE_PER_CELL = 64  # points per cell that k-means learns the cells from
MIN_PER_CELL = 32  # fewer cells on small data, so that a cell holds at least this many points
TINY = 1e-12  # stands for a distance of 0, which a sparse matrix would not keep
BLOCK = 2048  # query rows per block of exact distances


def radius_graph(X: np.ndarray, radius: float, exact_max: int = EXACT_MAX) -> sparse.csr_matrix:
    """A symmetric sparse matrix holding the distance of every pair of rows of X closer than
    `radius` (Euclidean; a distance of 0 is stored as `TINY`), the diagonal left empty. Exact up
    to `exact_max` rows, approximate above."""
    n = len(X)
    if n < 2:
        return sparse.csr_matrix((n, n))
    if n <= exact_max:
        from sklearn.neighbors import radius_neighbors_graph

        graph = radius_neighbors_graph(X, radius=radius, mode="distance", include_self=False).tocoo()
        rows, cols, dist = graph.row, graph.col, graph.data
    else:
        dist, idx = approximate_neighbours(X, X, min(NEIGHBOURS + 1, n))
        rows = np.repeat(np.arange(n), idx.shape[1])
        cols, dist = idx.ravel(), dist.ravel()
        keep = (cols >= 0) & (cols != rows) & (dist <= radius)
        rows, cols, dist = rows[keep], cols[keep], dist[keep]
        rows, cols, dist = np.concatenate([rows, cols]), np.concatenate([cols, rows]), np.concatenate([dist, dist])
        _, once = np.unique(rows * n + cols, return_index=True)  # a pair found from both ends, kept once
        rows, cols, dist = rows[once], cols[once], dist[once]
    return sparse.csr_matrix((np.maximum(dist, TINY), (rows, cols)), shape=(n, n))


def nearest(queries: np.ndarray, points: np.ndarray, k: int, exact_max: int = EXACT_MAX,
            probes: int = PROBES) -> tuple[np.ndarray, np.ndarray]:
    """The `k` rows of `points` nearest to each query (Euclidean distances and row numbers, nearest
    first; -1 and inf where there are fewer than k points). Exact when there are at most
    `exact_max` queries or points, approximate above (each query compared with the points of its
    `probes` nearest cells: more probes, fewer misses, more time)."""
    k = min(k, len(points))
    if k == 0 or not len(queries):
        return np.full((len(queries), k), np.inf), np.full((len(queries), k), -1, dtype=np.int64)
    if min(len(queries), len(points)) <= exact_max:
        return exact_neighbours(queries, points, k)
    return approximate_neighbours(points, queries, k, probes=probes)


def exact_neighbours(queries: np.ndarray, points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """`nearest` by brute force, a block of queries at a time (memory: BLOCK x len(points))."""
    points = np.asarray(points, dtype=np.float64)
    squared = (points * points).sum(axis=1)
    dist_out = np.empty((len(queries), k))
    idx_out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), BLOCK):
        block = np.asarray(queries[start:start + BLOCK], dtype=np.float64)
        d2 = (block * block).sum(axis=1)[:, None] + squared[None, :] - 2.0 * block @ points.T
        part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < len(points) else np.tile(np.arange(len(points)), (len(block), 1))
        d = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(d, axis=1, kind="stable")
        idx_out[start:start + len(block)] = np.take_along_axis(part, order, axis=1)
        dist_out[start:start + len(block)] = np.sqrt(np.maximum(np.take_along_axis(d, order, axis=1), 0.0))
    return dist_out, idx_out


def approximate_neighbours(points: np.ndarray, queries: np.ndarray, k: int,
                           probes: int = PROBES) -> tuple[np.ndarray, np.ndarray]:
    """`nearest` through faiss's inverted file (`IndexIVFFlat`): k-means, learnt on a sample,
    splits the points into about `CELLS_PER_ROOT` sqrt(n) cells (fewer on small data); each query
    is compared with the points of its `probes` nearest cells and keeps the `k` nearest of those."""
    import faiss  # here, not at the top: only large runs need it

    points = np.ascontiguousarray(points, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    count = max(1, min(int(CELLS_PER_ROOT * np.sqrt(len(points))), len(points) // MIN_PER_CELL))
    index = faiss.IndexIVFFlat(faiss.IndexFlatL2(points.shape[1]), points.shape[1], count)
    index.cp.niter, index.cp.seed, index.cp.min_points_per_centroid = KMEANS_ROUNDS, 1, 1
    sample = np.random.default_rng(0).choice(len(points), min(len(points), SAMPLE_PER_CELL * count), replace=False)
    index.train(points[np.sort(sample)])
    index.add(points)
    index.nprobe = min(probes, count)
    squared, idx = index.search(queries, k)
    idx = idx.astype(np.int64)
    dist = np.sqrt(np.maximum(squared, 0.0)).astype(np.float64)
    dist[idx < 0] = np.inf
    # float32 products are off by ~1e-6 on squared distances: much, relative to a distance near 0
    q, j = np.nonzero((idx >= 0) & (dist < RECOMPUTE_BELOW))
    dist[q, j] = np.linalg.norm(queries[q].astype(np.float64) - points[idx[q, j]], axis=1)
    return dist, idx
