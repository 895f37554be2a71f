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
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from kit_runner import completed_job
from measure import commit, load, machine, write_report
from real_set import PARTS, REAL, Post, duration_of, even, part_of, write_post

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "creatives"
VARIANTS = ("low_bitrate", "vertical", "captions", "trimmed", "mirrored", "speed", "intro")
CAPTIONS = ["LIMITED OFFER", "link in bio", "watch till the end", "new drop today", "you need this"]
SPEED = 1.1
LOW_BITRATE = "120k"


DISTANCES = range(3, 11)  # creatives.frame_distance tried on the tune part
COVERAGES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # creatives.min_coverage tried
GOALS = {"precision": 0.98, "recall": 0.95}  # and same-person pairs grouped below 1%
MAX_SAME_PERSON = 0.01


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


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    same_person: float  # share of pairs of different clips of one main person grouped
    same_person_pairs: int
    variant_pairs: int

    def good(self) -> bool:
        return (self.precision >= GOALS["precision"] and self.recall >= GOALS["recall"]
                and self.same_person < MAX_SAME_PERSON)


def scores(clips: list[str], people: list[str], labels: np.ndarray) -> Scores:
    """Pair scores of predicted creatives (`labels`) against the clips the videos were cut from."""
    clip = np.array(clips)
    person = np.array(people)
    first, second = np.triu_indices(len(clips), 1)
    truth = clip[first] == clip[second]
    grouped = labels[first] == labels[second]
    one_person = ~truth & (person[first] == person[second]) & (person[first] != "")
    return Scores(precision=float((truth & grouped).sum() / max(1, grouped.sum())),
                  recall=float((truth & grouped).sum() / max(1, truth.sum())),
                  same_person=float((one_person & grouped).sum() / max(1, one_person.sum())),
                  same_person_pairs=int(one_person.sum()), variant_pairs=int(truth.sum()))


def pair_coverages(fingerprints: list, people: list[frozenset[str]]) -> dict[int, dict[tuple[int, int], float]]:
    """For each frame distance tried, the coverage of every candidate pair whose people agree."""
    from influencer_kit.creatives.grouping import candidate_pairs, coverage, people_agree

    candidates = [(int(i), int(j)) for i, j in candidate_pairs(fingerprints) if people_agree(people[i], people[j])]
    return {d: {(i, j): coverage(fingerprints[i], fingerprints[j], d) for i, j in candidates} for d in DISTANCES}


def grouped(count: int, coverages: dict[tuple[int, int], float], min_coverage: float) -> np.ndarray:
    from influencer_kit.creatives.grouping import join

    return join(count, list(coverages), lambda i, j: coverages[(i, j)] >= min_coverage)


def sweep(sheet: pd.DataFrame, fingerprints: list, people: list[frozenset[str]]) -> dict[tuple[int, float], Scores]:
    """Scores of every (frame distance, min coverage) tried, on the rows of `sheet`."""
    covered = pair_coverages(fingerprints, people)
    clips, persons = sheet["Clip"].tolist(), sheet["Person"].fillna("").tolist()
    return {(d, c): scores(clips, persons, grouped(len(sheet), covered[d], c)) for d in DISTANCES for c in COVERAGES}


