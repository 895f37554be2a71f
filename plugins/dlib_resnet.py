"""dlib's ResNet face embedder with its 5-point alignment; weights from `face_recognition_models`.
The default embedder: 128 numbers per face, same person when the Euclidean distance is below ~0.6."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from influencer_kit import hookimpl
from influencer_kit.components import Component, EmbedderConfig, Face


@dataclass
class DlibConfig(EmbedderConfig):
    name: str = "dlib"
    num_jitters: int = 0  # extra jittered passes per face: slower, slightly more robust


class DlibEmbedder:
    """Aligns each face with dlib's 5-point shape predictor, then embeds the aligned chip."""

    def __init__(self, num_jitters: int = 0) -> None:
        self.num_jitters = num_jitters

    def fit(self) -> "DlibEmbedder":
        import dlib
        import face_recognition_models as models

        self.dlib_ = dlib
        self.shape_predictor_ = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self.model_ = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        return self

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        if not faces:
            return np.zeros((0, 128), dtype=np.float32)
        frame = np.ascontiguousarray(frame)  # dlib refuses views such as crops or flips
        shapes = self.dlib_.full_object_detections()
        for face in faces:
            x, y, w, h = face.box
            shapes.append(self.shape_predictor_(frame, self.dlib_.rectangle(x, y, x + w, y + h)))
        vectors = self.model_.compute_face_descriptor(frame, shapes, self.num_jitters)
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32)


@hookimpl
def ik_components() -> list[Component]:
    return [
        Component(
            kind="embedder",
            name="dlib",
            factory=DlibEmbedder,
            config=DlibConfig,
            description="dlib ResNet, 5-point aligned (weights in face_recognition_models)",
            weights_present=lambda: importlib.util.find_spec("face_recognition_models") is not None,
        )
    ]
