"""The real-footage benchmark: its scoring (benchmarks/real_footage.py) on small hand-written truth
and predictions, and its set builder (benchmarks/real_set.py) on two real clips."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"
sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmark scripts import each other as top-level modules

from real_footage import NONE, co_appearances, extra_people, false_faces, majority_ids, merges, people_found, splits  # noqa: E402
from real_set import Post, build_real_set, write_post  # noqa: E402

# Rows 1-3 are a's, 4-5 b's, 6-7 c's; the last row has no true person.
TRUTH = ["a", "a", "a", "b", "b", "c", "c", ""]
PREDICTED = ["1", "1", "2", "1", "1", "3", "", "4"]


def test_majority_id_per_person_a_tie_goes_to_the_earliest_row():
    assert majority_ids(TRUTH, PREDICTED) == {"a": "1", "b": "1", "c": "3"}


def test_people_found_needs_a_majority_id_no_one_else_has():
    # a and b both mostly get "1", so neither is found; c mostly gets "3" alone.
    assert people_found(TRUTH, PREDICTED) == (1, 3)
    assert people_found(["a", "b"], ["", "2"]) == (1, 2)  # a row with no influencer finds nobody


def test_merges_list_each_id_holding_two_or_more_people():
    assert merges(TRUTH, PREDICTED) == {"1": ["a", "b"]}
    assert merges(["a", "b", "c"], ["9", "9", "9"]) == {"9": ["a", "b", "c"]}


def test_splits_list_each_person_spread_over_ids_a_missing_influencer_included():
    assert splits(TRUTH, PREDICTED) == {"a": ["1", "2"], "c": [NONE, "3"]}


def test_co_appearances_count_each_person_of_a_shared_row():
    people = [["x", "y"], ["x", "z", "extras_crowd"], ["x"], ["u", "v", "w"]]
    influencers = [["1", "2"], ["1"], ["1"], ["5", "6", "1"]]
    ids = {"x": "1", "y": "2"}
    # row 1: x and y (2/2); row 2: x, not z, the extras left out (1/2); row 3 has one person (skipped);
    # row 4: u, v, w have no ids of their own, and the row has two ids that are nobody's (2/3).
    assert co_appearances(people, influencers, ids) == (5, 7)
    # one id cannot stand for two people
    assert co_appearances([["x", "y"]], [["1"]], {"x": "1", "y": "1"}) == (1, 2)


def test_false_faces_are_rows_with_nobody_that_get_someone():
    people = [[], ["a"], [], []]
    influencer = ["", "1", "7", ""]
    influencers = [["8"], ["1"], ["7", "1"], []]
    # rows 1 and 3 show nobody but get a person; 7 and 8 are seen nowhere else, 1 is also a's
    assert false_faces(people, influencer, influencers) == ([0, 2], ["7", "8"])


def test_extra_people_beyond_each_rows_true_count_extras_clips_left_out():
    people = [["a"], ["a", "b"], [], ["c", "extras_crowd"]]
    influencers = [["1", "2"], ["1"], ["3"], ["4", "5", "6"]]
    assert extra_people(people, influencers) == 2  # one too many in row 1, one in row 3


@pytest.fixture
def two_clips(tmp_path: Path) -> Path:
    """../shared/real cut down to one short clip of each part: mead_m030_neutral (tune, 3.8 s,
    256x256) and suga_dance (report, 2.6 s)."""
    if not (REAL / "labels.json").is_file():
        pytest.skip(f"needs the labelled real clips in {REAL} (absent in this checkout)")
    labels = json.loads((REAL / "labels.json").read_text())["clips"]
    real = tmp_path / "real"
    (real / "clips").mkdir(parents=True)
    chosen = ["mead_m030_neutral.mp4", "suga_dance.mp4"]
    for clip in chosen:
        (real / "clips" / clip).symlink_to(REAL / "clips" / clip)
    (real / "labels.json").write_text(json.dumps({"clips": {clip: labels[clip] for clip in chosen}}))
    return real


def test_set_from_two_clips(two_clips: Path, tmp_path: Path):
    out = tmp_path / "set"
    sheet = pd.read_csv(build_real_set(two_clips, out), dtype=str, keep_default_na=False)
    # each clip is under 6 s, so one post; each part adds an exact and a re-encoded re-post of it
    assert len(sheet) == 6
    assert list(sheet["Variation"].value_counts()[["repost", "reencoded_repost"]]) == [2, 2]
    by_clip = sheet.groupby("Clip")
    assert set(by_clip.get_group("mead_m030_neutral.mp4")[["Person", "People", "Part"]].itertuples(index=False)) == {
        ("mead_m030", "mead_m030", "tune")}
    assert set(by_clip.get_group("suga_dance.mp4")[["Person", "People", "Part"]].itertuples(index=False)) == {
        ("suga", "suga", "report")}
    for part in ("tune", "report"):
        rows = sheet[sheet["Part"] == part]
        original = rows[~rows["Variation"].str.contains("repost")]["Video_URL"].item()
        copy = rows[rows["Variation"] == "repost"]["Video_URL"].item()
        again = rows[rows["Variation"] == "reencoded_repost"]["Video_URL"].item()
        assert (out / copy).read_bytes() == (out / original).read_bytes()
        assert (out / again).read_bytes() != (out / original).read_bytes()
        assert frame_count(out / again) == frame_count(out / original)
    report = pd.read_csv(build_real_set(two_clips, out, part="report"), dtype=str, keep_default_na=False)
    assert list(report["Part"].unique()) == ["report"] and len(report) == 3


def test_vertical_post_is_a_9_16_centre_crop(two_clips: Path, tmp_path: Path):
    out = tmp_path / "vertical.mp4"
    write_post(two_clips / "clips" / "mead_m030_neutral.mp4", out, Post("mead_m030_neutral.mp4", 0.0, 1.0, "vertical", ""))
    cap = cv2.VideoCapture(str(out))
    ok, frame = cap.read()
    assert ok and frame.shape[:2] == (256, 144)  # 256 px high, 256 * 9 / 16 = 144 wide
    assert frame_count(out) == 25  # 1 s at the clip's 25 fps


def frame_count(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.grab():
        count += 1
    return count
