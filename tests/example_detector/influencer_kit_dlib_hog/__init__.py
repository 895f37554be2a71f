"""An influencer-kit detector plugin in one file: dlib's HOG face detector as `detector=dlib_hog`.
Its model is built into dlib, so it needs no weights file.

Install it (`pip install ./tests/example_detector`) and run
`python -m influencer_kit detector=dlib_hog detector.min_confidence=0.6`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from influencer_kit.plugin import Component, DetectorConfig, Face, hookimpl

WINDOW = 80  # the smallest face (pixels) dlib's HOG detector finds in a frame it does not enlarge
MAX_UPSAMPLE = 2  # each enlargement doubles the frame's sides: 4x the work


@dataclass
class DlibHOGConfig(DetectorConfig):
    name: str = "dlib_hog"
    min_face_size: int = 40  # the shared options' defaults may differ per detector: HOG misses tiny faces
    min_confidence: float = 0.5  # a face's confidence is the logistic of dlib's score; 0.5 is dlib's own cut


class DlibHOGDetector:
    """Histogram-of-oriented-gradients sliding window with a linear SVM (dlib's frontal face model).

    It reads the shared options the core also applies: `min_confidence` becomes dlib's own score
    threshold (so no weaker candidate is even scored), and `min_face_size` decides how often the
    frame is enlarged so that faces that small are found."""

    def __init__(self, config: DlibHOGConfig) -> None:
        self.config = config  # the whole config: defaults live only in DlibHOGConfig

    def fit(self) -> DlibHOGDetector:
        import dlib  # here, not at the top: listing plugins stays fast

        self.model_ = dlib.get_frontal_face_detector()
        self.upsample_ = upsample_times(self.config.min_face_size)
        self.threshold_ = logit(self.config.min_confidence)
        return self

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        return [self._detect_one(np.ascontiguousarray(frame)) for frame in frames]

    def _detect_one(self, frame: np.ndarray) -> list[Face]:
        rects, scores, _ = self.model_.run(frame, self.upsample_, self.threshold_)
        height, width = frame.shape[:2]
        faces = []
        for rect, score in zip(rects, scores):
            left, top = max(rect.left(), 0), max(rect.top(), 0)
            right, bottom = min(rect.right(), width - 1), min(rect.bottom(), height - 1)
            faces.append(Face(box=(left, top, right - left + 1, bottom - top + 1), confidence=1 / (1 + math.exp(-score))))
        return faces


def upsample_times(min_face_size: int) -> int:
    """How many times to double the frame so that faces of `min_face_size` pixels reach the window."""
    if min_face_size <= 0 or min_face_size >= WINDOW:
        return 0
    return min(MAX_UPSAMPLE, math.ceil(math.log2(WINDOW / min_face_size)))


def logit(probability: float) -> float:
    """dlib's score threshold for a confidence (the inverse of the logistic)."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@hookimpl
def ik_components() -> list[Component]:
    return [Component(kind="detector", name="dlib_hog", factory=DlibHOGDetector, config=DlibHOGConfig,
                      description="dlib HOG frontal faces (model built into dlib), an example plugin")]
