"""Experiment tracking and sweeps, as a user runs them: every job an MLflow run, a multirun one
parent run with a child per job, read back through MLflow's own client from the real SQLite store
and from a real `mlflow server`; and the face cache that lets a sweep detect each video once."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import cv2
import mlflow
import pandas as pd
import psycopg
import pytest
from conftest import free_port, need_shared_faces, run_cli

from influencer_kit.experiment.mlflow_run import SHEET_COLUMNS, SHEET_TILE
from influencer_kit.faces.cache import FaceCache
from influencer_kit.registry.store import Registry
from influencer_kit.outputs.folders import safe_name
from influencer_kit.model import VideoPictures
from influencer_kit_samples.people import build_people_dataset

pytestmark = pytest.mark.slow

TABLES = ["ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers"]
EPS = ["0.05", "0.4", "0.5"]
RUN_METRICS = [
    "rows", "rows_ok", "rows_no_face", "rows_download_error", "rows_decode_error", "rows_invalid_url",
    "rows_invalid_performance", "rows_failed", "videos_unique", "frames", "faces", "appearances",
    "influencers", "singleton_share", "time_read_spreadsheet_s", "time_download_s", "time_faces_s",
    "time_people_s", "time_creatives_s", "time_ranking_s", "time_write_outputs_s", "creatives", "variant_rows",
]
CLUSTER_SCORES = ["silhouette", "davies_bouldin", "calinski_harabasz"]
LABEL_SCORES = ["ari", "nmi", "bcubed_precision", "bcubed_recall", "bcubed_f", "pairwise_f"]
PEOPLE_IN_THE_DEMO = ["influencer_001", "influencer_002"]  # the demo's two people, in a new registry
SMALL = ["frames_per_video=2", "executor.workers=1", "output.progress=false"]



def sha256_of(path: Path) -> str:
    """The file's sha256, computed here rather than by the code under test."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()

def computed_per_key(cache_dir: Path) -> dict[str, list[str]]:
    """The face cache's own counter: for each settings key, the videos it computed."""
    return {
        folder.name: [json.loads(line)["sha256"] for line in (folder / "computed.jsonl").read_text().splitlines()]
        for folder in (cache_dir / "faces").iterdir() if (folder / "computed.jsonl").exists()
    }


