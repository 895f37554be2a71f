"""RetinaFace detector (the retina-face package). Its weights download on first use, or are read
from `$DEEPFACE_HOME/.deepface/weights/`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencer_kit.plugin import Component, DetectorConfig, Face, hookimpl, quiet_libraries
from influencer_kit_plugins._deepface_weights import missing_weights, use_weights_dir, weights_folder
from influencer_kit_plugins._extras import import_extra

# The package names its landmarks from the person's side (its "right_eye" is on the image's left):
# these, in this order, are Face.landmarks' image-left eye, image-right eye, nose, mouth left, right.
LANDMARKS = ("right_eye", "left_eye", "nose", "mouth_right", "mouth_left")


def _weights_file() -> str:
    from retinaface.commons import backend_utils

    return "retinaface.onnx" if backend_utils.is_onnx() else "retinaface.h5"


@dataclass
class RetinaFaceConfig(DetectorConfig):
    name: str = "retinaface"
    weights_dir: str = ""  # folder holding .deepface/weights; empty: $DEEPFACE_HOME or home


class RetinaFaceDetector:
    """RetinaFace, one frame at a time, with its own 0.9 threshold lowered so the core filters."""

    def __init__(self, config: RetinaFaceConfig) -> None:
        self.config = config

    def fit(self) -> "RetinaFaceDetector":
        use_weights_dir(self.config.weights_dir)
        quiet_libraries()
        RetinaFace = import_extra("retinaface.RetinaFace", "detector=retinaface")

        try:
            self.model_ = RetinaFace.build_model()
        except Exception as err:  # the package raises bare ValueError/OSError on a failed download
            raise missing_weights("retinaface", [_weights_file()], err) from err
        self._detect = RetinaFace.detect_faces
        return self

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        return [self._detect_one(frame) for frame in frames]

    def _detect_one(self, frame: np.ndarray) -> list[Face]:
        bgr = np.ascontiguousarray(frame[:, :, ::-1])
        found = self._detect(bgr, threshold=0.5, model=self.model_)
        faces = []
        for item in found.values() if isinstance(found, dict) else []:
            x1, y1, x2, y2 = (int(v) for v in item["facial_area"])
            faces.append(Face(box=(x1, y1, x2 - x1, y2 - y1), confidence=float(item["score"]),
                              landmarks=Face.named_landmarks(item.get("landmarks"), LANDMARKS)))
        return faces


def _present(config: RetinaFaceConfig) -> bool:
    try:
        return (weights_folder(config.weights_dir) / _weights_file()).exists()
    except ImportError:
        return False


@hookimpl
def ik_components() -> list[Component]:
    return [
        Component(
            kind="detector",
            name="retinaface",
            factory=RetinaFaceDetector,
            config=RetinaFaceConfig,
            description="RetinaFace (retina-face, in the deepface extra; weights download on first use)",
            weights_present=_present,
        )
    ]
