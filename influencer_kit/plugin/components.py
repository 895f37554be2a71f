"""What a plugin hands the core: components, their configs, and the data they exchange."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Protocol, runtime_checkable

import numpy as np

from influencer_kit.errors import require
from influencer_kit.model import Face

KINDS = ("detector", "embedder", "cluster")


@dataclass
class ComponentConfig:
    """Base of every component config; `name` selects the component within its kind."""

    name: str = "???"


@dataclass
class DetectorConfig(ComponentConfig):
    """Settings every detector shares; the core applies them around the plugin's `detect`."""

    detect_width: int = 480  # frames are downscaled to this width for detection (0: full size)
    min_face_size: int = 20  # faces smaller than this (pixels, shorter side, full frame) are dropped:
    # dlib embeds a face 20 px wide within 0.46 of the same photo at full size (../shared/faces), and
    # MTCNN finds faces from 20 px at detect_width
    min_confidence: float = 0.9  # faces the detector is less sure of are dropped

    def __post_init__(self) -> None:
        require(self.detect_width >= 0, "detector.detect_width", "pixels, 0 (full size) or more", self.detect_width)
        require(self.min_face_size >= 0, "detector.min_face_size", "pixels, 0 or more", self.min_face_size)
        require(0 <= self.min_confidence <= 1, "detector.min_confidence", "a number from 0 to 1", self.min_confidence)


@dataclass
class EmbedderConfig(ComponentConfig):
    """Settings every embedder shares; the core applies them around the plugin's `embed`."""

    mirror: bool = False  # embed each face and its mirror image and average the two (influencer_kit/faces/embedding.py)


@dataclass
class ClusterConfig(ComponentConfig):
    """Settings every clusterer shares."""


def same_person_option(help: str = "") -> Any:
    """A clusterer config field holding a distance under which two faces are one person; left at
    None, the core sets it to the embedder's own same-person distance (`Distance.threshold`), so
    a clusterer works with any embedder without hand-set thresholds:

        eps: Optional[float] = same_person_option()
    """
    return field(default=None, metadata={"same_person": True, "help": help})


def is_same_person_option(option: Any) -> bool:
    """Whether a config dataclass field was declared with `same_person_option`."""
    return bool(option.metadata.get("same_person"))


def or_default(value: float | None, same_person: float) -> float:
    """A distance setting, or `same_person` (the embedder's) where it is left at None."""
    return same_person if value is None else float(value)


@dataclass(frozen=True)
class Distance:
    """How an embedder's vectors compare, stated by the embedder: the metric its model was trained
    for and its same-person distance for clustering: people (a video's faces, averaged) closer than
    this are one person. The core reads every threshold from here (the clusterer's cut, the
    registry's match distance, the grouping of one video's faces), none is tuned on one model.

    The core compares every embedding by Euclidean distance after `prepare`: cosine embeddings are
    scaled to unit length, where Euclidean distance d and cosine distance c agree (d = sqrt(2c)),
    so `threshold` is the same-person distance in the space the core clusters in."""

    metric: Literal["euclidean", "cosine"]
    same_person: float  # in `metric`'s units

    def prepare(self, vectors: np.ndarray) -> np.ndarray:
        """The vectors as the core stores and compares them."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.metric == "cosine" and vectors.size:
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)
        return vectors

    @property
    def threshold(self) -> float:
        """The same-person distance as a Euclidean distance between prepared vectors."""
        return self.same_person if self.metric == "euclidean" else math.sqrt(2.0 * self.same_person)


CORE_CONFIGS = {"detector": DetectorConfig, "embedder": EmbedderConfig, "cluster": ClusterConfig}


def always_present(config: ComponentConfig) -> bool:
    """`Component.weights_present` of a component that needs no weights files."""
    return True


@dataclass(frozen=True)
class Component:
    """One detector, embedder or clusterer offered by a plugin.

    `factory(config)` gets the whole config, an instance of `config` (the dataclass whose defaults
    are the component's only defaults), with same-person options already resolved.
    `weights_present(config)` says whether the model that config selects is on this machine."""

    kind: str
    name: str
    factory: Callable[[Any], Any]
    config: type[ComponentConfig]
    description: str = ""
    weights_present: Callable[[Any], bool] = always_present


@runtime_checkable
class Detector(Protocol):
    def fit(self) -> "Detector": ...

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        """Faces in each RGB frame (uint8, HxWx3)."""


@runtime_checkable
class Embedder(Protocol):
    distance: Distance  # known before `fit` (the core reads it without loading the model)

    def fit(self) -> "Embedder": ...

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        """One embedding row per face of the RGB frame, shape (len(faces), dim). An embedder may
        also offer `embed_frames(items)`, the same for several (frame, faces) pairs in one batch
        (`faces.embedding.embed_many`)."""


@runtime_checkable
class Clusterer(Protocol):
    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        """A label per row of X; -1 marks noise."""
