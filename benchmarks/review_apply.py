"""How long the review app's Apply takes for 1,000 videos.

Builds (once, under benchmarks/data/apply_<n>/) n distinct small clips (320x180, 4 frames) of the
../shared/faces photos, each from its own seed, so every clip is different bytes and a video of
its own; runs the pipeline on them once (tracked, with a registry: the face cache is filled), makes
three corrections (merge, rename, split a video off), then times Apply exactly as the app calls it
(`influencer_kit.review.apply.apply`: the run's configuration again, from its folder) twice.
Prints a table and writes it to benchmarks/results/review_apply.md.

    python benchmarks/review_apply.py [--videos 1000]

This measures speed only; the clips are synthetic, of the same photos the clustering cut was
partly chosen on, so it says nothing about accuracy.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from itertools import cycle
from pathlib import Path

import cv2
import mlflow
import numpy as np
import pandas as pd

from influencer_kit_samples.people import people_photos
from influencer_kit.registry import corrections
from influencer_kit.registry.store import Registry
from influencer_kit.review.apply import apply
from influencer_kit.review.run_folder import RunFolder
from influencer_kit_samples.videos import face_clip, load_rgb, write_video

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "faces"
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "review_apply.md"
RUN = ["frames_per_video=2", "output.progress=false"]


def small(image: np.ndarray, height: int = 360) -> np.ndarray:
    """A photo scaled down to `height` rows (twice the clip's): the clips are built faster."""
    scale = height / image.shape[0]
    return cv2.resize(image, (max(1, round(image.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)


def build(work: Path, n_videos: int) -> Path:
    """n distinct clips and their sheet (written last: its presence means complete)."""
    sheet = work / "videos.csv"
    if sheet.exists():
        return sheet
    photos = {name: [small(load_rgb(p)) for p in paths] for name, paths in people_photos(FACES).items()}
    queues = {name: cycle(images) for name, images in photos.items()}
    names = list(photos)
    (work / "videos").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_videos):
        person = names[i % len(names)]
        path = work / "videos" / f"v{i:04d}.mp4"
        write_video(path, face_clip([next(queues[person])], 4, size=(180, 320), seed=i))
        rows.append((f"videos/{path.name}", round(1.0 + (i * 37 % 100) / 40, 3), person))
    pd.DataFrame(rows, columns=["Video URL", "Performance", "Person"]).to_csv(sheet, index=False)
    return sheet


def first_run(work: Path, sheet: Path) -> float:
    """The run that fills the face cache and the registry (once); its seconds, 0 when done before."""
    if (work / "run" / "ProcessedVideos_videos.csv").exists():
        return 0.0
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "influencer_kit", f"data.path={sheet}", f"hydra.run.dir={work / 'run'}",
                           f"cache.dir={work / 'cache'}", *RUN], cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - start


def correct(work: Path) -> list[str]:
    """Three corrections, as the app makes them."""
    videos = pd.read_csv(work / "run" / "ProcessedVideos_videos.csv", keep_default_na=False)
    main = videos[videos["influencer"] != ""]
    people = list(dict.fromkeys(main["influencer"]))
    with Registry(work / "registry.db") as registry, registry.write():
        keep, other = people[0], people[1]
        done = [corrections.merge(registry, keep, other), corrections.rename(registry, people[2], "Renamed")]
        video = main.loc[main["influencer"] == people[3], "video_sha256"].iloc[0]
        done.append(corrections.split(registry, people[3], videos=[video], name="Split off"))
    return done


def stage_times(work: Path) -> dict[str, float]:
    """The newest MLflow run's `time_*` metrics (seconds per stage)."""
    client = mlflow.MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    run = client.search_runs([client.get_experiment_by_name("influencer-kit").experiment_id],
                             order_by=["attributes.start_time DESC"], max_results=1)[0]
    return {k.removeprefix("time_").removesuffix("_s"): v for k, v in run.data.metrics.items() if k.startswith("time_")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1000)
    args = parser.parse_args()
    if not (FACES / "people").is_dir():
        raise SystemExit(f"needs the labelled face photos in {FACES}")
    work = DATA / f"apply_{args.videos}"
    work.mkdir(parents=True, exist_ok=True)
    sheet = build(work, args.videos)
    first = first_run(work, sheet)
    said = correct(work)
    run = RunFolder.open(work / "run")
    rows = []
    for attempt in (1, 2):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        applied = apply(run, work / "registry.db")
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = done.ru_utime + done.ru_stime - used.ru_utime - used.ru_stime  # the run's own CPU time
        rows.append((attempt, applied.seconds, cpu, stage_times(work)))
    videos = pd.read_csv(work / "run" / "ProcessedVideos_videos.csv", keep_default_na=False)
    names = sorted(rows[0][3])
    lines = [
        f"# Apply for {args.videos} videos",
        "",
        f"`python benchmarks/review_apply.py --videos {args.videos}` on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work (load average {os.getloadavg()[0]:.1f} at the end), "
        f"{time.strftime('%Y-%m-%d')}. "
        f"{len(videos)} rows, {videos['video_sha256'].nunique()} distinct videos, "
        f"{videos['influencer'].replace('', pd.NA).nunique()} influencers after the corrections: {'; '.join(said)}. "
        f"First run (detects and embeds every face, fills the cache): "
        + (f"{first:.0f} s." if first else "done before this call."),
        "",
        "| Apply | wall s (whole command) | CPU s (whole command) | " + " | ".join(f"{n} s" for n in names) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    lines += [f"| {a} | {s:.1f} | {c:.1f} | " + " | ".join(f"{t.get(n, float('nan')):.2f}" for n in names) + " |"
              for a, s, c, t in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
