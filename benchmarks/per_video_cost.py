"""The per-video cost, stage by stage, against its floor, per codec, and beside an older commit.
For each video, with the models loaded once, what a worker does for a video
(`execution.task.analyse_one` with the commit's default settings: its faces and, where the commit
makes one, its content fingerprint) runs with a timer around each of its steps (the sampling plan,
reading the frames, detection, the face tracks, embedding, the JPEGs, hashing the fingerprint's
frames), then the face cache's write (`FaceCache.put`). The floor is what the work cannot go below:
decoding frames in a row from the start, no seeking, as many as were sampled (all of them where a
fingerprint samples one every 0.1 s), one detector batch on the sampled frames, one embedding per
person found (one face per appearance), and the hashing itself.

The videos are the 12 clips of ../shared/real that benchmarks/streaming.py uses, 15 s at 720p,
encoded once per codec by imageio-ffmpeg's ffmpeg (`CODECS`) into benchmarks/data/per_video_cost/.
With `--old`, a checkout of another commit with its own .venv (`git worktree add ../ik-old 7eec3b3`,
`cp -a .venv ../ik-old/.venv`, `../ik-old/.venv/bin/python -m pip install --no-deps -e ../ik-old`)
measures the same videos in the same invocation, codec by codec, each side in its own process.

    python benchmarks/per_video_cost.py [--codecs h264,h264_1s,hevc,vp9,av1] [--old ../ik-old]
        [--repeats 3] [--name per_video_cost.md] [--videos VIDEO...] [--set creatives.enabled=false ...]
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from measure import commit, load, machine, other_checkout, run_writing_json, write_report
from streaming import BASES, REAL, SECONDS, build_videos, ffmpeg
from streaming import DATA as STREAMING

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "per_video_cost"
CODECS = {  # name: (in words, ffmpeg's video options; None: the streaming benchmark's own H.264 videos)
    "h264": ("H.264 (x264 ultrafast, as benchmarks/streaming.py encodes: a key frame every 250 frames)", None),
    "h264_1s": ("H.264 (x264 ultrafast, a key frame every second, as phones record)",
                ["-c:v", "libx264", "-preset", "ultrafast", "-force_key_frames", "expr:gte(t,n_forced*1)"]),
    "hevc": ("HEVC (x265 ultrafast, its default key frames)", ["-c:v", "libx265", "-preset", "ultrafast"]),
    "vp9": ("VP9 (libvpx realtime, its default key frames)",
            ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1"]),
    "av1": ("AV1 (SVT-AV1 preset 12, its default key frames)", ["-c:v", "libsvtav1", "-preset", "12"]),
}
CHUNK = 4  # videos each side measures before the other side's turn
STAGES = ["plan", "read", "detect", "colours", "tracks", "embed", "jpeg", "hash"]
FLOORS = ["decode", "detect", "embed", "hash"]


def codec_videos(codec: str, clips: int) -> list[Path]:
    """The first `clips` (smallest first) of the 12 benchmark videos in `codec`, encoded once (same
    size per clip as the H.264 ones)."""
    if CODECS[codec][1] is None:
        build_videos(0)
        return sorted((STREAMING / "bases").glob("*mb.mp4"),
                      key=lambda p: int(p.stem.rsplit("_", 1)[1][:-2]))[:clips]
    folder = DATA / codec
    folder.mkdir(parents=True, exist_ok=True)
    videos = []
    for clip, mb in sorted(BASES, key=lambda base: base[1])[:clips]:
        out = folder / f"{Path(clip).stem}_{mb}mb.{'webm' if codec == 'vp9' else 'mp4'}"
        if not out.exists():
            rate = mb * 8_000_000 // SECONDS
            partial = out.with_name(f"partial_{out.name}")
            subprocess.run([ffmpeg(), "-v", "error", "-y", "-stream_loop", "-1", "-i", str(REAL / clip), "-t",
                            str(SECONDS), "-vf", "scale=-2:720", *CODECS[codec][1], "-b:v", str(rate), "-an",
                            str(partial)], check=True, stderr=subprocess.DEVNULL)
            partial.rename(out)
        videos.append(out)
    return videos


# ---------------------------------------------------------------- one side, in its own process


class Timers:
    """Seconds spent in each wrapped function during one video."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner: object, name: str, label: str) -> None:
        """Time `owner.name` under `label`; a generator function by each item it makes."""
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - start

        def timed_items(*args, **kwargs):
            items = original(*args, **kwargs)
            while True:
                start = time.perf_counter()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    self.spent[label] += time.perf_counter() - start
                yield item

        setattr(owner, name, timed_items if inspect.isgeneratorfunction(original) else timed)


