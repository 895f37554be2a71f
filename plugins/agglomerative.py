"""Agglomerative clustering cut at a distance: average linkage by default (influencer_kit.people.linkage:
exact, and done one neighbourhood component at a time so it scales), or scikit-learn's other
linkages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from influencer_kit.plugin import ClusterConfig, Component, hookimpl, same_person_option
from influencer_kit.people.neighbours import EXACT_MAX


@dataclass
class AgglomerativeConfig(ClusterConfig):
    name: str = "agglomerative"
    # the cut, named like DBSCAN's so `cluster.eps=0.4` means the same whichever clusterer is chosen
    eps: Optional[float] = same_person_option("the cut; None: the embedder's same-person distance")
    linkage: str = "average"  # average: two groups merge when their faces are close on average (no chaining)
    metric: str = "euclidean"
    exact_max: int = EXACT_MAX  # above this many points, neighbours are found approximately (neighbours.py)


class AgglomerativeClusterer:
    def __init__(self, config: AgglomerativeConfig) -> None:
        self.config = config

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        if len(X) < 2:
            return np.zeros(len(X), dtype=int)
        if self.config.linkage == "average" and self.config.metric == "euclidean":
            from influencer_kit.people.linkage import average_linkage

            return average_linkage(np.asarray(X, dtype=np.float64), self.config.eps,
                                   exact_max=self.config.exact_max)
        from sklearn.cluster import AgglomerativeClustering  # here, not at the top: video workers import every plugin

        self.model_ = AgglomerativeClustering(
            n_clusters=None, distance_threshold=self.config.eps,
            linkage=self.config.linkage, metric=self.config.metric,
        )
        return self.model_.fit_predict(X)


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="cluster", name="agglomerative", factory=AgglomerativeClusterer,
                      config=AgglomerativeConfig, description="Agglomerative, cut at a distance (average linkage)")]
