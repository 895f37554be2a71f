"""Running the per-video work (frames -> faces -> embeddings) over many videos, with the face cache.

`executor=local` uses a process pool on this machine: each worker builds and loads the detector and
embedder once, and TensorFlow gets one thread per worker (threads fighting across processes were
slower on 2 cores). Videos already in the cache are never sent to a worker, and no model is loaded
when every video is cached.
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
from influencer_kit.faces import VideoFaces, analyse_video
from influencer_kit.frames import DecodeError
from influencer_kit.quiet import native_chatter_filtered

log = logging.getLogger(__name__)


@dataclass
class FaceSettings:
    """Everything that decides what the faces stage finds; the cache key is made from it."""

    detector: dict
    embedder: dict
    frames_per_video: int

    def key_fields(self) -> dict:
        return {"detector": self.detector, "embedder": self.embedder, "frames_per_video": self.frames_per_video}


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


def _single_thread_worker(settings: FaceSettings) -> None:
    """Process-pool initializer: one TensorFlow thread, models loaded once."""
    os.environ["TF_NUM_INTRAOP_THREADS"] = "1"
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    _Models.load(settings)


def analyse_one(path: str, settings: FaceSettings) -> VideoFaces | str:
    """The faces of one video, or the decode error's message."""
    _Models.load(settings)
    det = settings.detector
    try:
        return analyse_video(
            path, _Models.detector, _Models.embedder, settings.frames_per_video,
            det["detect_width"], det["min_face_size"], det["min_confidence"],
        )
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
        for sha, path in todo.items():
            results[sha] = _store(cache, sha, analyse_one(str(path), settings))
            bar.update()
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_single_thread_worker,
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
