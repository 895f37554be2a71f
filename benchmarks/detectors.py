"""BlazeFace (detector=blazeface) against the default MTCNN on every clip of ../shared/real.

    python benchmarks/detectors.py [--frames 16]

Both detectors see the same `--frames` spread frames of each clip, downscaled to the detectors'
`detect_width` (480 px) and filtered by each one's default `min_confidence` and `min_face_size`,
as the pipeline detects. Per clip: the people labelled (labels.json `all`, extras left out), the
most faces either finds in one frame, the faces each finds, MTCNN's faces that BlazeFace misses
(no BlazeFace face in that frame overlapping it by IoU 0.3 or more) and the other way round, and
the narrowest face each finds; the clips with small second faces again on their own. Speed: CPU
seconds per frame of `detect` on one thread, over all frames (after one warm-up clip). Writes
`benchmarks/results/detectors.md` and prints it.
"""
from __future__ import annotations

import json
import time

import cv2
from measure import commit, frames_option, load, machine, write_report
from real_set import REAL, people_of
from threadpoolctl import threadpool_limits

from influencer_kit.faces.analyse import detect, plausible
from influencer_kit.faces.frames import VideoReader, spread
from influencer_kit.plugin import Face, manager
from influencer_kit.plugin.testing import build_default

DETECTORS = ("mtcnn", "blazeface")
MATCH_IOU = 0.3
SMALL_SECOND_FACES = ("office_two_people.mp4", "hallway_three_people.mp4", "dirty_dancing_scene.mp4",
                      "film_crowd_scene.mp4", "duet_split_screen.mp4", "hallway_walking_two.mp4")


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / max(aw * ah + bw * bh - w * h, 1)


def unmatched(faces: list[Face], others: list[Face]) -> int:
    """How many of `faces` no face of `others` overlaps by MATCH_IOU or more."""
    return sum(all(iou(f.box, o.box) < MATCH_IOU for o in others) for f in faces)


def measure(frames_per_clip: int) -> tuple[list[dict], dict[str, float]]:
    labels = json.loads((REAL / "labels.json").read_text())["clips"]
    built = {name: (build_default(manager.get_component("detector", name)).fit(),
                    manager.get_component("detector", name).config()) for name in DETECTORS}
    cpu = dict.fromkeys(DETECTORS, 0.0)
    frames_seen = 0
    rows = []
    for index, clip in enumerate(sorted(labels)):
        with VideoReader(str(REAL / "clips" / clip)) as reader:
            frames = [frame for _, frame in reader.read(spread(reader.frame_count, frames_per_clip))]
        found = {}
        for name, (detector, config) in built.items():
            start = time.process_time()
            found[name] = detect(detector, frames, config.detect_width, config.min_face_size, config.min_confidence)
            if index:  # the first clip warms up
                cpu[name] += time.process_time() - start
        frames_seen += len(frames) if index else 0
        mtcnn, blaze = found["mtcnn"], found["blazeface"]
        rows.append({
            "clip": clip, "people": len(people_of(labels[clip])),
            **{f"most_{n}": max(map(len, found[n]), default=0) for n in DETECTORS},
            **{f"faces_{n}": sum(map(len, found[n])) for n in DETECTORS},
            "mtcnn_missed_by_blazeface": sum(unmatched(m, b) for m, b in zip(mtcnn, blaze)),
            "blazeface_only": sum(unmatched(b, m) for m, b in zip(mtcnn, blaze)),
            "blazeface_implausible": sum(not plausible(f) for faces in blaze for f in faces),
            **{f"narrowest_{n}": min((f.box[2] for faces in found[n] for f in faces), default=0) for n in DETECTORS},
        })
    return rows, {name: cpu[name] / max(frames_seen, 1) * 1000 for name in DETECTORS}


def table(rows: list[dict]) -> str:
    head = ("| clip | people | most faces in a frame: MTCNN / BlazeFace | faces: MTCNN / BlazeFace "
            "| MTCNN's faces BlazeFace misses | BlazeFace's faces MTCNN lacks "
            "| BlazeFace faces with implausible landmarks "
            "| narrowest face px: MTCNN / BlazeFace |\n|---|---|---|---|---|---|---|---|\n")
    body = "".join(
        f"| {r['clip']} | {r['people']} | {r['most_mtcnn']} / {r['most_blazeface']} | {r['faces_mtcnn']} / "
        f"{r['faces_blazeface']} | {r['mtcnn_missed_by_blazeface']} | {r['blazeface_only']} "
        f"| {r['blazeface_implausible']} | {r['narrowest_mtcnn']} / {r['narrowest_blazeface']} |\n" for r in rows)
    total = {k: sum(r[k] for r in rows) for k in ("faces_mtcnn", "faces_blazeface", "mtcnn_missed_by_blazeface",
                                                   "blazeface_only", "blazeface_implausible")}
    return head + body + (f"| **all {len(rows)} clips** | | | {total['faces_mtcnn']} / {total['faces_blazeface']} "
                          f"| {total['mtcnn_missed_by_blazeface']} | {total['blazeface_only']} "
                          f"| {total['blazeface_implausible']} | |\n")


def main() -> None:
    frames = frames_option(__doc__.splitlines()[0])
    cv2.setNumThreads(1)
    with threadpool_limits(1):
        rows, ms = measure(frames)
    fewer = [r["clip"] for r in rows if r["most_blazeface"] < min(r["most_mtcnn"], r["people"])]
    small = [r for r in rows if r["clip"] in SMALL_SECOND_FACES]
    report = (f"# BlazeFace against MTCNN on ../shared/real\n\n"
              f"Commit {commit()}; {machine()}; load average {load()} (1/5/15 min) when it finished.\n"
              f"{frames} spread frames per clip at detect_width 480, each detector's default settings.\n\n"
              f"CPU time of `detect` per frame, one thread: " + ", ".join(f"{n} {v:.1f} ms" for n, v in ms.items())
              + f".\n\nClips where BlazeFace shows fewer people in a frame than MTCNN (and than labelled): "
              f"{', '.join(fewer) or 'none'}.\n\nClips with small second faces:\n\n{table(small)}\n"
              f"Every clip:\n\n{table(rows)}")
    write_report(report, "detectors.md")


if __name__ == "__main__":
    main()
