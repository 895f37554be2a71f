"""DBSCAN over the per-video people (scikit-learn): single linkage when min_samples is 1."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from influencer_kit.plugin import ClusterConfig, Component, hookimpl, same_person_option
from influencer_kit.people.neighbours import EXACT_MAX, radius_graph


@dataclass
class DBSCANConfig(ClusterConfig):
    name: str = "dbscan"
    eps: Optional[float] = same_person_option("neighbours closer than this are one person; None: the embedder's same-person distance")
    min_samples: int = 1  # 1: a person seen in one video is a cluster of their own, never noise
    metric: str = "euclidean"
    exact_max: int = EXACT_MAX  # above this many points, neighbours are found approximately (neighbours.py)


class DBSCANClusterer:
    def __init__(self, config: DBSCANConfig) -> None:
        self.config = config

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        """DBSCAN's labels. Above `exact_max` points (Euclidean), DBSCAN runs on the graph of
        neighbours within eps found approximately (`neighbours.radius_graph`)."""
        from sklearn.cluster import DBSCAN  # here, not at the top: video workers import every plugin

        config = self.config
        if len(X) > config.exact_max and config.metric == "euclidean":
            self.model_ = DBSCAN(eps=config.eps, min_samples=config.min_samples, metric="precomputed")
            return self.model_.fit_predict(radius_graph(np.asarray(X), config.eps, config.exact_max))
        self.model_ = DBSCAN(eps=config.eps, min_samples=config.min_samples, metric=config.metric)
        return self.model_.fit_predict(X)


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="cluster", name="dbscan", factory=DBSCANClusterer, config=DBSCANConfig,
                      description="DBSCAN (scikit-learn)")]
