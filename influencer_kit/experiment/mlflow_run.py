"""MLflow: every job is a run; the pipeline's own modules never call MLflow, this module does.

`job_run` opens the run in the task function, so a tracking failure is an error the user sees.
Inside a sweep, `sweep_callback.SweepRunCallback` puts the id of the sweep's parent run in
`IK_PARENT_RUN_ID`, and each job's run becomes its child.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from omegaconf import DictConfig, OmegaConf

from influencer_kit import __version__
from influencer_kit.acquire.download import hash_file
from influencer_kit.errors import TrackingError, require
from influencer_kit.plugin import manager
from influencer_kit.plugin.components import KINDS
from influencer_kit.registry.database import SQLITE_PREFIX

PARENT_RUN_ENV = "IK_PARENT_RUN_ID"
LOWER_IS_BETTER = {"davies_bouldin", "singleton_share", "rows_failed", "close_call_rows"}
SHEET_TILE = 96  # pixels per face in a contact sheet
SHEET_COLUMNS = 8
SHEET_MAX_FACES = 64
DIRECTIONS = ("maximize", "minimize")


@dataclass
class TrackingConfig:
    """`tracking`: every job is an MLflow run; a multirun (-m) adds one parent run holding the sweep's
    summary. `tracking=none` is `tracking.enabled=false`."""

    enabled: bool = True
    uri: str = "sqlite:///mlflow.db"  # relative to where you run; `mlflow ui --backend-store-uri sqlite:///mlflow.db`
    experiment: str = "influencer-kit"
    run_name: str | None = None  # null: what the run ran, `videos.csv · mtcnn · dlib · dbscan` (`run_name`)
    sweep_metric: str | None = None  # what a sweep optimises and the parent run ranks jobs by; null: silhouette,
    # or bcubed_f with data.label_column
    sweep_direction: str | None = None  # maximize or minimize; null: minimize for davies_bouldin,
    # singleton_share, rows_failed and time_*, else maximize

    def __post_init__(self) -> None:
        require(self.sweep_direction in (None, *DIRECTIONS), "tracking.sweep_direction",
                "maximize, minimize or null", self.sweep_direction)


SERVER_CHECK_TIMEOUT = 10.0  # seconds a tracking server has to answer at all
ARTIFACTS_FOLDER = "mlartifacts"  # beside a local sqlite:/// store, as `mlflow server` names its own


def run_name(cfg: DictConfig, suffix: str = "") -> str:
    """A run's name in MLflow: `tracking.run_name`, else what it ran, the spreadsheet and the
    detector, embedder and clusterer (`videos.xlsx · mtcnn · dlib · agglomerative`; a Google Sheets
    link whole), then `suffix` (a sweep's `sweep`, a job's `job 3`)."""
    if cfg.tracking.run_name:
        return str(cfg.tracking.run_name)
    path = str(cfg.data.path or "")
    sheet = "demo" if not path else path if path.startswith(("http://", "https://")) else Path(path).name
    return " · ".join([sheet, *(str(cfg[kind].name) for kind in KINDS), *([suffix] if suffix else [])])


def use_experiment(uri: str, name: str) -> str:
    """Point MLflow at `uri` and experiment `name`, creating it when new; its id. With a local
    `sqlite:///` store a new experiment keeps its files in `mlartifacts/` beside the database file
    (MLflow's default is `./mlruns` of whatever folder the run started in); a server decides itself."""
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(name) is None:
        try:
            mlflow.create_experiment(name, artifact_location=artifact_location(uri))
        except MlflowException as err:
            if err.error_code != "RESOURCE_ALREADY_EXISTS":  # else another job created it at the same moment
                raise
    return mlflow.set_experiment(name).experiment_id


def artifact_location(uri: str) -> str | None:
    """`mlartifacts/` beside a `sqlite:///` store's file, as a file:// URI; None for other stores."""
    if not uri.startswith(SQLITE_PREFIX):
        return None
    return (Path(uri.removeprefix(SQLITE_PREFIX)).expanduser().resolve().parent / ARTIFACTS_FOLDER).as_uri()


def check_server_answers(uri: str) -> None:
    """Refuse at once a tracking server (http or https `uri`) that does not answer: MLflow itself
    retries for minutes before it gives up. Any HTTP answer will do; local stores are not checked."""
    if not uri.startswith(("http://", "https://")):
        return
    import requests

    try:
        requests.get(uri.rstrip("/") + "/health", timeout=SERVER_CHECK_TIMEOUT)
    except requests.RequestException as err:
        raise TrackingError(f"MLflow tracking at {uri!r} failed: nothing answers there ({type(err).__name__})\n"
                            "Start the server, fix tracking.uri, or run without tracking: tracking.enabled=false"
                            ) from err


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


def sweep_objective(cfg: DictConfig) -> tuple[str, str]:
    """The metric a sweep optimises and its direction: `tracking.sweep_metric` (default silhouette,
    or bcubed_f when `data.label_column` is set) and `tracking.sweep_direction` (default minimize
    for metrics where lower is better, else maximize)."""
    metric = cfg.tracking.sweep_metric or ("bcubed_f" if cfg.data.label_column else "silhouette")
    lower = metric in LOWER_IS_BETTER or metric.startswith("time_")
    return metric, cfg.tracking.sweep_direction or ("minimize" if lower else "maximize")


def plugin_tags(cfg: DictConfig) -> dict[str, str]:
    """`ik.<kind>`: the component used; `ik.<kind>.plugin`: the distribution (and version) it came from."""
    tags: dict[str, str] = {}
    for kind in KINDS:
        name = cfg[kind].name
        tags[f"ik.{kind}"] = name
        tags[f"ik.{kind}.plugin"] = manager.provider(kind, name).release
    return tags


def sweep_job_tags() -> dict[str, str]:
    """The job's number and overrides inside a Hydra sweep."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return {}
    job = HydraConfig.get()
    return {"ik.job.num": str(job.job.num), "ik.job.overrides": " ".join(job.overrides.task)}


@contextmanager
def job_run(cfg: DictConfig) -> Iterator[object | None]:
    """An MLflow run around one job (a child of the sweep's parent run when there is one)."""
    if not cfg.tracking.enabled:
        yield None
        return
    import mlflow

    parent = os.environ.get(PARENT_RUN_ENV) or None
    check_server_answers(str(cfg.tracking.uri))
    try:
        use_experiment(cfg.tracking.uri, cfg.tracking.experiment)
        job = sweep_job_tags().get("ik.job.num") if parent else None
        run = mlflow.start_run(run_name=run_name(cfg, f"job {job}" if job else ""), parent_run_id=parent,
                               nested=bool(parent))
    except Exception as err:
        raise TrackingError(
            f"MLflow tracking at {cfg.tracking.uri!r} failed: {err}\n"
            "Fix tracking.uri, or run without tracking: tracking.enabled=false"
        ) from err
    with run:
        mlflow.log_params(flatten(cfg))
        mlflow.set_tags({"ik.version": __version__, **plugin_tags(cfg), **(sweep_job_tags() if parent else {})})
        yield run


def log_result(result, cfg: DictConfig, metrics: dict[str, float], notes: dict[str, str]) -> None:
    """Tags, metrics, notes and output files of a finished job, into the active run."""
    if not cfg.tracking.enabled:
        return
    import mlflow

    mlflow.set_tags({
        "ik.input": str(result.sheet.path),
        "ik.input_sha256": hash_file(result.sheet.path)[0],
        **{f"ik.note.{topic}": text for topic, text in notes.items()},
    })
    mlflow.log_params(result.sheet.reading.params())  # how the spreadsheet was read
    mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
    out = result.output_dir
    for path in sorted(out.glob("*.xlsx")) + sorted(out.glob("*.csv")) + sorted(out.glob("report.html")):
        mlflow.log_artifact(str(path))
    hydra_dir = hydra_output_dir()
    if hydra_dir is not None and hydra_dir.is_dir():
        mlflow.log_artifacts(str(hydra_dir), artifact_path="hydra")
    with tempfile.TemporaryDirectory() as tmp:
        for name, jpeg in contact_sheets(out / "face_clusters").items():
            (Path(tmp) / f"{name}.jpg").write_bytes(jpeg)
        mlflow.log_artifacts(tmp, artifact_path="contact_sheets")


def hydra_output_dir() -> Path | None:
    """The job's `.hydra` folder (config, hydra config, overrides), when Hydra runs the job."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    hydra = HydraConfig.get()
    if not hydra.output_subdir:
        return None
    return Path(hydra.runtime.output_dir) / hydra.output_subdir


def contact_sheets(clusters_dir: Path) -> dict[str, bytes]:
    """One JPEG per influencer folder in `face_clusters/`: a grid of their face crops."""
    if not clusters_dir.is_dir():
        return {}
    return {
        folder.name: contact_sheet(sorted(folder.glob("*.jpg"))[:SHEET_MAX_FACES])
        for folder in sorted(clusters_dir.iterdir()) if folder.is_dir() and any(folder.glob("*.jpg"))
    }


def contact_sheet(crops: list[Path]) -> bytes:
    """The crops, each fitted into a square tile, in rows of `SHEET_COLUMNS`, as JPEG bytes."""
    rows = -(-len(crops) // SHEET_COLUMNS)
    columns = min(len(crops), SHEET_COLUMNS)
    sheet = np.full((rows * SHEET_TILE, columns * SHEET_TILE, 3), 255, dtype=np.uint8)
    for i, path in enumerate(crops):
        image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            continue
        scale = SHEET_TILE / max(image.shape[:2])
        h, w = (max(1, round(s * scale)) for s in image.shape[:2])
        y, x = (i // SHEET_COLUMNS) * SHEET_TILE, (i % SHEET_COLUMNS) * SHEET_TILE
        top, left = (SHEET_TILE - h) // 2, (SHEET_TILE - w) // 2
        sheet[y + top:y + top + h, x + left:x + left + w] = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", sheet)
    if not ok:
        raise RuntimeError("could not encode a contact sheet as JPEG")
    return jpeg.tobytes()
