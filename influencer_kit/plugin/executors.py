"""Executors as plugins: where the per-video work runs (`executor=local`, `executor=ray`, or an
installed plugin's). A plugin returns `Executor` records from the `ik_executors` hook."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import pluggy

from influencer_kit.errors import ConfigError
from influencer_kit.model import VideoPictures
from influencer_kit.plugin.manager import PluginError, get_plugin_manager


class Analyser(Protocol):
    """A running executor. The core sends it each new video as its download ends, never more than
    `capacity` at once, and stores each outcome in the face cache as it comes."""

    capacity: int  # videos in flight at most (sent, not yet back)

    def submit(self, path: Path) -> Future:
        """Start analysing the video at `path` (the driver's download cache)."""

    def outcome(self, future: Future) -> VideoPictures | str:
        """A submitted video's faces and pictures, or why it could not be analysed. Raises
        `ConfigError` (a component that fails) to stop the run."""

    def close(self) -> None:
        """Stop the workers; a video still in flight is abandoned."""


@dataclass(frozen=True)
class Executor:
    """An executor a plugin offers. `config` is its settings' dataclass (a subclass of
    `influencer_kit.execution.task.ExecutorConfig`, stored as the option `executor=<name>`).
    `start(settings, config, workers)` gets the run's `FaceSettings`, the whole `executor` config
    and how many workers to run (never more than there are videos), and returns an `Analyser`.
    `check(config)` refuses, before any work, a config that cannot run here (a library not
    installed); `warm_up(config)` may start slow things early (it runs while the first videos
    download)."""

    name: str
    config: type
    start: Callable[[Any, Mapping[str, Any], int], Analyser]
    check: Callable[[Mapping[str, Any]], None] = lambda config: None
    warm_up: Callable[[Mapping[str, Any]], None] = lambda config: None


def collect_executors(pm: pluggy.PluginManager) -> dict[str, Executor]:
    """Every executor of every plugin by name; a name offered twice is an error."""
    found: dict[str, Executor] = {}
    for impl in pm.hook.ik_executors.get_hookimpls():
        for executor in impl.function() or []:
            if executor.name in found:
                raise PluginError(f"executor {executor.name!r} is offered twice (plugin {pm.get_name(impl.plugin)!r})")
            found[executor.name] = executor
    return found


@lru_cache(maxsize=1)
def executors() -> dict[str, Executor]:
    """The installed executors by name (loaded once per process)."""
    return collect_executors(get_plugin_manager())


def get_executor(name: str) -> Executor:
    """The executor `executor=<name>` picks, or a `ConfigError` naming the installed ones."""
    installed = executors()
    if name not in installed:
        raise ConfigError(f"executor.name={name!r} is not an executor; installed: {', '.join(sorted(installed))}")
    return installed[name]
