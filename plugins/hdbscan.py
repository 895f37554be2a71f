"""HDBSCAN over the per-video people (scikit-learn's implementation)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencer_kit import hookimpl
from influencer_kit.components import ClusterConfig, Component


@dataclass
class HDBSCANConfig(ClusterConfig):
    name: str = "hdbscan"
    min_cluster_size: int = 2
    min_samples: int = 1
    cluster_selection_epsilon: float = 0.6
    metric: str = "euclidean"


class HDBSCANClusterer:
    def __init__(self, min_cluster_size: int = 2, min_samples: int = 1,
                 cluster_selection_epsilon: float = 0.6, metric: str = "euclidean") -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.metric = metric

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        from sklearn.cluster import HDBSCAN  # here, not at the top: video workers import every plugin

        if len(X) < self.min_cluster_size:
            return np.full(len(X), -1)
        self.model_ = HDBSCAN(
            min_cluster_size=self.min_cluster_size,
            min_samples=self.min_samples,
            cluster_selection_epsilon=self.cluster_selection_epsilon,
            metric=self.metric,
        )
        return self.model_.fit_predict(X)


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="cluster", name="hdbscan", factory=HDBSCANClusterer, config=HDBSCANConfig,
                      description="HDBSCAN (scikit-learn)")]
