"""Running the per-video work (frames -> faces -> embeddings) over many videos, with the face cache.

`executor=local` uses a process pool on this machine: each worker builds and loads the detector and
embedder once and runs one thread (threads fighting across processes were slower on 2 cores).
Workers are forked from a server process that imports the libraries they share once
(worker_preload.py); `start_worker_server` starts it early, while the videos download. Videos
already in the cache are never sent to a worker, and no model is loaded when every video is cached.
`executor=ray` sends the same work to Ray actors instead (ray_executor.py); the cache stays here.
"""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig
from tqdm import tqdm

from influencer_kit import plugins
from influencer_kit.cache import FaceCache
from influencer_kit.errors import ConfigError
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
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}  # read when numpy loads its BLAS


def _tensorflow_environment() -> None:
    """Settings for a TensorFlow not imported yet in this process (`TENSORFLOW_ENV`)."""
    os.environ.update(TENSORFLOW_ENV)


def worker_environment(threads: int) -> None:
    """A worker process's settings: `TENSORFLOW_ENV`, and its native thread pools limited to
    `threads` (numpy's BLAS and OpenCV now, TensorFlow when a model imports it). Workers that share
    the cores ran faster with one thread each."""
    import cv2
    from threadpoolctl import threadpool_limits

    _tensorflow_environment()
    threadpool_limits(threads)
    cv2.setNumThreads(threads)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"


def start_worker_server(executor: DictConfig) -> None:
    """Start, in the background, the server process that `executor=local` workers fork from (it
    imports the libraries they share once: worker_preload.py), so that it is ready by the time the
    videos are downloaded. Nothing to do for other executors, for one worker, or when it runs."""
    if executor.name != "local" or int(executor.workers) < 2:
        return
    _pool_context()
    with _environment(ONE_THREAD_ENV):  # the server's, for its numpy; workers set their own limits
        multiprocessing.forkserver.ensure_running()


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ for the block (for a child process started in it), then as before."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value


def _pool_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a server that has imported the libraries they share (not their models:
    nothing runs in it, so forking is safe) once, for every pool of this run."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["influencer_kit.worker_preload"])
    return context


def _worker_start() -> None:
    """Process-pool initializer: one thread per worker; Ctrl-C is left to the main process, which
    stops the pool. The models load with the first video, so that a model that cannot load here
    reaches the user as its own error rather than as a broken pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_environment(1)


def analyse_one(path: str, settings: FaceSettings) -> VideoFaces | str:
    """The faces of one video, or why it could not be analysed (a decode error, for one).
    A model that cannot load, or a detector or embedder that fails (`ConfigError`, `ComponentError`),
    stops the run: it is the component's fault, not the video's."""
    _Models.load(settings)
    try:
        return analyse_video(path, _Models.detector, _Models.embedder, settings.rules())
    except DecodeError as err:
        return str(err)
    except ConfigError:  # a component that fails (`ComponentError`) stops the run, naming it
        raise
    except Exception as err:  # one odd file must not stop the run: it becomes that row's error
        log.warning("analysing %s failed", path, exc_info=True)
        return f"analysing it failed: {type(err).__name__}: {err}"


def check_executor(executor: DictConfig) -> None:
    """Refuse, before any work, an executor that cannot run here (Ray not installed, for one)."""
    if executor.name == "ray":
        from influencer_kit.ray_executor import require_ray  # it imports this module
        require_ray()
    elif executor.name != "local":
        raise ConfigError(f"executor.name={executor.name!r} is not an executor: use executor=local or executor=ray")


def analyse_all(videos: dict[str, Path], settings: FaceSettings, cache_root: Path, executor: DictConfig,
                progress: bool = True) -> tuple[dict[str, VideoFaces | str], FaceCache]:
    """Faces for every video (keyed by sha256), from the cache or computed and then cached by
    `executor` (the `executor` config: a process pool here, or Ray: ray_executor.py).
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
    workers = max(1, min(int(executor.workers), len(todo)))
    if executor.name == "ray" and todo:
        from influencer_kit.ray_executor import analyse_on_ray  # it imports this module
        for sha, result in analyse_on_ray(todo, settings, executor, workers):
            results[sha] = _store(cache, sha, result)
            bar.update()
    elif workers == 1:
        _tensorflow_environment()
        for sha, path in todo.items():
            results[sha] = _store(cache, sha, analyse_one(str(path), settings))
            bar.update()
    else:
        start_worker_server(executor)
        with ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_worker_start) as pool:
            futures = {pool.submit(analyse_one, str(path), settings): sha for sha, path in todo.items()}
            try:
                for future in as_completed(futures):
                    sha = futures[future]
                    results[sha] = _store(cache, sha, _outcome(future))
                    bar.update()
            except BaseException:  # Ctrl-C or a kill: start no further video, keep what is stored
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    bar.close()
    return results, cache


def _outcome(future: Future) -> VideoFaces | str:
    """A worker's result, or why the worker failed (a crashed worker process, for one)."""
    try:
        return future.result()
    except ConfigError:
        raise
    except Exception as err:
        return f"the worker analysing it stopped: {type(err).__name__}: {err}"


def _store(cache: FaceCache, sha: str, result: VideoFaces | str) -> VideoFaces | str:
    if isinstance(result, VideoFaces):
        cache.put(sha, result)
    return result
