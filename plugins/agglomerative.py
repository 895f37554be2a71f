"""Agglomerative clustering cut at a distance threshold (scikit-learn)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencer_kit import hookimpl
from influencer_kit.components import ClusterConfig, Component


@dataclass
class AgglomerativeConfig(ClusterConfig):
    name: str = "agglomerative"
    distance_threshold: float = 0.6
    linkage: str = "average"
    metric: str = "euclidean"


class AgglomerativeClusterer:
    def __init__(self, distance_threshold: float = 0.6, linkage: str = "average", metric: str = "euclidean") -> None:
        self.distance_threshold = distance_threshold
        self.linkage = linkage
        self.metric = metric

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        from sklearn.cluster import AgglomerativeClustering  # here, not at the top: video workers import every plugin

        if len(X) < 2:
            return np.zeros(len(X), dtype=int)
        self.model_ = AgglomerativeClustering(
            n_clusters=None, distance_threshold=self.distance_threshold,
            linkage=self.linkage, metric=self.metric,
        )
        return self.model_.fit_predict(X)


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="cluster", name="agglomerative", factory=AgglomerativeClusterer,
                      config=AgglomerativeConfig, description="Agglomerative, cut at a distance (scikit-learn)")]
