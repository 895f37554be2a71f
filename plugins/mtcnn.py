"""MTCNN face detector (the `mtcnn` package, whose weights ship inside it). The default detector.
Two runtimes: "onnxruntime" (_mtcnn_onnx.py: the same networks run by ONNX Runtime, the same stages
in numpy and OpenCV, no TensorFlow to import) and "tensorflow" (the package itself)."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from influencer_kit.plugin import Component, ConfigError, DetectorConfig, Face, hookimpl, quiet_libraries
from influencer_kit_plugins._extras import import_extra

RUNTIMES = ("onnxruntime", "tensorflow")
# The package's keypoints in Face.landmarks' order (its "left_eye" is the one on the image's left).
KEYPOINTS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@dataclass
class MTCNNConfig(DetectorConfig):
    name: str = "mtcnn"
    batch_size: int = 16  # frames of one size detected in one call (much faster than one by one)
    runtime: str = "onnxruntime"  # no TensorFlow (faster to load and run); "tensorflow": the package itself


class MTCNNDetector:
    """Multi-task cascaded CNN; frames of a video share a size, so they are detected in batches."""

    def __init__(self, config: MTCNNConfig) -> None:
        self.config = config

    def fit(self) -> "MTCNNDetector":
        if self.config.runtime not in RUNTIMES:
            raise ConfigError(f"detector.runtime={self.config.runtime} is not an MTCNN runtime: use one of {', '.join(RUNTIMES)}")
        if self.config.runtime == "onnxruntime":
            from influencer_kit_plugins._mtcnn_onnx import MTCNN

            self.onnx_model_ = MTCNN()
            return self
        quiet_libraries()
        tf = import_extra("tensorflow", "detector.runtime=tensorflow")
        from mtcnn import MTCNN

        self.model_ = MTCNN()
        for stage in self.model_.stages:  # graphs instead of eager layer calls: about 30% faster,
            # same results; traced once per input shape, then shapes are generalised
            stage._model = tf.function(stage.model, reduce_retracing=True)
        return self

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        found: list[list[Face]] = []
        for start in range(0, len(frames), self.config.batch_size):
            found += self._detect_batch(frames[start : start + self.config.batch_size])
        return found

    def _detect_batch(self, batch: list[np.ndarray]) -> list[list[Face]]:
        """Faces in up to `batch_size` frames: in one call when they share a size, else one by one."""
        same_size = len({f.shape for f in batch}) == 1
        if self.config.runtime == "onnxruntime":
            return self.onnx_model_.detect(batch) if same_size else [self.onnx_model_.detect([f])[0] for f in batch]
        results = self._detect_same_size(batch) if same_size else [self.model_.detect_faces(f) for f in batch]
        return [[Face(box=tuple(int(v) for v in r["box"]), confidence=float(r["confidence"]),
                      landmarks=Face.named_landmarks(r.get("keypoints"), KEYPOINTS)) for r in res] for res in results]

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
            weights_present=lambda config: importlib.util.find_spec("mtcnn") is not None,
        )
    ]
