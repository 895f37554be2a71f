"""The whole product as a user runs it: `python -m influencer_kit ...`, then the files it writes."""
from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, need_shared_faces, run_cli

from influencer_kit_samples.people import build_people_dataset
from influencer_kit_samples.videos import face_clip, load_rgb, write_video

TABLES = ["ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers"]


def cli_args(tmp_path, *extra: str) -> list[str]:
    return [f"output.dir={tmp_path / 'out'}", f"cache.dir={tmp_path / 'cache'}",
            f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}", "output.progress=false", *extra]


def read_outputs(out) -> dict[str, pd.DataFrame]:
    tables = {name: pd.read_excel(out / f"{name}.xlsx") for name in TABLES}
    for name in TABLES:  # the csv holds the same table
        pd.testing.assert_frame_equal(tables[name], pd.read_csv(out / f"{name}.csv"), check_dtype=False)
    return tables


def assert_contract(out, sheet) -> None:
    """The contract's own checker, where ../shared is present."""
    checker = SHARED / "check_contract.py"
    if checker.exists():
        done = subprocess.run([sys.executable, str(checker), str(out), str(sheet)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout


def assert_one_to_one(ok: pd.DataFrame, label: str = "Person") -> dict[str, str]:
    """Each true person is exactly one influencer and each influencer one person; returns the map."""
    assert ok.groupby(label)["influencer"].nunique().eq(1).all(), "a person was split"
    assert ok.groupby("influencer")[label].nunique().eq(1).all(), "two people were merged"
    return dict(zip(ok[label], ok["influencer"]))


def assert_metrics_match_rows(videos: pd.DataFrame, metrics: pd.DataFrame, performance: str) -> None:
    """Every statistic equals the one computed by hand from the rows that count."""
    counted = videos[videos["counted"]]
    for _, m in metrics.iterrows():
        values = counted.loc[counted["influencer"] == m["influencer"], performance].astype(float).to_numpy()
        assert m["video_count"] == len(values)
        assert m["mean_performance"] == pytest.approx(values.sum() / len(values))
        assert m["median_performance"] == pytest.approx(float(np.median(values)))
        assert (m["min_performance"], m["max_performance"]) == pytest.approx((values.min(), values.max()))
        if len(values) > 1:
            mean = values.sum() / len(values)
            assert m["std_performance"] == pytest.approx(np.sqrt(((values - mean) ** 2).sum() / (len(values) - 1)))


def test_demo_runs_offline_anywhere(tmp_path):
    done = run_cli(cli_args(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    tables = read_outputs(out)
    videos, metrics, ranked = (tables[n] for n in TABLES)
    assert list(videos["row"]) == list(range(1, 11))
    assert list(videos["status"]) == ["ok"] * 7 + ["no_face", "decode_error", "download_error"]
    assert "missing.mp4" in videos["error"].iloc[9] and "broken.mp4" in videos["error"].iloc[8]
    people = assert_one_to_one(videos[videos["status"] == "ok"])
    pair = videos.iloc[6]["influencers"].split(";")
    assert pair == [people["grace_hopper"], people["astronaut"]]  # the main person first
    assert_metrics_match_rows(videos, metrics, "Performance")
    assert list(ranked["rank"]) == [1, 2] and ranked["score"].is_monotonic_decreasing
    for folder in ("extracted_frames_videos", "detected_faces_videos", "face_clusters"):
        assert any((out / folder).iterdir())
    assert sorted(p.name for p in (out / "face_clusters").iterdir()) == sorted(metrics["influencer"])
    for face in metrics["representative_face"]:
        assert (out / face).is_file()
    assert "influencers: 2" in done.stdout
    assert_contract(out, tmp_path / "cache" / "demo" / "demo.csv")


@pytest.fixture(scope="module")
def people_run(tmp_path_factory, serve_folder_module):
    """Videos of the six labelled people served over HTTP, listed in an xlsx, run through the CLI."""
    faces = need_shared_faces()
    tmp = tmp_path_factory.mktemp("people")
    csv = build_people_dataset(faces, tmp / "data", pairs=1, n_frames=24)
    base = serve_folder_module(tmp / "data")
    sheet = pd.read_csv(csv)
    sheet["Video URL"] = [f"{base}/{url}" for url in sheet["Video URL"]]
    xlsx = tmp / "Assignment Data.xlsx"
    sheet.to_excel(xlsx, index=False)
    done = run_cli(cli_args(tmp, f"data.path={xlsx}", "data.label_column=Person"), cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    return sheet, xlsx, tmp / "out", read_outputs(tmp / "out")


def test_shared_people_each_video_gets_its_person(people_run):
    sheet, xlsx, out, tables = people_run
    videos = tables["ProcessedVideos_videos"]
    assert list(videos["row"]) == list(range(1, len(sheet) + 1))
    assert list(videos["Video URL"]) == list(sheet["Video URL"])
    ok = videos[videos["status"] == "ok"]
    assert len(ok) == len(sheet) - 1
    people = assert_one_to_one(ok)
    assert len(people) == 6
    nobody = videos[videos["Video URL"].str.endswith("nobody.mp4")].iloc[0]
    assert nobody["status"] == "no_face" and nobody["influencer"] != nobody["influencer"]  # empty
    together = videos[videos["Everyone"].fillna("").str.contains(";")].iloc[0]
    assert together["influencers"].split(";") == [people[p] for p in together["Everyone"].split(";")]
    assert_metrics_match_rows(videos, tables["PerformanceMetrics_videos"], "Performance")
    assert_contract(out, xlsx)


def test_performers_in_the_real_clip_are_listed(tmp_path, shared_faces):
    """The real 9 s clip: several performers found, Lin-Manuel Miranda among them (known from a photo)."""
    lin = load_rgb(shared_faces / "people" / "lin_manuel_miranda" / "lin1.png")
    write_video(tmp_path / "lin_a.mp4", face_clip([lin], 20, seed=1))
    write_video(tmp_path / "lin_b.mp4", face_clip([lin[:, ::-1]], 20, seed=2))
    shutil.copy(shared_faces / "video" / "short_hamilton_clip.mp4", tmp_path / "clip.mp4")
    sheet = tmp_path / "sheet.csv"
    pd.DataFrame({"video_url": ["lin_a.mp4", "lin_b.mp4", "clip.mp4"], "performance": [1.0, 2.0, 3.0]}).to_csv(
        sheet, index=False)
    done = run_cli(cli_args(tmp_path, f"data.path={sheet}"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    videos = read_outputs(tmp_path / "out")["ProcessedVideos_videos"]
    lin_id = videos.loc[0, "influencer"]
    assert videos.loc[1, "influencer"] == lin_id
    clip = videos.loc[2]
    assert clip["status"] == "ok" and clip["faces_detected"] >= 2
    performers = clip["influencers"].split(";")
    assert len(performers) >= 2 and lin_id in performers


def test_missing_model_weights_stop_the_run_with_one_clear_error(tmp_path):
    """Offline, retinaface cannot fetch its weights: the run says which file and where, exit 2."""
    env = {"DEEPFACE_HOME": str(tmp_path / "home")}
    done = run_cli(cli_args(tmp_path, "detector=retinaface", "tracking.enabled=false"), cwd=tmp_path, env=env)
    if done.returncode == 0:
        pytest.skip("retinaface downloaded its weights: this machine is online")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    error = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "retinaface.h5" in error[0] and str(tmp_path / "home" / ".deepface" / "weights") in error[0]
