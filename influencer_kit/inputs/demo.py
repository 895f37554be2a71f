"""The built-in offline demo data set: eight short videos of two people, a broken file and a
missing one, shipped prebuilt in `demo_set/` (rebuilt by `python -m influencer_kit_samples.demo`)."""
from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from influencer_kit.atomic import atomic_path

SHIPPED = Path(__file__).parent / "demo_set"


def build_demo(folder: Path) -> Path:
    """Copy the demo set into `folder` (its sheet `demo.csv`, its videos in `folder/videos`), leaving
    files that already hold the shipped bytes untouched; returns the csv path. The sheet is copied
    last, so its presence means the set is complete."""
    folder = Path(folder)
    csv = folder / "demo.csv"
    shipped = sorted((SHIPPED / "videos").iterdir()) + [SHIPPED / "demo.csv"]
    (folder / "videos").mkdir(parents=True, exist_ok=True)
    for source in shipped:
        target = folder / source.relative_to(SHIPPED)
        if not (target.exists() and filecmp.cmp(source, target, shallow=False)):
            with atomic_path(target) as tmp:
                shutil.copyfile(source, tmp)
    (folder / "videos" / "missing.mp4").unlink(missing_ok=True)
    return csv
