"""Average-linkage clustering with the constraints videos give for free.

- *Must-link*: faces of one track are one person; they start as one group (`start`).
- *Cannot-link*: two faces in one frame are two people; groups holding such a pair never merge
  (`apart`: pairs of row numbers).

Average linkage merges two groups only when their faces are close *on average*, so one close pair
of faces cannot chain two people together the way single linkage (DBSCAN with `min_samples=1`)
does. Groups merged at a distance up to `threshold` are always inside one connected component of
the "closer than `threshold`" graph, so the work is done component by component: exact, and about
linear in the number of points when people are apart.
"""
from __future__ import annotations

import numpy as np

from influencer_kit.people.neighbours import EXACT_MAX, radius_graph


def components(X: np.ndarray, threshold: float, start: np.ndarray, exact_max: int = EXACT_MAX) -> np.ndarray:
    """A component number per row: rows closer than `threshold` (Euclidean), or in one `start`
    group, directly or through others, share one. The rows closer than `threshold` are found
    exactly up to `exact_max` rows, approximately above (`neighbours.radius_graph`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(X)
    if n < 2:
        return np.zeros(n, dtype=int)
    close = radius_graph(X, threshold, exact_max)
    first_of_group = {}
    together = np.asarray([first_of_group.setdefault(g, i) for i, g in enumerate(start)])
    kept = coo_matrix((np.ones(n), (np.arange(n), together)), shape=(n, n))
    return connected_components(close + kept, directed=False)[1]


def pairwise(X: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of X."""
    squared = (X * X).sum(axis=1)
    return np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2.0 * X @ X.T, 0.0))


def apart_matrix(rows: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """`pairs` (row numbers, all among the sorted `rows`) as a boolean matrix over `rows`."""
    out = np.zeros((len(rows), len(rows)), dtype=bool)
    local = np.searchsorted(rows, np.asarray(pairs, dtype=int).reshape(-1, 2))
    out[local[:, 0], local[:, 1]] = out[local[:, 1], local[:, 0]] = True
    return out


def pairs_by_group(pairs: np.ndarray, group: np.ndarray) -> dict[int, np.ndarray]:
    """The `pairs` whose two rows share a group, by that group."""
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    inside = pairs[group[pairs[:, 0]] == group[pairs[:, 1]]]
    return {int(g): inside[group[inside[:, 0]] == g] for g in np.unique(group[inside[:, 0]])}


def merge_groups(distances: np.ndarray, threshold: float, start: np.ndarray, apart: np.ndarray) -> np.ndarray:
    """Average linkage over points with pairwise `distances`, starting from the groups `start` (a
    group number per point), never merging groups that hold an `apart` pair (a boolean matrix);
    a group number per point."""
    names, groups = np.unique(start, return_inverse=True)
    k = len(names)
    member = np.zeros((k, len(start)))
    member[groups, np.arange(len(start))] = 1.0
    sizes = member.sum(axis=1)
    between = member @ distances @ member.T / np.outer(sizes, sizes)
    blocked = (member @ apart.astype(float) @ member.T) > 0
    alive = np.ones(k, dtype=bool)
    np.fill_diagonal(between, np.inf)
    while True:
        candidate = np.where(blocked | ~alive[:, None] | ~alive[None, :], np.inf, between)
        i, j = np.unravel_index(int(np.argmin(candidate)), candidate.shape)
        if not (np.isfinite(candidate[i, j]) and candidate[i, j] <= threshold):
            break
        # Lance-Williams update for average linkage: the merged group's mean distance to each other group
        between[i] = between[:, i] = (sizes[i] * between[i] + sizes[j] * between[j]) / (sizes[i] + sizes[j])
        between[i, i] = np.inf
        blocked[i] = blocked[:, i] = blocked[i] | blocked[j]
        sizes[i] += sizes[j]
        alive[j] = False
        groups[groups == j] = i
    return groups


def unconstrained_average(X: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage groups of the rows of X cut at `threshold`, when no rows must stay together
    or apart: SciPy's linkage (nearest-neighbour chain, O(n^2)), the same merges as `merge_groups`."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    return fcluster(linkage(pdist(X), method="average"), t=threshold, criterion="distance")


def average_linkage(X: np.ndarray, threshold: float, start: np.ndarray | None = None,
                    apart: np.ndarray | None = None, exact_max: int = EXACT_MAX) -> np.ndarray:
    """Average-linkage clusters of the rows of X cut at `threshold`, numbered 0.. in order of first
    row. `start`: a group number per row for rows that must stay together (default: none);
    `apart`: pairs of rows (shape (m, 2)) that must end in different clusters; `exact_max`: above
    this many rows, the components are found with approximate neighbours."""
    n = len(X)
    start = np.arange(n) if start is None else np.asarray(start)
    apart = np.zeros((0, 2), dtype=int) if apart is None else apart
    labels = np.empty(n, dtype=int)
    joined = components(X, threshold, start, exact_max) if np.isfinite(threshold) else np.zeros(n, dtype=int)
    apart_in = pairs_by_group(apart, joined)
    empty = np.zeros((0, 2), dtype=int)
    next_label = 0
    order = np.argsort(joined, kind="stable")
    for rows in np.split(order, np.flatnonzero(np.diff(joined[order])) + 1):  # each component's rows, in order
        if len(rows) == 1:
            labels[rows] = next_label
            next_label += 1
            continue
        pairs = apart_in.get(int(joined[rows[0]]), empty)
        if not len(pairs) and len(np.unique(start[rows])) == len(rows):  # nothing to keep together or apart
            groups = unconstrained_average(X[rows], threshold)
        else:
            groups = merge_groups(pairwise(X[rows]), threshold, start[rows], apart_matrix(rows, pairs))
        for group in np.unique(groups):
            labels[rows[groups == group]] = next_label
            next_label += 1
    return first_seen_order(labels)


def first_seen_order(labels: np.ndarray) -> np.ndarray:
    """The same partition, numbered 0, 1, ... in order of first row."""
    _, first = np.unique(labels, return_index=True)
    order = {old: new for new, old in enumerate(labels[np.sort(first)])}
    return np.asarray([order[label] for label in labels], dtype=int)


def split_apart(X: np.ndarray, labels: np.ndarray, apart: np.ndarray) -> np.ndarray:
    """A clusterer's labels with every cluster that holds an `apart` pair (rows that are two
    people of one frame) split into as few groups as the constraint allows, by average linkage.
    Noise (-1) is left alone."""
    labels = np.asarray(labels, dtype=int).copy()
    next_label = labels.max(initial=-1) + 1
    for label, pairs in pairs_by_group(apart, labels).items():
        if label < 0:
            continue
        rows = np.flatnonzero(labels == label)
        inside = apart_matrix(rows, pairs)
        groups = merge_groups(pairwise(X[rows]), np.inf, np.arange(len(rows)), inside)
        for group in np.unique(groups)[1:]:
            labels[rows[groups == group]] = next_label
            next_label += 1
    return labels
