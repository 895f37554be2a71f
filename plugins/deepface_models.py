"""Any deepface recognition model by name (Facenet512, ArcFace, SFace, VGG-Face...). Weights come
from deepface's own download on a connected machine or from `$DEEPFACE_HOME/.deepface/weights/`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencer_kit import hookimpl
from influencer_kit.components import Component, EmbedderConfig, Face
from influencer_kit_plugins._deepface_weights import missing_weights, use_weights_dir
from influencer_kit.quiet import quiet_libraries


@dataclass
class DeepFaceConfig(EmbedderConfig):
    name: str = "deepface"
    model_name: str = "Facenet512"
    normalization: str = "base"
    weights_dir: str = ""  # folder holding .deepface/weights; empty: $DEEPFACE_HOME or home


class DeepFaceEmbedder:
    """Crops each face and embeds it with `DeepFace.represent(detector_backend="skip")`."""

    def __init__(self, model_name: str = "Facenet512", normalization: str = "base", weights_dir: str = "") -> None:
        self.model_name = model_name
        self.normalization = normalization
        self.weights_dir = weights_dir

    def fit(self) -> "DeepFaceEmbedder":
        use_weights_dir(self.weights_dir)
        quiet_libraries()
        from deepface import DeepFace

        try:
            DeepFace.build_model(task="facial_recognition", model_name=self.model_name)
        except Exception as err:  # deepface raises ValueError/OSError when gdown cannot fetch
            raise missing_weights(f"deepface model {self.model_name}", [str(err).split("/")[-1]], err) from err
        self.represent_ = DeepFace.represent
        return self

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        if not faces:
            return np.zeros((0, 0), dtype=np.float32)
        crops = [np.ascontiguousarray(frame[y : y + h, x : x + w, ::-1]) for x, y, w, h in (f.box for f in faces)]
        results = self.represent_(
            img_path=crops,
            model_name=self.model_name,
            detector_backend="skip",
            enforce_detection=False,
            normalization=self.normalization,
        )
        rows = [r[0] if isinstance(r, list) else r for r in results]
        return np.asarray([r["embedding"] for r in rows], dtype=np.float32)


@hookimpl
def ik_components() -> list[Component]:
    return [
        Component(
            kind="embedder",
            name="deepface",
            factory=DeepFaceEmbedder,
            config=DeepFaceConfig,
            description="deepface recognition models by name (weights download on first use)",
        )
    ]
