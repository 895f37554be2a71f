"""Creatives on real footage: each clip of ../shared/real cut 2-4 ways the way ad variants are cut,
then every video fingerprinted, its people found by influencer-kit, and videos grouped into
creatives. Thresholds are chosen on the `tune` clips (real_set.TUNE_CLIPS) and reported on the
`report` clips; writes benchmarks/results/creatives.md.

    python benchmarks/creatives.py [--seed 0]

Variants (built at benchmark time into benchmarks/data/creatives/, never copied into the project):
`low_bitrate` (H.264 at 120 kbit/s), `vertical` (a 9:16 centre crop), `captions` (words burnt in
over the lower third), `trimmed` (0.5-2 s cut off, at the start, the end or both), `mirrored`,
`speed` (1.1x: the same frames played faster) and `intro` (1-2 s of another clip first). The clip
itself is one more video of its creative, and the other clips of its people are other creatives.

Scores per part, over pairs of videos: a pair of one clip's videos is a variant pair; precision and
recall of the pairs grouped into one creative; and of the pairs of different clips that show one
main person (obama, rdj, mead_*, office_*, asl_woman), the share grouped (wrongly).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import zlib
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from kit_runner import completed_job
from measure import commit, machine
from real_set import REAL, TUNE_CLIPS, Post, duration_of, even, part_of, write_post

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "creatives"
RESULTS = ROOT / "benchmarks" / "results" / "creatives.md"
VARIANTS = ("low_bitrate", "vertical", "captions", "trimmed", "mirrored", "speed", "intro")
CAPTIONS = ["LIMITED OFFER", "link in bio", "watch till the end", "new drop today", "you need this"]
SPEED = 1.1
LOW_BITRATE = "120k"


@dataclass(frozen=True)
class Variant:
    clip: str
    kind: str
    file: str  # relative to the set's folder


def chosen_variants(clip: str, seed: int) -> list[str]:
    """2-4 kinds of variant of one clip, from the seed."""
    rng = np.random.default_rng([seed, zlib.crc32(clip.encode())])
    return sorted(rng.choice(VARIANTS, size=int(rng.integers(2, 5)), replace=False).tolist())


def write_frames(out: Path, fps: float, frames: list[np.ndarray]) -> None:
    """BGR frames (one size) as an mp4v video."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()


def read_frames(path: Path, size: tuple[int, int] | None = None) -> tuple[list[np.ndarray], float]:
    """Every frame (BGR, resized to `size` when given) and the frame rate."""
    cap = cv2.VideoCapture(str(path))
    fps, frames = cap.get(cv2.CAP_PROP_FPS) or 25.0, []
    while (got := cap.read())[0]:
        frame = got[1]
        frames.append(frame if size is None else cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    cap.release()
    return frames, fps


def write_variant(source: Path, out: Path, kind: str, others: list[Path], rng: np.random.Generator) -> None:
    """One variant of the clip at `source`."""
    duration = duration_of(source)
    if kind in ("vertical", "mirrored", "captions"):
        words = str(rng.choice(CAPTIONS)) if kind == "captions" else ""
        write_post(source, out, Post(source.name, 0.0, duration, {"captions": "subtitles"}.get(kind, kind), words))
    elif kind == "trimmed":
        cut = rng.uniform(0.5, min(2.0, duration / 2))
        start = {0: cut, 1: 0.0, 2: cut / 2}[int(rng.integers(0, 3))]
        write_post(source, out, Post(source.name, start, duration - (cut - start), "none", ""))
    elif kind == "low_bitrate":
        subprocess.run([ffmpeg(), "-v", "error", "-y", "-i", str(source), "-an", "-c:v", "libx264", "-b:v",
                        LOW_BITRATE, "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
                        str(out)], check=True)
    elif kind == "speed":
        frames, fps = read_frames(source)
        write_frames(out, fps * SPEED, frames)
    elif kind == "intro":
        frames, fps = read_frames(source)
        height, width = frames[0].shape[:2]
        other = others[int(rng.integers(0, len(others)))]
        intro, other_fps = read_frames(other, (even(width), even(height)))
        length = round(rng.uniform(1.0, 2.0) * other_fps)
        start = int(rng.integers(0, max(1, len(intro) - length)))
        frames = [cv2.resize(f, (even(width), even(height))) for f in frames]
        write_frames(out, fps, intro[start: start + length] + frames)
    else:
        raise ValueError(kind)


def ffmpeg() -> str:
    import imageio_ffmpeg  # the test extra's

    return imageio_ffmpeg.get_ffmpeg_exe()


def build_set(seed: int, real_dir: Path = REAL) -> Path:
    """The sheet of every clip and its variants (built once per seed), its csv's path."""
    out = DATA / f"seed_{seed}"
    csv = out / "videos.csv"
    if csv.exists():
        return csv
    labels = json.loads((real_dir / "labels.json").read_text())["clips"]
    (out / "videos").mkdir(parents=True, exist_ok=True)
    clips = sorted(labels)
    long_clips = [real_dir / "clips" / c for c in clips if duration_of(real_dir / "clips" / c) >= 6.0]
    rows = []
    for clip in clips:
        source = real_dir / "clips" / clip
        rows.append({"Video_URL": str(source), "Clip": clip, "Variant": "original"})
        rng = np.random.default_rng([seed, zlib.crc32(clip.encode()), 7])
        for kind in chosen_variants(clip, seed):
            name = f"videos/{Path(clip).stem}_{kind}.mp4"
            write_variant(source, out / name, kind, [p for p in long_clips if p != source], rng)
            rows.append({"Video_URL": name, "Clip": clip, "Variant": kind})
    sheet = pd.DataFrame(rows)
    sheet["Performance"] = np.round(np.random.default_rng(seed).uniform(0.1, 2.0, len(sheet)), 3)
    sheet["Person"] = [labels[c]["main"] or "" for c in sheet["Clip"]]
    sheet["Part"] = [part_of(c) for c in sheet["Clip"]]
    sheet.to_csv(out / "videos.tmp.csv", index=False)
    (out / "videos.tmp.csv").rename(csv)
    return csv
