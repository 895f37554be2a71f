"""Downloads and analysis as one stream (execution/dispatch.py), against a real local HTTP server:
a slow download does not hold back the analysis of the others, the same bytes arriving out of row
order are analysed once and named by their first row, a run killed mid-stream resumes without
redoing work; and the output folders keep what `output.frames` / `output.faces` say."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, CountingServer, RouteHandler, make_config

from influencer_kit import pipeline
from influencer_kit_samples.photos import astronaut, grace_hopper
from influencer_kit_samples.videos import blank_clip, face_clip, write_video

pytestmark = pytest.mark.slow

HOLD_S = 300  # a held download waits at most this long for its condition (a failing test then ends)
RUN = ["frames_per_video=4", "executor.workers=1", "fetch.workers=2", "fetch.read_timeout=400",
       "tracking.enabled=false", "registry.enabled=false"]


class Routes(CountingServer):
    """A local HTTP server answering each path from `routes`: (handler) -> None."""

    def __init__(self) -> None:
        super().__init__(RoutesHandler)
        self.routes: dict[str, Callable[[RouteHandler], None]] = {}


class RoutesHandler(RouteHandler):
    server: Routes

    def route(self, path: str, hits: int) -> None:
        self.server.routes[path](self)


class Held:
    """A route that answers only once `ready()` holds (or after `HOLD_S`); `released_by` says which."""

    def __init__(self, body: bytes, ready: Callable[[], bool]) -> None:
        self.body, self.ready, self.released_by = body, ready, ""

    def __call__(self, handler: RouteHandler) -> None:
        deadline = time.monotonic() + HOLD_S
        while not self.ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.released_by = self.released_by or ("condition" if self.ready() else "timeout")
        handler.reply(200, self.body)


def serve(body: bytes) -> Callable[[RouteHandler], None]:
    return lambda handler: handler.reply(200, body)


def video(folder: Path, name: str, photos: list[np.ndarray], seed: int) -> bytes:
    """A short mp4 of the photos drifting over a seeded backdrop."""
    return write_video(folder / name, face_clip(photos, 8, size=(270, 480), seed=seed)).read_bytes()


def computed(cache: Path) -> list[str]:
    """The face cache's own counter: the sha256 of each analysis, once per analysis."""
    lines = "".join(p.read_text() for p in (cache / "faces").glob("*/computed.jsonl"))
    complete = lines[: lines.rfind("\n") + 1]
    return [json.loads(line)["sha256"] for line in complete.splitlines()]


def sheet(path: Path, urls: list[str]) -> Path:
    pd.DataFrame({"Video URL": urls, "Performance": [1.0 + i for i in range(len(urls))]}).to_csv(path, index=False)
    return path


@pytest.fixture
def server(serve_routes) -> Routes:
    return serve_routes(Routes())


def test_a_slow_download_holds_back_no_analysis_and_a_duplicate_arriving_first_is_analysed_once(server, tmp_path):
    """Row 1's download is held until the face cache holds every video, row 3's (the same bytes as
    row 1, from another link) included: only a run that analyses each video as it arrives ends."""
    a = video(tmp_path, "a.mp4", [grace_hopper()], seed=1)
    b = video(tmp_path, "b.mp4", [astronaut()], seed=2)
    c = video(tmp_path, "c.mp4", [grace_hopper()], seed=3)
    cache = tmp_path / "cache"
    held = Held(a, lambda: len(set(computed(cache))) == 3)
    server.routes.update({"/a-slow": held, "/b": serve(b), "/a-again": serve(a), "/c": serve(c)})
    path = sheet(tmp_path / "videos.csv", [server.url(p) for p in ("/a-slow", "/b", "/a-again", "/c")])

    result = pipeline.run(make_config(tmp_path, [f"data.path={path}", *RUN]))

    assert held.released_by == "condition"  # every video was analysed while row 1 still downloaded
    assert sorted(Counter(computed(cache)).values()) == [1, 1, 1]  # a's bytes analysed once
    videos = result.videos.set_index("row")
    assert list(videos["status"]) == ["ok", "ok", "ok", "ok"]
    assert videos.loc[3, "duplicate_of"] == 1 and videos.loc[1, "duplicate_of"] in ("", None)
    assert videos.loc[1, "influencer"] == videos.loc[3, "influencer"] == "influencer_001"
    frames = sorted(p.name[:7] for p in (tmp_path / "out" / "extracted_frames_videos").iterdir())
    assert Counter(frames) == {"row0001": 4, "row0002": 4, "row0004": 4}  # a's files named by its first row
    assert server.hits == Counter({"/a-slow": 1, "/b": 1, "/a-again": 1, "/c": 1})


