"""DBSCAN over the per-video people (scikit-learn). The default clusterer."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencer_kit import hookimpl
from influencer_kit.components import ClusterConfig, Component


@dataclass
class DBSCANConfig(ClusterConfig):
    name: str = "dbscan"
    eps: float = 0.6  # dlib's own same-person distance; measured on ../shared/faces: same person <= 0.53, different >= 0.67
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
