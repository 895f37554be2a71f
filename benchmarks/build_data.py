"""The benchmark data sets: N labelled videos built from ../shared/faces once, then reused.

`python benchmarks/build_data.py --videos 40` builds `benchmarks/data/people_40/videos.csv` (and the
videos beside it); the comparison scripts call `people_dataset(n)`, which does the same on demand.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from influencer_kit_samples.people import build_people_dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
FACES = ROOT.parent / "shared" / "faces"


def people_dataset(n_videos: int, faces_dir: Path = FACES, root: Path = DATA) -> Path:
    """The csv of a data set of `n_videos` videos (the last also shows a second, smaller person) plus
    one video with nobody; built on first use. The csv is written last, so its presence means complete."""
    csv = root / f"people_{n_videos}" / "videos.csv"
    if csv.exists():
        return csv
    if not (faces_dir / "people").is_dir():
        raise SystemExit(f"needs the labelled face photos in {faces_dir}")
    return build_people_dataset(faces_dir, csv.parent, n_videos=n_videos)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=40)
    print(people_dataset(parser.parse_args().videos))
