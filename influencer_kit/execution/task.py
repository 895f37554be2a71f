"""The per-video task: one video's frames -> faces -> embeddings, with the detector and embedder of
this process built and loaded once. Every executor (local.py, ray_cluster.py) runs `analyse_one`."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from influencer_kit.creatives.fingerprint import FingerprintSettings, fingerprint, fingerprint_file
from influencer_kit.errors import ConfigError, DecodeError, require
from influencer_kit.faces.analyse import AnalysisRules, analyse_read, face_plan
from influencer_kit.faces.embedding import MemberMemo, build_embedder, video_id
from influencer_kit.faces.frames import VideoReader
from influencer_kit.model import Fingerprint, VideoPictures
from influencer_kit.plugin import manager
from influencer_kit.quiet import native_chatter_filtered
from influencer_kit.threads import set_threads

log = logging.getLogger(__name__)


@dataclass
class ExecutorConfig:
    """`executor`: what runs the per-video work; `executor=local`, a process pool on this machine, is
    this class itself (`name: local`), other executors subclass it."""

    name: str = "local"
    workers: int = 2  # processes (or actors) analysing videos at once; each loads the models once

    def __post_init__(self) -> None:
        require(self.workers >= 1, "executor.workers", "a whole number, 1 or more", self.workers)


@dataclass
class FaceSettings:
    """Everything that decides what the faces stage finds; the cache key is made from it."""

    detector: dict
    embedder: dict
    frames_per_video: int
    faces_per_track: int
    early_stop: bool
    same_person_distance: float  # `per_video.same_person_distance`, a null resolved to the embedder's
    keep_frames: bool = True  # JPEGs of the sampled frames (output.frames); not part of the cache key
    members_root: str = ""  # the cache folder, where a fused embedder's members keep their embeddings; not in the key
    fingerprint: FingerprintSettings | None = None  # the content fingerprint's (creatives), none when off;
    # not part of the face cache's key: fingerprints have a cache of their own

    def key_fields(self) -> dict:
        """The settings and the detector's and embedder's distributions and versions: an upgraded
        plugin never serves the faces its older version found."""
        return {"detector": self.detector, "embedder": self.embedder, "frames_per_video": self.frames_per_video,
                "faces_per_track": self.faces_per_track, "early_stop": self.early_stop,
                "same_person_distance": self.same_person_distance,
                "plugins": {kind: manager.provider(kind, getattr(self, kind)["name"]).release
                            for kind in ("detector", "embedder")},
                **({"members": [manager.provider("embedder", m).release for m in self.embedder["members"]]}
                   if "members" in self.embedder else {})}

    def rules(self) -> AnalysisRules:
        det = self.detector
        return AnalysisRules(self.frames_per_video, det["detect_width"], det["min_face_size"],
                             det["min_confidence"], self.faces_per_track, self.early_stop,
                             self.same_person_distance)


class _Models:
    """The detector and embedder of this process, built and loaded on first use."""

    settings: FaceSettings | None = None
    detector = None
    embedder = None

    @classmethod
    def load(cls, settings: FaceSettings) -> None:
        if cls.settings != settings:
            with native_chatter_filtered():  # TensorFlow's import-time absl lines
                cls.detector = manager.build("detector", settings.detector).fit()
                cls.embedder = build_embedder(settings.embedder).fit()
            cls.settings = settings


TENSORFLOW_ENV = {  # read when TensorFlow is imported; MTCNN finds the same faces either way
    "TF_ENABLE_ONEDNN_OPTS": "1",  # oneDNN's kernels: about 25% less CPU for MTCNN
    "TF_USE_LEGACY_KERAS": "1",  # tf.keras from tf_keras: TensorFlow imports in ~3 s instead of ~4 s
}
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}  # read when numpy loads its BLAS


def tensorflow_environment() -> None:
    """Settings for a TensorFlow not imported yet in this process (`TENSORFLOW_ENV`)."""
    os.environ.update(TENSORFLOW_ENV)


def threads_per_worker(workers: int) -> int:
    """Each of `workers` processes' share of this machine's cores (workers x threads = cores), at least 1."""
    return max(1, (os.cpu_count() or 1) // workers)


def worker_environment(threads: int) -> None:
    """A worker process's settings: `TENSORFLOW_ENV`, and its native thread pools limited to
    `threads` (numpy's BLAS and OpenCV now; ONNX Runtime's sessions and FFmpeg's decoding through
    `influencer_kit.threads`; TensorFlow when a model imports it)."""
    import cv2
    from threadpoolctl import threadpool_limits

    tensorflow_environment()
    set_threads(threads)
    threadpool_limits(threads)
    cv2.setNumThreads(threads)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"


def analyse_one(path: str, settings: FaceSettings) -> VideoPictures | str:
    """The faces of one video and its fingerprint, from one decoding of it (the fingerprint's pass
    keeps the faces' frames), or why it could not be analysed (a decode error, for one).
    A model that cannot load, or a detector or embedder that fails (`ConfigError`, `ComponentError`),
    stops the run: it is the component's fault, not the video's."""
    _Models.load(settings)
    try:
        memo = None
        if settings.members_root and "members" in settings.embedder:
            memo = MemberMemo(Path(settings.members_root), video_id(path))
        rules = settings.rules()
        with VideoReader(path) as reader:
            plan = face_plan(reader, rules)
            found = fingerprint_one(reader, settings.fingerprint, plan[0])
            pictures = analyse_read(reader, plan, _Models.detector, _Models.embedder, rules, settings.keep_frames,
                                    memo)
        return replace(pictures, fingerprint=found)
    except DecodeError as err:
        return str(err)
    except ConfigError:  # a component that fails (`ComponentError`) stops the run, naming it
        raise
    except Exception as err:  # one odd file must not stop the run: it becomes that row's error
        log.warning("analysing %s failed", path, exc_info=True)
        return f"analysing it failed: {type(err).__name__}: {err}"


def fingerprint_one(video: VideoReader | str, settings: FingerprintSettings | None, keep: list[int] = ()
                    ) -> Fingerprint | None:
    """The content fingerprint of a video, open in a reader (keeping the frames `keep` it passes)
    or at a path (None when fingerprints are off, or when it cannot be made: the video's faces
    still count, it is then a creative of its own)."""
    if settings is None:
        return None
    try:
        if isinstance(video, VideoReader):
            return fingerprint(video, settings, keep)
        return fingerprint_file(video, settings)
    except Exception:  # the faces were found: a fingerprint that fails costs only the grouping
        log.warning("fingerprinting %s failed", getattr(video, "path", video), exc_info=True)
        return None