def pick(tuned: dict[tuple[int, float], Scores]) -> tuple[int, float]:
    """The setting that meets every goal on the tune part with the highest recall, then the
    highest precision; ties go to the middle of the good coverages of its distance."""
    good = [key for key, s in tuned.items() if s.good()] or list(tuned)
    best = max((tuned[k].recall, tuned[k].precision) for k in good)
    ties = [k for k in good if (tuned[k].recall, tuned[k].precision) == best]
    return ties[len(ties) // 2]


def measured_fingerprints(sheet: pd.DataFrame, folder: Path) -> tuple[list, list[float]]:
    """Every row's fingerprint with the kit's default settings, and the seconds each took."""
    from influencer_kit.creatives.fingerprint import FingerprintSettings, fingerprint_file

    found, seconds = [], []
    for url in sheet["Video_URL"]:
        start = time.perf_counter()
        found.append(fingerprint_file(str(folder / url), FingerprintSettings()))
        seconds.append(time.perf_counter() - start)
    return found, seconds


def table(rows: list[list[object]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows])


def report(sheet: pd.DataFrame, tuned: dict, reported: dict, frames_only: dict, chosen: tuple[int, float],
           seconds: list[float], sizes: list[str], wall_s: float, load_before: str) -> str:
    good = sorted(k for k, s in tuned.items() if s.good())
    by_distance = {d: [c for dd, c in good if dd == d] for d in DISTANCES}
    ranges = [[d, f"{min(cs)}-{max(cs)}" if cs else "none"] for d, cs in by_distance.items()]
    def row(name: str, s: Scores) -> list[object]:
        return [name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.same_person:.3f} ({s.same_person_pairs} pairs)",
                s.variant_pairs, "yes" if s.good() else "no"]
    per_size = pd.DataFrame({"size": sizes, "s": seconds}).groupby("size")["s"].agg(["count", "median", "max"])
    kinds = sheet["Variant"].value_counts()
    return f"""# Creatives on real footage

`python benchmarks/creatives.py` at {commit()}: {len(sheet)} videos, the {sheet['Clip'].nunique()} clips of
../shared/real and 2-4 variants of each ({', '.join(f'{k} {v}' for k, v in kinds.items())}), grouped into
creatives by influencer-kit's fingerprints and its people (one run of the kit for the people, then
the grouping swept). Thresholds are chosen on the tune clips and reported on the report clips
(benchmarks/real_set.py's parts; no person is in both). Goals: precision >= {GOALS['precision']},
recall >= {GOALS['recall']} over variant pairs, under {MAX_SAME_PERSON:.0%} of the pairs of different clips of one
person grouped.

Machine: {machine()}; load average before: {load_before}; the kit's run took {wall_s:.0f} s.

## Chosen on tune: creatives.frame_distance={chosen[0]}, creatives.min_coverage={chosen[1]}

| part | precision | recall | same person grouped | variant pairs | goals met |
|---|---|---|---|---|---|
{chr(10).join('| ' + ' | '.join(str(v) for v in row(name, s)) + ' |' for name, s in [
    ("tune", tuned[chosen]), ("report", reported[chosen]),
    ("report, frames alone (people not asked)", frames_only[chosen])])}

## The range that was right on tune

Settings meeting every goal on the tune part, per frame distance (bits of 64), the min coverages
that did ({', '.join(map(str, COVERAGES))} tried):

{table(ranges, ["frame_distance", "min_coverage meeting the goals"])}

Every setting tried, on each part (precision / recall / same person grouped):

{table([[d, c, f"{tuned[(d, c)].precision:.3f} / {tuned[(d, c)].recall:.3f} / {tuned[(d, c)].same_person:.3f}",
         f"{reported[(d, c)].precision:.3f} / {reported[(d, c)].recall:.3f} / {reported[(d, c)].same_person:.3f}"]
        for d in DISTANCES for c in COVERAGES], ["frame_distance", "min_coverage", "tune", "report"])}

## What a fingerprint costs

Seconds to fingerprint one video (frames every 0.1 s, at most 300), by the video's height, on this
machine under the load above:

{table([[size, int(r['count']), f"{r['median']:.2f}", f"{r['max']:.2f}"] for size, r in per_size.iterrows()],
       ["height", "videos", "median s", "max s"])}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from influencer_kit import config

    config.register_configs()
    csv = build_set(args.seed)
    folder = csv.parent
    load_before = load()
    start = time.perf_counter()
    run = completed_job(csv, folder / "run", "kit", ["registry.enabled=false"])
    wall_s = time.perf_counter() - start
    sheet = pd.read_csv(csv)
    people = [frozenset(p for p in text.split(";") if p) for text in run["influencers"]]
    fingerprints, seconds = measured_fingerprints(sheet, folder)
    sizes = [str(int(cv2.VideoCapture(str(folder / u)).get(cv2.CAP_PROP_FRAME_HEIGHT))) for u in sheet["Video_URL"]]
    results = {}
    for part in PARTS:
        rows = np.flatnonzero(sheet["Part"].to_numpy() == part)
        part_sheet = sheet.iloc[rows].reset_index(drop=True)
        results[part] = sweep(part_sheet, [fingerprints[i] for i in rows], [people[i] for i in rows])
    report_rows = np.flatnonzero(sheet["Part"].to_numpy() == "report")
    frames_only = sweep(sheet.iloc[report_rows].reset_index(drop=True), [fingerprints[i] for i in report_rows],
                        [frozenset()] * len(report_rows))
    chosen = pick(results["tune"])
    write_report(report(sheet, results["tune"], results["report"], frames_only, chosen, seconds, sizes, wall_s,
                        load_before), "creatives.md")


if __name__ == "__main__":
    main()
