"""Running the per-video work (frames -> faces -> embeddings) over many videos, with the face cache.

`executor=local` uses a process pool on this machine: each worker builds and loads the detector and
embedder once, and TensorFlow gets one thread per worker (threads fighting across processes were
slower on 2 cores). Workers are forked from a server process that imports TensorFlow and dlib once
(about 3 s of CPU that each spawned worker would otherwise repeat), with `TENSORFLOW_ENV` set
before that import. Videos already in the cache
are never sent to a worker, and no model is loaded when every video is cached.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from influencer_kit import plugins
from influencer_kit.cache import FaceCache
from influencer_kit.faces import AnalysisRules, VideoFaces, analyse_video
from influencer_kit.frames import DecodeError
from influencer_kit.quiet import native_chatter_filtered

log = logging.getLogger(__name__)


@dataclass
class FaceSettings:
    """Everything that decides what the faces stage finds; the cache key is made from it."""

    detector: dict
    embedder: dict
    frames_per_video: int
    faces_per_track: int = AnalysisRules.faces_per_track  # the rules of faces.py
    early_stop: bool = AnalysisRules.early_stop
    same_person_distance: float = AnalysisRules.same_person_distance

    def key_fields(self) -> dict:
        return {"detector": self.detector, "embedder": self.embedder, "frames_per_video": self.frames_per_video,
                "faces_per_track": self.faces_per_track, "early_stop": self.early_stop,
                "same_person_distance": self.same_person_distance}

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
                cls.detector = plugins.build("detector", settings.detector).fit()
                cls.embedder = plugins.build("embedder", settings.embedder).fit()
            cls.settings = settings


TENSORFLOW_ENV = {  # read when TensorFlow is imported; MTCNN finds the same faces either way
    "TF_ENABLE_ONEDNN_OPTS": "1",  # oneDNN's kernels: about 25% less CPU for MTCNN
    "TF_USE_LEGACY_KERAS": "1",  # tf.keras from tf_keras: TensorFlow imports in ~3 s instead of ~4 s
}


def _tensorflow_environment() -> None:
    """Settings for a TensorFlow not imported yet in this process (`TENSORFLOW_ENV`)."""
    os.environ.update(TENSORFLOW_ENV)


def _pool_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a server that has imported the heavy libraries (not their models:
    nothing runs in them before the fork, so forking is safe) once, for every pool of this run."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["influencer_kit.worker_preload"])
    return context


def _single_thread_worker(settings: FaceSettings) -> None:
    """Process-pool initializer: one TensorFlow thread, models loaded once."""
    os.environ["TF_NUM_INTRAOP_THREADS"] = "1"
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    _Models.load(settings)


def analyse_one(path: str, settings: FaceSettings) -> VideoFaces | str:
    """The faces of one video, or the decode error's message."""
    _Models.load(settings)
    try:
        return analyse_video(path, _Models.detector, _Models.embedder, settings.rules())
    except DecodeError as err:
        return str(err)


def analyse_all(videos: dict[str, Path], settings: FaceSettings, cache_root: Path, workers: int,
                progress: bool = True) -> tuple[dict[str, VideoFaces | str], FaceCache]:
    """Faces for every video (keyed by sha256), from the cache or computed and then cached.
    Decode failures come back as their message and are not cached."""
    cache = FaceCache(cache_root, settings.key_fields())
    results: dict[str, VideoFaces | str] = {}
    todo: dict[str, Path] = {}
    for sha, path in videos.items():
        cached = cache.get(sha)
        if cached is None:
            todo[sha] = path
        else:
            results[sha] = cached
    log.info("faces: %d video(s) cached, %d to analyse", len(results), len(todo))
    bar = tqdm(total=len(todo), desc="analysing videos", unit="video", disable=not progress or not todo)
    workers = max(1, min(workers, len(todo)))
    if workers == 1:
        _tensorflow_environment()
        for sha, path in todo.items():
            results[sha] = _store(cache, sha, analyse_one(str(path), settings))
            bar.update()
    else:
        with ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_single_thread_worker,
                                 initargs=(settings,)) as pool:
            futures = {pool.submit(analyse_one, str(path), settings): sha for sha, path in todo.items()}
            for future in as_completed(futures):
                sha = futures[future]
                results[sha] = _store(cache, sha, future.result())
                bar.update()
    bar.close()
    return results, cache


def _store(cache: FaceCache, sha: str, result: VideoFaces | str) -> VideoFaces | str:
    if isinstance(result, VideoFaces):
        cache.put(sha, result)
    return result
