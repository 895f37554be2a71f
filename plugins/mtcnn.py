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
        import tensorflow as tf
        from mtcnn import MTCNN

        self.model_ = MTCNN()
        for stage in self.model_.stages:  # graphs instead of eager layer calls: about 30% faster,
            # same results; traced once per input shape, then shapes are generalised
            stage._model = tf.function(stage.model, reduce_retracing=True)
        return self

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        found: list[list[Face]] = []
        for start in range(0, len(frames), self.batch_size):
            batch = frames[start : start + self.batch_size]
            results = self._detect_same_size(batch) if len({f.shape for f in batch}) == 1 else [
                self.model_.detect_faces(f) for f in batch
            ]
            found += [
                [Face(box=tuple(int(v) for v in r["box"]), confidence=float(r["confidence"])) for r in res]
                for res in results
            ]
        return found

    def _detect_same_size(self, frames: list[np.ndarray]) -> list[list[dict]]:
        """`MTCNN.detect_faces` for frames of one size, with the batch normalised and handed to
        TensorFlow once (detect_faces converts a float64 copy again for every pyramid scale:
        a third of its time)."""
        import tensorflow as tf
        from mtcnn.utils.bboxes import limit_bboxes, to_json

        batch = tf.convert_to_tensor((np.stack(frames).astype(np.float32) - 127.5) / 128)
        shapes = np.asarray([f.shape for f in frames])
        boxes = None
        try:
            for stage in self.model_.stages:
                boxes = stage(bboxes_batch=boxes, images_normalized=batch, images_oshapes=shapes)
        except tf.errors.InvalidArgumentError:  # how the mtcnn package's stages say "no face"
            return [[] for _ in frames]
        boxes = limit_bboxes(boxes, images_shapes=shapes, limit_landmarks=False)
        return to_json(boxes, images_count=len(frames))


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
