"""`executor=ray`: the per-video work (frames -> faces -> embeddings) as Ray actors, on a cluster
(`executor.address`) or on a local Ray instance.

What runs where:
- The driver (the machine that runs `python -m influencer_kit`) reads the spreadsheet, downloads
  the videos into its cache, looks each one up in the face cache, sends the rest out, writes each
  result into the face cache as it comes back, then clusters, ranks and writes the outputs.
- Each worker is a Ray actor holding `num_cpus_per_worker` CPUs: it loads the detector and
  embedder once, then turns a video's bytes into its `VideoFaces` (frame and face JPEGs and
  embeddings: small). Workers need no shared filesystem and never touch the caches.

At most `max_in_flight` videos are read and sent out at once, so memory stays flat however long
the spreadsheet is. A worker whose process dies is restarted by Ray (loading the models again) and
the videos it held are sent again, up to `retries` times each; a video that still fails becomes
that row's error, as with `executor=local`.
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from omegaconf import DictConfig

from influencer_kit.errors import ConfigError, require
from influencer_kit.execution.task import ExecutorConfig, FaceSettings, analyse_one, worker_environment
from influencer_kit.model import VideoFaces
from influencer_kit.quiet import quiet_libraries

log = logging.getLogger(__name__)

INSTALL_HINT = "executor=ray needs Ray, which is not installed: pip install 'influencer-kit[ray]'"


@dataclass
class RayExecutorConfig(ExecutorConfig):
    """`executor=ray`: the per-video work as Ray actors."""

    name: str = "ray"
    num_cpus_per_worker: int = 1  # CPUs Ray reserves for each actor; TensorFlow gets as many threads
    address: str = ""  # a running cluster (HOST:6379, or ray://HOST:10001); "": RAY_ADDRESS if set, else a local Ray
    max_in_flight: int | None = None  # videos read and sent out but not yet back, at most; null: twice executor.workers
    retries: int = 2  # a video whose worker process dies is sent again this many times (to the restarted worker)

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.num_cpus_per_worker >= 1, "executor.num_cpus_per_worker", "a whole number, 1 or more",
                self.num_cpus_per_worker)
        require(self.max_in_flight is None or self.max_in_flight >= 1, "executor.max_in_flight",
                "a whole number, 1 or more, or null (twice executor.workers)", self.max_in_flight)
        require(self.retries >= 0, "executor.retries", "a whole number, 0 or more", self.retries)


def require_ray() -> ModuleType:
    """The ray module, or a `ConfigError` saying how to install it."""
    try:
        import ray
    except ModuleNotFoundError as err:
        if err.name != "ray":  # Ray is there but broken: show what is missing
            raise
        raise ConfigError(INSTALL_HINT) from err
    return ray


class VideoAnalyser:
    """One worker: one video at a time, sent as bytes; the models load with the first (once per
    process) in the environment of an `executor=local` worker (`worker_environment`), one thread per CPU
    Ray gave it."""

    def __init__(self, settings: FaceSettings, threads: int) -> None:
        quiet_libraries()
        worker_environment(threads)
        self.settings = settings

    def analyse(self, video: bytes, suffix: str) -> VideoFaces | str:
        """The faces of the video, or why it could not be analysed."""
        with tempfile.TemporaryDirectory(prefix="ik-video-") as folder:
            path = Path(folder) / f"video{suffix}"
            path.write_bytes(video)
            return analyse_one(str(path), self.settings)


def analyse_on_ray(todo: dict[str, Path], settings: FaceSettings, config: DictConfig,
                   workers: int) -> Iterator[tuple[str, VideoFaces | str]]:
    """(sha256, faces or error) for every video in `todo`, in the order they finish, computed by
    `workers` Ray actors."""
    ray = require_ray()
    cpus = int(config.num_cpus_per_worker)
    connected_here = _connect(ray, config, workers * cpus)
    actors = []
    try:
        actor_class = ray.remote(VideoAnalyser).options(
            num_cpus=cpus, max_restarts=-1, max_task_retries=int(config.retries))
        actors = [actor_class.remote(settings, cpus) for _ in range(workers)]
        yield from _dispatch(ray, actors, todo, int(config.max_in_flight or 2 * workers))
    finally:
        for actor in actors:
            ray.kill(actor)
        if connected_here:
            ray.shutdown()


def _connect(ray: ModuleType, config: DictConfig, cpus_wanted: int) -> bool:
    """Join the Ray this process already uses, the cluster at `executor.address` (or `RAY_ADDRESS`,
    which `ray job submit` sets), or start a local instance with room for every worker. True when
    connected here, so the caller disconnects (a local instance then stops)."""
    if ray.is_initialized():
        return False
    address = str(config.address or os.environ.get("RAY_ADDRESS", ""))
    if address:
        ray.init(address=address, logging_level=logging.WARNING)
        cpus = ray.cluster_resources().get("CPU", 0)
        if cpus < cpus_wanted:
            log.warning("the Ray cluster at %s has %g CPUs; the workers want %d: some wait until it has room",
                        address, cpus, cpus_wanted)
    else:  # like executor=local, as many workers as asked for, even beyond this machine's cores
        ray.init(address="local", num_cpus=max(os.cpu_count() or 1, cpus_wanted), include_dashboard=False,
                 logging_level=logging.WARNING)
    return True


def _dispatch(ray: ModuleType, actors: list, todo: dict[str, Path],
              max_in_flight: int) -> Iterator[tuple[str, VideoFaces | str]]:
    """Send videos to the least busy actor, never more than `max_in_flight` at once; yield each
    result as it arrives."""
    waiting = iter(todo.items())
    in_flight: dict = {}  # Ray object ref -> (sha256, index of its actor)
    busy = [0] * len(actors)
    while True:
        while len(in_flight) < max(1, max_in_flight) and (item := next(waiting, None)):
            sha, path = item
            i = busy.index(min(busy))
            in_flight[actors[i].analyse.remote(path.read_bytes(), path.suffix)] = (sha, i)
            busy[i] += 1
        if not in_flight:
            return
        [done], _ = ray.wait(list(in_flight), num_returns=1)
        sha, i = in_flight.pop(done)
        busy[i] -= 1
        yield sha, _outcome(ray, done)


def _outcome(ray: ModuleType, ref: object) -> VideoFaces | str:
    """An actor's result, or why it failed (its process died more often than `retries`, for one)."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as err:
        if isinstance(getattr(err, "cause", None), ConfigError):  # a failing component stops the run
            raise err.cause from err
        first_line = (str(err).strip().splitlines() or [""])[0]
        return f"the worker analysing it stopped: {type(err).__name__}: {first_line}"
