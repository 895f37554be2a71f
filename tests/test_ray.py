"""executor=ray against executor=local on one data set: the same three tables, a face cache either
executor reuses, a killed Ray worker's videos redone, and a clear message where Ray is missing.

The Ray tests share one local Ray instance of 2 CPUs started here (the pipeline joins the Ray this
process already uses); each run has its own output, cache and registry, so each really computes.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import CLI_MAIN, make_config, need_shared_faces, run_python_without

from influencer_kit import pipeline
from influencer_kit.execution.ray_cluster import INSTALL_HINT
from influencer_kit_samples.people import build_people_dataset

TABLES = ["ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers"]
N_VIDEOS = 8  # plus one with nobody: 9 distinct videos
RUN = ["frames_per_video=4", "output.progress=false", "tracking.enabled=false"]
ACTOR = b"ray::VideoAnalyser"  # what Ray names an actor's process (its command line)...
BUSY_ACTOR = ACTOR + b".analyse"  # ...while it runs `analyse`


def run(folder: Path, csv: Path, executor: str, cache: Path | None = None) -> pipeline.Result:
    """One run of the real pipeline with 2 workers; everything it writes goes under `folder`."""
    overrides = [f"data.path={csv}", f"executor={executor}", "executor.workers=2", *RUN]
    if cache is not None:
        overrides.append(f"cache.dir={cache}")
    return pipeline.run(make_config(folder, overrides))


def tables(result: pipeline.Result) -> dict[str, pd.DataFrame]:
    return {name: pd.read_excel(result.output_dir / f"{name}.xlsx") for name in TABLES}


def assert_same_tables(got: pipeline.Result, expected: pipeline.Result) -> None:
    """Every output table identical, every column and row (paths in them are relative to the
    output folder, so equal too), in the workbook and byte for byte in the csv."""
    mine, theirs = tables(got), tables(expected)
    for name in TABLES:
        pd.testing.assert_frame_equal(mine[name], theirs[name], check_exact=True, obj=name)
        assert (got.output_dir / f"{name}.csv").read_bytes() == (expected.output_dir / f"{name}.csv").read_bytes()


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_people_dataset(need_shared_faces(), tmp_path_factory.mktemp("data"), n_videos=N_VIDEOS, n_frames=12)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A local Ray instance of 2 CPUs for this module."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'influencer-kit[ray]'")
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def local_result(videos: Path, tmp_path_factory: pytest.TempPathFactory) -> pipeline.Result:
    return run(tmp_path_factory.mktemp("local"), videos, "local")


@pytest.mark.slow
def test_ray_gives_the_same_tables_as_local_and_either_reuses_the_others_cache(
        videos: Path, local_ray: None, local_result: pipeline.Result, tmp_path: Path) -> None:
    on_ray = run(tmp_path / "ray", videos, "ray")
    assert len(on_ray.cache.computed()) == len(local_result.cache.computed()) == N_VIDEOS + 1
    assert set(on_ray.videos["status"]) == {"ok", "no_face"}
    assert on_ray.metrics["video_count"].sum() == N_VIDEOS  # every face video went to an influencer
    assert_same_tables(on_ray, local_result)

    # The face cache written by one executor is read by the other: nothing is analysed again.
    local_again = run(tmp_path / "local_again", videos, "local", cache=on_ray.cache.dir.parents[1])
    ray_again = run(tmp_path / "ray_again", videos, "ray", cache=local_result.cache.dir.parents[1])
    assert len(local_again.cache.computed()) == len(ray_again.cache.computed()) == N_VIDEOS + 1
    assert_same_tables(local_again, local_result)
    assert_same_tables(ray_again, local_result)


def actor_processes(title: bytes = ACTOR) -> list[int]:
    """Process ids of this test's Ray actors (descendants of this process) whose title starts so."""
    parent_of: dict[int, int] = {}
    cmdlines: dict[int, bytes] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent_of[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdlines[int(entry.name)] = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
    mine = []
    for pid, cmdline in cmdlines.items():
        ancestor = parent_of.get(pid)
        while ancestor not in (None, 0, 1, os.getpid()):
            ancestor = parent_of.get(ancestor)
        if cmdline.startswith(title) and ancestor == os.getpid():
            mine.append(pid)
    return mine


@pytest.mark.slow
def test_a_killed_ray_worker_loses_no_row(videos: Path, local_ray: None, local_result: pipeline.Result,
                                         tmp_path: Path) -> None:
    cache_log = tmp_path / "cache" / "faces" / local_result.cache.key / "computed.jsonl"
    killed: dict[str, int] = {}
    finished = threading.Event()

    def kill_one_worker_mid_run() -> None:
        """Once the first video is back, kill (SIGKILL) a worker in the middle of analysing one."""
        while not killed and not finished.is_set():
            done = len(cache_log.read_text().splitlines()) if cache_log.exists() else 0
            busy = actor_processes(BUSY_ACTOR)
            if done and busy:
                os.kill(busy[0], signal.SIGKILL)
                killed.update(pid=busy[0], videos_done=done)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker_mid_run, daemon=True)
    killer.start()
    try:
        result = run(tmp_path, videos, "ray")
    finally:
        finished.set()
        killer.join()
    assert killed and killed["videos_done"] < N_VIDEOS + 1, killed  # it died with videos still to do
    assert killed["pid"] not in actor_processes()
    assert len(result.videos) == N_VIDEOS + 1 and set(result.videos["status"]) == {"ok", "no_face"}
    assert sorted(result.cache.computed()) == sorted(local_result.cache.computed())  # each video once
    assert_same_tables(result, local_result)


def test_without_ray_executor_ray_stops_at_start_saying_how_to_install_it(tmp_path: Path) -> None:
    sheet = tmp_path / "videos.csv"
    sheet.write_text("Video URL,Performance\nclip.mp4,1.5\n")
    done = run_python_without(
        "ray", CLI_MAIN, [f"data.path={sheet}", "executor=ray", f"output.dir={tmp_path / 'out'}",
                         f"cache.dir={tmp_path / 'cache'}", "tracking.enabled=false", "output.progress=false"],
        cwd=tmp_path, timeout=300)
    assert done.returncode == 2, done.stderr[-3000:]
    assert [line for line in done.stderr.splitlines() if line.startswith("error:")] == [f"error: {INSTALL_HINT}"]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cache" / "videos").exists()  # stopped before downloading anything
