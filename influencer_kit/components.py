"""What a plugin hands the core: components, their configs, and the data they exchange."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

KINDS = ("detector", "embedder", "cluster")


@dataclass
class ComponentConfig:
    """Base of every component config; `name` selects the component within its kind."""

    name: str = "???"


@dataclass
class DetectorConfig(ComponentConfig):
    """Settings every detector shares; the core applies them around the plugin's `detect`."""

    detect_width: int = 480  # frames are downscaled to this width for detection (0: full size)
    min_face_size: int = 40  # faces smaller than this (pixels, shorter side, full frame) are dropped
    min_confidence: float = 0.9  # faces the detector is less sure of are dropped


@dataclass
class EmbedderConfig(ComponentConfig):
    """Settings every embedder shares."""


@dataclass
class ClusterConfig(ComponentConfig):
    """Settings every clusterer shares."""


CORE_CONFIGS = {"detector": DetectorConfig, "embedder": EmbedderConfig, "cluster": ClusterConfig}


@dataclass(frozen=True)
class Component:
    """One detector, embedder or clusterer offered by a plugin."""

    kind: str
    name: str
    factory: Callable[..., Any]
    config: type[ComponentConfig]
    description: str = ""
    weights_present: Callable[[], bool] = field(default=lambda: True)


@dataclass
class Face:
    """A face found in a frame: box in pixels of the full frame, and the detector's confidence."""

    box: tuple[int, int, int, int]  # x, y, width, height
    confidence: float

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]


@runtime_checkable
class Detector(Protocol):
    def fit(self) -> "Detector": ...

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        """Faces in each RGB frame (uint8, HxWx3)."""


@runtime_checkable
class Embedder(Protocol):
    def fit(self) -> "Embedder": ...

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        """One embedding row per face of the RGB frame, shape (len(faces), dim)."""


@runtime_checkable
class Clusterer(Protocol):
    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        """A label per row of X; -1 marks noise."""
