"""A run killed part way (Ctrl-C, or a kill that leaves no chance to clean up) and started again
with the same command redoes no finished download or analysis, and ends with the same three
tables as one uninterrupted run. The counters are the face cache's own (`computed.jsonl`, one line
per analysed video) and the local HTTP server's hits per video."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from support.clips import mirrored, small_video
from support.routes import VideoServer, serving

from influencer_kit_samples.photos import astronaut, grace_hopper

pytestmark = pytest.mark.slow

N_VIDEOS = 10
RUN_TIMEOUT_S = 600  # any one run; a run here takes well under a minute
FIRST_ENTRY_TIMEOUT_S = 300  # waiting for the first analysed video of the run to be killed
TABLES = ["ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers"]  # the contract's


@dataclass
class Setup:
    root: Path
    sheet: Path
    server: VideoServer
    clean_out: Path

    def command(self, out: Path, cache: Path) -> list[str]:
        """The CLI as a user types it; the same command every time for one output/cache pair."""
        return [sys.executable, "-m", "influencer_kit", f"data.path={self.sheet}", f"output.dir={out}",
                f"cache.dir={cache}", f"registry.uri={cache / 'registry.db'}", f"hydra.run.dir={out}/.hydra-run",
                "frames_per_video=4", "executor.workers=1", "fetch.workers=2", "tracking.enabled=false",
                "output.progress=false"]

    def run(self, out: Path, cache: Path) -> subprocess.CompletedProcess:
        done = subprocess.run(self.command(out, cache), cwd=self.root, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT_S)
        assert done.returncode == 0, done.stderr[-3000:]
        return done


def computed(cache: Path) -> list[str]:
    """Every line of the face cache's counter: the sha256 of each analysis, once per analysis."""
    logs = list((cache / "faces").glob("*/computed.jsonl"))
    assert len(logs) <= 1, logs  # one settings key for one command
    text = logs[0].read_text() if logs else ""
    complete = text[: text.rfind("\n") + 1]  # a line being appended right now is not counted yet
    return [json.loads(line)["sha256"] for line in complete.splitlines()]


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {f"{name}.{ext}": (pd.read_excel if ext == "xlsx" else pd.read_csv)(out / f"{name}.{ext}")
            for name in TABLES for ext in ("xlsx", "csv")}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, serve_routes_module) -> Setup:
    """Ten small videos over local HTTP, their sheet, and one uninterrupted run to compare with."""
    root = tmp_path_factory.mktemp("resume")
    (root / "videos").mkdir()
    photos = [grace_hopper(), astronaut()]
    book = openpyxl.Workbook()
    book.active.append(["Video URL", "Performance"])
    server = serve_routes_module(VideoServer({}))
    for i in range(N_VIDEOS):
        photo = photos[i % 2] if i % 4 < 2 else mirrored(photos[i % 2])
        server.routes[f"/clip/{i}"] = serving(small_video(root / "videos", f"{i}.mp4", [photo], seed=i))
        book.active.append([server.url(f"/clip/{i}"), 1.0 + 0.25 * i])
    sheet = root / "posted videos.xlsx"
    book.save(sheet)
    done = Setup(root, sheet, server, root / "clean" / "out")
    done.run(done.clean_out, root / "clean" / "cache")
    server.hits.clear()
    return done


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_a_killed_run_resumes_without_redoing_work(setup: Setup, stop: signal.Signals, tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = subprocess.Popen(setup.command(out, cache), cwd=setup.root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + FIRST_ENTRY_TIMEOUT_S
        while not computed(cache) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        before_kill = computed(cache)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(stop)
        stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        proc.kill()
    assert 1 <= len(before_kill) < N_VIDEOS
    if stop == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in stderr and "Traceback" not in stdout + stderr, stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    done_before = computed(cache)
    assert len(done_before) < N_VIDEOS
    assert_cache_whole(cache, done_before, interrupted_write_allowed=stop == signal.SIGKILL)
    written = [p.name for p in out.rglob("*")] if out.exists() else []
    assert not [name for name in written if name.endswith((".xlsx", ".csv"))], written  # no table, whole or half
    assert sum(setup.server.hits.values()) == N_VIDEOS  # every download finished before analysis began

    setup.run(out, cache)

    analyses = Counter(computed(cache))
    assert len(analyses) == N_VIDEOS and set(analyses.values()) == {1}, analyses  # nothing analysed twice
    assert set(done_before) <= set(analyses)
    assert setup.server.hits == Counter({f"/clip/{i}": 1 for i in range(N_VIDEOS)})  # nothing downloaded twice
    assert_cache_whole(cache, list(analyses))
    resumed, clean = tables(out), tables(setup.clean_out)
    for name in clean:
        pd.testing.assert_frame_equal(resumed[name], clean[name], obj=name)
    assert not [p for p in out.iterdir() if p.name.startswith(".") and ".tmp" in p.name]
    setup.server.hits.clear()


def assert_cache_whole(cache: Path, analysed: list[str], interrupted_write_allowed: bool = False) -> None:
    """Every entry folder is complete. A write cut off by SIGKILL may leave one `.tmp-*` folder
    (never read as an entry); Ctrl-C leaves none."""
    folders = [p for p in (cache / "faces").glob("*/??/*") if p.is_dir()]
    entries = [p for p in folders if not p.name.startswith(".tmp-")]
    assert all((p / "faces.npz").is_file() for p in entries), entries
    assert {p.name for p in entries} >= set(analysed)
    assert len(folders) - len(entries) <= (1 if interrupted_write_allowed else 0), folders
    assert not list((cache / "videos").rglob("*.tmp"))
