"""The built-in executors, registered through the `influencer_kit` entry-point group as a
third-party executor would be: `local` (a process pool here) and `ray` (Ray actors)."""
from __future__ import annotations

from influencer_kit import hookimpl
from influencer_kit.plugin.executors import Executor


@hookimpl
def ik_executors() -> list[Executor]:
    from influencer_kit.execution.local import start_local, start_worker_server
    from influencer_kit.execution.ray_cluster import RayActors, require_ray

    return [
        Executor("local", start=start_local, warm_up=start_worker_server),
        Executor("ray", start=RayActors, check=lambda _config: require_ray()),
    ]
