"""`executor=local`: a process pool on this machine. Each worker builds and loads the detector and
embedder once and runs one thread (threads fighting across processes were slower on 2 cores).
Workers are forked from a server process that imports the libraries they share once
(worker_preload.py); `start_worker_server` starts it early, while the videos download."""
from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig

from influencer_kit.errors import ConfigError
from influencer_kit.execution.task import ONE_THREAD_ENV, FaceSettings, analyse_one, worker_environment
from influencer_kit.model import VideoFaces


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
    context.set_forkserver_preload(["influencer_kit.execution.worker_preload"])
    return context


def _worker_start() -> None:
    """Process-pool initializer: one thread per worker; Ctrl-C is left to the main process, which
    stops the pool. The models load with the first video, so that a model that cannot load here
    reaches the user as its own error rather than as a broken pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_environment(1)


def analyse_locally(todo: dict[str, Path], settings: FaceSettings, executor: DictConfig,
                    workers: int) -> Iterator[tuple[str, VideoFaces | str]]:
    """(sha256, faces or error) for every video in `todo`, in the order they finish, computed by
    `workers` processes."""
    start_worker_server(executor)
    with ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_worker_start) as pool:
        futures = {pool.submit(analyse_one, str(path), settings): sha for sha, path in todo.items()}
        try:
            for future in as_completed(futures):
                yield futures[future], _outcome(future)
        except BaseException:  # Ctrl-C or a kill: start no further video, keep what is stored
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _outcome(future: Future) -> VideoFaces | str:
    """A worker's result, or why the worker failed (a crashed worker process, for one)."""
    try:
        return future.result()
    except ConfigError:
        raise
    except Exception as err:
        return f"the worker analysing it stopped: {type(err).__name__}: {err}"