def test_a_run_killed_mid_stream_resumes_without_redoing_work(server, tmp_path):
    """Killed while one download is still held and the others' videos are analysed: the rerun
    downloads and analyses only that one."""
    bodies = {f"/v{i}": video(tmp_path, f"{i}.mp4", [[grace_hopper(), astronaut()][i % 2]], seed=10 + i)
              for i in range(4)}
    release = threading.Event()
    server.routes.update({path: serve(body) for path, body in bodies.items()})
    server.routes["/v0"] = Held(bodies["/v0"], release.is_set)
    path = sheet(tmp_path / "videos.csv", [server.url(p) for p in bodies])
    out, cache = tmp_path / "out", tmp_path / "cache"
    command = [sys.executable, "-m", "influencer_kit", f"data.path={path}", f"output.dir={out}", f"cache.dir={cache}",
               f"hydra.run.dir={tmp_path / 'hydra'}", "output.progress=false", *RUN]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + HOLD_S
        while len(computed(cache)) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None and len(computed(cache)) == 3, "the other videos were not analysed mid-stream"
    finally:
        proc.kill()
        proc.communicate()
    release.set()
    before = computed(cache)
    assert not (out / "ProcessedVideos_videos.csv").exists()

    server.routes["/v0"] = serve(bodies["/v0"])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr[-2000:]
    after = computed(cache)
    assert after[:3] == before and len(after) == 4 and len(set(after)) == 4  # only v0 analysed again
    assert server.hits == Counter({"/v0": 2, "/v1": 1, "/v2": 1, "/v3": 1})  # v0's first try never finished
    table = pd.read_csv(out / "ProcessedVideos_videos.csv")
    assert list(table["status"]) == ["ok", "ok", "ok", "ok"]


def two_people_and_nobody(folder: Path) -> Path:
    """Row 1: Grace large with the astronaut small beside her (Grace is the influencer); row 2: nobody."""
    write_video(folder / "two.mp4", face_clip([grace_hopper(), astronaut()], 8, size=(270, 480), seed=7,
                                              scales=[0.6, 0.4]))
    write_video(folder / "nobody.mp4", blank_clip(8, (270, 480), seed=8))
    return sheet(folder / "videos.csv", ["two.mp4", "nobody.mp4"])


def files(out: Path) -> dict[str, int]:
    """How many files each output folder holds (face_clusters/ by person)."""
    counts = {name: len(list((out / name).glob("*.jpg"))) for name in ("extracted_frames_videos", "detected_faces_videos")}
    counts.update({f"face_clusters/{p.name}": len(list(p.glob("*.jpg"))) for p in (out / "face_clusters").iterdir()})
    return counts


def test_output_frames_and_faces_keep_what_they_say(tmp_path):
    path = two_people_and_nobody(tmp_path)
    cache = tmp_path / "cache"

    def run(name: str, frames: str, faces: str) -> dict[str, int]:
        run_dir = tmp_path / name
        pipeline.run(make_config(run_dir, [f"data.path={path}", f"cache.dir={cache}", f"output.frames={frames}",
                                           f"output.faces={faces}", *RUN]))
        return files(run_dir / "out")

    assert run("none", "none", "none") == {  # Grace's representative face (the tables link to it)
        "extracted_frames_videos": 0, "detected_faces_videos": 0, "face_clusters/influencer_001": 1}
    assert len(computed(cache)) == 2
    assert run("influencer", "influencer", "influencer") == {
        "extracted_frames_videos": 4, "detected_faces_videos": 4,  # Grace's frames and faces; nobody's none
        "face_clusters/influencer_001": 4}  # the astronaut is nobody's influencer: not kept
    assert len(computed(cache)) == 4  # the cached entries had no frames: both videos analysed again
    assert run("all", "all", "all") == {
        "extracted_frames_videos": 8, "detected_faces_videos": 8,
        "face_clusters/influencer_001": 4, "face_clusters/influencer_002": 4}
    assert len(computed(cache)) == 4  # cached, frames included


def test_a_bad_output_choice_fails_before_any_work(tmp_path):
    from influencer_kit import config
    from influencer_kit.errors import ConfigError

    with pytest.raises(ConfigError, match="output.frames: one of all, influencer, none, got 'some'"):
        config.check(make_config(tmp_path, ["output.frames=some", *RUN]))
