"""Executors are plugins (`ik_executors`): the built-ins come through their entry point, a new one
is one plugin module, a name offered twice or not installed is refused."""
from __future__ import annotations

import pytest

from influencer_kit import hookimpl
from influencer_kit.errors import ConfigError
from influencer_kit.execution.local import InProcess, LocalPool
from influencer_kit.execution.task import ExecutorConfig
from influencer_kit.plugin import manager
from influencer_kit.plugin.executors import Executor, collect_executors, executors, get_executor
from influencer_kit.execution import executors as builtin


class Inline:
    """An outside plugin's executor: one module, one hook."""

    @hookimpl
    def ik_executors(self):
        return [Executor("inline", ExecutorConfig, start=InProcess)]


def test_the_builtins_are_found_through_their_entry_point():
    assert set(executors()) >= {"local", "ray"}
    assert get_executor("local").start.__name__ == "start_local"


def test_a_plugin_adds_an_executor_and_a_name_offered_twice_is_refused():
    pm = manager.get_plugin_manager(load_entry_points=False)
    pm.register(builtin)
    pm.register(Inline())
    assert sorted(collect_executors(pm)) == ["inline", "local", "ray"]

    class Twin:
        @hookimpl
        def ik_executors(self):
            return [Executor("local", ExecutorConfig, start=LocalPool)]

    pm.register(Twin())
    with pytest.raises(manager.PluginError, match="executor 'local' is offered twice"):
        collect_executors(pm)


def test_an_executor_not_installed_is_a_config_error_naming_those_that_are():
    with pytest.raises(ConfigError, match=r"executor.name='nope' is not an executor; installed: .*local, ray"):
        get_executor("nope")
