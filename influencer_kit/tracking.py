"""MLflow: every job is a run; the pipeline's own modules never call MLflow, this module does."""
from __future__ import annotations

import hashlib
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from omegaconf import DictConfig, OmegaConf

from influencer_kit import __version__

log = logging.getLogger(__name__)
PARENT_RUN_ENV = "IK_PARENT_RUN_ID"


def flatten(cfg: DictConfig) -> dict[str, str]:
    """The resolved config as dotted keys (`cluster.eps`), every value a string."""
    flat: dict[str, str] = {}

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        else:
            flat[prefix[:-1]] = str(node)

    walk(OmegaConf.to_container(cfg, resolve=True), "")
    return flat


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def job_run(cfg: DictConfig) -> Iterator[object | None]:
    """An MLflow run around one job (a child of the sweep's parent run when there is one)."""
    if not cfg.tracking.enabled:
        yield None
        return
    import mlflow

    mlflow.set_tracking_uri(cfg.tracking.uri)
    mlflow.set_experiment(cfg.tracking.experiment)
    parent = os.environ.get(PARENT_RUN_ENV)
    with mlflow.start_run(run_name=cfg.tracking.run_name or None, parent_run_id=parent or None,
                          nested=bool(parent)) as run:
        mlflow.log_params(flatten(cfg))
        mlflow.set_tags({"ik.version": __version__, "ik.detector": cfg.detector.name,
                         "ik.embedder": cfg.embedder.name, "ik.cluster": cfg.cluster.name})
        yield run


def log_result(result, cfg: DictConfig, metrics: dict[str, float]) -> None:
    """Tags, metrics and output files of a finished job, into the active run."""
    if not cfg.tracking.enabled:
        return
    import mlflow

    mlflow.set_tags({"ik.input": str(result.sheet.path), "ik.input_sha256": file_sha256(result.sheet.path)})
    mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
    out = result.output_dir
    for path in sorted(out.glob("*.xlsx")) + sorted(out.glob("*.csv")) + sorted(out.glob("report.html")):
        mlflow.log_artifact(str(path))
    hydra_dir = out / ".hydra"
    if hydra_dir.is_dir():
        mlflow.log_artifacts(str(hydra_dir), artifact_path="hydra")
