"""MTCNN face detector (the `mtcnn` package, whose weights ship inside it). The default detector."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from influencer_kit import hookimpl
from influencer_kit.components import Component, DetectorConfig, Face
from influencer_kit.quiet import quiet_libraries


@dataclass
class MTCNNConfig(DetectorConfig):
    name: str = "mtcnn"
    batch_size: int = 16  # frames of one size detected in one call (much faster than one by one)


class MTCNNDetector:
    """Multi-task cascaded CNN; frames of a video share a size, so they are detected in batches."""

    def __init__(self, batch_size: int = 16) -> None:
        self.batch_size = batch_size

    def fit(self) -> "MTCNNDetector":
        quiet_libraries()
        from mtcnn import MTCNN

        self.model_ = MTCNN()
        return self

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        found: list[list[Face]] = []
        for start in range(0, len(frames), self.batch_size):
            batch = frames[start : start + self.batch_size]
            same_size = len({f.shape for f in batch}) == 1
            results = self.model_.detect_faces(batch) if same_size and len(batch) > 1 else [
                self.model_.detect_faces(f) for f in batch
            ]
            found += [
                [Face(box=tuple(int(v) for v in r["box"]), confidence=float(r["confidence"])) for r in res]
                for res in results
            ]
        return found


@hookimpl
def ik_components() -> list[Component]:
    return [
        Component(
            kind="detector",
            name="mtcnn",
            factory=MTCNNDetector,
            config=MTCNNConfig,
            description="MTCNN (weights ship in the mtcnn package)",
            weights_present=lambda: importlib.util.find_spec("mtcnn") is not None,
        )
    ]
