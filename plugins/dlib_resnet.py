"""dlib's ResNet face embedder with its 5-point alignment; weights from `face_recognition_models`.
The default embedder: 128 numbers per face, compared by Euclidean distance."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from influencer_kit.plugin import Component, Distance, EmbedderConfig, Face, hookimpl


@dataclass
class DlibConfig(EmbedderConfig):
    name: str = "dlib"
    num_jitters: int = 0  # extra jittered passes per face: slower, slightly more robust


class DlibEmbedder:
    """Aligns each face with dlib's 5-point shape predictor, then embeds the aligned chip."""

    # dlib verifies a pair of faces at 0.6 (99.38% on LFW); people (each the mean of one video's
    # faces) are clustered at 0.55, chosen on data the README's figures are not judged on: on the
    # real-footage `tune` part (benchmarks/real_set.py) each person's videos join by 0.43 and the
    # closest two people are 0.63 apart on average (0.58 for their closest pair); on the photo-built
    # videos of ../shared/faces one person's videos join only at 0.55 and different people are
    # 0.71 apart. 0.55 leans to the low side of that gap: merging two influencers averages their
    # scores unseen, splitting one shows up as two cards with the same face.
    distance = Distance("euclidean", 0.55)
    # The median distance between different people's faces, measured by benchmarks/embedder_separation.py
    # on MTCNN's largest face in 16 frames of each single-person clip of the real-footage `tune` part
    # (352 faces, 19 people; the photos of ../shared/faces give 0.844).
    typical_different = 0.851

    def __init__(self, config: DlibConfig) -> None:
        self.config = config

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
        vectors = self.model_.compute_face_descriptor(frame, shapes, self.config.num_jitters)
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
            weights_present=lambda config: importlib.util.find_spec("face_recognition_models") is not None,
        )
    ]
