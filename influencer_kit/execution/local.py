"""`executor=local`: a process pool on this machine. Each worker builds and loads the detector and
embedder once and runs its share of the cores' threads (workers x threads = cores: with the default
2 workers on 2 cores, one thread each, which measured fastest: docs/speed.md).
Workers are forked from a server process that imports the libraries they share once
(worker_preload.py); `start_worker_server` starts it early, while the videos download."""
from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import signal
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from influencer_kit.errors import ConfigError
from influencer_kit.execution.task import (ONE_THREAD_ENV, FaceSettings, analyse_one, tensorflow_environment,
                                           threads_per_worker, worker_environment)
from influencer_kit.model import VideoPictures
from influencer_kit.threads import set_threads


def start_worker_server(executor: Mapping[str, Any]) -> None:
    """Start, in the background, the server process that `executor=local` workers fork from (it
    imports the libraries they share once: worker_preload.py), so that it is ready by the time the
    first videos are downloaded. Nothing to do for one worker, or when it runs."""
    if int(executor["workers"]) < 2:
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


def _worker_start(threads: int) -> None:
    """Process-pool initializer: the worker's share of threads (`threads_per_worker`); Ctrl-C is
    left to the main process, which stops the pool. The models load with the first video, so that a
    model that cannot load here reaches the user as its own error rather than as a broken pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_environment(threads)


class LocalPool:
    """`executor=local` with 2+ workers: a process pool of `workers` processes, two videos queued
    per worker so that none waits for the next."""

    def __init__(self, settings: FaceSettings, config: Mapping[str, Any], workers: int) -> None:
        start_worker_server(config)
        self.settings = settings
        self.capacity = 2 * workers
        self.pool = ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_worker_start,
                                        initargs=(threads_per_worker(workers),))

    def submit(self, path: Path) -> Future:
        return self.pool.submit(analyse_one, str(path), self.settings)

    def outcome(self, future: Future) -> VideoPictures | str:
        """A worker's result, or why the worker failed (a crashed worker process, for one)."""
        try:
            return future.result()
        except ConfigError:
            raise
        except Exception as err:
            return f"the worker analysing it stopped: {type(err).__name__}: {err}"

    def close(self) -> None:
        """Start no further video; one under way is abandoned (its result was not stored)."""
        self.pool.shutdown(wait=False, cancel_futures=True)


class InProcess(LocalPool):
    """`executor=local` with one worker: the videos one at a time in a thread of this process (no
    process to start, the models load here once), while the downloads go on in other threads; its
    models and decoding get every core (`threads_per_worker`)."""

    def __init__(self, settings: FaceSettings, config: Mapping[str, Any], workers: int) -> None:
        tensorflow_environment()
        set_threads(threads_per_worker(1))
        self.settings = settings
        self.capacity = 2
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="ik-analyse")


def start_local(settings: FaceSettings, config: Mapping[str, Any], workers: int) -> LocalPool:
    """The running `executor=local`: in this process for one worker, else a process pool."""
    return (InProcess if workers == 1 else LocalPool)(settings, config, workers)
