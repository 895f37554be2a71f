"""The built-in executors, registered like a plugin's (`ik_executors`): `local` (a process pool on
this machine, local.py) and `ray` (Ray actors, ray_cluster.py)."""
from __future__ import annotations

from influencer_kit.execution.local import start_local, start_worker_server
from influencer_kit.execution.ray_cluster import RayActors, RayExecutorConfig, require_ray
from influencer_kit.execution.task import ExecutorConfig
from influencer_kit.plugin import Executor, hookimpl


@hookimpl
def ik_executors() -> list[Executor]:
    return [
        Executor("local", ExecutorConfig, start=start_local, warm_up=start_worker_server),
        Executor("ray", RayExecutorConfig, start=RayActors, check=lambda _config: require_ray()),
    ]