def artifact_files(client: mlflow.MlflowClient, run_id: str, path: str | None = None) -> set[str]:
    """Every artifact file of a run, as paths inside the run."""
    found: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        found |= artifact_files(client, run_id, item.path) if item.is_dir else {item.path}
    return found


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """`python -m influencer_kit -m cluster.eps=0.05,0.4,0.5 embedder=dlib` (cuts in dlib's space) from a fresh
    folder, default store."""
    tmp = tmp_path_factory.mktemp("sweep")
    csv = build_people_dataset(need_shared_faces(), tmp / "data", n_videos=8, n_frames=12)
    done = run_cli(["-m", f"cluster.eps={','.join(EPS)}", f"data.path={csv}", "data.label_column=Person",
                    f"cache.dir={tmp / 'cache'}", "frames_per_video=4", "executor.workers=1", "embedder=dlib",
                    "output.progress=false"], cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp / "mlflow.db").is_file()  # the default store: sqlite:///mlflow.db where the user runs
    client = mlflow.MlflowClient(f"sqlite:///{tmp / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("influencer-kit").experiment_id])
    return tmp, csv, client, runs


def parent_and_children(runs):
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    return parents[0], sorted(children, key=lambda r: r.data.params["cluster.eps"])


def test_a_sweep_is_one_parent_run_with_a_child_per_job(sweep):
    tmp, csv, client, runs = sweep
    parent, children = parent_and_children(runs)
    assert len(runs) == 4 and len(children) == 3
    assert [c.data.params["cluster.eps"] for c in children] == EPS
    assert {r.info.status for r in runs} == {"FINISHED"}
    # the summary: best job by bcubed_f (the default metric when labels are given), maximised
    tags = parent.data.tags
    assert (tags["ik.sweep.metric"], tags["ik.sweep.direction"]) == ("bcubed_f", "maximize")
    assert "cluster.eps=0.05,0.4,0.5" in tags["ik.sweep.overrides"]
    best = max(children, key=lambda c: c.data.metrics["bcubed_f"])
    assert tags["ik.sweep.best_run_id"] == best.info.run_id
    assert tags["ik.sweep.best_job"] == best.data.tags["ik.job.num"]
    assert parent.data.metrics["best_bcubed_f"] == best.data.metrics["bcubed_f"]
    assert (parent.data.metrics["jobs"], parent.data.metrics["jobs_failed"]) == (3, 0)


def test_each_job_run_holds_config_tags_metrics_and_files(sweep):
    tmp, csv, client, runs = sweep
    _, children = parent_and_children(runs)
    sha = sha256_of(csv)
    for child in children:
        params, tags, metrics = child.data.params, child.data.tags, child.data.metrics
        assert params["data.label_column"] == "Person" and params["frames_per_video"] == "4"
        assert params["detector.name"] == "mtcnn" and "detector.min_confidence" in params
        assert (tags["ik.input"], tags["ik.input_sha256"]) == (str(csv), sha)
        assert tags["ik.version"] and tags["ik.detector"] == "mtcnn" and tags["ik.embedder"] == "dlib"
        assert tags["ik.cluster.plugin"].startswith("influencer-kit ")
        assert set(RUN_METRICS + LABEL_SCORES) <= set(metrics)
        # the cluster scores are there, or a note says why they are not
        has_scores = set(CLUSTER_SCORES) <= set(metrics)
        assert has_scores != ("ik.note.cluster_scores" in tags)
        local = tmp / "artifacts" / child.info.run_id
        local.mkdir(parents=True)
        run_dir = Path(client.download_artifacts(child.info.run_id, "", str(local)))
        files = artifact_files(client, child.info.run_id)
        assert {f"{t}.{ext}" for t in TABLES for ext in ("xlsx", "csv")} <= files
        assert {"hydra/config.yaml", "hydra/overrides.yaml"} <= files
        videos = pd.read_excel(run_dir / "ProcessedVideos_videos.xlsx")
        influencers = pd.read_csv(run_dir / "PerformanceMetrics_videos.csv")["influencer"]
        assert metrics["rows"] == len(videos)
        assert metrics["rows_ok"] == (videos["status"] == "ok").sum() == len(videos) - 1
        assert metrics["rows_no_face"] == 1 and metrics["influencers"] == len(influencers)
        assert metrics["faces"] == videos.drop_duplicates("video_sha256")["faces_detected"].sum()
        seen = {p for cell in videos["influencers"].dropna() for p in str(cell).split(";")}  # a second person too
        assert set(influencers) <= seen
        assert {f"contact_sheets/{safe_name(i)}.jpg" for i in seen} == {
            f for f in files if f.startswith("contact_sheets/")}
        for influencer in seen:
            sheet = cv2.imread(str(run_dir / "contact_sheets" / f"{safe_name(influencer)}.jpg"))
            assert sheet.shape[0] % SHEET_TILE == 0 and sheet.shape[1] <= SHEET_COLUMNS * SHEET_TILE
    assert any(set(CLUSTER_SCORES) <= set(c.data.metrics) for c in children)  # eps=0.5 groups people
    assert any("ik.note.cluster_scores" in c.data.tags for c in children)  # eps=0.05: every one alone


def test_the_sweep_detects_each_video_once(sweep):
    tmp, csv, client, runs = sweep
    computed = computed_per_key(tmp / "cache")
    assert len(computed) == 1  # three jobs, one detector/embedder setting
    (shas,) = computed.values()
    videos = pd.read_csv(tmp / "data" / "videos.csv")
    assert sorted(shas) == sorted({sha256_of(csv.parent / url) for url in videos["Video URL"]})


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> tuple[Path, Path]:
    """Three short labelled videos and a no-face one, and a face cache the tests below share."""
    tmp = tmp_path_factory.mktemp("small")
    return build_people_dataset(need_shared_faces(), tmp / "data", n_videos=3, n_frames=6), tmp / "cache"


def test_a_changed_detector_setting_recomputes_and_clustering_does_not(tmp_path, small_data):
    csv, _ = small_data
    cache = tmp_path / "cache"
    done = run_cli(["-m", "detector.min_confidence=0.9,0.95", "cluster.eps=0.4,0.6", f"data.path={csv}",
                    f"cache.dir={cache}", "tracking.enabled=false", *SMALL], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    computed = computed_per_key(cache)
    assert len(computed) == 2  # one key per detector setting, none per eps
    n_videos = len(pd.read_csv(csv))
    for key, shas in computed.items():
        assert len(shas) == len(set(shas)) == n_videos
    settings = [json.loads((cache / "faces" / key / "settings.json").read_text()) for key in computed]
    assert sorted(s["detector"]["min_confidence"] for s in settings) == [0.9, 0.95]


def serve_mlflow(backend_store: str, tmp_path: Path):
    """A real `mlflow server` on a free loopback port over `backend_store`; yields its URL and
    artifact folder, and stops it."""
    port, artifacts = free_port(), tmp_path / "server_artifacts"
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--backend-store-uri", backend_store, "--artifacts-destination", str(artifacts)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},  # no job-runner processes
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mlflow server did not start:\n{(tmp_path / 'server.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield url, artifacts
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture
def mlflow_server(tmp_path):
    yield from serve_mlflow(f"sqlite:///{tmp_path / 'server.db'}", tmp_path)


@pytest.fixture
def team_mlflow_server(tmp_path, postgres):
    """`mlflow server` as a team runs it: its runs in PostgreSQL; yields the database's URI too."""
    database = postgres.database("mlflow")
    for url, artifacts in serve_mlflow(database.replace("postgresql://", "postgresql+psycopg://"), tmp_path):
        yield url, artifacts, database


def test_a_job_logs_to_a_tracking_server_over_http(tmp_path, small_data, mlflow_server):
    csv, cache = small_data
    url, server_artifacts = mlflow_server
    done = run_cli([f"tracking.uri={url}", f"data.path={csv}", f"cache.dir={cache}", "data.label_column=Person",
                    "tracking.experiment=over-http", *SMALL], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "mlflow.db").exists()
    client = mlflow.MlflowClient(url)
    (run,) = client.search_runs([client.get_experiment_by_name("over-http").experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_id in done.stdout
    assert run.data.params["tracking.uri"] == url and run.data.tags["ik.input_sha256"] == sha256_of(csv)
    assert set(RUN_METRICS + LABEL_SCORES) <= set(run.data.metrics)
    files = artifact_files(client, run.info.run_id)
    assert {f"{t}.xlsx" for t in TABLES} <= files and "hydra/config.yaml" in files
    stored = {p.name for p in server_artifacts.rglob("*") if p.is_file()}  # they went through the server
    assert {f"{t}.xlsx" for t in TABLES} <= stored


def test_the_demo_logs_to_a_team_server_on_postgresql(tmp_path, team_mlflow_server, postgres):
    """A team's setup: the run's people in a shared PostgreSQL registry, the run in a shared MLflow."""
    url, server_artifacts, database = team_mlflow_server
    registry = postgres.database()
    done = run_cli([f"tracking.uri={url}", "tracking.experiment=team", f"registry.uri={registry}",
                    f"output.dir={tmp_path / 'out'}", f"cache.dir={tmp_path / 'cache'}", "output.progress=false"],
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "registry.db").exists() and not (tmp_path / "mlruns").exists()
    with Registry(registry) as people:
        assert PEOPLE_IN_THE_DEMO == [p.id for p in people.people()]
    client = mlflow.MlflowClient(url)
    (run,) = client.search_runs([client.get_experiment_by_name("team").experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "demo · mtcnn · fused · agglomerative"
    assert {k: run.data.params[k] for k in ("tracking.uri", "detector.name", "embedder.name", "cluster.name")} == {
        "tracking.uri": url, "detector.name": "mtcnn", "embedder.name": "fused", "cluster.name": "agglomerative"}
    assert run.data.metrics["rows"] == 10 and run.data.metrics["influencers"] == 2
    assert run.data.tags["ik.note.registry_corrections"] == f"registry {registry}\nno new corrections (0 in effect)"
    files = artifact_files(client, run.info.run_id)
    assert {f"{t}.{ext}" for t in TABLES for ext in ("xlsx", "csv")} | {"report.html"} <= files
    stored = {p.name for p in server_artifacts.rglob("*") if p.is_file()}  # through the server into its store
    assert {f"{t}.xlsx" for t in TABLES} | {"report.html"} <= stored
    with psycopg.connect(database) as db:  # the run itself is a row of the team's database
        assert db.execute("SELECT name, status FROM runs").fetchall() == [("demo · mtcnn · fused · agglomerative",
                                                                          "FINISHED")]


def test_a_sweep_logs_to_a_team_server_as_it_does_locally(tmp_path, team_mlflow_server):
    url, _, _ = team_mlflow_server
    done = run_cli(["-m", "cluster.eps=0.4,0.6", f"tracking.uri={url}", "tracking.experiment=team-sweep",
                    f"hydra.sweep.dir={tmp_path / 'sweep'}", f"cache.dir={tmp_path / 'cache'}",
                    "output.progress=false"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    client = mlflow.MlflowClient(url)
    runs = client.search_runs([client.get_experiment_by_name("team-sweep").experiment_id])
    parent, children = parent_and_children(runs)
    assert parent.info.run_name == "demo · mtcnn · fused · agglomerative · sweep"
    assert parent.data.metrics["jobs"] == 2
    assert [c.info.run_name for c in children] == ["demo · mtcnn · fused · agglomerative · job 0",
                                                   "demo · mtcnn · fused · agglomerative · job 1"]
    for child in children:
        assert {"Ranked_Influencers.xlsx", "report.html"} <= artifact_files(client, child.info.run_id)


def test_a_local_store_keeps_its_files_beside_it_not_where_the_run_started(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    store = tmp_path / "store" / "mlflow.db"
    code = textwrap.dedent(f"""
        import mlflow
        from influencer_kit.experiment.mlflow_run import use_experiment
        use_experiment("sqlite:///{store}", "local")
        with mlflow.start_run():
            mlflow.log_text("hello", "note.txt")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "elsewhere", capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [p.relative_to(tmp_path).parts[:2] + p.parts[-2:] for p in (tmp_path / "store").rglob("note.txt")] == [
        ("store", "mlartifacts", "artifacts", "note.txt")]
    assert list((tmp_path / "elsewhere").iterdir()) == []  # no ./mlruns where it started


def test_no_tracking_writes_no_store(tmp_path, small_data):
    csv, cache = small_data
    done = run_cli(["tracking.enabled=false", f"data.path={csv}", f"cache.dir={cache}",
                    f"output.dir={tmp_path / 'out'}", *SMALL], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "out" / "Ranked_Influencers.xlsx").is_file()
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlruns").exists()
    assert "mlflow run:" not in done.stdout


def test_a_bad_tracking_uri_fails_the_job_with_a_visible_error(tmp_path, small_data):
    csv, cache = small_data
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done = run_cli([f"tracking.uri={url}", f"data.path={csv}", f"cache.dir={cache}",
                    f"output.dir={tmp_path / 'out'}", *SMALL], cwd=tmp_path, timeout=60)  # no minutes of retries
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"error: MLflow tracking at '{url}' failed: nothing answers there" in done.stderr
    assert "tracking.enabled=false" in done.stderr
    assert not (tmp_path / "out" / "Ranked_Influencers.xlsx").exists()  # stopped before any work


def test_a_sweep_stopped_by_a_bad_spreadsheet_leaves_its_parent_failed(tmp_path):
    sheet = tmp_path / "videos.csv"
    sheet.write_text("Name,Notes\nAna,first post\n")  # neither expected column, and no column of links
    done = run_cli(["-m", "cluster.eps=0.4,0.6", f"data.path={sheet}", f"cache.dir={tmp_path / 'cache'}",
                    *SMALL], cwd=tmp_path)
    assert done.returncode == 2 and "error:" in done.stderr
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("influencer-kit").experiment_id])
    parents = [r for r in runs if r.data.tags.get("ik.sweep") == "true"]
    assert len(parents) == 1 and parents[0].info.status == "FAILED"
    assert {r.info.status for r in runs} == {"FAILED"}  # the job's own run too: nothing left RUNNING


def test_the_optuna_example_tunes_eps(tmp_path, small_data):
    csv, cache = small_data
    done = run_cli(["-m", "+experiment=tune_eps", "hydra.sweeper.n_trials=3", f"data.path={csv}",
                    "data.label_column=Person", f"cache.dir={cache}", *SMALL], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    parent, children = parent_and_children(client.search_runs(
        [client.get_experiment_by_name("influencer-kit").experiment_id]))
    assert len(children) == 3 and all(0.3 <= float(c.data.params["cluster.eps"]) <= 0.8 for c in children)
    best = parent.data.metrics["best_bcubed_f"]
    assert best == max(c.data.metrics["bcubed_f"] for c in children)
    assert f"Best value: {best}" in done.stdout + done.stderr  # what Optuna saw is what the job returned


WRITER = textwrap.dedent("""
    import sys, cv2, numpy as np
    from influencer_kit.faces.cache import FaceCache
    from influencer_kit.model import FaceRecord, VideoFaces, VideoPictures

    rng = np.random.default_rng(0)
    jpegs = [cv2.imencode(".jpg", rng.integers(0, 255, (480, 640, 3), dtype=np.uint8))[1].tobytes()
             for _ in range(20)]
    records = [FaceRecord(box=(i, i, 40, 40), confidence=0.99, frame_index=i) for i in range(20)]
    faces = VideoPictures(VideoFaces(list(range(20)), records, rng.normal(size=(20, 128))), jpegs, jpegs)
    cache = FaceCache(sys.argv[1], {"detector": "test"})
    for n in range(int(sys.argv[2])):
        cache.put(f"{n:064x}", faces)
""")


def writer(root: Path, n: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(n)])


def assert_entries_whole(root: Path, n: int) -> FaceCache:
    """Every entry reads back complete (20 frames, 20 faces, 20 embeddings) or not at all."""
    cache = FaceCache(root, {"detector": "test"})
    for i in range(n):
        got = cache.get(f"{i:064x}")
        if got is not None:
            assert len(got.frame_indices) == len(got.faces) == len(got.embeddings) == 20
            assert all(cv2.imread(str(got.frame_file(i))) is not None for i in got.frame_indices)
            assert all(cv2.imread(str(got.crop_file(i))) is not None for i in range(len(got.faces)))
    return cache


def test_two_jobs_storing_the_same_videos_at_once_each_get_one_whole_entry(tmp_path):
    writers = [writer(tmp_path, 6), writer(tmp_path, 6)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    cache = assert_entries_whole(tmp_path, 6)
    assert all(cache.get(f"{i:064x}") is not None for i in range(6))
    assert sorted(cache.computed()) == [f"{i:064x}" for i in range(6)]  # one entry stored per video
    assert not list(cache.dir.glob("*/.tmp-*"))


def test_a_killed_job_leaves_no_half_written_entry(tmp_path):
    """Killed while writing an entry (its temporary folder is left behind): only whole entries are
    ever read, and a rerun stores the missing ones as usual."""
    for attempt in range(5):
        root = tmp_path / str(attempt)
        job = writer(root, 50)
        deadline = time.monotonic() + 60
        while not list(root.glob("faces/*/computed.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.002)
        job.send_signal(signal.SIGKILL)
        job.wait()
        if list(root.glob("faces/*/*/.tmp-*")):
            break
    else:
        pytest.fail("the kill never landed while an entry was being written")
    cache = assert_entries_whole(root, 50)
    stored = cache.computed()
    assert 1 <= len(stored) < 50
    missing = next(f"{i:064x}" for i in range(50) if cache.get(f"{i:064x}") is None)
    stored_faces = cache.get(stored[0])
    pictures = [path.read_bytes() for path in map(stored_faces.frame_file, stored_faces.frame_indices)]
    cache.put(missing, VideoPictures(stored_faces, pictures, pictures))
    assert cache.get(missing) is not None
