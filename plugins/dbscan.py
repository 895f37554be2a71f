"""DBSCAN over the per-video people (scikit-learn). The default clusterer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from influencer_kit.plugin import ClusterConfig, Component, hookimpl, same_person_option


@dataclass
class DBSCANConfig(ClusterConfig):
    name: str = "dbscan"
    eps: Optional[float] = same_person_option("neighbours closer than this are one person; None: the embedder's same-person distance")
    min_samples: int = 1  # 1: a person seen in one video is a cluster of their own, never noise
    metric: str = "euclidean"


class DBSCANClusterer:
    def __init__(self, config: DBSCANConfig) -> None:
        self.config = config

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        from sklearn.cluster import DBSCAN  # here, not at the top: video workers import every plugin

        self.model_ = DBSCAN(eps=self.config.eps, min_samples=self.config.min_samples, metric=self.config.metric)
        return self.model_.fit_predict(X)


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="cluster", name="dbscan", factory=DBSCANClusterer, config=DBSCANConfig,
                      description="DBSCAN (scikit-learn)")]
