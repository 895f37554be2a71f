"""The per-video cost, stage by stage, against its floor. For each video, with the models loaded
once, `faces.analyse.analyse_video` runs with a timer around each of its steps (the sampling plan,
reading the frames, detection, the face tracks, embedding, the JPEGs), then the face cache's write
(`FaceCache.put`). The floor is what the work cannot go below: decoding as many frames as were
sampled (read one after another from the start, no seeking), one detector batch on those frames,
and one embedding per person found (one face per appearance).

    python benchmarks/per_video_cost.py VIDEO... [--detector mtcnn] [--name per_video_cost.md]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from measure import commit, load, machine, write_report

from influencer_kit.faces import analyse
from influencer_kit.faces.cache import FaceCache
from influencer_kit.faces.frames import VideoReader
from influencer_kit.people.grouping import group_within_video
from influencer_kit.plugin import manager
from influencer_kit.plugin.components import DetectorConfig

REPEATS = 3  # each video is measured this many times; the fastest counts (the machine is shared)


class Timers:
    """Seconds spent in each wrapped function during one video."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - start

        setattr(owner, name, timed)


def timed(function: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def floor(path: Path, n_frames: int, people: int, detector, embedder, detect_width: int) -> dict[str, float]:
    """Decode `n_frames` frames in a row from the start; one detector batch on them; one embedding
    per person (`people` faces, the first frame's largest face standing in for each)."""
    def decode() -> list[np.ndarray]:
        with VideoReader(str(path)) as reader:
            return [f for _, f in reader.read(list(range(n_frames)))]

    decode_s, frames = timed(decode)
    small = [analyse.downscale(f, detect_width)[0] for f in frames]
    detect_s, found = timed(lambda: detector.detect(small))
    faces = [f for per in found for f in per][:1] * people
    embed_s = timed(lambda: embedder.embed(small[0], faces))[0] if faces else 0.0
    return {"decode": decode_s, "detect": detect_s, "embed": embed_s}


def measure(path: Path, detector, embedder, rules: analyse.AnalysisRules, cache: FaceCache) -> dict:
    best: dict | None = None
    for _ in range(REPEATS):
        timers = Timers()
        saved = [(owner, name, getattr(owner, name)) for owner, name in TARGETS]
        for (owner, name), label in zip(TARGETS, LABELS):
            timers.wrap(owner, name, label)
        try:
            total, pictures = timed(lambda: analyse.analyse_video(str(path), detector, embedder, rules))
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)
        put_s = timed(lambda: cache.put(f"{hash((str(path), time.time_ns())) & (2**256 - 1):064x}", pictures))[0]
        row = {"total": total, "put": put_s, **timers.spent, "found": pictures.found}
        if best is None or row["total"] < best["total"]:
            best = row
    found = best["found"]
    people = len(group_within_video("v", found.embeddings, found.faces, 0.55)) if found.faces else 0
    best.update(frames=len(found.frame_indices), faces=len(found.faces), people=people,
                floor=floor(path, len(found.frame_indices), people, detector, embedder, rules.detect_width))
    return best


TARGETS = [(analyse, "sample_plan"), (VideoReader, "read"), (analyse, "detect"), (analyse, "sightings"),
           (analyse, "people_only"), (analyse, "embed_faces"), (analyse, "encode_jpeg")]
LABELS = ["plan", "read", "detect", "colours", "tracks", "embed", "jpeg"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("videos", nargs="+", type=Path)
    parser.add_argument("--detector", default="mtcnn")
    parser.add_argument("--name", default="per_video_cost.md")
    args = parser.parse_args()
    detector = manager.build("detector", {"name": args.detector}).fit()
    embedder = manager.build("embedder", {"name": "dlib"}).fit()
    defaults = DetectorConfig()
    rules = analyse.AnalysisRules(detect_width=defaults.detect_width, min_face_size=defaults.min_face_size,
                                  min_confidence=defaults.min_confidence)
    columns = ["total", *LABELS, "put"]
    lines = [f"# Per-video cost, stage by stage (detector={args.detector}, embedder=dlib)", "",
             f"Commit {commit()}; {machine()}; load average at the end {load()} (shared machine: fastest of "
             f"{REPEATS} runs per video). Milliseconds. `read` includes seeking; `colours` the face histograms "
             f"that link tracks; `put` writes the entry (JPEGs, npz) to the face cache.", "",
             "| video | frames | faces | people | " + " | ".join(columns) + " | floor: decode | detect | embed | floor |",
             "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in columns) + " | ---: | ---: | ---: | ---: |"]
    sums: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as tmp:
        cache = FaceCache(Path(tmp), {"probe": True})
        for path in args.videos:
            row = measure(path, detector, embedder, rules, cache)
            fl = row["floor"]
            floor_total = sum(fl.values())
            for key in columns:
                sums[key] += row.get(key, 0.0)
            for key, value in fl.items():
                sums[f"floor_{key}"] += value
            lines.append(f"| {path.name} | {row['frames']} | {row['faces']} | {row['people']} | "
                         + " | ".join(f"{1000 * row.get(key, 0.0):.0f}" for key in columns)
                         + f" | {1000 * fl['decode']:.0f} | {1000 * fl['detect']:.0f} | {1000 * fl['embed']:.0f} | "
                         f"{1000 * floor_total:.0f} |")
    n = len(args.videos)
    floor_mean = sum(sums[f"floor_{k}"] for k in ("decode", "detect", "embed")) / n
    lines.append("| **mean** | | | | " + " | ".join(f"**{1000 * sums[key] / n:.0f}**" for key in columns)
                 + " | " + " | ".join(f"{1000 * sums[f'floor_{k}'] / n:.0f}" for k in ("decode", "detect", "embed"))
                 + f" | **{1000 * floor_mean:.0f}** |")
    lines.append("")
    write_report("\n".join(lines), args.name)


if __name__ == "__main__":
    main()
