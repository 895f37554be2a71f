"""The job a Hydra task runs: the pipeline inside an MLflow run, then a short summary."""
from __future__ import annotations

import logging

from omegaconf import DictConfig

from influencer_kit import pipeline
from influencer_kit.config import check
from influencer_kit.experiment import mlflow_run as tracking
from influencer_kit.experiment.run_metrics import run_metrics
from influencer_kit.model import Result
from influencer_kit.quiet import quiet_libraries

log = logging.getLogger("influencer_kit")


def main_task(cfg: DictConfig) -> float | None:
    """Run one job and return its sweep objective (`tracking.sweep_metric`), or None where it is
    undefined (an Optuna sweep records that trial as failed). A bad setting stops it before any work."""
    check(cfg)
    quiet_libraries()
    objective, _ = tracking.sweep_objective(cfg)
    with tracking.job_run(cfg) as run:
        result = pipeline.run(cfg)
        metrics, notes = run_metrics(result, cfg)
        tracking.log_result(result, cfg, metrics, notes)
    print(summary(result, metrics, run, cfg.tracking.uri))
    return metrics.get(objective)


def summary(result: Result, metrics: dict[str, float], run, tracking_uri: str) -> str:
    """What happened, in a few lines."""
    counts = result.videos["status"].value_counts()
    lines = [
        f"rows: {len(result.videos)}  " + "  ".join(f"{s}: {n}" for s, n in counts.items()),
        f"influencers: {len(result.metrics)} (ranked: {len(result.ranked)})",
        f"outputs: {result.output_dir}",
    ]
    report = result.output_dir / "report.html"
    if report.exists():
        lines.append(f"report: {report}")
    if run is not None:
        lines.append(f"mlflow run: {run.info.run_id} (experiment {run.info.experiment_id}); "
                     f"see it with: mlflow ui --backend-store-uri {tracking_uri}")
    return "\n".join(lines)
