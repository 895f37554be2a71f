"""Labelled data sets of videos built from a folder of face photos (`<faces>/people/<name>/*.jpg`),
for tests and benchmarks: each video shows one person's photo moving, a few show a second, smaller
person, and one shows nobody. The sheet has the contract's column names and a `Person` column."""
from __future__ import annotations

from itertools import cycle
from pathlib import Path

import numpy as np
import pandas as pd

from influencer_kit.atomic import atomic_path
from influencer_kit_samples.videos import blank_clip, face_clip, load_rgb, write_video

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def people_photos(faces_dir: Path) -> dict[str, list[Path]]:
    """Each person's photos, by folder name, sorted."""
    people = Path(faces_dir) / "people"
    return {
        d.name: sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for d in sorted(people.iterdir()) if d.is_dir()
    }


def plan_videos(photos: dict[str, list[Path]], n_videos: int, pairs: int) -> list[tuple[str, list[Path]]]:
    """(person, photos shown) per video: every photo once round-robin over people until
    `n_videos`, the last `pairs` of them with the next person's photo beside the main one."""
    queues = {name: cycle(paths) for name, paths in photos.items()}
    names = list(photos)
    plan: list[tuple[str, list[Path]]] = []
    for i in range(n_videos):
        name = names[i % len(names)]
        plan.append((name, [next(queues[name])]))
    for i in range(min(pairs, len(plan))):
        name, shown = plan[-1 - i]
        other = names[(names.index(name) + 1) % len(names)]
        plan[-1 - i] = (name, shown + [photos[other][0]])
    return plan


def build_people_dataset(faces_dir: Path, out: Path, n_videos: int | None = None, pairs: int = 1,
                         n_frames: int = 30, seed: int = 0) -> Path:
    """Write videos and `out/videos.csv`; returns the csv. By default one video per photo."""
    photos = people_photos(faces_dir)
    n_videos = n_videos or sum(len(p) for p in photos.values())
    rng = np.random.default_rng(seed)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (person, shown) in enumerate(plan_videos(photos, n_videos, pairs)):
        name = f"videos/v{i:03d}_{person}.mp4"
        images = [load_rgb(p) for p in shown]
        if i % 2:
            images[0] = images[0][:, ::-1]
        write_video(out / name, face_clip(images, n_frames, seed=seed + i))
        rows.append((name, round(float(rng.uniform(0.5, 3.5)), 3), person, ";".join(
            p.parent.name for p in shown)))
    write_video(out / "videos/nobody.mp4", blank_clip(n_frames, seed=seed + 999))
    rows.append(("videos/nobody.mp4", round(float(rng.uniform(0.5, 3.5)), 3), "", ""))
    sheet = pd.DataFrame(rows, columns=["Video URL", "Performance", "Person", "Everyone"])
    csv = Path(out) / "videos.csv"
    with atomic_path(csv) as tmp:
        sheet.to_csv(tmp, index=False)
    return csv
