"""The parent MLflow run of a Hydra multirun: the one thing that needs the sweep's lifetime.

`python -m influencer_kit -m cluster.eps=0.3,0.4,0.5` opens one parent run before the first job;
each job's own run (opened by `tracking.job_run`) is its child. After every job the parent's summary
is brought up to date: the best job by `tracking.sweep_metric`, how many jobs ran and failed.
Hydra turns an exception raised here into a warning, so this callback only adds the parent; a bad
tracking store still fails each job, visibly, in `job_run`. A sweep that ends without Hydra's end
of multirun (a job stopped by a bad spreadsheet exits at once; Ctrl-C) leaves its parent FAILED, not
RUNNING.
"""
from __future__ import annotations

import atexit
import logging
import os
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from influencer_kit import __version__
from influencer_kit.errors import TrackingError
from influencer_kit.experiment.mlflow_run import (PARENT_RUN_ENV, check_server_answers, run_name, sweep_objective,
                                                  use_experiment)

log = logging.getLogger(__name__)


class SweepRunCallback(Callback):
    """Opens the sweep's parent run and keeps its summary of the child runs."""

    def __init__(self) -> None:
        self.parent_id: str | None = None  # the run this callback opened
        self.outer_parent: str | None = None  # IK_PARENT_RUN_ID before the sweep, if any

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if not config.tracking.enabled:
            return
        try:
            check_server_answers(str(config.tracking.uri))
        except TrackingError as err:  # no parent run; each job then stops with this error
            log.warning("%s", err)
            return
        import mlflow

        experiment_id = use_experiment(config.tracking.uri, config.tracking.experiment)
        metric, direction = sweep_objective(config)
        self.outer_parent = os.environ.get(PARENT_RUN_ENV)
        tags = {
            "ik.version": __version__,
            "ik.sweep": "true",
            "ik.sweep.overrides": " ".join(config.hydra.overrides.task),
            "ik.sweep.metric": metric,
            "ik.sweep.direction": direction,
            **({"mlflow.parentRunId": self.outer_parent} if self.outer_parent else {}),
        }
        parent = mlflow.MlflowClient(config.tracking.uri).create_run(
            experiment_id, run_name=run_name(config, "sweep"), tags=tags
        )
        self.parent_id = parent.info.run_id
        os.environ[PARENT_RUN_ENV] = self.parent_id
        atexit.register(self._fail_if_open, config.tracking.uri)
        log.info("MLflow parent run %s", self.parent_id)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if self.parent_id is None:  # a single run, or a launcher that runs jobs in other processes
            return
        summarise(self.parent_id, config)
        if job_return.status == JobStatus.FAILED:  # Hydra's basic sweeper then stops with no multirun end
            self._fail_if_open(config.tracking.uri)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self.parent_id is None:
            return
        failed = summarise(self.parent_id, config)
        import mlflow

        mlflow.MlflowClient(config.tracking.uri).set_terminated(
            self.parent_id, status="FAILED" if failed else "FINISHED")
        if self.outer_parent:
            os.environ[PARENT_RUN_ENV] = self.outer_parent
        else:
            os.environ.pop(PARENT_RUN_ENV, None)
        self.parent_id = None

    def _fail_if_open(self, tracking_uri: str) -> None:
        """At exit: the parent of a sweep that stopped before its end is FAILED."""
        if self.parent_id is not None:
            import mlflow

            mlflow.MlflowClient(tracking_uri).set_terminated(self.parent_id, status="FAILED")


def summarise(parent_id: str, config: DictConfig) -> int:
    """Write the sweep's summary into the parent run; returns how many child runs failed."""
    import mlflow

    client = mlflow.MlflowClient(config.tracking.uri)
    metric, direction = sweep_objective(config)
    parent = client.get_run(parent_id)
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'"
    )
    failed = sum(1 for c in children if c.info.status == "FAILED")
    client.log_metric(parent_id, "jobs", len(children))
    client.log_metric(parent_id, "jobs_failed", failed)
    scored = [c for c in children if metric in c.data.metrics]
    if not scored:
        client.set_tag(parent_id, "ik.note.sweep", f"no job has a {metric} score yet")
        return failed
    pick = max if direction == "maximize" else min
    best = pick(scored, key=lambda c: c.data.metrics[metric])
    client.log_metric(parent_id, f"best_{metric}", best.data.metrics[metric])
    for key, value in {
        "ik.sweep.best_run_id": best.info.run_id,
        "ik.sweep.best_run_name": best.info.run_name,
        "ik.sweep.best_job": best.data.tags.get("ik.job.num", ""),
        "ik.sweep.best_overrides": best.data.tags.get("ik.job.overrides", ""),
        "ik.note.sweep": f"best of {len(scored)} scored job(s) by {metric} ({direction})",
    }.items():
        client.set_tag(parent_id, key, value)
    return failed
