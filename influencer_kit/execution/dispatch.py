"""Running the per-video work (task.py) over many videos, with the face cache: videos already in the
cache are never sent out, and no model is loaded when every video is cached. `executor=local` runs
them in a process pool here (local.py), `executor=ray` as Ray actors (ray_cluster.py), one video in
this process when there is one worker; the cache stays with this process."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from omegaconf import DictConfig
from tqdm import tqdm

from influencer_kit.errors import ConfigError
from influencer_kit.execution.local import analyse_locally
from influencer_kit.execution.ray_cluster import analyse_on_ray, require_ray
from influencer_kit.execution.task import FaceSettings, analyse_one, tensorflow_environment
from influencer_kit.faces.cache import FaceCache
from influencer_kit.model import VideoFaces

log = logging.getLogger(__name__)


def check_executor(executor: DictConfig) -> None:
    """Refuse, before any work, an executor that cannot run here (Ray not installed, for one)."""
    if executor.name == "ray":
        require_ray()
    elif executor.name != "local":
        raise ConfigError(f"executor.name={executor.name!r} is not an executor: use executor=local or executor=ray")


def analyse_all(videos: dict[str, Path], settings: FaceSettings, cache_root: Path, executor: DictConfig,
                progress: bool = True) -> tuple[dict[str, VideoFaces | str], FaceCache]:
    """Faces for every video (keyed by sha256), from the cache or computed by `executor` and then
    cached. Decode failures come back as their message and are not cached."""
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
    with tqdm(total=len(todo), desc="analysing videos", unit="video", disable=not progress or not todo) as bar:
        for sha, result in _analysed(todo, settings, executor):
            if isinstance(result, VideoFaces):
                cache.put(sha, result)
            results[sha] = result
            bar.update()
    return results, cache


def _analysed(todo: dict[str, Path], settings: FaceSettings,
              executor: DictConfig) -> Iterator[tuple[str, VideoFaces | str]]:
    """(sha256, faces or error) for every video in `todo`, by the executor the config names."""
    if not todo:
        return
    workers = max(1, min(int(executor.workers), len(todo)))
    if executor.name == "ray":
        yield from analyse_on_ray(todo, settings, executor, workers)
    elif workers == 1:
        tensorflow_environment()
        for sha, path in todo.items():
            yield sha, analyse_one(str(path), settings)
    else:
        yield from analyse_locally(todo, settings, executor, workers)
