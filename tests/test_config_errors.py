"""A bad setting stops the run before any work, as a user meets it: `python -m influencer_kit KEY=VALUE`
exits with status 2 and prints one line, `error: <key>: <what is allowed>`, whether Hydra refused
the value's type while composing the config or a config dataclass refused its range or choice."""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CASES = {  # overrides -> the one line on stderr
    # ranking (a group with options)
    "ranking.std_penalty=abc": "error: ranking.std_penalty: a number, got 'abc'",
    "ranking.ci_level=2": "error: ranking.ci_level: a number strictly between 0 and 1, got 2.0",
    "ranking.std_penalty=-1": "error: ranking.std_penalty: a number, 0 or more, got -1.0",
    "ranking.method=best": "error: ranking.method=best is not a ranking method; installed: lower_bound, penalized, shrunk",
    "ranking=best": "error: ranking=best: no such option; choose one of lower_bound, penalized, shrunk",
    "ranking=shrunk ranking.min_videos=0": "error: ranking.min_videos: a whole number, 1 or more, got 0",
    "ranking.seed=null": "error: ranking.seed: a whole number, got null",
    # data
    "data.sheet=true": "error: data.sheet: a sheet's name or its index (0 is the first), got True",
    "data.pth=videos.csv": "error: data.pth: no such setting; data's settings are path, sheet, url_column, "
                           "performance_column, label_column, decimal",
    "data.decimal=comma": "error: data.decimal: `,` or `.` or null, got 'comma'",
    # fetch
    "fetch.retries=-1": "error: fetch.retries: a whole number, 0 or more, got -1",
    "fetch.read_timeout=soon": "error: fetch.read_timeout: a number, got 'soon'",
    "fetch.google_drive_base=ftp://drive": "error: fetch.google_drive_base: an http:// or https:// address, "
                                           "got 'ftp://drive'",
    # top-level and per_video
    "frames_per_video=0": "error: frames_per_video: a whole number, 1 or more, got 0",
    "frames_per_video=many": "error: frames_per_video: a whole number, got 'many'",
    "per_video.faces_per_track=-1": "error: per_video.faces_per_track: a whole number, 0 (every face) or more, got -1",
    "per_video.early_stop=maybe": "error: per_video.early_stop: true or false, got 'maybe'",
    # people, registry
    "people.within_video_distance=0": "error: people.within_video_distance: a distance above 0, or null "
                                      "(the embedder's), got 0.0",
    "registry.margin=-0.1": "error: registry.margin: a distance, 0 or more, got -0.1",
    "registry.uri=mysql://ana@db.example/people": "error: registry.uri: sqlite:///PATH, a file path or "
                                                  "postgresql://USER@HOST/DB, got 'mysql://ana@db.example/people'",
    "registry.match_distance=near": "error: registry.match_distance: a number or null, got 'near'",
    # creatives, and what the ranking counts
    "creatives.fingerprint.step_s=0": "error: creatives.fingerprint.step_s: a number of seconds above 0, got 0.0",
    "creatives.min_coverage=1.5": "error: creatives.min_coverage: a share above 0, at most 1, got 1.5",
    "creatives.frame_distance=64": "error: creatives.frame_distance: a number of bits from 0 to 63, got 64",
    "ranking.unit=clip": "error: ranking.unit: one of creative, video, got 'clip'",
    # tracking
    "tracking.sweep_direction=up": "error: tracking.sweep_direction: maximize, minimize or null, got 'up'",
    "tracking=mlfow": "error: tracking=mlfow: no such option; choose one of mlflow, none",
    # executor (ray's settings are checked without Ray installed)
    "executor.workers=0": "error: executor.workers: a whole number, 1 or more, got 0",
    "executor=ray executor.retries=-1": "error: executor.retries: a whole number, 0 or more, got -1",
    "executor.retries=2": "error: executor.retries: no such setting; executor's settings are name, workers",
    "executor=dask": "error: executor=dask: no such option; choose one of local, ray",
    # output, cache
    "output.progress=loud": "error: output.progress: true or false, got 'loud'",
    "cache.dirr=/tmp": "error: cache.dirr: no such setting; cache's settings are dir",
    # components (plugins' configs)
    "cluster.epz=0.4": "error: cluster.epz: no such setting; cluster's settings are name, eps, linkage, metric, exact_max",
    "detector.min_confidence=abc": "error: detector.min_confidence: a number, got 'abc'",
    "detector.min_confidence=1.5": "error: detector.min_confidence: a number from 0 to 1, got 1.5",
    "cluster.name=???": "error: cluster.name: not set; give text",
    "cluster=kmeans": "error: cluster=kmeans: no such option; choose one of agglomerative, dbscan, hdbscan",
    # the command line itself
    "foo=1": "error: foo: no such setting; the settings are data, detector, embedder, cluster, ranking, tracking, "
             "executor, frames_per_video, per_video, people, registry, creatives, fetch, cache, output",
    "+foo=1": "error: foo: no such setting; the settings are data, detector, embedder, cluster, ranking, tracking, "
              "executor, frames_per_video, per_video, people, registry, creatives, fetch, cache, output",
    "ranking.std_penalty": "error: ranking.std_penalty: not an override; write key=value, e.g. ranking.std_penalty=1",
}


def run(overrides: str, folder: Path) -> subprocess.CompletedProcess:
    """`python -m influencer_kit OVERRIDES` with every output under `folder`."""
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [sys.executable, "-m", "influencer_kit", *overrides.split(), f"output.dir={folder / 'out'}",
         f"cache.dir={folder / 'cache'}", f"hydra.run.dir={folder / 'hydra'}"],
        cwd=folder, capture_output=True, text=True, timeout=600, env={**env, "IK_CACHE_DIR": str(folder / "cache")},
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """Every case run once, a few at a time."""
    root = tmp_path_factory.mktemp("config_errors")
    folders = {case: root / f"case{i}" for i, case in enumerate(CASES)}
    with ThreadPoolExecutor(4) as pool:
        done = dict(zip(CASES, pool.map(lambda case: run(case, folders[case]), CASES)))
    return {case: (done[case], folders[case]) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_setting_fails_before_any_work_with_one_line(case: str, runs) -> None:
    done, folder = runs[case]
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stderr.splitlines() == [CASES[case]]
    assert done.stdout == ""
    assert not (folder / "out").exists() and not (folder / "cache").exists()
