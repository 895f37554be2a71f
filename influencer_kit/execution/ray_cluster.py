"""`executor=ray`: the per-video work (frames -> faces -> embeddings) as Ray actors, on a cluster
(`executor.address`) or on a local Ray instance.

What runs where:
- The driver (the machine that runs `python -m influencer_kit`) reads the spreadsheet, downloads
  the videos into its cache, looks each one up in the face cache as its download ends, sends the
  new ones out while the other downloads go on, writes each result into the face cache as it comes
  back, then clusters, ranks and writes the outputs.
- Each worker is a Ray actor holding `num_cpus_per_worker` CPUs: it loads the detector and
  embedder once, then turns a video's bytes into its `VideoPictures` (faces, embeddings, frame and
  face JPEGs: small). Workers need no shared filesystem and never touch the caches.

At most `max_in_flight` videos are read and sent out at once (the core holds the rest back), so
memory stays flat however long the spreadsheet is. A worker whose process dies is restarted by Ray (loading the models again) and
the videos it held are sent again, up to `retries` times each; a video that still fails becomes
that row's error, as with `executor=local`.
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from influencer_kit.errors import ConfigError, require
from influencer_kit.execution.task import ExecutorConfig, FaceSettings, analyse_one, worker_environment
from influencer_kit.model import VideoPictures
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

    def analyse(self, video: bytes, suffix: str) -> VideoPictures | str:
        """The faces of the video, or why it could not be analysed."""
        with tempfile.TemporaryDirectory(prefix="ik-video-") as folder:
            path = Path(folder) / f"video{suffix}"
            path.write_bytes(video)
            return analyse_one(str(path), self.settings)


class RayActors:
    """The running `executor=ray`: `workers` actors; each video goes to the least busy one."""

    def __init__(self, settings: FaceSettings, config: Mapping[str, Any], workers: int) -> None:
        self.ray = require_ray()
        cpus = int(config["num_cpus_per_worker"])
        self.connected_here = _connect(self.ray, config, workers * cpus)
        actor_class = self.ray.remote(VideoAnalyser).options(
            num_cpus=cpus, max_restarts=-1, max_task_retries=int(config["retries"]))
        self.actors = [actor_class.remote(settings, cpus) for _ in range(workers)]
        self.busy = [0] * workers
        self.actor_of: dict[Future, int] = {}
        self.capacity = max(1, int(config["max_in_flight"] or 2 * workers))

    def submit(self, path: Path) -> Future:
        """Send the video's bytes to the least busy actor."""
        i = self.busy.index(min(self.busy))
        future = self.actors[i].analyse.remote(path.read_bytes(), path.suffix).future()
        self.busy[i] += 1
        self.actor_of[future] = i
        return future

    def outcome(self, future: Future) -> VideoPictures | str:
        """An actor's result, or why it failed (its process died more often than `retries`, for one)."""
        self.busy[self.actor_of.pop(future)] -= 1
        try:
            return future.result()
        except self.ray.exceptions.RayError as err:
            if isinstance(getattr(err, "cause", None), ConfigError):  # a failing component stops the run
                raise err.cause from err
            first_line = (str(err).strip().splitlines() or [""])[0]
            return f"the worker analysing it stopped: {type(err).__name__}: {first_line}"

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        if self.connected_here:
            self.ray.shutdown()


def _connect(ray: ModuleType, config: Mapping[str, Any], cpus_wanted: int) -> bool:
    """Join the Ray this process already uses, the cluster at `executor.address` (or `RAY_ADDRESS`,
    which `ray job submit` sets), or start a local instance with room for every worker. True when
    connected here, so the caller disconnects (a local instance then stops)."""
    if ray.is_initialized():
        return False
    address = str(config["address"] or os.environ.get("RAY_ADDRESS", ""))
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