def timed(function: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def worker_settings(members_root: str, overrides: list[str]) -> object:
    """The per-video settings this process's commit gives its workers by default (conf/config.yaml,
    with Hydra `overrides`), as its pipeline builds them: the fingerprint's included where the
    commit makes one."""
    from dataclasses import fields

    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    from influencer_kit import config
    from influencer_kit.execution.task import FaceSettings
    from influencer_kit.plugin import manager
    from influencer_kit.plugin.components import or_default

    config.register_configs()
    with initialize_config_module(config_module="influencer_kit.conf", version_base="1.3"):
        known = compose(config_name="config")  # an override of what a commit has not (creatives before them) is left out
        cfg = compose(config_name="config", overrides=[o for o in overrides if o.split(".")[0] in known])
    creatives = OmegaConf.to_object(cfg.creatives) if "creatives" in cfg else None
    candidate = {
        "detector": OmegaConf.to_container(cfg.detector), "embedder": OmegaConf.to_container(cfg.embedder),
        "frames_per_video": int(cfg.frames_per_video), "faces_per_track": int(cfg.per_video.faces_per_track),
        "early_stop": bool(cfg.per_video.early_stop),
        "same_person_distance": or_default(cfg.per_video.same_person_distance,
                                           manager.embedder_distance(cfg.embedder).threshold),
        "keep_frames": True, "members_root": members_root,
        "fingerprint": creatives.fingerprint if creatives is not None and creatives.enabled else None}
    return FaceSettings(**{f.name: candidate[f.name] for f in fields(FaceSettings) if f.name in candidate})


def measure_videos(videos: list[Path], repeats: int, overrides: list[str]) -> list[dict]:
    """Each video's stage times (the fastest of `repeats` runs), counts and floor, in seconds, of
    what a worker of this process's influencer_kit (whichever commit it is) does for a video:
    `execution.task.analyse_one` with the commit's default settings."""
    from influencer_kit.execution import task
    from influencer_kit.faces import analyse
    from influencer_kit.faces.cache import FaceCache
    from influencer_kit.faces.frames import VideoReader
    from influencer_kit.people.grouping import group_within_video

    with tempfile.TemporaryDirectory() as tmp:
        settings = worker_settings(tmp, overrides)
        task._Models.load(settings)
        detector, embedder, rules = task._Models.detector, task._Models.embedder, settings.rules()
        fingerprints = getattr(settings, "fingerprint", None)
        reading = "each" if hasattr(VideoReader, "each") else "read"  # `read` goes through `each` where it has one
        targets = [(analyse, "sample_plan"), (VideoReader, reading), (analyse, "detect"), (analyse, "sightings"),
                   (analyse, "people_only"), (analyse, "embed_faces"), (analyse, "encode_jpeg")]
        if fingerprints is not None:
            from influencer_kit.creatives import fingerprint

            targets.append((fingerprint, "frame_hashes"))

        def floor(path: Path, indices: list[int], people: int) -> dict[str, float]:
            def decode() -> list:
                """Frames in a row from the start, as few as the work needs: as many as were sampled,
                or, with a fingerprint, all of them (one every 0.1 s is hashed), each sampled one as RGB."""
                import av

                with av.open(str(path)) as container:
                    stream = container.streams.video[0]
                    stream.codec_context.thread_count = int(os.environ["IK_THREADS"])
                    stream.codec_context.thread_type = "AUTO"
                    through = (stream.frames or 1 << 30) if fingerprints is not None else len(indices)
                    return [f.to_ndarray(format="rgb24") if n < len(indices) else None
                            for n, f in zip(range(through), container.decode(stream))][: len(indices)]

            decode_s, frames = timed(decode)
            small = [analyse.downscale(f, rules.detect_width)[0] for f in frames]
            detect_s, found = timed(lambda: detector.detect(small))
            faces = [f for per in found for f in per][:1] * people
            embed_s = timed(lambda: embedder.embed(small[0], faces))[0] if faces else 0.0
            return {"decode": decode_s, "detect": detect_s, "embed": embed_s}  # hashing: its own stage

        rows = []
        cache = FaceCache(Path(tmp), {"probe": True})
        for path in videos:
            best: dict | None = None
            for _ in range(repeats):
                shutil.rmtree(Path(tmp) / "members", ignore_errors=True)  # a fused embedder's cache: every run embeds
                timers = Timers()
                saved = [(owner, name, getattr(owner, name)) for owner, name in targets]
                for (owner, name), label in zip(targets, STAGES):
                    timers.wrap(owner, name, label)
                try:
                    total, pictures = timed(lambda: task.analyse_one(str(path), settings))
                finally:
                    for owner, name, original in saved:
                        setattr(owner, name, original)
                put_s = timed(lambda: cache.put(f"{hash((str(path), time.time_ns())) & (2**256 - 1):064x}",
                                                pictures))[0]
                row = {"total": total, "put": put_s, **timers.spent, "found": pictures.found}
                if best is None or row["total"] < best["total"]:
                    best = row
            found = best.pop("found")
            people = len(group_within_video("v", found.embeddings, found.faces, 0.55)) if found.faces else 0
            best.update(video=path.name, frames=len(found.frame_indices), faces=len(found.faces), people=people,
                        indices=[int(i) for i in found.frame_indices],
                        floor={**floor(path, list(found.frame_indices), people), "hash": best.get("hash", 0.0)})
            rows.append(best)
    return rows


# ---------------------------------------------------------------- both sides, the report


def side(python: Path, root: Path, videos: list[Path], repeats: int, overrides: list[str]
         ) -> tuple[list[dict], float]:
    """`measure_videos` run by `python` (a checkout's .venv) in its own process; the rows and the
    process's peak memory (PSS, MiB)."""
    measured, rows = run_writing_json(
        lambda out: [str(python), str(Path(__file__).resolve()), "--child", out, "--repeats", str(repeats),
                     *(f"--set={o}" for o in overrides),
                     "--videos", *map(str, videos)], f"measuring {root}")
    return rows, measured.peak_bytes / 2**20


def key_spacing(videos: list[Path]) -> float:
    """Frames between key frames, on average over the videos."""
    from influencer_kit.faces.frames import VideoReader

    spans = []
    for path in videos:
        with VideoReader(str(path)) as reader:
            spans.append(reader.frame_count / len(reader.key_frames()))
    return sum(spans) / len(spans)


def table(rows: list[dict]) -> tuple[list[str], dict[str, float]]:
    """The stage table in milliseconds, and the means (seconds) of total, read and floor."""
    columns = ["total", *STAGES, "put"]
    lines = ["| video | frames | faces | people | " + " | ".join(columns)
             + " | floor: decode | detect | embed | hash | floor | total / floor |",
             "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in columns) + " | ---:" * 6 + " |"]
    sums: dict[str, float] = defaultdict(float)
    for row in rows:
        floor = sum(row["floor"].values())
        for key in columns:
            sums[key] += row.get(key, 0.0)
        for key in FLOORS:
            sums[f"floor_{key}"] += row["floor"][key]
        lines.append(f"| {row['video']} | {row['frames']} | {row['faces']} | {row['people']} | "
                     + " | ".join(f"{1000 * row.get(key, 0.0):.0f}" for key in columns)
                     + " | " + " | ".join(f"{1000 * row['floor'][key]:.0f}" for key in FLOORS)
                     + f" | {1000 * floor:.0f} | {row['total'] / floor:.2f} |")
    n = len(rows)
    floor_mean = sum(sums[f"floor_{key}"] for key in FLOORS) / n
    lines.append("| **mean** | | | | " + " | ".join(f"**{1000 * sums[key] / n:.0f}**" for key in columns)
                 + " | " + " | ".join(f"{1000 * sums[f'floor_{key}'] / n:.0f}" for key in FLOORS)
                 + f" | **{1000 * floor_mean:.0f}** | **{sums['total'] / n / floor_mean:.2f}** |")
    return lines, {"total": sums["total"] / n, "read": sums["read"] / n, "floor": floor_mean}


Result = tuple[str, str, float, list[tuple[str, list[dict], float]]]  # codec, in words, key spacing, sides


def report(args: argparse.Namespace, results: list[Result]) -> str:
    lines = ["# Per-video cost, stage by stage, per codec (what a worker does for a video with each commit's "
             "defaults)", "", f"Overrides for both sides: {' '.join(args.set) or 'none'}.", "",
             f"{machine()}; load average at the start {args.load_at_start}, at the end {load()} (a shared "
             f"machine, loaded by other sessions while this ran: compare the two commits, measured side by side, "
             f"codec by codec, rather than against other tables). Fastest of {args.repeats} runs per video, the two "
             f"sides taking turns every {CHUNK} videos, each in its own process and decoding as one worker alone "
             f"does (`executor.workers=1`: FFmpeg's threads for all cores, OpenCV's default before, `IK_THREADS` "
             f"now, which ONNX Runtime's sessions take too). Milliseconds in the tables. `read` includes seeking; "
             f"`colours` the face histograms that link tracks; `hash` the fingerprint's hashes of its frames (creatives; "
             f"a commit without fingerprints has none); `put` writes the entry (JPEGs, npz) to the face cache. The "
             f"floor decodes frames in a row from the start (as many as were sampled, or every frame where a "
             f"fingerprint samples one every 0.1 s), runs one detector batch and one embedding per person, and "
             f"hashes.", "",
             "| codec | frames per key frame | commit | mean total s | read s | floor s | total / floor | "
             "peak memory MiB |", "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    details = []
    for codec, words, spacing, sides in results:
        for who, rows, peak in sides:
            lines_, means = table(rows)
            lines.append(f"| {words} | {spacing:.0f} | {who} | {means['total']:.2f} | {means['read']:.2f} | "
                         f"{means['floor']:.2f} | {means['total'] / means['floor']:.2f} | {peak:.0f} |")
            details += ["", f"## {words}: {who}", "", *lines_]
    return "\n".join([*lines, *details, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codecs", default=",".join(CODECS))
    parser.add_argument("--old", type=Path, help="a checkout of another commit, with its own .venv")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], metavar="key=value",
                        help="a Hydra override for both sides' settings (creatives.enabled=false: no fingerprint)")
    parser.add_argument("--clips", type=int, default=len(BASES), help="the first N clips (smallest first)")
    parser.add_argument("--name", default="per_video_cost.md")
    parser.add_argument("--videos", nargs="*", type=Path, help="these videos instead of the codec sets")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # measure --videos here, write JSON to this file
    args = parser.parse_args()
    if args.child:
        Path(args.child).write_text(json.dumps(measure_videos(args.videos, args.repeats, args.set)))
        return
    args.load_at_start = load()
    os.environ["IK_THREADS"] = str(os.cpu_count() or 1)  # each side as one worker alone (executor.workers=1)
    sets = [("videos", "the videos given", args.videos)] if args.videos else [
        (codec, CODECS[codec][0], codec_videos(codec, args.clips)) for codec in args.codecs.split(",")]
    checkouts = [(f"this checkout ({commit()})", Path(sys.executable), ROOT)]
    if args.old:
        version, python, root = other_checkout(args.old)
        checkouts.insert(0, (f"{version} (before)", python, root))
    results = []
    for codec, words, videos in sets:
        rows: dict[str, list[dict]] = defaultdict(list)
        peaks: dict[str, float] = defaultdict(float)
        for start in range(0, len(videos), CHUNK):  # the sides take turns, a few videos at a time
            for who, python, root in checkouts:
                chunk_rows, peak = side(python, root, videos[start:start + CHUNK], args.repeats, args.set)
                rows[who] += chunk_rows
                peaks[who] = max(peaks[who], peak)
        sides = [(who, rows[who], peaks[who]) for who, _, _ in checkouts]
        results.append((codec, words, key_spacing(videos), sides))
        print(f"{codec}: " + ", ".join(f"{who} {table(rows)[1]['total']:.2f} s" for who, rows, _ in sides), flush=True)
    write_report(report(args, results), args.name)


if __name__ == "__main__":
    main()
