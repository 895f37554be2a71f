"""Any deepface recognition model by name (Facenet512, ArcFace, SFace, VGG-Face...). Weights come
from deepface's own download on a connected machine or from `$DEEPFACE_HOME/.deepface/weights/`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencer_kit.plugin import Component, ConfigError, Distance, EmbedderConfig, Face, hookimpl, quiet_libraries
from influencer_kit_plugins._deepface_weights import missing_weights, use_weights_dir, weights_folder
from influencer_kit_plugins._extras import import_extra

# The stem of each model's weights file; the extension depends on deepface's backend (.h5, .onnx, .pth).
WEIGHT_STEMS = {
    "VGG-Face": "vgg_face_weights", "Facenet": "facenet_weights", "Facenet512": "facenet512_weights",
    "OpenFace": "openface_weights", "DeepFace": "VGGFace2_DeepFace_weights_val-0.9034",
    "DeepID": "deepid", "ArcFace": "arcface_weights", "SFace": "face_recognition_sface_2021dec",
    "GhostFaceNet": "ghostfacenet_v1", "Dlib": "dlib_face_recognition_resnet_model_v1",
}

def weight_files(model_name: str) -> list[str]:
    """The files deepface may load for this model, one per backend."""
    stem = WEIGHT_STEMS.get(model_name, model_name.lower())
    return [f"{stem}{ext}" for ext in (".h5", ".onnx", ".pth", ".dat")]


def weights_present(model_name: str, weights_dir: str = "") -> bool:
    """Whether the weights of deepface's model `model_name` are in the folder it reads them from."""
    folder = weights_folder(weights_dir)
    stem = WEIGHT_STEMS.get(model_name)
    return stem is not None and folder.is_dir() and any(p.name.startswith(stem) for p in folder.iterdir())


@dataclass
class DeepFaceConfig(EmbedderConfig):
    name: str = "deepface"
    model_name: str = "Facenet512"
    normalization: str = "base"
    weights_dir: str = ""  # folder holding .deepface/weights; empty: $DEEPFACE_HOME or home


class DeepFaceEmbedder:
    """Crops each face and embeds it with `DeepFace.represent(detector_backend="skip")`."""

    def __init__(self, config: DeepFaceConfig) -> None:
        self.config = config

    @property
    def distance(self) -> Distance:
        """The model's cosine same-person distance as deepface tunes it (deepface.config.threshold,
        a plain table: reading it imports no TensorFlow)."""
        thresholds = import_extra("deepface.config.threshold", "embedder=deepface").thresholds
        if self.config.model_name not in thresholds:
            raise ConfigError(f"embedder.model_name={self.config.model_name} has no same-person distance in deepface; "
                              f"use one of {', '.join(thresholds)}")
        return Distance("cosine", thresholds[self.config.model_name]["cosine"])

    def fit(self) -> "DeepFaceEmbedder":
        use_weights_dir(self.config.weights_dir)
        quiet_libraries()
        DeepFace = import_extra("deepface.DeepFace", "embedder=deepface")

        try:
            DeepFace.build_model(task="facial_recognition", model_name=self.config.model_name)
        except Exception as err:  # deepface raises ValueError/OSError when gdown cannot fetch
            raise missing_weights(f"deepface model {self.config.model_name}", weight_files(self.config.model_name), err) from err
        self.represent_ = DeepFace.represent
        return self

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        if not faces:
            return np.zeros((0, 0), dtype=np.float32)
        crops = [np.ascontiguousarray(frame[y : y + h, x : x + w, ::-1]) for x, y, w, h in (f.box for f in faces)]
        results = self.represent_(
            img_path=crops,
            model_name=self.config.model_name,
            detector_backend="skip",
            enforce_detection=False,
            normalization=self.config.normalization,
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
            description="deepface recognition models by name (the deepface extra; weights download on first use)",
            weights_present=lambda config: weights_present(config.model_name, config.weights_dir),
        )
    ]
