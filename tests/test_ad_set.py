"""The ad-like parts of the real-footage benchmark: the labelling rules (benchmarks/ad_set.py) on
hand-made ads, an ad written from tiny synthetic clips, the scores the ad parts add
(benchmarks/row_scores.py), and a small part built from ../shared/real."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"
sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmark scripts import each other as top-level modules

from ad_set import FPS, Ad, Shot, Tile, ad_labels, build_ad_set, write_ad  # noqa: E402
from real_footage import cut_values  # noqa: E402
from row_scores import best_cuts, main_right, others_by_person, others_found, stands_for  # noqa: E402

PEOPLE = {"a.mp4": ["ann"], "b.mp4": ["bob"], "c.mp4": ["cat"], "two.mp4": ["dan", "eve"], "product.mp4": []}
LEFT, RIGHT = (0.0, 0.0, 0.62, 1.0), (0.62, 0.0, 0.38, 1.0)
HALF_LEFT, HALF_RIGHT = (0.0, 0.0, 0.5, 1.0), (0.5, 0.0, 0.5, 1.0)
CORNER = (0.62, 0.05, 0.33, 0.19)


def ad(*shots: Shot) -> Ad:
    return Ad("test", "test", (64, 64), shots, "SHOP NOW")


def test_split_screen_of_equal_length_the_larger_box_is_main():
    split = ad(Shot(100, (Tile("a.mp4", 0.0, RIGHT), Tile("b.mp4", 0.0, LEFT))))
    assert ad_labels(split, PEOPLE) == ("bob", ["bob", "ann"])


def test_split_screen_of_equal_boxes_has_no_main_person():
    split = ad(Shot(100, (Tile("a.mp4", 0.0, HALF_LEFT), Tile("b.mp4", 0.0, HALF_RIGHT))))
    assert ad_labels(split, PEOPLE) == ("", ["ann", "bob"])


def test_compilation_of_4_s_and_2_s_the_4_s_one_is_main():
    compilation = ad(Shot(50, (Tile("a.mp4", 0.0),)), Shot(100, (Tile("b.mp4", 1.0),)))
    assert ad_labels(compilation, PEOPLE) == ("bob", ["bob", "ann"])


def test_product_shots_count_for_nobody():
    compilation = ad(Shot(60, (Tile("a.mp4", 0.0),)), Shot(30, (Tile("product.mp4", 0.0, still=True),)),
                     Shot(50, (Tile("c.mp4", 0.0),)))
    assert ad_labels(compilation, PEOPLE) == ("ann", ["ann", "cat"])
    assert ad_labels(ad(Shot(40, (Tile("product.mp4", 0.0),))), PEOPLE) == ("", [])


def test_picture_in_picture_the_full_frame_clip_is_main_for_the_whole_ad_or_part():
    whole = ad(Shot(120, (Tile("a.mp4", 0.0), Tile("b.mp4", 0.0, CORNER))))
    assert ad_labels(whole, PEOPLE) == ("ann", ["ann", "bob"])
    partial = ad(Shot(50, (Tile("c.mp4", 0.0),)), Shot(70, (Tile("c.mp4", 2.0), Tile("a.mp4", 0.0, CORNER))))
    assert ad_labels(partial, PEOPLE) == ("cat", ["cat", "ann"])


def test_a_person_in_several_shots_adds_up_and_a_clip_of_two_shows_both():
    ads = ad(Shot(40, (Tile("a.mp4", 0.0),)), Shot(50, (Tile("two.mp4", 0.0),)), Shot(30, (Tile("a.mp4", 3.0),)))
    # ann 40 + 30 = 70 frames; dan and eve 50 each, tied on time and box: listed as they came
    assert ad_labels(ads, PEOPLE) == ("ann", ["ann", "dan", "eve"])


def solid_clip(path: Path, colour: tuple[int, int, int], frames: int, size: tuple[int, int] = (32, 32)) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, size)
    for _ in range(frames):
        writer.write(np.full((size[1], size[0], 3), colour, dtype=np.uint8))
    writer.release()


def test_an_ad_from_tiny_clips_plays_its_shots_in_turn_and_loops_a_short_clip(tmp_path: Path):
    solid_clip(tmp_path / "red.mp4", (0, 0, 255), 5)  # 5 frames, shown for 30: it loops
    solid_clip(tmp_path / "blue.mp4", (255, 0, 0), 40)
    small = (0.5, 0.0, 0.5, 0.5)  # the top right quarter
    ads = Ad("tiny", "pip_partial", (128, 96), (Shot(10, (Tile("red.mp4", 0.0),)),
                                                 Shot(20, (Tile("red.mp4", 0.0), Tile("blue.mp4", 0.0, small)))), "")
    write_ad(tmp_path, tmp_path / "ad.mp4", ads)
    cap = cv2.VideoCapture(str(tmp_path / "ad.mp4"))
    frames = []
    while (got := cap.read())[0]:
        frames.append(got[1])
    assert len(frames) == 30 and frames[0].shape == (96, 128, 3)
    # red fills the middle throughout (letterboxed: 96 x 96 of the 128-wide frame); blue only in the
    # top right box after frame 10
    assert all(frame[60, 64, 2] > 200 and frame[60, 64, 0] < 60 for frame in frames)
    assert frames[5][24, 100, 2] > 200 and frames[5][24, 100, 0] < 60
    assert frames[20][24, 100, 0] > 200 and frames[20][24, 100, 2] < 60


TRUTH = ["a", "a", "b", "b", "", "c"]
PREDICTED = ["1", "1", "1", "2", "3", ""]
PEOPLE_OF_ROWS = [["a", "b"], ["a"], ["b", "a"], ["b", "c", "extras_crowd"], ["a", "b"], ["c"]]
INFLUENCERS = [["1", "2"], ["1"], ["1"], ["2"], ["3", "1", "2"], []]


def test_a_predicted_person_stands_for_the_main_label_most_of_its_rows_carry():
    # 1 holds two a rows and one b row; 2 one b row; 3 only a row with no main person
    assert stands_for(TRUTH, PREDICTED) == {"1": "a", "2": "b"}
    assert stands_for(["x", "y"], ["9", "9"]) == {"9": "x"}  # a tie goes to the earliest row


def test_main_person_right_counts_rows_whose_influencer_stands_for_their_main_person():
    # rows 1, 2 (a -> 1) and 4 (b -> 2) are right; row 3 (b -> 1, which is a's) and row 6 (none) are not
    assert main_right(TRUTH, PREDICTED) == (3, 5)


def test_others_found_looks_up_each_other_person_by_who_stands_for_them():
    # row 1: b (2) found; row 3: a (1) found; row 4: c has no predicted person; row 5 (no main):
    # a (1) and b (2) found; the extras group is nobody
    assert others_by_person(TRUTH, PEOPLE_OF_ROWS, PREDICTED, INFLUENCERS) == {"a": (2, 2), "b": (2, 2), "c": (0, 1)}
    assert others_found(TRUTH, PEOPLE_OF_ROWS, PREDICTED, INFLUENCERS) == (4, 5)


def test_best_cuts_are_the_runs_with_the_best_f_that_find_everyone():
    tried = [(0.4, 0.90, False), (0.45, 0.98, True), (0.5, 0.98, True), (0.55, 0.95, True), (0.6, 0.98, True),
             (0.65, 0.99, False)]
    assert best_cuts(tried) == ([[0.45, 0.5], [0.6]], True)
    assert best_cuts([(0.4, 0.8, False), (0.5, 0.9, False)]) == ([[0.5]], False)


def test_cuts_option_lists_every_cut_from_first_to_last():
    assert cut_values("0.4:0.5:0.05") == [0.4, 0.45, 0.5]
    assert cut_values("0.40:0.70:0.02")[-1] == 0.7 and len(cut_values("0.40:0.70:0.02")) == 16


def test_small_ad_part_from_real_clips_uses_only_its_own_part(tmp_path: Path):
    """../shared/real cut down to four one-person tune clips, a tune no-face clip and a report clip:
    the ads_tune part shows tune clips only, each person is the main person of an ad, and the
    product ad shows nobody."""
    if not (REAL / "labels.json").is_file():
        pytest.skip(f"needs the labelled real clips in {REAL} (absent in this checkout)")
    labels = json.loads((REAL / "labels.json").read_text())["clips"]
    chosen = ["mead_m030_neutral.mp4", "mead_w011_neutral.mp4", "bearded_man_interview.mp4", "office_man.mp4",
              "noface_cat.mp4", "suga_dance.mp4"]
    real = tmp_path / "real"
    (real / "clips").mkdir(parents=True)
    for clip in chosen:
        (real / "clips" / clip).symlink_to(REAL / "clips" / clip)
    (real / "labels.json").write_text(json.dumps({"clips": {clip: labels[clip] for clip in chosen}}))
    kinds = {"compilation": 2, "pip": 2, "split": 1, "product": 1}
    sheet = pd.read_csv(build_ad_set(real, tmp_path / "ads", part="ads_tune", kinds=kinds), dtype=str,
                        keep_default_na=False)
    assert len(sheet) == 6 and set(sheet["Part"]) == {"ads_tune"}
    used = {clip for cell in sheet["Clip"] for clip in cell.split(";")}
    assert "suga_dance.mp4" not in used and used <= set(chosen)
    assert set(sheet["Person"]) - {""} == {"mead_m030", "mead_w011", "man_beard_grey_bg", "office_man"}
    product = sheet[sheet["Variation"] == "product"]
    assert list(product[["Person", "People", "Clip"]].itertuples(index=False)) == [("", "", "noface_cat.mp4")]
    for row in sheet.itertuples():
        assert (tmp_path / "ads" / row.Video_URL).stat().st_size > 0
        assert not row.Person or row.People.split(";")[0] == row.Person
