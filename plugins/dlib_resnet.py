"""dlib's ResNet face embedder with its 5-point alignment; weights from `face_recognition_models`.
The default embedder: 128 numbers per face, compared by Euclidean distance.

Two runtimes for the network: "onnxruntime" (the default: the same network and weights as an ONNX
graph, plugins/models/dlib_resnet_v1.onnx, built by tools/dlib_to_onnx.py; its descriptors are
dlib's to within 1e-6) and "dlib" (dlib's own, a CPU build without BLAS: several times slower).
Both align faces with dlib's 5-point shape predictor and cut dlib's 150x150 chips."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from influencer_kit.plugin import Component, ConfigError, Distance, EmbedderConfig, Face, hookimpl
from influencer_kit_plugins._onnx_models import MODELS, in_batches, session

RUNTIMES = ("onnxruntime", "dlib")
MODEL = MODELS / "dlib_resnet_v1.onnx"
CHIP, PADDING = 150, 0.25  # the chips compute_face_descriptor cuts: 150 px, a quarter of the face around it


@dataclass
class DlibConfig(EmbedderConfig):
    name: str = "dlib"
    num_jitters: int = 0  # extra jittered passes per face (2 or more): slower, slightly more robust
    runtime: str = "onnxruntime"  # the network in ONNX Runtime; "dlib": dlib's own (several times slower)
    threads: int = 1  # ONNX Runtime's intra-op threads: the executors run one worker per core


class DlibEmbedder:
    """Aligns each face with dlib's 5-point shape predictor, then embeds the aligned chips, all
    faces of the frames given at once in one batch."""

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
        if self.config.runtime not in RUNTIMES:
            raise ConfigError(f"embedder.runtime={self.config.runtime} is not a dlib runtime: use one of "
                              f"{', '.join(RUNTIMES)}")
        if self.config.threads < 1:
            raise ConfigError(f"embedder.threads: 1 or more, got {self.config.threads!r}")
        import dlib
        import face_recognition_models as models

        self.dlib_ = dlib
        self.shape_predictor_ = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        if self.config.runtime == "dlib":
            self.model_ = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        else:
            self.session_ = onnx_session(self.config.threads)
        return self

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        return self.embed_frames([(frame, faces)])[0]

    def embed_frames(self, items: list[tuple[np.ndarray, list[Face]]]) -> list[np.ndarray]:
        """Each frame's faces' embeddings; in the onnxruntime runtime, every frame's chips in one batch."""
        if self.config.runtime == "dlib":
            return [self._dlib_vectors(frame, faces) for frame, faces in items]
        chips = [self._chips(frame, faces) for frame, faces in items]
        flat = [chip for frame_chips in chips for chip in frame_chips]
        vectors = self._network(flat) if flat else np.zeros((0, 128), dtype=np.float32)
        ends = np.cumsum([len(c) for c in chips])
        return np.split(vectors, ends[:-1]) if items else []

    def _shapes(self, frame: np.ndarray, faces: list[Face]):
        """dlib's five landmarks of each face (`frame` contiguous: dlib refuses views such as crops or flips)."""
        shapes = self.dlib_.full_object_detections()
        for face in faces:
            x, y, w, h = face.box
            shapes.append(self.shape_predictor_(frame, self.dlib_.rectangle(x, y, x + w, y + h)))
        return shapes

    def _dlib_vectors(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        if not faces:
            return np.zeros((0, 128), dtype=np.float32)
        frame = np.ascontiguousarray(frame)
        vectors = self.model_.compute_face_descriptor(frame, self._shapes(frame, faces), self.config.num_jitters)
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32)

    def _chips(self, frame: np.ndarray, faces: list[Face]) -> list[np.ndarray]:
        """The aligned 150 px chips dlib's compute_face_descriptor would cut."""
        if not faces:
            return []
        frame = np.ascontiguousarray(frame)
        return list(self.dlib_.get_face_chips(frame, self._shapes(frame, faces), size=CHIP, padding=PADDING))

    def _network(self, chips: list[np.ndarray]) -> np.ndarray:
        """The network's descriptor of each chip, all in one run (jittered copies averaged, as
        compute_face_descriptor does; 0 and 1 jitters both embed the chip itself)."""
        jitters = self.config.num_jitters

        def run(part: np.ndarray) -> np.ndarray:
            return self.session_.run(None, {"chips": part})[0]

        if jitters <= 1:
            return in_batches(run, np.stack(chips))
        jittered = np.stack([image for chip in chips for image in self.dlib_.jitter_image(chip, jitters)])
        return in_batches(run, jittered).reshape(len(chips), jitters, -1).mean(axis=1)


def onnx_session(threads: int):
    """An ONNX Runtime session of the shipped network on `threads` intra-op threads."""
    return session(MODEL, threads, "embedder=dlib", "reinstall influencer-kit, rebuild it with "
                   "tools/dlib_to_onnx.py or set embedder.runtime=dlib")


def weights_present(config: DlibConfig) -> bool:
    """The shape predictor (and, for the dlib runtime, the network) ship in face_recognition_models;
    the onnxruntime runtime's network ships in this package."""
    installed = importlib.util.find_spec("face_recognition_models") is not None
    return installed and (config.runtime == "dlib" or MODEL.is_file())


@hookimpl
def ik_components() -> list[Component]:
    return [
        Component(
            kind="embedder",
            name="dlib",
            factory=DlibEmbedder,
            config=DlibConfig,
            description="dlib ResNet on ONNX Runtime (model in the package), 5-point aligned (face_recognition_models)",
            weights_present=weights_present,
        )
    ]
