"""OpenCV's Haar cascade face detector: fast, less accurate.

OpenCV 4 wheels ship the cascade XML under `cv2.data.haarcascades`; OpenCV 5 wheels do not, so the
detector also looks where Debian's `opencv-data` package puts it, or at `cascade_path=`."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import cv2
import numpy as np

from influencer_kit.plugin import Component, ConfigError, DetectorConfig, Face, hookimpl

CASCADE_FILE = "haarcascade_frontalface_default.xml"
CASCADE_DIRS = [getattr(cv2.data, "haarcascades", ""), "/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades"]


def find_cascade(cascade_path: str = "") -> str | None:
    """The first cascade file that exists: `cascade_path`, then the known install folders."""
    candidates = [cascade_path] if cascade_path else [os.path.join(d, CASCADE_FILE) for d in CASCADE_DIRS if d]
    return next((c for c in candidates if os.path.isfile(c)), None)


@dataclass
class OpenCVConfig(DetectorConfig):
    name: str = "opencv"
    min_confidence: float = 0.5
    scale_factor: float = 1.1
    min_neighbors: int = 5
    cascade_path: str = ""  # empty: look in cv2.data.haarcascades and /usr/share/opencv*/haarcascades


class OpenCVDetector:
    """Viola-Jones cascade; confidence is the logistic of the cascade's level weight."""

    def __init__(self, config: OpenCVConfig) -> None:
        self.config = config

    def fit(self) -> "OpenCVDetector":
        path = find_cascade(self.config.cascade_path)
        if path is None:
            looked = self.config.cascade_path or ", ".join(d for d in CASCADE_DIRS if d)
            raise ConfigError(
                f"OpenCV's {CASCADE_FILE} was not found (looked in {looked}). Install Debian's "
                f"opencv-data package (apt-get install opencv-data) or set detector.cascade_path="
            )
        self.cascade_ = cv2.CascadeClassifier(path)
        if self.cascade_.empty():
            raise ConfigError(f"OpenCV could not load the Haar cascade {path}")
        return self

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        return [self._detect_one(frame) for frame in frames]

    def _detect_one(self, frame: np.ndarray) -> list[Face]:
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        boxes, _, weights = self.cascade_.detectMultiScale3(
            grey, self.config.scale_factor, self.config.min_neighbors, outputRejectLevels=True
        )
        return [
            Face(box=tuple(int(v) for v in box), confidence=1 / (1 + math.exp(-float(w))))
            for box, w in zip(boxes, np.ravel(weights))
        ]


@hookimpl
def ik_components() -> list[Component]:
    return [
        Component(
            kind="detector",
            name="opencv",
            factory=OpenCVDetector,
            config=OpenCVConfig,
            description="OpenCV Haar cascade (ships with OpenCV)",
            weights_present=lambda config: find_cascade(config.cascade_path) is not None,
        )
    ]
