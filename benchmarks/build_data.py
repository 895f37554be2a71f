"""The benchmark data sets, built once, then reused: N labelled videos made from the photos of
../shared/faces (`people`), or N rows of the `report` part of the real-footage set (`real_report`).

`python benchmarks/build_data.py --videos 40` builds `benchmarks/data/people_40/videos.csv` (and the
videos beside it); `--data real_report --videos 200` builds `benchmarks/data/real_report_200/videos.csv`.
The comparison scripts call `people_dataset(n)` and `real_report_dataset(n)`, which do the same on demand.
"""
from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

import pandas as pd
from real_set import REAL, build_real_set

from influencer_kit_samples.people import build_people_dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
FACES = ROOT.parent / "shared" / "faces"
MAX_SEEDS = 100


def people_dataset(n_videos: int, faces_dir: Path = FACES, root: Path = DATA) -> Path:
    """The csv of a data set of `n_videos` videos (the last also shows a second, smaller person) plus
    one video with nobody; built on first use. The csv is written last, so its presence means complete."""
    csv = root / f"people_{n_videos}" / "videos.csv"
    if csv.exists():
        return csv
    if not (faces_dir / "people").is_dir():
        raise SystemExit(f"needs the labelled face photos in {faces_dir}")
    return build_people_dataset(faces_dir, csv.parent, n_videos=n_videos)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def real_report_dataset(n_rows: int, real_dir: Path = REAL, root: Path = DATA) -> Path:
    """The csv of `n_rows` rows of the real-footage set's `report` part (clips the defaults were not
    chosen on; benchmarks/real_set.py), built on first use: the report rows of the set built with
    seed 0, then seed 1, ... (each seed cuts other posts from the clips and varies them other ways;
    the sets are built into `root`/real/seed_<seed>, where benchmarks/real_set.py builds them), in
    order, until there are `n_rows`. A video with the same bytes as a row of an earlier seed is
    left out (a short clip posted whole with the same variation under two seeds); a set's own exact
    re-post (`Variation` repost) stays beside its original. Columns: `Video URL` (relative to the csv), the set's
    columns but `Video_URL`, and `Seed`. The csv is written last, so its presence means complete."""
    csv = root / f"real_report_{n_rows}" / "videos.csv"
    if csv.exists():
        return csv
    rows: list[dict] = []
    earlier: set[str] = set()  # the videos of earlier seeds
    for seed in range(MAX_SEEDS):
        part = build_real_set(real_dir, root / "real" / f"seed_{seed}", seed, part="report")
        added = 0
        digests = set()
        for row in pd.read_csv(part, dtype=str, keep_default_na=False).to_dict("records"):
            video = part.parent / row.pop("Video_URL")
            digest = file_digest(video)
            digests.add(digest)
            if digest in earlier:
                continue
            rows.append({"Video URL": os.path.relpath(video, csv.parent), **row, "Seed": seed})
            added += 1
        earlier |= digests
        if len(rows) >= n_rows:
            break
        if not added:
            raise SystemExit(f"seed {seed} of the real set in {real_dir} adds no new report rows: "
                             f"{len(rows)} rows, {n_rows} asked for")
    else:
        raise SystemExit(f"{MAX_SEEDS} seeds of the real set in {real_dir} give {len(rows)} report rows, "
                         f"{n_rows} asked for")
    csv.parent.mkdir(parents=True, exist_ok=True)
    partial = csv.with_name("videos.tmp.csv")
    pd.DataFrame(rows[:n_rows]).to_csv(partial, index=False)
    return partial.rename(csv)


DATA_SETS = {"people": people_dataset, "real_report": real_report_dataset}
DEFAULT_ROWS = {"people": 40, "real_report": 200}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=list(DATA_SETS), default="people")
    parser.add_argument("--videos", type=int, help="rows (videos); 40 for people, 200 for real_report")
    args = parser.parse_args()
    print(DATA_SETS[args.data](args.videos or DEFAULT_ROWS[args.data]))
