"""HDBSCAN over the per-video people (scikit-learn's), with `cluster_selection_epsilon` applied here.

scikit-learn 1.9.1's own epsilon step crashes under NumPy 2.4 whenever a cluster that formed closer
than epsilon sits inside another cluster (scikit-learn issue #33219: "TypeError: only 0-dimensional
arrays can be converted to Python scalars"); real footage hits that at an epsilon like 0.6. So HDBSCAN
runs without epsilon and epsilon is applied afterwards with its meaning kept: clusters, and points,
within `cluster_selection_epsilon` of each other in HDBSCAN's mutual-reachability distance are merged
(DBSCAN* at epsilon joined with HDBSCAN's clusters, the idea of Malzer and Baum's HDBSCAN(eps)).
Identical rows (the same face in two videos) are clustered once and always share a label.

Above `exact_max` distinct rows (Euclidean) exact HDBSCAN grows as n^2, so both steps run on each
row's nearest rows instead (`neighbours.nearest`, approximate at that size): HDBSCAN on the
minimum spanning tree of their mutual-reachability distances, the epsilon links among them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from influencer_kit.people.neighbours import EXACT_MAX, TINY, nearest
from influencer_kit.plugin import ClusterConfig, Component, hookimpl, same_person_option

if TYPE_CHECKING:
    from scipy import sparse


@dataclass
class HDBSCANConfig(ClusterConfig):
    name: str = "hdbscan"
    min_cluster_size: int = 2
    min_samples: int = 1
    cluster_selection_epsilon: Optional[float] = same_person_option("clusters closer than this are merged; None: the embedder's same-person distance")
    metric: str = "euclidean"
    exact_max: int = EXACT_MAX  # above this many distinct points, both steps run on approximate neighbours


NEIGHBOURS = 16  # nearest rows per row that the large path looks at (besides min_samples)


class HDBSCANClusterer:
    def __init__(self, config: HDBSCANConfig) -> None:
        self.config = config

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        """A label per row; -1 for a row that is alone (no cluster, no duplicate, nobody within epsilon)."""
        from scipy.sparse.csgraph import connected_components  # here, not at the top: video workers import every plugin

        X = np.asarray(X, dtype=float)
        if len(X) == 0:
            return np.zeros(0, dtype=int)
        rows, row_of, copies = np.unique(X, axis=0, return_inverse=True, return_counts=True)
        if len(rows) > self.config.exact_max and self.config.metric == "euclidean":
            clusters, close = self._on_neighbours(rows)
        else:
            clusters, close = self._hdbscan_labels(rows), self._within_epsilon(rows)
        links = close + same_cluster_links(clusters)
        _, groups = connected_components(links, directed=False)
        alone = (np.bincount(groups)[groups] == 1) & (copies == 1) & (clusters == -1)
        return np.where(alone, -1, groups)[row_of.ravel()]

    def _hdbscan_labels(self, rows: np.ndarray) -> np.ndarray:
        """HDBSCAN's clusters of distinct rows, without epsilon; all -1 when there are too few rows."""
        from sklearn.cluster import HDBSCAN

        if self.too_few(rows):
            return np.full(len(rows), -1)
        self.model_ = HDBSCAN(min_cluster_size=self.config.min_cluster_size, min_samples=self.config.min_samples,
                              metric=self.config.metric, copy=True)
        return self.model_.fit_predict(rows)

    def _within_epsilon(self, rows: np.ndarray) -> sparse.csr_matrix:
        """Links between rows whose mutual-reachability distance (the larger of their distance and
        each one's distance to its `min_samples`-th nearest row, itself included, as HDBSCAN's) is
        at most epsilon."""
        from scipy import sparse
        from sklearn.neighbors import NearestNeighbors

        neighbours = NearestNeighbors(radius=self.config.cluster_selection_epsilon, metric=self.config.metric).fit(rows)
        core = core_distances(neighbours, self.config.min_samples, len(rows))
        dense = sparse.diags((core <= self.config.cluster_selection_epsilon).astype(float))
        return dense @ neighbours.radius_neighbors_graph(mode="connectivity") @ dense

    def _on_neighbours(self, rows: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
        """Both steps from each row's `NEIGHBOURS` nearest rows: HDBSCAN's clusters on the spanning
        tree of their mutual-reachability distances (a tree keeps its distances under min_samples=1,
        so HDBSCAN's result on the tree is the result on those distances), and the links among them
        at most epsilon."""
        from sklearn.cluster import HDBSCAN

        k = min(len(rows), max(NEIGHBOURS, self.config.min_samples) + 1)
        reach = reachability_graph(*nearest(rows, rows, k, self.config.exact_max), self.config.min_samples)
        close = reach.copy()
        close.data = (close.data <= self.config.cluster_selection_epsilon).astype(float)
        close.eliminate_zeros()
        if self.too_few(rows):
            return np.full(len(rows), -1), close
        self.model_ = HDBSCAN(min_cluster_size=self.config.min_cluster_size, min_samples=1, metric="precomputed",
                              copy=True)
        return self.model_.fit_predict(spanning_tree(reach)), close

    def too_few(self, rows: np.ndarray) -> bool:
        """Whether there are too few rows for HDBSCAN to form a cluster."""
        return len(rows) < max(self.config.min_cluster_size, self.config.min_samples)


def core_distances(neighbours, min_samples: int, n_rows: int) -> np.ndarray:
    """Each fitted row's distance to its `min_samples`-th nearest row, itself counted first (0 for
    min_samples=1; infinite when there are fewer rows than that)."""
    if min_samples == 1:
        return np.zeros(n_rows)
    if min_samples > n_rows:
        return np.full(n_rows, np.inf)
    return neighbours.kneighbors(n_neighbors=min_samples - 1)[0][:, -1]  # the query row itself is not returned


def reachability_graph(dist: np.ndarray, idx: np.ndarray, min_samples: int) -> sparse.csr_matrix:
    """The mutual-reachability distances (as HDBSCAN's) between each row and its nearest rows, from
    `neighbours.nearest` of the distinct rows among themselves (each row its own nearest, first),
    as a sparse matrix; a distance of 0 is stored as `TINY`."""
    from scipy import sparse

    n, k = idx.shape
    core = dist[:, min_samples - 1] if min_samples <= k else np.full(n, np.inf)
    r, c = np.repeat(np.arange(n), k), idx.ravel()
    reach = np.maximum(dist.ravel(), np.maximum(core[r], core[np.maximum(c, 0)]))
    keep = (c >= 0) & (c != r) & np.isfinite(reach)
    return sparse.csr_matrix((np.maximum(reach[keep], TINY), (r[keep], c[keep])), shape=(n, n))


def spanning_tree(graph: sparse.csr_matrix) -> sparse.csr_matrix:
    """The minimum spanning tree of `graph`, symmetric; where the graph is in pieces, they are
    joined in a chain by links longer than any in the tree, so they part before anything else."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

    n = graph.shape[0]
    tree = minimum_spanning_tree(graph).tocoo()
    pieces, piece = connected_components(tree, directed=False)
    _, firsts = np.unique(piece, return_index=True)
    far = np.full(pieces - 1, 2.0 * max(tree.data.max(initial=0.0), TINY))
    links = sparse.csr_matrix((np.concatenate([tree.data, far]),
                               (np.concatenate([tree.row, firsts[:-1]]), np.concatenate([tree.col, firsts[1:]]))),
                              shape=(n, n))
    return (links + links.T).tocsr()


def same_cluster_links(labels: np.ndarray) -> sparse.csr_matrix:
    """Links from each clustered row to the first row of its cluster (noise, -1, gets none)."""
    from scipy import sparse

    clustered = np.flatnonzero(labels >= 0)
    _, first, cluster_of = np.unique(labels[clustered], return_index=True, return_inverse=True)
    n = len(labels)
    return sparse.csr_matrix((np.ones(len(clustered)), (clustered, clustered[first][cluster_of])), shape=(n, n))


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="cluster", name="hdbscan", factory=HDBSCANClusterer, config=HDBSCANConfig,
                      description="HDBSCAN (scikit-learn), clusters within cluster_selection_epsilon merged")]
