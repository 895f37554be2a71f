"""DBSCAN over the per-video people (scikit-learn). The default clusterer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from influencer_kit import hookimpl
from influencer_kit.plugin.components import ClusterConfig, Component, same_person_option


@dataclass
class DBSCANConfig(ClusterConfig):
    name: str = "dbscan"
    eps: Optional[float] = same_person_option("neighbours closer than this are one person; None: the embedder's same-person distance")
    min_samples: int = 1  # 1: a person seen in one video is a cluster of their own, never noise
    metric: str = "euclidean"


class DBSCANClusterer:
    def __init__(self, eps: float = 0.6, min_samples: int = 1, metric: str = "euclidean") -> None:
        self.eps = eps
        self.min_samples = min_samples
        self.metric = metric

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        from sklearn.cluster import DBSCAN  # here, not at the top: video workers import every plugin

        self.model_ = DBSCAN(eps=self.eps, min_samples=self.min_samples, metric=self.metric)
        return self.model_.fit_predict(X)


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="cluster", name="dbscan", factory=DBSCANClusterer, config=DBSCANConfig,
                      description="DBSCAN (scikit-learn)")]
