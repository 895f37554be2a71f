"""How far apart each embedder puts the same person's faces and different people's: dlib, and
faceres with each way of cutting a face out (`embedder.crop`: aligned, loose, tight).

    python benchmarks/embedder_separation.py [--frames 16]

Faces: the largest face MTCNN (the default detector, default settings) finds in each labelled photo
of ../shared/faces/people, and in `--frames` spread frames of each single-person clip of the
real-footage `tune` part (TUNE_CLIPS in real_set.py; the report part is never looked at). Pairs
within each set: same person (two faces of one label) and different people. Distances are those the
core compares (Euclidean between `Distance.prepare`d vectors: for cosine embedders, between unit
vectors). Also the CPU time a face takes to embed (one thread, one face a call, crop included).
Writes `benchmarks/results/embedder_separation.md` and prints it.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import cv2
import numpy as np
from build_data import FACES
from measure import commit, frames_option, load, machine, write_report
from PIL import Image
from real_set import REAL, TUNE_CLIPS, people_of
from threadpoolctl import threadpool_limits

from influencer_kit.faces.analyse import detect
from influencer_kit.faces.frames import VideoReader, spread
from influencer_kit.plugin import Face
from influencer_kit_plugins.dlib_resnet import DlibConfig, DlibEmbedder
from influencer_kit_plugins.faceres import CROPS, FaceresConfig, FaceresEmbedder
from influencer_kit_plugins.mtcnn import MTCNNConfig, MTCNNDetector

CONTEXT = 1.0  # each face is kept with this fraction of its box on each side (every crop fits inside)


@dataclass
class Sample:
    """One face: whose it is, the part of the frame around it, and the face in that part's pixels."""

    person: str
    image: np.ndarray
    face: Face


def around(person: str, frame: np.ndarray, face: Face) -> Sample:
    """The face with the frame around it cut to CONTEXT, coordinates moved to the cut."""
    x, y, w, h = face.box
    x0, y0 = max(0, int(x - CONTEXT * w)), max(0, int(y - CONTEXT * h))
    x1, y1 = min(frame.shape[1], int(x + w + CONTEXT * w)), min(frame.shape[0], int(y + h + CONTEXT * h))
    landmarks = None if face.landmarks is None else tuple((px - x0, py - y0) for px, py in face.landmarks)
    return Sample(person, np.ascontiguousarray(frame[y0:y1, x0:x1]), Face((x - x0, y - y0, w, h), face.confidence,
                                                                           landmarks))


def largest(detector: MTCNNDetector, frames: list[np.ndarray]) -> list[tuple[np.ndarray, Face]]:
    """Each frame with its largest face (frames without one left out), as the pipeline detects."""
    config = MTCNNConfig()
    found = detect(detector, frames, config.detect_width, config.min_face_size, config.min_confidence)
    return [(frame, max(faces, key=lambda f: f.box[2] * f.box[3])) for frame, faces in zip(frames, found) if faces]


def photo_samples(detector: MTCNNDetector) -> list[Sample]:
    samples = []
    for path in sorted((FACES / "people").glob("*/*")):
        if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
            frame = np.asarray(Image.open(path).convert("RGB"))
            samples += [around(path.parent.name, f, face) for f, face in largest(detector, [frame])]
    return samples


def clip_samples(detector: MTCNNDetector, frames_per_clip: int) -> list[Sample]:
    labels = json.loads((REAL / "labels.json").read_text())["clips"]
    samples = []
    for clip in sorted(TUNE_CLIPS):
        if clip not in labels or len(people_of(labels[clip])) != 1:
            continue
        with VideoReader(str(REAL / "clips" / clip)) as reader:
            frames = [frame for _, frame in reader.read(spread(reader.frame_count, frames_per_clip))]
        samples += [around(labels[clip]["main"], f, face) for f, face in largest(detector, frames)]
    return samples


def separation(vectors: np.ndarray, people: list[str]) -> dict[str, float]:
    """Same-person and different-person distances: medians, the furthest same-person pair, the
    closest different-person pair, and the share of different-person pairs closer than the
    furthest same-person pair."""
    d = np.linalg.norm(vectors[:, None] - vectors[None], axis=-1)
    labels = np.asarray(people)
    upper = np.triu(np.ones_like(d, dtype=bool), k=1)
    same, different = d[upper & (labels[:, None] == labels[None])], d[upper & (labels[:, None] != labels[None])]
    return {"faces": len(people), "people": len(set(people)), "median_same": float(np.median(same)),
            "furthest_same": float(same.max()), "median_different": float(np.median(different)),
            "closest_different": float(different.min()),
            "overlap": float((different < same.max()).mean()),
            "different_below_same_p99": float((different < np.percentile(same, 99)).mean())}


def embedders() -> dict[str, object]:
    found: dict[str, object] = {"dlib": DlibEmbedder(DlibConfig()).fit()}
    for crop in CROPS:
        found[f"faceres, {crop}"] = FaceresEmbedder(FaceresConfig(crop=crop)).fit()
    return found


def measure(frames_per_clip: int) -> list[dict]:
    detector = MTCNNDetector(MTCNNConfig()).fit()
    sets = {"photos (../shared/faces)": photo_samples(detector),
            "tune clips, one person each (../shared/real)": clip_samples(detector, frames_per_clip)}
    rows = []
    for name, embedder in embedders().items():
        for set_name, samples in sets.items():
            start = time.process_time()
            vectors = np.concatenate([embedder.embed(s.image, [s.face]) for s in samples])
            rows.append({"embedder": name, "set": set_name, "ms": (time.process_time() - start) / len(samples) * 1000,
                         **separation(embedder.distance.prepare(vectors), [s.person for s in samples])})
    return rows


def table(rows: list[dict]) -> str:
    head = ("| embedder | set | faces (people) | same: median | same: furthest | different: median "
            "| different: closest | different closer than furthest same | different closer than same's 99th pct "
            "| CPU ms a face |\n|---|---|---|---|---|---|---|---|---|---|\n")
    return head + "".join(
        f"| {r['embedder']} | {r['set']} | {r['faces']} ({r['people']}) | {r['median_same']:.3f} "
        f"| {r['furthest_same']:.3f} | {r['median_different']:.3f} | {r['closest_different']:.3f} "
        f"| {r['overlap']:.3%} | {r['different_below_same_p99']:.3%} | {r['ms']:.0f} |\n" for r in rows)


def main() -> None:
    frames = frames_option(__doc__.splitlines()[0])
    cv2.setNumThreads(1)
    with threadpool_limits(1):
        rows = measure(frames)
    report = (f"# Same-person and different-person distances per embedder\n\n"
              f"Commit {commit()}; {machine()}; load average {load()} (1/5/15 min).\n"
              f"Distances between prepared vectors (faceres: Euclidean between unit vectors, = sqrt(2 x cosine)); "
              f"{frames} frames per clip, MTCNN's largest face in each.\n\n{table(rows)}")
    write_report(report, "embedder_separation.md")


if __name__ == "__main__":
    main()
