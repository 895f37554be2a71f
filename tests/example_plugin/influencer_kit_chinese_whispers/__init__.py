"""An influencer-kit plugin in one file: dlib's Chinese Whispers graph clustering as `cluster=chinese_whispers`.

Install it (`pip install ./tests/example_plugin`) and run
`python -m influencer_kit cluster=chinese_whispers cluster.threshold=0.5`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from influencer_kit.plugin import ClusterConfig, Component, hookimpl, same_person_option


@dataclass
class ChineseWhispersConfig(ClusterConfig):
    name: str = "chinese_whispers"
    threshold: Optional[float] = same_person_option("embeddings closer than this are linked; None: the embedder's")


class ChineseWhispersClusterer:
    """Links every pair closer than `threshold`, then lets labels spread along the links."""

    def __init__(self, config: ChineseWhispersConfig) -> None:
        self.config = config  # its options, defaults from the dataclass; same-person options resolved

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        import dlib

        vectors = [dlib.vector(row.astype(float).tolist()) for row in np.asarray(X)]
        return np.asarray(dlib.chinese_whispers_clustering(vectors, self.config.threshold), dtype=int)


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="cluster", name="chinese_whispers", factory=ChineseWhispersClusterer,
                      config=ChineseWhispersConfig, description="Chinese Whispers (dlib), an example plugin")]
