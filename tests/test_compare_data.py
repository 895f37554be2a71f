"""benchmarks/compare.py's data sets and its count of rows with nobody: the `real_report` rows built
from several seeds of the real-footage set's report part (benchmarks/build_data.py), on a few
clips of ../shared/real, and which rows count as showing nobody."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"
sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmark scripts import each other as top-level modules

from build_data import real_report_dataset  # noqa: E402
from compare import Truth  # noqa: E402


def test_rows_with_nobody_are_those_with_no_one_in_people(tmp_path: Path):
    csv = tmp_path / "videos.csv"
    pd.DataFrame({"Video URL": ["a.mp4", "b.mp4", "c.mp4", "d.mp4"], "Person": ["ann", "", "", "bob"],
                  "People": ["ann", "", "cat;dan", "bob;eve"]}).to_csv(csv, index=False)
    truth = Truth.read(csv)
    assert truth.person == ["ann", "", "", "bob"] and truth.nobody == [1]  # c shows people, none of them main
    assert truth.nobody_given(["p1", "p2", "p3", ""]) == "1/1"
    assert truth.nobody_given(["p1", "", "p3", ""]) == "0/1"


def test_people_set_reads_its_everyone_column(tmp_path: Path):
    csv = tmp_path / "videos.csv"
    pd.DataFrame({"Video URL": ["a.mp4", "b.mp4"], "Person": ["ann", None],
                  "Everyone": ["ann", None]}).to_csv(csv, index=False)
    assert Truth.read(csv).nobody == [1]


def test_real_report_rows_come_from_report_clips_over_several_seeds(tmp_path: Path):
    """Three short report clips and a tune clip: 12 rows take several seeds, every row is its own
    file of a report clip, and rows of two seeds never have the same bytes (within a seed, only a
    re-post has its original's)."""
    if not (REAL / "labels.json").is_file():
        pytest.skip(f"needs the labelled real clips in {REAL} (absent in this checkout)")
    labels = json.loads((REAL / "labels.json").read_text())["clips"]
    chosen = ["suga_dance.mp4", "farah_interview.mp4", "noface_teddy.mp4", "mead_m030_neutral.mp4"]
    real = tmp_path / "real_clips"
    (real / "clips").mkdir(parents=True)
    for clip in chosen:
        (real / "clips" / clip).symlink_to(REAL / "clips" / clip)
    (real / "labels.json").write_text(json.dumps({"clips": {clip: labels[clip] for clip in chosen}}))
    csv = real_report_dataset(12, real, tmp_path / "data")
    sheet = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert len(sheet) == 12 and set(sheet["Part"]) == {"report"}
    assert sheet["Seed"].nunique() > 1 and "mead_m030_neutral.mp4" not in set(sheet["Clip"])
    assert sheet["Video URL"].is_unique
    seeds_of: dict[str, set[str]] = {}
    for url, seed in zip(sheet["Video URL"], sheet["Seed"]):
        seeds_of.setdefault(hashlib.sha256((csv.parent / url).read_bytes()).hexdigest(), set()).add(seed)
    assert all(len(seeds) == 1 for seeds in seeds_of.values())
    assert len(sheet) - len(seeds_of) <= sum(sheet["Variation"] == "repost")
    for row in sheet.itertuples():
        assert row.Person == (labels[row.Clip]["main"] or "")
    assert Truth.read(csv).nobody == [i for i, clip in enumerate(sheet["Clip"]) if clip == "noface_teddy.mp4"]
    assert real_report_dataset(12, real, tmp_path / "data") == csv  # built once
